"""Batch API versions and request statuses, defined once for the plugin and the engine (Qt-free).

Statuses are `str` enums, so they compare equal to the strings the APIs send (`job.status == DONE`) and
print as those strings. Tile statuses and their colours are in core/tile_status.py.
"""

from __future__ import annotations

from enum import Enum

V1, V2 = 1, 2  # Batch API versions, as deployments, jobs and the engine's store number them
API_VERSIONS = (V1, V2)
STATISTICAL = 3  # a Batch Statistical API request, numbered beside them in the engine's store


class RequestStatus(str, Enum):
    """A batch request's status (v1 and v2 share the names; CANCELED and PARTIAL are v1's, STOPPED v2's)."""

    CREATED = "CREATED"
    ANALYSING = "ANALYSING"
    ANALYSIS_DONE = "ANALYSIS_DONE"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    STOPPED = "STOPPED"

    def __str__(self) -> str:  # "DONE", not "RequestStatus.DONE", in messages (Python 3.12 changed it)
        return self.value


# A request in one of these never changes again by itself.
TERMINAL = {
    V1: frozenset({RequestStatus.DONE, RequestStatus.PARTIAL, RequestStatus.FAILED, RequestStatus.CANCELED}),
    V2: frozenset({RequestStatus.DONE, RequestStatus.FAILED, RequestStatus.STOPPED}),
    STATISTICAL: frozenset({RequestStatus.DONE, RequestStatus.FAILED, RequestStatus.STOPPED}),
}
# Still being analysed (v1 Sentinel Hub also reports ANALYSIS while it runs).
ANALYSING_STATUSES = frozenset({RequestStatus.CREATED, RequestStatus.ANALYSING, "ANALYSIS"})
# The analysis is over, so the request's tiles are known.
ANALYSED = frozenset(
    {
        RequestStatus.ANALYSIS_DONE,
        RequestStatus.PROCESSING,
        RequestStatus.DONE,
        RequestStatus.PARTIAL,
        RequestStatus.FAILED,
        RequestStatus.CANCELED,
        RequestStatus.STOPPED,
    }
)
# Delivered outputs may exist (a v1 FAILED job may have none; the listing then says so).
WITH_OUTPUTS = ANALYSED - {RequestStatus.ANALYSIS_DONE}
