"""The explicit area of a job (ui/area_picker.py): a polygon layer that is never one of Tilewise's own, its
selected features, the map extent, or a rectangle or polygon drawn on the map, outlined on the canvas while the
dock shows; a tile picked for a preview never changes it."""

from __future__ import annotations

import pytest
import shapely
from osgeo import gdal
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsSettings,
)
from qgis.gui import QgsMapMouseEvent, QgsMapToolPan
from qgis.PyQt.QtCore import QEvent, QPoint, QSettings, Qt
from qgis.PyQt.QtGui import QKeyEvent

from tilewise.core.connections import ConnectionStore
from tilewise.core.jobs import BatchJob, Tile
from tilewise.core.mosaics import Mosaic
from tilewise.core.statuses import V1
from tilewise.ui.area_picker import DRAWN, EXTENT, LAYER, POLYGON, RECTANGLE, AreaPicker, no_area_message
from tilewise.ui.dock import TilewiseDock
from tilewise.ui.job_groups import JOB_PROPERTY
from tilewise.ui.job_tile_layer import JobTileLayer
from tilewise.ui.layer_roles import is_tilewise_layer
from tilewise.ui.map_area import UserInputError
from tilewise.ui.output_layers import add_mosaic_layers
from tilewise.ui.preview_layers import add_preview_layer
from tilewise.ui.tile_layer import add_to_group, build_tile_layer

from .conftest import TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA, polygon_layer, wait_until

SQUARES = [
    "POLYGON((0 0,1 0,1 1,0 1,0 0))",
    "POLYGON((2 0,3 0,3 1,2 1,2 0))",
    "POLYGON((4 0,5 0,5 1,4 1,4 0))",
]


@pytest.fixture
def picker(qgis_iface, qgis_new_project, qgis_canvas):
    QgsSettings().remove("tilewise")
    qgis_iface._active_layer_id = None
    qgis_canvas.resize(400, 300)
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    qgis_canvas.setExtent(QgsRectangle(0, 0, 4000, 3000))
    widget = AreaPicker(qgis_iface)
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


@pytest.fixture
def dock(qgis_iface, qgis_new_project, tmp_path):
    QgsSettings().remove("tilewise")
    qgis_iface._active_layer_id = None
    store = ConnectionStore(QgsSettings(str(tmp_path / "connections.ini"), QSettings.Format.IniFormat))
    widget = TilewiseDock(qgis_iface, store=store)
    wait_until(lambda: widget.form.script_editor.info is not None)
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


def offered(picker: AreaPicker) -> list:
    combo = picker.layer_combo
    return [combo.layer(index) for index in range(combo.count()) if combo.layer(index) is not None]


def tiff_bytes(tmp_path) -> bytes:
    path = str(tmp_path / "preview.tif")
    dataset = gdal.GetDriverByName("GTiff").Create(path, 4, 4, 1, gdal.GDT_Float32)
    dataset.SetGeoTransform((0, 1, 0, 4, 0, -1))
    dataset.SetProjection(QgsCoordinateReferenceSystem("EPSG:4326").toWkt())
    dataset.GetRasterBand(1).Fill(0.5)
    dataset = None
    with open(path, "rb") as file:
        return file.read()


def mouse(canvas, kind, point: QPoint, button=Qt.MouseButton.LeftButton) -> QgsMapMouseEvent:
    return QgsMapMouseEvent(canvas, kind, point, button, button, Qt.KeyboardModifier.NoModifier)


def map_point(canvas, point: QPoint) -> QgsPointXY:
    return canvas.getCoordinateTransform().toMapCoordinates(point.x(), point.y())


# --- which layers are offered -----------------------------------------------------------------------------


def test_tilewise_layers_grid_preview_job_tiles_outputs_are_never_offered_nor_taken(
    picker, qgis_iface, tmp_path
):
    fields = polygon_layer(SQUARES, name="fields")
    preview = build_tile_layer("Tiles: grid 1", [], 10_000)
    add_to_group(preview, "Tilewise grid preview")
    job = BatchJob("0123456789abcdef", V1, "local-engine", "ANALYSIS_DONE", description="fields")
    square = {"type": "Polygon", "coordinates": [[[300000, 3990000], [310000, 3990000], [310000, 4000000],
                                                  [300000, 4000000], [300000, 3990000]]]}  # fmt: skip
    job_tiles = JobTileLayer.create(job, [Tile(1, "11SKV_9_0", "PENDING", 32611, square)], tmp_path).layer
    legacy = polygon_layer(SQUARES, name="tiles of a project saved before the marks")
    legacy.setCustomProperty(JOB_PROPERTY, "an-old-job")
    raster = add_preview_layer(tiff_bytes(tmp_path), "Preview NDVI")
    results = add_mosaic_layers(job, [Mosaic("ndvi", 4326, tmp_path / "preview.tif", ("T1",))])
    assert not results.problems, results.problems
    output = results[0]
    QgsProject.instance().addMapLayer(polygon_layer(SQUARES, name="later"))  # the list follows additions

    assert all(is_tilewise_layer(layer) for layer in (preview, job_tiles, legacy, raster, output))
    assert not is_tilewise_layer(fields)
    names = sorted(layer.name() for layer in offered(picker))
    assert names == ["fields", "later"]
    qgis_iface.setActiveLayer(job_tiles)  # a tile picked on the job's layer: never the area
    with pytest.raises(UserInputError, match="Choose a polygon layer"):
        picker.describe()
    assert isinstance(output, QgsRasterLayer) and output not in offered(picker)


def test_the_first_active_polygon_layer_is_taken_then_only_the_user_changes_it(picker, qgis_iface):
    first = polygon_layer(SQUARES, name="first")
    qgis_iface.setActiveLayer(first)
    assert picker.describe().startswith("first:")
    assert picker.layer_combo.currentLayer() is first
    second = polygon_layer(SQUARES[:1], name="second")
    qgis_iface.setActiveLayer(second)
    qgis_iface.currentLayerChanged.emit(None)
    assert picker.describe().startswith("first:")
    picker.choose_layer(second)
    geometries, crs = picker.collect()
    assert len(geometries) == 1 and crs == "EPSG:4326"


def test_selected_features_only_with_its_count(picker, qgis_iface):
    layer = polygon_layer(SQUARES, name="fields")
    picker.choose_layer(layer)
    assert not picker.selected_only.isEnabled()  # nothing selected: every polygon, and said so
    assert "no selection, all 3 polygon(s)" in picker.describe()
    layer.selectByIds([1, 3])
    wait_until(lambda: picker.selected_only.text() == "Selected features only (2 of 3)", 5)
    assert picker.selected_only.isEnabled() and picker.selected_only.isChecked()
    assert "2 selected polygon(s) of 3" in picker.describe()
    geometries, _ = picker.collect()
    assert sorted(g.bounds[0] for g in geometries) == [0, 4]
    picker.selected_only.setChecked(False)
    geometries, _ = picker.collect()
    assert len(geometries) == 3
    assert "Selected features only” is off" in picker.describe()


def test_removing_the_chosen_layer_leaves_no_area_and_says_what_to_do(dock, qgis_iface):
    layer = polygon_layer(SQUARES, name="fields")
    dock.area.choose_layer(layer)
    assert dock.form.area_label.text().startswith("fields:")
    other = polygon_layer(SQUARES, name="other")
    qgis_iface.setActiveLayer(other)
    QgsProject.instance().removeMapLayer(layer.id())
    assert dock.form.area_label.text() == no_area_message()
    assert dock.area.layer is None and dock.area.layer_combo.currentLayer() is None
    with pytest.raises(UserInputError, match="Choose a polygon layer, the map extent, or draw an area"):
        dock.area.collect()


# --- the map extent and drawn areas ------------------------------------------------------------------------


def test_the_map_extent_in_the_map_crs_and_the_mode_remembered(picker, qgis_canvas, qgis_iface):
    picker.extent_radio.click()
    assert picker.mode == EXTENT and QgsSettings().value("tilewise/job_form/area_mode") == EXTENT
    geometries, crs = picker.collect()
    extent = qgis_canvas.extent()
    assert crs == "EPSG:3857"
    assert geometries[0].bounds == pytest.approx(
        (extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum())
    )
    assert "EPSG:3857" in picker.describe()
    qgis_canvas.setExtent(QgsRectangle(1000, 1000, 2000, 1750))  # the extent when the job is created
    assert picker.collect()[0][0].bounds[0] == pytest.approx(qgis_canvas.extent().xMinimum())
    again = AreaPicker(qgis_iface)  # the mode is remembered with the form
    try:
        assert again.mode == EXTENT and again.extent_radio.isChecked()
    finally:
        again.unload()


def test_a_rectangle_dragged_on_the_map_restores_the_previous_tool(picker, qgis_canvas):
    pan = QgsMapToolPan(qgis_canvas)
    qgis_canvas.setMapTool(pan)
    picker.rectangle_button.click()
    tool = qgis_canvas.mapTool()
    assert tool is picker.tool and picker.rectangle_button.isChecked()
    start, end = QPoint(40, 30), QPoint(240, 130)
    tool.canvasPressEvent(mouse(qgis_canvas, QEvent.Type.MouseButtonPress, start))
    tool.canvasMoveEvent(mouse(qgis_canvas, QEvent.Type.MouseMove, QPoint(100, 80), Qt.MouseButton.NoButton))
    tool.canvasReleaseEvent(mouse(qgis_canvas, QEvent.Type.MouseButtonRelease, end))
    assert qgis_canvas.mapTool() is pan and not picker.rectangle_button.isChecked()
    assert picker.mode == DRAWN and picker.drawn_radio.isChecked()
    geometries, crs = picker.collect()
    a, b = map_point(qgis_canvas, start), map_point(qgis_canvas, end)
    assert crs == "EPSG:3857"
    assert geometries[0].bounds == pytest.approx((a.x(), b.y(), b.x(), a.y()))
    assert geometries[0].area == pytest.approx((b.x() - a.x()) * (a.y() - b.y()))
    assert picker.describe() == "Drawn rectangle (EPSG:3857)"


def test_a_polygon_clicked_on_the_map_closes_with_a_right_click_or_a_double_click(picker, qgis_canvas):
    corners = [QPoint(50, 50), QPoint(250, 50), QPoint(150, 200)]
    for finish in ("right", "double"):
        tool = picker.start_drawing(POLYGON)
        for corner in corners:
            tool.canvasPressEvent(mouse(qgis_canvas, QEvent.Type.MouseButtonPress, corner))
            tool.canvasReleaseEvent(mouse(qgis_canvas, QEvent.Type.MouseButtonRelease, corner))
        if finish == "right":
            tool.canvasPressEvent(
                mouse(qgis_canvas, QEvent.Type.MouseButtonPress, QPoint(10, 10), Qt.MouseButton.RightButton)
            )
        else:
            tool.canvasDoubleClickEvent(mouse(qgis_canvas, QEvent.Type.MouseButtonDblClick, corners[-1]))
        assert picker.tool is None and picker.mode == DRAWN, finish
        geometries, crs = picker.collect()
        expected = shapely.Polygon([(p.x(), p.y()) for p in (map_point(qgis_canvas, c) for c in corners)])
        assert crs == "EPSG:3857"
        assert geometries[0].normalize().equals_exact(expected.normalize(), 1e-6), finish


def test_escape_cancels_a_drawing_and_keeps_the_area(picker, qgis_canvas, qgis_iface):
    layer = polygon_layer(SQUARES, name="fields")
    picker.choose_layer(layer)
    pan = QgsMapToolPan(qgis_canvas)
    qgis_canvas.setMapTool(pan)
    tool = picker.start_drawing(RECTANGLE)
    tool.canvasPressEvent(mouse(qgis_canvas, QEvent.Type.MouseButtonPress, QPoint(10, 10)))
    tool.keyPressEvent(QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier))
    assert picker.tool is None and qgis_canvas.mapTool() is pan
    assert picker.mode == LAYER and picker.describe().startswith("fields:")


def test_a_drawn_area_keeps_its_crs_when_the_map_changes_crs(picker, qgis_canvas):
    picker.show()
    picker.set_drawing(
        QgsGeometry.fromRect(QgsRectangle(1000, 1000, 2000, 2000)), qgis_canvas.mapSettings().destinationCrs()
    )
    band = picker.highlight.band
    before = band.asGeometry().boundingBox()
    assert before.xMinimum() == pytest.approx(1000)
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    geometries, crs = picker.collect()
    assert crs == "EPSG:3857" and geometries[0].bounds == pytest.approx((1000, 1000, 2000, 2000))
    after = band.asGeometry().boundingBox()  # the outline re-projected: 1 km east of 0° is about 0.009°
    assert after.xMinimum() == pytest.approx(1000 / 111_319.49, rel=1e-3)
    picker.hide()


# --- in the dock ------------------------------------------------------------------------------------------


def test_a_tile_chosen_for_one_tile_leaves_the_area_unchanged(dock, qgis_iface):
    fields = polygon_layer([TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA], name="california_crop_fields")
    qgis_iface.setActiveLayer(fields)
    fields.selectByIds([2])
    dock.refresh_area_summary()
    summary = dock.form.area_label.text()
    assert summary.startswith("california_crop_fields: 1 selected polygon")
    before = dock.area.collect()
    previews = []
    dock.previewFinished.connect(previews.append)
    dock.start_preview()
    wait_until(lambda: previews)
    tiles = previews[0]
    assert tiles is not None and tiles.featureCount() == 2
    tiles.selectByIds([next(tiles.getFeatures()).id()])  # pick a tile for "One tile": its layer is active
    qgis_iface.setActiveLayer(tiles)
    qgis_iface.currentLayerChanged.emit(None)
    assert dock.chosen_tile() is not None
    assert dock.area.layer is fields and dock.area.collect() == before
    assert tiles not in offered(dock.area)
    assert dock.form.area_label.text().startswith(summary)


def test_the_area_is_outlined_while_the_dock_shows_and_gone_after_unload(dock, qgis_iface, qgis_canvas):
    layer = polygon_layer(SQUARES, name="fields")
    dock.area.choose_layer(layer)
    dock.show()
    wait_until(lambda: dock.area.highlight.is_shown(), 5)
    band = dock.area.highlight.band
    assert band in qgis_canvas.scene().items()
    outline = band.asGeometry()
    assert outline.boundingBox().xMaximum() == pytest.approx(5) and outline.boundingBox().xMinimum() == 0
    layer.selectByIds([1])  # the outline follows the selection
    wait_until(lambda: band.asGeometry().boundingBox().xMaximum() == pytest.approx(1), 5)
    layer.removeSelection()
    wait_until(lambda: band.asGeometry().boundingBox().xMaximum() == pytest.approx(5), 5)
    layer.startEditing()  # and the layer's geometry, edited
    assert layer.changeGeometry(3, QgsGeometry.fromWkt("POLYGON((4 0,9 0,9 1,4 1,4 0))"))
    wait_until(lambda: band.asGeometry().boundingBox().xMaximum() == pytest.approx(9), 5)
    layer.rollBack()
    wait_until(lambda: band.asGeometry().boundingBox().xMaximum() == pytest.approx(5), 5)
    dock.area.set_mode(EXTENT)  # the whole map: nothing to outline
    assert not dock.area.highlight.is_shown()
    dock.area.set_mode(LAYER)
    assert dock.area.highlight.is_shown()
    dock.hide()
    assert not dock.area.highlight.is_shown()
    dock.show()
    assert dock.area.highlight.is_shown()
    dock.area.unload()
    assert band not in qgis_canvas.scene().items()
