"""Compiled scripts with the engine's Date: who gets it, the same outputs as V8's Date, and the fallbacks."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits
from tilewise.engine.evalscript import runtime as runtime_module
from tilewise.engine.evalscript.compiler.dates import NO_DATE_MADE_PER_PIXEL, engine_date_blocker
from tilewise.engine.evalscript.compiler.parser import parse

ROOT = Path(__file__).resolve().parents[3]
TUTORIAL = (ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js").read_text()
HEAD = """//VERSION=3
function setup() { return {input: ["B04", "B08", "CLM"], output: {bands: 3, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
"""
DATED = """
var SPLIT = new Date(Date.UTC(2023, 6, 8)), START = new Date('2023-07-01T00:00:00Z');
function day(scene) { var d = new Date(scene.date); d.setHours(0, 0, 0, 0); return d; }
function evaluatePixel(samples, scenes) {
  var late = 0, span = 0, last = null;
  for (var i = 0; i < samples.length; i++) {
    var d = day(scenes[i]);
    if (d >= SPLIT && samples[i].CLM < 1) late += samples[i].B04;
    span += (d - START) / 864e5 * samples[i].B08;
    if (last !== null && d < last) last = d;
    if (last === null) last = d;
  }
  return [late, span, last instanceof Date ? last.getDate() + last.getMonth() * 31 : -1];
}"""


def orbit_stack(kit, rng):
    return kit.orbit_stack(rng, 5, (9, 11))


def outputs(result) -> dict[str, bytes]:
    return {key: raster.data.tobytes() for key, raster in result.outputs.items()}


def test_the_tutorial_script_gets_the_engine_date_and_the_per_pixel_outputs_bit_for_bit(kit, rng):
    shape = (6, 20, 30)
    stack = kit.stack(
        {
            "B04": rng.uniform(300, 3000, shape),
            "B08": rng.uniform(300, 5000, shape),
            "CLM": (rng.random(shape) < 0.2).astype(np.float32),
        },
        [kit.orbit(1 + 5 * k) for k in range(6)][::-1],
    )
    with (
        EvalscriptRuntime(TUTORIAL, Limits()) as engine,
        EvalscriptRuntime(TUTORIAL, Limits(compile=False)) as v8,
    ):
        assert engine.compilation.compiled and engine.engine_dates and not v8.engine_dates
        got, want = engine.evaluate(stack), v8.evaluate(stack)
    assert got.evaluation == "compiled"
    assert outputs(got) == outputs(want) and got.warnings == want.warnings


def test_dates_made_in_global_code_setup_and_the_pixels_give_v8s_outputs(kit, rng):
    source = HEAD + DATED
    stack = orbit_stack(kit, rng)
    with (
        EvalscriptRuntime(source, Limits()) as engine,
        EvalscriptRuntime(source, Limits(compile=False)) as v8,
    ):
        assert engine.engine_dates
        assert outputs(engine.evaluate(stack)) == outputs(v8.evaluate(stack))
        # a second tile in the same contexts: the memos answer, the results stay V8's
        assert outputs(engine.evaluate(stack)) == outputs(v8.evaluate(stack))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("var Moment = Date;", "Date used as a value"),
        ("var stamp = Date();", "Date used as a value"),
        ("var proto = Object.getPrototypeOf(new Date(0));", "getPrototypeOf"),
        ("Date.prototype.extra = 1;", "Date used as a value"),
        ("var extra = [].prototype;", "prototype"),
        ("var kind = new Date(0).constructor;", "constructor"),
        ("var key = 'constructor';", "the string 'constructor'"),
        ("function shadow(Date) { return Date; }", "named Date"),
        ("var later = () => Date;", "Date used as a value"),
        ("function fallback(kind = Date) { return kind; }", "Date used as a value"),
        ("var tag = Symbol.toStringTag;", "toStringTag"),
        ("var own = Object.getOwnPropertyNames(new Date(0));", "getOwnPropertyNames"),
    ],
)
def test_a_script_that_could_tell_the_dates_apart_keeps_v8s_date_and_says_why(kit, rng, caplog, line, reason):
    source = HEAD + line + DATED
    assert reason in (engine_date_blocker(parse(source)) or "")
    with caplog.at_level(logging.INFO, logger="tilewise.engine.evalscript.runtime"):
        runtime = EvalscriptRuntime(source, Limits())
    with runtime, EvalscriptRuntime(source, Limits(compile=False)) as v8:
        assert runtime.compilation.compiled and not runtime.engine_dates
        assert reason in runtime.compilation.dates_reason
        assert any("keeps V8's Date" in r.getMessage() and reason in r.getMessage() for r in caplog.records)
        stack = orbit_stack(kit, rng)
        assert outputs(runtime.evaluate(stack)) == outputs(v8.evaluate(stack))


def test_what_the_engine_date_allows_is_not_refused():
    source = (
        HEAD
        + "var a = Date.now() > 0 && Date.parse('2023-07-01') > 0; var b = new Date(0) instanceof Date;"
        + DATED
    )
    assert engine_date_blocker(parse(source)) is None
    assert engine_date_blocker(parse(HEAD + "var o = {Date: 1}; var p = o.Date;" + DATED)) is None


def test_the_engine_date_can_be_switched_off(kit, rng):
    with EvalscriptRuntime(HEAD + DATED, Limits(engine_dates=False)) as runtime:
        assert runtime.compilation.compiled and runtime.compilation.engine_dates and not runtime.engine_dates
        assert runtime.evaluate(orbit_stack(kit, rng)).evaluation == "compiled"


# An engine Date that is wrong on purpose (a real one cannot be made to differ): one hour late from construction.
BROKEN = runtime_module.EMULATED_DATE.replace(
    "      this.#t = t;\n    }", "      this.#t = t + 36e5;\n    }", 1
)


def test_a_wrong_engine_date_is_caught_by_the_pixel_check_and_the_tile_redone_with_v8s(kit, rng, monkeypatch):
    assert BROKEN != runtime_module.EMULATED_DATE
    monkeypatch.setattr(runtime_module, "EMULATED_DATE", BROKEN)
    source = HEAD + DATED.replace("d >= SPLIT", "d.getHours() === 0 && d >= SPLIT")
    stack = orbit_stack(kit, rng)
    with (
        EvalscriptRuntime(source, Limits()) as engine,
        EvalscriptRuntime(source, Limits(compile=False)) as v8,
    ):
        assert engine.engine_dates
        got = engine.evaluate(stack)
        assert got.evaluation == "per-pixel after a failed check" and not engine.compilation.compiled
        assert outputs(got) == outputs(v8.evaluate(stack))


def test_preprocessscenes_that_keeps_other_scenes_with_the_engine_date_falls_back_for_the_script(
    kit, rng, monkeypatch
):
    monkeypatch.setattr(runtime_module, "EMULATED_DATE", BROKEN)
    source = (
        HEAD
        + """
var seen = 0;
function preProcessScenes(collections) {
  seen++;
  collections.scenes.orbits = collections.scenes.orbits.filter(function (o) {
    return new Date(o.dateFrom).getUTCHours() === 0;  // the broken Date says 1 o'clock: keeps none
  });
  return collections;
}
function updateOutputMetadata(scenes, inputMetadata, outputMetadata) { outputMetadata.userData = {seen: seen}; }
"""
        + DATED
    )
    stack = orbit_stack(kit, rng)
    with (
        EvalscriptRuntime(source, Limits()) as engine,
        EvalscriptRuntime(source, Limits(compile=False)) as v8,
    ):
        assert engine.engine_dates
        kept = engine.pre_process_scenes(stack.samples)
        assert kept == v8.pre_process_scenes(stack.samples) == stack.samples
        assert not engine.compilation.compiled and "preProcessScenes" in engine.compilation.reason
        got, want = engine.evaluate(stack), v8.evaluate(stack)
        assert got.evaluation == "per-pixel after a failed check"
        assert outputs(got) == outputs(want) and got.userdata == want.userdata == {"seen": 1}
        assert engine.evaluate(stack).evaluation == "per-pixel"


def test_an_error_thrown_inside_a_date_method_points_at_the_scripts_line_as_with_v8s_date(kit, rng):
    source = (
        HEAD
        + """
function preProcessScenes(collections) {
  var stamp = new Date('garbage');
  collections.label = stamp.toISOString();
  return collections;
}"""
        + DATED
    )
    errors = []
    for limits in (Limits(), Limits(compile=False)):
        with EvalscriptRuntime(source, limits) as runtime:
            assert runtime.engine_dates == limits.compile
            with pytest.raises(EvalscriptError) as info:
                runtime.pre_process_scenes(orbit_stack(kit, rng).samples)
            errors.append((str(info.value), info.value.line, info.value.column))
    assert errors[0] == errors[1] and errors[0][1] == 6 and "Invalid time value" in errors[0][0]


def test_a_script_that_only_reads_the_scenes_dates_keeps_v8s_whose_getters_are_faster(kit, rng):
    source = (
        HEAD
        + """
var made = new Date(2023, 6, 1);  // outside the pixels: does not count
function evaluatePixel(samples, scenes) {
  var july = 0;
  for (var i = 0; i < samples.length; i++) if (scenes[i].date.getMonth() === made.getMonth()) july += samples[i].B04;
  return [july, scenes[0].date.getDate(), scenes.length];
}"""
    )
    with (
        EvalscriptRuntime(source, Limits()) as runtime,
        EvalscriptRuntime(source, Limits(compile=False)) as v8,
    ):
        assert runtime.compilation.compiled and not runtime.engine_dates
        assert runtime.compilation.dates_reason == NO_DATE_MADE_PER_PIXEL == "no Date is made per pixel"
        stack = orbit_stack(kit, rng)
        assert outputs(runtime.evaluate(stack)) == outputs(v8.evaluate(stack))
