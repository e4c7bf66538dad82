"""Sample-type conversion: round half away from zero, clamp; AUTO stretches [0, 1]; NaN and non-numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tilewise.engine.evalscript import EvalscriptRuntime, Limits

# JS literal -> the number it means (None: not a number; booleans count as 1/0)
VALUES = {
    "-1e9": -1e9, "-40000": -40000.0, "-200.5": -200.5, "-2.5": -2.5, "-1.5": -1.5, "-0.5": -0.5, "-0.49": -0.49,
    "0": 0.0, "0.002": 0.002, "0.4999": 0.4999, "0.5": 0.5, "1": 1.0, "1.5": 1.5, "2.5": 2.5, "126.6": 126.6,
    "127.5": 127.5, "254.5": 254.5, "300": 300.0, "32767.6": 32767.6, "65535.4": 65535.4, "70000": 70000.0,
    "1e20": 1e20, "Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan, "null": math.nan,
    "undefined": math.nan, "true": 1.0, "false": 0.0,
}  # fmt: skip
RANGES = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (-32768, 32767), "UINT16": (0, 65535)}
DTYPES = {"INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16, "FLOAT32": np.float32}


def expected(sample_type: str, nodata: float | None) -> np.ndarray:
    """An independent reading of the documented rules."""
    values = np.array(list(VALUES.values()), np.float64)
    if sample_type == "FLOAT32":
        out = values.astype(np.float32)
        return out if nodata is None else np.where(np.isnan(out), np.float32(nodata), out)
    if sample_type == "AUTO":
        values, sample_type = values * 255, "UINT8"
    low, high = RANGES[sample_type]
    with np.errstate(invalid="ignore"):
        rounded = np.sign(values) * np.floor(np.abs(values) + 0.5)
    out = np.clip(np.nan_to_num(rounded, nan=0.0), low, high)
    if nodata is not None:
        out = np.where(np.isnan(values), nodata, out)
    return out.astype(DTYPES[sample_type])


@pytest.mark.parametrize("sample_type", ["INT8", "UINT8", "INT16", "UINT16", "FLOAT32", "AUTO"])
@pytest.mark.parametrize("nodata", [None, 3])
def test_conversion_of_every_kind_of_value(kit, sample_type, nodata):
    literals = ", ".join(VALUES)
    nodata_js = "" if nodata is None else f", nodataValue: {nodata}"
    script = f"""//VERSION=3
var values = [{literals}];
function setup() {{ return {{input: ["B04"], output: {{bands: 1, sampleType: "{sample_type}"{nodata_js}}}}}; }}
function evaluatePixel(s) {{ return [values[s.B04]]; }}"""
    index = np.arange(len(VALUES), dtype=np.float32)[None]
    with EvalscriptRuntime(script, Limits()) as runtime:
        raster = runtime.evaluate(kit.simple({"B04": index})).outputs["default"]
    want = expected(sample_type, nodata)
    assert raster.data.dtype == want.dtype
    assert raster.sample_type == ("UINT8" if sample_type == "AUTO" else sample_type)
    assert raster.nodata_value == nodata
    np.testing.assert_array_equal(raster.data[0, 0], want)


def test_half_values_round_away_from_zero_on_the_exact_returned_value(kit):
    # 0.49999999 is 0.5 in float32: integer outputs must not round it up
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 4, sampleType: "INT16"}}; }
function evaluatePixel(s) { return [0.49999999, -0.49999999, 1000.4999999, -2.5]; }"""
    with EvalscriptRuntime(script, Limits()) as runtime:
        data = runtime.evaluate(kit.simple({"B04": np.zeros((1, 1))})).outputs["default"].data
    assert data[:, 0, 0].tolist() == [0, 0, 1000, -3]


def test_float32_keeps_nan_and_infinities(kit):
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 3, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [NaN, 1 / s.B04, -1 / s.B04]; }"""
    with EvalscriptRuntime(script, Limits()) as runtime:
        data = runtime.evaluate(kit.simple({"B04": np.zeros((1, 1))})).outputs["default"].data[:, 0, 0]
    assert np.isnan(data[0]) and data[1] == np.inf and data[2] == -np.inf


@pytest.mark.parametrize("planes", [False, True], ids=["per_pixel_or_default", "planes"])
def test_float32_writes_one_nan_however_v8_made_it(kit, planes):
    # 0/0 on the CPU is a negative NaN, NaN the positive one; optimised and unoptimised code keep either.
    # The output gets one NaN, so the same script writes the same bits on every run, compiled or not.
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 4, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { var z = s.B04 * 0; return [z / z, -(z / z), NaN, Math.sqrt(z - 1)]; }"""
    with EvalscriptRuntime(script, Limits(planes=planes)) as runtime:
        data = runtime.evaluate(kit.simple({"B04": np.ones((64, 64), np.float32)})).outputs["default"].data
    assert set(data.view(np.uint32).ravel().tolist()) == {0x7FC00000}
