"""Common Sentinel Hub evalscripts and the V3 semantics they rely on, checked against numpy."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tilewise.engine.evalscript import EvalscriptRuntime, Limits, compile_script
from tilewise.engine.samples import Mosaicking, Units


def refl(rng, shape, low=0.01, high=0.6) -> np.ndarray:
    return rng.uniform(low, high, shape).astype(np.float32)


def run(source: str, data, **kwargs):
    with EvalscriptRuntime(source, kwargs.pop("limits", Limits())) as runtime:
        return runtime.evaluate(data, **kwargs)


NDVI = """//VERSION=3
function setup() {
  return {input: ["B04", "B08"], output: {bands: 1, sampleType: SampleType.FLOAT32}};
}
function evaluatePixel(sample) {
  return [(sample.B08 - sample.B04) / (sample.B08 + sample.B04)];
}
"""

NDWI = """//VERSION=3
function setup() {
  return {
    input: [{bands: ["B03", "B08", "dataMask"], units: "REFLECTANCE"}],
    output: {id: "ndwi", bands: 2, sampleType: "INT16", nodataValue: -32768}
  };
}
function evaluatePixel(s) {
  if (s.dataMask == 0) return [NaN, 0];
  return [10000 * (s.B03 - s.B08) / (s.B03 + s.B08), s.dataMask];
}
"""

MULTI_OUTPUT = """//VERSION=3
function setup() {
  return {
    input: [{bands: ["B04", "B08", "dataMask"], units: ["DN", "DN"]}],
    output: [
      {id: "max_ndvi", bands: 1, sampleType: "FLOAT32"},
      {id: "valid", bands: 1, sampleType: SampleType.UINT8},
      {id: "rgb", bands: 3, sampleType: "UINT16"}
    ],
    mosaicking: Mosaicking.ORBIT
  };
}
var pixels = 0;
function evaluatePixel(samples, scenes, inputMetadata, customData, outputMetadata) {
  var best = -1, valid = 0;
  for (var i = 0; i < samples.length; i++) {
    if (samples[i].dataMask == 0) continue;
    valid++;
    var v = (samples[i].B08 - samples[i].B04) / (samples[i].B08 + samples[i].B04);
    if (v > best) best = v;
  }
  pixels++;
  return {max_ndvi: [best], valid: [valid], rgb: [samples[0].B04, samples[0].B08, customData.gain]};
}
function updateOutputMetadata(scenes, inputMetadata, outputMetadata) {
  outputMetadata.userData = {
    dates: scenes.orbits.map(function (o) { return o.dateFrom; }),
    to: scenes.orbits.map(function (o) { return o.dateTo; }),
    tiles: scenes.orbits.map(function (o) { return o.tiles.map(function (t) { return t.shId; }); }),
    service: inputMetadata.serviceVersion,
    factor: inputMetadata.normalizationFactor,
    pixels: pixels
  };
}
"""


def test_ndvi_matches_numpy(rng, kit):
    red, nir = refl(rng, (64, 80)), refl(rng, (64, 80))
    result = run(NDVI, kit.simple({"B04": red, "B08": nir}))
    raster = result.outputs["default"]
    assert raster.data.dtype == np.float32 and raster.sample_type == "FLOAT32"
    expected = (nir.astype(np.float64) - red) / (nir.astype(np.float64) + red)
    np.testing.assert_array_equal(raster.data[0], expected.astype(np.float32))


def test_ndwi_int16_with_nodata_for_masked_pixels(rng, kit):
    green, nir = refl(rng, (40, 40)), refl(rng, (40, 40))
    mask = (rng.random((40, 40)) > 0.25).astype(np.uint8)
    raster = run(NDWI, kit.simple({"B03": green, "B08": nir}, mask)).outputs["ndwi"]
    assert raster.data.dtype == np.int16 and raster.nodata_value == -32768
    ndwi = 10000 * (green.astype(np.float64) - nir) / (green.astype(np.float64) + nir)
    expected = np.where(mask == 1, np.sign(ndwi) * np.floor(np.abs(ndwi) + 0.5), -32768)
    np.testing.assert_array_equal(raster.data[0], expected)
    np.testing.assert_array_equal(raster.data[1], mask)


def test_multi_output_orbit_script_with_userdata(rng, kit):
    days = [16, 6, 1]
    red = rng.uniform(100, 3000, (3, 20, 30)).astype(np.float32)
    nir = rng.uniform(100, 5000, (3, 20, 30)).astype(np.float32)
    mask = (rng.random((3, 20, 30)) > 0.3).astype(np.uint8)
    samples = [
        kit.orbit(16, kit.scene(16), kit.scene(16, hour=11, name="second")),
        kit.orbit(6),
        kit.orbit(1),
    ]
    data = kit.stack({"B04": red, "B08": nir}, samples, mask)
    result = run(MULTI_OUTPUT, data, custom_data={"gain": 7})
    ndvi = np.where(mask == 1, (nir.astype(np.float64) - red) / (nir.astype(np.float64) + red), -1).max(
        axis=0
    )
    np.testing.assert_array_equal(result.outputs["max_ndvi"].data[0], ndvi.astype(np.float32))
    np.testing.assert_array_equal(result.outputs["valid"].data[0], mask.sum(axis=0))
    rgb = result.outputs["rgb"].data
    assert rgb.dtype == np.uint16
    np.testing.assert_array_equal(rgb[0], np.floor(red[0].astype(np.float64) + 0.5))
    np.testing.assert_array_equal(rgb[1], np.floor(nir[0].astype(np.float64) + 0.5))
    assert (rgb[2] == 7).all()
    assert result.userdata == {
        "dates": [f"2023-07-{d:02d}T00:00:00Z" for d in days],
        "to": [f"2023-07-{d + 1:02d}T00:00:00Z" for d in days],
        "tiles": [
            ["S2B_33TWM_20230716_0_L2A", "second"],
            ["S2B_33TWM_20230706_0_L2A"],
            ["S2B_33TWM_20230701_0_L2A"],
        ],
        "service": "tilewise-1.0",
        "factor": 0.0001,
        "pixels": 600,
    }
    assert result.warnings == []


ORBIT_FILTER = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 2, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
var window = null;
function preProcessScenes(collections) {
  window = [collections.from.getTime(), collections.to.getTime()];
  collections.scenes.orbits = collections.scenes.orbits.filter(function (orbit) {
    return new Date(orbit.dateFrom).getUTCDate() % 2 == 0;  // even days only
  });
  return collections;
}
function evaluatePixel(samples) {
  var sum = 0;
  for (var i = 0; i < samples.length; i++) sum += samples[i].B04;
  return [samples.length, sum];
}
function updateOutputMetadata(scenes, inputMetadata, outputMetadata) { outputMetadata.userData = window; }
"""

TILE_FILTER = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "UINT8"}, mosaicking: Mosaicking.TILE}; }
function preProcessScenes(collections) {
  collections.scenes.tiles = collections.scenes.tiles.filter(function (tile) {
    return tile.cloudCoverage < 30 && new Date(tile.date) >= collections.from;
  });
  return collections;
}
function evaluatePixel(samples, scenes) { return [scenes.tiles.length]; }
"""


def test_pre_process_scenes_filters_orbits_before_pixels_are_read(rng, kit):
    with EvalscriptRuntime(ORBIT_FILTER, Limits()) as runtime:
        assert runtime.setup.has_pre_process_scenes
        start = kit.JULY
        kept = runtime.pre_process_scenes(
            [kit.orbit(d) for d in (10, 7, 4, 2, 1)], start, start + timedelta(days=30)
        )
        assert [s.date_from.day for s in kept] == [10, 4, 2]  # order kept, odd days gone
        red = refl(rng, (3, 5, 6))
        result = runtime.evaluate(
            kit.stack({"B04": red}, kept), time_from=start, time_to=start + timedelta(days=30)
        )
    assert (result.outputs["default"].data[0] == 3).all()
    np.testing.assert_allclose(
        result.outputs["default"].data[1], red.astype(np.float64).sum(axis=0), rtol=1e-6
    )
    assert result.userdata == [start.timestamp() * 1000, (start + timedelta(days=30)).timestamp() * 1000]


def test_pre_process_scenes_filters_tiles_by_cloud_cover_and_date(kit):
    samples = [kit.tile(20, cloud=5), kit.tile(12, cloud=50), kit.tile(9, cloud=29), kit.tile(2, cloud=1)]
    with EvalscriptRuntime(TILE_FILTER, Limits()) as runtime:
        kept = runtime.pre_process_scenes(
            samples, kit.JULY + timedelta(days=4), kit.JULY + timedelta(days=30)
        )
        assert kept == [samples[0], samples[2]]
        result = runtime.evaluate(kit.stack({"B04": np.zeros((2, 2, 2))}, kept))
    assert (result.outputs["default"].data == 2).all()


def test_pre_process_scenes_is_identity_without_the_hook(kit):
    samples = [kit.orbit(3), kit.orbit(1)]
    with EvalscriptRuntime(NDVI.replace("output:", 'mosaicking: "ORBIT", output:'), Limits()) as runtime:
        assert runtime.pre_process_scenes(samples) is samples


def test_pre_process_scenes_on_simple_filters_the_scenes_of_the_mosaic(kit):
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 1}}; }
function preProcessScenes(collections) {
  collections.scenes.tiles = collections.scenes.tiles.filter(function (t) { return t.cloudCoverage < 20; });
  return collections;
}
function evaluatePixel(s) { return [s.B04]; }"""
    mosaic = kit.orbit(1, kit.scene(3, cloud=10), kit.scene(5, cloud=40), kit.scene(8, cloud=0))
    with EvalscriptRuntime(script, Limits()) as runtime:
        (kept,) = runtime.pre_process_scenes([mosaic])
    assert [s.datetime.day for s in kept.scenes] == [3, 8]


def test_update_output_sets_band_count_from_the_scenes(rng, kit):
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {id: "series", bands: 1, sampleType: "FLOAT32"}, mosaicking: "TILE"}; }
function updateOutput(outputs, collection) { outputs.series.bands = collection.scenes.length; }
function evaluatePixel(samples, scenes) { return {series: samples.map(function (s) { return s.B04; })}; }"""
    with EvalscriptRuntime(script, Limits()) as runtime:
        assert runtime.setup.has_update_output and runtime.setup.output("series").bands == 1
        for n in (3, 5, 0):  # the band count follows each tile's scenes, and the runtime is reused
            red = refl(rng, (n, 6, 7))
            result = runtime.evaluate(kit.stack({"B04": red}, [kit.tile(d) for d in range(n, 0, -1)]))
            series = result.outputs["series"]
            assert series.data.shape == (n, 6, 7)
            np.testing.assert_array_equal(series.data, red)
            assert result.warnings == []


def test_scenes_in_the_current_and_the_deprecated_form(kit):
    tile_script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 7, sampleType: "FLOAT32"}, mosaicking: "TILE"}; }
function evaluatePixel(samples, scenes) {
  return [scenes.length, scenes.tiles.length, new Date(scenes[0].date).getUTCDate(),
          scenes.tiles[1].cloudCoverage, scenes[1].tileOriginalId == scenes.tiles[1].shId ? 1 : 0,
          scenes.tiles[0].dataPath == "s3://sentinel-cogs/33/T/WM/2023/7/9" ? 1 : 0,
          new Date(scenes.tiles[0].date).getUTCHours()];
}"""
    result = run(
        tile_script, kit.stack({"B04": np.zeros((2, 2, 2))}, [kit.tile(9, cloud=12.5), kit.tile(5, cloud=50)])
    )
    assert result.outputs["default"].data[:, 1, 1].tolist() == [2, 2, 9, 50, 1, 1, 10]
    orbit_script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 6, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
function evaluatePixel(samples, scenes) {
  var o = scenes.orbits[1];
  return [scenes.orbits.length, new Date(o.dateFrom).getUTCDate(), new Date(o.dateTo).getUTCDate(), o.tiles.length,
          scenes[1].date instanceof Date ? scenes[1].date.getUTCDate() : -1, scenes[0].orbitId];
}"""
    samples = [kit.orbit(9), kit.orbit(5, kit.scene(5), kit.scene(5, hour=12, name="b"))]
    result = run(orbit_script, kit.stack({"B04": np.zeros((2, 1, 1))}, samples))
    assert result.outputs["default"].data[:, 0, 0].tolist() == [2, 5, 6, 2, 5, 109]


def test_simple_gets_one_sample_and_empty_scenes(kit):
    script = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 4, sampleType: "FLOAT32"}}; }
function evaluatePixel(sample, scenes) {
  return [Array.isArray(sample) ? 1 : 0, scenes.length, sample.dataMask, sample.B04];
}"""
    mask = np.array([[1, 0]], np.uint8)
    result = run(script, kit.simple({"B04": np.array([[0.25, 0.0]])}, mask))
    assert result.outputs["default"].data[:, 0, :].T.tolist() == [[0, 0, 1, 0.25], [0, 0, 0, 0]]


def test_orbit_passes_every_sample_including_those_without_data(rng, kit):
    script = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 2, sampleType: "UINT8"}, mosaicking: "ORBIT"}; }
function evaluatePixel(samples) {
  var withData = 0;
  for (var i = 0; i < samples.length; i++) withData += samples[i].dataMask;
  return [samples.length, withData];
}"""
    mask = (rng.random((4, 5, 5)) > 0.5).astype(np.uint8)
    red = np.where(mask == 1, refl(rng, (4, 5, 5)), 0)
    result = run(script, kit.stack({"B04": red}, [kit.orbit(d) for d in (8, 6, 4, 2)], mask))
    assert (result.outputs["default"].data[0] == 4).all()
    np.testing.assert_array_equal(result.outputs["default"].data[1], mask.sum(axis=0))


def test_orbit_and_tile_may_get_no_samples(kit):
    for mosaicking in ("ORBIT", "TILE"):
        script = f"""//VERSION=3
function setup() {{ return {{input: ["B04"], output: {{bands: 1, sampleType: "UINT8"}}, mosaicking: "{mosaicking}"}}; }}
function evaluatePixel(samples, scenes) {{ return [samples.length == 0 && scenes.orbits.length == 0 ? 7 : 0]; }}"""
        result = run(script, kit.stack({"B04": np.zeros((0, 3, 3))}, []))
        assert (result.outputs["default"].data == 7).all()


def test_return_forms_array_keyed_object_typed_array_nothing_and_mixed(kit):
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 2, sampleType: "FLOAT32", nodataValue: -1}}; }
function evaluatePixel(s) {
  var v = s.B04;
  switch (v % 5) {
    case 0: return [v, 1];
    case 1: return {default: [v, 2]};
    case 2: return new Float32Array([v, 3]);
    case 3: return;
    default: return [v, true];
  }
}"""
    values = np.arange(40, dtype=np.float32).reshape(5, 8)
    out = run(script, kit.simple({"B04": values})).outputs["default"].data
    kind = values % 5
    np.testing.assert_array_equal(out[0], np.where(kind == 3, -1, values))
    np.testing.assert_array_equal(
        out[1], np.select([kind == 0, kind == 1, kind == 2, kind == 3], [1, 2, 3, -1], 1)
    )


def test_multi_output_object_with_a_missing_output_gives_nodata(kit):
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: [{id: "a", bands: 1, sampleType: "UINT8", nodataValue: 9},
                                                     {id: "b", bands: 1, sampleType: "UINT8"}]}; }
function evaluatePixel(s) { return s.B04 > 0 ? {a: [1], b: [2]} : {b: [3]}; }"""
    out = run(script, kit.simple({"B04": np.array([[1, 0, 1]])})).outputs
    assert out["a"].data[0, 0].tolist() == [1, 9, 1] and out["b"].data[0, 0].tolist() == [2, 3, 2]


def test_input_metadata_custom_data_and_constants(kit):
    script = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04"], units: "DN"}], output: {bands: 5, sampleType: SampleType.FLOAT32},
          mosaicking: Mosaicking.SIMPLE};
}
function evaluatePixel(s, scenes, inputMetadata, customData) {
  return [inputMetadata.normalizationFactor, customData.threshold, SampleType.UINT16 == "UINT16" ? 1 : 0,
          Mosaicking.TILE == "TILE" ? 1 : 0, typeof inputMetadata.serviceVersion == "string" ? 1 : 0];
}"""
    out = run(script, kit.simple({"B04": np.zeros((1, 1))}), custom_data={"threshold": 0.35}).outputs[
        "default"
    ]
    np.testing.assert_allclose(out.data[:, 0, 0], [0.0001, 0.35, 1, 1, 1], rtol=1e-6)


def test_units_per_band_and_for_all_bands():
    setup = compile_script(
        """//VERSION=3
function setup() {
  return {input: [{bands: ["B02", "B03"], units: "DN"}, {bands: ["AOT", "CLD", "sunZenithAngles", "dataMask"],
                   units: ["OPTICAL_DEPTH", "PERCENT", "DEGREES", "DN"], metadata: ["bounds"]}, "B04"],
          output: [{id: "a", bands: 1}, {id: "b", bands: 2, sampleType: "UINT16", nodataValue: 0}],
          mosaicking: "TILE"};
}
function evaluatePixel(samples) { return {a: [1], b: [1, 2]}; }""",
        Limits(),
    )
    assert setup.bands == ("B02", "B03", "AOT", "CLD", "sunZenithAngles", "dataMask", "B04")
    assert setup.units == {
        "B02": Units.DN, "B03": Units.DN, "AOT": Units.OPTICAL_DEPTH, "CLD": Units.PERCENT,
        "sunZenithAngles": Units.DEGREES, "B04": Units.REFLECTANCE,
    }  # fmt: skip
    assert setup.metadata == ("bounds",) and setup.mosaicking == Mosaicking.TILE
    assert setup.output("b").sample_type == "UINT16" and setup.output("b").nodata_value == 0.0
    with pytest.raises(KeyError):
        setup.output("c")


def test_state_carries_over_pixels_and_chunks_in_order(kit):
    counter = """//VERSION=3
var n = 0;
function setup() { return {input: ["B04"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { n++; return [n]; }"""
    out = run(counter, kit.simple({"B04": np.zeros((50, 33))}), limits=Limits(chunk_pixels=64))
    np.testing.assert_array_equal(out.outputs["default"].data[0].ravel(), np.arange(1, 50 * 33 + 1))


def test_chunking_and_sample_counts_give_the_same_numbers(rng, kit):
    script = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 20, sampleType: "FLOAT32"}, mosaicking: "ORBIT"}; }
function evaluatePixel(samples) {
  var out = [];
  for (var k = 0; k < 20; k++) out.push(k < samples.length ? samples[k].B08 - samples[k].B04 : -1);
  return out;
}"""
    with EvalscriptRuntime(script, Limits(chunk_pixels=37)) as runtime:
        for n in (3, 40, 20):  # fixed-size sample literals up to 32 samples, a loop beyond
            red, nir = refl(rng, (n, 9, 11)), refl(rng, (n, 9, 11))
            result = runtime.evaluate(
                kit.stack({"B04": red, "B08": nir}, [kit.orbit(1 + d % 28) for d in range(n)])
            )
            expected = np.full((20, 9, 11), -1, np.float64)
            k = min(n, 20)
            expected[:k] = nir[:k].astype(np.float64) - red[:k]
            np.testing.assert_array_equal(result.outputs["default"].data, expected.astype(np.float32))
            assert result.warnings == []


def test_mosaicking_reaches_the_data_source_through_the_setup():
    for given, expected in (("", Mosaicking.SIMPLE), (', mosaicking: "ORBIT"', Mosaicking.ORBIT),
                            (", mosaicking: Mosaicking.TILE", Mosaicking.TILE)):  # fmt: skip
        setup = compile_script(
            f"//VERSION=3\nfunction setup() {{ return {{input: ['B04'], output: {{bands: 1}}{given}}}; }}\n"
            "function evaluatePixel(s) { return [0]; }",
            Limits(),
        )
        assert setup.mosaicking == expected


def test_pre_process_scenes_may_return_rebuilt_objects(kit):
    script = """//VERSION=3
function setup() { return {input: ["B04"], output: {bands: 1}, mosaicking: "TILE"}; }
function preProcessScenes(collections) {
  var tiles = collections.scenes.tiles.filter(function (t) { return t.cloudCoverage < 30; });
  return {scenes: {tiles: tiles.map(function (t) { return {date: t.date, shId: t.shId}; })}};
}
function evaluatePixel(samples) { return [samples.length]; }"""
    samples = [kit.tile(20, cloud=5), kit.tile(12, cloud=50), kit.tile(9, cloud=29)]
    with EvalscriptRuntime(script, Limits()) as runtime:
        assert runtime.pre_process_scenes(samples) == [samples[0], samples[2]]
