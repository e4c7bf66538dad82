"""inspect_evalscript: what setup() declares, read by running it in V8, and every problem with its line."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from testkit import replace_imports

from tilewise.core.evalscript import (
    EvalscriptProblem,
    ScriptInfo,
    ScriptOutput,
    inspect_evalscript,
)
from tilewise.core.evalscript import inspect as evalscript_inspect
from tilewise.core.presets import EVALSCRIPTS_DIR

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
TRUE_COLOR = (CLIENTS / "tutorial_true_color_evalscript.js").read_text()
INTERPOLATION = (EVALSCRIPTS_DIR / "04_ndvi_interpolation_tutorial.js").read_text()
PIXEL = "function evaluatePixel(sample) {\n  return [0];\n}\n"


def script(*lines: str) -> str:
    """//VERSION=3 on line 1, then `lines` from line 2 on, then an evaluatePixel."""
    return "\n".join(("//VERSION=3", *lines)) + "\n" + PIXEL


def problem(source: str) -> EvalscriptProblem:
    with pytest.raises(EvalscriptProblem) as info:
        inspect_evalscript(source)
    return info.value


def line_of(source: str, fragment: str) -> int:
    """The 1-based line holding `fragment` (exactly once), so tests do not hard-code numbers."""
    hits = [n for n, text in enumerate(source.split("\n"), 1) if fragment in text]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


# --- The checks made before reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["", "   \n\t\n"])
def test_an_empty_script_asks_for_a_preset_or_a_script(source):
    error = problem(source)
    assert error.message == "The evalscript is empty: pick a preset or write one."
    assert error.line is None


@pytest.mark.parametrize(
    "first",
    ["", "//VERSION=2\n", "// VERSION 3\n", "/* VERSION=3 */\n", "function a() {}\n//VERSION=3\n"],
    ids=["missing", "version-2", "no-equals", "block-comment", "not-first"],
)
def test_the_version_line_must_come_first_and_the_problem_is_on_line_1(first):
    body = 'function setup() { return {input: ["B04"], output: {bands: 1}}; }\n' + PIXEL
    error = problem(first + body)
    assert error.line == 1
    assert "//VERSION=3" in error.message and "first line" in error.message


def test_the_version_line_may_be_spaced_and_follow_blank_lines():
    source = (
        '\n\n  // VERSION = 3\nfunction setup() { return {input: ["B04"], output: {bands: 2}}; }\n' + PIXEL
    )
    assert inspect_evalscript(source).outputs == (ScriptOutput("default", 2, "AUTO"),)


@pytest.mark.parametrize(
    "source, named, not_named",
    [
        ("//VERSION=3\n" + PIXEL, "no setup() function", "evaluatePixel"),
        (
            '//VERSION=3\nfunction setup() { return {input: ["B04"], output: {bands: 1}}; }\n',
            "no evaluatePixel()",
            "setup",
        ),
        ("//VERSION=3\nvar a = 1;\n", "neither setup() nor evaluatePixel()", None),
        ("//VERSION=3\n// function setup() {}\nvar t = 'function evaluatePixel(s) {}';\n", "neither", None),
    ],
    ids=["no-setup", "no-evaluatePixel", "neither", "only-in-comments-and-strings"],
)
def test_a_missing_function_is_named(source, named, not_named):
    error = problem(source)
    assert named in error.message
    if not_named is not None:
        assert f"no {not_named}" not in error.message


def test_function_expressions_and_arrows_define_setup_and_evaluate_pixel():
    source = (
        "//VERSION=3\n"
        'var setup = function () {\n  return {input: ["B04"], output: {id: "x", bands: 1}};\n};\n'
        "const evaluatePixel = (s) => [s.B04];\n"
    )
    assert inspect_evalscript(source).outputs == (ScriptOutput("x", 1, "AUTO"),)
    arrow = '//VERSION=3\nsetup = () => ({input: ["B08"], output: {bands: 3}});\nevaluatePixel = s => [1, 2, 3];\n'
    info = inspect_evalscript(arrow)
    assert info.input_bands == ("B08",) and info.outputs == (ScriptOutput("default", 3, "AUTO"),)


# --- Reading setup() -----------------------------------------------------------------------------------------------


def test_the_tutorial_true_colour_script_reads_the_same_both_ways():
    assert inspect_evalscript(TRUE_COLOR) == ScriptInfo(
        input_bands=("B02", "B03", "B04"),
        outputs=(ScriptOutput("default", 3, "AUTO"),),
        mosaicking="SIMPLE",
    )


def weekly_steps_of_july_2023() -> int:
    """sample_timestamps(2023-07-01, 2023-07-30, 7, 'day'): dates from the 1st, 7 days apart, before the 30th."""
    day, count = date(2023, 7, 1), 0
    while day < date(2023, 7, 30):
        count += 1
        day += timedelta(days=7)
    return count


def test_v8_gives_the_tutorial_interpolation_its_exact_band_count():
    assert weekly_steps_of_july_2023() == 5  # 1, 8, 15, 22 and 29 July
    info = inspect_evalscript(INTERPOLATION)
    assert info == ScriptInfo(
        input_bands=("B04", "B08", "CLM", "dataMask"),
        outputs=(ScriptOutput("NDVI", 5, "UINT16"), ScriptOutput("data_mask", 5, "UINT8")),
        mosaicking="ORBIT",
    )


def test_data_fusion_inputs_collect_the_bands_of_every_datasource():
    source = script(
        "function setup() {",
        "  return {",
        "    input: [",
        '      {datasource: "s2l2a", bands: ["B04", "B08", "dataMask"], units: "DN"},',
        '      {datasource: "s1", bands: ["VV", "VH", "dataMask"]}',
        "    ],",
        '    output: [{id: "fused", bands: 3, sampleType: SampleType.FLOAT32}]',
        "  };",
        "}",
    )
    info = inspect_evalscript(source)
    # dataMask is read once per datasource; within one source a band counts once
    assert info.input_bands == ("B04", "B08", "dataMask", "VV", "VH", "dataMask")
    assert info.outputs == (ScriptOutput("fused", 3, "FLOAT32"),)


def test_input_as_band_names_keeps_their_order_and_drops_repeats():
    source = script(
        'function setup() { return {input: ["B08", "B04", "B08", "dataMask"], output: {bands: 1}}; }'
    )
    assert inspect_evalscript(source).input_bands == ("B08", "B04", "dataMask")


@pytest.mark.parametrize("sample_type", ["AUTO", "UINT8", "UINT16", "INT8", "INT16", "FLOAT32"])
@pytest.mark.parametrize("spelling", ["constant", "string"])
def test_sample_types_are_read_as_constants_and_as_strings(sample_type, spelling):
    value = f"SampleType.{sample_type}" if spelling == "constant" else f"'{sample_type}'"
    source = script(
        f'function setup() {{ return {{input: ["B04"], output: {{bands: 1, sampleType: {value}}}}}; }}'
    )
    assert inspect_evalscript(source).outputs[0].sample_type == sample_type


@pytest.mark.parametrize(
    "declared, expected",
    [("", "SIMPLE"), (', mosaicking: "TILE"', "TILE"), (", mosaicking: Mosaicking.ORBIT", "ORBIT")],
    ids=["default", "string", "constant"],
)
def test_mosaicking_defaults_to_simple_and_reads_strings_and_constants(declared, expected):
    source = script(f'function setup() {{ return {{input: ["B04"], output: {{bands: 1}}{declared}}}; }}')
    assert inspect_evalscript(source).mosaicking == expected


def test_outputs_keep_their_order_and_an_output_without_id_is_default():
    source = script(
        "function setup() {",
        "  return {",
        '    input: ["B04", "B08"],',
        '    output: [{bands: 2}, {id: "NDVI", bands: 1, sampleType: "FLOAT32"}, {id: "mask", bands: 1}]',
        "  };",
        "}",
    )
    assert inspect_evalscript(source).outputs == (
        ScriptOutput("default", 2, "AUTO"),
        ScriptOutput("NDVI", 1, "FLOAT32"),
        ScriptOutput("mask", 1, "AUTO"),
    )


def test_v8_runs_top_level_code_so_computed_values_are_exact():
    source = script(
        "var dates = [1, 2, 3, 4];",
        "console.log('setting up', dates.length);  // logging must not fail",
        "var ramp = new ColorRampVisualizer([[0, 0x000000], [1, 0xffffff]]);  // a Sentinel Hub utility",
        "const index = 7;  // a script may reuse the name of a utility",
        "function setup() {",
        '  return {input: ["B04"], output: {id: "t", bands: dates.length * 2 + index - 7, sampleType: "UINT16"}};',
        "}",
    )
    assert inspect_evalscript(source).outputs == (ScriptOutput("t", 8, "UINT16"),)


# --- Problems inside setup()'s result, with their lines ------------------------------------------------------------


def outputs_script(*outputs: str, mosaicking: str = "") -> str:
    """setup() returning the given outputs (each may span lines), one per line."""
    return script(
        "function setup() {",
        "  return {",
        '    input: ["B04"],',
        "    output: [",
        "      " + ",\n      ".join(outputs),
        "    ]" + mosaicking,
        "  };",
        "}",
    )


@pytest.mark.parametrize("bands", ["0", "-2"])
def test_an_output_needs_at_least_one_band(bands):
    source = outputs_script('{id: "ok", bands: 1}', f'{{id: "empty", bands: {bands}}}')
    error = problem(source)
    assert "'empty'" in error.message and "at least 1 band" in error.message
    assert error.line == line_of(source, '"empty"')


@pytest.mark.parametrize("bands", ["2.5", '"3"', "true", "null", "1e999"])
def test_bands_must_be_a_whole_number(bands):
    source = outputs_script(f"{{id: 'a',\n        bands: {bands}}}")
    error = problem(source)
    assert "'a'" in error.message and "whole number" in error.message
    assert error.line == line_of(source, f"bands: {bands}")


def test_v8_reports_an_undefined_band_count_on_its_line():
    source = outputs_script("{id: 'a', bands: 1}", "{id: 'b',\n        bands: settings.count}")
    source = source.replace("//VERSION=3\n", "//VERSION=3\nvar settings = {};\n")
    error = problem(source)
    assert error.message.startswith("Output 'b': bands is undefined")
    assert error.line == line_of(source, "settings.count")


def test_output_ids_must_be_unique():
    source = outputs_script('{id: "NDVI", bands: 1}', '{bands: 1, id: "mask"}', '{id: "NDVI", bands: 2}')
    error = problem(source)
    assert "'NDVI'" in error.message and "own id" in error.message
    assert error.line == line_of(source, 'id: "NDVI", bands: 2')


def test_two_outputs_without_id_are_both_default():
    source = outputs_script("{bands: 1}", "{bands: 2}")
    error = problem(source)
    assert "'default'" in error.message and error.line == line_of(source, "{bands: 2}")


@pytest.mark.parametrize(
    "value, hint",
    [('"uint8"', "write it in capitals: 'UINT8'"), ('"UINT32"', None), ("SampleType.FLOAT64", None)],
)
def test_a_sample_type_outside_the_allowed_ones_names_the_output_and_the_fix(value, hint):
    source = outputs_script(
        '{id: "ok", bands: 1, sampleType: "UINT8"}', f'{{id: "bad", bands: 1, sampleType: {value}}}'
    )
    error = problem(source)  # (V8 sees SampleType.FLOAT64 as undefined)
    assert error.message.startswith("Output 'bad': sampleType ") and "is not allowed" in error.message
    assert "use one of AUTO, UINT8, UINT16, INT8, INT16, FLOAT32" in error.message
    assert (hint in error.message) if hint else ("capitals" not in error.message)
    assert error.line == line_of(source, '"bad"')


@pytest.mark.parametrize("value", ['"orbit"', '"DAILY"', "Mosaicking.DAILY"])
def test_an_unknown_mosaicking_is_refused_on_its_line(value):
    source = outputs_script("{bands: 1}", mosaicking=f",\n    mosaicking: {value}")
    error = problem(source)
    assert "mosaicking" in error.message and "SIMPLE, TILE or ORBIT" in error.message
    assert error.line == line_of(source, "mosaicking:")


def test_a_setup_without_output_is_refused_on_its_return_line():
    source = script("function setup() {", "  var x = 1;", '  return {input: ["B04"]};', "}")
    error = problem(source)
    assert error.message.startswith("setup() returns no output") and error.line == 4


def test_an_empty_output_list_is_refused():
    source = script("function setup() {", '  return {input: ["B04"],', "    output: []};", "}")
    error = problem(source)
    assert "empty list" in error.message and error.line == 4


def test_a_setup_without_input_is_refused():
    source = script("function setup() {", "  return {output: {bands: 1}};", "}")
    error = problem(source)
    assert error.message.startswith("setup() returns no input") and error.line == 3


@pytest.mark.parametrize(
    "value, fragment",
    [
        ('[{bands: ["B04", 4]}]', "is not a band name"),
        ('[{units: "DN"}]', "needs bands"),
        ("[{bands: []}]", "lists no bands"),
        ("[7]", "holds 7"),
    ],
)
def test_malformed_inputs_are_refused_on_their_line(value, fragment):
    source = script(
        "function setup() {", "  return {", f"    input: {value},", "    output: {bands: 1}};", "}"
    )
    error = problem(source)
    assert fragment in error.message and error.line == 4


def test_a_setup_returning_something_else_than_an_object_is_refused():
    source = script("function setup() {", '  return ["B04"];', "}")
    error = problem(source)
    assert "return an object" in error.message and error.line == 3


def test_v8_refuses_a_setup_that_returns_nothing():
    error = problem(script("function setup() {", "  var settings = {output: {bands: 1}};", "}"))
    assert error.message.startswith("setup() returns nothing")


# --- V8: errors the script throws, and limits -------------------------------------------------------------------


def test_v8_points_a_syntax_error_at_its_line_and_column():
    source = script("function setup() {", '  return {input: ["B04"] output: {bands: 1}};', "}")
    error = problem(source)
    assert error.message.startswith("The evalscript does not parse: SyntaxError: Unexpected identifier")
    assert (error.line, error.column) == (3, source.split("\n")[2].index("output") + 1)
    assert str(error).endswith("(line 3)")


def test_v8_places_an_unexpected_end_of_input_on_the_last_line():
    source = '//VERSION=3\nfunction setup() { return {input: ["B04"], output: {bands: 1}}; }\nfunction evaluatePixel(s) {\n  return [0];'
    error = problem(source)
    assert "Unexpected end of input" in error.message and error.line == 4


def test_v8_points_a_top_level_error_at_its_line():
    source = script(
        "var a = 1;",
        "var b = notDefined(a);",
        'function setup() { return {input: ["B04"], output: {bands: 1}}; }',
    )
    error = problem(source)
    assert (
        error.message
        == "The evalscript failed in its top-level code: ReferenceError: notDefined is not defined"
    )
    assert (error.line, error.column) == (3, 9)


def test_v8_points_an_error_thrown_in_setup_at_its_line():
    source = script("function setup() {", "  var settings = null;", "  return settings.output;", "}")
    error = problem(source)
    assert error.message.startswith(
        "The evalscript failed in setup(): TypeError: Cannot read properties of null"
    )
    assert error.line == 4


def test_v8_points_a_thrown_string_at_its_line():
    source = script("function setup() {", "  throw 'pick an index first';", "}")
    error = problem(source)
    assert error.message == "The evalscript failed in setup(): pick an index first" and error.line == 3


def test_v8_stops_a_setup_that_never_returns_within_its_time_limit():
    source = script("function setup() {", "  while (true) {}", "}")
    started = time.monotonic()
    error = problem(source)
    assert time.monotonic() - started < evalscript_inspect.SETUP_TIME_LIMIT_S + 2
    assert "did not finish setup() within 1 s" in error.message


def test_v8_stops_top_level_code_that_fills_the_heap():
    source = script(
        "var a = [];", "while (true) a.push(new Array(1e5).fill(1.5));", "function setup() { return {}; }"
    )
    error = problem(source)
    assert f"more than {evalscript_inspect.HEAP_LIMIT_MB} MiB of memory" in error.message


def test_v8_refuses_a_huge_typed_array_before_allocating_it():
    # V8 cannot interrupt filling a typed array, and its heap limit does not count them
    source = script("var big = new Float64Array(1e9).fill(1);", "function setup() { return {}; }")
    started = time.monotonic()
    error = problem(source)
    assert time.monotonic() - started < 2
    assert "more than 64 MiB of typed arrays" in error.message and error.line == 2


def test_v8_does_not_call_evaluate_pixel():
    source = (
        '//VERSION=3\nfunction setup() { return {input: ["B04"], output: {bands: 1}}; }\n'
        "function evaluatePixel(s) { throw new Error('called'); }\n"
    )
    assert inspect_evalscript(source).outputs == (ScriptOutput("default", 1, "AUTO"),)


def test_a_computed_value_is_placed_on_the_line_of_its_field():
    source = script(
        "function pick() { return 'UINT7'; }",
        "function setup() {",
        "  return {",
        '    input: ["B04"],',
        '    output: [{id: "a", bands: 1},',
        '             {id: "b", bands: 1, sampleType: pick()}]',
        "  };",
        "}",
    )
    error = problem(source)
    assert 'sampleType "UINT7"' in error.message and error.line == 7


# --- Without V8, and what the kernel imports ---------------------------------------------------------------------


def test_without_mini_racer_the_reading_says_how_to_install_it(monkeypatch):
    replace_imports(monkeypatch, py_mini_racer=ImportError("No module named 'py_mini_racer'"))
    error = problem(TRUE_COLOR)
    assert error.message.startswith("mini-racer is not installed. Install mini-racer (V8")
    assert "--break-system-packages 'mini-racer>=0.14'" in error.message and "OSGeo4W Shell" in error.message
    assert error.line is None


def test_a_v8_that_cannot_start_says_so_with_the_install_advice(monkeypatch):
    class Broken:
        def __init__(self):
            raise OSError("libmini_racer.so: cannot open shared object file")

    monkeypatch.setattr("py_mini_racer.MiniRacer", Broken)
    error = problem(TRUE_COLOR)
    assert error.message.startswith(
        "mini-racer does not start (libmini_racer.so: cannot open shared object file)"
    )
    assert "Install mini-racer" in error.message


def test_a_problem_is_a_value_error_whose_text_names_the_line():
    error = EvalscriptProblem("Output 'a' has 0 bands.", 12)
    assert isinstance(error, ValueError)
    assert (error.message, error.line, str(error)) == (
        "Output 'a' has 0 bands.",
        12,
        "Output 'a' has 0 bands. (line 12)",
    )
    assert str(EvalscriptProblem("No line.")) == "No line."


def test_the_kernel_needs_neither_qt_nor_the_engine():
    kernel = Path(evalscript_inspect.__file__).parent
    imported = set()
    for module in kernel.glob("*.py"):
        text = module.read_text()
        imported |= {
            m.split(".")[0] for m in re.findall(r"^\s*(?:from|import)\s+([\w.]+)", text, re.MULTILINE)
        }
    assert imported == {
        "__future__",
        "collections",
        "json",
        "math",
        "re",
        "threading",
        "time",
        "dataclasses",
        "typing",
        "py_mini_racer",
        "",
    }  # fmt: skip  ("" is a relative import: the kernel and core/dependencies.py)


def test_inspections_from_several_threads_at_once_each_read_their_own_script():
    # the dock's editors inspect in QgsTask threads; V8 is entered by one of them at a time
    from concurrent.futures import ThreadPoolExecutor

    scripts = [
        f"//VERSION=3\nfunction setup() {{ return {{input: ['B04'], output: {{bands: {bands}}}}}; }}\n"
        "function evaluatePixel(s) { return [s.B04]; }"
        for bands in range(1, 9)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        infos = list(pool.map(inspect_evalscript, scripts * 3))
    assert [info.outputs[0].bands for info in infos] == [bands for bands in range(1, 9)] * 3
