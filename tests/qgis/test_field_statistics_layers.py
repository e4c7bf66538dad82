"""A results GeoPackage (written here with OGR, as the field statistics task writes it) comes into the project
as a graduated fields layer on its latest mean and a non-spatial statistics table, in a group of its own; an
NDVI column gets red to green classes over its values, an NDWI column classes symmetric around 0 (the water
line), and adding the same results again replaces the layers instead of doubling them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import ogr, osr
from qgis.core import QgsGraduatedSymbolRenderer, QgsProject, QgsWkbTypes

from tilewise.ui.field_statistics_layers import (
    FIELD_STATISTICS_GROUP,
    add_results_layers,
    is_water_index,
    mean_columns,
)

RNG = np.random.default_rng(27)


def write_results(path: Path, columns: dict[str, np.ndarray]) -> Path:
    """A `fields` layer of squares with the given mean columns, and a `statistics` table of one row each."""
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    fields = source.CreateLayer("fields", srs, ogr.wkbPolygon, ["FID=fid"])
    fields.CreateField(ogr.FieldDefn("identifier", ogr.OFTString))
    for name in columns:
        fields.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    fields.CreateField(ogr.FieldDefn("latest_interval", ogr.OFTString))
    count = len(next(iter(columns.values())))
    for index in range(count):
        feature = ogr.Feature(fields.GetLayerDefn())
        feature.SetFID(index + 1)
        feature.SetField("identifier", f"parcel {index + 1}")
        for name, values in columns.items():
            feature.SetField(name, float(values[index]))
        feature.SetField("latest_interval", "2023-08-15")
        x = 500_000 + index * 200
        feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({x} 5000000,{x + 150} 5000000,{x + 150} "
                                                      f"5000150,{x} 5000150,{x} 5000000))"))  # fmt: skip
        fields.CreateFeature(feature)
    table = source.CreateLayer("statistics", None, ogr.wkbNone)
    for name, kind in (("fid", ogr.OFTInteger), ("output", ogr.OFTString), ("mean", ogr.OFTReal)):
        table.CreateField(ogr.FieldDefn(name, kind))
    for index in range(count):
        row = ogr.Feature(table.GetLayerDefn())
        row.SetField("fid", index + 1)
        row.SetField("output", "index")
        row.SetField("mean", float(next(iter(columns.values()))[index]))
        table.CreateFeature(row)
    source = None
    return path


@pytest.fixture
def project(qgis_new_project):
    return QgsProject.instance()


def class_bounds(renderer: QgsGraduatedSymbolRenderer) -> list[tuple[float, float]]:
    return [(r.lowerValue(), r.upperValue()) for r in renderer.ranges()]


def test_ndvi_results_are_graduated_red_to_green_over_the_latest_means(project, tmp_path):
    ndvi = RNG.uniform(0.1, 0.85, 12)
    ndwi = RNG.uniform(-0.6, 0.3, 12)
    path = write_results(tmp_path / "run.gpkg", {"ndvi_B0_mean": ndvi, "ndwi_B0_mean": ndwi})
    added = add_results_layers(path, "NDVI July")
    fields, table = added.fields, added.statistics
    assert fields.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry and fields.featureCount() == 12
    assert not table.isSpatial() and table.featureCount() == 12
    assert mean_columns(fields) == ["ndvi_B0_mean", "ndwi_B0_mean"]
    renderer = fields.renderer()
    assert isinstance(renderer, QgsGraduatedSymbolRenderer)
    assert renderer.classAttribute() == "ndvi_B0_mean"
    bounds = class_bounds(renderer)
    assert np.isclose(bounds[0][0], ndvi.min()) and np.isclose(bounds[-1][1], ndvi.max())
    ranges = renderer.ranges()  # kept: each symbol belongs to its range
    low, high = ranges[0].symbol().color(), ranges[-1].symbol().color()
    assert low.red() > low.green() and high.green() > high.red()  # bare soil red, dense vegetation green
    group = project.layerTreeRoot().findGroup(FIELD_STATISTICS_GROUP).findGroup("NDVI July")
    assert [node.layer() for node in group.findLayers()] == [fields, table]


def test_ndwi_classes_are_symmetric_around_the_water_line(project, tmp_path):
    ndwi = RNG.uniform(-0.6, 0.3, 15)
    path = write_results(tmp_path / "water.gpkg", {"ndwi_B0_mean": ndwi})
    renderer = add_results_layers(path, "NDWI").fields.renderer()
    bounds = class_bounds(renderer)
    assert np.isclose(bounds[0][0], -bounds[-1][1])  # as far below 0 as above
    assert np.isclose(bounds[0][0], -np.abs(ndwi).max())
    assert any(np.isclose(upper, 0.0) for _, upper in bounds)  # 0 is where the colours turn
    ranges = renderer.ranges()  # kept: each symbol belongs to its range
    low, high = ranges[0].symbol().color(), ranges[-1].symbol().color()
    assert low.red() > low.blue() and high.blue() > high.red()  # land red, water blue


def test_adding_the_same_results_again_replaces_the_layers(project, tmp_path):
    path = write_results(tmp_path / "again.gpkg", {"ndvi_B0_mean": RNG.uniform(0, 1, 3)})
    first = add_results_layers(path, "run")
    first_ids = (first.fields.id(), first.statistics.id())
    second = add_results_layers(path, "run")
    assert first.group is second.group
    assert [node.layer() for node in second.group.findLayers()] == [second.fields, second.statistics]
    assert all(project.mapLayer(layer_id) is None for layer_id in first_ids)


def test_which_columns_are_water_indices():
    assert is_water_index("ndwi_B0_mean") and is_water_index("MNDWI_B0_mean")
    assert not is_water_index("ndvi_B0_mean")
