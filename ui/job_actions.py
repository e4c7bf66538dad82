"""Acting on jobs: start, cancel/stop, restart failed tiles, delete, reprocess one tile from the map, show the
tiles, and open or download the outputs.

`JobActions` is the controller: every service call runs in a ClientCallTask with a client for the job's own
deployment (`client_for`), every output read in a task too (listing, describing, mosaics), and only the
results touch the project, on the main thread. Which action applies when, and what to ask first, is
`core/job_actions.py`. `JobActionsBar` is the row of buttons under the Jobs tab's list, enabled for the
selected job's status (a disabled button's tooltip says why). `ReprocessTileAction` puts "Reprocess tile" in
the identify results' and attribute table's menus of a v1 job's tile layer; the map canvas's context menu
gets the same entry for the FAILED tiles under the cursor.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path
from typing import Callable, Optional

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsFeature,
    QgsFeatureRequest,
    QgsMapLayer,
    QgsProject,
    QgsRectangle,
)
from qgis.gui import QgsGui, QgsMapLayerAction
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject, pyqtSignal
from qgis.PyQt.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..core import project_jobs
from ..core.client import BatchClient
from ..core.http import Cancel, NotFoundError
from ..core.job_actions import (
    Action,
    confirmation,
    perform,
    reprocess,
    reprocess_confirmation,
    why_not,
    why_not_reprocess,
)
from ..core.jobs import BatchJob, Tile
from ..core.monitor import bucket_tiles
from ..core.mosaics import build_mosaics
from ..core.outputs import Results, list_outputs, prepare_outputs
from ..core.statuses import V2
from ..core.storage import S3Access
from ..core.tasks import ClientCallTask
from .action_texts import action_text
from .i18n import tr
from .job_monitor import JobMonitor, progress_counts, project_layers_folder
from .job_tile_layer import PROP_API, PROP_DEPLOYMENT, PROP_JOB, JobTileLayer, is_job_tile_layer
from .messages import with_hint
from .output_layers import DownloadTask, add_mosaic_layers, add_output_layers
from .qgis_compat import LayerAction

log = logging.getLogger(__name__)

SERVICE_ACTIONS = (Action.START, Action.STOP, Action.RESTART, Action.DELETE)
REPROJECTED = "reprojected"  # open_outputs(mosaic=...): one mosaic per output in the project's CRS


class JobActions(QObject):
    """Runs the actions on jobs and reports how they went (signals on the main thread)."""

    jobChanged = pyqtSignal(object)  # BatchJob: as it is after an action
    jobDeleted = pyqtSignal(object)  # BatchJob: deleted on the service
    actionFailed = pyqtSignal(str, str)  # what was being done, the message (with a hint)
    outputsOpened = pyqtSignal(object, object)  # BatchJob, Results of the layers added (with `problems`)
    downloadFinished = pyqtSignal(object, object)  # BatchJob, the DownloadTask (result, error)
    busyChanged = pyqtSignal()

    def __init__(
        self,
        store,
        monitor: JobMonitor,
        access_for: Callable[[BatchJob], Optional[S3Access]],
        current_client: Callable[[], Optional[BatchClient]] = lambda: None,
        report: Callable[[str, object], None] = lambda message, level: None,
        parent_widget: Optional[QWidget] = None,
    ):
        super().__init__(parent_widget)
        self.store = store
        self.monitor = monitor
        self.access_for = access_for
        self.current_client = current_client
        self.report = report
        self.parent_widget = parent_widget
        # Replaceable (tests answer for the user): ask(question) -> yes?; choose_folder() -> folder or None.
        self.ask: Callable[[str], bool] = self._ask
        self.choose_folder: Callable[[], Optional[Path]] = self._choose_folder
        self.tasks: dict[str, object] = {}  # running tasks by "<what>:<job id>": references keep them alive
        self.auto_open: set[str] = set()  # jobs whose new outputs open as they arrive
        self._opened_done: dict[str, int] = {}  # job id: finished tiles when its outputs were last opened
        self._clients: dict[tuple[str, int], BatchClient] = {}
        self._unloaded = False
        monitor.progressChanged.connect(self._progress)
        monitor.jobFinished.connect(self._finished)

    # --- clients -------------------------------------------------------------------------------------------

    def client_for(self, job_or_deployment, api_version: Optional[int] = None) -> BatchClient:
        """A client for the job's deployment and API version: the dock's when it is that one, else one of
        ours (kept until unload). Raises CredentialsError/DeploymentError with a message for the user."""
        if isinstance(job_or_deployment, BatchJob):
            deployment, version = job_or_deployment.deployment, job_or_deployment.api_version
        else:
            deployment, version = job_or_deployment, int(api_version or V2)
        current = self.current_client()
        if current is not None and current.deployment.id == deployment and current.api_version == version:
            return current
        key = (deployment, version)
        if key not in self._clients:
            self._clients[key] = self.store.client(deployment, version)
        return self._clients[key]

    # --- the interface -------------------------------------------------------------------------------------

    def run(self, job: BatchJob, action: Action) -> bool:
        """Do the action for the job; False when it does not apply now or the user declined it."""
        if self._unloaded:
            return False
        reason = why_not(job, action)
        if reason is not None:
            self.actionFailed.emit(action_text(action, job.api_version).label, reason)
            return False
        if action == Action.SHOW_TILES:
            return self.watch(job)
        if action == Action.OPEN_OUTPUTS:
            return self.open_outputs(job)
        if action == Action.OPEN_MOSAIC:
            return self.open_outputs(job, mosaic=True)
        if action == Action.DOWNLOAD:
            return self.download(job)
        question = confirmation(job, action)
        if question is not None and not self.ask(question):
            return False
        what = tr("{action} job {id}…").format(
            action=action_text(action, job.api_version).label, id=job.id[:8]
        )
        return self._call(
            job,
            action.value,
            what,
            lambda client, cancel: perform(client, job, action, cancel),
            functools.partial(self._acted, job, action.value, what),
        )

    def watch(self, job: BatchJob) -> bool:
        """Show the job's tiles and follow them until the job ends (once, for a finished job)."""
        try:
            client = self.client_for(job)
        except Exception as exc:  # no credentials for that deployment any more
            self.actionFailed.emit(tr("Show tiles"), str(exc))
            return False
        self.monitor.watch(client, job, self.access_for(job))
        return True

    def reprocess_tile(self, layer: QgsMapLayer, feature_id: int) -> bool:
        """Reprocess the FAILED tile of a v1 job's tile layer (identify menu, map context menu)."""
        job_id = str(layer.customProperty(PROP_JOB) or "")
        tile_layer = JobTileLayer.find(job_id)
        tile = tile_layer.tile_at(feature_id) if tile_layer is not None else None
        if tile is None:
            self.actionFailed.emit(tr("Reprocess tile"), tr("That feature is no tile of a Tilewise job."))
            return False
        deployment = str(layer.customProperty(PROP_DEPLOYMENT) or "")
        version = int(layer.customProperty(PROP_API) or V2)
        known = BatchJob(job_id, version, deployment, "PROCESSING")  # the status is checked on the service
        reason = why_not_reprocess(known, tile["status"])
        if reason is not None:
            self.actionFailed.emit(tr("Reprocess tile"), reason)
            return False
        if not self.ask(reprocess_confirmation(known, str(tile["name"]))):
            return False

        def call(client: BatchClient, cancel: Cancel) -> BatchJob:
            job = client.get(job_id, cancel)
            current = client.tile(job_id, tile["id"], cancel)
            refused = why_not_reprocess(job, current.status)
            if refused is not None:
                raise _Refused(refused)
            return reprocess(client, job, tile["id"], cancel)

        what = tr("Reprocess tile {name}").format(name=tile["name"])
        return self._call(
            known, "reprocess", what, call, functools.partial(self._acted, known, "reprocess", what)
        )

    def failed_tiles_at(self, point_4326_rect: QgsRectangle) -> list[tuple[QgsMapLayer, int, str]]:
        """(layer, feature id, tile name) of the FAILED tiles of v1 job layers under a rectangle (EPSG:4326)."""
        found = []
        for layer in QgsProject.instance().mapLayers().values():
            if not _is_v1_tile_layer(layer):
                continue
            request = (
                QgsFeatureRequest()
                .setFilterRect(point_4326_rect)
                .setFilterExpression("\"status\" = 'FAILED'")
            )
            for feature in layer.getFeatures(request):
                found.append((layer, feature.id(), str(feature["name"])))
        return found

    def open_outputs(self, job: BatchJob, mosaic=False, quiet: bool = False) -> bool:
        """Open the delivered outputs as layers (mosaic=False), as a VRT per output and CRS (mosaic=True) or
        as one mosaic per output in the project's CRS (mosaic=REPROJECTED). Listing and reading headers run
        in a task; layers are added on the main thread. `quiet`: no message when nothing new is there."""
        key = "mosaic" if mosaic else "outputs"
        if f"{key}:{job.id}" in self.tasks:
            return False
        access = self.access_for(job)
        target = None
        if mosaic == REPROJECTED:
            target = _project_epsg()
        folder = project_layers_folder() / f"mosaics-{job.id}"
        client_tiles = self._tiles_reader(job, access)

        def call(_client: BatchClient, cancel: Cancel):
            tiles = client_tiles(cancel)
            outputs = prepare_outputs(access, job, tiles, cancel)
            if not mosaic:
                return outputs
            folder.mkdir(parents=True, exist_ok=True)
            mosaics = build_mosaics(outputs, folder, access, target, cancel=cancel)
            return Results(mosaics, outputs.problems + mosaics.problems, mosaics.cancelled)

        def opened(task: ClientCallTask) -> None:
            if not isinstance(task.result, Results):
                self.actionFailed.emit(tr("Open outputs"), with_hint(task))
                return
            found = task.result
            added = add_mosaic_layers(job, found) if mosaic else add_output_layers(job, found, access)
            layers = Results(added, list(found.problems) + list(added.problems))
            if not found and not quiet:
                layers.problems.insert(
                    0,
                    tr("Job {id}… has no delivered GeoTIFF at {url} yet.").format(
                        id=job.id[:8], url=job.output_url
                    ),
                )
            self.outputsOpened.emit(job, layers)

        return self._call(
            job,
            key,
            tr("Open the outputs of job {id}…").format(id=job.id[:8]),
            call,
            opened,
            needs_client=False,
        )

    def download(self, job: BatchJob, folder: Optional[Path] = None) -> bool:
        """Copy the job's outputs to a folder (asked for when not given) in a DownloadTask with progress."""
        if f"download:{job.id}" in self.tasks:
            return False
        folder = folder or self.choose_folder()
        if folder is None:
            return False
        access = self.access_for(job)
        tiles = self._tiles_reader(job, access)

        def call(_client: BatchClient, cancel: Cancel) -> Results:
            return list_outputs(access, job, tiles(cancel))

        def got_list(task: ClientCallTask) -> None:
            if not isinstance(task.result, Results):
                self.actionFailed.emit(tr("Download"), with_hint(task))
                return
            copy = DownloadTask(
                task.result,
                Path(folder),
                access,
                functools.partial(self._downloaded, job, task.result.problems),
                tr("Tilewise: downloading the outputs of job {id}…").format(id=job.id[:8]),
            )
            self.tasks[f"download:{job.id}"] = copy
            self.busyChanged.emit()
            QgsApplication.taskManager().addTask(copy)

        return self._call(
            job,
            "list",
            tr("List the outputs of job {id}…").format(id=job.id[:8]),
            call,
            got_list,
            needs_client=False,
        )

    def set_auto_open(self, job: BatchJob, on: bool) -> None:
        """Open the job's newly finished outputs as they arrive (while the job is watched)."""
        if on:
            self.auto_open.add(job.id)
            self._opened_done.setdefault(job.id, -1)
        else:
            self.auto_open.discard(job.id)

    def unload(self) -> None:
        self._unloaded = True
        for task in list(self.tasks.values()):
            with contextlib.suppress(RuntimeError):
                if not sip.isdeleted(task):
                    task.cancel()
        self.tasks.clear()
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # --- running -------------------------------------------------------------------------------------------

    def _call(self, job: BatchJob, key: str, what: str, function, on_done, needs_client: bool = True) -> bool:
        task_key = f"{key}:{job.id}"
        if task_key in self.tasks:
            return False
        client = None
        if needs_client:
            try:
                client = self.client_for(job)
            except Exception as exc:
                self.actionFailed.emit(what, str(exc))
                return False

        def run(cancel: Cancel):
            return function(client, cancel) if needs_client else function(None, cancel)

        def done(task: ClientCallTask) -> None:
            self.tasks.pop(task_key, None)
            self.busyChanged.emit()
            if self._unloaded:
                return
            on_done(task)

        task = ClientCallTask(what, run, done)
        self.tasks[task_key] = task
        self.busyChanged.emit()
        QgsApplication.taskManager().addTask(task)
        return True

    def _acted(self, job: BatchJob, key: str, what: str, task: ClientCallTask) -> None:
        if task.error is not None:
            if isinstance(task.exception, NotFoundError):
                self._gone(job, tr("deleted on the service (not found)"))
            refused = isinstance(task.exception, _Refused)
            self.actionFailed.emit(what, str(task.exception) if refused else with_hint(task))
            return
        if key == Action.DELETE.value:
            project_jobs.forget(job.id, deployment=job.deployment)
            self._gone(job, tr("deleted from Tilewise"))
            self.jobDeleted.emit(job)
            self.report(tr("Job {id}… deleted.").format(id=job.id[:8]), Qgis.MessageLevel.Info)
            return
        changed: BatchJob = task.result
        self.jobChanged.emit(changed)
        self.report(
            tr("{what}: the job is {status}.").format(what=what, status=changed.status),
            Qgis.MessageLevel.Success,
        )
        if key in (Action.START.value, Action.RESTART.value, "reprocess") or not changed.is_terminal:
            self.watch(changed)

    def _gone(self, job: BatchJob, reason: str) -> None:
        self.monitor.stop_watching(job.id)
        layer = JobTileLayer.find(job.id)
        if layer is not None:
            layer.set_stale(True, tr("the job was {reason}").format(reason=reason))

    def _downloaded(self, job: BatchJob, listing_problems: list, task: DownloadTask) -> None:
        self.tasks.pop(f"download:{job.id}", None)
        self.busyChanged.emit()
        if self._unloaded:
            return
        if task.result is not None:
            task.result.problems[:0] = listing_problems
        self.downloadFinished.emit(job, task)

    def _tiles_reader(self, job: BatchJob, access: Optional[S3Access]) -> Callable[[Cancel], list[Tile]]:
        """How a task reads the job's tiles (their EPSG codes and which finished), best effort: v1 from the
        tile endpoint, v2 from the bucket artefacts; no tiles when they cannot be read (outputs still open)."""
        if job.api_version == V2:
            read = bucket_tiles(access, project_layers_folder() / "scratch")
        else:
            try:
                client = self.client_for(job)
            except Exception:
                return lambda cancel: []
            read = lambda job_, cancel: list(client.tiles(job_.id, cancel=cancel))  # noqa: E731

        def tiles(cancel: Cancel) -> list[Tile]:
            try:
                return read(job, cancel)
            except Exception as exc:  # the listing still works from the files
                log.info("Tilewise: tiles of job %s not read (%s); listing outputs without them", job.id, exc)
                return []

        return tiles

    # --- the monitor's signals -----------------------------------------------------------------------------

    def _progress(self, job: BatchJob, counts: dict) -> None:
        if job.id not in self.auto_open or self._unloaded:
            return
        done, _failed, _total = progress_counts(counts)
        if done > max(0, self._opened_done.get(job.id, -1)) and self.open_outputs(job, quiet=True):
            self._opened_done[job.id] = done

    def _finished(self, job: BatchJob) -> None:
        if job.id in self.auto_open and not self._unloaded:
            # the last tiles may have finished while an opening ran: once more, after it
            self._opened_done[job.id] = -1
            self.open_outputs(job, quiet=True)

    # --- asking the user -----------------------------------------------------------------------------------

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(
            self.parent_widget,
            "Tilewise",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _choose_folder(self) -> Optional[Path]:
        folder = QFileDialog.getExistingDirectory(self.parent_widget, tr("Download the outputs to"))
        return Path(folder) if folder else None


class _Refused(Exception):
    """The service's current state does not allow the action (checked in the task, said as it is)."""


def _project_epsg() -> Optional[int]:
    crs = QgsProject.instance().crs()
    auth = crs.authid()
    return int(auth.split(":")[1]) if auth.upper().startswith("EPSG:") else None


def _is_v1_tile_layer(layer: Optional[QgsMapLayer]) -> bool:
    return is_job_tile_layer(layer) and str(layer.customProperty(PROP_API)) == "1"


class ReprocessTileAction(LayerAction):
    """“Reprocess tile” in the identify results and attribute table of a v1 job's tile layer."""

    def __init__(self, actions: JobActions, parent: Optional[QObject] = None):
        super().__init__(tr("Reprocess tile (Tilewise)"), parent, QgsMapLayerAction.Target.SingleFeature)
        self.actions = actions

    def applies_to(self, layer: Optional[QgsMapLayer]) -> bool:
        return _is_v1_tile_layer(layer)

    def run_for_feature(self, layer: QgsMapLayer, feature: QgsFeature) -> None:
        self.actions.reprocess_tile(layer, feature.id())

    def register(self) -> None:
        QgsGui.mapLayerActionRegistry().addMapLayerAction(self)

    def unregister(self) -> None:
        with contextlib.suppress(RuntimeError):
            QgsGui.mapLayerActionRegistry().removeMapLayerAction(self)
