"""The scheduler: runs analyses and moves tiles through their statuses on an executor.

One thread of the API process; the only writer of tile statuses. Tiles go
PENDING → SCHEDULED → QUEUED → PROCESSING → PROCESSED, or back to PENDING to
be tried again (up to `tile_retries` times) and then FAILED. A request ends
DONE, PARTIAL or FAILED. On start-up, tiles that were in flight when the engine
stopped go back to PENDING: outputs are written whole or not at all, so
running a tile again never duplicates or corrupts one.

A tile that failed because its storage was unreachable (engine/outage.py) goes
back to PENDING without using an attempt, and its request is sent one tile at a
time, with growing pauses, until the storage answers again or the outage window
is over; so is an analysis that could not reach the storage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Sequence

from ..core.statuses import V1, V2, RequestStatus
from ..core.tile_status import TileStatus
from .evalscript import Evaluation, ScriptCancelled
from .outage import Outage
from .store import IN_FLIGHT, UNFINISHED, JobStore, RequestRecord, TileRecord
from .tile_work import TileJob, TileOutcome

log = logging.getLogger(__name__)
IDLE_WAIT_S = 0.25
MAX_FAILURE_REASONS = 3


@dataclass
class AnalysisResult:
    tiles: list[TileRecord]
    value_estimate: float
    tile_width: int
    tile_height: int
    warnings: list[str]


Analyse = Callable[[RequestRecord], AnalysisResult]
# The work of each (tile, resume) of one request: the request is read once for all its tiles.
MakeJobs = Callable[[RequestRecord, Sequence[tuple[TileRecord, bool]]], list[TileJob]]
Report = Callable[[RequestRecord, bool], None]  # v2 progress (execution database); final or periodic


@dataclass
class EvaluationTally:
    """How the engine's tiles ran their evalscripts since it started (GET /api/v1/engine/status)."""

    tiles: Counter = field(default_factory=Counter)  # Evaluation value -> tiles
    per_pixel_requests: set[str] = field(default_factory=set)  # a compiled tile differed: the rest per pixel

    def record(self, outcome: TileOutcome) -> None:
        if outcome.evaluation:
            self.tiles[outcome.evaluation] += 1
        if outcome.evaluation == Evaluation.CHECK_FAILED:
            self.per_pixel_requests.add(outcome.request_id)

    def job_for(self, job: TileJob) -> TileJob:
        """The job as it is sent: per pixel for a request whose compiled tile failed the check."""
        if job.request_id not in self.per_pixel_requests or not job.engine.limits.compile:
            return job
        return replace(job, engine=replace(job.engine, limits=replace(job.engine.limits, compile=False)))

    def status(self) -> dict:
        return {
            "compiledTiles": self.tiles[Evaluation.COMPILED],
            "perPixelTiles": self.tiles[Evaluation.PER_PIXEL],
            "checkFailedTiles": self.tiles[Evaluation.CHECK_FAILED],
            "perPixelRequests": sorted(self.per_pixel_requests),
        }


class Scheduler:
    def __init__(
        self,
        store: JobStore,
        executor,
        analyse: Analyse,
        make_jobs: MakeJobs,
        tile_retries: int = 2,
        report: Optional[Report] = None,
        storage_outage_window_s: float = 900.0,
    ):
        self.store = store
        self._report = report
        self.executor = executor
        self._analyse = analyse
        self._make_jobs = make_jobs
        self._tile_retries = tile_retries
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._analyses = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tilewise-analysis")
        self._analysing: dict[str, Future] = {}
        self._running: dict[tuple[str, int], Future] = {}
        self._resume: set[tuple[str, int]] = set()
        self._outage_window_s = storage_outage_window_s
        self._outages: dict[str, Outage] = {}  # request id -> its unreachable storage (tiles)
        self._analysis_outages: dict[str, Outage] = {}  # request id -> its unreachable storage (analysis)
        self._sent_at: dict[tuple[str, int], float] = {}  # when a running tile was sent (time.monotonic)
        self.evaluations = EvaluationTally()

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="tilewise-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._analyses.shutdown(wait=False, cancel_futures=True)
        self.executor.shutdown()

    def wake(self) -> None:
        self._wake.set()

    def _recover(self) -> None:
        """Tiles that were in flight when the engine stopped run again; their old outputs are replaced."""
        for record in self.store.requests_in(
            [RequestStatus.PROCESSING, RequestStatus.CANCELED, RequestStatus.STOPPED]
        ):
            for tile in self.store.tiles(record.id):
                if tile.status in IN_FLIGHT:
                    self._resume.add((record.id, tile.id))
            moved = self.store.reset_tiles(record.id, IN_FLIGHT, TileStatus.PENDING)
            if moved:
                log.info("Request %s: %d interrupted tiles will run again", record.id, moved)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:  # keep scheduling whatever one tick met
                log.exception("Scheduler tick failed")
            self._wake.wait(IDLE_WAIT_S)
            self._wake.clear()

    def _tick(self) -> None:
        self._mark_started()
        self._collect_tiles()
        self._collect_analyses()
        self._start_analyses()
        self._schedule_tiles()
        self._finish_requests()
        self._report_progress()

    # --- analysis ----------------------------------------------------------------------------------------

    def _start_analyses(self) -> None:
        for record in self.store.requests_in([RequestStatus.ANALYSING]):
            outage = self._analysis_outages.get(record.id)
            if outage is not None and self._user_ends_wait(record):
                continue
            if outage is not None and not outage.due(time.monotonic()):
                continue  # its storage was unreachable: analyse again when the pause is over
            if record.id not in self._analysing:
                self._analysing[record.id] = self._analyses.submit(self._analyse, record)

    def _collect_analyses(self) -> None:
        for request_id, future in list(self._analysing.items()):
            if not future.done():
                continue
            del self._analysing[request_id]
            record = self.store.get_request(request_id)
            if record is None:
                continue
            try:
                result = future.result()
            except ScriptCancelled:
                continue  # the engine is stopping: the request stays ANALYSING and is analysed after a restart
            except Exception as exc:
                transient = getattr(exc, "transient", False)
                if transient and self._analysis_waits(request_id, exc):
                    continue
                outage = self._analysis_outages.pop(request_id, None)
                error = self._outage_reason(outage, str(exc)) if transient else str(exc)
                log.info("Request %s failed analysis: %s", request_id, error)
                self.store.transition(
                    request_id, [RequestStatus.ANALYSING], status=RequestStatus.FAILED, error=error
                )
                continue
            self._analysis_outages.pop(request_id, None)
            self.store.replace_tiles(request_id, result.tiles)
            following = {
                "START": RequestStatus.PROCESSING,
                "CANCEL": RequestStatus.CANCELED,
                "STOP": RequestStatus.STOPPED,
            }.get(record.user_action, RequestStatus.ANALYSIS_DONE)
            self.store.transition(
                request_id,
                [RequestStatus.ANALYSING],
                status=following,
                stopped_reason="USER_ACTION" if following == RequestStatus.STOPPED else None,
                tile_count=len(result.tiles),
                tile_width=result.tile_width,
                tile_height=result.tile_height,
                value_estimate=result.value_estimate,
                warnings=result.warnings,
                error=None,
            )

    def _user_ends_wait(self, record: RequestRecord) -> bool:
        """Cancel or stop while the analysis waits for the storage: done now, without the analysis."""
        following = {"CANCEL": RequestStatus.CANCELED, "STOP": RequestStatus.STOPPED}.get(record.user_action)
        if following is None:
            return False
        del self._analysis_outages[record.id]
        self.store.transition(
            record.id,
            [RequestStatus.ANALYSING],
            status=following,
            stopped_reason="USER_ACTION" if following == RequestStatus.STOPPED else None,
        )
        return True

    def _analysis_waits(self, request_id: str, exc: Exception) -> bool:
        """The analysis could not reach the storage: True while the request should wait and try again."""
        now = time.monotonic()
        outage = self._analysis_outages.get(request_id)
        if outage is None:
            if self._outage_window_s <= 0:
                return False
            outage = self._analysis_outages[request_id] = Outage.begin(self._outage_window_s, now)
        else:
            outage.failed_again(now)
        if outage.expired(now):
            return False
        log.warning("Request %s: analysis waits %.0f s for the storage: %s", request_id, outage.delay, exc)
        return True

    # --- tiles -------------------------------------------------------------------------------------------

    def _schedule_tiles(self) -> None:
        processing = self.store.requests_in([RequestStatus.PROCESSING])
        self._forget_outages({record.id for record in processing})
        free = self.executor.capacity - len(self._running)
        if free <= 0:
            return
        now = time.monotonic()
        for record in processing:
            if free <= 0:
                return
            allowed = self._allowance(record.id, free, now)
            pending = self.store.tiles(record.id, TileStatus.PENDING, count=allowed) if allowed else []
            if not pending:
                continue
            outage = self._outages.get(record.id)
            if outage is not None and not outage.expired(now):
                outage.probe = pending[0].id
            self.store.set_tiles(record.id, [t.id for t in pending], status=TileStatus.SCHEDULED)
            queued = []
            # only after a crash may outputs of ours already be there
            jobs = self._make_jobs(record, [(tile, (record.id, tile.id) in self._resume) for tile in pending])
            for tile, job in zip(pending, jobs):
                key = (record.id, tile.id)
                future = self.executor.submit(self.evaluations.job_for(job))
                future.add_done_callback(
                    lambda _: self._wake.set()
                )  # record the outcome now, not at the next tick
                self._running[key] = future
                self._sent_at[key] = now
                queued.append(tile.id)
            self.store.set_tiles(record.id, queued, status=TileStatus.QUEUED)
            free -= len(queued)

    def _allowance(self, request_id: str, free: int, now: float) -> int:
        """How many tiles a request may be sent: while its storage is unreachable, one (a probe) when the
        pause is over and none otherwise; after the outage window, as many as usual."""
        outage = self._outages.get(request_id)
        if outage is None or outage.expired(now):
            return free
        return 1 if outage.probe is None and outage.due(now) else 0

    def _forget_outages(self, processing: set[str]) -> None:
        """A request that stopped processing (done, cancelled, stopped) starts afresh if it runs again."""
        for request_id in [r for r in self._outages if r not in processing]:
            del self._outages[request_id]

    def _mark_started(self) -> None:
        by_request: dict[str, list[int]] = {}
        for request_id, tile_id in self.executor.started():
            if (request_id, tile_id) in self._running:
                by_request.setdefault(request_id, []).append(tile_id)
        for request_id, tile_ids in by_request.items():
            self.store.set_tiles(request_id, tile_ids, status=TileStatus.PROCESSING)

    def _collect_tiles(self) -> None:
        broken = False
        for key, future in list(self._running.items()):
            if not future.done():
                continue
            del self._running[key]
            sent_at = self._sent_at.pop(key, 0.0)
            request_id, tile_id = key
            outage = self._outages.get(request_id)
            if outage is not None and outage.probe == tile_id:
                outage.probe = None  # whatever became of it, the next probe may go when due
            if future.cancelled():
                self.store.set_tiles(request_id, [tile_id], status=TileStatus.PENDING)
                continue
            try:
                outcome: TileOutcome = future.result()
            except BrokenProcessPool:
                broken = True
                tile = self.store.tile(request_id, tile_id)
                if tile is not None and tile.status == TileStatus.PROCESSING:
                    # it died mid-tile, perhaps between two deliveries: the retry replaces what it left
                    self._resume.add(key)
                outcome = TileOutcome(request_id, tile_id, error="The worker process running this tile died.")
            except Exception as exc:
                outcome = TileOutcome(request_id, tile_id, error=f"The tile could not run: {exc}")
            self._record(outcome, sent_at)
        if broken and hasattr(self.executor, "replace_broken_pool"):
            self.executor.replace_broken_pool()

    def _record(self, outcome: TileOutcome, sent_at: float = 0.0) -> None:
        key = (outcome.request_id, outcome.tile_id)
        self.evaluations.record(outcome)
        tile = self.store.tile(*key)
        if tile is None:  # the request was deleted meanwhile
            return
        if outcome.ok:
            self._storage_answered(outcome.request_id, sent_at)
            self._resume.discard(key)
            log.info(
                "Tile %s of %s %s in %.2f s (%s)",
                tile.name,
                outcome.request_id,
                "skipped (already delivered)" if outcome.skipped else "delivered",
                outcome.seconds,
                ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in outcome.timings.items()),
            )
            self.store.set_tiles(
                outcome.request_id,
                [outcome.tile_id],
                status=TileStatus.PROCESSED,
                cost=outcome.cost_pu,
                error=None,
            )
            if outcome.warnings:
                self._add_warnings(outcome.request_id, outcome.warnings)
            return
        if outcome.transient and self._waits_for_storage(outcome, sent_at):
            return
        attempts = tile.attempts + 1
        final = attempts > self._tile_retries
        error = outcome.error
        if outcome.transient:
            error = self._outage_reason(self._outages.get(outcome.request_id), error)
        log.info("Tile %s of %s failed (attempt %d): %s", tile.name, outcome.request_id, attempts, error)
        self.store.set_tiles(
            outcome.request_id,
            [outcome.tile_id],
            status=TileStatus.FAILED if final else TileStatus.PENDING,
            attempts=attempts,
            error=error,
        )

    def _waits_for_storage(self, outcome: TileOutcome, sent_at: float) -> bool:
        """The storage was unreachable: within the outage window the tile goes back to PENDING without using
        an attempt and its request pauses (True); after it, the failure counts as usual (False)."""
        if self._outage_window_s <= 0:
            return False
        now = time.monotonic()
        outage = self._outages.get(outcome.request_id)
        if outage is None:
            outage = self._outages[outcome.request_id] = Outage.begin(self._outage_window_s, now)
            log.warning(
                "Request %s: waiting for the storage, up to %.0f s; its tiles go back to PENDING without "
                "using an attempt: %s",
                outcome.request_id,
                self._outage_window_s,
                outcome.error,
            )
            self._hold_back(outcome.request_id)
        elif sent_at >= outage.since and not outage.expired(now):  # a probe failed too
            outage.failed_again(now)
            log.info(
                "Request %s: the storage is still unreachable after %.0f s; next try in %.0f s",
                outcome.request_id,
                now - outage.since,
                outage.delay,
            )
        if outage.expired(now):
            return False
        # an attempt cut short may have delivered some outputs: the next one replaces them
        self._resume.add((outcome.request_id, outcome.tile_id))
        self.store.set_tiles(
            outcome.request_id,
            [outcome.tile_id],
            status=TileStatus.PENDING,
            error=f"Waiting for the storage: {outcome.error}",
        )
        return True

    def _hold_back(self, request_id: str) -> None:
        """Tiles of the request that were sent but have not started stay here until the storage answers."""
        for (running_request, _), future in list(self._running.items()):
            if running_request == request_id:
                future.cancel()  # only those not started yet; they go back to PENDING when collected

    def _storage_answered(self, request_id: str, sent_at: float) -> None:
        """A tile sent after the outage began was delivered: the storage is back."""
        outage = self._outages.get(request_id)
        if outage is not None and sent_at >= outage.since:
            del self._outages[request_id]
            log.warning(
                "Request %s: the storage answers again after %.0f s",
                request_id,
                time.monotonic() - outage.since,
            )

    @staticmethod
    def _outage_reason(outage: Optional[Outage], error: str) -> str:
        """A failure after the window: the reason says for how long the storage was unreachable."""
        return error if outage is None else outage.describe(time.monotonic(), error)

    def _add_warnings(self, request_id: str, warnings: list[str]) -> None:
        record = self.store.get_request(request_id)
        if record is None:
            return
        merged = list(dict.fromkeys([*record.warnings, *warnings]))
        if merged != record.warnings:
            self.store.update_request(request_id, warnings=merged)

    def _finish_requests(self) -> None:
        for record in self.store.requests_in([RequestStatus.PROCESSING]):
            if any(key[0] == record.id for key in self._running):
                continue
            counts = self.store.tile_counts(record.id)
            if any(counts.get(status, 0) for status in UNFINISHED):
                continue
            processed = counts.get(TileStatus.PROCESSED, 0)
            failed = counts.get(TileStatus.FAILED, 0)
            cost = sum(t.cost for t in self.store.tiles(record.id, TileStatus.PROCESSED))
            if failed == 0:
                status, error = RequestStatus.DONE, None
            else:
                reasons = sorted(
                    {t.error or "unknown" for t in self.store.tiles(record.id, TileStatus.FAILED)}
                )
                summary = "; ".join(reasons[:MAX_FAILURE_REASONS])
                # v2 and Batch Statistical have no PARTIAL: v2 lists the FATAL features in the execution database
                partial = RequestStatus.PARTIAL if record.api_version == V1 else RequestStatus.DONE
                status = partial if processed else RequestStatus.FAILED
                noun = {V1: "tiles", V2: "features"}.get(record.api_version, "feature groups")
                error = f"{failed} of {processed + failed} {noun} failed: {summary}"
            # v2: the final report uploads with the request's keys; the store drops them after it, not now
            final_report = record.api_version == V2 and self._report is not None
            finished = self.store.transition(
                record.id,
                [RequestStatus.PROCESSING],
                keep_secrets=final_report,
                status=status,
                error=error,
                cost_pu=cost,
            )
            if finished and final_report:
                self._report(record, True)

    def _report_progress(self) -> None:
        """v2: the execution database goes to the bucket periodically while a request processes."""
        if self._report is None:
            return
        for record in self.store.requests_in([RequestStatus.PROCESSING, RequestStatus.STOPPED]):
            if record.api_version == V2:
                self._report(record, False)

    # --- cancel ------------------------------------------------------------------------------------------

    def withdraw(self, request_id: str) -> None:
        """Cancel/stop: tiles not started yet go back to PENDING; running ones finish and are recorded."""
        for key, future in list(self._running.items()):
            if key[0] == request_id:
                future.cancel()
        self.wake()
