"""The Evalscript V3 runtime: real scripts in V8 on seeded random bands, checked against numpy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from tilewise.core.presets import EVALSCRIPTS_DIR
from tilewise.engine.evalscript import EvalscriptError, EvalscriptRuntime, Limits, compile_script
from tilewise.engine.samples import Mosaicking, Sample, SampleStack, Scene, Units

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
JULY = datetime(2023, 7, 1, tzinfo=timezone.utc)

# The sentinelhub-py tutorial's two evalscripts, verbatim (the true-colour one indented, as in the notebook).
TUTORIAL_TRUE_COLOR = (CLIENTS / "tutorial_true_color_evalscript.js").read_text()
TUTORIAL_INTERPOLATION = (EVALSCRIPTS_DIR / "04_ndvi_interpolation_tutorial.js").read_text()


def scene(day: int, hour: int = 18, name: str = "") -> Scene:
    moment = JULY + timedelta(days=day - 1, hours=hour)
    return Scene(name or f"S2A_11SKV_202307{day:02d}_0_L2A", moment, 10.0 * day, f"s3://bucket/{day}", {})


def stack(bands: dict[str, np.ndarray], samples: list[Sample], mask: np.ndarray | None = None) -> SampleStack:
    first = next(iter(bands.values()))
    n, h, w = first.shape
    return SampleStack(samples, bands, mask if mask is not None else np.ones((n, h, w), np.uint8), h, w)


def simple(bands: dict[str, np.ndarray], mask=None) -> SampleStack:
    return stack(
        {k: v[None] if v.ndim == 2 else v for k, v in bands.items()},
        [Sample(JULY, JULY, (scene(1),))],
        None if mask is None else mask[None],
    )


def orbits(days: list[int]) -> list[Sample]:
    return [Sample(JULY + timedelta(days=d - 1), JULY + timedelta(days=d), (scene(d),)) for d in days]


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(42)


def reflectances(rng, shape, low=0.01, high=0.6):
    return rng.uniform(low, high, shape).astype(np.float32)


# --- the tutorial's scripts -------------------------------------------------------------------------------


def test_tutorial_true_color_returns_b04_b03_b02_stretched_to_uint8(rng):
    bands = {b: reflectances(rng, (37, 53), 0.0, 1.2) for b in ("B02", "B03", "B04")}
    with EvalscriptRuntime(TUTORIAL_TRUE_COLOR, Limits()) as runtime:
        assert runtime.setup.bands == ("B02", "B03", "B04")
        assert runtime.setup.units["B04"] == Units.REFLECTANCE
        result = runtime.evaluate(simple(bands))
    raster = result.outputs["default"]
    assert raster.sample_type == "UINT8" and raster.data.dtype == np.uint8
    expected = np.stack([bands["B04"], bands["B03"], bands["B02"]])
    expected = np.clip(np.floor(expected.astype(np.float64) * 255 + 0.5), 0, 255)
    np.testing.assert_array_equal(raster.data, expected.astype(np.uint8))
    assert result.warnings == []


def tutorial_expected(b04, b08, clm, mask, days):
    """The tutorial script's output, computed independently: NDVI of valid samples, oldest first, as UINT16."""
    n, h, w = b04.shape
    ndvi_out = np.zeros((5, h, w), np.uint16)
    dm_out = np.zeros((5, h, w), np.uint8)
    sampled = [datetime(2023, 7, d) for d in (1, 8, 15, 22, 29)]
    for y in range(h):
        for x in range(w):
            valid = [i for i in range(n - 1, -1, -1) if clm[i, y, x] not in (1, 255) and mask[i, y, x] == 1]
            values = [
                (b08[i, y, x] - b04[i, y, x]) / (b08[i, y, x] + b04[i, y, x]) * 10000 + 10000 for i in valid
            ]
            dates = [datetime(2023, 7, days[i]) for i in valid]
            for k, v in enumerate(values[:5]):
                ndvi_out[k, y, x] = min(65535, max(0, int(np.floor(np.float32(v) + 0.5))))
            if len(dates) >= 2:
                for k, date in enumerate(sampled):
                    inside = (
                        any(dates[j] <= date < dates[j + 1] for j in range(len(dates) - 1))
                        or date == dates[-1]
                    )
                    dm_out[k, y, x] = 1 if inside else 0
    return ndvi_out, dm_out


def test_tutorial_interpolation_script_runs_unmodified_on_orbits(rng):
    days = [26, 21, 16, 11, 6, 1]  # ORBIT samples come most recent first
    n, h, w = len(days), 12, 17
    b04 = rng.uniform(300, 3000, (n, h, w)).astype(np.float32)
    b08 = rng.uniform(300, 5000, (n, h, w)).astype(np.float32)
    clm = rng.choice(np.array([0, 0, 0, 1, 255], np.float32), (n, h, w))
    mask = (rng.random((n, h, w)) > 0.1).astype(np.uint8)
    data = stack({"B04": b04, "B08": b08, "CLM": clm}, orbits(days), mask)
    with EvalscriptRuntime(TUTORIAL_INTERPOLATION, Limits()) as runtime:
        setup = runtime.setup
        assert setup.mosaicking == Mosaicking.ORBIT
        assert [(o.id, o.bands, o.sample_type) for o in setup.outputs] == [
            ("NDVI", 5, "UINT16"),
            ("data_mask", 5, "UINT8"),
        ]
        assert all(setup.units[b] == Units.DN for b in ("B04", "B08", "CLM"))
        result = runtime.evaluate(data)
    expected_ndvi, expected_dm = tutorial_expected(b04, b08, clm, mask, days)
    np.testing.assert_array_equal(result.outputs["NDVI"].data, expected_ndvi)
    np.testing.assert_array_equal(result.outputs["data_mask"].data, expected_dm)
    # the script returns one NDVI per valid sample into 5 bands: padded or cut, with one warning
    assert len(result.warnings) == 1 and "'NDVI'" in result.warnings[0]


# --- common Sentinel Hub scripts --------------------------------------------------------------------------

NDVI = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: SampleType.FLOAT32}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }
"""
NDWI = """//VERSION=3
function setup() {
  return {input: [{bands: ["B03", "B08", "dataMask"], units: "REFLECTANCE"}],
          output: {id: "ndwi", bands: 2, sampleType: "INT16", nodataValue: -32768}};
}
function evaluatePixel(s) {
  if (s.dataMask == 0) return [NaN, 0];
  return [10000 * (s.B03 - s.B08) / (s.B03 + s.B08), 1];
}
"""
MULTI_OUTPUT = """//VERSION=3
function setup() {
  return {
    input: [{bands: ["B04", "B08"], units: ["DN", "DN"]}],
    output: [{id: "ndvi", bands: 1, sampleType: "FLOAT32"}, {id: "count", bands: 1, sampleType: "UINT8"}],
    mosaicking: Mosaicking.ORBIT
  };
}
var seen = 0;
function evaluatePixel(samples, scenes) {
  var best = -1;
  for (var i = 0; i < samples.length; i++) {
    var v = (samples[i].B08 - samples[i].B04) / (samples[i].B08 + samples[i].B04);
    if (v > best) best = v;
  }
  seen++;
  return {ndvi: [best], count: [samples.length]};
}
function updateOutputMetadata(scenes, inputMetadata, outputMetadata) {
  outputMetadata.userData = {
    dates: scenes.orbits.map(function (o) { return o.dateFrom; }),
    tiles: scenes.orbits.map(function (o) { return o.tiles[0].shId; }),
    service: inputMetadata.serviceVersion,
    factor: inputMetadata.normalizationFactor
  };
}
"""
FILTER_SCENES = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
function preProcessScenes(collections) {
  collections.scenes.orbits = collections.scenes.orbits.filter(function (orbit) {
    return new Date(orbit.dateFrom).getUTCDate() % 2 == 0;  // even days only
  });
  return collections;
}
function evaluatePixel(samples) { return [samples.length]; }
"""
BAND_COUNT = """//VERSION=3
function setup() { return {input: ["B04"], output: {id: "series", bands: 1, sampleType: "FLOAT32"}, mosaicking: "TILE"}; }
function updateOutput(outputs, collection) { outputs.series.bands = collection.scenes.length; }
function evaluatePixel(samples, scenes) {
  return samples.map(function (s) { return s.B04; });
}
"""


def test_ndvi_matches_numpy(rng):
    red, nir = reflectances(rng, (64, 80)), reflectances(rng, (64, 80))
    result = EvalscriptRuntime(NDVI, Limits()).evaluate(simple({"B04": red, "B08": nir}))
    np.testing.assert_allclose(result.outputs["default"].data[0], (nir - red) / (nir + red), rtol=1e-6)


def test_ndwi_int16_with_nodata_for_masked_pixels(rng):
    green, nir = reflectances(rng, (40, 40)), reflectances(rng, (40, 40))
    mask = (rng.random((40, 40)) > 0.25).astype(np.uint8)
    result = EvalscriptRuntime(NDWI, Limits()).evaluate(simple({"B03": green, "B08": nir}, mask))
    raster = result.outputs["ndwi"]
    assert raster.data.dtype == np.int16 and raster.nodata_value == -32768
    ndwi = 10000 * (green.astype(np.float64) - nir) / (green.astype(np.float64) + nir)
    expected = np.where(mask == 1, np.trunc(ndwi + np.copysign(0.5, ndwi)), -32768)
    np.testing.assert_array_equal(raster.data[0], expected)
    np.testing.assert_array_equal(raster.data[1], mask)


def test_multi_output_orbit_script_with_userdata(rng):
    days = [16, 6, 1]
    red, nir = (
        rng.uniform(100, 3000, (3, 20, 30)).astype(np.float32),
        rng.uniform(100, 5000, (3, 20, 30)).astype(np.float32),
    )
    result = EvalscriptRuntime(MULTI_OUTPUT, Limits()).evaluate(stack({"B04": red, "B08": nir}, orbits(days)))
    np.testing.assert_allclose(
        result.outputs["ndvi"].data[0], ((nir - red) / (nir + red)).max(axis=0), rtol=1e-6
    )
    assert (result.outputs["count"].data == 3).all()
    assert result.userdata == {
        "dates": ["2023-07-16T00:00:00Z", "2023-07-06T00:00:00Z", "2023-07-01T00:00:00Z"],
        "tiles": ["S2A_11SKV_20230716_0_L2A", f"S2A_11SKV_2023070{6}_0_L2A", f"S2A_11SKV_2023070{1}_0_L2A"],
        "service": "tilewise-1.0",
        "factor": 0.0001,
    }


def test_pre_process_scenes_filters_the_samples_a_pixel_sees():
    with EvalscriptRuntime(FILTER_SCENES, Limits()) as runtime:
        kept = runtime.pre_process_scenes(orbits([1, 2, 4, 7, 10]), JULY, JULY + timedelta(days=30))
        assert [s.date_from.day for s in kept] == [2, 4, 10]
        data = stack({"B04": np.ones((len(kept), 4, 4), np.float32)}, kept)
        assert (runtime.evaluate(data).outputs["default"].data == 3).all()


def test_update_output_sets_band_count_from_the_scenes(rng):
    samples = [Sample(s.datetime, s.datetime, (s,)) for s in (scene(9), scene(5), scene(2))]
    red = reflectances(rng, (3, 6, 7))
    result = EvalscriptRuntime(BAND_COUNT, Limits()).evaluate(stack({"B04": red}, samples))
    series = result.outputs["series"]
    assert series.data.shape == (3, 6, 7)
    np.testing.assert_allclose(series.data, red)
    assert result.warnings == []


def test_scenes_come_in_the_current_and_the_deprecated_form():
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 6, sampleType: "FLOAT32"}, mosaicking: "TILE"}; }
function evaluatePixel(samples, scenes) {
  return [scenes.length, scenes.tiles.length, new Date(scenes[0].date).getUTCDate(),
          scenes.tiles[1].cloudCoverage, scenes[1].tileOriginalId == scenes.tiles[1].shId ? 1 : 0,
          scenes.tiles[0].dataPath == "s3://bucket/9" ? 1 : 0];
}"""
    samples = [Sample(s.datetime, s.datetime, (s,)) for s in (scene(9), scene(5))]
    result = EvalscriptRuntime(script, Limits()).evaluate(
        stack({"B04": np.zeros((2, 2, 2), np.float32)}, samples)
    )
    assert result.outputs["default"].data[:, 0, 0].tolist() == [2, 2, 9, 50, 1, 1]


def test_simple_gets_one_sample_and_empty_scenes_and_orbit_may_get_none():
    script = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 3, sampleType: "FLOAT32"}}; }
function evaluatePixel(sample, scenes) { return [Array.isArray(sample) ? 1 : 0, scenes.length, sample.dataMask]; }"""
    result = EvalscriptRuntime(script, Limits()).evaluate(
        simple({"B04": np.zeros((2, 2), np.float32)}, np.zeros((2, 2), np.uint8))
    )
    assert result.outputs["default"].data[:, 0, 0].tolist() == [0, 0, 0]
    empty = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "UINT8"}, mosaicking: "ORBIT"}; }
function evaluatePixel(samples) { return [samples.length == 0 ? 7 : 0]; }"""
    none = SampleStack([], {"B04": np.zeros((0, 3, 3), np.float32)}, np.zeros((0, 3, 3), np.uint8), 3, 3)
    assert (EvalscriptRuntime(empty, Limits()).evaluate(none).outputs["default"].data == 7).all()


def test_chunked_evaluation_equals_one_chunk_and_state_carries_over(rng):
    red, nir = reflectances(rng, (50, 33)), reflectances(rng, (50, 33))
    whole = EvalscriptRuntime(NDVI, Limits()).evaluate(simple({"B04": red, "B08": nir}))
    chunked = EvalscriptRuntime(NDVI, Limits(chunk_pixels=100)).evaluate(simple({"B04": red, "B08": nir}))
    np.testing.assert_array_equal(whole.outputs["default"].data, chunked.outputs["default"].data)
    counter = """//VERSION=3
var n = 0;
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { n++; return [n]; }"""
    result = EvalscriptRuntime(counter, Limits(chunk_pixels=64)).evaluate(simple({"B04": red}))
    np.testing.assert_array_equal(result.outputs["default"].data[0].ravel(), np.arange(1, 50 * 33 + 1))


# --- sample types -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample_type, values, expected",
    [
        ("UINT8", [-3, 0.4, 0.5, 1.5, 254.5, 300, None], [0, 0, 1, 2, 255, 255, 0]),
        ("INT8", [-200, -1.5, -0.5, 0.49, 126.6, 500, None], [-128, -2, -1, 0, 127, 127, 0]),
        ("UINT16", [-1, 2.5, 65535.4, 70000, 1e9, 3, None], [0, 3, 65535, 65535, 65535, 3, 0]),
        ("INT16", [-40000, -2.5, 2.5, 32767.6, 12, 0, None], [-32768, -3, 3, 32767, 12, 0, 0]),
        ("AUTO", [-0.1, 0, 0.5, 1, 1.5, 0.002, None], [0, 0, 128, 255, 255, 1, 0]),
    ],
)
def test_sample_types_round_to_nearest_and_clamp(sample_type, values, expected):
    literal = ", ".join("null" if v is None else repr(v) for v in values)
    script = f"""//VERSION=3
var values = [{literal}];
var i = 0;
function setup() {{ return {{input: ["B04"], output: {{bands: 1, sampleType: "{sample_type}"}}}}; }}
function evaluatePixel(s) {{ return [values[i++]]; }}"""
    result = EvalscriptRuntime(script, Limits()).evaluate(
        simple({"B04": np.zeros((1, len(values)), np.float32)})
    )
    assert result.outputs["default"].data[0, 0].tolist() == expected


def test_nan_becomes_nodata_value_and_stays_nan_in_float32():
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: [{id: "a", bands: 1, sampleType: "UINT8", nodataValue: 255},
                                                     {id: "b", bands: 1, sampleType: "FLOAT32"}]}; }
function evaluatePixel(s) { return {a: [NaN], b: [undefined]}; }"""
    result = EvalscriptRuntime(script, Limits()).evaluate(simple({"B04": np.zeros((2, 2), np.float32)}))
    assert (result.outputs["a"].data == 255).all()
    assert np.isnan(result.outputs["b"].data).all()


# --- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, kind, fragment, line",
    [
        (
            '//VERSION=3\nfunction setup() {\n  return {input: ["B04"], output: {bands: 1}};\n}\nfunction evaluatePixel(s) {\n  return [s.B04;\n}',
            "syntax",
            "does not parse",
            6,
        ),
        ("function setup() {}\nfunction evaluatePixel() {}", "setup", "//VERSION=3", 1),
        ("//VERSION=3\nfunction evaluatePixel(s) { return [1]; }", "setup", "no setup()", None),
        (
            '//VERSION=3\nfunction setup() { return {input: ["B04"], output: {bands: 1}}; }',
            "setup",
            "no evaluatePixel()",
            None,
        ),
        (
            "//VERSION=3\nfunction setup() { return {input: [4], output: {bands: 1}}; }\nfunction evaluatePixel(s) {}",
            "setup",
            "band name",
            None,
        ),
        (
            '//VERSION=3\nfunction setup() { return {input: ["B04"], output: {bands: 1, sampleType: "UINT32"}}; }\nfunction evaluatePixel(s) {}',
            "setup",
            "UINT32",
            None,
        ),
        (
            '//VERSION=3\nfunction setup() { return {input: [{bands: ["B04"], units: "FURLONGS"}], output: {bands: 1}}; }\nfunction evaluatePixel(s) {}',
            "setup",
            "FURLONGS",
            None,
        ),
        (
            "//VERSION=3\nfunction setup() {\n  return undefinedThing.x;\n}\nfunction evaluatePixel(s) {}",
            "runtime",
            "ReferenceError",
            3,
        ),
    ],
)
def test_invalid_scripts_are_reported_precisely(source, kind, fragment, line):
    with pytest.raises(EvalscriptError) as info:
        compile_script(source, Limits())
    assert info.value.kind == kind
    assert fragment in str(info.value)
    if line is not None:
        assert info.value.line == line and f"line {line}" in str(info.value)


def test_runtime_exception_names_line_and_column():
    script = '//VERSION=3\nfunction setup() { return {input: ["B04"], output: {bands: 1}}; }\nfunction evaluatePixel(s) {\n  var a = s.B04;\n  return [a.missing.field];\n}'
    with pytest.raises(EvalscriptError) as info:
        EvalscriptRuntime(script, Limits()).evaluate(simple({"B04": np.zeros((3, 3), np.float32)}))
    assert info.value.kind == "runtime" and (info.value.line, info.value.column) == (5, 21)
    assert "TypeError" in str(info.value) and "evaluatePixel" in str(info.value)


@pytest.mark.parametrize(
    "returned, fragment",
    [("['high']", "values must be numbers"), ("5", "return an array"), ("[{}]", "(a object)")],
)
def test_non_numeric_returns_are_errors(returned, fragment):
    script = f"""//VERSION=3
function setup() {{ return {{input: ["B04"], output: {{bands: 1}}}}; }}
function evaluatePixel(s) {{ return {returned}; }}"""
    with pytest.raises(EvalscriptError) as info:
        EvalscriptRuntime(script, Limits()).evaluate(simple({"B04": np.zeros((2, 2), np.float32)}))
    assert info.value.kind == "output" and fragment in str(info.value)


def test_array_for_several_outputs_is_an_error():
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: [{id: "a", bands: 1}, {id: "b", bands: 1}]}; }
function evaluatePixel(s) { return [1, 2]; }"""
    with pytest.raises(EvalscriptError, match="return an object keyed by output id"):
        EvalscriptRuntime(script, Limits()).evaluate(simple({"B04": np.zeros((2, 2), np.float32)}))


# --- limits and sandbox -----------------------------------------------------------------------------------


def test_endless_loop_is_stopped_by_the_tile_time_limit_and_the_runtime_recovers():
    script = """//VERSION=3
var spin = false;
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { while (s.B04 > 0) {} return [s.B04]; }"""
    runtime = EvalscriptRuntime(script, Limits(time_limit_s=0.5))
    with pytest.raises(EvalscriptError) as info:
        runtime.evaluate(simple({"B04": np.ones((2, 2), np.float32)}))
    assert info.value.kind == "limit" and "time limit of 0.5 s" in str(info.value)
    assert "TILEWISE_TILE_TIME_LIMIT" in str(info.value)
    assert (
        runtime.evaluate(simple({"B04": np.zeros((2, 2), np.float32)})).outputs["default"].data == 0
    ).all()


def test_unbounded_allocation_is_stopped_by_the_heap_limit():
    script = """//VERSION=3
var hoard = [];
function setup() { return {input: ["B04"], output: {bands: 1}}; }
function evaluatePixel(s) { while (true) { hoard.push(new Array(100000).fill(s.B04)); } }"""
    with pytest.raises(EvalscriptError) as info:
        EvalscriptRuntime(script, Limits(heap_mb=64, time_limit_s=60)).evaluate(
            simple({"B04": np.ones((1, 1), np.float32)})
        )
    assert info.value.kind == "limit" and "heap limit of 64 MiB" in str(info.value)


@pytest.mark.parametrize(
    "attempt",
    [
        "require('fs').readFileSync('/etc/passwd')",
        "process.env.HOME",
        "fetch('http://127.0.0.1:1/')",
        "new XMLHttpRequest()",
        "load('/etc/passwd')",
        "read('/etc/passwd')",
        "readline()",
        "os.system('id')",
        "quit()",
        "WebAssembly.compile(new Uint8Array(8))",
        "setTimeout(function () {}, 0)",
        "Deno.readTextFileSync('/etc/passwd')",
        "Bun.file('/etc/passwd')",
    ],
)
def test_scripts_reach_no_file_network_or_process(attempt):
    script = f"""//VERSION=3
function setup() {{ return {{input: ["B04"], output: {{bands: 1}}}}; }}
function evaluatePixel(s) {{ return [{attempt}]; }}"""
    with pytest.raises(EvalscriptError) as info:
        EvalscriptRuntime(script, Limits()).evaluate(simple({"B04": np.zeros((1, 1), np.float32)}))
    message = str(info.value)
    assert ("ReferenceError" in message and "is not defined" in message) or "is not a function" in message


def test_dynamic_import_cannot_load_modules():
    script = """//VERSION=3
var outcome = 0;
import("fs").then(function () { outcome = 1; }, function () { outcome = 2; });
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "UINT8"}}; }
function evaluatePixel(s) { return [outcome]; }"""
    result = EvalscriptRuntime(script, Limits()).evaluate(simple({"B04": np.zeros((1, 1), np.float32)}))
    assert result.outputs["default"].data[0, 0, 0] != 1
