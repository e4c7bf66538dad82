"""Tile statuses and how the map shows them (Qt-free, shared by every tile layer)."""

from __future__ import annotations

from dataclasses import dataclass


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
    StatusStyle("PENDING", "Pending", "158,158,158,90", "97,97,97,255"),
    StatusStyle("SCHEDULED", "Scheduled", "77,208,225,110", "0,131,143,255"),
    StatusStyle("QUEUED", "Queued", "129,212,250,120", "2,119,189,255"),
    StatusStyle("PROCESSING", "Processing", "255,202,40,150", "255,143,0,255"),
    StatusStyle("PROCESSED", "Processed", "102,187,106,140", "27,94,32,255"),
    StatusStyle("DONE", "Done", "102,187,106,140", "27,94,32,255"),
    StatusStyle("FAILED", "Failed", "239,83,80,160", "183,28,28,255"),
    StatusStyle("FATAL", "Failed (fatal)", "198,40,40,170", "127,0,0,255"),
)

STATUSES = tuple(style.status for style in STATUS_STYLES)
