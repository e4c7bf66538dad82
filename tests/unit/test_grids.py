"""Tiling grids: names, bounds and coverage, checked against real tiles and an MGRS oracle."""

from __future__ import annotations

import random

import mgrs
import pytest
import shapely

from tilewise.core.area import AreaOfInterest
from tilewise.core.crs import transform_geometry
from tilewise.core.grids import (
    GRIDS,
    GridError,
    OutsideCoverageError,
    ResolutionNotAllowedError,
    TooManyTilesError,
    UnknownGridError,
    get_grid,
    tiles_for_area,
)


def area_wgs84(minx, miny, maxx, maxy) -> AreaOfInterest:
    return AreaOfInterest.from_geometries([shapely.box(minx, miny, maxx, maxy)], 4326)


def by_name(selection):
    return {t.name: t for t in selection}


# Three grid-1 tiles exported from a real Sentinel Hub batch job (10 m, bufferX=3, bufferY=7).
REAL_GRID1_TILES = {
    "28PBB_2_6": ((219970, 1629930, 230030, 1640070), (220000, 1630000, 230000, 1640000)),
    "28PBB_2_7": ((219970, 1619930, 230030, 1630070), (220000, 1620000, 230000, 1630000)),
    "28PBB_3_6": ((229970, 1629930, 240030, 1640070), (230000, 1630000, 240000, 1640000)),
}


def test_real_grid1_tiles_have_exactly_their_names_and_bounds():
    area = AreaOfInterest.from_geometries([shapely.box(221000, 1621000, 239000, 1639000)], "EPSG:32628")
    tiles = by_name(tiles_for_area(area, 1, 10, buffer_x=3, buffer_y=7))
    for name, (buffered, plain) in REAL_GRID1_TILES.items():
        tile = tiles[name]
        assert tile.epsg == 32628
        assert tile.buffered_bounds == pytest.approx(buffered, abs=1e-6)
        assert tile.bounds == pytest.approx(plain, abs=1e-6)
        assert (tile.width, tile.height) == (1000, 1000)
        assert (tile.buffered_width, tile.buffered_height) == (1006, 1014)


def test_descriptors_match_the_batch_api():
    assert sorted(GRIDS) == [0, 1, 2, 3, 6, 7]
    assert get_grid(1).descriptor() == {
        "id": 1,
        "name": "UTM 10km grid",
        "properties": {
            "tileWidth": 10000.0,
            "tileHeight": 10000.0,
            "resolutions": [10.0, 20.0],
            "unit": "METRE",
        },
    }
    assert get_grid(0).tile_pixels(30) == 668
    assert get_grid(2).tile_pixels(360) == 278
    assert get_grid(3).tile_pixels(0.0001) == 10000
    assert get_grid(6).tile_pixels(40) == 2500


def test_grid0_has_five_by_five_tiles_of_20040_m_per_square():
    # A square well inside zone 33: 33TWG spans E 500-600 km, N 4600-4700 km.
    area = AreaOfInterest.from_geometries([shapely.box(500_500, 4_600_500, 599_500, 4_699_500)], "EPSG:32633")
    tiles = tiles_for_area(area, 0, 20)
    names = {t.name for t in tiles if t.name.startswith("33TWG")}
    assert names == {f"33TWG_{c}_{r}" for c in range(5) for r in range(5)}
    tile = by_name(tiles)["33TWG_4_4"]
    assert tile.bounds == pytest.approx(
        (500_000 + 4 * 20040, 4_700_000 - 5 * 20040, 500_000 + 5 * 20040, 4_700_000 - 4 * 20040)
    )
    assert tile.width == 1002


def test_grid2_has_one_100080_m_tile_per_square():
    area = AreaOfInterest.from_geometries([shapely.box(510_000, 4_610_000, 520_000, 4_620_000)], "EPSG:32633")
    (tile,) = tiles_for_area(area, 2, 60).tiles
    assert tile.name == "33TWG_0_0"
    assert tile.bounds == pytest.approx((500_000, 4_700_000 - 100_080, 600_080, 4_700_000))
    assert tile.width == 1668


def _outside_mgrs_exceptions(lat, lon):
    norway = 56 <= lat < 64 and 3 <= lon < 12
    svalbard = lat >= 72 and 0 <= lon < 42
    return not (norway or svalbard)


def test_names_agree_with_an_independent_mgrs_implementation():
    oracle = mgrs.MGRS()
    rng = random.Random(7)
    checked = 0
    while checked < 60:
        lat, lon = rng.uniform(-79.5, 79.5), rng.uniform(-179.9, 179.9)
        if not _outside_mgrs_exceptions(lat, lon):
            continue
        point = shapely.Point(lon, lat)
        tiles = tiles_for_area(area_wgs84(lon - 1e-5, lat - 1e-5, lon + 1e-5, lat + 1e-5), 1, 10)
        (tile,) = [t for t in tiles if t.footprint.buffer(1e-9).contains(point)][:1]
        reference = oracle.toMGRS(lat, lon, MGRSPrecision=5)
        square, easting, northing = reference[:5], int(reference[5:10]), int(reference[10:15])
        col, row = easting // 10_000, 9 - northing // 10_000
        zone_and_letters = square[:2] + square[3:]
        assert tile.name[:2] + tile.name[3:5] == zone_and_letters, (lat, lon, tile.name, reference)
        assert tile.name.endswith(f"_{col}_{row}"), (lat, lon, tile.name, reference)
        checked += 1


def test_tiles_are_those_that_truly_intersect_not_the_bounding_box():
    # A thin diagonal strip: its bounding box covers many more tiles than it touches.
    strip = shapely.Polygon([(-119.5, 35.5), (-119.49, 35.5), (-118.99, 36.0), (-119.0, 36.0)])
    area = AreaOfInterest.from_geometries([strip], 4326)
    selection = tiles_for_area(area, 1, 10)
    bbox_selection = tiles_for_area(area_wgs84(*strip.bounds), 1, 10)
    assert 0 < len(selection) < len(bbox_selection) / 2
    for tile in selection:
        assert tile.footprint.intersects(strip)


def test_area_across_a_zone_edge_gives_each_tile_in_its_own_zone():
    area = area_wgs84(-120.3, 36.0, -119.7, 36.2)  # 120°W separates zones 10 and 11
    selection = tiles_for_area(area, 1, 10)
    assert selection.epsg_codes == [32610, 32611]
    for tile in selection:
        zone_west = -180 + 6 * (tile.epsg - 32601)
        strip = shapely.box(zone_west, -90, zone_west + 6, 90)
        assert tile.name.startswith(str(tile.epsg - 32600))
        assert tile.footprint.intersects(strip.intersection(area.geometry))


def test_southern_hemisphere_uses_327xx_and_mgrs_letters():
    selection = tiles_for_area(area_wgs84(18.41, -33.93, 18.43, -33.91), 1, 10)  # Cape Town
    assert {t.epsg for t in selection} == {32734}
    assert all(t.name.startswith("34HBH_") for t in selection)
    tile = selection.tiles[0]
    assert 6_200_000 < tile.bounds[1] < 6_300_000  # false northing 10,000 km


def test_equator_splits_into_north_and_south_zones():
    selection = tiles_for_area(area_wgs84(9.99, -0.02, 10.01, 0.02), 1, 10)
    assert {t.epsg for t in selection} == {32632, 32732}
    names = {t.name[:5] for t in selection}
    assert names == {"32NPF", "32MPE"}


def test_antimeridian_area_is_tiled_on_both_sides_without_wrapping_footprints():
    # A polygon from 179.8°E to 179.8°W (Fiji), given the usual way with a lon span > 180.
    polygon = shapely.Polygon([(179.8, -17.0), (-179.8, -17.0), (-179.8, -16.8), (179.8, -16.8)])
    selection = tiles_for_area(AreaOfInterest.from_geometries([polygon], 4326), 1, 10)
    assert {t.epsg for t in selection} == {32760, 32701}
    for tile in selection:
        minx, _, maxx, _ = tile.footprint.bounds
        assert maxx - minx < 0.2  # no tile outline spans the globe


def test_wgs84_grid_names_cells_by_their_south_west_corner():
    selection = tiles_for_area(area_wgs84(-119.5, 35.5, -118.5, 36.5), 3, 0.0001, buffer_x=10, buffer_y=10)
    assert sorted(t.name for t in selection) == ["N35W119", "N35W120", "N36W119", "N36W120"]
    tile = by_name(selection)["N35W120"]
    assert tile.epsg == 4326
    assert tile.bounds == (-120.0, 35.0, -119.0, 36.0)
    assert tile.buffered_bounds == pytest.approx((-120.001, 34.999, -118.999, 36.001))
    assert (tile.width, tile.buffered_width) == (10000, 10020)


def test_laea_grids_use_eea_reference_names():
    paris = area_wgs84(2.352, 48.852, 2.358, 48.858)
    (tile,) = tiles_for_area(paris, 6, 100).tiles
    assert tile.name == "100kmE37N28"
    assert tile.epsg == 3035
    assert tile.bounds == (3_700_000, 2_800_000, 3_800_000, 2_900_000)
    (small,) = tiles_for_area(paris, 7, 20).tiles
    assert small.name == "20kmE376N288"
    assert small.bounds == (3_760_000, 2_880_000, 3_780_000, 2_900_000)


def test_laea_grid_refuses_an_area_outside_europe():
    with pytest.raises(OutsideCoverageError, match="Europe only"):
        tiles_for_area(area_wgs84(-119.3, 35.9, -119.1, 36.1), 7, 10)


def test_utm_grid_refuses_polar_areas_and_suggests_the_wgs84_grid():
    with pytest.raises(OutsideCoverageError, match=r"\(id 3\)"):
        tiles_for_area(area_wgs84(10, 85, 11, 86), 1, 10)


def test_area_partly_beyond_the_latitude_limit_is_clipped_with_a_warning():
    selection = tiles_for_area(area_wgs84(20.0, 80.5, 20.2, 80.9), 1, 10)
    assert len(selection) > 0
    assert any("outside grid 1" in w for w in selection.warnings)
    assert all(t.footprint.bounds[1] < 80.6 for t in selection)


def test_disallowed_resolution_names_the_allowed_ones():
    with pytest.raises(ResolutionNotAllowedError, match="choose one of 10, 20 m"):
        tiles_for_area(area_wgs84(0, 0, 0.1, 0.1), 1, 60)


def test_unknown_grid_is_refused():
    with pytest.raises(UnknownGridError, match="use one of 0"):
        tiles_for_area(area_wgs84(0, 0, 0.1, 0.1), 4, 10)


def test_negative_or_fractional_buffer_is_refused():
    with pytest.raises(GridError, match="bufferX"):
        tiles_for_area(area_wgs84(0, 0, 0.1, 0.1), 1, 10, buffer_x=-1)
    with pytest.raises(GridError, match="bufferY"):
        tiles_for_area(area_wgs84(0, 0, 0.1, 0.1), 1, 10, buffer_y=1.5)


def test_tile_cap_refuses_before_building_tiles():
    with pytest.raises(TooManyTilesError) as error:
        tiles_for_area(area_wgs84(-120, 35, -118, 37), 1, 10, max_tiles=100)
    assert error.value.count > 100
    assert "more than the limit of 100" in str(error.value)


def test_same_area_in_a_projected_crs_gives_the_same_tiles():
    box = shapely.box(-119.3, 35.95, -119.13, 36.14)
    in_mercator = transform_geometry(shapely.segmentize(box, 0.001), 4326, 3857)
    a = {t.name for t in tiles_for_area(AreaOfInterest.from_geometries([box], 4326), 1, 10)}
    b = {t.name for t in tiles_for_area(AreaOfInterest.from_geometries([in_mercator], "EPSG:3857"), 1, 10)}
    assert a == b


def test_tile_ids_are_unique_and_stable():
    area = area_wgs84(-120.3, 35.5, -118.5, 37.0)
    first = tiles_for_area(area, 1, 10)
    second = tiles_for_area(area, 1, 20)
    ids = [t.id for t in first]
    assert len(set(ids)) == len(ids)
    assert {t.name: t.id for t in first} == {t.name: t.id for t in second}
