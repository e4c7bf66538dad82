"""Tile layers on the map: a polygon per tile, coloured by `status`, labelled with its name."""

from __future__ import annotations

from typing import Sequence

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFillSymbol,
    QgsLayerTreeGroup,
    QgsPalLayerSettings,
    QgsProject,
    QgsRendererCategory,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..core.tile_features import TILE_FIELDS
from ..core.tile_status import STATUS_STYLES
from .layer_roles import GRID_PREVIEW, mark_tilewise_layer
from .qgis_compat import LABEL_OVER_POINT, field

GRID_PREVIEW_GROUP = "Tilewise grid preview"  # the dock's preview of the tiles a job would have
LABEL_SCALE_PER_METRE = 60.0  # tile names shown below 1:600,000 for 10 km tiles


def status_symbol(fill: str, outline: str) -> QgsFillSymbol:
    return QgsFillSymbol.createSimple({"color": fill, "outline_color": outline, "outline_width": "0.3"})


def status_renderer() -> QgsCategorizedSymbolRenderer:
    """Categorized renderer on `status` with one colour and legend label per status."""
    categories = [
        QgsRendererCategory(style.status, status_symbol(style.fill, style.outline), style.label)
        for style in STATUS_STYLES
    ]
    return QgsCategorizedSymbolRenderer("status", categories)


def name_labels(max_scale_denominator: float) -> QgsVectorLayerSimpleLabeling:
    """Tile names, shown only when zoomed in enough for them to be readable."""
    settings = QgsPalLayerSettings()
    settings.fieldName = "name"
    settings.placement = LABEL_OVER_POINT
    settings.scaleVisibility = True
    settings.minimumScale = max_scale_denominator  # QGIS: "minimum" = most zoomed-out scale
    settings.maximumScale = 0
    text = QgsTextFormat()
    text.setFont(QFont("Sans Serif", 8))
    text.setSize(8)
    text.setColor(QColor(30, 30, 30))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor(255, 255, 255, 200))
    text.setBuffer(buffer)
    settings.setFormat(text)
    return QgsVectorLayerSimpleLabeling(settings)


def build_tile_layer(name: str, features: Sequence[QgsFeature], tile_size_m: float) -> QgsVectorLayer:
    """A styled in-memory layer (EPSG:4326) of tile features (`core/tile_features.tile_features`, made in the
    task that listed the tiles).

    It is a view of the form (made again by the next preview), so QGIS does not ask on quit or on closing the
    project whether its features may be lost."""
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", name, "memory")
    layer.setCustomProperty("skipMemoryLayersCheck", 1)
    mark_tilewise_layer(layer, GRID_PREVIEW)
    layer.setCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    provider = layer.dataProvider()
    provider.addAttributes([field(name, kind) for name, kind in TILE_FIELDS])
    layer.updateFields()
    provider.addFeatures(features)
    layer.updateExtents()
    layer.setRenderer(status_renderer())
    layer.setLabeling(name_labels(max_scale_denominator=tile_size_m * LABEL_SCALE_PER_METRE))
    layer.setLabelsEnabled(True)
    return layer


def add_to_group(
    layer: QgsVectorLayer, group_name: str, project: QgsProject | None = None
) -> QgsLayerTreeGroup:
    """Add the layer at the top of a named layer-tree group (created when missing)."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    group = root.findGroup(group_name) or root.insertGroup(0, group_name)
    project.addMapLayer(layer, False)
    group.insertLayer(0, layer)
    return group


def remove_grid_preview(project: QgsProject | None = None) -> bool:
    """Remove the grid preview group and its layers (a started job's own tile layer replaces it); False when
    there was none."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    group = root.findGroup(GRID_PREVIEW_GROUP)
    if group is None:
        return False
    project.removeMapLayers([node.layerId() for node in group.findLayers()])
    root.removeChildNode(group)
    return True
