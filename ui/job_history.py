"""Jobs and outputs of a project read again: bucket access restored, broken output layers re-opened, and the
watch of each remembered job resumed (qgis.core only, no widgets).

What the project keeps, under the `tilewise` scope (never a secret):
- `buckets`: `{bucket: {"endpoint": …, "region": …, "authcfg": …}}`, how to reach each bucket whose outputs
  are on the map; `authcfg` is a QgsAuthManager config id (the keys stay in QGIS's authentication database),
  "" for a public bucket read anonymously;
- `job_status`: `{job id: status}`, each remembered job's status when last seen by the monitor, so that a job
  without a tile layer (v2 watched by progress only) is resumed when it had not finished.

When the project is read, `JobHistory`:
1. sets GDAL's per-bucket /vsis3/ options for each remembered bucket at the first `layerLoaded`/`loadingLayer`
   of the read: QgsProject emits them after it has read the project's properties (so `readEntry` answers)
   and before it opens the first layer, so the output rasters open valid;
2. after the read (`readProject`), re-opens in place the Tilewise output layers still invalid (keys from a
   master password entered late, say), and reports those that still fail, naming layer and URL;
3. resumes: each remembered job with a tile layer in the project, or not finished when last seen, is read
   once in a ClientCallTask (`client.get`), then handed to the JobMonitor, which finds the job's layer again
   and brings it up to date (a finished job: one poll, its final statuses, then the end). A job deleted on the
   service, a service out of reach or a deployment without credentials leave the layer stale with the reason.

Calls into QgsAuthManager (`keys_for`, `client_for`) happen on the main thread; tasks touch no layer.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsDataProvider,
    QgsMessageLog,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject, pyqtSignal

from ..core import project_jobs
from ..core.client import BatchClient
from ..core.http import Cancel, NotFoundError
from ..core.jobs import BatchJob
from ..core.statuses import TERMINAL, V1
from ..core.storage import S3Access, apply_gdal_options
from ..core.tasks import ClientCallTask
from .i18n import tr
from .job_groups import JOB_PROPERTY
from .job_monitor import JobMonitor
from .job_tile_layer import JobTileLayer
from .output_layers import KIND_PROPERTY, URL_PROPERTY

log = logging.getLogger(__name__)

SCOPE = project_jobs.SCOPE  # "tilewise"
BUCKETS_KEY = "buckets"
STATUS_KEY = "job_status"
LOG_TAG = "Tilewise"

BucketAccess = tuple[Optional[str], Optional[str], str]  # (endpoint URL, region, authcfg id)


# --- bucket access in the project ------------------------------------------------------------------------


def remember_bucket_access(
    bucket: str,
    endpoint_url: Optional[str],
    region: Optional[str],
    auth_id: str,
    project: Optional[QgsProject] = None,
) -> None:
    """Remember how to reach `bucket` (endpoint, region and the QgsAuthManager config id of its keys; "" for
    anonymous access) in the project; marks it dirty when something changed. Never the keys themselves."""
    if not isinstance(bucket, str) or not bucket.strip():
        raise ValueError("A bucket name is needed.")
    project = project or QgsProject.instance()
    items = _read_map(project, BUCKETS_KEY)
    entry = {"endpoint": endpoint_url or None, "region": region or None, "authcfg": auth_id or ""}
    if items.get(bucket) == entry:
        return
    items[bucket] = entry
    _write_map(project, BUCKETS_KEY, items)


def bucket_accesses(project: Optional[QgsProject] = None) -> dict[str, BucketAccess]:
    """The project's buckets: {bucket: (endpoint URL, region, authcfg id)}; bad entries skipped, with a
    warning."""
    project = project or QgsProject.instance()
    result: dict[str, BucketAccess] = {}
    for bucket, entry in _read_map(project, BUCKETS_KEY).items():
        problem = None
        if not bucket.strip():
            problem = "no bucket name"
        elif not isinstance(entry, dict):
            problem = f"a {type(entry).__name__}, not an object"
        elif not isinstance(entry.get("endpoint"), (str, type(None))):
            problem = "an endpoint that is not text"
        elif not isinstance(entry.get("region"), (str, type(None))):
            problem = "a region that is not text"
        elif not isinstance(entry.get("authcfg", ""), (str, type(None))):
            problem = "an authentication config id that is not text"
        if problem:
            log.warning("Tilewise: skipped bucket %r of the project's bucket list: %s.", bucket, problem)
            continue
        result[bucket] = (
            entry.get("endpoint") or None,
            entry.get("region") or None,
            entry.get("authcfg") or "",
        )
    return result


def last_seen_statuses(project: Optional[QgsProject] = None) -> dict[str, str]:
    """{job id: status} as the monitor last reported them in this project."""
    items = _read_map(project or QgsProject.instance(), STATUS_KEY)
    return {job_id: status for job_id, status in items.items() if isinstance(status, str) and status}


def _read_map(project: QgsProject, key: str) -> dict[str, Any]:
    text, ok = project.readEntry(SCOPE, key, "")
    if not ok or not text or not text.strip():
        return {}
    try:
        items = json.loads(text)
    except ValueError as exc:
        log.warning("Tilewise: the project's %s entry is not JSON (%s); it is ignored.", key, exc)
        return {}
    if not isinstance(items, dict):
        log.warning(
            "Tilewise: the project's %s entry is a %s, not a map; it is ignored.", key, type(items).__name__
        )
        return {}
    return items


def _write_map(project: QgsProject, key: str, items: dict[str, Any]) -> None:
    project.writeEntry(SCOPE, key, json.dumps(items, ensure_ascii=False, separators=(",", ":")))
    project.setDirty(True)


# --- the history -----------------------------------------------------------------------------------------


@dataclass
class LayerRestore:
    """What `restore_layers` did: the layers it re-opened, and a line per layer that still fails."""

    reopened: list[QgsRasterLayer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class JobHistory(QObject):
    """Brings a project's Tilewise jobs and outputs back when it is read (see the module's docstring)."""

    resumed = pyqtSignal(object)  # BatchJob watched again
    resumeFailed = pyqtSignal(str, str)  # job id, reason (its tile layer, if any, is marked stale with it)

    def __init__(
        self,
        monitor: JobMonitor,
        client_for: Callable[[str, int], BatchClient],
        access_for: Callable[[BatchJob], Optional[S3Access]],
        keys_for: Callable[[str], Optional[tuple[str, str]]],
        project: Optional[QgsProject] = None,
        parent: Optional[QObject] = None,
    ):
        super().__init__(parent)
        self.monitor = monitor
        self.client_for = client_for
        self.access_for = access_for
        self.keys_for = keys_for
        self.project = project or QgsProject.instance()
        self._tasks: list[ClientCallTask] = []  # each task until it ends
        self._clients: dict[str, BatchClient] = {}  # job id -> the client its resumed watch uses
        self._generation = 0  # results of an earlier resume() are dropped
        self._options_applied = False  # for the project as read last
        self._unloaded = False
        self._connections = [
            (self.project.cleared, self._on_cleared),
            (self.project.layerLoaded, self._on_layer_loaded),
            (self.project.loadingLayer, self._on_loading_layer),
            (self.project.readProject, self._on_read),
            (monitor.progressChanged, self._on_progress),
            (monitor.jobFinished, self._on_finished),
            (monitor.watchFailed, self._on_watch_failed),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)

    # --- the interface ---------------------------------------------------------------------------------

    def apply_bucket_options(self) -> list[str]:
        """Set GDAL's /vsis3/ options of every bucket remembered in the project (keys from `keys_for`);
        returns the buckets set. Called by itself at the start of each read of the project."""
        self._options_applied = True
        applied = []
        for bucket, (endpoint, region, auth_id) in bucket_accesses(self.project).items():
            access = self._access(bucket, endpoint, region, auth_id)
            try:
                apply_gdal_options(access, bucket)
                _clear_gdal_cache(f"/vsis3/{bucket}")  # a failed look before the options stays cached
            except Exception as exc:  # never break the project's read
                QgsMessageLog.logMessage(
                    tr("The S3 options of bucket {bucket} could not be set: {error}").format(
                        bucket=bucket, error=access.scrub(str(exc))
                    ),
                    LOG_TAG,
                    Qgis.MessageLevel.Warning,
                )
                continue
            applied.append(bucket)
        return applied

    def restore_layers(self) -> LayerRestore:
        """Re-open in place each invalid Tilewise output layer of the project (bucket options set first when
        this read has not set them yet); the ones that still fail are reported in QGIS's message log."""
        if not self._options_applied:
            self.apply_bucket_options()
        outcome = LayerRestore()
        for layer in list(self.project.mapLayers().values()):
            if not isinstance(layer, QgsRasterLayer) or layer.isValid() or not _is_tilewise_output(layer):
                continue
            source, name = layer.source(), layer.name()
            if source.startswith("/vsi"):
                _clear_gdal_cache(source)
            options = QgsDataProvider.ProviderOptions()
            options.transformContext = self.project.transformContext()
            layer.setDataSource(source, name, "gdal", options)
            if layer.isValid():
                layer.triggerRepaint()
                outcome.reopened.append(layer)
                continue
            url = str(layer.customProperty(URL_PROPERTY) or "") or source
            error = layer.error()
            detail = "" if error.isEmpty() else error.summary().strip().rstrip(":")
            problem = (
                tr("The Tilewise layer “{name}” ({url}) cannot be opened{detail}.").format(
                    name=name, url=url, detail=f": {detail}" if detail else ""
                )
                + " "
                + tr("Check the bucket's S3 keys and endpoint in the Tilewise settings.")
            )
            outcome.problems.append(problem)
            QgsMessageLog.logMessage(problem, LOG_TAG, Qgis.MessageLevel.Warning)
        return outcome

    def resume(self) -> list[str]:
        """Read the state of each remembered job that has a tile layer in the project, or had not finished
        when last seen, and watch it again. Returns the ids of the jobs being read (results arrive later:
        `resumed` or `resumeFailed`). An earlier call's pending reads are cancelled."""
        if self._unloaded:
            return []
        self._generation += 1
        for task in list(self._tasks):
            _cancel(task)
        last_seen = last_seen_statuses(self.project)
        refused: dict[tuple[str, int], str] = {}  # one credentials question per deployment and version
        started = []
        for entry in project_jobs.remembered(self.project):
            tile_layer = JobTileLayer.find(entry.id, self.project)
            status = last_seen.get(entry.id)
            unfinished = status is not None and status not in TERMINAL.get(entry.api_version, TERMINAL[V1])
            if tile_layer is None and not unfinished:
                continue
            shown = self.monitor.layer(entry.id)
            if shown is not None and not shown.removed:
                continue  # already watched, on this project's layer
            key = (entry.deployment, entry.api_version)
            client = None
            if key not in refused:
                try:
                    client = self.client_for(entry.deployment, entry.api_version)
                except Exception as exc:  # deployment removed, no credentials, master password refused
                    refused[key] = str(exc)
            if client is None:
                self._failed(
                    entry.id,
                    tr(
                        "Add the credentials of {deployment} in the Tilewise settings to resume watching "
                        "job {id} ({reason})."
                    ).format(deployment=entry.deployment, id=entry.id, reason=refused[key]),
                )
                continue
            self._read_state(entry, client)
            started.append(entry.id)
        return started

    def unload(self) -> None:
        """Disconnect from the project and the monitor and cancel the pending reads; their results are
        ignored. Watches already handed to the monitor are the monitor's."""
        if self._unloaded:
            return
        self._unloaded = True
        for signal, slot in self._connections:
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(slot)
        for task in list(self._tasks):
            _cancel(task)

    # --- reading a job's state ----------------------------------------------------------------------------

    def _read_state(self, entry: project_jobs.RememberedJob, client: BatchClient) -> None:
        generation = self._generation
        job_id = entry.id

        def get(cancel: Cancel) -> BatchJob:
            return client.get(job_id, cancel)

        task = ClientCallTask(
            tr("state of job {id}").format(id=job_id),
            get,
            functools.partial(self._got_state, generation, entry, client),
        )
        self._tasks.append(task)
        QgsApplication.taskManager().addTask(task)

    def _got_state(
        self, generation: int, entry: project_jobs.RememberedJob, client: BatchClient, task: ClientCallTask
    ) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if self._unloaded or generation != self._generation or task.error == "Cancelled.":
            client.close()
            return
        if task.error is not None or not isinstance(task.result, BatchJob):
            client.close()
            if isinstance(task.exception, NotFoundError):
                reason = tr(
                    "Job {id} was deleted on the service ({deployment}); the layer shows its last known state."
                ).format(id=entry.id, deployment=entry.deployment)
            else:
                reason = tr("The state of job {id} could not be read: {error}").format(
                    id=entry.id, error=task.error or tr("no answer")
                )
            self._failed(entry.id, reason)
            return
        job = task.result
        try:
            access = self.access_for(job)
        except Exception as exc:  # the bucket's keys locked: watch without them (v2: progress only)
            QgsMessageLog.logMessage(
                tr("No S3 access for job {id}'s bucket ({error}): its progress only is shown.").format(
                    id=job.id, error=exc
                ),
                LOG_TAG,
                Qgis.MessageLevel.Warning,
            )
            access = None
        previous = self._clients.pop(job.id, None)
        if previous is not None and previous is not client:
            previous.close()
        self._clients[job.id] = client
        self.monitor.watch(client, job, access)
        self._record(job)
        self.resumed.emit(job)

    def _failed(self, job_id: str, reason: str) -> None:
        tile_layer = JobTileLayer.find(job_id, self.project)
        if tile_layer is not None:
            tile_layer.set_stale(True, reason)
        QgsMessageLog.logMessage(
            tr("Watching job {id} was not resumed: {reason}").format(id=job_id, reason=reason),
            LOG_TAG,
            Qgis.MessageLevel.Warning,
        )
        self.resumeFailed.emit(job_id, reason)

    # --- the project's signals ------------------------------------------------------------------------------

    def _on_cleared(self) -> None:
        self._options_applied = False  # a read starts with a clear: the next project's buckets are set anew

    def _on_layer_loaded(self, index: int, count: int) -> None:
        # (0, n) comes after the project's properties are read and before its first layer is opened
        if not self._unloaded and not self._options_applied:
            self.apply_bucket_options()

    def _on_loading_layer(self, _message: str) -> None:
        if not self._unloaded and not self._options_applied:
            self.apply_bucket_options()

    def _on_read(self, *_args) -> None:
        if self._unloaded:
            return
        try:
            self.restore_layers()
            self.resume()
        except Exception:  # a Qt slot: never let it escape
            log.exception("Tilewise: restoring the project's jobs failed")

    # --- the monitor's signals ------------------------------------------------------------------------------

    def _on_progress(self, job: BatchJob, _counts: dict) -> None:
        self._record(job)

    def _on_finished(self, job: BatchJob) -> None:
        self._record(job)
        self._release(job.id)

    def _on_watch_failed(self, job: BatchJob, _reason: str) -> None:
        if not self.monitor.retrying(job.id):  # the monitor watches again with the same client
            self._release(job.id)

    def _record(self, job: BatchJob) -> None:
        """Keep the job's status in the project (only for a job it remembers), to know after a read whether it
        had finished."""
        if self._unloaded or sip.isdeleted(self.project):
            return
        statuses = _read_map(self.project, STATUS_KEY)
        if statuses.get(job.id) == job.status:
            return
        if not any(entry.id == job.id for entry in project_jobs.remembered(self.project, job.deployment)):
            return
        statuses[job.id] = job.status
        _write_map(self.project, STATUS_KEY, statuses)

    def _release(self, job_id: str) -> None:
        client = self._clients.pop(job_id, None)
        if client is not None:
            client.close()

    def _access(self, bucket: str, endpoint: Optional[str], region: Optional[str], auth_id: str) -> S3Access:
        if not auth_id:
            return S3Access(endpoint, region, anonymous=True)
        keys = None
        try:
            keys = self.keys_for(auth_id)
        except Exception as exc:  # master password not entered, say
            QgsMessageLog.logMessage(
                tr(
                    "The S3 keys of bucket {bucket} (authentication config {auth_id}) could not be read: {error}"
                ).format(bucket=bucket, auth_id=auth_id, error=exc),
                LOG_TAG,
                Qgis.MessageLevel.Warning,
            )
        if not keys:
            QgsMessageLog.logMessage(
                tr(
                    "The S3 keys of bucket {bucket} (authentication config {auth_id}) are not in QGIS's "
                    "authentication database: its layers may not open. Enter them again in the Tilewise settings."
                ).format(bucket=bucket, auth_id=auth_id),
                LOG_TAG,
                Qgis.MessageLevel.Warning,
            )
            return S3Access(endpoint, region)
        access_key, secret_key = keys
        return S3Access(endpoint, region, access_key, secret_key)


# --- helpers ------------------------------------------------------------------------------------------------


def _is_tilewise_output(layer: QgsRasterLayer) -> bool:
    if layer.customProperty(KIND_PROPERTY) in ("tile", "mosaic"):
        return True
    return bool(layer.customProperty(JOB_PROPERTY)) and layer.source().startswith("/vsis3/")


def _clear_gdal_cache(prefix: str) -> None:
    from osgeo import gdal

    gdal.VSICurlPartialClearCache(prefix)


def _cancel(task: ClientCallTask) -> None:
    if sip.isdeleted(task):
        return
    with contextlib.suppress(RuntimeError):
        task.cancel()


__all__ = [
    "BucketAccess",
    "JobHistory",
    "LayerRestore",
    "bucket_accesses",
    "last_seen_statuses",
    "remember_bucket_access",
]
