"""Jobs once they exist: the Jobs tab (its list and actions bar), the actions on a job, the monitor that
recolours running jobs on the map, the jobs a project remembers, and the map's "Reprocess failed tile" menu;
with the messages of what they did. The dock creates one and tells it which job the form started."""

from __future__ import annotations

import contextlib
from typing import Callable, Optional

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsMessageLog,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject
from qgis.PyQt.QtWidgets import QWidget

from ..core.client import BatchClient
from ..core.connections import ConnectionStore
from ..core.jobs import BatchJob
from ..core.s3 import is_local, split_s3_url
from ..core.storage import S3Access
from .i18n import tr
from .job_actions import JobActions, ReprocessTileAction
from .job_actions_bar import JobActionsBar
from .job_end_notice import push_end_notice
from .job_history import JobHistory, remember_bucket_access
from .job_monitor import JobMonitor, project_layers_folder
from .job_tile_layer import PROP_JOB, JobTileLayer, is_job_tile_layer
from .jobs_panel import JobsPanel

AccessFor = Callable[[BatchJob], Optional[S3Access]]


class JobsController(QObject):
    """`output_access(job)` reaches a job's outputs, `tile_access(job)` its v2 tile statuses (None: progress
    only), `auth_id()` names the S3 keys chosen in the form; `report(message, level)` tells the user."""

    def __init__(
        self,
        iface,
        store: ConnectionStore,
        panel: JobsPanel,
        current_client: Callable[[], Optional[BatchClient]],
        output_access: AccessFor,
        tile_access: AccessFor,
        auth_id: Callable[[], str],
        report: Callable[[str, object], None],
        parent: QWidget,
    ):
        super().__init__(parent)
        self.iface, self.panel = iface, panel
        self.tile_access, self.auth_id = tile_access, auth_id
        self._unloaded = False
        self.monitor = JobMonitor(project_layers_folder, self)
        # the actions keep the store, the output access, the current client and the report for both
        self.actions = JobActions(store, self.monitor, output_access, current_client, report, parent)
        self.bar = JobActionsBar(self.actions, panel)
        panel.set_actions_bar(self.bar)
        panel.jobSelected.connect(self.bar.set_job)
        self.actions.jobChanged.connect(self._acted_on)
        self.actions.jobDeleted.connect(lambda job: self.panel.remove(job.id))
        self.actions.actionFailed.connect(
            lambda what, message: report(
                tr("{what}: {message}").format(what=what, message=message), Qgis.MessageLevel.Warning
            )
        )
        self.actions.outputsOpened.connect(self._outputs_opened)
        self.actions.downloadFinished.connect(self._download_finished)
        self.monitor.jobFinished.connect(self._announce_end)
        self.last_notice = None  # the message-bar item of the last job that ended
        # a tile selected on a job's tile layer shows in the Jobs tab (no Map Tips needed)
        self._tile_layers: set[str] = set()  # ids of the tile layers followed
        QgsProject.instance().layersAdded.connect(self._follow_tile_selection)
        self.reprocess_action = ReprocessTileAction(self.actions, parent)
        self.reprocess_action.register()
        canvas = iface.mapCanvas() if iface is not None else None
        if canvas is not None and hasattr(canvas, "contextMenuAboutToShow"):
            canvas.contextMenuAboutToShow.connect(self.canvas_menu)
        # a project read again (or open already): its output layers reopen, its jobs are watched again
        self.history = JobHistory(self.monitor, store.client, tile_access, self._s3_keys, parent=parent)
        self.history.restore_layers()
        self.history.resume()
        self._follow_tile_selection(list(QgsProject.instance().mapLayers().values()))

    def watch_started(self, job: BatchJob) -> None:
        """A job the form started is watched on the map until it ends, with a client for its deployment that
        outlives the dock's current one (closed when the user picks another deployment)."""
        current = self.actions.current_client()
        if self._unloaded or current is None:
            return
        self.panel.show_job(job)  # Start opens the Jobs tab, the job selected
        try:
            client = self.actions.client_for(job)
        except Exception:  # credentials just removed: watch with the dock's for now
            client = current
        self.monitor.watch(client, job, self.tile_access(job))

    def _announce_end(self, job: BatchJob) -> None:
        """A watched job ended: its row updated and selected, and a notice in QGIS's message bar."""
        if self._unloaded:
            return
        self._acted_on(job)
        self.panel.select(job.id)
        self.last_notice = push_end_notice(
            self.iface.messageBar(),
            job,
            self.monitor.counts(job.id),
            lambda ended: self.actions.open_outputs(ended, mosaic=True),
            self.panel.show_job,
        )

    def _follow_tile_selection(self, layers) -> None:
        for layer in layers:
            if is_job_tile_layer(layer) and layer.id() not in self._tile_layers:
                self._tile_layers.add(layer.id())
                layer.selectionChanged.connect(lambda *_, lyr=layer: self._tile_selected(lyr))

    def _tile_selected(self, layer) -> None:
        if self._unloaded or sip.isdeleted(self.panel):  # the dock went without unloading
            return
        job_id = str(layer.customProperty(PROP_JOB) or "")
        tile_layer = JobTileLayer.find(job_id)
        ids = layer.selectedFeatureIds()
        tile = tile_layer.tile_at(ids[0]) if tile_layer is not None and ids else None
        self.panel.show_tile(job_id, tile)

    def _s3_keys(self, auth_id: str) -> Optional[tuple[str, str]]:
        keys = self.actions.store.s3_keys(auth_id) if auth_id else None
        return (keys.access_key, keys.secret_key) if keys is not None else None

    def _acted_on(self, job: BatchJob) -> None:
        if self._unloaded:
            return
        self.panel.add_or_update(job)
        if self.bar.job is not None and self.bar.job.id == job.id:
            self.bar.set_job(job)

    def _outputs_opened(self, job: BatchJob, layers) -> None:
        if self._unloaded:
            return
        access = self.actions.access_for(job)
        url = job.output_url or ""
        if (
            layers and access is not None and not is_local(url)
        ):  # how to reach the bucket when the project is read again
            bucket, _ = split_s3_url(url)
            remember_bucket_access(bucket, access.endpoint_url, access.region, self.auth_id())
        if layers:
            self.iface.messageBar().pushMessage(
                "Tilewise",
                tr("%Ln layer(s) of job {id}… added.", None, len(layers)).format(id=job.id[:8]),
                level=Qgis.MessageLevel.Success,
                duration=5,
            )
        if layers.problems:
            shown = "; ".join(layers.problems[:3])
            more = (
                " " + tr("(and {count} more in the log)").format(count=len(layers.problems) - 3)
                if len(layers.problems) > 3
                else ""
            )
            self.actions.report(shown + more, Qgis.MessageLevel.Warning)
            for problem in layers.problems:
                QgsMessageLog.logMessage(problem, "Tilewise", Qgis.MessageLevel.Warning)

    def _download_finished(self, job: BatchJob, task) -> None:
        if self._unloaded:
            return
        copied = len(task.result) if task.result is not None else 0
        if task.error and task.error != "Cancelled.":
            self.actions.report(
                tr("Downloading the outputs of job {id}… failed: {error}").format(
                    id=job.id[:8], error=task.error
                ),
                Qgis.MessageLevel.Critical,
            )
            return
        problems = task.result.problems if task.result is not None else []
        message = tr("%Ln output(s) of job {id}… in {folder}", None, copied).format(
            id=job.id[:8], folder=task.folder
        )
        if task.error == "Cancelled.":
            message += " " + tr("(cancelled: run it again to copy the rest)")
        left_out = (
            "; " + tr("{count} left out: {first}").format(count=len(problems), first=problems[0])
            if problems
            else ""
        )
        self.actions.report(message + (left_out or "."),
                    Qgis.MessageLevel.Warning if problems else Qgis.MessageLevel.Success)  # fmt: skip

    def canvas_menu(self, menu, event) -> None:
        """The FAILED tiles of v1 job layers under the cursor can be reprocessed from the map's menu."""
        if self._unloaded:
            return
        canvas = self.iface.mapCanvas()
        to_wgs84 = QgsCoordinateTransform(
            canvas.mapSettings().destinationCrs(),
            QgsCoordinateReferenceSystem("EPSG:4326"),
            QgsProject.instance(),
        )
        point = event.mapPoint()
        tolerance = canvas.mapUnitsPerPixel() * 3
        try:
            rect = to_wgs84.transformBoundingBox(
                QgsRectangle(
                    point.x() - tolerance, point.y() - tolerance, point.x() + tolerance, point.y() + tolerance
                )
            )
        except QgsCsException:
            return
        found = self.actions.failed_tiles_at(rect)
        if not found:
            return
        menu.addSeparator()
        for layer, feature_id, name in found[:5]:
            job_id = str(layer.customProperty(PROP_JOB) or "")
            action = menu.addAction(
                tr("Reprocess failed tile {name} (job {id}…)").format(name=name, id=job_id[:8])
            )
            action.triggered.connect(
                lambda _=False, lyr=layer, fid=feature_id: self.actions.reprocess_tile(lyr, fid)
            )

    def unload(self) -> None:
        self._unloaded = True
        with contextlib.suppress(TypeError, RuntimeError):
            QgsProject.instance().layersAdded.disconnect(self._follow_tile_selection)
        self.panel.unload()
        self.actions.unload()
        self.history.unload()
        self.reprocess_action.unregister()
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        with contextlib.suppress(TypeError, RuntimeError, AttributeError):
            canvas.contextMenuAboutToShow.disconnect(self.canvas_menu)
        self.monitor.unload()


__all__ = ["JobsController"]
