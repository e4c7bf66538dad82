"""The Tilewise dock: connect to a deployment, describe a batch job over the selected polygons, preview it,
create and analyse it, confirm its cost and start it; and the list of jobs.

Every network call and every slow step (reading the evalscript, listing tiles) runs in a QgsTask; this module
only moves values between widgets and core/ (ui → core → HTTP).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
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
    QgsSettings,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsAuthConfigSelect, QgsDockWidget, QgsDoubleSpinBox, QgsFileWidget, QgsScrollArea
from qgis.PyQt.QtCore import QDate, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core import project_jobs
from ..core.area import AreaError, AreaOfInterest
from ..core.batch_models import TilingGridSpec
from ..core.client import BatchClient, wait_for_analysis
from ..core.connections import ConnectionStore, CredentialsError, is_local_engine
from ..core.costs import CostEstimate
from ..core.crs import CrsError
from ..core.deployments import V1, V2, DeploymentError
from ..core.evalscript import ScriptInfo
from ..core.grids import (
    DEFAULT_MAX_TILES,
    GRIDS,
    GridError,
    GridTile,
    TileSelection,
    get_grid,
    tiles_for_area,
)
from ..core.http import Cancel
from ..core.job_form import (
    COLLECTIONS,
    MOSAICKING_ORDERS,
    FieldProblem,
    FormInvalid,
    JobDraft,
    check_draft,
    estimate,
    job_spec,
    preview_request,
)
from ..core.jobs import BatchJob
from ..core.qgis_geometry import to_shapely
from ..core.storage import S3Access
from ..core.tasks import ClientCallTask, TileEnumerationTask, TilingRequest
from .evalscript_editor import EvalscriptEditor
from .job_actions import JobActions, ReprocessTileAction
from .job_actions_bar import JobActionsBar
from .job_history import JobHistory, remember_bucket_access
from .job_monitor import attach_to_dock
from .jobs_panel import JobsPanel
from .messages import with_hint
from .preview_layers import add_preview_layer
from .start_dialog import StartJobDialog, StartSummary
from .tile_layer import add_to_group, build_tile_layer

SETTINGS_PREFIX = "tilewise/job_form/"
PREVIEW_GROUP = "Tilewise grid preview"
METRES_PER_DEGREE = 111_320.0
ANALYSIS_POLL_S = 1.0
ANALYSIS_TIMEOUT_S = 600.0
ERROR_STYLE = "border: 1px solid #c62828; background: #ffebee"
S3, FOLDER = "s3", "folder"
S3_KEYS_TIP = {
    V2: "An authentication configuration of type Basic whose user name is the S3 access key and whose password "
    "is the secret key. Batch API v2 writes the outputs with them (without, with the service's own identity); "
    "Tilewise reads the tile statuses and opens the outputs with them.",
    V1: "An authentication configuration of type Basic whose user name is the S3 access key and whose password "
    "is the secret key. Batch API v1 writes with the service's own identity (bucket policy); Tilewise opens "
    "the outputs with these keys (without, with the AWS credentials of this machine).",
}
ENGINE_S3_ENDPOINT_KEY = (
    "tilewise/engine_s3_endpoint/"  # + deployment id: the engine's S3 endpoint, last read
)
MINIMUM_WIDTH = 440


class UserInputError(ValueError):
    """Something the user can fix in QGIS; the message says how."""


@dataclass
class PreparedJob:
    """What the background preparation found: the job is ready to send."""

    info: ScriptInfo
    area: AreaOfInterest
    selection: TileSelection
    footprint_wkb: list[bytes]
    estimate: CostEstimate
    spec: object  # core.client.JobSpec


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
        self.client: Optional[BatchClient] = None
        self.client_problem: Optional[str] = None
        self.engine_status: Optional[dict] = None
        self.tasks: dict[str, object] = {}  # running QgsTasks by purpose: references keep them alive
        self.selection: Optional[TileSelection] = None
        self.layer: Optional[QgsVectorLayer] = None  # the grid preview layer
        self.area_km2 = 0.0
        self.pending_job: Optional[BatchJob] = None  # analysed, waiting for the user's confirmation
        self.pending_summary: Optional[StartSummary] = None
        self.start_dialog: Optional[StartJobDialog] = None
        self.marked: dict[str, tuple[QWidget, str]] = {}
        self._unloaded = False
        self._build()
        self._restore_settings()
        self._connect_layer_signals()
        self.refresh_area_summary()
        self.reload_deployments()
        # started jobs recolour their tile layer as they run; v2 tiles are read from the bucket
        self.job_monitor = attach_to_dock(
            self, self.tile_access, lambda job: self.job_actions.client_for(job)
        )
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

        connection = QHBoxLayout()
        self.deployment_combo = QComboBox(body)
        self.deployment_combo.setToolTip("Where batch jobs run.")
        self.version_combo = QComboBox(body)
        self.version_combo.setToolTip("Batch API version: v2 is current; v1 has per-tile actions.")
        self.settings_button = QToolButton(body)
        self.settings_button.setIcon(QgsApplication.getThemeIcon("/mActionOptions.svg"))
        self.settings_button.setToolTip("Deployments and credentials…")
        self.help_button = QToolButton(body)
        self.help_button.setIcon(QgsApplication.getThemeIcon("/mActionHelpContents.svg"))
        self.help_button.setToolTip("Open the Tilewise user guide")
        connection.addWidget(self.deployment_combo, 1)
        connection.addWidget(self.version_combo)
        connection.addWidget(self.settings_button)
        connection.addWidget(self.help_button)
        column.addLayout(connection)
        self.connection_label = QLabel(body)
        self.connection_label.setWordWrap(True)
        column.addWidget(self.connection_label)

        self.tabs = QTabWidget(body)
        self.tabs.addTab(self._build_job_form(), "New job")
        self.jobs_panel = JobsPanel(self.tabs)
        self.tabs.addTab(self.jobs_panel, "Jobs")
        column.addWidget(self.tabs, 1)
        self.setWidget(body)

        self.deployment_combo.currentIndexChanged.connect(self._deployment_chosen)
        self.version_combo.currentIndexChanged.connect(self._version_chosen)
        self.settings_button.clicked.connect(self.open_settings)
        self.help_button.clicked.connect(open_user_guide)

    def _build_job_form(self) -> QWidget:
        scroll = QgsScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )  # the form follows the dock's width
        form = QWidget(scroll)
        column = QVBoxLayout(form)

        area_box = QGroupBox("Area", form)
        area_layout = QVBoxLayout(area_box)
        self.area_label = QLabel(area_box)
        self.area_label.setWordWrap(True)
        area_layout.addWidget(self.area_label)
        column.addWidget(area_box)

        script_box = QGroupBox("Evalscript", form)
        script_layout = QVBoxLayout(script_box)
        presets = Path(QgsApplication.qgisSettingsDirPath()) / "tilewise" / "evalscripts"
        self.script_editor = EvalscriptEditor(presets, script_box)
        script_layout.addWidget(self.script_editor)
        column.addWidget(script_box)

        data_box = QGroupBox("Data", form)
        data_form = QFormLayout(data_box)
        self.collection_combo = QComboBox(data_box)
        self.collection_combo.setEditable(True)
        for key, label in COLLECTIONS.items():
            self.collection_combo.addItem(key, key)
            self.collection_combo.setItemData(
                self.collection_combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole
            )
        self.collection_combo.setToolTip("A collection, or byoc-<collection id> for your own.")
        self.date_from = QDateEdit(data_box)
        self.date_to = QDateEdit(data_box)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.cloud_spin = QSpinBox(data_box)
        self.cloud_spin.setRange(-1, 100)
        self.cloud_spin.setSpecialValueText("Any")
        self.cloud_spin.setSuffix(" %")
        self.cloud_spin.setToolTip("Skip scenes cloudier than this.")
        self.mosaicking_combo = QComboBox(data_box)
        self.mosaicking_combo.addItems(MOSAICKING_ORDERS)
        data_form.addRow("Collection", self.collection_combo)
        data_form.addRow("From", self.date_from)
        data_form.addRow("To", self.date_to)
        data_form.addRow("Max cloud cover", self.cloud_spin)
        data_form.addRow("Mosaicking order", self.mosaicking_combo)
        column.addWidget(data_box)

        outputs_box = QGroupBox("Outputs", form)
        outputs_form = QFormLayout(outputs_box)
        self.outputs_label = QLabel("Read from the script's setup().", outputs_box)
        self.outputs_label.setWordWrap(True)
        self.format_combo = QComboBox(outputs_box)
        self.format_combo.addItem("GeoTIFF", False)
        self.format_combo.addItem("Cloud-optimised GeoTIFF (COG)", True)
        self.preview_output_combo = QComboBox(outputs_box)
        self.preview_output_combo.setToolTip("Which output a preview shows.")
        outputs_form.addRow("From setup()", self.outputs_label)
        outputs_form.addRow("Format", self.format_combo)
        outputs_form.addRow("Preview output", self.preview_output_combo)
        column.addWidget(outputs_box)

        grid_box = QGroupBox("Tiling grid", form)
        grid_form = QFormLayout(grid_box)
        self.grid_combo = QComboBox(grid_box)
        for grid in GRIDS.values():
            self.grid_combo.addItem(f"{grid.id}: {grid.name}", grid.id)
        self.resolution_combo = QComboBox(grid_box)
        self.buffer_x = QSpinBox(grid_box)
        self.buffer_y = QSpinBox(grid_box)
        for spin in (self.buffer_x, self.buffer_y):
            spin.setRange(0, 10_000)
            spin.setSuffix(" px")
        self.max_tiles = QSpinBox(grid_box)
        self.max_tiles.setRange(1, 10_000_000)
        self.max_tiles.setSingleStep(1000)
        self.max_tiles.setValue(DEFAULT_MAX_TILES)
        self.max_tiles.setToolTip("Refuse areas that need more tiles than this.")
        buffers = QHBoxLayout()
        buffers.addWidget(QLabel("X", grid_box))
        buffers.addWidget(self.buffer_x)
        buffers.addWidget(QLabel("Y", grid_box))
        buffers.addWidget(self.buffer_y)
        grid_form.addRow("Grid", self.grid_combo)
        grid_form.addRow("Resolution", self.resolution_combo)
        grid_form.addRow("Buffer", buffers)
        grid_form.addRow("Tile limit", self.max_tiles)
        column.addWidget(grid_box)

        output_box = QGroupBox("Output location", form)
        output_form = QFormLayout(output_box)
        self.location_combo = QComboBox(output_box)
        self.location_combo.addItem("S3 bucket", S3)
        self.location_combo.addItem("Local folder (Tilewise engine)", FOLDER)
        self.s3_url_edit = QLineEdit(output_box)
        self.s3_url_edit.setPlaceholderText(
            "s3://bucket/folder  or  s3://bucket/<requestId>/<tileName>/<outputId>.<format>"
        )
        self.s3_url_edit.setToolTip(
            "A folder (tiles go to <folder>/<requestId>/<tileName>/<outputId>.<format>) or a template with "
            "<requestId>, <tileName> or <tileId>, <outputId> (needed with several outputs) and <format>."
        )
        self.folder_widget = QgsFileWidget(output_box)
        self.folder_widget.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.folder_widget.setToolTip("A folder the engine may write to (under its output root).")
        self.s3_auth = QgsAuthConfigSelect(output_box)
        self.s3_auth.setToolTip(S3_KEYS_TIP[V2])
        self.s3_region_edit = QLineEdit(output_box)
        self.s3_region_edit.setPlaceholderText("e.g. eu-central-1 (optional)")
        self.overwrite_check = QCheckBox("Overwrite existing files", output_box)
        self.skip_existing_check = QCheckBox("Skip tiles whose files exist", output_box)
        output_form.addRow("Write to", self.location_combo)
        output_form.addRow("S3 URL", self.s3_url_edit)
        output_form.addRow("Folder", self.folder_widget)
        output_form.addRow("S3 keys", self.s3_auth)
        output_form.addRow("S3 region", self.s3_region_edit)
        output_form.addRow(self.overwrite_check)
        output_form.addRow(self.skip_existing_check)
        self.output_form = output_form
        column.addWidget(output_box)

        job_box = QGroupBox("Job", form)
        job_form = QFormLayout(job_box)
        self.description_edit = QLineEdit(job_box)
        self.description_edit.setPlaceholderText("What this job is for")
        self.budget_spin = QgsDoubleSpinBox(job_box)
        self.budget_spin.setRange(0, 1e9)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSingleStep(100)
        self.budget_spin.setSpecialValueText("No limit")
        self.budget_spin.setClearValue(0)
        self.budget_spin.setSuffix(" PU")
        self.budget_spin.setToolTip("Refuse to start a job expected to cost more processing units than this.")
        job_form.addRow("Description", self.description_edit)
        job_form.addRow("PU budget", self.budget_spin)
        column.addWidget(job_box)

        previews = QHBoxLayout()
        previews.addWidget(QLabel("Preview:", form))
        self.preview_button = QPushButton("Tiles", form)
        self.preview_button.setToolTip(
            "Add the tiles this job will produce to the map, with the PU estimate."
        )
        self.preview_extent_button = QPushButton("Map extent", form)
        self.preview_extent_button.setToolTip(
            "Run the script on the map's extent (Process API) and add the result."
        )
        self.preview_tile_button = QPushButton("One tile", form)
        self.preview_tile_button.setToolTip("Run the script on the selected tile of the grid preview.")
        previews.addWidget(self.preview_button)
        previews.addWidget(self.preview_extent_button)
        previews.addWidget(self.preview_tile_button)
        column.addLayout(previews)
        actions = QHBoxLayout()
        self.create_button = QPushButton("Create and analyse", form)
        self.create_button.setToolTip(
            "Send the job, analyse it, then show its cost before anything is processed."
        )
        self.start_button = QPushButton("Start…", form)
        self.start_button.setToolTip("Confirm and start the analysed job.")
        self.start_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel", form)
        self.cancel_button.setToolTip("Stop waiting for what runs now (a job already created stays).")
        self.cancel_button.setEnabled(False)
        actions.addWidget(self.create_button)
        actions.addWidget(self.start_button)
        actions.addWidget(self.cancel_button)
        column.addLayout(actions)

        self.problems_label = QLabel(form)
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #b71c1c")
        self.result_label = QLabel(form)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.problems_label)
        column.addWidget(self.result_label)
        column.addStretch(1)
        for combo in form.findChildren(QComboBox):  # long names must not widen the dock: they elide
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        scroll.setWidget(form)

        self.grid_combo.currentIndexChanged.connect(self._grid_changed)
        self.location_combo.currentIndexChanged.connect(self._location_changed)
        self.script_editor.infoChanged.connect(self._script_read)
        self.preview_button.clicked.connect(self.start_preview)
        self.preview_extent_button.clicked.connect(self.preview_map_extent)
        self.preview_tile_button.clicked.connect(self.preview_tile)
        self.create_button.clicked.connect(self.create_job)
        self.start_button.clicked.connect(self.confirm_start)
        self.cancel_button.clicked.connect(self.cancel_running)
        for signal in (self.date_from.dateChanged, self.date_to.dateChanged):
            signal.connect(self.refresh_cost)
        self._grid_changed()
        return scroll

    def _grid_changed(self, *_args) -> None:
        grid = get_grid(self.grid_combo.currentData())
        previous = self.resolution_combo.currentData()
        self.resolution_combo.clear()
        for resolution in grid.resolutions:
            pixels = grid.tile_pixels(resolution)
            self.resolution_combo.addItem(
                f"{resolution:g} {grid.unit_symbol}  ({pixels:,} × {pixels:,} px per tile)", resolution
            )
        index = self.resolution_combo.findData(previous)
        self.resolution_combo.setCurrentIndex(max(index, 0))

    def _location_changed(self, *_args) -> None:
        folder = self.location_combo.currentData() == FOLDER
        for widget, visible in (
            (self.s3_url_edit, not folder),
            (self.folder_widget, folder),
            (self.s3_auth, not folder),
            (self.s3_region_edit, not folder),
        ):
            widget.setVisible(visible)
            label = self.output_form.labelForField(widget)
            if label is not None:
                label.setVisible(visible)
        self._update_s3_keys_state()

    def _update_s3_keys_state(self) -> None:
        self.s3_auth.setToolTip(S3_KEYS_TIP[V2 if self.version_combo.currentData() == V2 else V1])

    # === settings ======================================================================================

    def _restore_settings(self) -> None:
        settings = QgsSettings()

        def value(key: str, default, kind=str):
            return settings.value(SETTINGS_PREFIX + key, default, type=kind)

        self.grid_combo.setCurrentIndex(max(0, self.grid_combo.findData(value("grid", 1, int))))
        self.resolution_combo.setCurrentIndex(
            max(0, self.resolution_combo.findData(value("resolution", 10.0, float)))
        )
        self.buffer_x.setValue(value("buffer_x", 0, int))
        self.buffer_y.setValue(value("buffer_y", 0, int))
        self.max_tiles.setValue(value("max_tiles", DEFAULT_MAX_TILES, int))
        self.collection_combo.setCurrentText(value("collection", "sentinel-2-l2a"))
        default_to = date.today()
        default_from = default_to - timedelta(days=30)
        self.date_from.setDate(QDate.fromString(value("from", default_from.isoformat()), "yyyy-MM-dd"))
        self.date_to.setDate(QDate.fromString(value("to", default_to.isoformat()), "yyyy-MM-dd"))
        self.cloud_spin.setValue(value("cloud", -1, int))
        self.mosaicking_combo.setCurrentText(value("mosaicking_order", "mostRecent"))
        self.format_combo.setCurrentIndex(1 if value("cog", False, bool) else 0)
        self.location_combo.setCurrentIndex(max(0, self.location_combo.findData(value("location", S3))))
        self.s3_url_edit.setText(value("s3_url", ""))
        self.folder_widget.setFilePath(value("folder", ""))
        self.s3_auth.setConfigId(value("s3_authcfg", ""))
        self.s3_region_edit.setText(value("s3_region", ""))
        self.budget_spin.setValue(value("budget", 0.0, float))
        script = value("script", "")
        preset = value("preset", "True colour")
        if script:
            self.script_editor.editor.setText(script)
            self.script_editor.reload_presets(select=preset)
            self.script_editor.inspect()
        else:
            with contextlib.suppress(KeyError):
                self.script_editor.select_preset(preset)
        self._location_changed()

    def save_settings(self) -> None:
        """The form survives a restart of QGIS; nothing secret is in it (S3 keys are an auth config id)."""
        settings = QgsSettings()
        for key, value in {
            "grid": self.grid_combo.currentData(),
            "resolution": self.resolution_combo.currentData(),
            "buffer_x": self.buffer_x.value(),
            "buffer_y": self.buffer_y.value(),
            "max_tiles": self.max_tiles.value(),
            "collection": self.collection_combo.currentText().strip(),
            "from": self.date_from.date().toString("yyyy-MM-dd"),
            "to": self.date_to.date().toString("yyyy-MM-dd"),
            "cloud": self.cloud_spin.value(),
            "mosaicking_order": self.mosaicking_combo.currentText(),
            "cog": bool(self.format_combo.currentData()),
            "location": self.location_combo.currentData(),
            "s3_url": self.s3_url_edit.text().strip(),
            "folder": self.folder_widget.filePath(),
            "s3_authcfg": self.s3_auth.configId(),
            "s3_region": self.s3_region_edit.text().strip(),
            "budget": self.budget_spin.value(),
            "script": self.script_editor.script(),
            "preset": self.script_editor.preset_name(),
        }.items():
            settings.setValue(SETTINGS_PREFIX + key, value)

    # === deployment and client =========================================================================

    def reload_deployments(self, select: Optional[str] = None) -> None:
        select = select or self.store.current_id()
        self.deployment_combo.blockSignals(True)
        self.deployment_combo.clear()
        for deployment in self.store.deployments():
            self.deployment_combo.addItem(deployment.name, deployment.id)
        self.deployment_combo.setCurrentIndex(max(0, self.deployment_combo.findData(select)))
        self.deployment_combo.blockSignals(False)
        self._deployment_chosen()

    def _deployment_chosen(self, *_args) -> None:
        deployment_id = self.deployment_combo.currentData()
        if not deployment_id:
            return
        self.store.set_current(deployment_id)
        deployment = self.store.deployment(deployment_id)
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for version in deployment.api_versions:
            self.version_combo.addItem(f"API v{version}", version)
        self.version_combo.setCurrentIndex(
            max(0, self.version_combo.findData(self.store.api_version(deployment_id)))
        )
        self.version_combo.blockSignals(False)
        local = is_local_engine(deployment)
        item = self.location_combo.model().item(self.location_combo.findData(FOLDER))
        item.setEnabled(local)
        if not local and self.location_combo.currentData() == FOLDER:
            self.location_combo.setCurrentIndex(self.location_combo.findData(S3))
        self.connect_client()

    def _version_chosen(self, *_args) -> None:
        version = self.version_combo.currentData()
        if version:
            self.store.set_api_version(self.deployment_combo.currentData(), version)
            self.connect_client()

    def connect_client(self) -> None:
        """A client for the chosen deployment and version (no network here; calls happen in tasks)."""
        previous = self.client
        self.client, self.client_problem, self.engine_status = None, None, None
        deployment = self.store.deployment(self.deployment_combo.currentData())
        version = self.version_combo.currentData() or deployment.default_version
        try:
            if not self.store.has_credentials(deployment.id):
                raise CredentialsError(
                    f"No credentials for {deployment.name}: add your client id and secret in the settings (⚙)."
                )
            self.client = self.store.client(deployment.id, version)
        except (CredentialsError, DeploymentError) as exc:
            self.client_problem = str(exc)
            self.connection_label.setStyleSheet("color: #b71c1c")
            self.connection_label.setText(self.client_problem)
        else:
            self.connection_label.setStyleSheet("")
            self.connection_label.setText(f"{deployment.name}, Batch API v{version}")
            if is_local_engine(deployment):
                self._run(
                    "engine",
                    "reading the engine's status",
                    self.client.engine_status,
                    self._engine_status_read,
                )
        self._update_s3_keys_state()
        self.jobs_panel.set_client(self.client, deployment.id, deployment.name)  # cancels its loads first
        if previous is not None:
            previous.close()

    def _engine_status_read(self, task: ClientCallTask) -> None:
        if not isinstance(task.result, dict):
            if task.error:
                self.connection_label.setStyleSheet("color: #b71c1c")
                self.connection_label.setText(f"{self.connection_label.text()}: {with_hint(task)}")
            return
        self.engine_status = task.result
        if self.client is not None:  # known before the status is read again (a project reopened at start)
            QgsSettings().setValue(
                ENGINE_S3_ENDPOINT_KEY + self.client.deployment.id,
                str(task.result.get("s3EndpointUrl") or ""),
            )
        root = str(task.result.get("outputRoot") or "")
        self.connection_label.setText(
            f"{self.connection_label.text()}: engine {task.result.get('version', '')} on the "
            f"{task.result.get('catalog', '?')} catalog, {task.result.get('workers', '?')} worker(s)"
        )
        if root and not self.folder_widget.filePath():
            self.folder_widget.setFilePath(str(Path(root) / "jobs"))
        self.folder_widget.setToolTip(f"A folder under the engine's output root, {root}.")

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.store, self, select=self.deployment_combo.currentData())
        dialog.deploymentChanged.connect(lambda deployment_id: self.reload_deployments(deployment_id))
        dialog.finished.connect(lambda _result: self.reload_deployments(self.store.current_id()))
        self.settings_dialog = dialog
        dialog.open()

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
            self.area_label.setText(str(exc))
            return
        selected = layer.selectedFeatureCount()
        if selected:
            text = f"{layer.name()}: {selected:,} selected polygon(s)"
        else:
            text = f"{layer.name()}: no selection, all {layer.featureCount():,} polygon(s)"
        if self.selection is not None and self.area_km2:
            text += f" — {self.area_km2:,.1f} km² at the last preview"
        self.area_label.setText(text)

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
        geometries, crs = self.collect_area()
        return TilingRequest(
            geometries=geometries,
            crs=crs,
            grid_id=int(self.grid_combo.currentData()),
            resolution=float(self.resolution_combo.currentData()),
            buffer_x=self.buffer_x.value(),
            buffer_y=self.buffer_y.value(),
            max_tiles=self.max_tiles.value(),
        )

    # === the form ======================================================================================

    def draft(self) -> JobDraft:
        """The form's values (S3 keys read from QgsAuthManager only here, when they are needed)."""
        access_key = secret_key = ""
        auth_id = self.s3_auth.configId()
        if auth_id and self.location_combo.currentData() == S3 and self.version_combo.currentData() == V2:
            keys = self.store.s3_keys(auth_id)
            if keys is None:
                raise FormInvalid([FieldProblem("s3_keys", "The chosen S3 authentication configuration is gone: "
                                                           "pick another or none.")])  # fmt: skip
            access_key, secret_key = keys.access_key, keys.secret_key
        cloud = self.cloud_spin.value()
        return JobDraft(
            evalscript=self.script_editor.script(),
            time_from=self.date_from.date().toPyDate(),
            time_to=self.date_to.date().toPyDate(),
            grid=TilingGridSpec(
                int(self.grid_combo.currentData()),
                float(self.resolution_combo.currentData()),
                self.buffer_x.value(),
                self.buffer_y.value(),
            ),
            output_url=self.output_url(),
            collection=self.collection_combo.currentText().strip(),
            max_cloud_coverage=None if cloud < 0 else float(cloud),
            mosaicking_order=self.mosaicking_combo.currentText(),
            cog=bool(self.format_combo.currentData()),
            overwrite=self.overwrite_check.isChecked(),
            skip_existing=self.skip_existing_check.isChecked(),
            description=self.description_edit.text(),
            s3_access_key=access_key,
            s3_secret_key=secret_key,
            s3_region=self.s3_region_edit.text().strip(),
        )

    def output_url(self) -> str:
        if self.location_combo.currentData() == FOLDER:
            folder = self.folder_widget.filePath().strip()
            return Path(folder).resolve().as_uri() if folder else ""
        return self.s3_url_edit.text().strip()

    def _field_widgets(self) -> dict[str, QWidget]:
        return {
            "area": self.area_label,
            "evalscript": self.script_editor.editor,
            "collection": self.collection_combo,
            "time": self.date_from,
            "cloud": self.cloud_spin,
            "grid": self.grid_combo,
            "output": self.folder_widget if self.location_combo.currentData() == FOLDER else self.s3_url_edit,
            "s3_keys": self.s3_auth,
            "credentials": self.connection_label,
            "budget": self.budget_spin,
        }

    def show_problems(self, problems: tuple[FieldProblem, ...]) -> None:
        """Mark each field at fault, focus the first, and list every problem under the buttons."""
        self.clear_problems()
        widgets = self._field_widgets()
        for problem in problems:
            if problem.field == "evalscript":
                self.script_editor.show_problem(problem.message, problem.line)
            widget = widgets.get(problem.field)
            if widget is not None and problem.field not in self.marked:
                self.marked[problem.field] = (widget, widget.toolTip())
                widget.setStyleSheet(ERROR_STYLE)
                widget.setToolTip(problem.message)
        if problems:
            first = widgets.get(problems[0].field)
            if first is not None:
                first.setFocus()
            lines = [(f"Line {p.line}: " if p.line else "") + p.message for p in problems]
            self.problems_label.setText("<br>".join(lines))
            self._report(lines[0] if len(lines) == 1 else f"{len(lines)} problems in the job form: {lines[0]}",
                         Qgis.MessageLevel.Warning)  # fmt: skip

    def clear_problems(self) -> None:
        for widget, tooltip in self.marked.values():
            with contextlib.suppress(RuntimeError):
                widget.setStyleSheet("")
                widget.setToolTip(tooltip)
        self.marked.clear()
        self.problems_label.clear()

    def _script_read(self, info: Optional[ScriptInfo]) -> None:
        self.preview_output_combo.clear()
        if info is None:
            self.outputs_label.setText("—  fix the evalscript first.")
        else:
            self.outputs_label.setText(
                "<br>".join(
                    f"<b>{o.id}</b>: {o.bands if o.bands is not None else '?'} band(s), {o.sample_type}"
                    for o in info.outputs
                )
            )
            for output in info.outputs:
                self.preview_output_combo.addItem(output.id, output.id)
        self.refresh_cost()

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
        job_busy = any(k in self.tasks for k in ("prepare", "create", "analyse", "start"))
        self.create_button.setEnabled(not job_busy)
        self.start_button.setEnabled(not job_busy and self.pending_job is not None)
        self.preview_extent_button.setEnabled("raster_preview" not in self.tasks)
        self.preview_tile_button.setEnabled("raster_preview" not in self.tasks)
        self.preview_button.setEnabled("tiles" not in self.tasks)
        self.cancel_button.setEnabled(any(k != "engine" for k in self.tasks))

    def cancel_running(self) -> None:
        for purpose, task in list(self.tasks.items()):
            if purpose != "engine":
                task.cancel()
                self.tasks.pop(purpose, None)
        self._update_busy()
        self.result_label.setText("Cancelled. A job already created stays on the service: see the Jobs tab.")

    def _need_client(self) -> Optional[BatchClient]:
        if self.client is None:
            self.show_problems((FieldProblem("credentials", self.client_problem or "Choose a deployment."),))
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
        self.result_label.setText("Listing tiles…")
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
                self.result_label.setText("Preview cancelled.")
            else:
                self.result_label.setText(task.error or "")
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
            self.result_label.setText(
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
        info = self.script_editor.info
        if info is None:
            lines.append("PU estimate: fix the evalscript first.")
        else:
            try:
                cost = estimate(self._cost_draft(), info, selection.tiles)
            except ValueError as exc:
                lines.append(f"<span style='color:#b71c1c'>{exc}</span>")
            else:
                lines.append(describe_estimate(cost, info.mosaicking))
        self.result_label.setText("<br>".join(lines))

    def _cost_draft(self) -> JobDraft:
        return JobDraft(
            evalscript=self.script_editor.script(),
            time_from=self.date_from.date().toPyDate(),
            time_to=self.date_to.date().toPyDate(),
            grid=TilingGridSpec(
                int(self.grid_combo.currentData()), float(self.resolution_combo.currentData())
            ),
        )

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
        version = self.version_combo.currentData()
        engine = is_local_engine(client.deployment)
        output_id = self.preview_output_combo.currentData()
        self.save_settings()

        def run(cancel: Cancel):
            try:
                info = check_draft(draft, version, engine, need_output=False)
                request = preview_request(draft, info, bbox, epsg, width, height, output_id)
            except FormInvalid as exc:
                return exc
            return client.preview(request, cancel)

        self.result_label.setText(f"Previewing the script on the {where}…")
        name = (
            f"Preview {self.script_editor.preset_name()} {output_id or ''} {draft.time_from}…{draft.time_to}"
        )
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
        self.result_label.setText(f"Preview added: {layer.name()}")
        self.rasterPreviewFinished.emit(layer)

    # === create, analyse, confirm, start ===============================================================

    def create_job(self) -> None:
        """Check the form, list the tiles, create the job and analyse it; then ask to confirm the start."""
        self.clear_problems()
        problems: list[FieldProblem] = []
        try:
            geometries, crs = self.collect_area()
        except UserInputError as exc:
            problems.append(FieldProblem("area", str(exc)))
            geometries, crs = (), ""
        try:
            draft = self.draft()
        except FormInvalid as exc:
            problems.extend(exc.problems)
            draft = None
        client = self.client
        if client is None:
            problems.append(FieldProblem("credentials", self.client_problem or "Choose a deployment."))
        if problems:
            self.show_problems(tuple(problems))
            self.jobStageChanged.emit("invalid", None)
            return
        self.save_settings()
        self.pending_job = None
        version = self.version_combo.currentData()
        engine = is_local_engine(client.deployment)
        max_tiles = self.max_tiles.value()

        def prepare(_cancel: Cancel):
            try:
                info = check_draft(draft, version, engine)
            except FormInvalid as exc:
                return exc
            try:
                area = AreaOfInterest.from_geometries(geometries, crs)
                selection = tiles_for_area(area, draft.grid.id, draft.grid.resolution, draft.grid.buffer_x,
                                           draft.grid.buffer_y, max_tiles)  # fmt: skip
            except (AreaError, CrsError) as exc:
                return FormInvalid([FieldProblem("area", str(exc))])
            except GridError as exc:
                return FormInvalid([FieldProblem("grid", str(exc))])
            wkb = shapely.to_wkb([t.footprint for t in selection.tiles]).tolist()
            return PreparedJob(info, area, selection, wkb, estimate(draft, info, selection.tiles),
                               job_spec(draft, area, info))  # fmt: skip

        self.result_label.setText("Checking the job and listing its tiles…")
        self._run("prepare", "preparing the batch job", prepare, lambda task: self._prepared(task, client))

    def _prepared(self, task: ClientCallTask, client: BatchClient) -> None:
        outcome = task.result
        if isinstance(outcome, FormInvalid):
            self.show_problems(outcome.problems)
            self.result_label.setText("Nothing was sent: fix the fields marked in red.")
            self.jobStageChanged.emit("invalid", None)
            return
        if not isinstance(outcome, PreparedJob):
            self._service_failed("Preparing the job failed", task)
            return
        self._show_tiles(outcome.selection, outcome.footprint_wkb, outcome.area)
        self.result_label.setText(
            f"{len(outcome.selection):,} tiles; creating the job on {client.deployment.name}…"
        )
        self._run("create", "creating the batch job", lambda cancel: client.create(outcome.spec, cancel),
                  lambda created: self._created(created, client, outcome))  # fmt: skip

    def _created(self, task: ClientCallTask, client: BatchClient, prepared: PreparedJob) -> None:
        if not isinstance(task.result, BatchJob):
            self._service_failed("The service refused the job", task)
            return
        job = task.result
        project_jobs.remember(job)
        self.jobs_panel.add_or_update(job)
        self.jobStageChanged.emit("created", job)
        self.result_label.setText(f"Created job {job.id}; analysing…")

        def analyse(cancel: Cancel) -> BatchJob:
            client.analyse(job.id, cancel)
            return wait_for_analysis(client, job.id, cancel, ANALYSIS_TIMEOUT_S, ANALYSIS_POLL_S)

        self._run(
            "analyse", f"analysing job {job.id}", analyse, lambda done: self._analysed(done, client, prepared)
        )

    def _analysed(self, task: ClientCallTask, client: BatchClient, prepared: PreparedJob) -> None:
        if not isinstance(task.result, BatchJob):
            self._service_failed("The analysis failed", task)
            return
        job = task.result
        self.jobs_panel.add_or_update(job)
        if job.status != "ANALYSIS_DONE":
            message = f"The analysis of job {job.id} ended {job.status}: {job.error or 'no reason given'}"
            self._report(message, Qgis.MessageLevel.Critical)
            self._point_at_script_line(job.error or "")
            self.result_label.setText(message)
            self.jobStageChanged.emit("failed", job)
            return
        budget = self.budget_spin.value() or None
        self.pending_job = job
        self.pending_summary = StartSummary(
            job=job,
            deployment_name=client.deployment.name,
            tile_count=job.tile_count if job.tile_count is not None else len(prepared.selection),
            estimate=prepared.estimate,
            budget_pu=budget,
        )
        self._update_busy()
        self.result_label.setText(
            f"Job {job.id} analysed: {self.pending_summary.tile_count:,} tiles, "
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
        summary = dataclasses.replace(self.pending_summary, budget_pu=self.budget_spin.value() or None)
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
        self.result_label.setText(
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

        self.result_label.setText(f"Starting job {job.id}…")
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
        self.result_label.setText(message)
        self.iface.messageBar().pushMessage("Tilewise", message, level=Qgis.MessageLevel.Success, duration=8)
        self.jobStageChanged.emit("started", job)

    # === acting on jobs ================================================================================

    def output_access(self, job: BatchJob) -> Optional[S3Access]:
        """How this machine reaches the job's bucket: the Tilewise engine's S3 endpoint (AWS elsewhere), the
        form's S3 keys and region; None for outputs in a folder. Keys come from QgsAuthManager, here only."""
        url = job.output_url or ""
        if not url.lower().startswith("s3://"):
            return None
        endpoint = None
        if (
            self.engine_status is not None
            and self.client is not None
            and self.client.deployment.id == job.deployment
        ):
            endpoint = self.engine_status.get("s3EndpointUrl") or None
        else:
            endpoint = QgsSettings().value(ENGINE_S3_ENDPOINT_KEY + job.deployment, "", type=str) or None
        access_key = secret_key = None
        auth_id = self.s3_auth.configId()
        keys = self.store.s3_keys(auth_id) if auth_id else None
        if keys is not None:
            access_key, secret_key = keys.access_key, keys.secret_key
        region = self.s3_region_edit.text().strip() or None
        return S3Access(endpoint_url=endpoint, region=region, access_key=access_key, secret_key=secret_key)

    def tile_access(self, job: BatchJob) -> Optional[S3Access]:
        """What the monitor reads a v2 job's tile statuses with: the folder directly; the bucket access when the
        form names S3 keys; without keys, None (the job's progress only, rather than a watch that fails on
        every read)."""
        if (job.output_url or "").lower().startswith("file://"):
            return S3Access()  # a folder on this machine: read directly, no keys
        access = self.output_access(job)
        return access if access is not None and access.access_key else None

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
            remember_bucket_access(bucket, access.endpoint_url, access.region, self.s3_auth.configId())
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
        self.result_label.setText(message + " Your form is unchanged: fix it and try again.")
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
        self.script_editor.unload()
        self.jobs_panel.unload()
        self.job_actions.unload()
        self.job_history.unload()
        self.reprocess_action.unregister()
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        with contextlib.suppress(TypeError, RuntimeError, AttributeError):
            canvas.contextMenuAboutToShow.disconnect(self._canvas_menu)
        self.job_monitor.unload()
        if self.client is not None:
            self.client.close()
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


def open_user_guide() -> None:
    from qgis.PyQt.QtCore import QUrl
    from qgis.PyQt.QtGui import QDesktopServices

    guide = Path(__file__).resolve().parent.parent / "docs" / "user-guide.md"
    url = (
        QUrl.fromLocalFile(str(guide))
        if guide.exists()
        else QUrl("https://github.com/tilewise/tilewise#readme")
    )
    QDesktopServices.openUrl(url)


__all__ = ["TilewiseDock", "UserInputError", "V1", "V2"]
