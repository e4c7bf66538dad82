"""Grid preview dock: the tiles and processing-unit cost of a batch job, before anything is created."""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from typing import Optional

import shapely
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsGeometry,
    QgsMapLayer,
    QgsSettings,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QDate, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.costs import MOSAICKINGS, assumed_samples, estimate_batch_cost
from ..core.grids import DEFAULT_MAX_TILES, GRIDS, TileSelection, get_grid
from ..core.tasks import TileEnumerationTask, TilingRequest
from .tile_layer import add_to_group, build_tile_layer

SETTINGS_PREFIX = "tilewise/grid_preview/"
PREVIEW_GROUP = "Tilewise grid preview"
SAMPLE_TYPES = ("AUTO", "UINT8", "UINT16", "INT8", "INT16", "FLOAT32")
METRES_PER_DEGREE = 111_320.0


class UserInputError(ValueError):
    """Something the user can fix in QGIS; the message says how."""


class GridPreviewDock(QgsDockWidget):
    """Pick a grid, resolution and buffer; preview the tiles and the PU estimate for the selection."""

    previewFinished = pyqtSignal(object)  # the new QgsVectorLayer, or None on failure

    def __init__(self, iface, parent: Optional[QWidget] = None):
        super().__init__("Tilewise: grid preview", parent)
        self.setObjectName("TilewiseGridPreviewDock")
        self.iface = iface
        self.task: Optional[TileEnumerationTask] = None  # keep a reference while it runs
        self.selection: Optional[TileSelection] = None
        self.layer: Optional[QgsVectorLayer] = None
        self.area_km2 = 0.0
        self._build()
        self._restore_settings()
        self._connect_layer_signals()
        self.refresh_area_summary()

    # --- building the form ------------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget(self)
        column = QVBoxLayout(body)

        area_box = QGroupBox("Area", body)
        area_layout = QVBoxLayout(area_box)
        self.area_label = QLabel(area_box)
        self.area_label.setWordWrap(True)
        area_layout.addWidget(self.area_label)
        column.addWidget(area_box)

        grid_box = QGroupBox("Tiling grid", body)
        grid_form = QFormLayout(grid_box)
        self.grid_combo = QComboBox(grid_box)
        for grid in GRIDS.values():
            self.grid_combo.addItem(f"{grid.id}: {grid.name}", grid.id)
        self.resolution_combo = QComboBox(grid_box)
        self.buffer_x = QSpinBox(grid_box)
        self.buffer_y = QSpinBox(grid_box)
        for spin in (self.buffer_x, self.buffer_y):
            spin.setRange(0, 10_000)
            spin.setSuffix(" px")
        self.max_tiles = QSpinBox(grid_box)
        self.max_tiles.setRange(1, 10_000_000)
        self.max_tiles.setSingleStep(1000)
        self.max_tiles.setValue(DEFAULT_MAX_TILES)
        self.max_tiles.setToolTip("Refuse areas that need more tiles than this.")
        grid_form.addRow("Grid", self.grid_combo)
        grid_form.addRow("Resolution", self.resolution_combo)
        buffers = QHBoxLayout()
        buffers.addWidget(QLabel("X", grid_box))
        buffers.addWidget(self.buffer_x)
        buffers.addWidget(QLabel("Y", grid_box))
        buffers.addWidget(self.buffer_y)
        grid_form.addRow("Buffer", buffers)
        grid_form.addRow("Tile limit", self.max_tiles)
        column.addWidget(grid_box)

        cost_box = QGroupBox("Cost estimate", body)
        cost_form = QFormLayout(cost_box)
        self.input_bands = QSpinBox(cost_box)
        self.input_bands.setRange(1, 100)
        self.input_bands.setValue(3)
        self.input_bands.setToolTip("Input bands the evalscript reads, dataMask not counted.")
        self.sample_type = QComboBox(cost_box)
        self.sample_type.addItems(SAMPLE_TYPES)
        self.mosaicking = QComboBox(cost_box)
        self.mosaicking.addItems(MOSAICKINGS)
        self.date_from = QDateEdit(cost_box)
        self.date_to = QDateEdit(cost_box)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.date_from.setDate(QDate(2023, 7, 1))
        self.date_to.setDate(QDate(2023, 7, 30))
        cost_form.addRow("Input bands", self.input_bands)
        cost_form.addRow("Output type", self.sample_type)
        cost_form.addRow("Mosaicking", self.mosaicking)
        cost_form.addRow("From", self.date_from)
        cost_form.addRow("To", self.date_to)
        column.addWidget(cost_box)

        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Preview tiles", body)
        self.preview_button.setToolTip("Add the tiles of this grid for the selected polygons to the map.")
        self.cancel_button = QPushButton("Cancel", body)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.cancel_button)
        column.addLayout(buttons)

        self.result_label = QLabel(body)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        column.addWidget(self.result_label)
        column.addStretch(1)
        self.setWidget(body)

        self.grid_combo.currentIndexChanged.connect(self._grid_changed)
        self.preview_button.clicked.connect(self.start_preview)
        self.cancel_button.clicked.connect(self.cancel_preview)
        for signal in (
            self.input_bands.valueChanged,
            self.sample_type.currentIndexChanged,
            self.mosaicking.currentIndexChanged,
            self.date_from.dateChanged,
            self.date_to.dateChanged,
        ):
            signal.connect(self.refresh_cost)
        self._grid_changed()

    def _grid_changed(self) -> None:
        grid = get_grid(self.grid_combo.currentData())
        previous = self.resolution_combo.currentData()
        self.resolution_combo.clear()
        for resolution in grid.resolutions:
            pixels = grid.tile_pixels(resolution)
            self.resolution_combo.addItem(
                f"{resolution:g} {grid.unit_symbol}  ({pixels:,} × {pixels:,} px per tile)", resolution
            )
        index = self.resolution_combo.findData(previous)
        self.resolution_combo.setCurrentIndex(max(index, 0))

    def _restore_settings(self) -> None:
        settings = QgsSettings()
        index = self.grid_combo.findData(int(settings.value(SETTINGS_PREFIX + "grid", 1)))
        self.grid_combo.setCurrentIndex(max(index, 0))
        index = self.resolution_combo.findData(float(settings.value(SETTINGS_PREFIX + "resolution", 10.0)))
        self.resolution_combo.setCurrentIndex(max(index, 0))
        self.max_tiles.setValue(int(settings.value(SETTINGS_PREFIX + "max_tiles", DEFAULT_MAX_TILES)))

    def _save_settings(self) -> None:
        settings = QgsSettings()
        settings.setValue(SETTINGS_PREFIX + "grid", self.grid_combo.currentData())
        settings.setValue(SETTINGS_PREFIX + "resolution", self.resolution_combo.currentData())
        settings.setValue(SETTINGS_PREFIX + "max_tiles", self.max_tiles.value())

    # --- the area -----------------------------------------------------------------------------------

    def _connect_layer_signals(self) -> None:
        self.iface.currentLayerChanged.connect(self._layer_changed)
        self._watched_layer: Optional[QgsVectorLayer] = None
        self._layer_changed(self.iface.activeLayer())

    def _layer_changed(self, layer: Optional[QgsMapLayer]) -> None:
        if self._watched_layer is not None:
            # The layer may already be deleted, or the slot disconnected.
            with contextlib.suppress(TypeError, RuntimeError):
                self._watched_layer.selectionChanged.disconnect(self.refresh_area_summary)
        self._watched_layer = layer if isinstance(layer, QgsVectorLayer) else None
        if self._watched_layer is not None:
            self._watched_layer.selectionChanged.connect(self.refresh_area_summary)
        self.refresh_area_summary()

    def refresh_area_summary(self, *_args) -> None:
        layer = self.iface.activeLayer()
        try:
            layer = self._polygon_layer(layer)
        except UserInputError as exc:
            self.area_label.setText(str(exc))
            return
        selected = layer.selectedFeatureCount()
        if selected:
            self.area_label.setText(f"{layer.name()}: {selected:,} selected polygon(s)")
        else:
            self.area_label.setText(f"{layer.name()}: no selection, all {layer.featureCount():,} polygon(s)")

    @staticmethod
    def _polygon_layer(layer: Optional[QgsMapLayer]) -> QgsVectorLayer:
        if layer is None:
            raise UserInputError("No active layer: select a polygon layer in the Layers panel.")
        if not isinstance(layer, QgsVectorLayer) or layer.geometryType() != QgsWkbTypes.PolygonGeometry:
            raise UserInputError(
                f"The active layer “{layer.name()}” is not a polygon layer: select a polygon layer "
                "in the Layers panel."
            )
        if layer.featureCount() == 0:
            raise UserInputError(f"The layer “{layer.name()}” has no features: add or load polygons first.")
        return layer

    def collect_request(self) -> TilingRequest:
        """Copy the selected (or all) polygons and the form out of QGIS, for the background task."""
        layer = self._polygon_layer(self.iface.activeLayer())
        features = layer.getSelectedFeatures() if layer.selectedFeatureCount() else layer.getFeatures()
        geometries = []
        for feature in features:
            geometry = QgsGeometry(feature.geometry())
            if geometry.isNull() or geometry.isEmpty():
                geometries.append(None)
                continue
            geometries.append(_to_shapely(geometry))
        crs = layer.crs()
        if not crs.isValid():
            raise UserInputError(
                f"The layer “{layer.name()}” has no valid CRS: set its CRS in Layer Properties."
            )
        return TilingRequest(
            geometries=tuple(geometries),
            crs=crs.authid() or crs.toWkt(),
            grid_id=int(self.grid_combo.currentData()),
            resolution=float(self.resolution_combo.currentData()),
            buffer_x=self.buffer_x.value(),
            buffer_y=self.buffer_y.value(),
            max_tiles=self.max_tiles.value(),
        )

    # --- running the preview ------------------------------------------------------------------------

    def start_preview(self) -> None:
        if self.task is not None:
            return
        try:
            request = self.collect_request()
        except UserInputError as exc:
            self._report(str(exc), Qgis.Warning)
            self.previewFinished.emit(None)
            return
        self._save_settings()
        self.task = TileEnumerationTask(request, self._preview_done)
        self.preview_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.result_label.setText("Listing tiles…")
        QgsApplication.taskManager().addTask(self.task)

    def cancel_preview(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _preview_done(self, task: TileEnumerationTask) -> None:
        self.task = None
        self.preview_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if task.result is None:
            if task.isCanceled():
                self.result_label.setText("Preview cancelled.")
            else:
                self.result_label.setText(task.error or "")
                self._report(task.error or "Listing the tiles failed.", Qgis.Warning)
            self.previewFinished.emit(None)
            return
        selection = task.result.selection
        grid = selection.grid
        tile_metres = grid.tile_size * (METRES_PER_DEGREE if grid.unit == "DEGREE" else 1)
        name = f"Tiles: grid {grid.id} @ {selection.resolution:g} {grid.unit_symbol} ({len(selection):,})"
        layer = build_tile_layer(name, selection.tiles, task.result.footprint_wkb, "PREVIEW", tile_metres)
        add_to_group(layer, PREVIEW_GROUP)
        self.selection = selection
        self.layer = layer
        self.area_km2 = task.result.area.area_km2()
        for warning in (*task.result.area.warnings, *selection.warnings):
            self._report(warning, Qgis.Info)
        self.refresh_cost()
        self.previewFinished.emit(layer)

    def refresh_cost(self, *_args) -> None:
        """Recompute the PU estimate for the current tiles (no new enumeration needed)."""
        if self.selection is None:
            self.result_label.setText("Press “Preview tiles” to list the tiles of the selected polygons.")
            return
        selection = self.selection
        start = _utc(self.date_from.date(), end_of_day=False)
        end = _utc(self.date_to.date(), end_of_day=True)
        lines = [
            f"<b>{len(selection):,} tiles</b> of grid {selection.grid.id} ({selection.grid.name}) "
            f"at {selection.resolution:g} {selection.grid.unit_symbol}, in "
            + ", ".join(f"EPSG:{code}" for code in selection.epsg_codes),
            f"Area {self.area_km2:,.1f} km²",
        ]
        if selection.tiles:
            tile = selection.tiles[0]
            raster = f"Tile raster {tile.buffered_width:,} × {tile.buffered_height:,} px"
            if (tile.buffered_width, tile.buffered_height) != (tile.width, tile.height):
                raster += f" ({tile.width:,} × {tile.height:,} px plus buffer)"
            lines.append(raster)
        try:
            samples = assumed_samples(self.mosaicking.currentText(), start, end)
        except ValueError as exc:
            lines.append(f"<span style='color:#b71c1c'>{exc}</span>")
        else:
            bands = [f"band{i}" for i in range(self.input_bands.value())]
            estimate = estimate_batch_cost(
                [(t.buffered_width, t.buffered_height) for t in selection.tiles],
                bands,
                [self.sample_type.currentText()],
                samples,
            )
            lines.append(
                f"Samples per pixel: {samples}"
                + (
                    " (one every 3 days, as Sentinel Hub assumes)"
                    if self.mosaicking.currentText() != "SIMPLE"
                    else ""
                )
            )
            lines.append(f"Estimate (as v1 analysis reports it): <b>{estimate.value_estimate:,.1f} PU</b>")
            lines.append(
                f"Expected charge (batch ⅓ factor, 100 PU minimum): <b>{estimate.expected_charge:,.1f} PU</b>"
            )
        self.result_label.setText("<br>".join(lines))

    def _report(self, message: str, level) -> None:
        self.iface.messageBar().pushMessage("Tilewise", message, level=level, duration=10)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.cancel_preview()
        super().closeEvent(event)

    def unload(self) -> None:
        self.cancel_preview()
        with contextlib.suppress(TypeError, RuntimeError):
            self.iface.currentLayerChanged.disconnect(self._layer_changed)
        self._layer_changed(None)


def _to_shapely(geometry: QgsGeometry) -> shapely.Geometry:
    """A 2D, straight-edged shapely copy of a QGIS geometry."""
    abstract = geometry.constGet().clone()
    if QgsWkbTypes.isCurvedType(abstract.wkbType()):
        abstract = abstract.segmentize()
    abstract.dropZValue()
    abstract.dropMValue()
    return shapely.from_wkb(bytes(abstract.asWkb()))


def _utc(date: QDate, end_of_day: bool) -> datetime:
    hour, minute, second = (23, 59, 59) if end_of_day else (0, 0, 0)
    return datetime(date.year(), date.month(), date.day(), hour, minute, second, tzinfo=timezone.utc)
