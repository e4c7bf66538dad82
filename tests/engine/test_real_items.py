"""Real Sentinel-2 STAC items (../shared/data) read into the engine's scene model, checked against the items.

Expected values come from each item's own JSON (asset hrefs, raster:bands, properties) or from GDAL reading the
files, never from the engine. The earth-search-v1-items point at public buckets: nothing here opens them.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr
from testkit import shared_data

from tilewise.engine.data import DataError, TargetGrid, collection_bands
from tilewise.engine.data import catalog as catalog_module
from tilewise.engine.data.bands import OPTICAL
from tilewise.engine.data.catalog import ASSETS, StaticCatalog, collection_config, scene_from_item
from tilewise.engine.data.reader import SceneReader
from tilewise.engine.samples import Mosaicking, Units

EARTH_SEARCH = shared_data("earth-search-v1-items")
REAL_33TW = shared_data("real-s2-l2a-33TW")
if not (EARTH_SEARCH.is_dir() and REAL_33TW.is_dir()):
    pytest.skip(f"the real test data ({EARTH_SEARCH.parent}) is absent", allow_module_level=True)

ES_FILES = sorted(EARTH_SEARCH.glob("*/*.json"))
FILES_33TW = sorted(REAL_33TW.glob("sentinel-2-l2a/*/*.json"))
AUGUST_2023 = (datetime(2023, 8, 1, tzinfo=timezone.utc), datetime(2023, 8, 31, tzinfo=timezone.utc))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def data_type(item: dict) -> str:
    return "sentinel-2-l1c" if item["collection"] == "sentinel-2-l1c" else "sentinel-2-l2a"


def engine_path(item_file: Path, href: str) -> str:
    """Where GDAL reads an href: /vsicurl/ for HTTPS, /vsis3/ for S3, a path next to the item otherwise."""
    if href.startswith("https://"):
        return "/vsicurl/" + href
    if href.startswith("s3://"):
        return "/vsis3/" + href[len("s3://") :]
    return os.path.normpath(item_file.parent / href)


def expected_assets(item: dict, item_file: Path, jp2: bool = False) -> dict[str, tuple[str, dict]]:
    """Sentinel Hub band → (GDAL path, asset) from the files the item's assets name (B04.tif, SCL.jp2, …)."""
    bands = set(collection_bands("earth-search", data_type(item)))
    found = {}
    for key, asset in item["assets"].items():
        stem = Path(asset["href"]).stem
        if stem in bands and key.endswith("-jp2") == jp2:
            found[stem] = (engine_path(item_file, asset["href"]), asset)
    return found


@pytest.fixture(scope="module")
def scenes_33tw(tmp_path_factory) -> dict:
    """The 33TW catalog through the engine's static-catalog path (catalog.json → collection → items)."""
    config_file = tmp_path_factory.mktemp("catalog") / "real.json"
    entry = {"kind": "static", "href": str(REAL_33TW / "catalog.json"), "bands": "sentinel-2-l2a"}
    config_file.write_text(json.dumps({"sentinel-2-l2a": entry}))
    finder = StaticCatalog(collection_config(str(config_file), "sentinel-2-l2a"))
    return {scene.item_id: scene for scene in finder.search((-180, -90, 180, 90), *AUGUST_2023, 100.0)}


@pytest.fixture(scope="module")
def catalog_33tw(tmp_path_factory) -> StaticCatalog:
    config_file = tmp_path_factory.mktemp("footprints") / "real.json"
    entry = {"kind": "static", "href": str(REAL_33TW / "catalog.json"), "bands": "sentinel-2-l2a"}
    config_file.write_text(json.dumps({"sentinel-2-l2a": entry}))
    return StaticCatalog(collection_config(str(config_file), "sentinel-2-l2a"))


def es_scene(item_file: Path, asset_suffix: str = ""):
    item = load(item_file)
    config = collection_config("earth-search", data_type(item))
    if asset_suffix:
        config = type(config)(**{**config.__dict__, "asset_suffix": asset_suffix})
    return scene_from_item(item, str(item_file), config)


def scene_of(item_file: Path, scenes_33tw: dict):
    return scenes_33tw[item_file.stem] if item_file in FILES_33TW else es_scene(item_file)


ALL_FILES = ES_FILES + FILES_33TW
IDS = [path.stem for path in ALL_FILES]


def test_every_real_item_is_found():
    assert len(ES_FILES) == 17 and len(FILES_33TW) == 10


def test_the_static_catalog_yields_its_ten_items(scenes_33tw):
    assert sorted(scenes_33tw) == sorted(path.stem for path in FILES_33TW)


# --- band ↔ asset -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("item_file", ALL_FILES, ids=IDS)
def test_each_band_maps_to_the_asset_of_its_file(item_file, scenes_33tw):
    item = load(item_file)
    expected = {band: path for band, (path, _) in expected_assets(item, item_file).items()}
    assets = scene_of(item_file, scenes_33tw).properties[ASSETS]
    assert {band: asset["href"] for band, asset in assets.items()} == expected
    lacking = set(collection_bands("earth-search", data_type(item))) - set(expected) - {"dataMask"}
    assert not lacking & set(assets)


@pytest.mark.parametrize(
    "item_file", sorted(EARTH_SEARCH.glob("sentinel-2-l2a/*.json")), ids=lambda p: p.stem
)
def test_the_jp2_suffix_picks_the_jp2_originals_which_carry_the_offset(item_file):
    """v1 sentinel-2-l2a has `*-jp2` twins: ESA's files, untouched, so its boa_offset_applied (about the COGs)
    does not apply to them and their raster:bands offset does."""
    item = load(item_file)
    expected = expected_assets(item, item_file, jp2=True)
    assert expected  # the item really has JP2 twins
    assets = es_scene(item_file, asset_suffix="-jp2").properties[ASSETS]
    assert {band: asset["href"] for band, asset in assets.items()} == {b: p for b, (p, _) in expected.items()}
    for band, (_, asset) in expected.items():
        raster = asset["raster:bands"][0]
        want = round(raster["offset"] / raster["scale"]) if band in OPTICAL else 0
        assert assets[band]["offset_dn"] == want, band


def test_l1c_items_have_no_jp2_suffix_on_their_keys_yet_every_band_is_a_jp2():
    for item_file in sorted(EARTH_SEARCH.glob("sentinel-2-l1c/*.json")):
        item = load(item_file)
        assert not [key for key in item["assets"] if key.endswith("-jp2")]
        assets = es_scene(item_file).properties[ASSETS]
        assert set(assets) == set(OPTICAL)
        assert all(
            asset["href"].startswith("/vsis3/") and asset["href"].endswith(".jp2")
            for asset in assets.values()
        )


def test_a_band_the_item_lacks_is_absent_and_reading_it_is_a_clear_error():
    item_file = ES_FILES[0]
    item = load(item_file)
    del item["assets"]["nir08"]
    scene = scene_from_item(item, str(item_file), collection_config("earth-search", "sentinel-2-l2a"))
    assert "B8A" not in scene.properties[ASSETS]
    reader = SceneReader(TargetGrid(32724, (0, 0, 60, 60), 1, 1), "NEAREST", "NEAREST", True, 1)
    samples = catalog_module.group_samples([scene], Mosaicking.TILE)
    with pytest.raises(DataError, match=rf"Scene {scene.item_id} has no asset for band B8A"):
        reader.read(samples, {"B8A": Units.DN})


# --- DN offsets ---------------------------------------------------------------------------------------------


def _raster(asset: dict) -> dict:
    return asset["raster:bands"][0]


@pytest.mark.parametrize(
    "item_file", sorted(EARTH_SEARCH.glob("sentinel-2-c1-l2a/*.json")), ids=lambda p: p.stem
)
def test_collection_1_items_carry_the_declared_offset(item_file):
    item = load(item_file)
    props = item["properties"]
    assert "earthsearch:boa_offset_applied" not in props and float(props["s2:processing_baseline"]) >= 5.0
    assets = es_scene(item_file).properties[ASSETS]
    for band, (_, asset) in expected_assets(item, item_file).items():
        if band in OPTICAL:
            assert (_raster(asset)["offset"], _raster(asset)["scale"]) == (-0.1, 0.0001)
            assert assets[band]["offset_dn"] == -1000, band
        else:
            assert assets[band]["offset_dn"] == 0, band  # SCL classes; AOT/WVP (scale 0.001, offset 0)


def test_without_raster_bands_the_baseline_decides_and_only_optical_bands_get_the_offset():
    item_file = next(EARTH_SEARCH.glob("sentinel-2-c1-l2a/*.json"))
    item = load(item_file)
    for asset in item["assets"].values():
        asset.pop("raster:bands", None)
    assets = scene_from_item(item, str(item_file), collection_config("earth-search", "sentinel-2-l2a"))
    offsets = {band: asset["offset_dn"] for band, asset in assets.properties[ASSETS].items()}
    assert float(item["properties"]["s2:processing_baseline"]) >= 4.0
    assert {band for band, offset in offsets.items() if offset == -1000} == set(offsets) & set(OPTICAL)
    assert {offsets[band] for band in ("SCL", "AOT", "WVP")} == {0}
    item["properties"]["s2:processing_baseline"] = "03.01"
    assets = scene_from_item(item, str(item_file), collection_config("earth-search", "sentinel-2-l2a"))
    assert {asset["offset_dn"] for asset in assets.properties[ASSETS].values()} == {0}


@pytest.mark.parametrize(
    "item_file", sorted(EARTH_SEARCH.glob("sentinel-2-l1c/*.json")), ids=lambda p: p.stem
)
def test_l1c_items_from_baseline_04_carry_the_radiometric_offset(item_file):
    item = load(item_file)
    props = item["properties"]
    assert float(props["s2:processing_baseline"]) >= 4.0 and "earthsearch:boa_offset_applied" not in props
    assets = es_scene(item_file).properties[ASSETS]
    for band, (_, asset) in expected_assets(item, item_file).items():
        assert assets[band]["offset_dn"] == round(_raster(asset)["offset"] / _raster(asset)["scale"]) == -1000


@pytest.mark.parametrize(
    "item_file", sorted(EARTH_SEARCH.glob("sentinel-2-l2a/*.json")) + FILES_33TW, ids=lambda p: p.stem
)
def test_v1_items_whose_cogs_are_harmonised_get_no_offset_despite_their_raster_bands(item_file, scenes_33tw):
    item = load(item_file)
    assert item["properties"]["earthsearch:boa_offset_applied"] is True
    assets = scene_of(item_file, scenes_33tw).properties[ASSETS]
    for band, (_, asset) in expected_assets(item, item_file).items():
        if band in OPTICAL:
            assert _raster(asset)["offset"] == -0.1  # the metadata says otherwise…
        assert assets[band]["offset_dn"] == 0, band


@pytest.mark.parametrize("item_file", FILES_33TW, ids=lambda p: p.stem)
def test_33tw_pixels_show_the_offset_is_already_applied(item_file):
    """Vegetation (SCL 4) has a red reflectance of a few percent: with the +1000 offset still in the DN its
    median could not be below 1000."""
    red = gdal.Open(str(item_file.parent / "B04.tif")).ReadAsArray()
    scl = gdal.Open(str(item_file.parent / "SCL.tif")).ReadAsArray()
    vegetation = red[scl == 4]
    assert vegetation.size > 10_000
    assert np.median(vegetation) < 1000


# --- properties: time, cloud cover, MGRS tile, CRS --------------------------------------------------------


@pytest.mark.parametrize("item_file", ALL_FILES, ids=IDS)
def test_time_cloud_cover_mgrs_tile_and_crs_come_from_the_item(item_file, scenes_33tw):
    props = load(item_file)["properties"]
    scene = scene_of(item_file, scenes_33tw)
    when = datetime.strptime(props["datetime"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert scene.datetime == when and scene.datetime.utcoffset().total_seconds() == 0
    assert scene.cloud_coverage == pytest.approx(props["eo:cloud_cover"])
    mgrs = f"{props['mgrs:utm_zone']:02d}{props['mgrs:latitude_band']}{props['mgrs:grid_square']}"
    assert scene.mgrs_tile == mgrs == props["grid:code"].removeprefix("MGRS-")
    assert scene.epsg == props["proj:epsg"]


def test_stac_1_1_proj_code_and_nanosecond_datetimes_are_read():
    item_file = ES_FILES[0]
    item = load(item_file)
    epsg = item["properties"].pop("proj:epsg")
    item["properties"]["proj:code"] = f"EPSG:{epsg}"
    for asset in item["assets"].values():
        asset.pop("proj:epsg", None)
    item["properties"]["datetime"] = item["properties"]["datetime"].replace("Z", "123Z")  # 9 fraction digits
    scene = scene_from_item(item, str(item_file), collection_config("earth-search", data_type(item)))
    assert scene.epsg == epsg and scene.properties[ASSETS]["B04"]["epsg"] == epsg
    assert scene.datetime == es_scene(item_file).datetime


def test_a_datetime_that_is_not_rfc_3339_names_the_value():
    item = load(ES_FILES[0])
    item["properties"]["datetime"] = "31/07/2025"
    with pytest.raises(DataError, match="'31/07/2025' is not an RFC 3339 datetime"):
        scene_from_item(item, str(ES_FILES[0]), collection_config("earth-search", "sentinel-2-l2a"))


# --- grids ----------------------------------------------------------------------------------------------------


def _gdal_transform(proj_transform: list) -> tuple:
    a, b, c, d, e, f = proj_transform[:6]
    return (c, a, b, f, d, e)


@pytest.mark.parametrize("item_file", FILES_33TW, ids=lambda p: p.stem)
def test_33tw_local_files_give_their_own_grid_and_remote_assets_the_items(item_file, scenes_33tw):
    item = load(item_file)
    assets = scenes_33tw[item_file.stem].properties[ASSETS]
    local = 0
    for band, (path, asset) in expected_assets(item, item_file).items():
        if path.startswith("/vsi"):
            assert assets[band]["shape"] == tuple(asset["proj:shape"])
            assert assets[band]["geotransform"] == _gdal_transform(asset["proj:transform"])
            continue
        local += 1
        dataset = gdal.Open(path)
        assert (
            assets[band]["shape"] == (dataset.RasterYSize, dataset.RasterXSize) != tuple(asset["proj:shape"])
        )
        assert assets[band]["geotransform"] == dataset.GetGeoTransform()
        assert assets[band]["epsg"] == int(dataset.GetSpatialRef().GetAuthorityCode(None))
    assert local == 5  # B02, B03, B04, B08, SCL


def test_earth_search_items_take_their_grids_from_the_item_without_opening_a_file(monkeypatch):
    catalog_module.file_grid.cache_clear()  # grids of earlier tests would hide an open
    opened = []
    real_open = gdal.Open
    monkeypatch.setattr(
        catalog_module.gdal, "Open", lambda path, *a: opened.append(path) or real_open(path, *a)
    )
    for item_file in ES_FILES:
        item = load(item_file)
        assets = es_scene(item_file).properties[ASSETS]
        for band, (_, asset) in expected_assets(item, item_file).items():
            assert assets[band]["shape"] == tuple(asset["proj:shape"])
            assert assets[band]["geotransform"] == _gdal_transform(asset["proj:transform"])
            assert assets[band]["epsg"] == item["properties"]["proj:epsg"]
    assert opened == []


# --- footprints ---------------------------------------------------------------------------------------------


def _outside_footprint_inside_bbox(item: dict) -> tuple[float, float, float, float]:
    """A 0.01° box within the item's bbox that its geometry does not meet (a partial footprint's empty corner)."""
    footprint = ogr.CreateGeometryFromJson(json.dumps(item["geometry"]))
    west, south, east, north = item["bbox"]
    for x in np.linspace(west + 0.01, east - 0.02, 25):
        for y in np.linspace(south + 0.01, north - 0.02, 25):
            box = ogr.CreateGeometryFromWkt(
                f"POLYGON(({x} {y},{x + 0.01} {y},{x + 0.01} {y + 0.01},{x} {y + 0.01},{x} {y}))"
            )
            if not footprint.Intersects(box):
                return (x, y, x + 0.01, y + 0.01)
    raise AssertionError(f"{item['id']} covers its whole bbox")


def test_a_scene_whose_real_footprint_misses_the_area_is_not_found(catalog_33tw):
    partial = load(next(p for p in FILES_33TW if p.stem == "S2B_33TWL_20230813_0_L2A"))
    area = _outside_footprint_inside_bbox(partial)
    box = ogr.CreateGeometryFromWkt("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))".format(*area))
    expected = sorted(
        item["id"]
        for item in map(load, FILES_33TW)
        if ogr.CreateGeometryFromJson(json.dumps(item["geometry"])).Intersects(box)
    )
    found = sorted(scene.item_id for scene in catalog_33tw.search(area, *AUGUST_2023, 100.0))
    assert partial["id"] not in found
    assert found == expected and found  # other scenes of the tile do cover it
