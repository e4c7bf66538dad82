"""Sentinel Hub's public evalscripts, compiled and per pixel: identical outputs, or one named fallback."""

from __future__ import annotations

import pytest
from evalscript_corpus import corpus_scripts, run

from tilewise.engine.evalscript import EvalscriptError, Limits, compile_script

SCRIPTS = corpus_scripts()


def test_the_corpus_is_there():
    assert len(SCRIPTS) == 40


def skip_if_refused(script) -> None:
    try:
        compile_script(script.source, Limits())
    except EvalscriptError as refused:
        pytest.skip(f"refused by the engine before any pixel: {refused}")


def assert_same_run(got, want) -> None:
    """The same error, or the same outputs bit for bit, userdata and warnings."""
    assert got.error == want.error
    if want.error is not None:
        return
    assert got.result.outputs.keys() == want.result.outputs.keys()
    for output_id, raster in want.result.outputs.items():
        mine = got.result.outputs[output_id]
        assert mine.data.dtype == raster.data.dtype and mine.data.shape == raster.data.shape
        assert mine.data.tobytes() == raster.data.tobytes(), output_id
    assert got.result.userdata == want.result.userdata
    assert got.result.warnings == want.result.warnings


@pytest.mark.parametrize("planes", [False, True], ids=["sample objects", "band planes"])
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_a_corpus_script_gives_the_per_pixel_outputs_bit_for_bit_or_runs_per_pixel(script, planes):
    skip_if_refused(script)
    compiled_runtime, compiled = run(script.source, compile=True, planes=planes)
    _, per_pixel = run(script.source, compile=False)
    verdict = compiled_runtime.compilation
    assert verdict.compiled or verdict.reason  # a fallback always names its construct
    assert_same_run(compiled, per_pixel)
    if verdict.compiled and per_pixel.error is None:
        assert compiled.result.evaluation == "compiled"  # the sample check found nothing to redo


DATED = [s for s in SCRIPTS if "Date" in s.source or ".date" in s.source]


@pytest.mark.parametrize("script", DATED, ids=[s.name for s in DATED])
def test_a_corpus_script_with_dates_gives_the_same_outputs_with_the_engines_date(script):
    """None of the corpus scripts makes Dates per pixel, so the compiler keeps V8's Date for them: here they get
    the engine's anyway, global code, preProcessScenes and the pixels' reading of the scenes' dates included."""
    skip_if_refused(script)
    runtime, engine = run(script.source, compile=True, engine_dates=True)
    _, per_pixel = run(script.source, compile=False)
    if not runtime.compilation.compiled:
        pytest.skip(f"per pixel: {runtime.compilation.reason}")
    assert runtime.engine_dates
    assert_same_run(engine, per_pixel)
    if per_pixel.error is None:
        assert engine.result.evaluation == "compiled"
