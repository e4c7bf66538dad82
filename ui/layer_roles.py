"""Which layers Tilewise made: marked once where each is created, so that the area picker never offers them
as the area of a job (a grid preview or a job's tiles as the area would be the last area again, tiled)."""

from __future__ import annotations

from typing import Optional

from qgis.core import QgsMapLayer

from .job_groups import JOB_PROPERTY

ROLE_PROPERTY = "tilewise/role"
GRID_PREVIEW, JOB_TILES, RASTER_PREVIEW, OUTPUT = "grid_preview", "job_tiles", "raster_preview", "output"
JOB_LAYER = "job_layer"  # a job's tile or output layer saved before the marks existed


def mark_tilewise_layer(layer: QgsMapLayer, role: str) -> QgsMapLayer:
    """Mark a layer Tilewise creates (before it is added to the project, so that listeners see it marked)."""
    layer.setCustomProperty(ROLE_PROPERTY, role)
    return layer


def tilewise_role(layer: Optional[QgsMapLayer]) -> str:
    """The role of a layer Tilewise made; "" for the user's own layers. Job tile and output layers of projects
    saved before the marks existed carry the job id property, and count too."""
    if layer is None:
        return ""
    role = str(layer.customProperty(ROLE_PROPERTY) or "")
    if role:
        return role
    return JOB_LAYER if layer.customProperty(JOB_PROPERTY) else ""


def is_tilewise_layer(layer: Optional[QgsMapLayer]) -> bool:
    return bool(tilewise_role(layer))


__all__ = [
    "GRID_PREVIEW",
    "JOB_LAYER",
    "JOB_TILES",
    "OUTPUT",
    "RASTER_PREVIEW",
    "ROLE_PROPERTY",
    "is_tilewise_layer",
    "mark_tilewise_layer",
    "tilewise_role",
]
