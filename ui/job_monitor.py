"""Watching running jobs on the map: one JobMonitorTask per job, its JobTileLayer updated on the main thread.

The task (core/tasks.py) polls in the background and emits what changed; the slots here run on the main thread
(PyQt queues a signal emitted from the task's thread to a callable connected on the main thread):
- the first tile listing creates the job's JobTileLayer (in the job's group), later ones `apply` in bulk;
- `failed(str)` (the service gone, the job deleted elsewhere) marks the layer stale with the reason: it keeps
  its last known state;
- `progressChanged(job, counts)` after each update (counts per tile status; empty for a v2 job watched
  without S3 access, whose progress is the job's `completion` only), `jobFinished(job)` once the job is in
  a terminal status and its last tiles are on the layer (v2: after one more read of the bucket, since the
  final execution database may be uploaded just after the job turns DONE);
- `statusChanged(line)` with each of those as a line for the user (the dock shows it under its form).

QGIS's task manager shows each watch: for v2 the task sets the job's completion itself; for v1 (no
completion from the service) the slot sets (processed + failed) / total from the layer's counts on the main
thread, where the task's signals arrive. `run()` never touches a layer.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProject
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject, QTimer, pyqtSignal

from ..core.client import BatchClient
from ..core.http import Cancel
from ..core.jobs import BatchJob
from ..core.monitor import JobWatcher, V2Tiles, bucket_tiles
from ..core.scratch_folders import session_folder
from ..core.statuses import V2
from ..core.storage import S3Access
from ..core.tasks import ClientCallTask, JobMonitorTask
from .i18n import tr
from .job_end_notice import end_summary, progress_counts, short_name
from .job_tile_layer import JobTileLayer, JobTileLayerError
from .tile_layer import remove_grid_preview

log = logging.getLogger(__name__)

SETTLE_READS = 10  # v2: reads of the bucket after the end while features still show PENDING
SETTLE_WAIT_S = 1.0

_temp_folder: Optional[Path] = None


def project_layers_folder() -> Path:
    """<project folder>/tilewise for a saved project; a temporary folder (one per session) otherwise."""
    global _temp_folder
    home = QgsProject.instance().absolutePath()
    if home:
        return Path(home) / "tilewise"
    if _temp_folder is None or not _temp_folder.is_dir():  # made again after an unload removed it
        _temp_folder = session_folder("tilewise-jobs-")
    return _temp_folder


def progress_text(job: BatchJob, counts: dict[str, int]) -> str:
    done, failed, total = progress_counts(counts)
    head = tr("Job {id}… {status}").format(id=job.id[:8], status=job.status)
    if total:
        return (
            head
            + ": "
            + tr("{done} done, {failed} failed of {total} tiles").format(
                done=done, failed=failed, total=total
            )
        )
    if job.completion is not None:
        return head + ": " + tr("{percent} % complete").format(percent=f"{job.completion:.0f}")
    return head


@dataclass
class _Watch:
    job: BatchJob
    task: JobMonitorTask
    layer: Optional[JobTileLayer] = None
    tiles_shown: bool = True  # False: v2 without S3 access, progress only
    v2_tiles: Optional[V2Tiles] = None
    counts: dict[str, int] = field(default_factory=dict)
    client: Optional[BatchClient] = None
    access: Optional[S3Access] = None
    retries: int = 0  # watches started again after the service or bucket was unreachable


class JobMonitor(QObject):
    """Watches jobs: one JobMonitorTask per job, its JobTileLayer updated in bulk on the main thread."""

    progressChanged = pyqtSignal(object, dict)  # BatchJob, counts per status
    jobFinished = pyqtSignal(object)  # BatchJob in a terminal status
    watchFailed = pyqtSignal(object, str)  # BatchJob, why the watch ended (its layer is marked stale)
    statusChanged = pyqtSignal(str)  # each of the three above as a line for the user ("done/failed/total")

    def __init__(
        self,
        layers_folder: Callable[[], Path] = project_layers_folder,
        parent: Optional[QObject] = None,
        min_interval_s: float = 2.0,
        max_interval_s: float = 30.0,
        resume_after_s: float = 30.0,
        transient_errors: int = 5,
    ):
        super().__init__(parent)
        self.layers_folder = layers_folder
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self.resume_after_s = resume_after_s  # first wait before watching again a job whose service went away
        self.transient_errors = transient_errors
        self._watches: dict[str, _Watch] = {}
        self._tasks: list = []  # every task until it ends (a stopped one may still run)
        self._scratch: Optional[Path] = None
        self._retrying: set[str] = set()  # jobs whose watch starts again after the service went away
        self._unloaded = False
        self.progressChanged.connect(lambda job, counts: self.statusChanged.emit(progress_text(job, counts)))
        self.jobFinished.connect(self._say_finished)
        self.watchFailed.connect(
            lambda job, reason: self.statusChanged.emit(
                tr("Job {id}…: no longer watched ({reason}); the map shows its last state.").format(
                    id=job.id[:8], reason=reason
                )
            )
        )

    # --- the interface ---------------------------------------------------------------------------------

    def watch(
        self, client: BatchClient, job: BatchJob, access: Optional[S3Access] = None, _retries: int = 0
    ) -> None:
        """Watch the job until it ends. v1: tiles from the API; v2: from the bucket artefacts with `access`
        (without it, job progress only). When the service or the bucket stays unreachable, the layer is marked
        stale and the job is watched again later (after `resume_after_s`, doubling up to 10 minutes)."""
        if self._unloaded:
            return
        self.stop_watching(job.id)
        v2_tiles = None
        tiles_shown = True
        if job.api_version == V2:
            if access is None:
                tiles_shown = False
            else:
                v2_tiles = bucket_tiles(access, self._scratch_folder())
        watcher = JobWatcher(client, job.id, v2_tiles, self.min_interval_s, self.max_interval_s)
        task = JobMonitorTask(watcher, self.transient_errors)
        # QGIS's task manager lists the watch under the job's own name, with its progress until it ends
        task.setDescription(tr("Tilewise: job “{name}” ({id}…)").format(name=short_name(job), id=job.id[:8]))
        watch = _Watch(job, task, JobTileLayer.find(job.id), tiles_shown, v2_tiles, client=client, access=access,
                       retries=_retries)  # fmt: skip
        task.jobChanged.connect(functools.partial(self._job_changed, job.id, task))
        task.tilesChanged.connect(functools.partial(self._tiles_changed, job.id, task))
        task.failed.connect(functools.partial(self._failed, job.id, task))
        task.taskCompleted.connect(functools.partial(self._completed, job.id, task))
        task.taskTerminated.connect(functools.partial(self._forget_task, task))
        self._watches[job.id] = watch
        self._tasks.append(task)
        QgsApplication.taskManager().addTask(task)

    def stop_watching(self, job_id: str) -> None:
        """Stop the job's task; its layer stays as it is. Results the task still sends are ignored."""
        watch = self._watches.pop(job_id, None)
        if watch is not None:
            _cancel(watch.task)

    def layer(self, job_id: str) -> Optional[JobTileLayer]:
        watch = self._watches.get(job_id)
        return watch.layer if watch is not None else None

    def retrying(self, job_id: str) -> bool:
        """The job's watch lost the service or bucket and will start again by itself (keep its client)."""
        return job_id in self._retrying

    def watched(self) -> list[str]:
        """The ids of the jobs watched (or watched to their end or failure), until `stop_watching`."""
        return list(self._watches)

    def unload(self) -> None:
        """Cancel every task; whatever they still send is ignored."""
        self._unloaded = True
        for task in list(self._tasks):
            _cancel(task)
        self._watches.clear()

    def counts(self, job_id: str) -> dict[str, int]:
        """The job's tiles per status as last seen (empty when its tiles are not shown)."""
        watch = self._watches.get(job_id)
        if watch is None:
            return {}
        return watch.layer.counts() if watch.layer is not None else dict(watch.counts)

    def _say_finished(self, job: BatchJob) -> None:
        self.statusChanged.emit(end_summary(job, self.counts(job.id)))

    # --- the task's signals (main thread) -------------------------------------------------------------------

    def _current(self, job_id: str, task: JobMonitorTask) -> Optional[_Watch]:
        """The watch the task serves, or None once it was stopped, replaced or the monitor unloaded."""
        if self._unloaded:
            return None
        watch = self._watches.get(job_id)
        return watch if watch is not None and watch.task is task else None

    def _job_changed(self, job_id: str, task: JobMonitorTask, job: BatchJob) -> None:
        watch = self._current(job_id, task)
        if watch is None:
            return
        watch.job = job
        if watch.layer is None or not watch.tiles_shown:
            self.progressChanged.emit(job, dict(watch.counts))

    def _tiles_changed(self, job_id: str, task: JobMonitorTask, tiles: list, full: bool) -> None:
        watch = self._current(job_id, task)
        if watch is None:
            return
        try:
            if watch.layer is None:
                if not full:
                    return  # the first full listing creates the layer
                watch.layer = JobTileLayer.create(watch.job, tiles, self.layers_folder())
                remove_grid_preview()  # the job's own tiles replace the preview of them
            else:  # a layer the user removed stays removed: `apply` writes nothing, counts go on
                watch.layer.apply(tiles, full)
                if watch.layer.error:
                    QgsMessageLog.logMessage(watch.layer.error, "Tilewise", Qgis.MessageLevel.Warning)
            if watch.layer.stale:
                watch.layer.set_stale(False)
                watch.retries = 0
        except JobTileLayerError as exc:
            QgsMessageLog.logMessage(str(exc), "Tilewise", Qgis.MessageLevel.Critical)
            return
        watch.counts = watch.layer.counts()
        if watch.job.api_version != V2 or watch.job.completion is None:  # else the task sets the completion
            done, failed, total = progress_counts(watch.counts)
            if total and not sip.isdeleted(task):
                task.setProgress(100.0 * (done + failed) / total)
        self.progressChanged.emit(watch.job, dict(watch.counts))

    def _failed(self, job_id: str, task: JobMonitorTask, reason: str) -> None:
        watch = self._current(job_id, task)
        if watch is None:
            return
        if getattr(task, "transient", False) and not sip.isdeleted(task):
            wait_s = min(600.0, self.resume_after_s * 2 ** min(watch.retries, 10))
            reason = tr("{reason} (trying again in {seconds} s)").format(
                reason=reason, seconds=f"{wait_s:.0f}"
            )
            self._retrying.add(job_id)
            QTimer.singleShot(int(wait_s * 1000), functools.partial(self._watch_again, job_id, task))
        if watch.layer is not None:
            watch.layer.set_stale(True, reason)
        QgsMessageLog.logMessage(
            tr("Watching job {id} stopped: {reason}").format(id=job_id, reason=reason),
            "Tilewise",
            Qgis.MessageLevel.Warning,
        )
        self.watchFailed.emit(watch.job, reason)

    def _watch_again(self, job_id: str, task: JobMonitorTask) -> None:
        """After the service or bucket went away: watch again, unless the watch was stopped or replaced."""
        self._retrying.discard(job_id)
        watch = self._current(job_id, task)
        if watch is None or watch.client is None:
            return
        self.watch(watch.client, watch.job, watch.access, _retries=watch.retries + 1)

    def _completed(self, job_id: str, task: JobMonitorTask) -> None:
        self._forget_task(task)
        watch = self._current(job_id, task)
        if watch is None:
            return
        if not watch.job.is_terminal:
            return
        if watch.v2_tiles is not None:
            self._settle_v2(job_id, task, watch)
        else:
            self.jobFinished.emit(watch.job)

    def _settle_v2(self, job_id: str, task: JobMonitorTask, watch: _Watch) -> None:
        """The engine (and maybe the service) uploads the final execution database just after the job
        turns DONE, so the watch's last read may predate it: read the bucket again, a few times while
        features still show PENDING, then report the end."""
        job, read = watch.job, watch.v2_tiles

        def settle(cancel: Cancel) -> list:
            tiles = read(job, cancel)
            for _ in range(SETTLE_READS):
                if not any(t.status == "PENDING" for t in tiles) or cancel.wait(SETTLE_WAIT_S):
                    break
                tiles = read(job, cancel)
            return tiles

        def done(final: ClientCallTask) -> None:
            self._forget_task(final)
            current = self._current(job_id, task)
            if current is None:
                return
            if final.error is None and final.result:
                self._tiles_changed(job_id, task, final.result, True)
            elif final.error:
                QgsMessageLog.logMessage(
                    tr("Reading the final tile statuses of job {id} failed: {error}").format(
                        id=job_id, error=final.error
                    ),
                    "Tilewise",
                    Qgis.MessageLevel.Warning,
                )
            self.jobFinished.emit(current.job)

        final = ClientCallTask(tr("final tile statuses of job {id}").format(id=job_id), settle, done)
        self._tasks.append(final)
        QgsApplication.taskManager().addTask(final)

    def _forget_task(self, task: JobMonitorTask) -> None:
        if task in self._tasks:
            self._tasks.remove(task)

    def _scratch_folder(self) -> Path:
        if self._scratch is None or not self._scratch.is_dir():
            self._scratch = session_folder("tilewise-monitor-")
        return self._scratch


def _cancel(task: JobMonitorTask) -> None:
    if sip.isdeleted(task):
        return
    with contextlib.suppress(RuntimeError):
        task.cancel()
