"""Real Sentinel-2 pixels through a live engine, checked value by value against the COGs read with GDAL.

The engine runs as a server on 127.0.0.1 with `TILEWISE_CATALOG` pointing at a catalogs file whose
`sentinel-2-l2a` is the static catalog of ../shared/data/real-s2-l2a-33TW (real L2A, MGRS 33TWL and
33TWM, 10-20 August 2023, 120 m pixels). Expected values are computed here: each granule's COG is read
whole with GDAL and its pixels replicated onto the requested grid (nearest: the output pixels nest in
the 120 m source pixels), then the documented rules are applied (units and harmonisation, SCL to CLM,
mostRecent mosaics, ORBIT days, the writer's UINT16 rounding), with the offsets and dates taken from the
items' JSON. Nothing is copied from the engine's output: equality is exact, no tolerance.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from testkit import REPO, local_engine, shared_data

gdal.UseExceptions()
CATALOG = shared_data("real-s2-l2a-33TW", "catalog.json")
pytestmark = pytest.mark.skipif(
    not CATALOG.is_file(),
    reason=f"{CATALOG} is missing: the real Sentinel-2 test data lives in ../shared/data beside the clone "
    "(or set TILEWISE_SHARED to the shared folder).",
)
UTM33N = "http://www.opengis.net/def/crs/EPSG/0/32633"
ASSET_KEYS = {"B04": "red", "B08": "nir", "SCL": "scl"}  # Earth Search's keys for the bands read here
SCL_CLOUD = (8, 9, 10)  # docs/data.md: medium and high cloud probability, thin cirrus → CLM 1
CLM_NO_DATA = 255  # SCL 0


# --- the granules, read independently of the engine ------------------------------------------------------


@dataclass(frozen=True)
class Granule:
    """One item of the real catalog: its acquisition time, DN offset and COGs, as its JSON says."""

    item_id: str
    moment: datetime
    offset_dn: float
    cloud_cover: float
    hrefs: dict[str, Path]

    def geotransform(self) -> tuple[float, ...]:
        return read_cog(self.hrefs["B04"])[1]

    def pixels(self, band: str) -> np.ndarray:
        return read_cog(self.hrefs[band])[0]


@functools.cache
def read_cog(path: Path) -> tuple[np.ndarray, tuple[float, ...]]:
    """A whole 915 × 915 px COG and its geotransform, as GDAL reads the file (its own 120 m grid)."""
    dataset = gdal.Open(str(path))
    return dataset.ReadAsArray(), dataset.GetGeoTransform()


def offset_from_item(item: dict, asset: dict) -> float:
    """docs/data.md "Units and harmonisation": 0 when the item says the offset is applied, else offset / scale."""
    if item["properties"].get("earthsearch:boa_offset_applied") is True:
        return 0.0
    bands = asset["raster:bands"][0]
    return round(bands["offset"] / bands["scale"])


@functools.lru_cache(maxsize=1)
def granules() -> tuple[Granule, ...]:
    found = []
    for path in sorted(CATALOG.parent.glob("sentinel-2-l2a/*/*.json")):
        item = json.loads(path.read_text())
        assets = {band: item["assets"][key] for band, key in ASSET_KEYS.items()}
        found.append(
            Granule(
                item_id=item["id"],
                moment=datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00")),
                offset_dn=offset_from_item(item, assets["B04"]),
                cloud_cover=item["properties"]["eo:cloud_cover"],
                hrefs={band: path.parent / asset["href"] for band, asset in assets.items()},
            )
        )
    return tuple(found)


def granules_of_day(day: date) -> list[Granule]:
    """mostRecent: the granule acquired last comes first (within one day, the two MGRS tiles' sensing times)."""
    return sorted((g for g in granules() if g.moment.date() == day), key=lambda g: g.moment, reverse=True)


@dataclass(frozen=True)
class Grid:
    """An output grid in UTM 33N: top-left corner, pixel size, size in pixels."""

    x0: float
    y1: float
    resolution: float
    width: int
    height: int

    @classmethod
    def of(cls, dataset: gdal.Dataset) -> Grid:
        x0, resx, _, y1, _, resy = dataset.GetGeoTransform()
        assert resx == -resy
        return cls(x0, y1, resx, dataset.RasterXSize, dataset.RasterYSize)

    @property
    def bbox(self) -> list[float]:
        return [
            self.x0,
            self.y1 - self.height * self.resolution,
            self.x0 + self.width * self.resolution,
            self.y1,
        ]


def on_grid(granule: Granule, band: str, grid: Grid) -> np.ndarray:
    """The band's 120 m pixels under each output pixel's centre (nearest neighbour); 0 outside the file."""
    source = granule.pixels(band)
    sx0, sres, _, sy1, _, _ = granule.geotransform()
    centres_x = grid.x0 + (np.arange(grid.width) + 0.5) * grid.resolution
    centres_y = grid.y1 - (np.arange(grid.height) + 0.5) * grid.resolution
    cols = np.floor((centres_x - sx0) / sres).astype(int)
    rows = np.floor((sy1 - centres_y) / sres).astype(int)
    inside = (rows[:, None] >= 0) & (rows[:, None] < source.shape[0]) & (cols >= 0) & (cols < source.shape[1])
    values = source[np.clip(rows, 0, source.shape[0] - 1)[:, None], np.clip(cols, 0, source.shape[1] - 1)]
    return np.where(inside, values, 0).astype(source.dtype)


@dataclass
class Mosaic:
    """One day's granules mosaicked per pixel (first granule with data wins): harmonised DN, CLM, dataMask."""

    dn: dict[str, np.ndarray]
    clm: np.ndarray
    data_mask: np.ndarray
    source: np.ndarray  # index of the granule each pixel comes from, -1 where none has data


def mosaic(ordered: list[Granule], grid: Grid) -> Mosaic:
    shape = (grid.height, grid.width)
    dn = {band: np.zeros(shape, np.int64) for band in ("B04", "B08")}
    clm = np.zeros(shape, np.uint8)  # docs/data.md: pixels without data hold 0 in every band
    source = np.full(shape, -1)
    for index, granule in enumerate(ordered):
        # dataMask: DN ≠ 0 in the first optical band read (B04)
        take = (on_grid(granule, "B04", grid) != 0) & (source < 0)
        for band in dn:
            harmonised = np.maximum(on_grid(granule, band, grid).astype(np.int64) + int(granule.offset_dn), 0)
            dn[band][take] = harmonised[take]
        scl = on_grid(granule, "SCL", grid)
        clm[take] = np.where(np.isin(scl, SCL_CLOUD), 1, np.where(scl == 0, CLM_NO_DATA, 0))[take]
        source[take] = index
    return Mosaic(dn, clm, (source >= 0).astype(np.uint8), source)


# --- the engine ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory, s3_server):
    root = tmp_path_factory.mktemp("real-pixels")
    catalogs = root / "catalogs.json"
    entry = {"kind": "static", "href": str(CATALOG), "bands": "sentinel-2-l2a"}
    catalogs.write_text(json.dumps({"sentinel-2-l2a": entry}))
    # TZ=UTC: the tutorial's script builds its dates with local-time constructors (docs/evalscript.md)
    server = local_engine(root, root / "no-demo", s3_server, TILEWISE_CATALOG=str(catalogs), TZ="UTC").start()
    yield server
    server.stop()


def read_tiff(content: bytes, folder: Path, name: str) -> gdal.Dataset:
    path = folder / f"{name}.tif"
    path.write_bytes(content)
    return gdal.Open(str(path))


def day_range(day: date | dict) -> dict:
    """The whole UTC day, or a time range given as such."""
    if isinstance(day, dict):
        return day
    return {"from": f"{day.isoformat()}T00:00:00Z", "to": f"{day.isoformat()}T23:59:59Z"}


def process(
    engine, evalscript: str, grid: Grid, day: date | dict, folder: Path, name: str, order: str = "mostRecent"
) -> gdal.Dataset:
    body = {
        "input": {
            "bounds": {"bbox": grid.bbox, "properties": {"crs": UTM33N}},
            "data": [
                {
                    "type": "sentinel-2-l2a",
                    "dataFilter": {"timeRange": day_range(day), "mosaickingOrder": order},
                    "processing": {"upsampling": "NEAREST", "downsampling": "NEAREST"},
                }
            ],
        },
        "output": {
            "resx": grid.resolution,
            "resy": grid.resolution,
            "responses": [{"identifier": "default", "format": {"type": "image/tiff"}}],
        },
        "evalscript": evalscript,
    }
    response = engine.call("POST", "/api/v1/process", json=body)
    assert response.status_code == 200, response.text
    tiff = read_tiff(response.content, folder, name)
    assert Grid.of(tiff) == grid
    assert tiff.GetSpatialRef().GetAuthorityCode(None) == "32633"
    return tiff


# --- (a) and (b): the Process API on a grid nested in the 120 m pixels ----------------------------------

# 200 × 300 px at 60 m over the 33TWL/33TWM overlap (y 5 090 220 – 5 100 000) at the granules' east edge
# (x 609 780): rows of 33TWL only, of both, of 33TWM only, and a strip outside both files. Both files'
# origins (x 499 980; y 5 100 000 and 5 200 020) are multiples of 60 m, so every 60 m pixel lies in one
# 120 m pixel of each granule and nearest neighbour has no ties.
SEAM_GRID = Grid(x0=598_980.0, y1=5_103_000.0, resolution=60.0, width=200, height=300)
# 13 August: 33TWL (sensed 14 s after 33TWM, so first in mostRecent) has no data at its east edge, where
# 33TWM fills in. 18 August: the same geometry, with 45 % clouds.
CLOUDY_DAY = date(2023, 8, 18)
SEAM_DAYS = [date(2023, 8, 13), CLOUDY_DAY]

BANDS_SCRIPT = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08"], units: "%s"}], output: {bands: 2, sampleType: "%s"}};
}
function evaluatePixel(s) { return [s.B04, s.B08]; }
"""
CLM_SCRIPT = """//VERSION=3
function setup() { return {input: ["CLM", "dataMask"], output: {bands: 2, sampleType: "UINT8"}}; }
function evaluatePixel(s) { return [s.CLM, s.dataMask]; }
"""


def assert_the_seam_is_exercised(ordered: list[Granule], expected: Mosaic) -> None:
    """Pixels come from the first granule, from the second inside the first one's file (where it has no
    data: the seam) and from neither."""
    _, _, _, top, _, step = ordered[0].geotransform()
    centres_y = SEAM_GRID.y1 - (np.arange(SEAM_GRID.height) + 0.5) * SEAM_GRID.resolution
    inside_first = (centres_y < top) & (centres_y > top + step * ordered[0].pixels("B04").shape[0])
    assert (expected.source == 0).any() and (expected.source == -1).any()
    assert (expected.source[inside_first] == 1).sum() > 20


@pytest.mark.parametrize("day", SEAM_DAYS, ids=str)
def test_b04_b08_in_dn_equal_the_cogs_pixel_for_pixel_across_the_granule_seam(engine, tmp_path, day):
    ordered = granules_of_day(day)
    expected = mosaic(ordered, SEAM_GRID)
    assert_the_seam_is_exercised(ordered, expected)
    assert [g.offset_dn for g in ordered] == [0.0, 0.0]  # earthsearch:boa_offset_applied
    tiff = process(engine, BANDS_SCRIPT % ("DN", "UINT16"), SEAM_GRID, day, tmp_path, "dn")
    assert tiff.GetRasterBand(1).DataType == gdal.GDT_UInt16
    got = tiff.ReadAsArray()
    for index, band in enumerate(("B04", "B08")):
        np.testing.assert_array_equal(got[index], expected.dn[band], err_msg=band)
    assert np.median(got[0][expected.data_mask == 1]) < 1000  # the offset was already applied: dark red


@pytest.mark.parametrize("day", SEAM_DAYS, ids=str)
def test_b04_b08_in_reflectance_are_float32_dn_over_10000_pixel_for_pixel(engine, tmp_path, day):
    expected = mosaic(granules_of_day(day), SEAM_GRID)
    tiff = process(engine, BANDS_SCRIPT % ("REFLECTANCE", "FLOAT32"), SEAM_GRID, day, tmp_path, "reflectance")
    assert tiff.GetRasterBand(1).DataType == gdal.GDT_Float32
    got = tiff.ReadAsArray()
    for index, band in enumerate(("B04", "B08")):
        reflectance = (expected.dn[band] / 10000.0).astype(np.float32)
        np.testing.assert_array_equal(got[index], reflectance, err_msg=band)


@pytest.mark.parametrize("day", SEAM_DAYS, ids=str)
def test_clm_and_datamask_follow_scl_and_nodata_of_the_granule_each_pixel_comes_from(engine, tmp_path, day):
    expected = mosaic(granules_of_day(day), SEAM_GRID)
    got = process(engine, CLM_SCRIPT, SEAM_GRID, day, tmp_path, "clm").ReadAsArray()
    np.testing.assert_array_equal(got[1], expected.data_mask, err_msg="dataMask")
    np.testing.assert_array_equal(got[0], expected.clm, err_msg="CLM")
    assert {0, 1}.issubset(np.unique(got[1]))
    assert (got[0] == 1).mean() > 0.2 if day == CLOUDY_DAY else (got[0] == 1).mean() < 0.05


def test_least_cc_mosaics_the_granules_in_the_order_of_their_items_cloud_cover(engine, tmp_path):
    """SIMPLE over all five days: the granule with the least `eo:cloud_cover` first, the others where it has none."""
    ordered = sorted(granules(), key=lambda g: (g.cloud_cover, -g.moment.timestamp()))
    expected = mosaic(ordered, SEAM_GRID)
    most_recent = mosaic(sorted(granules(), key=lambda g: g.moment, reverse=True), SEAM_GRID)
    assert (expected.dn["B04"] != most_recent.dn["B04"]).mean() > 0.5  # the order shows in the pixels
    august = {"from": "2023-08-01T00:00:00Z", "to": "2023-08-31T23:59:59Z"}
    got = process(engine, BANDS_SCRIPT % ("DN", "UINT16"), SEAM_GRID, august, tmp_path, "dn", "leastCC")
    np.testing.assert_array_equal(got.ReadAsArray()[0], expected.dn["B04"])


# 100 × 100 px at 360 m inside 33TWL alone (south of 33TWM), with its east edge of no data on 18 August: each
# 360 m pixel holds 3 × 3 source pixels and nearest neighbour takes the centre one. Coarser than the files'
# 240 m overviews, which the test data's authors built by interpolation: SCL there has classes that no pixel
# of the block has (between vegetation 4 and cloud 8, say water 6), so classes must come from the full grid.
COARSE_GRID = Grid(x0=571_980.0, y1=5_079_600.0, resolution=360.0, width=100, height=100)


def test_clm_on_a_grid_coarser_than_the_overviews_takes_the_scl_class_of_the_centre_pixel(engine, tmp_path):
    day = CLOUDY_DAY
    expected = mosaic(granules_of_day(day), COARSE_GRID)
    assert set(np.unique(expected.source).tolist()) == {-1, 0}  # 33TWL only, with and without data
    got = process(engine, CLM_SCRIPT, COARSE_GRID, day, tmp_path, "clm").ReadAsArray()
    # dataMask follows B04, read from its overview like every optical band on a coarser grid: it may
    # differ along the no-data edge; CLM is compared wherever both say there is data
    both = (got[1] == 1) & (expected.data_mask == 1)
    assert both.mean() > 0.7
    np.testing.assert_array_equal(got[0][both], expected.clm[both])
    assert (expected.clm[both] == 1).mean() > 0.2


# Inside 33TWL, in the south-east corner that its 13 and 18 August granules (at the orbit's edge) do not
# cover: their items' bbox spans the whole MGRS tile, their geometry (the footprint) does not.
UNCOVERED_GRID = Grid(x0=600_000.0, y1=5_010_000.0, resolution=600.0, width=15, height=25)
ORBIT_COUNT_SCRIPT = """//VERSION=3
function setup() {
  return {input: ["B04", "dataMask"], output: {bands: 1, sampleType: "UINT8"}, mosaicking: "ORBIT"};
}
function evaluatePixel(samples) { return [samples.length]; }
"""


def test_orbit_samples_are_the_days_whose_granules_have_data_over_the_area(engine, tmp_path):
    days_with_data = {
        granule.moment.date() for granule in granules() if on_grid(granule, "B04", UNCOVERED_GRID).any()
    }
    assert len(days_with_data) == 3  # 10, 15 and 20 August; on the 13th and 18th the corner has no data
    august = {"from": "2023-08-01T00:00:00Z", "to": "2023-08-31T23:59:59Z"}
    got = process(engine, ORBIT_COUNT_SCRIPT, UNCOVERED_GRID, august, tmp_path, "count").ReadAsArray()
    np.testing.assert_array_equal(got, np.full(got.shape, len(days_with_data)))


# --- (c): a batch job running the tutorial's NDVI-interpolation script -----------------------------------

TUTORIAL = REPO / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js"
AUGUST = (date(2023, 8, 1), date(2023, 8, 30))  # the script's start and end dates, moved from July
# Across the 33TWL/33TWM boundary (y 5 100 000) near the granules' east edge, in UTM 33N.
AREA = [
    [604_000.0, 5_097_000.0],
    [608_000.0, 5_097_000.0],
    [608_000.0, 5_103_000.0],
    [604_000.0, 5_103_000.0],
]
AREA_RING = [*AREA, AREA[0]]


def tutorial_for_august() -> str:
    """The published script with only its dates moved to August 2023 (JavaScript months count from 0)."""
    script = TUTORIAL.read_text()
    for july, august in (
        ("new Date(2023, 6, 1,", "new Date(2023, 7, 1,"),
        ("new Date(2023, 6, 30,", "new Date(2023, 7, 30,"),
    ):
        assert script.count(july) == 1, july
        script = script.replace(july, august)
    return script


def sampled_dates() -> list[date]:
    """sample_timestamps(start, end, 7, 'day'): every 7 days from the start while before the end."""
    day, end = AUGUST
    dates = []
    while day < end:
        dates.append(day)
        day += timedelta(days=7)
    return dates


def orbit_days() -> list[date]:
    """ORBIT: one sample per UTC day with granules, in date order (the script loops from the last sample)."""
    return sorted({granule.moment.date() for granule in granules()})


def round_half_away(values: np.ndarray) -> np.ndarray:
    """docs/evalscript.md, integer sample types: round half away from zero (exact, for the non-negative values here)."""
    floor = np.floor(values)
    return np.where(values - floor >= 0.5, floor + 1, floor)


def tutorial_in_numpy(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """The script's NDVI and data_mask outputs, pixel by pixel, from the COGs (docs/evalscript.md's writer)."""
    days = [mosaic(granules_of_day(day), grid) for day in orbit_days()]
    valid = np.stack([(m.data_mask == 1) & (m.clm != 1) & (m.clm != CLM_NO_DATA) for m in days])
    red = np.stack([m.dn["B04"] for m in days]).astype(np.float64)
    nir = np.stack([m.dn["B08"] for m in days]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = (nir - red) / (nir + red) * 10000 + 10000  # interpolated_index(B08, B04)
    # `NDVI: ndvi` is the array of valid samples only, in date order; the writer pads it with 0 to the bands
    bands = len(sampled_dates())
    order = np.argsort(~valid, axis=0, kind="stable")
    compact = np.take_along_axis(np.where(valid, ndvi, 0), order, axis=0)
    count = valid.sum(axis=0)
    compact = np.concatenate([compact, np.zeros((max(0, bands - len(days)), *count.shape))])[:bands]
    kept = np.arange(bands)[:, None, None] < count
    expected_ndvi = np.clip(round_half_away(np.where(kept, compact, 0)), 0, 65535).astype(np.uint16)
    # `dm` from lininterp: 1 where a sampled date has a valid date at or before it and one after it (the
    # script's `x == arr[arr.length-1]` compares two Date objects, never equal, so no case adds to it)
    when = np.array([day.toordinal() for day in orbit_days()])[:, None, None]
    masks = [
        (valid & (when <= x.toordinal())).any(axis=0) & (valid & (when > x.toordinal())).any(axis=0)
        for x in sampled_dates()
    ]
    return expected_ndvi, np.stack(masks).astype(np.uint8)


def test_batch_job_with_the_tutorials_ndvi_script_equals_its_numpy_reimplementation(engine):
    assert orbit_days() == [date(2023, 8, day) for day in (10, 13, 15, 18, 20)]
    path = f"file://{engine.output_root}/tutorial/<tileName>/<outputId>.<format>"
    body = {
        "processRequest": {
            "input": {
                "bounds": {
                    "geometry": {"type": "Polygon", "coordinates": [AREA_RING]},
                    "properties": {"crs": UTM33N},
                },
                "data": [
                    {
                        "type": "sentinel-2-l2a",
                        "dataFilter": {
                            "timeRange": {"from": "2023-08-01T00:00:00Z", "to": "2023-08-31T23:59:59Z"}
                        },
                    }
                ],
            },
            "output": {
                "responses": [
                    {"identifier": i, "format": {"type": "image/tiff"}} for i in ("NDVI", "data_mask")
                ]
            },
            "evalscript": tutorial_for_august(),
        },
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": path},
    }
    response = engine.call("POST", "/api/v1/batch/process", json=body)
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/start").status_code == 204
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})
    assert done["status"] == "DONE", done.get("error")
    tiles = sorted((engine.output_root / "tutorial").iterdir())
    assert len(tiles) == 2
    for tile in tiles:
        ndvi, data_mask = (gdal.Open(str(tile / f"{name}.tif")) for name in ("NDVI", "data_mask"))
        grid = Grid.of(ndvi)
        assert Grid.of(data_mask) == grid and (grid.resolution, grid.width, grid.height) == (20.0, 500, 500)
        expected_ndvi, expected_mask = tutorial_in_numpy(grid)
        assert (expected_ndvi[3] > 0).any() and expected_mask.any()  # four valid days somewhere; a mask
        np.testing.assert_array_equal(ndvi.ReadAsArray(), expected_ndvi, err_msg=f"NDVI of {tile.name}")
        np.testing.assert_array_equal(
            data_mask.ReadAsArray(), expected_mask, err_msg=f"data_mask of {tile.name}"
        )
