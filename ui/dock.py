"""The Tilewise dock, a controller: it wires the connection bar (ui/connection_bar.py), the job form
(ui/job_form_widget.py), the submission flow (core/submission.py: prepare → create → analyse → estimate, each
step in a task of its TaskRunner), the previews, the confirmation and the start; and the jobs once they exist
(ui/jobs_controller.py: the Jobs tab, their actions and the monitor, attached through signals).

Every network call and every slow step (reading the evalscript, listing tiles) runs in a QgsTask; this module
only moves values between widgets and core/ (ui → core → HTTP).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
from typing import Optional

from qgis.core import Qgis, QgsFeature, QgsProject, QgsVectorLayer
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QTimer, pyqtSignal
from qgis.PyQt.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ..core import project_jobs, submission
from ..core.area import AreaOfInterest
from ..core.client import BatchClient
from ..core.connections import ConnectionStore, is_local_engine
from ..core.deployments import Deployment
from ..core.grids import GridTile, TileSelection
from ..core.http import Cancel
from ..core.job_form import FieldProblem, FormInvalid, JobDraft, check_draft, preview_request
from ..core.jobs import BatchJob
from ..core.statuses import V1, V2
from ..core.storage import S3Access
from ..core.submission import StartSummary
from ..core.tasks import ClientCallTask, TileEnumerationTask, TilingRequest
from ..core.tile_features import tile_features
from .area_picker import AreaPicker
from .connection_bar import ConnectionBar
from .field_statistics_panel import FieldStatisticsPanel
from .form_footer import page_with_footer
from .i18n import tr
from .job_form_widget import JobFormWidget
from .jobs_controller import JobsController
from .jobs_panel import JobsPanel
from .map_area import UserInputError, canvas_extent
from .messages import with_hint
from .preview_layers import add_preview_layer, preview_names
from .start_dialog import StartJobDialog
from .task_runner import TaskRunner
from .tile_layer import GRID_PREVIEW_GROUP, add_to_group, build_tile_layer

PREVIEW_GROUP = GRID_PREVIEW_GROUP
METRES_PER_DEGREE = 111_320.0
MINIMUM_WIDTH = 440


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
        self.runner = TaskRunner(self)  # the running QgsTasks by purpose
        self.selection: Optional[TileSelection] = None
        self.layer: Optional[QgsVectorLayer] = None  # the grid preview layer
        self.area_km2 = 0.0
        self.pending_job: Optional[BatchJob] = None  # analysed, waiting for the user's confirmation
        self.pending_summary: Optional[StartSummary] = None
        self.start_dialog: Optional[StartJobDialog] = None
        self._build()
        self.form.restore()
        self.runner.busyChanged.connect(self._update_busy)
        self.area = AreaPicker(iface, self.form)  # the area of every job, chosen explicitly
        self.form.set_area_widget(self.area)
        self.area.changed.connect(self.refresh_area_summary)
        self.refresh_area_summary()
        # the deployment is connected (credentials from QgsAuthManager, the engine's status task) at the next turn
        # of the event loop: done here, it doubled the time QGIS froze while the dock opened (bench_dock)
        self.connect_timer = QTimer(self)  # the dock's child: gone with it, so never fires on a deleted dock
        self.connect_timer.setSingleShot(True)
        self.connect_timer.timeout.connect(self.connection.reload_deployments)
        self.connect_timer.start(0)
        # jobs once created: the Jobs tab, the actions on them, the map of a running job's tiles (its progress
        # shown under the form), the jobs a project remembers
        self.jobs = JobsController(
            self.iface, self.store, self.jobs_panel, lambda: self.client, self.output_access, self.tile_access,
            self.form.s3_auth.configId, self._report, self,
        )  # fmt: skip
        self.jobs.monitor.statusChanged.connect(self.form.show_result)
        self.jobStageChanged.connect(self._watch_started)
        self.destroyed.connect(lambda *_: self.jobs.monitor.unload())

    # === building the dock ==============================================================================

    def _build(self) -> None:
        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)

        self.connection = ConnectionBar(self.store, self.runner.run, body)
        column.addWidget(self.connection)
        self.tabs = QTabWidget(body)
        self.form = JobFormWidget(self.tabs)
        self.tabs.addTab(page_with_footer(self.form, self.form.footer, self.tabs), tr("New job"))
        self.jobs_panel = JobsPanel(self.tabs)
        self.tabs.addTab(self.jobs_panel, tr("Jobs"))
        self.field_statistics = FieldStatisticsPanel(
            self.iface,
            lambda: self.client,
            lambda: self.bucket_access(self.connection.deployment().id),
            self.tabs,
        )
        self.tabs.addTab(self.field_statistics, tr("Field statistics"))
        column.addWidget(self.tabs, 1)
        self.setWidget(body)

        self.connection.clientChanged.connect(self._client_changed)
        self.connection.engineStatusRead.connect(
            lambda status: self.form.set_engine_output_root(str(status.get("outputRoot") or ""))
        )
        self.connection.engineStatusRead.connect(
            lambda status: self.field_statistics.set_engine_output_root(str(status.get("outputRoot") or ""))
        )
        form, footer = self.form, self.form.footer
        for signal, slot in (
            (form.costInputsChanged, self.refresh_cost),
            (footer.preview_button.clicked, self.start_preview),
            (footer.preview_extent_button.clicked, self.preview_map_extent),
            (footer.preview_tile_button.clicked, self.preview_tile),
            (footer.create_button.clicked, self.create_job),
            (footer.start_button.clicked, self.confirm_start),
            (footer.cancel_button.clicked, self.cancel_running),
        ):
            signal.connect(slot)

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
        if not is_local_engine(deployment):
            self.field_statistics.set_engine_output_root("")  # batch files in a bucket, never a folder
        self.form.set_api_version(self.connection.api_version())
        self.jobs_panel.set_client(client, deployment.id, deployment.name)  # cancels its loads first

    def _watch_started(self, stage: str, job: Optional[BatchJob]) -> None:
        if stage == "started" and job is not None:
            self.jobs.watch_started(job)

    # === the area ======================================================================================

    def refresh_area_summary(self, *_args) -> None:
        try:
            text = self.area.describe()
        except UserInputError as exc:
            self.form.area_label.setText(str(exc))
            return
        if self.selection is not None and self.area_km2:
            text += tr(" — {area} km² at the last preview").format(area=f"{self.area_km2:,.1f}")
        self.form.area_label.setText(text)

    def collect_request(self) -> TilingRequest:
        return self.form.tiling_request(*self.area.collect())

    # === the form ======================================================================================

    def draft(self) -> JobDraft:
        """The form's values (S3 keys read from QgsAuthManager only here, when they are needed)."""
        return self.form.draft(self.store.s3_keys)

    def show_problems(self, problems: tuple[FieldProblem, ...]) -> None:
        """Mark each field at fault, focus the first, list every problem under the buttons, and say so."""
        lines = self.form.show_problems(problems, {"credentials": self.connection.connection_label})
        if lines:
            many = tr("{count} problems in the job form: {first}").format(count=len(lines), first=lines[0])
            self._report(lines[0] if len(lines) == 1 else many, Qgis.MessageLevel.Warning)

    def clear_problems(self) -> None:
        self.form.clear_problems()

    # === task plumbing =================================================================================

    def _update_busy(self, *_args) -> None:
        self.form.set_busy(list(self.runner.tasks), self.pending_job is not None)

    def cancel_running(self) -> None:
        self.runner.cancel(keep=("engine",))
        self.form.show_result(tr("Cancelled. A job already created stays on the service: see the Jobs tab."))

    def _need_client(self) -> Optional[BatchClient]:
        if self.client is None:
            self.show_problems(
                (FieldProblem("credentials", self.connection.client_problem or tr("Choose a deployment.")),)
            )
        return self.client

    # === grid preview ==================================================================================

    def start_preview(self) -> None:
        if "tiles" in self.runner.tasks:
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
        self.form.show_result(tr("Listing tiles…"))
        self.runner.start("tiles", TileEnumerationTask(request, self._preview_done))

    def cancel_preview(self) -> None:
        task = self.runner.tasks.get("tiles")
        if task is not None:
            task.cancel()

    def _preview_done(self, task: TileEnumerationTask) -> None:
        if not self.runner.release("tiles", task):
            return
        if task.result is None:
            if task.isCanceled():
                self.form.show_result(tr("Preview cancelled."))
            else:
                self.form.show_result(task.error or "")
                self._report(task.error or tr("Listing the tiles failed."), Qgis.MessageLevel.Warning)
            self.previewFinished.emit(None)
            return
        layer = self._show_tiles(task.result.selection, task.result.features, task.result.area)
        self.previewFinished.emit(layer)

    def _show_tiles(
        self, selection: TileSelection, features: list[QgsFeature], area: AreaOfInterest
    ) -> QgsVectorLayer:
        grid = selection.grid
        tile_metres = grid.tile_size * (METRES_PER_DEGREE if grid.unit == "DEGREE" else 1)
        name = tr("Tiles: grid {grid} @ {resolution} {unit} ({count})").format(
            grid=grid.id,
            resolution=f"{selection.resolution:g}",
            unit=grid.unit_symbol,
            count=f"{len(selection):,}",
        )
        layer = build_tile_layer(name, features, tile_metres)
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
        self.form.show_cost(self.selection, self.area_km2)

    # === Process API previews ==========================================================================

    def preview_map_extent(self) -> None:
        self._raster_preview(*canvas_extent(self.iface.mapCanvas()), tr("map extent"))

    def preview_tile(self) -> None:
        tile = self.chosen_tile()
        if tile is None:
            message = tr(
                "Preview the tiles first, then select one tile on the map (or the first one is used)."
            )
            self._report(message, Qgis.MessageLevel.Warning)
            self.rasterPreviewFinished.emit(None)
            return
        self._raster_preview(tile.buffered_bounds, tile.epsg, tile.buffered_width, tile.buffered_height,
                             tr("tile {name}").format(name=tile.name))  # fmt: skip

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

        self.form.show_result(tr("Previewing the script on the {where}…").format(where=where))
        name = preview_names(
            self.form.script_editor.preset_name(), output_id, where, draft.time_from, draft.time_to
        )
        self.runner.run(
            "raster_preview",
            tr("preview on the {where}").format(where=where),
            run,
            lambda task: self._raster_preview_done(task, name),
        )

    def _raster_preview_done(self, task: ClientCallTask, name: tuple[str, str]) -> None:
        if isinstance(task.result, FormInvalid):
            self.show_problems(task.result.problems)
            self.rasterPreviewFinished.emit(None)
            return
        if task.result is None:
            self._service_failed(tr("The preview failed"), task)
            self.rasterPreviewFinished.emit(None)
            return
        try:
            layer = add_preview_layer(task.result.content, *name)
        except ValueError as exc:
            self._report(str(exc), Qgis.MessageLevel.Critical)
            self.rasterPreviewFinished.emit(None)
            return
        self.form.show_result(tr("Preview added: {name}").format(name=layer.name()))
        self.rasterPreviewFinished.emit(layer)

    # === create, analyse, confirm, start ===============================================================

    def create_job(self) -> None:
        """Check the form, list the tiles, create the job and analyse it (core/submission.py, each step in a
        task); then ask to confirm the start."""
        self.clear_problems()
        problems: list[FieldProblem] = []
        geometries, crs = (), ""
        try:
            geometries, crs = self.area.collect()
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
                FieldProblem("credentials", self.connection.client_problem or tr("Choose a deployment."))
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
                prepared = submission.prepare(draft, geometries, crs, version, engine, max_tiles)
            except FormInvalid as exc:
                return exc
            return prepared, tile_features(prepared.selection.tiles, prepared.footprint_wkb, "PREVIEW")

        self.form.show_result(tr("Checking the job and listing its tiles…"))
        self.runner.run(
            "prepare", tr("preparing the batch job"), prepare, lambda task: self._prepared(task, client)
        )

    def _prepared(self, task: ClientCallTask, client: BatchClient) -> None:
        outcome = task.result
        if isinstance(outcome, FormInvalid):
            self.show_problems(outcome.problems)
            self.form.show_result(tr("Nothing was sent: fix the fields marked in red."))
            self.jobStageChanged.emit("invalid", None)
            return
        if not isinstance(outcome, tuple):
            self._service_failed(tr("Preparing the job failed"), task)
            return
        outcome, features = outcome  # the PreparedJob and its tile features, made in the task
        self._show_tiles(outcome.selection, features, outcome.area)
        self.form.show_result(
            tr("{count} tiles; creating the job on {deployment}…").format(
                count=f"{len(outcome.selection):,}", deployment=client.deployment.name
            )
        )
        create = functools.partial(submission.create, client, outcome)
        self.runner.run(
            "create", tr("creating the batch job"), create, lambda t: self._created(t, client, outcome)
        )

    def _created(self, task: ClientCallTask, client: BatchClient, prepared: submission.PreparedJob) -> None:
        job = self._job_of(task, tr("The service refused the job"))
        if job is None:
            return
        project_jobs.remember(job)
        self.jobStageChanged.emit("created", job)
        self.form.show_result(tr("Created job {id}; analysing…").format(id=job.id))
        analyse = functools.partial(submission.analyse, client, job)
        self.runner.run(
            "analyse",
            tr("analysing job {id}").format(id=job.id),
            analyse,
            lambda t: self._analysed(t, client, prepared),
        )

    def _analysed(self, task: ClientCallTask, client: BatchClient, prepared: submission.PreparedJob) -> None:
        job = self._job_of(task, tr("The analysis failed"))
        if job is None:
            return
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
            tr("Job {id} analysed: {count} tiles, ").format(id=job.id, count=f"{summary.tile_count:,}")
            + (
                tr("{estimate} PU by the service's estimate. ").format(estimate=f"{job.value_estimate:,.1f}")
                if job.value_estimate is not None
                else ""
            )
            + tr("Confirm to start it.")
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
        reason = (
            tr(" (over the PU budget)") if self.pending_summary and self.pending_summary.over_budget else ""
        )
        self.form.show_result(
            tr(
                "Job {id} is analysed and waits{reason}: press “Start…” to start it, or leave it (an analysed job "
                "costs nothing)."
            ).format(id=job.id, reason=reason)
        )
        self.jobStageChanged.emit("declined", job)

    def start_pending_job(self) -> None:
        job, client = self.pending_job, self.client
        if job is None or client is None:
            return
        if self.pending_summary is not None and self.pending_summary.over_budget:
            self.show_problems(
                (FieldProblem("budget", tr("The job is expected to cost more than your PU budget.")),)
            )
            return

        def start(cancel: Cancel) -> BatchJob:
            client.start(job.id, cancel)
            return client.get(job.id, cancel)

        self.form.show_result(tr("Starting job {id}…").format(id=job.id))
        self.runner.run("start", tr("starting job {id}").format(id=job.id), start, self._started)

    def _started(self, task: ClientCallTask) -> None:
        job = self._job_of(task, tr("Starting the job failed"))
        if job is None:
            return
        self.pending_job, self.pending_summary = None, None
        self._update_busy()
        project_jobs.remember(job)
        message = tr("Job {id}… started ({status}): follow it in the Jobs tab.").format(
            id=job.id[:8], status=job.status
        )
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
        return self.bucket_access(job.deployment)

    def bucket_access(self, deployment_id: str) -> S3Access:
        """A deployment's buckets as this machine reaches them (jobs' outputs, field statistics' files)."""
        endpoint = self.connection.s3_endpoint(deployment_id)
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

    # === messages ======================================================================================

    def _job_of(self, task: ClientCallTask, failure: str) -> Optional[BatchJob]:
        """The job a step returned, shown in the Jobs tab; None (and the failure said) when the step failed."""
        if not isinstance(task.result, BatchJob):
            self._service_failed(failure, task)
            return None
        self.jobs_panel.add_or_update(task.result)
        return task.result

    def _service_failed(self, what: str, task: ClientCallTask) -> None:
        message = tr("{what}: {details}").format(what=what, details=with_hint(task))
        self._report(message, Qgis.MessageLevel.Critical)
        self.form.show_result(message + tr(" Your form is unchanged: fix it and try again."))
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
        self.connect_timer.stop()
        self.save_settings()
        self.runner.close()
        self.form.unload()
        self.field_statistics.unload()
        self.jobs.unload()
        self.connection.close_client()
        self.area.unload()


__all__ = ["TilewiseDock", "UserInputError", "V1", "V2"]
