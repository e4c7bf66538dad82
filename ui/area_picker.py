"""Where a job or a grid preview takes place, chosen explicitly at the top of the form's "Area" box: a polygon
layer (its selected features only, or all), the map extent when the job is created, or a rectangle or polygon
drawn on the map. The chosen area is outlined on the canvas while the picker shows.

The first time, the picker takes the active polygon layer (load a layer, open Tilewise: it is the area); from
then on the area changes only when the user changes it: a layer made active later (a job's tile layer when a
tile is picked for a preview) never becomes the area. Tilewise's own layers are never offered.

The dock reads it through the small interface the active-layer area had: `describe()`, `collect()` →
(geometries, CRS), the signal `changed` and `unload()`."""

from __future__ import annotations

import contextlib
from typing import Callable, Optional

import shapely
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsGeometry,
    QgsMapLayer,
    QgsProject,
    QgsSettings,
    QgsVectorLayer,
)
from qgis.gui import QgsMapLayerComboBox
from qgis.PyQt.QtCore import QTimer, pyqtSignal
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QGridLayout, QPushButton, QRadioButton, QWidget

from ..core.qgis_geometry import to_shapely
from .area_tools import AreaDrawTool, AreaHighlight, PolygonTool, RectangleTool
from .i18n import tr
from .layer_roles import is_tilewise_layer
from .map_area import UserInputError, crs_text, polygon_layer
from .qgis_compat import POLYGON_GEOMETRY, POLYGON_LAYER_FILTER

LAYER, EXTENT, DRAWN = "layer", "extent", "drawn"
RECTANGLE, POLYGON = "rectangle", "polygon"
MODE_KEY = "tilewise/job_form/area_mode"  # layer or extent; a drawing lives as long as the dock
# what changes the area of a layer: its selection and its features (edits, or new data from the provider)
LAYER_SIGNALS = ("selectionChanged", "featureAdded", "featuresDeleted", "geometryChanged", "dataChanged")
REFRESH_DELAY_MS = 120  # a burst of edits or selection changes redraws the outline once


def no_area_message() -> str:
    return tr("Choose a polygon layer, the map extent, or draw an area.")


def is_area_layer(layer: Optional[QgsMapLayer]) -> bool:
    """A layer the picker may offer or take: the user's own polygon layers."""
    return (
        isinstance(layer, QgsVectorLayer)
        and layer.geometryType() == POLYGON_GEOMETRY
        and not is_tilewise_layer(layer)
    )


class AreaPicker(QWidget):
    changed = pyqtSignal()

    def __init__(self, iface, parent: Optional[QWidget] = None, project: Optional[QgsProject] = None):
        super().__init__(parent)
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.project = project or QgsProject.instance()
        self.mode = LAYER
        self.layer: Optional[QgsVectorLayer] = None
        self.layer_id = ""
        self.user_chose = False  # until then, the active polygon layer is taken when there is no area
        self.drawing: Optional[tuple[QgsGeometry, QgsCoordinateReferenceSystem, str]] = None  # and its kind
        self.tool: Optional[AreaDrawTool] = None
        self.previous_tool = None
        self.highlight = AreaHighlight(self.canvas)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setSingleShot(True)
        self.refresh_timer.setInterval(REFRESH_DELAY_MS)
        self.refresh_timer.timeout.connect(self._refresh)
        self._build()
        saved = QgsSettings().value(MODE_KEY, LAYER, type=str)
        self.mode = EXTENT if saved == EXTENT else LAYER
        self._connections: list[tuple[object, Callable]] = [
            (self.project.layersAdded, self._layers_added),
            (self.project.layersRemoved, self._layers_removed),
            (self.project.cleared, self._project_cleared),
            (iface.currentLayerChanged, self._active_layer_changed),
            (self.canvas.destinationCrsChanged, self._map_crs_changed),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._except_tilewise_layers()
        self._adopt_active_layer()
        self._show_state()

    # === the widget ====================================================================================

    def _build(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.layer_radio = QRadioButton(tr("Layer"), self)
        self.layer_combo = QgsMapLayerComboBox(self)
        self.layer_combo.setFilters(POLYGON_LAYER_FILTER)
        self.layer_combo.setAllowEmptyLayer(True)
        self.layer_combo.setLayer(None)
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.layer_combo.setMinimumContentsLength(8)  # a long layer name elides rather than widen the dock
        self.layer_combo.setToolTip(tr("The polygons the job covers. Tilewise's own layers are not offered."))
        self.selected_only = QCheckBox(tr("Selected features only"), self)
        self.selected_only.setChecked(True)
        self.extent_radio = QRadioButton(tr("Map extent"), self)
        self.extent_radio.setToolTip(tr("What the map shows when you press Create, in the map's CRS."))
        self.drawn_radio = QRadioButton(tr("Drawn"), self)
        self.rectangle_button = self._draw_button(tr("Draw rectangle"), "/mActionAddBasicRectangle.svg")
        self.rectangle_button.setToolTip(tr("Drag a rectangle on the map. Esc cancels."))
        self.polygon_button = self._draw_button(tr("Draw polygon"), "/mActionAddPolygon.svg")
        self.polygon_button.setToolTip(
            tr("Click the corners on the map; a right-click or a double-click closes it. Esc cancels.")
        )
        grid.addWidget(self.layer_radio, 0, 0)
        grid.addWidget(self.layer_combo, 0, 1, 1, 2)
        grid.addWidget(self.selected_only, 1, 1, 1, 2)
        grid.addWidget(self.extent_radio, 2, 0, 1, 3)
        grid.addWidget(self.drawn_radio, 3, 0)
        grid.addWidget(self.rectangle_button, 3, 1)
        grid.addWidget(self.polygon_button, 3, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        self.layer_combo.activated.connect(lambda _index: self.choose_layer(self.layer_combo.currentLayer()))
        self.layer_radio.clicked.connect(lambda: self.set_mode(LAYER))
        self.extent_radio.clicked.connect(lambda: self.set_mode(EXTENT))
        self.drawn_radio.clicked.connect(lambda: self.set_mode(DRAWN))
        self.selected_only.toggled.connect(self._selection_use_changed)
        self.rectangle_button.clicked.connect(lambda: self._draw_clicked(RECTANGLE))
        self.polygon_button.clicked.connect(lambda: self._draw_clicked(POLYGON))

    def _draw_button(self, text: str, icon: str) -> QPushButton:
        button = QPushButton(QgsApplication.getThemeIcon(icon), text, self)
        button.setCheckable(True)
        return button

    def _show_state(self) -> None:
        """The widgets as the state is: the mode's radio button, the layer, the selection's count."""
        for radio, mode in (
            (self.layer_radio, LAYER),
            (self.extent_radio, EXTENT),
            (self.drawn_radio, DRAWN),
        ):
            radio.setChecked(self.mode == mode)
        if self.layer_combo.currentLayer() is not self.layer:
            self.layer_combo.setLayer(self.layer)
        selected, total = 0, 0
        if self.layer is not None:
            selected, total = self.layer.selectedFeatureCount(), self.layer.featureCount()
        self.selected_only.setText(
            tr("Selected features only ({selected:,} of {total:,})").format(selected=selected, total=total)
        )
        self.selected_only.setEnabled(self.mode == LAYER and selected > 0)

    # === what the user chooses =========================================================================

    def choose_layer(self, layer: Optional[QgsMapLayer]) -> None:
        """The user picks a layer (the combo box; scripts and tests call it too)."""
        self.user_chose = True
        self._set_layer(layer if is_area_layer(layer) else None)
        self.set_mode(LAYER)

    def set_mode(self, mode: str) -> None:
        self.user_chose = True
        self.mode = mode
        if mode in (LAYER, EXTENT):
            QgsSettings().setValue(MODE_KEY, mode)
        self._show_state()
        self._refresh()

    def _selection_use_changed(self, _checked: bool) -> None:
        if self.mode == LAYER:
            self._refresh()

    def _draw_clicked(self, kind: str) -> None:
        drawing_this = self.tool is not None and self.tool.property("kind") == kind
        self.stop_drawing()
        if not drawing_this:  # a second click on the same button cancels
            self.start_drawing(kind)

    def start_drawing(self, kind: str) -> AreaDrawTool:
        """Activate the map tool that draws a rectangle or a polygon; the previous tool comes back after."""
        self.stop_drawing()
        tool: AreaDrawTool = RectangleTool(self.canvas) if kind == RECTANGLE else PolygonTool(self.canvas)
        tool.setProperty("kind", kind)
        tool.drawn.connect(lambda geometry: self._drawn(geometry, kind))
        tool.cancelled.connect(self.stop_drawing)
        self.previous_tool = self.canvas.mapTool()
        self.tool = tool
        self.canvas.setMapTool(tool)
        self.canvas.mapToolSet.connect(self._map_tool_set)
        self.rectangle_button.setChecked(kind == RECTANGLE)
        self.polygon_button.setChecked(kind == POLYGON)
        return tool

    def stop_drawing(self) -> None:
        """End the drawing tool (Esc, done, or another tool chosen) and give the map its previous tool back."""
        tool, self.tool = self.tool, None
        self.rectangle_button.setChecked(False)
        self.polygon_button.setChecked(False)
        if tool is None:
            return
        with contextlib.suppress(TypeError, RuntimeError):
            self.canvas.mapToolSet.disconnect(self._map_tool_set)
        previous, self.previous_tool = self.previous_tool, None
        if self.canvas.mapTool() is tool:
            try:
                if previous is None:
                    raise RuntimeError("no previous tool")
                self.canvas.setMapTool(previous)
            except RuntimeError:  # none, or deleted meanwhile
                self.canvas.unsetMapTool(tool)
        tool.unload()
        tool.deleteLater()

    def _map_tool_set(self, new_tool, _old_tool=None) -> None:
        if new_tool is not self.tool:  # the user took another tool: drawing ends, that tool stays
            self.previous_tool = None
            self.stop_drawing()

    def _drawn(self, geometry: QgsGeometry, kind: str) -> None:
        self.drawing = (QgsGeometry(geometry), self.canvas.mapSettings().destinationCrs(), kind)
        self.stop_drawing()
        self.set_mode(DRAWN)

    def set_drawing(
        self, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem, kind: str = POLYGON
    ) -> None:
        """An area drawn elsewhere (scripts, tests), kept with its CRS."""
        self.drawing = (QgsGeometry(geometry), QgsCoordinateReferenceSystem(crs), kind)
        self.set_mode(DRAWN)

    # === the layer =====================================================================================

    def _set_layer(self, layer: Optional[QgsVectorLayer]) -> None:
        if self.layer is not None:
            with contextlib.suppress(
                TypeError, RuntimeError
            ):  # deleted (Qt dropped the connections) or never connected
                for signal in self._layer_signals(self.layer):
                    signal.disconnect(self._layer_edited)
        self.layer = layer
        self.layer_id = layer.id() if layer is not None else ""
        if layer is not None:
            for signal in self._layer_signals(layer):
                signal.connect(self._layer_edited)

    @staticmethod
    def _layer_signals(layer: QgsVectorLayer) -> list:
        return [getattr(layer, name) for name in LAYER_SIGNALS]

    def _layer_edited(self, *_args) -> None:
        self.refresh_timer.start()  # bursts of edits: one refresh

    def _adopt_active_layer(self) -> bool:
        """The first time (nothing chosen yet, no layer held): the active polygon layer becomes the area."""
        if self.user_chose or self.mode != LAYER or self.layer is not None:
            return False
        active = self.iface.activeLayer()
        if not is_area_layer(active):
            return False
        self._set_layer(active)
        self._show_state()
        self.refresh_timer.start()
        return True

    def _active_layer_changed(self, *_args) -> None:
        if self._adopt_active_layer():
            self.changed.emit()

    def _layers_added(self, layers) -> None:
        if any(is_tilewise_layer(layer) for layer in layers):
            self._except_tilewise_layers()
        self._active_layer_changed()

    def _except_tilewise_layers(self) -> None:
        excepted = [layer for layer in self.project.mapLayers().values() if is_tilewise_layer(layer)]
        self.layer_combo.setExceptedLayerList(excepted)

    def _layers_removed(self, layer_ids) -> None:
        if self.layer_id and self.layer_id in layer_ids:
            self._set_layer(None)
            self._adopt_active_layer()  # only while the user has chosen nothing
        self._show_state()  # the combo may have moved to another layer: it shows the picker's again
        self._refresh()

    def _project_cleared(self) -> None:
        self.user_chose = False  # another project: its active polygon layer is taken again, the first time

    def _map_crs_changed(self, *_args) -> None:
        if self.mode == EXTENT:  # the summary names the map's CRS
            self.changed.emit()

    # === the area ======================================================================================

    def describe(self) -> str:
        """What a job would cover, in a line; UserInputError (saying what to do) when there is no area."""
        self._adopt_active_layer()
        if self.mode == EXTENT:
            crs = self.canvas.mapSettings().destinationCrs()
            return tr("Map extent as the map shows it when you press Create ({crs})").format(
                crs=crs.authid() or crs.description()
            )
        if self.mode == DRAWN:
            _geometry, crs, kind = self._drawing()
            text = tr("Drawn rectangle ({crs})") if kind == RECTANGLE else tr("Drawn polygon ({crs})")
            return text.format(crs=crs.authid() or crs.description())
        layer = self._chosen_layer()
        selected, total = layer.selectedFeatureCount(), layer.featureCount()
        if selected and self.selected_only.isChecked():
            text = tr("{layer}: {selected:,} selected polygon(s) of {total:,}")
        elif selected:
            text = tr("{layer}: all {total:,} polygon(s); “Selected features only” is off")
        else:
            text = tr("{layer}: no selection, all {total:,} polygon(s)")
        return text.format(layer=layer.name(), selected=selected, total=total)

    def collect(self) -> tuple[tuple[Optional[shapely.Geometry], ...], str]:
        """The area's polygons, copied out of QGIS, and their CRS (an authority id, or WKT)."""
        self._adopt_active_layer()
        if self.mode == EXTENT:
            crs = self.canvas.mapSettings().destinationCrs()
            return (to_shapely(QgsGeometry.fromRect(self.canvas.extent())),), crs_text(crs, tr("The map"))
        if self.mode == DRAWN:
            geometry, crs, _kind = self._drawing()
            return (to_shapely(QgsGeometry(geometry)),), crs_text(crs, tr("The drawn area"))
        layer = self._chosen_layer()
        request = self._feature_request(layer)
        geometries = tuple(
            to_shapely(QgsGeometry(feature.geometry())) for feature in layer.getFeatures(request)
        )
        return geometries, crs_text(layer.crs(), tr("The layer “{name}”").format(name=layer.name()))

    def _chosen_layer(self) -> QgsVectorLayer:
        if self.layer is None:
            raise UserInputError(no_area_message())
        return polygon_layer(self.layer)

    def _drawing(self) -> tuple[QgsGeometry, QgsCoordinateReferenceSystem, str]:
        if self.drawing is None:
            raise UserInputError(tr("Draw an area first: press “Draw rectangle” or “Draw polygon”."))
        return self.drawing

    def _feature_request(self, layer: QgsVectorLayer) -> QgsFeatureRequest:
        request = QgsFeatureRequest().setNoAttributes()
        if self.selected_only.isChecked() and layer.selectedFeatureCount():
            request.setFilterFids(layer.selectedFeatureIds())
        return request

    # === the highlight =================================================================================

    def _refresh(self) -> None:
        self._show_state()
        if self.highlight.visible:
            self.highlight.set_area(*self._outline())
        self.changed.emit()

    def _outline(self) -> tuple[Optional[QgsGeometry], QgsCoordinateReferenceSystem]:
        """The area to outline: all its polygons as one geometry, read once per change."""
        if self.mode == DRAWN and self.drawing is not None:
            return self.drawing[0], self.drawing[1]
        if self.mode == LAYER and self.layer is not None:
            request = self._feature_request(self.layer)
            parts = [f.geometry() for f in self.layer.getFeatures(request) if f.hasGeometry()]
            return (QgsGeometry.collectGeometry(parts) if parts else None), self.layer.crs()
        return None, QgsCoordinateReferenceSystem()  # the map extent is the whole map: nothing to outline

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.highlight.show()
        self.highlight.set_area(*self._outline())

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self.highlight.hide()

    # === life cycle ====================================================================================

    def unload(self) -> None:
        self.refresh_timer.stop()
        self.stop_drawing()
        for signal, slot in self._connections:
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(slot)
        self._set_layer(None)
        self.highlight.unload()


__all__ = [
    "DRAWN",
    "EXTENT",
    "LAYER",
    "POLYGON",
    "RECTANGLE",
    "AreaPicker",
    "is_area_layer",
    "no_area_message",
]
