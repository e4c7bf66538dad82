"""Where a job or a preview takes place on the map: the checks on a polygon layer and a CRS that the area
picker (ui/area_picker.py) applies, and the map canvas's extent as a Process API box."""

from __future__ import annotations

from typing import Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapLayer,
    QgsProject,
    QgsVectorLayer,
)

from .i18n import tr
from .qgis_compat import POLYGON_GEOMETRY

Bounds = tuple[float, float, float, float]


class UserInputError(ValueError):
    """Something the user can fix in QGIS; the message says how."""


def polygon_layer(layer: Optional[QgsMapLayer]) -> QgsVectorLayer:
    """The layer, if it is a polygon layer with features; UserInputError saying what to do otherwise."""
    if layer is None:
        raise UserInputError(tr("No layer: choose a polygon layer for the area."))
    if not isinstance(layer, QgsVectorLayer) or layer.geometryType() != POLYGON_GEOMETRY:
        raise UserInputError(
            tr("The layer “{name}” is not a polygon layer: choose a polygon layer for the area.").format(
                name=layer.name()
            )
        )
    if layer.featureCount() == 0:
        raise UserInputError(
            tr("The layer “{name}” has no features: add or load polygons first.").format(name=layer.name())
        )
    return layer


def crs_text(crs: QgsCoordinateReferenceSystem, whose: str) -> str:
    """A CRS as core/ takes it (an authority id, or WKT); `whose` names it when it is not valid."""
    if not crs.isValid():
        raise UserInputError(
            tr(
                "{whose} has no valid CRS: set it (Layer Properties, or Project Properties for the map)."
            ).format(whose=whose)
        )
    return crs.authid() or crs.toWkt()


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


__all__ = ["UserInputError", "canvas_extent", "crs_text", "epsg_of", "polygon_layer"]
