"""Sentinel Hub's public evalscripts, compiled and per pixel: identical outputs, or one named fallback."""

from __future__ import annotations

import pytest
from evalscript_corpus import corpus_scripts, run

from tilewise.engine.evalscript import EvalscriptError, Limits, compile_script

SCRIPTS = corpus_scripts()


def test_the_corpus_is_there():
    assert len(SCRIPTS) == 40


@pytest.mark.parametrize("planes", [False, True], ids=["sample objects", "band planes"])
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_a_corpus_script_gives_the_per_pixel_outputs_bit_for_bit_or_runs_per_pixel(script, planes):
    try:
        compile_script(script.source, Limits())
    except EvalscriptError as refused:
        pytest.skip(f"refused by the engine before any pixel: {refused}")
    compiled_runtime, compiled = run(script.source, compile=True, planes=planes)
    _, per_pixel = run(script.source, compile=False)
    verdict = compiled_runtime.compilation
    assert verdict.compiled or verdict.reason  # a fallback always names its construct
    assert compiled.error == per_pixel.error
    if per_pixel.error is not None:
        return
    assert compiled.result.outputs.keys() == per_pixel.result.outputs.keys()
    for output_id, raster in per_pixel.result.outputs.items():
        got = compiled.result.outputs[output_id]
        assert got.data.dtype == raster.data.dtype and got.data.shape == raster.data.shape
        assert got.data.tobytes() == raster.data.tobytes(), output_id
    assert compiled.result.userdata == per_pixel.result.userdata
    assert compiled.result.warnings == per_pixel.result.warnings
    if verdict.compiled:
        assert compiled.result.evaluation == "compiled"  # the sample check found nothing to redo
