"""A batch statistical request's polygons: read from the GeoPackage (what is refused and why) and grouped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely
from osgeo import ogr, osr

from tilewise.engine.features import FeatureError
from tilewise.engine.statistical_features import (
    GROUP_CELL_PX,
    MAX_GROUP_FEATURES,
    group_bounds,
    group_features,
    read_statistical_features,
    snapped_bounds,
)
from tilewise.engine.store import StatisticalFeature

ogr.UseExceptions()


def feature(fid: int, x: float, y: float, size: float = 100.0) -> StatisticalFeature:
    shape = shapely.box(x, y, x + size, y + size)
    return StatisticalFeature(fid, f"f{fid}", shape.bounds, shapely.to_wkb(shape))


def gpkg(path: Path, *, epsg=32633, identifier=True, shapes=None) -> str:
    shapes = (shapely.box(0, 0, 10, 10),) if shapes is None else shapes
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = None
    if epsg:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
    layer = source.CreateLayer("fields", srs, ogr.wkbUnknown)
    if identifier:
        layer.CreateField(ogr.FieldDefn("identifier", ogr.OFTString))
    for index, shape in enumerate(shapes, start=1):
        row = ogr.Feature(layer.GetLayerDefn())
        if identifier:
            row.SetField("identifier", f"id-{index}")
        if shape is not None:
            row.SetGeometry(ogr.CreateGeometryFromWkb(shapely.to_wkb(shape)))
        layer.CreateFeature(row)
    source = None
    return path.as_uri()


def read(url: str, root: Path, limit: int = 700_000):
    return read_statistical_features(url, root, None, None, limit)


def test_features_keep_their_fid_identifier_bounds_and_crs(tmp_path):
    shapes = (shapely.box(0, 0, 10, 20), shapely.MultiPolygon([shapely.box(30, 30, 35, 36)]))
    layer = read(gpkg(tmp_path / "f.gpkg", shapes=shapes), tmp_path)
    assert layer.epsg == 32633
    assert [(f.fid, f.identifier, f.bounds) for f in layer.features] == [
        (1, "id-1", (0, 0, 10, 20)),
        (2, "id-2", (30, 30, 35, 36)),
    ]
    assert shapely.from_wkb(layer.features[1].wkb).equals(shapes[1])


def test_without_an_identifier_column_the_identifier_is_none(tmp_path):
    assert read(gpkg(tmp_path / "f.gpkg", identifier=False), tmp_path).features[0].identifier is None


@pytest.mark.parametrize(
    ("shapes", "epsg", "message"),
    [
        (
            (shapely.LineString([(0, 0), (1, 1)]),),
            32633,
            "Feature 1 of table 'fields' ('id-1') is a Line String",
        ),
        ((shapely.box(0, 0, 1, 1), None), 32633, "Feature 2 of table 'fields' ('id-2') has no geometry"),
        ((), 32633, "has no features"),
        ((shapely.box(0, 0, 1, 1),), None, "is not an EPSG CRS: reproject it"),
    ],
)
def test_what_cannot_be_used_is_refused_saying_what_to_do(tmp_path, shapes, epsg, message):
    with pytest.raises(FeatureError, match=re.escape(message)):
        read(gpkg(tmp_path / "f.gpkg", shapes=shapes, epsg=epsg), tmp_path)


def test_more_features_than_the_limit_are_refused(tmp_path):
    url = gpkg(tmp_path / "f.gpkg", shapes=[shapely.box(i, 0, i + 1, 1) for i in range(5)])
    with pytest.raises(FeatureError, match="5 features, more than the 4"):
        read(url, tmp_path, limit=4)


def test_a_geopackage_outside_the_output_root_is_refused(tmp_path):
    url = gpkg(tmp_path / "f.gpkg")
    with pytest.raises(FeatureError, match="outside the engine's output root"):
        read(url, tmp_path / "elsewhere")


def test_bounds_grow_to_whole_pixels_from_the_crs_origin():
    assert snapped_bounds((303_533.0, 3_993_047.0, 303_911.0, 3_993_433.0), 20, 20) == (
        303_520.0,
        3_993_040.0,
        303_920.0,
        3_993_440.0,
    )
    assert snapped_bounds((100.0, 100.0, 100.0, 100.0), 10, 10) == (
        100.0,
        100.0,
        110.0,
        110.0,
    )  # a point-like one


def test_nearby_features_share_a_group_and_a_cell_apart_do_not():
    cell = GROUP_CELL_PX * 10.0
    features = [
        feature(1, 10, 10),
        feature(2, 500, 700),
        feature(3, cell + 10, 10),
        feature(4, 20, cell + 30),
    ]
    groups = group_features(features, 10.0, 10.0)
    assert sorted(sorted(f.fid for f in members) for members in groups.values()) == [[1, 2], [3], [4]]
    assert sorted(groups) == [1, 2, 3]


def test_a_feature_larger_than_a_cell_is_a_group_of_its_own():
    cell = GROUP_CELL_PX * 10.0
    features = [feature(1, 10, 10), feature(2, 0, 0, size=cell * 1.5)]
    groups = group_features(features, 10.0, 10.0)
    assert sorted(sorted(f.fid for f in members) for members in groups.values()) == [[1], [2]]


def test_a_crowded_cell_is_split_into_groups_of_at_most_the_limit():
    features = [
        feature(i, (i % 40) * 10.0, (i // 40) * 10.0, size=5.0) for i in range(1, MAX_GROUP_FEATURES + 11)
    ]
    groups = group_features(features, 10.0, 10.0)
    assert sorted(len(members) for members in groups.values()) == [10, MAX_GROUP_FEATURES]
    assert sorted(f.fid for members in groups.values() for f in members) == list(
        range(1, MAX_GROUP_FEATURES + 11)
    )


def test_a_groups_bounds_cover_its_features_on_whole_pixels():
    assert group_bounds([feature(1, 3, 7), feature(2, 250, 305)], 10.0, 10.0) == (0.0, 0.0, 350.0, 410.0)
