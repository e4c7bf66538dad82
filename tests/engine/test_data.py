"""The data layer: search, grouping, units, resampling, reprojection, S3 reads and faults, on real COGs."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from testkit import BYOC_BBOX, BYOC_BOUNDS, write_byoc_folder

from tilewise.core.crs import transform_points
from tilewise.engine.data import DataError, TargetGrid, UnknownCollectionError, collection_bands, open_source
from tilewise.engine.data.catalog import CollectionConfig, StacApi, group_samples
from tilewise.engine.data.demo import write_cog
from tilewise.engine.data.reader import aligned_window, warp_band
from tilewise.engine.samples import Mosaicking, Units

gdal.UseExceptions()
JULY = (datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 31, tzinfo=timezone.utc))
TEST_BBOX = (-119.2778, 36.04, -119.2135, 36.0806)


# --- building blocks: hand-made items ---------------------------------------------------------------------


def make_item(
    folder: Path,
    item_id: str,
    epsg: int,
    bounds,
    resolution: float,
    bands: dict[str, np.ndarray],
    when: str = "2023-07-10T18:00:00Z",
    cloud: float = 0.0,
    **properties,
) -> dict:
    """A STAC item with one COG per band (uint16 DN, nodata 0, Earth Search keys and scaling)."""
    from tilewise.engine.data.bands import ASSET_KEYS

    target = folder / item_id
    target.mkdir(parents=True, exist_ok=True)
    assets = {}
    for band, array in bands.items():
        write_cog(target / f"{band}.tif", array.astype(np.uint16), bounds, resolution, epsg, 256, "test")
        assets[ASSET_KEYS[band]] = {
            "href": f"./{band}.tif",
            "raster:bands": [{"nodata": 0, "scale": 0.0001, "offset": properties.pop("_offset", -0.1)}],
        }
    corners = transform_points(np.array([(bounds[0], bounds[1]), (bounds[2], bounds[3]), (bounds[0], bounds[3]),
                                         (bounds[2], bounds[1])]), epsg, 4326)  # fmt: skip
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "bbox": [corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max()],
        "geometry": None,
        "properties": {
            "datetime": when,
            "eo:cloud_cover": cloud,
            "s2:processing_baseline": "05.09",
            **properties,
        },
        "links": [],
        "assets": assets,
    }
    (target / f"{item_id}.json").write_text(json.dumps(item))
    return item


def write_collection(folder: Path, items: list[dict]) -> Path:
    collection = {
        "type": "Collection",
        "id": folder.name,
        "links": [{"rel": "item", "href": f"./{i['id']}/{i['id']}.json"} for i in items],
    }
    path = folder / "collection.json"
    path.write_text(json.dumps(collection))
    return path


def catalog_file(tmp_path: Path, href: str, **extra) -> str:
    """A user catalog configuration (TILEWISE_CATALOG=<path>) with one sentinel-2-l2a collection."""
    path = tmp_path / f"catalog-{abs(hash(href))}.json"
    path.write_text(
        json.dumps({"sentinel-2-l2a": {"kind": "static", "href": href, "bands": "sentinel-2-l2a", **extra}})
    )
    return str(path)


# --- search and grouping ----------------------------------------------------------------------------------


def test_search_filters_time_cloud_and_area_and_orders_scenes(small_catalog, monkeypatch):
    monkeypatch.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
    source = open_source("demo", "sentinel-2-l2a")
    early = source.search(
        TEST_BBOX, datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 12, tzinfo=timezone.utc)
    )
    assert [s.datetime.day for s in early] == [11, 1]
    assert all(s.properties["tilewise:synthetic"] for s in early)
    clear = source.search(TEST_BBOX, *JULY, max_cloud_coverage=10)
    assert [s.datetime.day for s in clear] == [16, 1]
    assert [s.datetime.day for s in source.search(TEST_BBOX, *JULY, mosaicking_order="leastRecent")] == [
        1,
        11,
        16,
    ]
    least_cc = source.search(TEST_BBOX, *JULY, mosaicking_order="leastCC")
    assert least_cc[-1].datetime.day == 11 and least_cc[0].cloud_coverage == 0
    assert source.search((10.0, 45.0, 10.1, 45.1), *JULY) == []
    with pytest.raises(DataError, match="mosaickingOrder"):
        source.search(TEST_BBOX, *JULY, mosaicking_order="random")


def test_orbit_groups_per_utc_day_tile_per_item_simple_mosaics_all(small_catalog, monkeypatch):
    monkeypatch.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
    source = open_source("demo", "sentinel-2-l2a")
    scenes = source.search(TEST_BBOX, *JULY)
    # a second granule acquired the same UTC day as the first scene
    twin = type(scenes[0])(scenes[0].item_id + "-twin", scenes[0].datetime.replace(hour=23), 1.0, "x", {})
    orbit = group_samples([*scenes, twin], Mosaicking.ORBIT)
    assert [len(s.scenes) for s in orbit] == [2, 1, 1]
    assert orbit[0].date_from == datetime(2023, 7, 16, tzinfo=timezone.utc)
    assert (orbit[0].date_to - orbit[0].date_from).days == 1
    assert len(group_samples([*scenes, twin], Mosaicking.TILE)) == 4
    (mosaic,) = group_samples(scenes, Mosaicking.SIMPLE)
    assert [s.datetime.day for s in mosaic.scenes] == [16, 11, 1]


def test_no_scene_in_the_time_range_gives_empty_samples_and_no_data(small_catalog, monkeypatch):
    monkeypatch.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
    source = open_source("demo", "sentinel-2-l2a")
    august = (datetime(2023, 8, 1, tzinfo=timezone.utc), datetime(2023, 8, 31, tzinfo=timezone.utc))
    assert source.search(TEST_BBOX, *august) == []
    grid = TargetGrid(32611, (290000, 3990000, 290200, 3990100), 20, 10)
    empty = source.read(source.samples([], Mosaicking.ORBIT), {"B04": Units.DN}, grid)
    assert empty.plane("B04").shape == (0, 10, 20)
    (mosaic,) = source.samples([], Mosaicking.SIMPLE)
    stack = source.read([mosaic], {"B04": Units.DN}, grid)
    assert stack.data_mask.shape == (1, 10, 20) and not stack.data_mask.any()


# --- units and harmonisation ------------------------------------------------------------------------------

DN = np.array([[0, 500, 1000, 1500, 11000, 3000]], np.uint16)


@pytest.fixture
def unit_catalog(tmp_path):
    folder = tmp_path / "units"
    items = [
        make_item(folder, "raw", 32611, (300000, 4000000 - 10, 300060, 4000000), 10, {"B04": DN, "SCL": DN // 1000},
                  when="2023-07-10T18:00:00Z"),
        make_item(folder, "harmonised", 32611, (300000, 4000000 - 10, 300060, 4000000), 10, {"B04": DN},
                  when="2023-07-05T18:00:00Z", **{"earthsearch:boa_offset_applied": True}),
    ]  # fmt: skip
    return catalog_file(tmp_path, str(write_collection(folder, items)))


GRID_1x6 = TargetGrid(32611, (300000, 4000000 - 10, 300060, 4000000), 6, 1)


@pytest.mark.parametrize(
    "unit, harmonize, expected",
    [
        (Units.REFLECTANCE, True, [0, 0, 0, 0.05, 1.0, 0.2]),
        (Units.REFLECTANCE, False, [0, -0.05, 0, 0.05, 1.0, 0.2]),
        (Units.DN, True, [0, 0, 0, 500, 10000, 2000]),
        (Units.DN, False, [0, 500, 1000, 1500, 11000, 3000]),
    ],
)
def test_units_apply_the_baseline_offset_and_harmonise(unit_catalog, unit, harmonize, expected):
    source = open_source(unit_catalog, "sentinel-2-l2a")
    scenes = source.search((-180, -90, 180, 90), *JULY)
    raw = [s for s in scenes if s.item_id == "raw"]
    stack = source.read(
        source.samples(raw, Mosaicking.TILE), {"B04": unit}, GRID_1x6, harmonize_values=harmonize
    )
    np.testing.assert_allclose(stack.plane("B04")[0, 0], expected, atol=1e-6)
    assert stack.data_mask[0, 0].tolist() == [0, 1, 1, 1, 1, 1]


def test_items_already_harmonised_are_not_offset_twice(unit_catalog):
    source = open_source(unit_catalog, "sentinel-2-l2a")
    harmonised = [s for s in source.search((-180, -90, 180, 90), *JULY) if s.item_id == "harmonised"]
    stack = source.read(source.samples(harmonised, Mosaicking.TILE), {"B04": Units.REFLECTANCE}, GRID_1x6)
    np.testing.assert_allclose(stack.plane("B04")[0, 0], [0, 0.05, 0.1, 0.15, 1.1, 0.3], atol=1e-6)


def test_clm_is_derived_from_scl_cloud_classes(tmp_path):
    folder = tmp_path / "scl"
    scl = np.array([[0, 3, 4, 8, 9, 10, 11]], np.uint16)
    item = make_item(folder, "scl", 32611, (0, 0, 70, 10), 10, {"B04": np.full((1, 7), 2000), "SCL": scl})
    source = open_source(catalog_file(tmp_path, str(write_collection(folder, [item]))), "sentinel-2-l2a")
    scenes = source.search((-180, -90, 180, 90), *JULY)
    grid = TargetGrid(32611, (0, 0, 70, 10), 7, 1)
    stack = source.read(source.samples(scenes, Mosaicking.TILE), {"CLM": Units.DN, "SCL": Units.DN}, grid)
    assert stack.plane("CLM")[0, 0].tolist() == [255, 0, 0, 1, 1, 1, 0]
    assert stack.plane("SCL")[0, 0].tolist() == [0, 3, 4, 8, 9, 10, 11]


# --- resampling and reprojection --------------------------------------------------------------------------


@pytest.fixture
def ramp_catalog(tmp_path):
    """A 20 m band that rises 1 DN per metre eastwards (plus 1000), over 2 km."""
    folder = tmp_path / "ramp"
    x_centres = 300000 + 10 + 20 * np.arange(100)
    ramp = np.tile(1000 + (x_centres - 300000), (100, 1))
    item = make_item(folder, "ramp", 32611, (300000, 3998000, 302000, 4000000), 20, {"B05": ramp})
    return catalog_file(tmp_path, str(write_collection(folder, [item])))


def read_ramp(catalog, grid, **kwargs):
    source = open_source(catalog, "sentinel-2-l2a")
    scenes = source.search((-180, -90, 180, 90), *JULY)
    return source.read(
        source.samples(scenes, Mosaicking.TILE), {"B05": Units.DN}, grid, harmonize_values=False, **kwargs
    )


def test_nearest_upsampling_repeats_source_pixels(ramp_catalog):
    grid = TargetGrid(32611, (300400, 3999000, 300600, 3999200), 20, 20)  # 10 m
    row = read_ramp(ramp_catalog, grid).plane("B05")[0, 5]
    x = 300400 + 5 + 10 * np.arange(20)
    expected = 1000 + (np.floor((x - 300000) / 20) * 20 + 10)
    np.testing.assert_array_equal(row, expected)


@pytest.mark.parametrize("method", ["BILINEAR", "BICUBIC"])
def test_bilinear_and_bicubic_upsampling_reproduce_a_linear_ramp(ramp_catalog, method):
    grid = TargetGrid(32611, (300400, 3999000, 300600, 3999200), 20, 20)
    row = read_ramp(ramp_catalog, grid, upsampling=method).plane("B05")[0, 5]
    x = 300400 + 5 + 10 * np.arange(20)
    np.testing.assert_allclose(row, np.round(1000 + (x - 300000)), atol=1)  # DN are stored as integers


def test_downsampling_uses_its_own_method(ramp_catalog):
    grid = TargetGrid(32611, (300400, 3999000, 300800, 3999400), 5, 5)  # 80 m
    nearest = read_ramp(ramp_catalog, grid).plane("B05")[0, 2]
    average = read_ramp(ramp_catalog, grid, downsampling="BILINEAR").plane("B05")[0, 2]
    centres = 300400 + 40 + 80 * np.arange(5)
    np.testing.assert_allclose(average, 1000 + (centres - 300000), atol=1)
    assert not np.allclose(nearest, average)
    with pytest.raises(DataError, match="resampling"):
        read_ramp(ramp_catalog, grid, downsampling="LANCZOS")


def test_a_zone_11_tile_reads_a_zone_10_scene(tmp_path):
    # a tile of zone 11 near its western edge (-119.95°), fed by a scene stored in zone 10
    centre = transform_points(np.array([(-119.95, 36.0)]), 4326, 32611)[0]
    x0, y0 = np.floor(centre / 10) * 10
    grid = TargetGrid(32611, (x0, y0, x0 + 400, y0 + 400), 40, 40)
    in_zone10 = transform_points(np.array([(x0 - 500, y0 - 500), (x0 + 900, y0 + 900), (x0 - 500, y0 + 900),
                                           (x0 + 900, y0 - 500)]), 32611, 32610)  # fmt: skip
    bx0, by0 = np.floor(in_zone10.min(axis=0) / 10) * 10
    bx1, by1 = np.ceil(in_zone10.max(axis=0) / 10) * 10
    width, height = int((bx1 - bx0) / 10), int((by1 - by0) / 10)
    # DN encodes the zone-10 easting of each pixel's centre (in 10 m steps)
    easting_code = np.tile(1000 + np.arange(width), (height, 1))
    folder = tmp_path / "zone10"
    item = make_item(folder, "z10", 32610, (bx0, by0, bx1, by1), 10, {"B04": easting_code})
    source = open_source(catalog_file(tmp_path, str(write_collection(folder, [item]))), "sentinel-2-l2a")
    scenes = source.search((-180, -90, 180, 90), *JULY)
    values = source.read(
        source.samples(scenes, Mosaicking.TILE), {"B04": Units.DN}, grid, harmonize_values=False
    )
    centres = np.array([(x0 + 5 + 10 * c, y0 + 400 - 5 - 10 * r) for r in range(40) for c in range(40)])
    z10 = transform_points(centres, 32611, 32610)
    expected = (1000 + np.floor((z10[:, 0] - bx0) / 10)).reshape(40, 40)
    np.testing.assert_array_equal(values.plane("B04")[0], expected)
    assert values.data_mask.all()


# --- S3 ---------------------------------------------------------------------------------------------------


def test_a_static_catalog_on_s3_is_read_with_range_requests(small_catalog, s3_server, tmp_path, monkeypatch):
    bucket = s3_server.new_bucket()
    s3 = s3_server.client()
    for path in (small_catalog / "sentinel-2-l2a").rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), bucket, f"stac/{path.relative_to(small_catalog).as_posix()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    monkeypatch.setenv("AWS_REGION", s3_server.region)
    on_s3 = open_source(catalog_file(tmp_path, f"s3://{bucket}/stac/sentinel-2-l2a/collection.json"),
                        "sentinel-2-l2a", s3_endpoint_url=s3_server.endpoint_url)  # fmt: skip
    monkeypatch.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
    local = open_source("demo", "sentinel-2-l2a")
    grid = TargetGrid(32611, (290000, 3990000, 292000, 3992000), 100, 100)
    bands = {"B04": Units.REFLECTANCE, "B11": Units.REFLECTANCE, "CLM": Units.DN}
    from_s3 = on_s3.read(on_s3.samples(on_s3.search(TEST_BBOX, *JULY), Mosaicking.ORBIT), bands, grid)
    from_disk = local.read(local.samples(local.search(TEST_BBOX, *JULY), Mosaicking.ORBIT), bands, grid)
    assert from_s3.samples[0].scenes[0].properties["tilewise:assets"]["B04"]["href"].startswith("/vsis3/")
    for band in bands:
        np.testing.assert_array_equal(from_s3.plane(band), from_disk.plane(band))
    np.testing.assert_array_equal(from_s3.data_mask, from_disk.data_mask)


def test_s3_credentials_refused_are_a_clear_failure(strict_s3_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREFUSED")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "refused-secret-value")
    source = open_source(catalog_file(tmp_path, "s3://somewhere/stac/collection.json"), "sentinel-2-l2a",
                         s3_endpoint_url=strict_s3_server.endpoint_url)  # fmt: skip
    with pytest.raises(DataError) as info:
        source.search(TEST_BBOX, *JULY)
    assert "s3://somewhere/stac/collection.json" in str(info.value)
    assert "refused-secret-value" not in str(info.value)


# --- faults -----------------------------------------------------------------------------------------------


def copy_catalog(small_catalog: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(small_catalog, target)
    return target


def test_a_missing_asset_file_fails_with_the_band_and_scene(small_catalog, tmp_path, monkeypatch):
    catalog = copy_catalog(small_catalog, tmp_path)
    victim = next((catalog / "sentinel-2-l2a").glob("*20230711*"))
    (victim / "B04.tif").unlink()
    monkeypatch.setenv("TILEWISE_DEMO_CATALOG", str(catalog))
    source = open_source(
        catalog_file(tmp_path, str(catalog / "sentinel-2-l2a" / "collection.json")), "sentinel-2-l2a"
    )
    scenes = source.search(TEST_BBOX, *JULY)
    grid = TargetGrid(32611, (290000, 3990000, 290200, 3990200), 20, 20)
    with pytest.raises(DataError) as info:
        source.read(source.samples(scenes, Mosaicking.ORBIT), {"B04": Units.DN}, grid)
    assert "B04" in str(info.value) and victim.name in str(info.value)


def test_a_truncated_cog_fails_with_the_reason(small_catalog, tmp_path):
    catalog = copy_catalog(small_catalog, tmp_path)
    victim = next((catalog / "sentinel-2-l2a").glob("*20230701*")) / "B08.tif"
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 20])
    source = open_source(
        catalog_file(tmp_path, str(catalog / "sentinel-2-l2a" / "collection.json")), "sentinel-2-l2a"
    )
    scenes = [s for s in source.search(TEST_BBOX, *JULY) if s.datetime.day == 1]
    grid = TargetGrid(32611, (290000, 3990000, 300000, 4000000), 1000, 1000)
    with pytest.raises(DataError) as info:
        source.read(source.samples(scenes, Mosaicking.TILE), {"B08": Units.DN}, grid)
    assert "B08" in str(info.value) and "20230701" in str(info.value)


def test_a_band_the_collection_lacks_is_named_with_the_available_ones(small_catalog, monkeypatch):
    monkeypatch.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
    assert "B10" not in collection_bands("demo", "sentinel-2-l2a") and "B10" in collection_bands(
        "demo", "sentinel-2-l1c"
    )
    source = open_source("demo", "sentinel-2-l2a")
    with pytest.raises(DataError, match="has no band B10: use bands among B01"):
        source.read([], {"B10": Units.DN}, GRID_1x6)
    with pytest.raises(UnknownCollectionError, match="landsat.*sentinel-2-l1c, sentinel-2-l2a"):
        collection_bands("demo", "landsat-ot-l2")
    with pytest.raises(UnknownCollectionError, match="Unknown catalog 'nowhere'"):
        collection_bands("nowhere", "sentinel-2-l2a")


class _Flaky(http.server.BaseHTTPRequestHandler):
    """A STAC API that answers 503 a few times (or hangs), then serves one item."""

    plan: list[str] = []
    calls = 0
    item: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def _answer(self):
        type(self).calls += 1
        action = self.plan.pop(0) if self.plan else "ok"
        if action == "hang":
            threading.Event().wait(3)
            return
        if action == "503":
            self.send_response(503)
            self.end_headers()
            return
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path.startswith("/search"):
            body = {"type": "FeatureCollection", "features": [self.item], "links": []}
        else:
            body = {"type": "Catalog", "id": "fake", "stac_version": "1.0.0", "description": "fake",
                    "conformsTo": ["https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search"],
                    "links": [{"rel": "search", "href": f"{base}/search", "method": "POST"},
                              {"rel": "self", "href": base}]}  # fmt: skip
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def flaky_api(tmp_path):
    folder = tmp_path / "api"
    _Flaky.item = make_item(folder, "remote", 32611, (300000, 3999990, 300060, 4000000), 10, {"B04": DN})
    _Flaky.item["links"] = [{"rel": "self", "href": str(folder / "remote" / "remote.json")}]
    _Flaky.calls = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def stac_api(url: str) -> StacApi:
    return StacApi(CollectionConfig("sentinel-2-l2a", "stac-api", url=url, collection="s2", timeout_s=1.0))


def test_stac_api_search_retries_5xx_and_timeouts_then_succeeds(flaky_api):
    _Flaky.plan = ["503", "hang"]
    scenes = stac_api(flaky_api).search(TEST_BBOX, *JULY, 100)
    assert [s.item_id for s in scenes] == ["remote"] and _Flaky.calls >= 4
    assert scenes[0].properties["tilewise:assets"]["B04"]["href"].endswith("remote/B04.tif")


def test_stac_api_that_keeps_failing_gives_the_reason(flaky_api):
    _Flaky.plan = ["503"] * 100
    with pytest.raises(DataError) as info:
        stac_api(flaky_api).search(TEST_BBOX, *JULY, 100)
    assert flaky_api in str(info.value) and "attempts" in str(info.value)


# --- BYOC: a bare folder of COGs --------------------------------------------------------------------------


def byoc_catalog(tmp_path: Path, href: str) -> str:
    path = tmp_path / f"byoc-{abs(hash(href))}.json"
    path.write_text(json.dumps({"byoc-fields": {"kind": "folder", "href": href, "bands": ["NDVI"]}}))
    return str(path)


def test_a_folder_of_cogs_is_a_byoc_collection_with_custom_bands(tmp_path):
    planes = write_byoc_folder(tmp_path / "fields")
    source = open_source(byoc_catalog(tmp_path, str(tmp_path / "fields")), "byoc-fields")
    assert source.bands == ("NDVI", "dataMask")
    scenes = source.search(BYOC_BBOX, *JULY, mosaicking_order="leastRecent")
    assert [s.item_id for s in scenes] == ["2023-07-06", "S2_20230711T184521"]
    assert scenes[1].datetime == datetime(2023, 7, 11, 18, 45, 21, tzinfo=timezone.utc)
    assert not source.search(BYOC_BBOX, datetime(2023, 7, 7, tzinfo=timezone.utc), JULY[1])[
        0
    ].item_id.startswith("2023")

    grid = TargetGrid(32611, BYOC_BOUNDS, 100, 100)
    stack = source.read(source.samples(scenes, Mosaicking.ORBIT), {"NDVI": Units.DN}, grid)
    for index, name in enumerate(("2023-07-06", "S2_20230711T184521")):
        np.testing.assert_array_equal(stack.plane("NDVI")[index], planes[name].astype(np.float32))
        np.testing.assert_array_equal(stack.data_mask[index], (planes[name] != 0).astype(np.uint8))


def test_a_byoc_folder_on_s3_reads_the_same_pixels(tmp_path, s3_server, monkeypatch):
    planes = write_byoc_folder(tmp_path / "fields")
    bucket = s3_server.new_bucket()
    for path in (tmp_path / "fields").rglob("*"):
        if path.is_file():
            s3_server.client().upload_file(str(path), bucket, f"byoc/{path.relative_to(tmp_path).as_posix()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    monkeypatch.setenv("AWS_REGION", s3_server.region)
    source = open_source(byoc_catalog(tmp_path, f"s3://{bucket}/byoc/fields"), "byoc-fields",
                         s3_endpoint_url=s3_server.endpoint_url)  # fmt: skip
    scenes = source.search(BYOC_BBOX, *JULY)
    assert [s.item_id for s in scenes] == ["S2_20230711T184521", "2023-07-06"]  # mostRecent first
    grid = TargetGrid(32611, BYOC_BOUNDS, 100, 100)
    stack = source.read(source.samples(scenes, Mosaicking.SIMPLE), {"NDVI": Units.DN}, grid)
    # SIMPLE: the most recent scene wins where it has data (both have none along the top)
    np.testing.assert_array_equal(stack.plane("NDVI")[0], planes["S2_20230711T184521"].astype(np.float32))
    np.testing.assert_array_equal(stack.data_mask[0][:10], 0)
    assert scenes[0].properties["tilewise:assets"]["NDVI"]["href"].startswith(f"/vsis3/{bucket}/byoc/fields/")


def test_a_byoc_scene_folder_without_a_date_is_a_clear_error(tmp_path):
    (tmp_path / "fields" / "latest").mkdir(parents=True)
    write_cog(tmp_path / "fields" / "latest" / "NDVI.tif", np.ones((10, 10), np.uint16), BYOC_BOUNDS, 100.0,
              32611, 256, "test")  # fmt: skip
    source = open_source(byoc_catalog(tmp_path, str(tmp_path / "fields")), "byoc-fields")
    with pytest.raises(DataError, match="'latest' has no acquisition date.*2023-07-06"):
        source.search(BYOC_BBOX, *JULY)


def test_an_unknown_collection_kind_names_the_kinds(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"byoc-x": {"kind": "directory", "href": "/data"}}))
    with pytest.raises(UnknownCollectionError, match="'directory' is not one of static, folder, stac-api"):
        open_source(str(path), "byoc-x")


# --- a grid that is a window of the file's own pixel grid ----------------------------------------------------


@pytest.fixture(scope="module")
def aligned_cog(tmp_path_factory) -> Path:
    """120 x 80 random uint16 pixels of 10 m from (300,000, 4,000,000) in EPSG:32611, with zeros along the top."""
    plane = np.random.default_rng(11).integers(1, 60_000, (80, 120)).astype(np.uint16)
    plane[:5, :] = 0
    path = tmp_path_factory.mktemp("aligned") / "B04.tif"
    write_cog(path, plane, (300_000.0, 3_999_200.0, 301_200.0, 4_000_000.0), 10.0, 32611, 256, "test")
    return path


def warped(path: Path, grid: TargetGrid) -> np.ndarray:
    """What the engine's warp returns for the grid (the parameters of reader.warp_band)."""
    dataset = gdal.Warp(
        "",
        str(path),
        format="MEM",
        outputBounds=grid.bounds,
        width=grid.width,
        height=grid.height,
        dstSRS=f"EPSG:{grid.epsg}",
        resampleAlg="near",
        srcNodata=0,
        dstNodata=0,
        multithread=False,
    )
    return dataset.GetRasterBand(1).ReadAsArray()


@pytest.mark.parametrize(
    "bounds",
    [
        (300_100.0, 3_999_500.0, 300_600.0, 3_999_900.0),  # inside
        (299_900.0, 3_999_700.0, 300_300.0, 4_000_100.0),  # across the top-left corner
        (301_000.0, 3_999_100.0, 301_400.0, 3_999_400.0),  # across the bottom-right corner
        (302_000.0, 3_999_000.0, 302_200.0, 3_999_200.0),  # beside the file
    ],
)
def test_a_window_of_the_files_own_grid_is_read_directly_with_the_warps_pixels(aligned_cog, bounds):
    grid = TargetGrid(32611, bounds, round((bounds[2] - bounds[0]) / 10), round((bounds[3] - bounds[1]) / 10))
    direct = aligned_window(str(aligned_cog), grid)
    assert direct is not None and direct.dtype == np.uint16
    np.testing.assert_array_equal(direct, warped(aligned_cog, grid))
    np.testing.assert_array_equal(warp_band(str(aligned_cog), grid, "near"), direct)


@pytest.mark.parametrize(
    ("epsg", "bounds", "size"),
    [
        (32611, (300_105.0, 3_999_500.0, 300_605.0, 3_999_900.0), (50, 40)),  # half a pixel off
        (32611, (300_100.0, 3_999_500.0, 300_600.0, 3_999_900.0), (25, 20)),  # 20 m pixels
        (32610, (300_100.0, 3_999_500.0, 300_600.0, 3_999_900.0), (50, 40)),  # another CRS
    ],
)
def test_a_grid_that_is_not_a_window_of_the_file_is_warped(aligned_cog, epsg, bounds, size):
    assert aligned_window(str(aligned_cog), TargetGrid(epsg, bounds, *size)) is None
