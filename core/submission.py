"""A batch job from the form's values to a confirmed start (Qt-free): prepare → create → analyse → estimate.

The dock (each step in a QgsTask), the Processing algorithms and `make demo` all go through these functions,
so a job is checked, tiled, sent, analysed and priced the same way wherever it starts:

- `prepare(draft, geometries, crs, …)`: every problem of the form and the area at once (`FormInvalid`), or a
  `PreparedJob` (the script's setup(), the area, its tiles and our cost estimate, and what `client.create`
  sends). CPU only: run it off the main thread.
- `create(client, prepared, cancel)`: the job on the service (status CREATED).
- `analyse(client, job, cancel)`: asks for the analysis when the job is still CREATED and waits until it is over.
- `estimate(job, prepared, deployment_name, budget_pu)`: the `StartSummary` the user confirms, or
  `AnalysisFailed` when the analysis did not end ANALYSIS_DONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import shapely

from .area import AreaError, AreaOfInterest
from .batch_models import TilingGridSpec
from .client import BatchClient, wait_for_analysis
from .costs import BatchCharge, CostEstimate, batch_charge
from .crs import CrsError
from .evalscript import ScriptInfo
from .grids import DEFAULT_MAX_TILES, GridError, TileSelection, tiles_for_area
from .http import Cancel
from .job_form import FieldProblem, FormInvalid, JobDraft, check_draft, job_spec
from .job_form import estimate as estimate_cost
from .jobs import BatchJob
from .statuses import RequestStatus

ANALYSIS_TIMEOUT_S = 600.0
ANALYSIS_POLL_S = 1.0


@dataclass
class PreparedJob:
    """A checked job, ready to send: what the form, the grid and the script say about it."""

    draft: JobDraft
    info: ScriptInfo
    area: AreaOfInterest
    selection: TileSelection
    footprint_wkb: list[bytes]  # the tiles' footprints, for a tile layer built on the main thread
    estimate: CostEstimate  # ours, from the grid and the script
    spec: object  # what client.create sends (core/job_form.job_spec)


@dataclass(frozen=True)
class StartSummary:
    """What the user confirms before a job starts: its tiles and processing units, and the budget."""

    job: BatchJob
    deployment_name: str
    tile_count: int  # the service's count after analysis (or ours when it gives none)
    estimate: CostEstimate  # ours, from the grid and the script
    budget_pu: Optional[float]  # None: no budget
    mosaicking: str = "SIMPLE"  # the script's: ORBIT and TILE estimates assume a scene every 3 days

    @property
    def service_estimate(self) -> Optional[float]:
        return self.job.value_estimate

    @property
    def service_charge(self) -> Optional[BatchCharge]:
        return None if self.service_estimate is None else batch_charge(self.service_estimate)

    @property
    def charge(self) -> BatchCharge:
        """What the job is expected to cost: from the service's analysis when it gave an estimate (v1), else
        from ours (v2 analyses give none)."""
        return self.service_charge or self.estimate.charge

    @property
    def charge_pu(self) -> float:
        return self.charge.expected

    @property
    def samples_assumed(self) -> bool:
        """The estimates guess the scenes (one every 3 days); the charge counts those actually found."""
        return self.mosaicking.upper() != "SIMPLE"

    @property
    def over_budget(self) -> bool:
        return self.budget_pu is not None and self.charge_pu > self.budget_pu


class AnalysisFailed(RuntimeError):
    """The analysis ended otherwise than ANALYSIS_DONE; `job` is the job as last read."""

    def __init__(self, job: BatchJob):
        self.job = job
        super().__init__(f"The analysis of job {job.id} ended {job.status}: {job.error or 'no reason given'}")


def prepare(
    draft: Optional[JobDraft],
    geometries: Sequence[Optional[shapely.Geometry]],
    crs: str,
    api_version: int,
    engine_deployment: bool,
    max_tiles: int = DEFAULT_MAX_TILES,
    problems: Sequence[FieldProblem] = (),
    grid: Optional[TilingGridSpec] = None,
) -> PreparedJob:
    """Check the draft and tile the area; `problems` are those found before (reading the form or the layer,
    `draft` None when it could not be read: the area is still tiled on `grid`, so that its problems are
    reported too). Raises FormInvalid with every problem at once."""
    found = list(problems)
    info = None
    if draft is not None:
        try:
            info = check_draft(draft, api_version, engine_deployment)
        except FormInvalid as exc:
            found.extend(exc.problems)
    area = selection = None
    if geometries:
        try:
            area = AreaOfInterest.from_geometries(geometries, crs)
            grid = draft.grid if draft is not None else grid
            if grid is not None:
                selection = tiles_for_area(
                    area, grid.id, grid.resolution, grid.buffer_x, grid.buffer_y, max_tiles
                )
        except (AreaError, CrsError) as exc:
            found.append(FieldProblem("area", str(exc)))
        except GridError as exc:
            found.append(FieldProblem("grid", str(exc)))
    elif not any(p.field == "area" for p in found):
        found.append(FieldProblem("area", "No area: give at least one polygon."))
    if found or draft is None or info is None or area is None or selection is None:
        raise FormInvalid(found)
    wkb = shapely.to_wkb([tile.footprint for tile in selection.tiles]).tolist()
    cost = estimate_cost(draft, info, selection.tiles)
    return PreparedJob(draft, info, area, selection, wkb, cost, job_spec(draft, area, info))


def create(client: BatchClient, prepared: PreparedJob, cancel: Optional[Cancel] = None) -> BatchJob:
    return client.create(prepared.spec, cancel)


def analyse(
    client: BatchClient,
    job: BatchJob,
    cancel: Optional[Cancel] = None,
    timeout_s: float = ANALYSIS_TIMEOUT_S,
    poll_s: float = ANALYSIS_POLL_S,
) -> BatchJob:
    """Analyse a CREATED job (a job past that is only waited for) and return it once its analysis is over; on
    cancel, the job as last read (the analysis goes on on the service)."""
    if job.status == "CREATED":
        client.analyse(job.id, cancel)
    return wait_for_analysis(client, job.id, cancel, timeout_s, poll_s)


def estimate(
    job: BatchJob, prepared: PreparedJob, deployment_name: str, budget_pu: Optional[float] = None
) -> StartSummary:
    """The analysed job's tiles and cost, to confirm; AnalysisFailed unless the analysis ended ANALYSIS_DONE."""
    if job.status != RequestStatus.ANALYSIS_DONE:
        raise AnalysisFailed(job)
    tiles = job.tile_count if job.tile_count is not None else len(prepared.selection)
    return StartSummary(
        job, deployment_name, tiles, prepared.estimate, budget_pu or None, prepared.info.mosaicking
    )


__all__ = [
    "ANALYSIS_POLL_S",
    "ANALYSIS_TIMEOUT_S",
    "AnalysisFailed",
    "PreparedJob",
    "StartSummary",
    "analyse",
    "create",
    "estimate",
    "prepare",
]
