"""The compiled pixel loop: the per-pixel path's results bit for bit, or a named fallback."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits

ROOT = Path(__file__).resolve().parents[3]
ORBIT_HEAD = """//VERSION=3
function setup() { return {input: ["B04", "B08", "CLM"], output: {bands: 2, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
"""


def orbit_stack(kit, rng, samples: int = 4, size=(7, 9)):
    return kit.orbit_stack(rng, samples, size)


def both(source: str, stack, planes: bool = True):
    """(compiled runtime's result, per-pixel result, compilation); errors come back as strings. Compiled with
    sample reads on the band planes unless `planes` is False (the engine's default)."""
    results = []
    for compile in (True, False):
        with EvalscriptRuntime(source, Limits(compile=compile, planes=planes)) as runtime:
            try:
                results.append(runtime.evaluate(stack))
            except EvalscriptError as error:
                results.append(str(error))
            if compile:
                compilation = runtime.compilation
    return results[0], results[1], compilation


def assert_identical(compiled, per_pixel) -> None:
    if isinstance(per_pixel, str):
        assert compiled == per_pixel
        return
    for output_id, raster in per_pixel.outputs.items():
        assert compiled.outputs[output_id].data.tobytes() == raster.data.tobytes()
    assert compiled.warnings == per_pixel.warnings


def test_simple_ndvi_compiles_and_equals_the_per_pixel_path_bit_for_bit(kit, rng):
    source = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }"""
    red, nir = rng.uniform(0, 0.5, (30, 40)), rng.uniform(0, 0.6, (30, 40))
    red[0, :5] = nir[0, :5] = 0  # 0/0: NaN both ways
    compiled, per_pixel, compilation = both(source, kit.simple({"B04": red, "B08": nir}))
    assert compilation.compiled and compiled.evaluation == "compiled"
    assert_identical(compiled, per_pixel)


def test_samples_handed_to_the_scripts_functions_and_kept_in_locals_compile(kit, rng):
    source = (
        ORBIT_HEAD
        + """
function clear(sample) { return sample.CLM === 0; }
function ndvi(s) { var t = s; return (t.B08 - t.B04) / (t.B08 + t.B04); }
function evaluatePixel(samples) {
  var best = -1, count = 0;
  for (var i = samples.length - 1; i >= 0; i--) {
    var sample = samples[i];
    if (!clear(sample)) continue;
    count++;
    best = Math.max(best, ndvi(samples[i]));
  }
  return [best, count + samples[0]["B04"]];
}"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert compilation.compiled, compilation.reason
    assert_identical(compiled, per_pixel)


@pytest.mark.parametrize(
    "index",
    ['"1"', "1.0", "-0", "samples.length - 1", "samples.length", "-1", "0.5", '"length"', "undefined"],
)
def test_odd_sample_indices_behave_as_on_the_per_pixel_path(kit, rng, index):
    source = (
        ORBIT_HEAD
        + f"""
function evaluatePixel(samples) {{
  var s = samples[{index}];
  return [s === undefined ? -7 : 1, samples[{index}].B04];
}}"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    # `s === undefined` compares a sample: the script runs per pixel; the plain read alone compiles
    assert not compilation.compiled and "used as a value" in compilation.reason
    assert_identical(compiled, per_pixel)
    source = ORBIT_HEAD + f"function evaluatePixel(samples) {{ return [samples[{index}].B04, samples.B04]; }}"
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert compilation.compiled
    assert_identical(compiled, per_pixel)  # values, or the same TypeError at the same place


def test_bands_read_by_name_and_bands_the_script_did_not_ask_for(kit, rng):
    source = (
        ORBIT_HEAD
        + """
var NAMES = ["B04", "B08", "B99", "toString"];
function evaluatePixel(samples) {
  var total = 0;
  for (var i = 0; i < samples.length; i++) total += samples[i][NAMES[i % 2]];
  return [total, String(samples[0][NAMES[2]]) + typeof samples[1][NAMES[3]] === "undefinedfunction" ? 1 : 0];
}"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert compilation.compiled, compilation.reason
    assert_identical(compiled, per_pixel)


@pytest.mark.parametrize(
    ("body", "construct"),
    [
        ("return [samples.map(function (s) { return s.B04; })[0], 0];", "samples.map() (line 4)"),
        ("var f = function () { return samples[0].B04; }; return [f(), 0];", "used inside a nested function"),
        ("return [samples[0] === samples[1] ? 1 : 0, 0];", "used as a value (an operator)"),
        ("samples[0].B04 = 1; return [0, 0];", "modified or called"),
        ("return [arguments.length, 0];", "arguments in evaluatePixel"),
        ("return [eval('1'), 0];", "eval"),
        ("var samples = 1; return [samples, 0];", "'samples' declared again"),
        ("return [Math.max.apply(null, [samples[0]]), 0];", "used as a value (put in an array)"),
    ],
)
def test_what_the_compiler_does_not_handle_runs_per_pixel_and_is_named(kit, rng, body, construct, caplog):
    source = ORBIT_HEAD + "function evaluatePixel(samples) {\n  " + body + "\n}"
    with caplog.at_level(logging.INFO, logger="tilewise.engine.evalscript.runtime"):
        compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert not compilation.compiled and construct in compilation.reason
    assert any(construct in record.getMessage() for record in caplog.records)  # one log line names it
    assert_identical(compiled, per_pixel)


def test_an_evaluate_pixel_reassigned_by_the_script_is_not_compiled(kit, rng):
    source = (
        ORBIT_HEAD
        + """
function evaluatePixel(samples) { return [1, 1]; }
function other(samples) { return [2, samples[0].B04]; }
evaluatePixel = other;"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert not compilation.compiled and "evaluatePixel" in compilation.reason
    assert_identical(compiled, per_pixel)


def test_a_strict_script_stays_strict(kit, rng):
    source = (
        '"use strict";\n'
        + ORBIT_HEAD.replace("//VERSION=3\n", "")
        + """
function evaluatePixel(samples) { undeclared = samples[0].B04; return [undeclared, 0]; }"""
    )
    source = "//VERSION=3\n" + source
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert compilation.compiled
    assert isinstance(per_pixel, str) and "ReferenceError" in per_pixel
    assert_identical(compiled, per_pixel)


def test_an_error_in_a_compiled_script_has_the_scripts_line_and_column(kit, rng):
    source = (
        ORBIT_HEAD
        + """
function evaluatePixel(samples) {
  if (samples[0].B04 > 0.3) return [samples[0].B04.nothing.here, 0];
  return [0, 0];
}"""
    )
    errors = []
    for compile in (True, False):
        with EvalscriptRuntime(source, Limits(compile=compile, planes=True)) as runtime:
            assert runtime.compilation.compiled == compile
            with pytest.raises(EvalscriptError) as info:
                runtime.evaluate(orbit_stack(kit, rng))
            errors.append((str(info.value), info.value.line, info.value.column))
    assert errors[0] == errors[1] and errors[0][1] == 5  # line 5 of the script, not of the compiled loop


def test_a_script_whose_pixels_depend_on_earlier_pixels_fails_the_check_and_is_redone_per_pixel(kit):
    counter = """//VERSION=3
var n = 0;
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { n++; return [n + s.B04]; }"""
    stack = kit.simple({"B04": np.zeros((40, 50))})
    with EvalscriptRuntime(counter, Limits(planes=True)) as runtime:
        assert runtime.compilation.compiled
        first = runtime.evaluate(stack)
        assert first.evaluation == "per-pixel after a failed check"
        np.testing.assert_array_equal(first.outputs["default"].data[0].ravel(), np.arange(1, 2001))
        assert not runtime.compilation.compiled and "sample check" in runtime.compilation.reason
        assert runtime.evaluate(stack).evaluation == "per-pixel"


def test_the_compiler_can_be_switched_off(kit, rng):
    source = ORBIT_HEAD + "function evaluatePixel(samples) { return [samples[0].B04, 0]; }"
    with EvalscriptRuntime(source, Limits(compile=False)) as runtime:
        assert not runtime.compilation.compiled and runtime.compilation.reason == "the compiler is off"
        assert runtime.evaluate(orbit_stack(kit, rng)).evaluation == "per-pixel"


@pytest.mark.parametrize(
    "prelude",
    [
        "",
        "Date.prototype.valueOf = function () { return 42; };",
        "Date.prototype[Symbol.toPrimitive] = function (hint) { return hint === 'number' ? 7 : 'x'; };",
        "Date.prototype.getTime = function () { return -1; };",
        "Function.prototype.call = function () { return 3; };",
    ],
)
@pytest.mark.parametrize("planes", [False, True], ids=["sample objects", "band planes"])
def test_operators_on_dates_and_other_values_give_the_per_pixel_results(kit, rng, prelude, planes):
    source = (
        ORBIT_HEAD
        + prelude
        + """
var SPLIT = new Date(Date.UTC(2023, 6, 8));
class Stamp extends Date {}
var odd = {valueOf: function () { return 0.25; }};
var strings = ["a", "b"];
function day(scene) { var d = new Date(scene.date); d.setUTCHours(0, 0, 0, 0); return d; }
function evaluatePixel(samples, scenes) {
  var late = 0, span = 0, x = samples[0].B04;
  for (var i = 0; i < samples.length; i++) {
    var d = day(scenes[i]);
    if (d >= SPLIT) late += 1;
    if (new Stamp(d) < SPLIT) late += 10;
    span += (d - SPLIT) / 86400000 * x - -d % 7 + +d / 1e12;
  }
  var mixed = (odd < x ? 1 : 0) + (strings[0] < strings[1] ? 2 : 0) + ("10" < "9" ? 4 : 0) + (null >= 0 ? 8 : 0);
  return [late + mixed + (undefined < 1 ? 100 : 0), span];
}"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert compilation.compiled, compilation.reason
    assert_identical(compiled, per_pixel)


def test_a_date_compared_with_a_bigint_throws_the_same_error(kit, rng):
    source = (
        ORBIT_HEAD
        + """
function evaluatePixel(samples, scenes) { return [scenes[0].date - 1n, 0]; }"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert compilation.compiled and isinstance(per_pixel, str) and "BigInt" in per_pixel
    assert_identical(compiled, per_pixel)


@pytest.mark.parametrize(
    ("code", "construct"),
    [
        ("var o = {get v() { return 1; }};", "a getter or setter"),
        ("var p = new Proxy({}, {});", "Proxy"),
        ("Object.defineProperty(Date.prototype, 'x', {value: 1});", "defineProperty"),
    ],
)
def test_scripts_that_may_define_getters_run_per_pixel(kit, rng, code, construct):
    source = ORBIT_HEAD + code + "\nfunction evaluatePixel(samples) { return [samples[0].B04, 0]; }"
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng))
    assert not compilation.compiled and construct in compilation.reason
    assert_identical(compiled, per_pixel)


def test_by_default_a_script_without_dates_stays_per_pixel_and_says_why(kit, rng):
    source = ORBIT_HEAD + "function evaluatePixel(samples) { return [samples[0].B04 * 2, samples.length]; }"
    with EvalscriptRuntime(source, Limits()) as runtime:
        assert not runtime.compilation.compiled and "no Dates" in runtime.compilation.reason
        assert runtime.evaluate(orbit_stack(kit, rng)).evaluation == "per-pixel"


def test_by_default_the_tutorial_script_compiles_with_its_sample_objects_and_gives_the_same_outputs(kit, rng):
    source = (ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js").read_text()
    shape = (6, 12, 17)
    bands = {
        "B04": np.round(rng.uniform(300, 3000, shape)),
        "B08": np.round(rng.uniform(300, 5000, shape)),
        "CLM": (rng.random(shape) < 0.2).astype(np.float32),
    }
    stack = kit.stack(bands, [kit.orbit(1 + 5 * k) for k in range(6)][::-1])
    compiled, per_pixel, compilation = both(source, stack, planes=False)
    assert compilation.compiled and not compilation.specialised.samples
    assert compiled.evaluation == "compiled"
    assert_identical(compiled, per_pixel)


SIMPLE_HEAD = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 2, sampleType: "FLOAT32"}}; }
"""
INLINE_BODIES = {
    # a `var` assigned on some pixels only: undefined again on the next pixel, as in a fresh call
    "var_reset": "function evaluatePixel(s) { var a; if (s.B04 > 0.25) a = 1; return [a === undefined ? -1 : a, 0]; }",
    # the body's own `i`, `n`, `r`, `o0` next to the loop's
    "loop_names": """function evaluatePixel(s) {
  var i = 0, n = 3, r = 0, o0 = 1, k = 2, fast = 5;
  for (i = 0; i < n; i++) r += s.B04 * i;
  return [r + o0 + k + fast, n];
}""",
    # parameters reassigned on some pixels: bound again at every pixel
    "params": """function evaluatePixel(s, scenes, inputMetadata) {
  if (s.B04 > 0.25) { scenes = 7; inputMetadata = null; }
  return [typeof scenes === 'number' ? scenes : -1, inputMetadata === null ? 1 : 0];
}""",
    # returns from inside a loop, a switch and a try whose finally returns instead
    "nested_returns": """function evaluatePixel(s) {
  for (var j = 0; j < 4; j++) { if (s.B04 * 4 < j) return [j, 1]; }
  switch (Math.floor(s.B08 * 10)) { case 1: return [10, 2]; case 2: { return [20, 3]; } }
  try { if (s.B08 > 0.5) return [1, 1]; } finally { if (s.B04 > 0.4) return [2, 2]; }
  return [s.B04, s.B08];
}""",
    # an element that is not a number: the slow path stores it, as it would the array
    "not_numbers": "function evaluatePixel(s) { return [s.B04 > 0.25 ? null : s.B04, s.B08 > 0.3 ? 'x' : true]; }",
    # returns of another length, of a variable, and an object of outputs
    "other_returns": """function evaluatePixel(s) {
  var out = [s.B04, s.B08];
  if (s.B04 > 0.4) return out;
  if (s.B04 > 0.3) return [s.B04];
  return {default: [s.B08, s.B04]};
}""",
    "bare_return": "function evaluatePixel(s) { if (s.B04 > 0.45) return; return [1, 2]; }",
    "error_midway": "function evaluatePixel(s) { if (s.B04 > 0.49) undefinedName.x = 1; return [1, 2]; }",
}


@pytest.mark.parametrize("name", sorted(INLINE_BODIES))
def test_evaluate_pixels_body_runs_inside_the_pixel_loop_with_a_calls_semantics(kit, rng, name):
    source = SIMPLE_HEAD + INLINE_BODIES[name]
    stack = kit.simple({"B04": rng.uniform(0, 0.5, (20, 30)), "B08": rng.uniform(0, 0.6, (20, 30))})
    compiled, per_pixel, compilation = both(source, stack)
    assert compilation.compiled and compilation.specialised.inline is not None
    assert isinstance(compiled, str) or compiled.evaluation == "compiled"  # not redone after a failed check
    assert_identical(compiled, per_pixel)


@pytest.mark.parametrize(
    "body",
    [
        "function evaluatePixel(s) { var f = function () { return s.B04; }; return [f(), 0]; }",
        "function evaluatePixel(s) { return [this === undefined ? 0 : 1, 0]; }",
        "function evaluatePixel(s) { return [arguments.length, 0]; }",
        "function evaluatePixel(s) { 'use strict'; return [s.B04, 0]; }",
        "function evaluatePixel(s, sc = 3) { return [s.B04, sc]; }",
    ],
    ids=["nested_function", "this", "arguments", "own_use_strict", "default_parameter"],
)
def test_a_body_that_needs_its_own_call_is_still_compiled_but_called_per_pixel(kit, rng, body):
    stack = kit.simple({"B04": rng.uniform(0, 0.5, (6, 7)), "B08": rng.uniform(0, 0.6, (6, 7))})
    compiled, per_pixel, compilation = both(SIMPLE_HEAD + body, stack)
    if compilation.compiled:
        assert compilation.specialised.inline is None
    assert_identical(compiled, per_pixel)


def test_orbit_bodies_run_inside_the_pixel_loop_with_their_sample_loops(kit, rng):
    source = (
        ORBIT_HEAD
        + """
function evaluatePixel(samples, scenes) {
  var best = -1, at = -1;
  for (var i = 0; i < samples.length; i++) {
    if (samples[i].CLM === 1) continue;
    var v = (samples[i].B08 - samples[i].B04) / (samples[i].B08 + samples[i].B04);
    if (v > best) { best = v; at = i; }
  }
  return [best, at < 0 ? NaN : scenes[at].date.getUTCDate()];
}"""
    )
    compiled, per_pixel, compilation = both(source, orbit_stack(kit, rng, samples=5))
    assert compilation.compiled and compilation.specialised.inline is not None
    assert compiled.evaluation == "compiled"
    assert_identical(compiled, per_pixel)


def test_the_inline_loop_follows_update_output_from_tile_to_tile(kit, rng):
    # the array literal is stored directly while it has the output's length, and by the store otherwise
    source = """//VERSION=3
function setup() { return {input: ["B04", "B08", "CLM"], output: {bands: 2, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
function updateOutput(outputs, collection) { outputs.default.bands = collection.scenes.length; }
function evaluatePixel(samples) { return [samples[0].B04, samples[1].B08]; }"""
    with (
        EvalscriptRuntime(source, Limits(planes=True)) as compiled,
        EvalscriptRuntime(source, Limits(compile=False)) as per_pixel,
    ):
        assert compiled.compilation.specialised.inline is not None
        for samples in (2, 3, 2):
            stack = orbit_stack(kit, rng, samples=samples)
            results = []
            for runtime in (compiled, per_pixel):
                try:
                    results.append(runtime.evaluate(stack))
                except EvalscriptError as error:
                    results.append(str(error))
            assert_identical(*results)
            assert isinstance(results[0], str) or results[0].evaluation == "compiled"
