"""The Tilewise dock: connect to a deployment, describe a batch job over the selected polygons, preview it,
create and analyse it, confirm its cost and start it; and the list of jobs.

Every network call and every slow step (reading the evalscript, listing tiles) runs in a QgsTask; this module
only moves values between widgets and core/ (ui → core → HTTP).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from typing import Callable, Optional

import shapely
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsGeometry,
    QgsMapLayer,
    QgsMessageLog,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import (
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import project_jobs, submission
from ..core.area import AreaOfInterest
from ..core.client import BatchClient
from ..core.connections import ConnectionStore, is_local_engine
from ..core.costs import CostEstimate
from ..core.deployments import V1, V2, Deployment
from ..core.grids import (
    GridTile,
    TileSelection,
)
from ..core.http import Cancel
from ..core.job_form import (
    FieldProblem,
    FormInvalid,
    JobDraft,
    check_draft,
    estimate,
    preview_request,
)
from ..core.jobs import BatchJob
from ..core.qgis_geometry import to_shapely
from ..core.storage import S3Access
from ..core.submission import StartSummary
from ..core.tasks import ClientCallTask, TileEnumerationTask, TilingRequest
from .connection_bar import ConnectionBar
from .job_actions import JobActions, ReprocessTileAction
from .job_actions_bar import JobActionsBar
from .job_form_widget import JobFormWidget
from .job_history import JobHistory, remember_bucket_access
from .job_monitor import JobMonitor, project_layers_folder
from .jobs_panel import JobsPanel
from .messages import with_hint
from .preview_layers import add_preview_layer
from .start_dialog import StartJobDialog
from .tile_layer import add_to_group, build_tile_layer

PREVIEW_GROUP = "Tilewise grid preview"
METRES_PER_DEGREE = 111_320.0
MINIMUM_WIDTH = 440


class UserInputError(ValueError):
    """Something the user can fix in QGIS; the message says how."""


class TilewiseDock(QgsDockWidget):
    previewFinished = pyqtSignal(object)  # grid preview: the new tile layer, or None
    rasterPreviewFinished = pyqtSignal(object)  # Process API preview: the raster layer, or None
    jobStageChanged = pyqtSignal(
        str, object
    )  # stage (created, analysed, started, failed, declined), job or None

    def __init__(self, iface, parent: Optional[QWidget] = None, store: Optional[ConnectionStore] = None):
        super().__init__("Tilewise", parent)
        self.setObjectName("TilewiseDock")
        self.setMinimumWidth(MINIMUM_WIDTH)
        self.iface = iface
        self.store = store or ConnectionStore()
        self.tasks: dict[str, object] = {}  # running QgsTasks by purpose: references keep them alive
        self.selection: Optional[TileSelection] = None
        self.layer: Optional[QgsVectorLayer] = None  # the grid preview layer
        self.area_km2 = 0.0
        self.pending_job: Optional[BatchJob] = None  # analysed, waiting for the user's confirmation
        self.pending_summary: Optional[StartSummary] = None
        self.start_dialog: Optional[StartJobDialog] = None
        self._unloaded = False
        self._build()
        self.form.restore()
        self._connect_layer_signals()
        self.refresh_area_summary()
        self.connection.reload_deployments()
        # started jobs recolour their tile layer as they run (v2 tiles are read from the bucket); their
        # progress is shown under the form
        self.job_monitor = JobMonitor(project_layers_folder, self)
        self.job_monitor.statusChanged.connect(self.form.show_result)
        self.jobStageChanged.connect(self._watch_started)
        self.destroyed.connect(lambda *_: self.job_monitor.unload())
        self.job_actions = JobActions(
            self.store, self.job_monitor, self.output_access, lambda: self.client, self._report, self
        )
        self._connect_job_actions()
        # a project read again (or open already): its output layers reopen, its jobs are watched again
        self.job_history = JobHistory(
            self.job_monitor, self.store.client, self.tile_access, self._s3_keys, parent=self
        )
        self.job_history.restore_layers()
        self.job_history.resume()

    # === building the dock ==============================================================================

    def _build(self) -> None:
        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)

        self.connection = ConnectionBar(self.store, self._run, body)
        column.addWidget(self.connection)
        self.tabs = QTabWidget(body)
        self.form = JobFormWidget(self.tabs)
        self.tabs.addTab(self.form, "New job")
        self.jobs_panel = JobsPanel(self.tabs)
        self.tabs.addTab(self.jobs_panel, "Jobs")
        column.addWidget(self.tabs, 1)
        self.setWidget(body)

        self.connection.clientChanged.connect(self._client_changed)
        self.connection.engineStatusRead.connect(
            lambda status: self.form.set_engine_output_root(str(status.get("outputRoot") or ""))
        )
        form = self.form
        form.costInputsChanged.connect(self.refresh_cost)
        form.preview_button.clicked.connect(self.start_preview)
        form.preview_extent_button.clicked.connect(self.preview_map_extent)
        form.preview_tile_button.clicked.connect(self.preview_tile)
        form.create_button.clicked.connect(self.create_job)
        form.start_button.clicked.connect(self.confirm_start)
        form.cancel_button.clicked.connect(self.cancel_running)

    # === settings ======================================================================================

    def save_settings(self) -> None:
        self.form.save()

    # === deployment and client =========================================================================

    @property
    def client(self) -> Optional[BatchClient]:
        """The client of the deployment and version chosen at the top (None without credentials)."""
        return self.connection.client

    def _client_changed(self, client: Optional[BatchClient], deployment: Deployment) -> None:
        self.form.allow_folder(is_local_engine(deployment))
        self.form.set_api_version(self.connection.api_version())
        self.jobs_panel.set_client(client, deployment.id, deployment.name)  # cancels its loads first

    # === the area ======================================================================================

    def _connect_layer_signals(self) -> None:
        self._watched_layer: Optional[QgsVectorLayer] = None
        self.iface.currentLayerChanged.connect(self._layer_changed)
        self._layer_changed(self.iface.activeLayer())

    def _layer_changed(self, layer: Optional[QgsMapLayer]) -> None:
        if self._watched_layer is not None:
            with contextlib.suppress(TypeError, RuntimeError):  # already deleted or disconnected
                self._watched_layer.selectionChanged.disconnect(self.refresh_area_summary)
        self._watched_layer = layer if isinstance(layer, QgsVectorLayer) else None
        if self._watched_layer is not None:
            self._watched_layer.selectionChanged.connect(self.refresh_area_summary)
        self.refresh_area_summary()

    def refresh_area_summary(self, *_args) -> None:
        try:
            layer = polygon_layer(self.iface.activeLayer())
        except UserInputError as exc:
            self.form.area_label.setText(str(exc))
            return
        selected = layer.selectedFeatureCount()
        if selected:
            text = f"{layer.name()}: {selected:,} selected polygon(s)"
        else:
            text = f"{layer.name()}: no selection, all {layer.featureCount():,} polygon(s)"
        if self.selection is not None and self.area_km2:
            text += f" — {self.area_km2:,.1f} km² at the last preview"
        self.form.area_label.setText(text)

    def collect_area(self) -> tuple[tuple[Optional[shapely.Geometry], ...], str]:
        """The selected (or all) polygons of the active layer, copied out of QGIS, and the layer's CRS."""
        layer = polygon_layer(self.iface.activeLayer())
        features = layer.getSelectedFeatures() if layer.selectedFeatureCount() else layer.getFeatures()
        geometries = []
        for feature in features:
            geometry = QgsGeometry(feature.geometry())
            geometries.append(to_shapely(geometry))
        crs = layer.crs()
        if not crs.isValid():
            raise UserInputError(
                f"The layer “{layer.name()}” has no valid CRS: set its CRS in Layer Properties."
            )
        return tuple(geometries), crs.authid() or crs.toWkt()

    def collect_request(self) -> TilingRequest:
        return self.form.tiling_request(*self.collect_area())

    # === the form ======================================================================================

    def draft(self) -> JobDraft:
        """The form's values (S3 keys read from QgsAuthManager only here, when they are needed)."""
        return self.form.draft(self.store.s3_keys)

    def show_problems(self, problems: tuple[FieldProblem, ...]) -> None:
        """Mark each field at fault, focus the first, list every problem under the buttons, and say so."""
        lines = self.form.show_problems(problems, {"credentials": self.connection.connection_label})
        if lines:
            self._report(lines[0] if len(lines) == 1 else f"{len(lines)} problems in the job form: {lines[0]}",
                         Qgis.MessageLevel.Warning)  # fmt: skip

    def clear_problems(self) -> None:
        self.form.clear_problems()

    # === task plumbing =================================================================================

    def _run(
        self,
        purpose: str,
        description: str,
        function: Callable[[Cancel], object],
        on_done: Callable[[ClientCallTask], None],
    ) -> ClientCallTask:
        """Start a task for one purpose (replacing an older one of the same purpose) and keep a reference."""
        old = self.tasks.get(purpose)
        if old is not None:
            old.cancel()

        def done(task: ClientCallTask) -> None:
            if self._unloaded:
                return  # the dock is gone: nobody to tell
            if self.tasks.get(purpose) is task:
                del self.tasks[purpose]
            self._update_busy()
            if not task.isCanceled() and task.error != "Cancelled.":
                on_done(task)

        task = ClientCallTask(description, function, done)
        self.tasks[purpose] = task
        self._update_busy()
        QgsApplication.taskManager().addTask(task)
        return task

    def _update_busy(self) -> None:
        self.form.set_busy(list(self.tasks), self.pending_job is not None)

    def cancel_running(self) -> None:
        for purpose, task in list(self.tasks.items()):
            if purpose != "engine":
                task.cancel()
                self.tasks.pop(purpose, None)
        self._update_busy()
        self.form.show_result("Cancelled. A job already created stays on the service: see the Jobs tab.")

    def _need_client(self) -> Optional[BatchClient]:
        if self.client is None:
            self.show_problems(
                (FieldProblem("credentials", self.connection.client_problem or "Choose a deployment."),)
            )
        return self.client

    # === grid preview ==================================================================================

    def start_preview(self) -> None:
        if "tiles" in self.tasks:
            return
        self.clear_problems()
        try:
            request = self.collect_request()
        except UserInputError as exc:
            self._report(str(exc), Qgis.MessageLevel.Warning)
            self.show_problems((FieldProblem("area", str(exc)),))
            self.previewFinished.emit(None)
            return
        self.save_settings()
        task = TileEnumerationTask(request, self._preview_done)
        self.tasks["tiles"] = task
        self._update_busy()
        self.form.show_result("Listing tiles…")
        QgsApplication.taskManager().addTask(task)

    def cancel_preview(self) -> None:
        task = self.tasks.get("tiles")
        if task is not None:
            task.cancel()

    def _preview_done(self, task: TileEnumerationTask) -> None:
        if self._unloaded:
            return
        if self.tasks.get("tiles") is task:
            del self.tasks["tiles"]
        self._update_busy()
        if task.result is None:
            if task.isCanceled():
                self.form.show_result("Preview cancelled.")
            else:
                self.form.show_result(task.error or "")
                self._report(task.error or "Listing the tiles failed.", Qgis.MessageLevel.Warning)
            self.previewFinished.emit(None)
            return
        layer = self._show_tiles(task.result.selection, task.result.footprint_wkb, task.result.area)
        self.previewFinished.emit(layer)

    def _show_tiles(
        self, selection: TileSelection, footprint_wkb: list[bytes], area: AreaOfInterest
    ) -> QgsVectorLayer:
        grid = selection.grid
        tile_metres = grid.tile_size * (METRES_PER_DEGREE if grid.unit == "DEGREE" else 1)
        name = f"Tiles: grid {grid.id} @ {selection.resolution:g} {grid.unit_symbol} ({len(selection):,})"
        layer = build_tile_layer(name, selection.tiles, footprint_wkb, "PREVIEW", tile_metres)
        if self.layer is not None:  # one grid preview at a time: the new one replaces the last
            with contextlib.suppress(RuntimeError):  # already removed by the user
                QgsProject.instance().removeMapLayer(self.layer.id())
        add_to_group(layer, PREVIEW_GROUP)
        self.selection = selection
        self.layer = layer
        self.area_km2 = area.area_km2()
        for warning in (*area.warnings, *selection.warnings):
            self._report(warning, Qgis.MessageLevel.Info)
        self.refresh_area_summary()
        self.refresh_cost()
        return layer

    def refresh_cost(self, *_args) -> None:
        """Tiles and PU of the last preview, with the script's bands and outputs (no new listing needed)."""
        if self.selection is None:
            self.form.show_result(
                "Preview “Tiles” lists the tiles of the selected polygons and what they cost."
            )
            return
        selection = self.selection
        lines = [
            f"<b>{len(selection):,} tiles</b> of grid {selection.grid.id} ({selection.grid.name}) "
            f"at {selection.resolution:g} {selection.grid.unit_symbol}, in "
            + ", ".join(f"EPSG:{code}" for code in selection.epsg_codes),
            f"Area {self.area_km2:,.1f} km²",
        ]
        if selection.tiles:
            tile = selection.tiles[0]
            raster = f"Tile raster {tile.buffered_width:,} × {tile.buffered_height:,} px"
            if (tile.buffered_width, tile.buffered_height) != (tile.width, tile.height):
                raster += f" ({tile.width:,} × {tile.height:,} px plus buffer)"
            lines.append(raster)
        info = self.form.script_editor.info
        if info is None:
            lines.append("PU estimate: fix the evalscript first.")
        else:
            try:
                cost = estimate(self.form.cost_draft(), info, selection.tiles)
            except ValueError as exc:
                lines.append(f"<span style='color:#b71c1c'>{exc}</span>")
            else:
                lines.append(describe_estimate(cost, info.mosaicking))
        self.form.show_result("<br>".join(lines))

    # === Process API previews ==========================================================================

    def preview_map_extent(self) -> None:
        canvas = self.iface.mapCanvas()
        crs = canvas.mapSettings().destinationCrs()
        extent = canvas.extent()
        epsg = epsg_of(crs)
        if epsg is None:  # a CRS without an EPSG code: ask in lon/lat
            transform = QgsCoordinateTransform(
                crs, QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()
            )
            extent = transform.transformBoundingBox(extent)
        size = canvas.size()
        bbox = (extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum())
        width, height = size.width(), size.height()
        if epsg is None or epsg == 4326:
            epsg = None
        self._raster_preview(bbox, epsg, width, height, "map extent")

    def preview_tile(self) -> None:
        tile = self.chosen_tile()
        if tile is None:
            message = "Preview the tiles first, then select one tile on the map (or the first one is used)."
            self._report(message, Qgis.MessageLevel.Warning)
            self.rasterPreviewFinished.emit(None)
            return
        self._raster_preview(tile.buffered_bounds, tile.epsg, tile.buffered_width, tile.buffered_height,
                             f"tile {tile.name}")  # fmt: skip

    def chosen_tile(self) -> Optional[GridTile]:
        if self.selection is None or not self.selection.tiles:
            return None
        if self.layer is not None:
            with contextlib.suppress(RuntimeError):  # the layer was removed
                ids = [f["tile_id"] for f in self.layer.getSelectedFeatures()]
                if ids:
                    wanted = {int(i) for i in ids}
                    return next((t for t in self.selection.tiles if t.id in wanted), self.selection.tiles[0])
        return self.selection.tiles[0]

    def _raster_preview(self, bbox, epsg: Optional[int], width: int, height: int, where: str) -> None:
        self.clear_problems()
        client = self._need_client()
        if client is None:
            self.rasterPreviewFinished.emit(None)
            return
        try:
            draft = self.draft()
        except FormInvalid as exc:
            self.show_problems(exc.problems)
            self.rasterPreviewFinished.emit(None)
            return
        version = self.connection.api_version()
        engine = is_local_engine(client.deployment)
        output_id = self.form.preview_output_combo.currentData()
        self.save_settings()

        def run(cancel: Cancel):
            try:
                info = check_draft(draft, version, engine, need_output=False)
                request = preview_request(draft, info, bbox, epsg, width, height, output_id)
            except FormInvalid as exc:
                return exc
            return client.preview(request, cancel)

        self.form.show_result(f"Previewing the script on the {where}…")
        name = f"Preview {self.form.script_editor.preset_name()} {output_id or ''} {draft.time_from}…{draft.time_to}"
        self._run(
            "raster_preview",
            f"preview on the {where}",
            run,
            lambda task: self._raster_preview_done(task, name),
        )

    def _raster_preview_done(self, task: ClientCallTask, name: str) -> None:
        if isinstance(task.result, FormInvalid):
            self.show_problems(task.result.problems)
            self.rasterPreviewFinished.emit(None)
            return
        if task.result is None:
            self._service_failed("The preview failed", task)
            self.rasterPreviewFinished.emit(None)
            return
        try:
            layer = add_preview_layer(task.result.content, name.replace("  ", " ").strip())
        except ValueError as exc:
            self._report(str(exc), Qgis.MessageLevel.Critical)
            self.rasterPreviewFinished.emit(None)
            return
        self.form.show_result(f"Preview added: {layer.name()}")
        self.rasterPreviewFinished.emit(layer)

    # === create, analyse, confirm, start ===============================================================

    def create_job(self) -> None:
        """Check the form, list the tiles, create the job and analyse it (core/submission.py, each step in a
        task); then ask to confirm the start."""
        self.clear_problems()
        problems: list[FieldProblem] = []
        geometries, crs = (), ""
        try:
            geometries, crs = self.collect_area()
        except UserInputError as exc:
            problems.append(FieldProblem("area", str(exc)))
        draft = None
        try:
            draft = self.draft()
        except FormInvalid as exc:
            problems.extend(exc.problems)
        client = self.client
        if client is None:
            problems.append(
                FieldProblem("credentials", self.connection.client_problem or "Choose a deployment.")
            )
        if problems:
            self.show_problems(tuple(problems))
            self.jobStageChanged.emit("invalid", None)
            return
        self.save_settings()
        self.pending_job = None
        version, max_tiles = self.connection.api_version(), self.form.max_tiles.value()
        engine = is_local_engine(client.deployment)

        def prepare(_cancel: Cancel):
            try:
                return submission.prepare(draft, geometries, crs, version, engine, max_tiles)
            except FormInvalid as exc:
                return exc

        self.form.show_result("Checking the job and listing its tiles…")
        self._run("prepare", "preparing the batch job", prepare, lambda task: self._prepared(task, client))

    def _prepared(self, task: ClientCallTask, client: BatchClient) -> None:
        outcome = task.result
        if isinstance(outcome, FormInvalid):
            self.show_problems(outcome.problems)
            self.form.show_result("Nothing was sent: fix the fields marked in red.")
            self.jobStageChanged.emit("invalid", None)
            return
        if not isinstance(outcome, submission.PreparedJob):
            self._service_failed("Preparing the job failed", task)
            return
        self._show_tiles(outcome.selection, outcome.footprint_wkb, outcome.area)
        self.form.show_result(
            f"{len(outcome.selection):,} tiles; creating the job on {client.deployment.name}…"
        )
        self._run("create", "creating the batch job", lambda cancel: submission.create(client, outcome, cancel),
                  lambda created: self._created(created, client, outcome))  # fmt: skip

    def _created(self, task: ClientCallTask, client: BatchClient, prepared: submission.PreparedJob) -> None:
        if not isinstance(task.result, BatchJob):
            self._service_failed("The service refused the job", task)
            return
        job = task.result
        project_jobs.remember(job)
        self.jobs_panel.add_or_update(job)
        self.jobStageChanged.emit("created", job)
        self.form.show_result(f"Created job {job.id}; analysing…")
        self._run("analyse", f"analysing job {job.id}", lambda cancel: submission.analyse(client, job, cancel),
                  lambda done: self._analysed(done, client, prepared))  # fmt: skip

    def _analysed(self, task: ClientCallTask, client: BatchClient, prepared: submission.PreparedJob) -> None:
        if not isinstance(task.result, BatchJob):
            self._service_failed("The analysis failed", task)
            return
        job = task.result
        self.jobs_panel.add_or_update(job)
        try:
            summary = submission.estimate(job, prepared, client.deployment.name, self.form.budget())
        except submission.AnalysisFailed as exc:
            self._report(str(exc), Qgis.MessageLevel.Critical)
            self._point_at_script_line(job.error or "")
            self.form.show_result(str(exc))
            self.jobStageChanged.emit("failed", job)
            return
        self.pending_job, self.pending_summary = job, summary
        self._update_busy()
        self.form.show_result(
            f"Job {job.id} analysed: {summary.tile_count:,} tiles, "
            + (
                f"{job.value_estimate:,.1f} PU by the service's estimate. "
                if job.value_estimate is not None
                else ""
            )
            + "Confirm to start it."
        )
        self.jobStageChanged.emit("analysed", job)
        self.confirm_start()

    def confirm_start(self) -> None:
        if self.pending_job is None or self.pending_summary is None:
            return
        summary = dataclasses.replace(self.pending_summary, budget_pu=self.form.budget())
        self.pending_summary = summary
        dialog = StartJobDialog(summary, self)
        dialog.accepted.connect(self.start_pending_job)
        dialog.rejected.connect(self._start_declined)
        self.start_dialog = dialog
        dialog.open()

    def _start_declined(self) -> None:
        job = self.pending_job
        if job is None:
            return
        reason = " (over the PU budget)" if self.pending_summary and self.pending_summary.over_budget else ""
        self.form.show_result(
            f"Job {job.id} is analysed and waits{reason}: press “Start…” to start it, or leave it (an analysed "
            "job costs nothing)."
        )
        self.jobStageChanged.emit("declined", job)

    def start_pending_job(self) -> None:
        job, client = self.pending_job, self.client
        if job is None or client is None:
            return
        if self.pending_summary is not None and self.pending_summary.over_budget:
            self.show_problems(
                (FieldProblem("budget", "The job is expected to cost more than your PU budget."),)
            )
            return

        def start(cancel: Cancel) -> BatchJob:
            client.start(job.id, cancel)
            return client.get(job.id, cancel)

        self.form.show_result(f"Starting job {job.id}…")
        self._run("start", f"starting job {job.id}", start, self._started)

    def _started(self, task: ClientCallTask) -> None:
        if not isinstance(task.result, BatchJob):
            self._service_failed("Starting the job failed", task)
            return
        job = task.result
        self.pending_job, self.pending_summary = None, None
        self._update_busy()
        project_jobs.remember(job)
        self.jobs_panel.add_or_update(job)
        message = f"Job {job.id[:8]}… started ({job.status}): follow it in the Jobs tab."
        self.form.show_result(message)
        self.iface.messageBar().pushMessage("Tilewise", message, level=Qgis.MessageLevel.Success, duration=8)
        self.jobStageChanged.emit("started", job)

    # === acting on jobs ================================================================================

    def output_access(self, job: BatchJob) -> Optional[S3Access]:
        """How this machine reaches the job's bucket: the Tilewise engine's S3 endpoint (AWS elsewhere), the
        form's S3 keys and region; None for outputs in a folder. Keys come from QgsAuthManager, here only."""
        url = job.output_url or ""
        if not url.lower().startswith("s3://"):
            return None
        endpoint = self.connection.s3_endpoint(job.deployment)
        access_key = secret_key = None
        auth_id = self.form.s3_auth.configId()
        keys = self.store.s3_keys(auth_id) if auth_id else None
        if keys is not None:
            access_key, secret_key = keys.access_key, keys.secret_key
        region = self.form.s3_region_edit.text().strip() or None
        return S3Access(endpoint_url=endpoint, region=region, access_key=access_key, secret_key=secret_key)

    def tile_access(self, job: BatchJob) -> Optional[S3Access]:
        """What the monitor reads a v2 job's tile statuses with: the folder directly; the bucket access when the
        form names S3 keys; without keys, None (the job's progress only, rather than a watch that fails on
        every read)."""
        if (job.output_url or "").lower().startswith("file://"):
            return S3Access()  # a folder on this machine: read directly, no keys
        access = self.output_access(job)
        return access if access is not None and access.access_key else None

    def _watch_started(self, stage: str, job: Optional[BatchJob]) -> None:
        """A job the form started is watched on the map until it ends, with a client for its deployment that
        outlives the dock's current one (closed when the user picks another deployment)."""
        if self._unloaded or stage != "started" or job is None or self.client is None:
            return
        try:
            client = self.job_actions.client_for(job)
        except Exception:  # credentials just removed: watch with the dock's for now
            client = self.client
        self.job_monitor.watch(client, job, self.tile_access(job))

    def _s3_keys(self, auth_id: str) -> Optional[tuple[str, str]]:
        keys = self.store.s3_keys(auth_id) if auth_id else None
        return (keys.access_key, keys.secret_key) if keys is not None else None

    def _connect_job_actions(self) -> None:
        actions = self.job_actions
        self.job_actions_bar = JobActionsBar(actions, self.jobs_panel)
        self.jobs_panel.set_actions_bar(self.job_actions_bar)
        self.jobs_panel.jobSelected.connect(self.job_actions_bar.set_job)
        actions.jobChanged.connect(self._job_acted_on)
        actions.jobDeleted.connect(lambda job: self.jobs_panel.remove(job.id))
        actions.actionFailed.connect(
            lambda what, message: self._report(f"{what}: {message}", Qgis.MessageLevel.Warning)
        )
        actions.outputsOpened.connect(self._outputs_opened)
        actions.downloadFinished.connect(self._download_finished)
        self.job_monitor.jobFinished.connect(self._job_acted_on)
        self.reprocess_action = ReprocessTileAction(actions, self)
        self.reprocess_action.register()
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        if canvas is not None and hasattr(canvas, "contextMenuAboutToShow"):
            canvas.contextMenuAboutToShow.connect(self._canvas_menu)

    def _job_acted_on(self, job: BatchJob) -> None:
        if self._unloaded:
            return
        self.jobs_panel.add_or_update(job)
        if self.job_actions_bar.job is not None and self.job_actions_bar.job.id == job.id:
            self.job_actions_bar.set_job(job)

    def _outputs_opened(self, job: BatchJob, layers) -> None:
        if self._unloaded:
            return
        access = self.output_access(job)
        if layers and access is not None:  # how to reach the bucket when the project is read again
            bucket = (job.output_url or "").split("/")[2]
            remember_bucket_access(bucket, access.endpoint_url, access.region, self.form.s3_auth.configId())
        if layers:
            self.iface.messageBar().pushMessage(
                "Tilewise",
                f"{len(layers)} layer(s) of job {job.id[:8]}… added.",
                level=Qgis.MessageLevel.Success,
                duration=5,
            )
        if layers.problems:
            shown = "; ".join(layers.problems[:3])
            more = f" (and {len(layers.problems) - 3} more in the log)" if len(layers.problems) > 3 else ""
            self._report(shown + more, Qgis.MessageLevel.Warning)
            for problem in layers.problems:
                QgsMessageLog.logMessage(problem, "Tilewise", Qgis.MessageLevel.Warning)

    def _download_finished(self, job: BatchJob, task) -> None:
        if self._unloaded:
            return
        copied = len(task.result) if task.result is not None else 0
        if task.error and task.error != "Cancelled.":
            self._report(
                f"Downloading the outputs of job {job.id[:8]}… failed: {task.error}",
                Qgis.MessageLevel.Critical,
            )
            return
        problems = task.result.problems if task.result is not None else []
        message = f"{copied} output(s) of job {job.id[:8]}… in {task.folder}"
        if task.error == "Cancelled.":
            message += " (cancelled: run it again to copy the rest)"
        self._report(message + (f"; {len(problems)} left out: {problems[0]}" if problems else "."),
                     Qgis.MessageLevel.Warning if problems else Qgis.MessageLevel.Success)  # fmt: skip

    def _canvas_menu(self, menu, event) -> None:
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
        found = self.job_actions.failed_tiles_at(rect)
        if not found:
            return
        menu.addSeparator()
        for layer, feature_id, name in found[:5]:
            job_id = str(layer.customProperty("tilewise/job_id") or "")
            action = menu.addAction(f"Reprocess failed tile {name} (job {job_id[:8]}…)")
            action.triggered.connect(
                lambda _=False, lyr=layer, fid=feature_id: self.job_actions.reprocess_tile(lyr, fid)
            )

    # === messages ======================================================================================

    def _service_failed(self, what: str, task: ClientCallTask) -> None:
        message = f"{what}: {with_hint(task)}"
        self._report(message, Qgis.MessageLevel.Critical)
        self.form.show_result(message + " Your form is unchanged: fix it and try again.")
        self._point_at_script_line(task.error or "")
        self.jobStageChanged.emit("failed", None)

    def _point_at_script_line(self, message: str) -> None:
        """A service message about the evalscript that names a line is shown on that line."""
        match = re.search(r"evalscript[^\n]*?line (\d+)|line (\d+)[^\n]*?evalscript", message, re.IGNORECASE)
        if match:
            line = int(match.group(1) or match.group(2))
            self.show_problems((FieldProblem("evalscript", message, line),))

    def _report(self, message: str, level) -> None:
        self.iface.messageBar().pushMessage("Tilewise", message, level=level, duration=10)

    # === life cycle ====================================================================================

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.save_settings()
        super().closeEvent(event)

    def unload(self) -> None:
        self._unloaded = True
        self.save_settings()
        for task in list(self.tasks.values()):
            task.cancel()
        self.tasks.clear()
        self.form.unload()
        self.jobs_panel.unload()
        self.job_actions.unload()
        self.job_history.unload()
        self.reprocess_action.unregister()
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        with contextlib.suppress(TypeError, RuntimeError, AttributeError):
            canvas.contextMenuAboutToShow.disconnect(self._canvas_menu)
        self.job_monitor.unload()
        self.connection.close_client()
        with contextlib.suppress(TypeError, RuntimeError):
            self.iface.currentLayerChanged.disconnect(self._layer_changed)
        self._layer_changed(None)


# === helpers (no state) ==============================================================================


def polygon_layer(layer: Optional[QgsMapLayer]) -> QgsVectorLayer:
    if layer is None:
        raise UserInputError("No active layer: select a polygon layer in the Layers panel.")
    if (
        not isinstance(layer, QgsVectorLayer)
        or layer.geometryType() != QgsWkbTypes.GeometryType.PolygonGeometry
    ):
        raise UserInputError(
            f"The active layer “{layer.name()}” is not a polygon layer: select a polygon layer in the Layers panel."
        )
    if layer.featureCount() == 0:
        raise UserInputError(f"The layer “{layer.name()}” has no features: add or load polygons first.")
    return layer


def epsg_of(crs: QgsCoordinateReferenceSystem) -> Optional[int]:
    authid = crs.authid()
    if authid.upper().startswith("EPSG:") and authid[5:].isdigit():
        return int(authid[5:])
    return None


def describe_estimate(cost: CostEstimate, mosaicking: str) -> str:
    samples = f"{cost.samples} sample(s) per pixel" + (
        " (one every 3 days, as Sentinel Hub assumes)" if mosaicking.upper() != "SIMPLE" else ""
    )
    return (
        f"{samples}; estimate (as a v1 analysis reports it) <b>{cost.value_estimate:,.1f} PU</b>; expected "
        f"charge (batch ⅓ factor, 100 PU minimum) <b>{cost.expected_charge:,.1f} PU</b>"
    )


__all__ = ["TilewiseDock", "UserInputError", "V1", "V2"]
