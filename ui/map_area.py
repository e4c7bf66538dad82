"""Where a job or a preview takes place on the map: the polygons of the active layer (the selected ones, or
all) and the map canvas's extent. `ActiveLayerArea.changed` when the active layer or its selection changes."""

from __future__ import annotations

import contextlib
from typing import Optional

import shapely
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsMapLayer,
    QgsProject,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QObject, pyqtSignal

from ..core.qgis_geometry import to_shapely

Bounds = tuple[float, float, float, float]


class UserInputError(ValueError):
    """Something the user can fix in QGIS; the message says how."""


class ActiveLayerArea(QObject):
    changed = pyqtSignal()

    def __init__(self, iface, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.iface = iface
        self._watched: Optional[QgsVectorLayer] = None
        iface.currentLayerChanged.connect(self._layer_changed)
        self._layer_changed(iface.activeLayer())

    def _layer_changed(self, layer: Optional[QgsMapLayer]) -> None:
        if self._watched is not None:
            with contextlib.suppress(TypeError, RuntimeError):  # already deleted or disconnected
                self._watched.selectionChanged.disconnect(self.changed)
        self._watched = layer if isinstance(layer, QgsVectorLayer) else None
        if self._watched is not None:
            self._watched.selectionChanged.connect(self.changed)
        self.changed.emit()

    def describe(self) -> str:
        """Which polygons a job would cover; UserInputError when there are none to use."""
        layer = polygon_layer(self.iface.activeLayer())
        selected = layer.selectedFeatureCount()
        if selected:
            return f"{layer.name()}: {selected:,} selected polygon(s)"
        return f"{layer.name()}: no selection, all {layer.featureCount():,} polygon(s)"

    def collect(self) -> tuple[tuple[Optional[shapely.Geometry], ...], str]:
        """The selected (or all) polygons of the active layer, copied out of QGIS, and the layer's CRS."""
        layer = polygon_layer(self.iface.activeLayer())
        features = layer.getSelectedFeatures() if layer.selectedFeatureCount() else layer.getFeatures()
        geometries = tuple(to_shapely(QgsGeometry(feature.geometry())) for feature in features)
        crs = layer.crs()
        if not crs.isValid():
            raise UserInputError(
                f"The layer “{layer.name()}” has no valid CRS: set its CRS in Layer Properties."
            )
        return geometries, crs.authid() or crs.toWkt()

    def unload(self) -> None:
        with contextlib.suppress(TypeError, RuntimeError):
            self.iface.currentLayerChanged.disconnect(self._layer_changed)
        self._layer_changed(None)


def polygon_layer(layer: Optional[QgsMapLayer]) -> QgsVectorLayer:
    if layer is None:
        raise UserInputError("No active layer: select a polygon layer in the Layers panel.")
    if (
        not isinstance(layer, QgsVectorLayer)
        or layer.geometryType() != QgsWkbTypes.GeometryType.PolygonGeometry
    ):
        raise UserInputError(
            f"The active layer “{layer.name()}” is not a polygon layer: select a polygon layer in the Layers panel."
        )
    if layer.featureCount() == 0:
        raise UserInputError(f"The layer “{layer.name()}” has no features: add or load polygons first.")
    return layer


def canvas_extent(canvas) -> tuple[Bounds, Optional[int], int, int]:
    """The map's extent as a Process API box: (bounds, EPSG code or None for lon/lat, width, height in
    pixels). A CRS without an EPSG code is asked for in lon/lat."""
    crs = canvas.mapSettings().destinationCrs()
    extent = canvas.extent()
    epsg = epsg_of(crs)
    if epsg is None:
        transform = QgsCoordinateTransform(
            crs, QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()
        )
        extent = transform.transformBoundingBox(extent)
    size = canvas.size()
    bbox = (extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum())
    return bbox, None if epsg == 4326 else epsg, size.width(), size.height()


def epsg_of(crs: QgsCoordinateReferenceSystem) -> Optional[int]:
    authid = crs.authid()
    if authid.upper().startswith("EPSG:") and authid[5:].isdigit():
        return int(authid[5:])
    return None


__all__ = ["ActiveLayerArea", "UserInputError", "canvas_extent", "epsg_of", "polygon_layer"]
