"""What the user may do with a batch job in its current status, what to ask first, and doing it (Qt-free).

The rules follow the Batch API's state machines (reference §1.7): v1 jobs can be cancelled, restarted when
PARTIAL (`restartpartial`), have one FAILED tile reprocessed, and be deleted; v2 jobs can only be stopped
and started again. Each action the UI offers is enabled only where `why_not(job, action)` is None, and the
disabled button's tooltip shows the reason. Actions that spend processing units (start, restart,
reprocess) or that cannot be undone (cancel, delete) are confirmed first with `confirmation(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from .costs import batch_charge
from .http import Cancel
from .jobs import BatchJob
from .statuses import ANALYSED, V2, WITH_OUTPUTS, RequestStatus
from .tile_status import TileStatus


class Action(str, Enum):
    SHOW_TILES = "show_tiles"
    START = "start"
    STOP = "stop"  # v1 cancel, v2 stop
    RESTART = "restart"  # v1 restartpartial
    DELETE = "delete"
    OPEN_OUTPUTS = "open_outputs"
    OPEN_MOSAIC = "open_mosaic"
    DOWNLOAD = "download"


@dataclass(frozen=True)
class ActionText:
    label: str
    tooltip: str


def label_of(action: Action, api_version: int) -> ActionText:
    """The button's text and tooltip for the job's API version."""
    texts = {
        Action.SHOW_TILES: ActionText(
            "Show tiles",
            "Show the job's tiles on the map, coloured by status, and follow them while it runs.",
        ),
        Action.START: ActionText(
            "Start",
            "Start processing (a STOPPED v2 job carries on with its unfinished tiles). Spends processing units.",
        ),
        Action.STOP: ActionText(
            "Stop" if api_version == V2 else "Cancel",
            "Stop the job: tiles already running finish and count; start it again later to carry on."
            if api_version == V2
            else "Cancel the job: running and delivered tiles are charged, the rest are not processed. "
            "A cancelled v1 job cannot go on.",
        ),
        Action.RESTART: ActionText(
            "Restart failed", "Process the FAILED tiles of a PARTIAL job again (restartpartial). Spends PU."
        ),
        Action.DELETE: ActionText("Delete", "Delete the job on the service; its outputs stay in the bucket."),
        Action.OPEN_OUTPUTS: ActionText(
            "Open outputs",
            "Add each delivered GeoTIFF as a raster layer, grouped per output (opened in place).",
        ),
        Action.OPEN_MOSAIC: ActionText(
            "Open as mosaic", "One virtual mosaic (VRT) per output and CRS of the delivered tiles."
        ),
        Action.DOWNLOAD: ActionText("Download…", "Copy the delivered GeoTIFFs to a local folder."),
    }
    return texts[action]


def why_not(job: Optional[BatchJob], action: Action) -> Optional[str]:
    """None when the action applies to the job now, else the reason it does not (for the tooltip)."""
    if job is None:
        return "Select a job first."
    status, v2 = job.status, job.api_version == V2
    if action == Action.SHOW_TILES:
        if status not in ANALYSED:
            return f"The job is {status}: its tiles are known once it is analysed."
        return None
    if action == Action.START:
        allowed = (
            {RequestStatus.CREATED, RequestStatus.ANALYSIS_DONE, RequestStatus.STOPPED}
            if v2
            else {RequestStatus.CREATED, RequestStatus.ANALYSIS_DONE}
        )
        if status in allowed:
            return None
        if not v2 and status == RequestStatus.PARTIAL:
            return "A PARTIAL v1 job carries on with “Restart failed”."
        return f"The job is {status}: only {_listed(allowed)} jobs can be started."
    if action == Action.STOP:
        allowed = (
            {RequestStatus.ANALYSING, RequestStatus.ANALYSIS_DONE, RequestStatus.PROCESSING}
            if v2
            else {
                RequestStatus.CREATED,
                RequestStatus.ANALYSING,
                RequestStatus.ANALYSIS_DONE,
                RequestStatus.PROCESSING,
            }
        )
        if status in allowed:
            return None
        return f"The job is {status}: only {_listed(allowed)} jobs can be {'stopped' if v2 else 'cancelled'}."
    if action == Action.RESTART:
        if v2:
            return (
                "The Batch API v2 cannot rerun failed tiles: create a new job for them "
                "(a STOPPED job carries on with Start)."
            )
        if status != RequestStatus.PARTIAL:
            return f"The job is {status}: only a PARTIAL job has failed tiles to restart."
        return None
    if action == Action.DELETE:
        if v2:
            return "The Batch API v2 cannot delete jobs (stop it instead); its outputs stay in the bucket."
        if status in (RequestStatus.ANALYSING, RequestStatus.PROCESSING):
            return f"The job is {status}: cancel it before deleting it."
        if status in (RequestStatus.DONE, RequestStatus.PARTIAL):
            return "A job with delivered tiles cannot be deleted; its outputs stay in the bucket."
        return None
    if action in (Action.OPEN_OUTPUTS, Action.OPEN_MOSAIC, Action.DOWNLOAD):
        if not job.output_url:
            return "The job's request names no output location."
        if status not in WITH_OUTPUTS:
            return f"The job is {status}: nothing has been delivered yet."
        return None
    raise ValueError(f"unknown action {action!r}")


def why_not_reprocess(job: Optional[BatchJob], tile_status: Optional[str]) -> Optional[str]:
    """None when one tile of the job may be reprocessed (v1 tile restart), else why not."""
    if job is None:
        return "The tile's job is unknown: open it from the Jobs tab."
    if job.api_version == V2:
        return "The Batch API v2 has no per-tile actions: create a job for that area instead."
    if tile_status != TileStatus.FAILED:
        return f"The tile is {tile_status or 'in an unknown status'}: only a FAILED tile can be reprocessed."
    if job.status not in (
        RequestStatus.PARTIAL,
        RequestStatus.FAILED,
        RequestStatus.PROCESSING,
        RequestStatus.DONE,
    ):
        return f"The job is {job.status}: its tiles cannot be reprocessed now."
    return None


def confirmation(job: BatchJob, action: Action) -> Optional[str]:
    """The question to ask before the action, saying what it costs; None when nothing needs asking."""
    name = f"“{job.description}” ({job.id[:8]}…)" if job.description else f"{job.id[:8]}…"
    if action == Action.START:
        return f"Start job {name}?{_cost_sentence(job)}"
    if action == Action.STOP:
        if job.api_version == V2:
            return (
                f"Stop job {name}? Tiles already running finish and are charged; the job can be started again "
                "later (Sentinel Hub and CDSE make a stopped job wait 30 minutes)."
            )
        return (
            f"Cancel job {name}? Tiles already delivered or running are charged; the others will not be "
            "processed, and a cancelled job cannot be resumed."
        )
    if action == Action.RESTART:
        return f"Restart the failed tiles of job {name}? Each tile processed again spends processing units."
    if action == Action.DELETE:
        return f"Delete job {name} on the service? This cannot be undone; outputs already delivered stay."
    return None


def reprocess_confirmation(job: BatchJob, tile_name: str) -> str:
    per_tile = ""
    if job.value_estimate and job.tile_count:
        per_tile = f" (about {job.value_estimate / job.tile_count:,.1f} PU, the job's average per tile)"
    return f"Process tile {tile_name} of job {job.id[:8]}… again? It spends processing units{per_tile}."


def perform(client, job: BatchJob, action: Action, cancel: Optional[Cancel] = None) -> Optional[BatchJob]:
    """Do the action on the service; the job as it is afterwards, or None once deleted."""
    if action == Action.START:
        client.start(job.id, cancel)
    elif action == Action.STOP:
        client.stop(job.id, cancel)
    elif action == Action.RESTART:
        client.restart(job.id, cancel)
    elif action == Action.DELETE:
        client.delete(job.id, cancel)
        return None
    else:
        raise ValueError(f"{action.value} is not done on the service")
    return client.get(job.id, cancel)


def reprocess(client, job: BatchJob, tile_id: int, cancel: Optional[Cancel] = None) -> BatchJob:
    client.reprocess_tile(job.id, tile_id, cancel)
    return client.get(job.id, cancel)


def _cost_sentence(job: BatchJob) -> str:
    if job.value_estimate is None:
        return " It spends processing units (the service's estimate is not known yet)."
    charge = batch_charge(job.value_estimate).expected
    return (
        f" The service estimates {job.value_estimate:,.0f} PU at the full rate; the expected charge is "
        f"≈ {charge:,.0f} PU."
    )


def _listed(statuses) -> str:
    ordered = sorted(statuses)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1] if len(ordered) > 1 else ordered[0]


__all__ = [
    "Action",
    "ActionText",
    "confirmation",
    "label_of",
    "perform",
    "reprocess",
    "reprocess_confirmation",
    "why_not",
    "why_not_reprocess",
]
