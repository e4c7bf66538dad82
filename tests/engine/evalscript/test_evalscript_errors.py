"""Bad scripts: every error is an EvalscriptError with a precise message, a kind, and the script's line/column."""

from __future__ import annotations

import numpy as np
import pytest

from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits, compile_script

HEAD = "//VERSION=3\n"
SETUP = 'function setup() { return {input: ["B04"], output: {bands: 1}}; }\n'


def setup_with(body: str) -> str:
    return HEAD + f"function setup() {{ return {body}; }}\nfunction evaluatePixel(s) {{ return [0]; }}\n"


def script(pixel: str, setup: str = SETUP, hooks: str = "") -> str:
    """//VERSION=3, setup() on line 2, evaluatePixel from line 3, then the hooks."""
    return HEAD + setup + pixel + hooks


def fails(source: str) -> EvalscriptError:
    with pytest.raises(EvalscriptError) as info:
        compile_script(source, Limits())
    assert info.value.message in str(info.value)
    return info.value


def fails_on_tile(source: str, kit, values=None) -> EvalscriptError:
    plane = np.zeros((2, 2), np.float32) if values is None else np.asarray(values, np.float32)
    with EvalscriptRuntime(source, Limits()) as runtime, pytest.raises(EvalscriptError) as info:
        runtime.evaluate(kit.simple({"B04": plane}))
    return info.value


def test_syntax_error_has_line_and_column():
    source = HEAD + SETUP + "function evaluatePixel(s) {\n  var x = 1;\n  return [s.B04;\n}\n"
    error = fails(source)
    assert (
        error.kind == "syntax" and "does not parse" in str(error) and "SyntaxError" not in error.message[:0]
    )
    assert (error.line, error.column) == (5, 16)  # the ';' where ']' belongs
    assert "line 5, column 16" in str(error)


def test_syntax_error_on_the_first_line_after_version():
    error = fails(HEAD + 'function setup() {\n  return {input: ["B04"] output: {bands: 1}};\n}\n')
    assert error.kind == "syntax" and error.line == 3


@pytest.mark.parametrize("first", ["", "//VERSION=2\n", "// VERSION 3\n", "function a() {}\n//VERSION=3\n"])
def test_version_line_is_required(first):
    error = fails(first + SETUP + "function evaluatePixel(s) { return [0]; }")
    assert error.kind == "setup" and "//VERSION=3" in str(error) and error.line == 1


def test_empty_script():
    assert fails("  \n").kind == "setup"


@pytest.mark.parametrize(
    "source, fragment",
    [
        (HEAD + "function evaluatePixel(s) { return [1]; }", "no setup() function"),
        (HEAD + SETUP, "no evaluatePixel() function"),
        (HEAD + "var setup = 5;\nfunction evaluatePixel(s) {}", "no setup() function"),
        (HEAD + "function setup() {}\nfunction evaluatePixel(s) {}", "setup() returned nothing"),
    ],
)
def test_missing_functions(source, fragment):
    error = fails(source)
    assert error.kind == "setup" and fragment in str(error)


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("5", "must return an object"),
        ("{output: {bands: 1}}", "returns no input"),
        ('{input: ["B04"]}', "returns no output"),
        ("{input: [4], output: {bands: 1}}", "band names (strings)"),
        ("{input: [{bands: [null]}], output: {bands: 1}}", "band names (strings)"),
        ("{input: [{bands: []}], output: {bands: 1}}", "non-empty list"),
        ("{input: [{units: 'DN'}], output: {bands: 1}}", "needs bands"),
        (
            '{input: [{bands: ["B04"], units: "FURLONGS"}], output: {bands: 1}}',
            "Unknown units 'FURLONGS' for band B04",
        ),
        ('{input: [{bands: ["B04", "B08"], units: ["DN"]}], output: {bands: 1}}', "one unit per band"),
        ('{input: ["B04"], output: {bands: 1, sampleType: "UINT32"}}', "sampleType 'UINT32'"),
        ('{input: ["B04"], output: {bands: 1.5}}', "bands must be a whole number"),
        ('{input: ["B04"], output: {bands: "3"}}', "bands must be a whole number"),
        ('{input: ["B04"], output: []}', "setup().output is empty"),
        (
            '{input: ["B04"], output: [{id: "a", bands: 1}, {id: "a", bands: 2}]}',
            "Two outputs are called 'a'",
        ),
        ('{input: ["B04"], output: {id: 7, bands: 1}}', "output id 7 cannot be used"),
        # an output id becomes a file name: one that climbs out of the output folder is refused
        ('{input: ["B04"], output: {id: "../../tmp/x", bands: 1}}', "output id '../../tmp/x' cannot be used"),
        ('{input: ["B04"], output: {bands: 1, nodataValue: "none"}}', "nodataValue must be a number"),
        ('{input: ["B04"], output: {bands: 1}, mosaicking: "DAILY"}', "mosaicking is 'DAILY'"),
    ],
)
def test_setup_validation(body, fragment):
    error = fails(setup_with(body))
    assert error.kind == "setup"
    assert fragment in str(error)


def test_exception_in_setup_names_its_line():
    error = fails(HEAD + "function setup() {\n  return undefinedThing.x;\n}\nfunction evaluatePixel(s) {}")
    assert error.kind == "runtime" and "ReferenceError: undefinedThing is not defined" in str(error)
    assert "setup()" in str(error) and (error.line, error.column) == (3, 3)  # where V8 puts it


def test_exception_in_top_level_code():
    error = fails(HEAD + SETUP + "var table = null;\nvar first = table[0];\nfunction evaluatePixel(s) {}")
    assert error.kind == "runtime" and "top-level" in str(error) and error.line == 4


def test_exception_in_evaluate_pixel_has_line_and_column_and_runtime_stays_usable(kit):
    source = (
        HEAD + SETUP + "function evaluatePixel(s) {\n  var a = s.B04 > 0 ? null : {f: 1};\n  return [a.f];\n}"
    )
    with EvalscriptRuntime(source, Limits()) as runtime:
        with pytest.raises(EvalscriptError) as info:
            runtime.evaluate(kit.simple({"B04": np.ones((3, 3))}))
        error = info.value
        assert error.kind == "runtime" and "TypeError" in str(error) and "evaluatePixel" in str(error)
        assert (error.line, error.column) == (5, 13) and "line 5, column 13" in str(error)
        assert (runtime.evaluate(kit.simple({"B04": np.zeros((3, 3))})).outputs["default"].data == 255).all()


def test_thrown_non_errors_are_reported(kit):
    error = fails_on_tile(HEAD + SETUP + 'function evaluatePixel(s) {\n  throw "no data here";\n}', kit)
    assert error.kind == "runtime" and "no data here" in str(error) and error.line == 4


@pytest.mark.parametrize(
    "hook, code",
    [
        ("preProcessScenes", "function preProcessScenes(c) {\n  return c.nothing.scenes;\n}"),
        ("updateOutput", "function updateOutput(o, c) {\n  o.missing.bands = 2;\n}"),
        ("updateOutputMetadata", "function updateOutputMetadata(s, i, o) {\n  o.userData = s.nothing.x;\n}"),
    ],
)
def test_exceptions_in_hooks_name_the_hook_and_line(kit, hook, code):
    orbit = SETUP.replace("}}", '}, mosaicking: "ORBIT"}')
    source = script("function evaluatePixel(s) { return [1]; }\n", orbit, hooks=code)
    with EvalscriptRuntime(source, Limits()) as runtime, pytest.raises(EvalscriptError) as info:
        samples = runtime.pre_process_scenes([kit.orbit(2), kit.orbit(1)])
        runtime.evaluate(kit.stack({"B04": np.zeros((len(samples), 2, 2))}, samples))
    assert info.value.kind == "runtime" and hook in str(info.value) and info.value.line == 5


def test_update_output_must_set_whole_band_counts(kit):
    source = (
        HEAD
        + SETUP
        + "function evaluatePixel(s) { return [1]; }\nfunction updateOutput(o) { o.default.bands = 'x'; }"
    )
    error = fails_on_tile(source, kit)
    assert error.kind == "output" and "updateOutput set the bands of 'default' to 'x'" in str(error)


@pytest.mark.parametrize(
    "returned, fragment",
    [
        ("['high']", "returned \"high\" (a string) in band 0 of output 'default': values must be numbers"),
        ("[1, {}]", "(a object) in band 1"),
        ("[[1]]", "(a array) in band 0"),
        ("5", "returned 5 (a number) for output 'default': return an array of numbers"),
        ("'abc'", '"abc" (a string) for output'),
        ("{default: 'x'}", '"x" (a string) for output'),
    ],
)
def test_non_numeric_returns_are_errors_with_the_line(kit, returned, fragment):
    pixel = f"function evaluatePixel(s) {{\n  return {returned};\n}}"
    source = script(pixel, SETUP.replace("bands: 1", "bands: 2"))
    error = fails_on_tile(source, kit)
    assert error.kind == "output" and fragment in str(error), str(error)


def test_array_for_several_outputs_is_an_error(kit):
    source = HEAD + (
        'function setup() { return {input: ["B04"], output: [{id: "a", bands: 1}, {id: "b", bands: 1}]}; }\n'
        "function evaluatePixel(s) { return [1, 2]; }"
    )
    error = fails_on_tile(source, kit)
    assert error.kind == "output" and "several outputs: return an object keyed by output id" in str(error)


def test_length_mismatch_is_padded_or_cut_with_one_warning_per_output(kit):
    source = HEAD + (
        'function setup() { return {input: ["B04"], output: [{id: "a", bands: 3, sampleType: "FLOAT32"},'
        ' {id: "b", bands: 1, sampleType: "FLOAT32"}]}; }\n'
        "function evaluatePixel(s) {\n"
        "  var v = s.B04;\n"
        "  if (v < 2) return {a: [v], b: [v, 9, 9]};\n"  # short a, long b
        "  if (v < 3) return {a: [v, v, v, v], b: [v]};\n"  # long a
        "  return {a: [v, v, v], b: [v]};\n"
        "}"
    )
    values = np.arange(12, dtype=np.float32).reshape(3, 4) % 4  # 0, 1 -> short/long, 2 -> long, 3 -> exact
    with EvalscriptRuntime(source, Limits()) as runtime:
        result = runtime.evaluate(kit.simple({"B04": values}))
    a, b = result.outputs["a"].data, result.outputs["b"].data
    np.testing.assert_array_equal(a[0], values)
    np.testing.assert_array_equal(a[1], np.where(values < 2, 0, values))
    np.testing.assert_array_equal(b[0], values)
    assert sorted(result.warnings) == sorted(
        [
            "evaluatePixel returned an array whose length differs from the 3 band(s) of output 'a' for 9 pixel(s);"
            " short arrays were padded with 0 and extra values dropped.",
            "evaluatePixel returned an array whose length differs from the 1 band(s) of output 'b' for 6 pixel(s);"
            " short arrays were padded with 0 and extra values dropped.",
        ]
    )
