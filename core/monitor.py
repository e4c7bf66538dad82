"""Watching a job: what changed since the last look, at the least cost to the service (Qt-free).

v1: a full tile listing only when the job's status changes (and the first time); in between, each poll lists
the tiles that are moving (SCHEDULED, QUEUED, PROCESSING) and the FAILED ones, which are few, and a tile that
left the moving sets without failing is PROCESSED. (A tile retried after a failure shows PROCESSED until it is
scheduled again; the listing at the next status change puts every tile right.)
v2: the execution database is read again only when completionPercentage moved (`v2_tiles` reads it).

`next_interval` adapts the polling: fast while tiles move, slower (up to `max_interval_s`) while nothing does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .client import BatchClient
from .http import Cancel
from .jobs import BatchJob, Tile
from .statuses import V2, RequestStatus
from .tile_status import TileStatus

MOVING = (TileStatus.SCHEDULED, TileStatus.QUEUED, TileStatus.PROCESSING)
V2Tiles = Callable[[BatchJob, Cancel], list]  # (job, cancel) -> list[Tile] from the bucket artefacts


@dataclass
class Update:
    job: BatchJob
    job_changed: bool
    tiles: list[Tile] = field(
        default_factory=list
    )  # tiles whose status changed (all of them after a full listing)
    full: bool = False  # `tiles` is the whole set


class JobWatcher:
    def __init__(
        self,
        client: BatchClient,
        job_id: str,
        v2_tiles: Optional[V2Tiles] = None,
        min_interval_s: float = 2.0,
        max_interval_s: float = 30.0,
    ):
        self.client = client
        self.job_id = job_id
        self.v2_tiles = v2_tiles
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self.interval_s = min_interval_s
        self.job: Optional[BatchJob] = None
        self.statuses: dict[int, str] = {}
        self.tiles: dict[int, Tile] = {}
        self.full_listings = 0
        self.requests = 0

    def poll(self, cancel: Optional[Cancel] = None) -> Update:
        cancel = cancel or Cancel()
        previous = self.job
        job = self.client.get(self.job_id, cancel=cancel)
        self.requests += 1
        self.job = job
        job_changed = previous is None or _summary(previous) != _summary(job)
        status_changed = previous is None or previous.status != job.status
        if job.api_version == V2:
            update = self._poll_v2(job, previous, job_changed, cancel)
        else:
            update = self._poll_v1(job, status_changed, cancel)
        moved = job_changed or bool(update.tiles)
        self.interval_s = self.min_interval_s if moved else min(self.max_interval_s, self.interval_s * 1.5)
        return update

    def _poll_v1(self, job: BatchJob, status_changed: bool, cancel: Cancel) -> Update:
        if job.status in ("CREATED", "ANALYSING") and not self.tiles:
            return Update(job, status_changed)
        if status_changed or not self.tiles:
            tiles = list(self.client.tiles(job.id, cancel=cancel))
            self.requests += 1
            self.full_listings += 1
            self.tiles = {t.id: t for t in tiles}
            self.statuses = {t.id: t.status for t in tiles}
            return Update(job, True, tiles, full=True)
        if job.status != RequestStatus.PROCESSING:
            return Update(job, False)
        seen: dict[int, Tile] = {}
        for status in (*MOVING, TileStatus.FAILED):
            for tile in self.client.tiles(job.id, status=status, cancel=cancel):
                seen[tile.id] = tile
            self.requests += 1
        changed = []
        for tile_id, tile in seen.items():
            if self.statuses.get(tile_id) != tile.status:
                changed.append(tile)
        for tile_id, status in self.statuses.items():
            if status in MOVING and tile_id not in seen:  # it left the moving sets without failing
                changed.append(_with_status(self.tiles[tile_id], TileStatus.PROCESSED.value))
        for tile in changed:
            self.statuses[tile.id] = tile.status
            self.tiles[tile.id] = tile
        return Update(job, False, changed)

    def _poll_v2(
        self, job: BatchJob, previous: Optional[BatchJob], job_changed: bool, cancel: Cancel
    ) -> Update:
        if self.v2_tiles is None or job.status in ("CREATED", "ANALYSING"):
            return Update(job, job_changed)
        progressed = (
            previous is None or previous.completion != job.completion or previous.status != job.status
        )
        if not progressed and self.tiles:
            return Update(job, job_changed)
        tiles = self.v2_tiles(job, cancel)
        changed = [t for t in tiles if self.statuses.get(t.id) != t.status]
        full = not self.tiles
        self.tiles = {t.id: t for t in tiles}
        self.statuses = {t.id: t.status for t in tiles}
        return Update(job, job_changed, tiles if full else changed, full=full)


def bucket_tiles(access, scratch) -> V2Tiles:
    """v2 per-tile status read from the job's bucket (core/v2_progress.py) with these S3 settings."""
    from .v2_progress import v2_tiles

    def read(job: BatchJob, cancel: Cancel) -> list:
        return v2_tiles(access, job, scratch)

    return read


def _summary(job: BatchJob) -> tuple:
    return (
        job.status,
        job.user_action,
        job.completion,
        job.cost_pu,
        job.error,
        job.tile_count,
        job.description,
    )


def _with_status(tile: Tile, status: str) -> Tile:
    return Tile(tile.id, tile.name, status, tile.epsg, tile.footprint, None, tile.cost)
