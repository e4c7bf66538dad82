"""Real corpus scripts accepted as Sentinel Hub accepts them: the version line, units in any case, return forms.

The scripts come unchanged from Sentinel Hub's custom-scripts collection, in ../shared/data/evalscript-corpus
(test data, never copied into the repository); docs/evalscript.md gives the sources for each rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from testkit import shared_file

from tilewise.core.evalscript.inspect import inspect_evalscript
from tilewise.core.evalscript.problems import VERSION_MESSAGE, EvalscriptProblem
from tilewise.core.evalscript.setup import UNITS
from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits, compile_script
from tilewise.engine.evalscript.setup import ScriptSetup
from tilewise.engine.samples import Mosaicking, Sample, SampleStack, Scene, Units

AUGUST = datetime(2023, 8, 20, tzinfo=timezone.utc)


def corpus(name: str) -> str:
    return shared_file(f"data/evalscript-corpus/{name}").read_text(encoding="utf-8")


def generated_stack(
    setup: ScriptSetup, rng: np.random.Generator, height: int = 7, width: int = 9
) -> SampleStack:
    """Every band the script reads, seeded: reflectances, DNs or SCL classes; one sample, or six ORBIT dates."""
    count = 1 if setup.mosaicking == Mosaicking.SIMPLE else 6
    samples = []
    for k in range(count):  # most recent first, as the engine orders them
        moment = AUGUST - timedelta(days=5 * k)
        item = Scene(f"S2B_33TWM_{moment:%Y%m%d}_0_L2A", moment, 4.0 * k, f"s3://bucket/{k}", {})
        samples.append(Sample(moment, moment + timedelta(hours=1), (item,)))
    shape = (count, height, width)
    bands = {}
    for name in setup.bands:
        if name == "dataMask":
            continue
        if name == "SCL":
            bands[name] = rng.integers(0, 12, shape).astype(np.float32)
        elif setup.units.get(name) == Units.DN:
            bands[name] = rng.uniform(100, 6000, shape).astype(np.float32)
        else:
            bands[name] = rng.uniform(0.01, 0.6, shape).astype(np.float32)
    return SampleStack(samples, bands, np.ones(shape, np.uint8), height, width)


def evaluate_corpus_script(name: str) -> tuple[ScriptSetup, dict[str, np.ndarray]]:
    """Compile and run a corpus script on a generated stack; its setup and its outputs' arrays."""
    rng = np.random.default_rng(20230820)
    with EvalscriptRuntime(corpus(name), Limits()) as runtime:
        data = generated_stack(runtime.setup, rng)
        try:
            result = runtime.evaluate(data, time_from=AUGUST - timedelta(days=40), time_to=AUGUST)
        except EvalscriptError as error:
            if "index is not defined" in str(
                error
            ):  # Sentinel Hub's index() arrives with branch issue25-helpers
                pytest.skip("needs Sentinel Hub's index() helper in the runtime")
            raise
        return runtime.setup, {output_id: raster.data for output_id, raster in result.outputs.items()}


def engine_verdict(source: str) -> str:
    try:
        compile_script(source, Limits())
    except EvalscriptError as error:
        return error.message
    return "accepted"


def form_verdict(source: str) -> str:
    try:
        inspect_evalscript(source)
    except EvalscriptProblem as problem:
        return problem.message
    return "accepted"


BODY = 'function setup() { return {input: ["B04", "B08"], output: {bands: 1}}; }\nfunction evaluatePixel(s) { return [s.B04]; }\n'


# --- the version line -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_line",
    [
        "//VERSION=3 (auto-converted from 1)",
        "//VERSION=3 (auto-converted from 2)",
        "//VERSION=3\t// any comment",
    ],
)
def test_text_after_the_version_marker_on_the_first_line_is_accepted_by_form_and_engine(first_line):
    source = first_line + "\n" + BODY
    assert engine_verdict(source) == form_verdict(source) == "accepted"


@pytest.mark.parametrize(
    "source",
    [BODY, "//VERSION=2\n" + BODY, "//VERSION=3(auto-converted from 1)\n" + BODY, "//VERSION=30\n" + BODY],
    ids=["no-marker", "version-2", "no-space-before-the-text", "version-30"],
)
def test_a_script_without_a_v3_marker_is_refused_with_the_same_message_by_form_and_engine(source):
    assert engine_verdict(source) == form_verdict(source) == VERSION_MESSAGE


def test_a_marker_below_comment_lines_is_refused_saying_where_it_is_and_where_it_belongs():
    source = "// My script\n// by me\n\n//VERSION=3\n" + BODY
    message = engine_verdict(source)
    assert message == form_verdict(source)
    assert "move it from line 4 to the first line" in message and "//VERSION=3" in message


def test_the_corpus_script_with_comments_before_its_marker_is_refused_as_sentinel_hubs_clients_do():
    with pytest.raises(EvalscriptError) as raised:
        compile_script(corpus("aesthetic-neon__script.js"), Limits())
    assert "move it from line 4 to the first line" in raised.value.message and raised.value.line == 1


AUTO_CONVERTED = [
    "barren_soil__script.js",
    "ndsi__raw.js",
    "agriculture_growth_stage__script.js",
    "burned_area__script.js",
    "forest_cut_temporal_detection__script.js",
    "monthly_composite__script.js",
    "monthly_snow_report__script.js",
]


@pytest.mark.parametrize("name", AUTO_CONVERTED)
def test_auto_converted_corpus_scripts_compile_and_evaluate(name):
    assert corpus(name).startswith("//VERSION=3 (auto-converted from ")
    setup, outputs = evaluate_corpus_script(name)
    for output in setup.outputs:
        data = outputs[output.id]
        assert data.shape == (output.bands, 7, 9)
        assert np.isfinite(data.astype(np.float64)).all() and data.any()


# --- units ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["reflectance", "Reflectance", "dn", "Dn", "DN"])
def test_units_are_read_in_any_case(written):
    source = (
        '//VERSION=3\nfunction setup() { return {input: [{bands: ["B04"], units: "UNITS"}], output: {bands: 1}}; }\n'
        "function evaluatePixel(s) { return [s.B04]; }\n"
    ).replace("UNITS", written)
    setup = compile_script(source, Limits())
    assert setup.units["B04"] == Units(written.upper())
    assert form_verdict(source) == "accepted"


def test_unknown_units_are_still_refused_naming_the_known_ones():
    source = '//VERSION=3\nfunction setup() { return {input: [{bands: ["B04"], units: "radiance"}], output: {bands: 1}}; }\n'
    source += "function evaluatePixel(s) { return [s.B04]; }\n"
    message = engine_verdict(source)
    assert message.startswith("Unknown units 'radiance' for band B04") and "REFLECTANCE" in message


def test_the_corpus_script_asking_for_lower_case_reflectance_gets_reflectances():
    assert 'units: "reflectance"' in corpus("bare_soil_detector__script.js")
    setup, outputs = evaluate_corpus_script("bare_soil_detector__script.js")
    assert all(setup.units[band] == Units.REFLECTANCE for band in setup.bands if band != "dataMask")
    assert outputs["default"].shape == (3, 7, 9)


def test_the_corpus_script_asking_for_dn_gets_digital_numbers():
    setup, outputs = evaluate_corpus_script("cloudless_mosaic__L2A-first_quartile_4bands.js")
    assert setup.units["B04"] == Units.DN
    assert outputs["default"].shape == (4, 7, 9) and outputs["default"].any()


# --- evaluatePixel returning a bare number ----------------------------------------------------------------

BARE_NUMBER = (
    '//VERSION=3\nfunction setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: "FLOAT32"}}; }\n'
    "function evaluatePixel(s) {\n  return (s.B08 - s.B04) / (s.B08 + s.B04);\n}\n"
)


def test_a_bare_number_for_a_one_band_output_is_refused_saying_to_return_an_array():
    rng = np.random.default_rng(7)
    with EvalscriptRuntime(BARE_NUMBER, Limits()) as runtime:
        data = generated_stack(runtime.setup, rng)
        with pytest.raises(EvalscriptError) as raised:
            runtime.evaluate(data)
    error = raised.value
    assert "(a number) for output 'default'" in error.message
    assert "return an array of numbers, e.g. [value]" in error.message


def test_the_corpus_script_returning_a_bare_number_is_refused_at_its_return():
    with pytest.raises(EvalscriptError) as raised:
        evaluate_corpus_script("ndvi__raw.js")
    assert "(a number) for output 'default'" in raised.value.message
    assert "return an array of numbers" in raised.value.message


def test_the_form_knows_the_units_the_engine_knows():
    assert tuple(unit.value for unit in Units) == UNITS


@pytest.mark.parametrize(
    "units",
    ['"radiance"', '["DN"]', '["DN", "DN", "DN"]', '["DN", 3]'],
    ids=["unknown", "too-few", "too-many", "not-a-string"],
)
def test_units_the_engine_refuses_are_refused_by_the_form_with_the_same_message(units):
    source = (
        '//VERSION=3\nfunction setup() {\n  return {input: [{bands: ["B04", "B08"], units: UNITS}], output: {bands: 1}};\n}\n'
        "function evaluatePixel(s) { return [s.B04]; }\n"
    ).replace("UNITS", units)
    message = engine_verdict(source)
    assert message != "accepted" and "units" in message
    assert form_verdict(source) == message


def test_a_units_list_may_leave_out_data_mask_in_form_and_engine():
    source = (
        '//VERSION=3\nfunction setup() {\n  return {input: [{bands: ["B04", "dataMask"], units: ["dn"]}], output: {bands: 1}};\n}\n'
        "function evaluatePixel(s) { return [s.B04]; }\n"
    )
    assert engine_verdict(source) == form_verdict(source) == "accepted"
    assert compile_script(source, Limits()).units == {"B04": Units.DN}
