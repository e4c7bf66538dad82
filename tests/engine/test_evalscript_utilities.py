"""Sentinel Hub's evalscript utility functions in the engine, checked against the worked examples of Sentinel
Hub's documentation (github.com/eu-cdse/documentation, APIs/SentinelHub/Evalscript/Utilities.qmd and
Functions.md) and against the real scripts of the evalscript corpus that use them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from evalscript_corpus import corpus_scripts
from testkit import shared_file

from tilewise.core.evalscript import inspect_evalscript
from tilewise.core.evalscript.utilities import UTILITY_NAMES
from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits, compile_script
from tilewise.engine.samples import Mosaicking, Sample, SampleStack, Scene

JULY = datetime(2023, 7, 1, tzinfo=timezone.utc)


def day(number: int) -> Sample:
    moment = JULY + timedelta(days=number - 1, hours=10)
    item = Scene(f"S2B_33TWM_202307{number:02d}_0_L2A", moment, 5.0, f"s3://bucket/{number}", {})
    return Sample(moment - timedelta(hours=10), moment + timedelta(hours=14), (item,))


def pixels(count: int) -> SampleStack:
    """One row of `count` pixels whose B04 holds the pixel's position (0, 1, 2 …)."""
    positions = np.arange(count, dtype=np.float32).reshape(1, 1, count)
    return SampleStack([day(1)], {"B04": positions}, np.ones((1, 1, count), np.uint8), 1, count)


def evaluate(expression: str, inputs: list, bands: int = 1, top: str = "") -> np.ndarray:
    """(pixels, bands): each pixel returns `expression` with `v` = its entry of `inputs` (as exact doubles)."""
    script = f"""//VERSION=3
{top}
var INPUTS = {json.dumps(inputs)};
function setup() {{ return {{input: ["B04"], output: {{bands: {bands}, sampleType: "FLOAT32"}}}}; }}
function evaluatePixel(sample) {{
  var v = INPUTS[sample.B04];
  var result = {expression};
  return Array.isArray(result) ? result : [result];
}}
"""
    with EvalscriptRuntime(script, Limits()) as runtime:
        data = runtime.evaluate(pixels(len(inputs))).outputs["default"].data
    return data.reshape(bands, len(inputs)).T


def expect(expression: str, cases: dict, top: str = "") -> None:
    """Each input of `cases` gives its documented result (a number or an RGB triplet)."""
    inputs, results = list(cases), [np.atleast_1d(np.asarray(r, np.float64)) for r in cases.values()]
    got = evaluate(expression, inputs, len(results[0]), top)
    np.testing.assert_array_equal(got, np.array(results).astype(np.float32))


def rgb(*levels: int) -> list[float]:
    return [level / 255 for level in levels]


# --- helper functions ------------------------------------------------------------------------------------


def test_index_is_difference_over_sum_and_zero_when_the_sum_is_zero():
    expect(
        "index(v[0], v[1])", {(0.6, 0.4): 0.19999999999999996, (0.5, -0.5): 0.0, (0, 0): 0.0, (1, 3): -0.5}
    )


def test_inverse_is_one_over_x_and_java_double_max_at_zero():
    expect("inverse(v)", {2.0: 0.5, 5.0: 0.2, -4.0: -0.25})
    expect("inverse(v) === 1.7976931348623157e308 && inverse(v) === JAVA_DOUBLE_MAX_VAL ? 1 : 0", {0: 1})


def test_int2rgb_rgb2int_normalize_and_combine_follow_the_documented_examples():
    expect("int2rgb(v)", {255: [0, 0, 255], 256: [0, 1, 0], 65537: [1, 0, 1]})
    expect("rgb2int(v)", {(0, 0, 255): 255, (0, 1, 0): 256, (1, 0, 1): 65537})
    expect("normalizeRGB(v)", {(255, 51, 0): [1, 0.2, 0]})
    expect("combine([100, 0, 0], [0, 100, 0], v)", {1: [100, 0, 0], 0: [0, 100, 0], 0.5: [50, 50, 0]})


def test_value_map_gives_the_value_of_the_interval_closed_on_the_right():
    expect(
        "valueMap(v, [1, 3, 5, 7, 10], [100, 300, 500, 700, 900])",
        {5: 500, 1: 100, 2: 300, 12: 900, -3: 100, 7.5: 900},
    )
    expect("valueMap(v)", {50: 50})


STOPS = "[-10, -5, 0, 5, 10], [-1000, -50, 0, 50, 1000]"
COLOURS = "[0, 0.2, 0.4, 0.6, 0.8, 1], [[0, 0, 0], [0.1, 0.2, 0.5], [0.25, 0.4, 0.5], [0.4, 0.6, 0.5], [0.75, 0.8, 0.5], [1, 1, 0.5]]"


@pytest.mark.parametrize("name", ["valueInterpolate", "colorBlend"])
def test_value_interpolate_and_color_blend_are_linear_between_stops_and_clamped_outside(name):
    expect(f"{name}(v, {STOPS})", {0: 0, -10: -1000, 9: 810, -20: -1000, 30: 1000, 2.5: 25})
    expect(f"{name}(v)", {50: 50})
    # several colour stops; 0.25 lies a quarter of the way from the 0.2 colour to the 0.4 one (Sentinel Hub's FAQ)
    expect(
        f"{name}(v, {COLOURS})",
        {
            0.1: [0.05, 0.1, 0.25],
            0.25: [0.1 * 0.75 + 0.25 * 0.25, 0.2 * 0.75 + 0.4 * 0.25, 0.5],
            0.4: [0.25, 0.4, 0.5],
            -1: [0, 0, 0],
            2: [1, 1, 0.5],
        },
    )


def test_color_blend_returns_a_copy_that_the_script_may_change():
    top = "var PALETTE = [[1, 0, 0], [0, 0, 1]];"
    expression = "(function () { var c = colorBlend(v, [0, 1], PALETTE); c.push(7); c[0] = 9; return PALETTE[0].concat([PALETTE[0].length]); })()"
    np.testing.assert_array_equal(evaluate(expression, [-1, 2, -1], 4, top), [[1, 0, 0, 3]] * 3)


def test_decode_l8_c2_qa_unpacks_the_documented_example():
    conditions = "(function (q) { return [q.fill, q.dilatedCloud, q.cirrus, q.cloud, q.cloudShadow, q.snow, q.clear, q.water, q.cloudConfidence, q.cloudShadowConfidence, q.snowIceConfidence, q.cirrusConfidence]; })(decodeL8C2Qa(v))"
    expect(conditions, {55052: [0, 0, 1, 1, 0, 0, 0, 0, 3, 1, 1, 3]})


# --- visualizers -----------------------------------------------------------------------------------------

RED_TO_BLUE = {
    199: [1, 0, 0],
    200: [1, 0, 0],
    250: rgb(128, 0, 128),
    299: rgb(3, 0, 252),
    300: [0, 0, 1],
    301: [0, 0, 1],
}


@pytest.mark.parametrize(
    "ramp",
    [
        "[[200, 0xff0000], [300, 0x0000ff]]",
        "[[200, [1, 0, 0]], [300, [0, 0, 1]]]",
        '[[200, "#ff0000"], [300, "#0000FF"]]',
    ],
    ids=["hex number", "normalized array", "hex string"],
)
def test_color_ramp_interpolates_whole_8_bit_levels_and_clamps_outside_the_stops(ramp):
    # Sentinel Hub's example: 250 -> 0.5019607843137255 = 128/255, 299 -> 3/255 and 252/255 (it prints [0, 1, 0]
    # for 300, a typo: the last stop is blue)
    expect(f"new ColorRampVisualizer({ramp}).process(v)", RED_TO_BLUE)


def test_color_ramp_with_three_stops_at_a_stop_halfway_below_and_above():
    ramp = "new ColorRampVisualizer([[0, 0x000000], [0.5, 0xff8000], [1.0, 0xffffff]])"
    expect(
        f"{ramp}.process(v)",
        {-1: [0, 0, 0], 0.5: rgb(255, 128, 0), 0.25: rgb(128, 64, 0), 0.75: rgb(255, 192, 128), 2: [1, 1, 1]},
    )


def test_color_ramp_min_and_max_override_rescale_the_stops_linearly():
    ramp = "new ColorRampVisualizer([[0, 0x000000], [0.5, 0xff0000], [1, 0xffffff]], 10, 20)"
    expect(
        f"{ramp}.process(v)",
        {10: [0, 0, 0], 12.5: rgb(128, 0, 0), 15: [1, 0, 0], 20: [1, 1, 1], 0.5: [0, 0, 0]},
    )
    only_min = "new ColorRampVisualizer([[0, 0x000000], [10, 0xffffff]], 5)"  # the maximum stays the ramp's
    expect(f"{only_min}.process(v)", {5: [0, 0, 0], 7.5: rgb(128, 128, 128), 10: [1, 1, 1], 2: [0, 0, 0]})


def test_color_ramp_inverse_runs_the_colours_the_other_way():
    expect(
        "new ColorRampVisualizer([[0, 0xff0000], [1, 0x00ff00], [3, 0x0000ff]]).inverse().process(v)",
        {0: [0, 0, 1], 1: [0, 1, 0], 3: [1, 0, 0], 2: rgb(128, 128, 0)},
    )


# Sentinel Hub's examples at 0.0, 0.3, 0.5, 0.8 and 1.0 print these 8-bit levels divided by 255
# (0.43137254901960786 = 110/255 …)
FACTORY_PROBES = (0.0, 0.3, 0.5, 0.8, 1.0)
DOCUMENTED_FACTORIES = {
    "createRedTemperature": [(0, 0, 0), (110, 0, 0), (183, 12, 0), (255, 158, 51), (255, 255, 255)],
    "createWhiteGreen": [(0, 0, 0), (0, 76, 0), (43, 128, 0), (170, 204, 85), (255, 255, 255)],
    "createBlueRed": [(0, 0, 128), (0, 179, 255), (128, 255, 128), (255, 76, 0), (128, 0, 0)],
}


def documented(factory: str, low: float = 0.0, high: float = 1.0) -> dict:
    return {
        low + p * (high - low): rgb(*levels)
        for p, levels in zip(FACTORY_PROBES, DOCUMENTED_FACTORIES[factory])
    }


@pytest.mark.parametrize("visualizer", ["ColorRampVisualizer", "ColorGradientVisualizer"])
@pytest.mark.parametrize("factory", list(DOCUMENTED_FACTORIES))
def test_built_in_ramps_give_the_documented_colours(visualizer, factory):
    expect(f"{visualizer}.{factory}(0.0, 1.0).process(v)", documented(factory))


def test_built_in_ramps_stretch_to_the_given_interval():
    expect("ColorRampVisualizer.createBlueRed(-1, 1).process(v)", documented("createBlueRed", -1, 1))


def test_ocean_color_runs_from_purple_at_the_minimum_to_dark_red_at_the_maximum():
    expect(
        "ColorRampVisualizer.createOceanColor(0, 70).process(v)",
        {
            0: rgb(147, 0, 108),
            -5: rgb(147, 0, 108),
            14: rgb(0, 10, 255),
            70: rgb(105, 0, 0),
            99: rgb(105, 0, 0),
            0.0471 * 35: rgb(129, 0, 126),
        },  # fmt: skip
    )


def test_color_map_takes_the_colour_of_the_last_value_reached():
    expect("new ColorMapVisualizer([[200, 0xff0000], [300, 0x0000ff]]).process(v)", {
        199: [1, 0, 0], 200: [1, 0, 0], 250: [1, 0, 0], 299: [1, 0, 0], 300: [0, 0, 1], 1000: [0, 0, 1],
    })  # fmt: skip
    expect(
        "ColorMapVisualizer.createDefaultColorMap().process(v)",
        {-2: [0, 0, 0], 0.05: rgb(0x66, 0, 0), 0.1: rgb(0xFF, 0xFF, 0x33), 0.95: rgb(0, 0x66, 0)},
    )


HIGHLIGHT = {
    0: 0,
    0.1: 0,
    0.25: 0.5,
    0.376: 0.92,
    0.4: 0.9259259259259259,
    0.55: 0.962962962962963,
    0.7: 1,
    1.1: 1,
}


def test_highlight_compress_follows_the_documented_examples():
    expect("new HighlightCompressVisualizer(0.1, 0.4).process(v)", HIGHLIGHT)
    expect("new HighlightCompressVisualizer(0.1, 0.4).processList(v)", {(0.25, 0.7, 0): [0.5, 1, 0]})
    expect("new HighlightCompressVisualizerSingle(0.1, 0.4).process(v)", HIGHLIGHT)
    expect("new HighlightCompressVisualizerSingle(0.1, 0.4).process(v).length", {0.3: 1})


def test_highlight_compress_only_compresses_when_the_maximum_lies_between_0_and_1():
    expect("new HighlightCompressVisualizer(0, 2).process(v)", {1.9: 0.95, 3: 1, -1: 0})
    expect("new HighlightCompressVisualizer().process(v)", {0.96: 0.96})


def test_highlight_compress_gain_offset_and_gamma():
    expect("new HighlightCompressVisualizer(0, 2, 2, 0.1, 1).process(v)", {0.5: 0.6})
    expect("new HighlightCompressVisualizer(0, 2, 1, 0, 2).process(v)", {1: 0.25, -1: 0})


def test_default_visualizer_stretches_linearly_without_compression():
    expect(
        "new DefaultVisualizer(0.1, 0.4).process(v)",
        {0.25: 0.5, 0.39: (0.39 - 0.1) * (1 / (0.4 - 0.1)), 0.5: 1, 0: 0},
    )


def test_nan_reaches_no_stop_and_gets_the_last_colour_or_value():
    nan = float("nan")
    expect("new ColorRampVisualizer([[0, 0xff0000], [1, 0x0000ff]]).process(v)", {nan: [0, 0, 1]})
    expect("new ColorMapVisualizer([[0, 0xff0000], [1, 0x0000ff]]).process(v)", {nan: [0, 0, 1]})
    expect(f"valueInterpolate(v, {STOPS})", {nan: 1000})
    expect("valueMap(v, [1, 3], [10, 30])", {nan: 30})


def test_identity_wraps_a_number_and_passes_an_array():
    expect("new Identity().process(v)", {3: 3, -0.5: -0.5})
    expect("new Identity().process(v)", {(1, 2): [1, 2]})


# --- the global object -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declaration",
    [
        "function index(a, b) { return 42; }",
        "const index = function () { return 42; };",
        "let index = () => 42;",
        "var index = function () { return 42; };",
        "class index { constructor() { return [42]; } }",
    ],
)
def test_a_script_may_declare_its_own_index(declaration):
    call = "new index()" if declaration.startswith("class") else "index(v, 1)"
    expect(call, {0.5: 42}, top=declaration)


def test_utilities_keep_working_when_a_script_replaces_the_ones_they_use():
    top = "function combine() { return [9, 9, 9]; } const int2rgb = null; var normalizeRGB = 0;"
    expect(
        "new ColorRampVisualizer([[200, 0xff0000], [300, 0x0000ff]]).process(v)", {250: rgb(128, 0, 128)}, top
    )


def test_every_listed_utility_is_a_configurable_global_of_the_engine():
    names = json.dumps(list(UTILITY_NAMES))
    check = f"{names}.every(function (n) {{ var d = Object.getOwnPropertyDescriptor(globalThis, n); return d && d.configurable && d.value !== undefined; }}) ? 1 : 0"  # fmt: skip
    expect(check, {0: 1})


def test_console_is_there_and_writes_nowhere():
    calls = "(console.log('a', v), console.info(v), console.warn(v), console.error(v), console.debug(v), v)"
    expect(calls, {1: 1})


def test_the_form_check_runs_top_level_code_that_uses_the_utilities():
    script = """//VERSION=3
const viz = ColorRampVisualizer.createRedTemperature(0, 1);
const bands = viz.process(0.5).length + (index(0, 0) === 0 ? 0 : 100);
function setup() { return {input: ["B04"], output: {bands: bands}}; }
function evaluatePixel(sample) { return viz.process(sample.B04); }
"""
    assert [output.bands for output in inspect_evalscript(script).outputs] == [3]


# --- the corpus ------------------------------------------------------------------------------------------

# Scripts that use a helper but fail here for a reason of their own: the error they give, and, where there is
# one, the smallest change to the script that sets that reason aside (so their helpers are still exercised).
NOT_RUNNABLE: dict[str, tuple[str, tuple[str, str] | None]] = {
    "agriculture_growth_stage__quarterly_mosaics.js": ("reading 'length'", None),  # data fusion (Q1/Q2/Q3)
    "ndvi__raw.js": (  # returns index(...) itself; the helper has run by then
        r"returned -?[0-9.e-]+ \(a number\)",
        ("return index(samples.B08, samples.B04)", "return [index(samples.B08, samples.B04)]"),
    ),
}
CATEGORICAL = {"SCL": 12, "CLM": 2}  # band -> number of classes; the others get reflectances


def corpus_scripts_using_helpers() -> list[str]:
    return [script.name for script in corpus_scripts() if script.uses_helpers]


def generated_stack(setup, rng: np.random.Generator) -> SampleStack:
    samples = 1 if setup.mosaicking is Mosaicking.SIMPLE else 3
    shape = (samples, 4, 5)
    bands = {
        band: (
            rng.integers(0, CATEGORICAL[band], shape).astype(np.float32)
            if band in CATEGORICAL
            else rng.uniform(0.01, 0.6, shape).astype(np.float32)
        )
        for band in setup.bands
        if band != "dataMask"
    }
    mask = np.ones(shape, np.uint8)
    mask[:, 0, 0] = 0
    return SampleStack([day(d * 5 + 1) for d in range(samples)], bands, mask, 4, 5)


def run_on_generated_data(source: str) -> None:
    setup = compile_script(source, Limits())
    with EvalscriptRuntime(source, Limits()) as runtime:
        result = runtime.evaluate(generated_stack(setup, np.random.default_rng(7)))
    assert set(result.outputs) == {output.id for output in setup.outputs}
    assert all(raster.data.shape[1:] == (4, 5) for raster in result.outputs.values())


@pytest.mark.parametrize("name", corpus_scripts_using_helpers())
def test_corpus_script_using_a_helper_compiles_and_evaluates_or_fails_for_its_listed_reason(name):
    source = shared_file(f"data/evalscript-corpus/{name}").read_text()
    if name not in NOT_RUNNABLE:
        run_on_generated_data(source)
        return
    with pytest.raises(EvalscriptError, match=NOT_RUNNABLE[name][0]) as failure:
        run_on_generated_data(source)
    assert "ReferenceError" not in str(failure.value)


@pytest.mark.parametrize("name", [name for name, (_, change) in NOT_RUNNABLE.items() if change])
def test_corpus_script_runs_once_its_own_problem_is_set_aside(name):
    source = shared_file(f"data/evalscript-corpus/{name}").read_text()
    old, new = NOT_RUNNABLE[name][1]
    assert old in source
    run_on_generated_data(source.replace(old, new, 1))


def test_every_listed_corpus_failure_is_a_script_that_uses_a_helper():
    assert set(NOT_RUNNABLE) <= set(corpus_scripts_using_helpers())
