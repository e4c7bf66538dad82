"""The dock's grid preview adds a styled tile layer for the selection, and refuses bad input clearly."""

from __future__ import annotations

import pytest
import shapely
from qgis.core import Qgis, QgsCategorizedSymbolRenderer, QgsProject, QgsSettings
from qgis.PyQt.QtCore import QSettings

from tilewise.core.area import AreaOfInterest
from tilewise.core.connections import ConnectionStore
from tilewise.core.grids import tiles_for_area
from tilewise.ui.dock import PREVIEW_GROUP, TilewiseDock

from .conftest import TUTORIAL_ENTIRE_AREA, polygon_layer, wait_until


@pytest.fixture
def dock(qgis_iface, tmp_path):
    QgsSettings().remove("tilewise")  # each test starts from the defaults
    store = ConnectionStore(QgsSettings(str(tmp_path / "connections.ini"), QSettings.Format.IniFormat))
    widget = TilewiseDock(qgis_iface, store=store)
    wait_until(lambda: widget.form.script_editor.info is not None)
    qgis_iface.messageBar().messages = {level: [] for level in qgis_iface.messageBar().messages}
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


def run_preview(dock: TilewiseDock, grid_id=1, resolution=10.0, buffer=(0, 0), max_tiles=None):
    dock.form.grid_combo.setCurrentIndex(dock.form.grid_combo.findData(grid_id))
    dock.form.resolution_combo.setCurrentIndex(dock.form.resolution_combo.findData(resolution))
    dock.form.buffer_x.setValue(buffer[0])
    dock.form.buffer_y.setValue(buffer[1])
    if max_tiles is not None:
        dock.form.max_tiles.setValue(max_tiles)
    results = []
    dock.previewFinished.connect(results.append)
    dock.start_preview()
    wait_until(lambda: results)
    dock.previewFinished.disconnect(results.append)
    return results[0]


def preview_layers():
    group = QgsProject.instance().layerTreeRoot().findGroup(PREVIEW_GROUP)
    return [] if group is None else [node.layer() for node in group.findLayers()]


def test_preview_adds_a_styled_labelled_layer_for_the_selected_polygon(
    dock, tutorial_layer, qgis_iface, english_plurals
):
    tutorial_layer.selectByIds([1])  # the entire area only
    dock.refresh_area_summary()
    assert "1 selected polygon" in dock.form.area_label.text()
    layer = run_preview(dock, grid_id=1, resolution=10.0, buffer=(50, 50))
    area = AreaOfInterest.from_geometries([shapely.from_wkt(TUTORIAL_ENTIRE_AREA)], 4326)
    expected = tiles_for_area(area, 1, 10, 50, 50)
    assert layer is not None and layer.isValid()
    assert preview_layers() == [layer]
    assert layer.featureCount() == len(expected)
    assert sorted(f["name"] for f in layer.getFeatures()) == sorted(t.name for t in expected)
    assert {f["status"] for f in layer.getFeatures()} == {"PREVIEW"}
    renderer = layer.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer)
    assert renderer.classAttribute() == "status"
    assert "PREVIEW" in [c.value() for c in renderer.categories()]
    assert layer.labelsEnabled() and layer.labeling().settings().fieldName == "name"
    # a view of the form: QGIS does not ask on quit whether its features may be lost
    assert int(layer.customProperty("skipMemoryLayersCheck")) == 1
    text = dock.form.preview_details_label.text()
    assert f"{len(expected):,} tiles" in text and "1,100 × 1,100 px" in text and "PU" in text
    assert not qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)


def test_without_selection_every_polygon_of_the_layer_is_used(dock, tutorial_layer):
    tutorial_layer.removeSelection()
    dock.refresh_area_summary()
    assert "all 2 polygon" in dock.form.area_label.text()
    layer = run_preview(dock)
    assert layer is not None and layer.featureCount() > 0


def read_preset(dock, name: str) -> None:
    dock.form.script_editor.select_preset(name)
    wait_until(lambda: dock.form.script_editor.task is None and dock.form.script_editor.info is not None)


def test_pu_estimate_follows_the_script_without_relisting_tiles(dock, tutorial_layer):
    run_preview(dock)
    read_preset(dock, "True colour")
    true_colour = dock.form.preview_details_label.text()
    assert "PU" in true_colour and "one every 3 days" not in true_colour
    read_preset(dock, "NDVI")  # FLOAT32 output: twice the PU of 8-bit output
    assert dock.form.preview_details_label.text() != true_colour
    read_preset(dock, "NDVI interpolation (tutorial)")  # ORBIT mosaicking: samples from the time range
    assert "one every 3 days" in dock.form.preview_details_label.text()


def test_layer_in_a_projected_crs_gives_the_same_tiles(dock, qgis_new_project, qgis_iface):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsGeometry

    geometry = QgsGeometry.fromWkt(TUTORIAL_ENTIRE_AREA)
    geometry.densifyByDistance(0.001)
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsCoordinateReferenceSystem("EPSG:3857"),
        QgsProject.instance(),
    )
    geometry.transform(transform)
    layer = polygon_layer([geometry.asWkt()], crs="EPSG:3857")
    dock.area.choose_layer(layer)
    projected = run_preview(dock)
    names_projected = sorted(f["name"] for f in projected.getFeatures())
    wgs84 = polygon_layer([TUTORIAL_ENTIRE_AREA])
    dock.area.choose_layer(wgs84)
    names_wgs84 = sorted(f["name"] for f in run_preview(dock).getFeatures())
    assert names_projected == names_wgs84


def assert_refused(dock, qgis_iface, fragment: str):
    before = preview_layers()
    assert run_preview(dock) is None
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any(fragment in message for message in warnings), warnings
    assert preview_layers() == before  # nothing added half-way


def test_no_area_is_refused(dock, qgis_new_project, qgis_iface):
    qgis_iface._active_layer_id = None
    assert_refused(dock, qgis_iface, "Choose a polygon layer, the map extent, or draw an area")


def test_point_layer_is_neither_offered_nor_taken(dock, qgis_new_project, qgis_iface):
    layer = polygon_layer(["POINT(-119.2 36.0)"], geometry="Point")
    qgis_iface.setActiveLayer(layer)
    combo = dock.area.layer_combo
    assert layer not in [combo.layer(index) for index in range(combo.count())]
    assert_refused(dock, qgis_iface, "Choose a polygon layer")


def test_empty_layer_is_refused(dock, qgis_new_project, qgis_iface):
    layer = polygon_layer([])
    qgis_iface.setActiveLayer(layer)
    assert_refused(dock, qgis_iface, "has no features")


def test_area_outside_the_laea_grid_is_refused(dock, tutorial_layer, qgis_iface):
    dock.form.grid_combo.setCurrentIndex(dock.form.grid_combo.findData(7))
    before = preview_layers()
    assert run_preview(dock, grid_id=7, resolution=10.0) is None
    assert any("Europe only" in m for m in qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning))
    assert preview_layers() == before


def test_too_many_tiles_are_refused_with_the_count(dock, tutorial_layer, qgis_iface):
    before = preview_layers()
    assert run_preview(dock, max_tiles=3) is None
    assert any(
        "more than the limit of 3" in m
        for m in qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    )
    assert preview_layers() == before


def test_ambiguous_invalid_geometry_is_refused_and_harmless_one_repaired(dock, qgis_new_project, qgis_iface):
    bowtie = polygon_layer(["POLYGON((-119.3 36.0,-119.1 36.1,-119.1 36.0,-119.3 36.1,-119.3 36.0))"])
    qgis_iface.setActiveLayer(bowtie)
    assert_refused(dock, qgis_iface, "Fix Geometries")
    pinched = polygon_layer(
        [
            "POLYGON((-119.3 36.0,-119.1 36.0,-119.1 36.1,-119.2 36.1,-119.15 36.05,-119.2 36.02,"
            "-119.25 36.05,-119.2 36.1,-119.3 36.1,-119.3 36.0))"
        ]
    )
    dock.area.choose_layer(pinched)
    assert run_preview(dock) is not None, qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("repaired" in m for m in qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Info))
