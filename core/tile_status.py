"""Tile statuses and how the map shows them (Qt-free, shared by every tile layer and the engine)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class TileStatus(str, Enum):
    """A v1 tile's status (`BatchTile.status`), as the v1 API and the engine's store have it."""

    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"

    def __str__(self) -> str:  # the value in messages, whatever the Python version
        return self.value


class FeatureStatus(str, Enum):
    """A v2 feature's status in the job's execution database."""

    PENDING = "PENDING"
    DONE = "DONE"
    FATAL = "FATAL"

    def __str__(self) -> str:
        return self.value


# A tile's status once its outputs are delivered (v1, v2).
FINISHED = frozenset({TileStatus.PROCESSED, FeatureStatus.DONE})


@dataclass(frozen=True)
class StatusStyle:
    status: str
    label: str
    fill: str  # RGBA hex, as QGIS symbol properties take it: "r,g,b,a"
    outline: str


# One entry per status a tile can have in the v1 API, the v2 execution database
# and the grid preview. Order = legend order.
STATUS_STYLES: tuple[StatusStyle, ...] = (
    StatusStyle("PREVIEW", "Preview (not submitted)", "66,133,244,40", "31,84,170,255"),
    StatusStyle(TileStatus.PENDING.value, "Pending", "158,158,158,90", "97,97,97,255"),
    StatusStyle(TileStatus.SCHEDULED.value, "Scheduled", "77,208,225,110", "0,131,143,255"),
    StatusStyle(TileStatus.QUEUED.value, "Queued", "129,212,250,120", "2,119,189,255"),
    StatusStyle(TileStatus.PROCESSING.value, "Processing", "255,202,40,150", "255,143,0,255"),
    StatusStyle(TileStatus.PROCESSED.value, "Processed", "102,187,106,140", "27,94,32,255"),
    StatusStyle(FeatureStatus.DONE.value, "Done", "102,187,106,140", "27,94,32,255"),
    StatusStyle(TileStatus.FAILED.value, "Failed", "239,83,80,160", "183,28,28,255"),
    StatusStyle(FeatureStatus.FATAL.value, "Failed (fatal)", "198,40,40,170", "127,0,0,255"),
)

STATUSES = tuple(style.status for style in STATUS_STYLES)
