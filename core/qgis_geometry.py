"""QGIS geometries as shapely ones, for the Qt-free code (qgis.core only)."""

from __future__ import annotations

from typing import Optional

import shapely
from qgis.core import QgsGeometry, QgsWkbTypes


def to_shapely(geometry: Optional[QgsGeometry]) -> Optional[shapely.Geometry]:
    """A 2D, straight-edged shapely copy of a QGIS geometry; None when it is null or empty."""
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        return None
    abstract = geometry.constGet().clone()
    if QgsWkbTypes.isCurvedType(abstract.wkbType()):
        abstract = abstract.segmentize()
    abstract.dropZValue()
    abstract.dropMValue()
    return shapely.from_wkb(bytes(abstract.asWkb()))
