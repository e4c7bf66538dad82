"""Units converted per chunk: the sample stack keeps DN as read and converts rows as the runtime fills its
buffers, bit for bit what converting whole float32 planes gave (real Sentinel-2 L2A pixels, ../shared)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import numpy as np
import pytest
from testkit import shared_file

from tilewise.engine.data import TargetGrid, open_source
from tilewise.engine.data.reader import unit_conversion
from tilewise.engine.evalscript.runtime import EvalscriptRuntime, Limits
from tilewise.engine.samples import Mosaicking, RawBand, Sample, SampleStack, Units

AUGUST = (datetime(2023, 8, 1, tzinfo=timezone.utc), datetime(2023, 8, 31, tzinfo=timezone.utc))
# 120 m over the seam of MGRS 33TWM and 33TWL; its eastern 35 columns lie beyond both tiles (no data)
GRID = TargetGrid(32633, (590_000, 5_080_000, 614_000, 5_110_000), 200, 250)
NO_DATA_COLUMNS = slice(200 - 35, 200)
ASSETS = "tilewise:assets"


def legacy_units(band: str, dn: np.ndarray, unit: Units, offset: float, harmonize: bool) -> np.ndarray:
    """Whole-plane float32 conversion as the reader did it before issue 25 (the oracle)."""
    values = dn.astype(np.float32)
    if band in ("B02", "B03", "B04", "B08"):
        if unit == Units.REFLECTANCE:
            values = (values + np.float32(offset)) / np.float32(10000.0)
            return np.maximum(values, 0, out=values) if harmonize else values
        if harmonize:
            return np.maximum(values + np.float32(offset), 0)
        return values
    if band == "AOT" and unit != Units.DN:
        return values * np.float32(0.001)
    return values


def assert_bit_identical(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(actual.view(np.uint32), expected.view(np.uint32))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    config = tmp_path_factory.mktemp("real") / "catalog.json"
    href = shared_file("data/real-s2-l2a-33TW/sentinel-2-l2a/collection.json")
    config.write_text(
        json.dumps({"sentinel-2-l2a": {"kind": "static", "href": str(href), "bands": "sentinel-2-l2a"}})
    )
    return open_source(str(config), "sentinel-2-l2a")


def with_offset(scene, offset: float):
    """The scene as if its processing baseline needed `offset` DN (real pixels, real metadata otherwise)."""
    assets = {band: {**asset, "offset_dn": offset} for band, asset in scene.properties[ASSETS].items()}
    return dataclasses.replace(scene, properties={**scene.properties, ASSETS: assets})


def scenes_of(source, day: int, offset: float):
    found = [s for s in source.search((14.0, 45.0, 17.0, 47.0), *AUGUST) if s.datetime.day == day]
    assert len(found) == 2  # 33TWL and 33TWM
    return [with_offset(s, offset) for s in found]


def rows_in_chunks(stack: SampleStack, band: str, rows: int) -> np.ndarray:
    out = np.full((len(stack.samples), stack.height, stack.width), np.nan, np.float32)
    for row in range(0, stack.height, rows):
        end = min(stack.height, row + rows)
        stack.fill_rows(band, row, end, out[:, row:end])
    return out


@pytest.mark.parametrize("offset", [-1000.0, 0.0])
@pytest.mark.parametrize("harmonize", [True, False])
@pytest.mark.parametrize("unit", [Units.REFLECTANCE, Units.DN])
def test_rows_converted_per_chunk_equal_the_whole_plane_conversion_bit_for_bit(
    source, unit, harmonize, offset
):
    scenes = scenes_of(source, 15, offset)
    bands = {"B04": unit, "B08": unit, "SCL": Units.DN, "CLM": Units.DN}
    stack = source.read(source.samples(scenes, Mosaicking.TILE), bands, GRID, harmonize_values=harmonize)
    for band, band_unit in bands.items():
        raw = stack.bands[band]
        assert isinstance(raw, RawBand) and raw.values.dtype in (np.uint8, np.uint16)
        if band == "CLM":  # derived from SCL, as before: a class, not a unit
            expected = np.where(
                np.isin(stack.bands["SCL"].values, (8, 9, 10)),
                1,
                np.where(stack.bands["SCL"].values == 0, 255, 0),
            )
            expected = np.where(stack.data_mask == 1, expected, 0).astype(np.float32)
        else:
            expected = np.where(
                stack.data_mask == 1,
                legacy_units(band, raw.values, band_unit, offset, harmonize),
                np.float32(0),
            )
        assert_bit_identical(stack.plane(band), expected)
        for rows in (1, 7, 64):
            assert_bit_identical(rows_in_chunks(stack, band, rows), expected)


def test_pixels_without_data_read_zero_and_a_zero_dn_with_data_keeps_its_offset():
    mask = np.array([[[1, 1, 0, 0]]], np.uint8)
    dn = np.array([[[0, 1500, 0, 0]]], np.uint16)
    conversion = unit_conversion("B04", Units.REFLECTANCE, -1000.0, harmonize=False)
    sample = Sample(AUGUST[0], AUGUST[1], ())
    stack = SampleStack([sample], {"B04": RawBand(dn, [(conversion,)])}, mask, 1, 4)
    expected = np.array(
        [[[np.float32(-1000) / np.float32(10000), np.float32(500) / np.float32(10000), 0, 0]]]
    )
    assert_bit_identical(stack.plane("B04"), expected.astype(np.float32))
    assert stack.plane("B04")[0, 0, 2:].tolist() == [0.0, 0.0]


def test_no_data_pixels_read_zero_in_every_unit(source):
    scenes = scenes_of(source, 15, -1000.0)
    for harmonize in (True, False):
        stack = source.read(
            source.samples(scenes, Mosaicking.ORBIT),
            {"B04": Units.REFLECTANCE},
            GRID,
            harmonize_values=harmonize,
        )
        assert not stack.data_mask[:, :, NO_DATA_COLUMNS].any()
        assert not rows_in_chunks(stack, "B04", 9)[:, :, NO_DATA_COLUMNS].any()


def test_special_band_scale_is_applied_per_chunk_as_on_the_whole_plane():
    rng = np.random.default_rng(25)
    dn = rng.integers(0, 4000, (2, 30, 40), dtype=np.uint16)
    mask = (rng.random((2, 30, 40)) > 0.2).astype(np.uint8)
    dn[mask == 0] = 0
    samples = [Sample(AUGUST[0], AUGUST[1], ()), Sample(AUGUST[0], AUGUST[1], ())]
    for unit in (Units.OPTICAL_DEPTH, Units.DN):
        conversion = unit_conversion("AOT", unit, 0.0, harmonize=True)
        stack = SampleStack(samples, {"AOT": RawBand(dn, [(conversion,), (conversion,)])}, mask, 30, 40)
        expected = legacy_units("AOT", dn, unit, 0.0, True)
        assert_bit_identical(stack.plane("AOT"), expected)
        assert_bit_identical(rows_in_chunks(stack, "AOT", 4), expected)


def test_a_mosaic_of_scenes_with_different_offsets_converts_each_pixel_with_its_own_scene(source):
    twl, twm = sorted(scenes_of(source, 15, 0.0), key=lambda s: s.item_id)
    mixed = [with_offset(twm, -1000.0), twl]  # 33TWM first: it wins where they overlap
    bands = {"B04": Units.REFLECTANCE}
    for harmonize in (True, False):
        mosaic = source.read(
            source.samples(mixed, Mosaicking.SIMPLE), bands, GRID, harmonize_values=harmonize
        )
        assert mosaic.scene_index is not None
        # the same mosaic made by hand from each scene read on its own
        alone = [
            source.read(source.samples([s], Mosaicking.TILE), bands, GRID, harmonize_values=harmonize)
            for s in mixed
        ]
        first, second = (a.data_mask[0] == 1 for a in alone)
        expected = np.where(first, alone[0].plane("B04")[0], np.where(second, alone[1].plane("B04")[0], 0))
        assert first.any() and (second & ~first).any()
        assert_bit_identical(rows_in_chunks(mosaic, "B04", 13)[0], expected.astype(np.float32))


NDVI_ORBIT = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08", "SCL", "dataMask"]}], mosaicking: "ORBIT",
          output: [{id: "ndvi", bands: 2, sampleType: "FLOAT32"}, {id: "scl", bands: 1, sampleType: "UINT8"}]};
}
function evaluatePixel(samples) {
  let best = -2, scl = 0;
  for (const s of samples) {
    if (!s.dataMask) continue;
    const ndvi = (s.B08 - s.B04) / (s.B08 + s.B04);
    if (ndvi > best) { best = ndvi; scl = s.SCL; }
  }
  return {ndvi: [best, samples.length ? samples[0].B04 : 0], scl: [scl]};
}
"""


@pytest.mark.parametrize("harmonize", [True, False])
def test_a_tile_evaluated_from_dn_gives_the_outputs_of_float32_planes(source, harmonize):
    scenes = [s for day in (10, 15, 20) for s in scenes_of(source, day, -1000.0 if day == 10 else 0.0)]
    bands = {"B04": Units.REFLECTANCE, "B08": Units.REFLECTANCE, "SCL": Units.DN}
    stack = source.read(source.samples(scenes, Mosaicking.ORBIT), bands, GRID, harmonize_values=harmonize)
    planes = SampleStack(
        stack.samples, {b: stack.plane(b) for b in bands}, stack.data_mask, GRID.height, GRID.width
    )
    limits = Limits(time_limit_s=60, heap_mb=256, chunk_pixels=3_000)  # many chunks of 15 rows
    runtime = EvalscriptRuntime(NDVI_ORBIT, limits)
    from_dn, from_planes = runtime.evaluate(stack).outputs, runtime.evaluate(planes).outputs
    for output in ("ndvi", "scl"):
        np.testing.assert_array_equal(from_dn[output].data, from_planes[output].data)
    assert np.isfinite(from_dn["ndvi"].data).any() and (from_dn["ndvi"].data[0] > 0).any()
