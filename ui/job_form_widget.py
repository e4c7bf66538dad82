"""The dock's "New job" form: its fields, built, restored and saved (as one `FormSettings`), read into a
`JobDraft`, and the problems of a job marked on the fields at fault. It sends nothing and knows no client:
the dock (the controller) reads it, runs the submission flow and writes back what happened."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Optional, Sequence

from qgis.core import QgsApplication, QgsSettings
from qgis.gui import QgsAuthConfigSelect, QgsDoubleSpinBox, QgsFileWidget, QgsScrollArea
from qgis.PyQt.QtCore import QDate, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.batch_models import TilingGridSpec
from ..core.connections import S3Keys
from ..core.costs import CostEstimate
from ..core.evalscript import ScriptInfo
from ..core.form_settings import FOLDER, S3, FormSettings
from ..core.grids import DEFAULT_MAX_TILES, GRIDS, TileSelection, get_grid
from ..core.job_form import COLLECTIONS, MOSAICKING_ORDERS, FieldProblem, FormInvalid, JobDraft, estimate
from ..core.statuses import V1, V2
from ..core.tasks import TilingRequest
from .evalscript_editor import EvalscriptEditor
from .form_rows import form_box

ERROR_STYLE = "border: 1px solid #c62828; background: #ffebee"
S3_KEYS_TIP = {
    V2: "An authentication configuration of type Basic whose user name is the S3 access key and whose password "
    "is the secret key. Batch API v2 writes the outputs with them (without, with the service's own identity); "
    "Tilewise reads the tile statuses and opens the outputs with them.",
    V1: "An authentication configuration of type Basic whose user name is the S3 access key and whose password "
    "is the secret key. Batch API v1 writes with the service's own identity (bucket policy); Tilewise opens "
    "the outputs with these keys (without, with the AWS credentials of this machine).",
}
JOB_PURPOSES = ("prepare", "create", "analyse", "start")  # the dock's tasks that make a job


class JobFormWidget(QgsScrollArea):
    """The form, in a scroll area that follows the dock's width. `costInputsChanged` when what the cost of the
    last grid preview depends on changes (the dates, the script's setup())."""

    costInputsChanged = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.api_version = V2
        self.marked: dict[str, tuple[QWidget, str]] = {}  # field → (widget, its own tooltip)
        self._build()

    # === building ======================================================================================

    def _build(self) -> None:
        form = QWidget(self)
        column = QVBoxLayout(form)
        self.area_label = QLabel(form)
        self.area_label.setWordWrap(True)
        presets = Path(QgsApplication.qgisSettingsDirPath()) / "tilewise" / "evalscripts"
        self.script_editor = EvalscriptEditor(presets, form)
        for title, field in (("Area", self.area_label), ("Evalscript", self.script_editor)):
            box = QGroupBox(title, form)
            QVBoxLayout(box).addWidget(field)  # the editor grows with the dock, as a form row would not
            column.addWidget(box)
        column.addWidget(self._data_box(form))
        column.addWidget(self._outputs_box(form))
        column.addWidget(self._grid_box(form))
        column.addWidget(self._location_box(form))
        column.addWidget(self._job_box(form))
        column.addLayout(self._buttons(form))
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
        self.setWidget(form)

        self.grid_combo.currentIndexChanged.connect(self._grid_changed)
        self.location_combo.currentIndexChanged.connect(self._location_changed)
        self.script_editor.infoChanged.connect(self._script_read)
        for signal in (self.date_from.dateChanged, self.date_to.dateChanged):
            signal.connect(self.costInputsChanged)
        self._grid_changed()

    def _data_box(self, form: QWidget) -> QWidget:
        self.collection_combo = QComboBox(form)
        self.collection_combo.setEditable(True)
        for key, label in COLLECTIONS.items():
            self.collection_combo.addItem(key, key)
            self.collection_combo.setItemData(
                self.collection_combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole
            )
        self.collection_combo.setToolTip("A collection, or byoc-<collection id> for your own.")
        self.date_from = QDateEdit(form)
        self.date_to = QDateEdit(form)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.cloud_spin = QSpinBox(form)
        self.cloud_spin.setRange(-1, 100)
        self.cloud_spin.setSpecialValueText("Any")
        self.cloud_spin.setSuffix(" %")
        self.cloud_spin.setToolTip("Skip scenes cloudier than this.")
        self.mosaicking_combo = QComboBox(form)
        self.mosaicking_combo.addItems(MOSAICKING_ORDERS)
        box, _ = form_box("Data", [("Collection", self.collection_combo), ("From", self.date_from),
                                   ("To", self.date_to), ("Max cloud cover", self.cloud_spin),
                                   ("Mosaicking order", self.mosaicking_combo)], form)  # fmt: skip
        return box

    def _outputs_box(self, form: QWidget) -> QWidget:
        self.outputs_label = QLabel("Read from the script's setup().", form)
        self.outputs_label.setWordWrap(True)
        self.format_combo = QComboBox(form)
        self.format_combo.addItem("GeoTIFF", False)
        self.format_combo.addItem("Cloud-optimised GeoTIFF (COG)", True)
        self.preview_output_combo = QComboBox(form)
        self.preview_output_combo.setToolTip("Which output a preview shows.")
        box, _ = form_box("Outputs", [("From setup()", self.outputs_label), ("Format", self.format_combo),
                                      ("Preview output", self.preview_output_combo)], form)  # fmt: skip
        return box

    def _grid_box(self, form: QWidget) -> QWidget:
        self.grid_combo = QComboBox(form)
        for grid in GRIDS.values():
            self.grid_combo.addItem(f"{grid.id}: {grid.name}", grid.id)
        self.resolution_combo = QComboBox(form)
        self.buffer_x = QSpinBox(form)
        self.buffer_y = QSpinBox(form)
        buffers = QHBoxLayout()
        for axis, spin in (("X", self.buffer_x), ("Y", self.buffer_y)):
            spin.setRange(0, 10_000)
            spin.setSuffix(" px")
            buffers.addWidget(QLabel(axis, form))
            buffers.addWidget(spin)
        self.max_tiles = QSpinBox(form)
        self.max_tiles.setRange(1, 10_000_000)
        self.max_tiles.setSingleStep(1000)
        self.max_tiles.setValue(DEFAULT_MAX_TILES)
        self.max_tiles.setToolTip("Refuse areas that need more tiles than this.")
        box, _ = form_box("Tiling grid", [("Grid", self.grid_combo), ("Resolution", self.resolution_combo),
                                          ("Buffer", buffers), ("Tile limit", self.max_tiles)], form)  # fmt: skip
        return box

    def _location_box(self, form: QWidget) -> QWidget:
        self.location_combo = QComboBox(form)
        self.location_combo.addItem("S3 bucket", S3)
        self.location_combo.addItem("Local folder (Tilewise engine)", FOLDER)
        self.s3_url_edit = QLineEdit(form)
        self.s3_url_edit.setPlaceholderText(
            "s3://bucket/folder  or  s3://bucket/<requestId>/<tileName>/<outputId>.<format>"
        )
        self.s3_url_edit.setToolTip(
            "A folder (tiles go to <folder>/<requestId>/<tileName>/<outputId>.<format>) or a template with "
            "<requestId>, <tileName> or <tileId>, <outputId> (needed with several outputs) and <format>."
        )
        self.folder_widget = QgsFileWidget(form)
        self.folder_widget.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.folder_widget.setToolTip("A folder the engine may write to (under its output root).")
        self.s3_auth = QgsAuthConfigSelect(form)
        self.s3_auth.setToolTip(S3_KEYS_TIP[V2])
        self.s3_region_edit = QLineEdit(form)
        self.s3_region_edit.setPlaceholderText("e.g. eu-central-1 (optional)")
        self.overwrite_check = QCheckBox("Overwrite existing files", form)
        self.skip_existing_check = QCheckBox("Skip tiles whose files exist", form)
        rows = [("Write to", self.location_combo), ("S3 URL", self.s3_url_edit), ("Folder", self.folder_widget),
                ("S3 keys", self.s3_auth), ("S3 region", self.s3_region_edit), self.overwrite_check,
                self.skip_existing_check]  # fmt: skip
        box, self.output_form = form_box("Output location", rows, form)
        return box

    def _job_box(self, form: QWidget) -> QWidget:
        self.description_edit = QLineEdit(form)
        self.description_edit.setPlaceholderText("What this job is for")
        self.budget_spin = QgsDoubleSpinBox(form)
        self.budget_spin.setRange(0, 1e9)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSingleStep(100)
        self.budget_spin.setSpecialValueText("No limit")
        self.budget_spin.setClearValue(0)
        self.budget_spin.setSuffix(" PU")
        self.budget_spin.setToolTip("Refuse to start a job expected to cost more processing units than this.")
        box, _ = form_box(
            "Job", [("Description", self.description_edit), ("PU budget", self.budget_spin)], form
        )
        return box

    def _buttons(self, form: QWidget) -> QVBoxLayout:
        def button(text: str, tip: str) -> QPushButton:
            made = QPushButton(text, form)
            made.setToolTip(tip)
            return made

        self.preview_button = button(
            "Tiles", "Add the tiles this job will produce to the map, with the PU estimate."
        )
        self.preview_extent_button = button(
            "Map extent", "Run the script on the map's extent (Process API) and add the result."
        )
        self.preview_tile_button = button(
            "One tile", "Run the script on the selected tile of the grid preview."
        )
        self.create_button = button(
            "Create and analyse", "Send the job, analyse it, then show its cost before anything is processed."
        )
        self.start_button = button("Start…", "Confirm and start the analysed job.")
        self.cancel_button = button("Cancel", "Stop waiting for what runs now (a job already created stays).")
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        previews, actions = QHBoxLayout(), QHBoxLayout()
        previews.addWidget(QLabel("Preview:", form))
        for row, buttons in (
            (previews, (self.preview_button, self.preview_extent_button, self.preview_tile_button)),
            (actions, (self.create_button, self.start_button, self.cancel_button)),
        ):
            for each in buttons:
                row.addWidget(each)
        rows = QVBoxLayout()
        rows.addLayout(previews)
        rows.addLayout(actions)
        return rows

    # === what follows the choices =======================================================================

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

    def _script_read(self, info: Optional[ScriptInfo]) -> None:
        self.preview_output_combo.clear()
        if info is None:
            self.outputs_label.setText("—  fix the evalscript first.")
        else:
            self.outputs_label.setText(
                "<br>".join(f"<b>{o.id}</b>: {o.bands} band(s), {o.sample_type}" for o in info.outputs)
            )
            for output in info.outputs:
                self.preview_output_combo.addItem(output.id, output.id)
        self.costInputsChanged.emit()

    def set_api_version(self, version: int) -> None:
        """The S3 keys mean something else for v1 (reading only) and v2 (writing too)."""
        self.api_version = V2 if version == V2 else V1
        self.s3_auth.setToolTip(S3_KEYS_TIP[self.api_version])

    def allow_folder(self, allowed: bool) -> None:
        """Only a Tilewise engine writes to a local folder."""
        item = self.location_combo.model().item(self.location_combo.findData(FOLDER))
        item.setEnabled(allowed)
        if not allowed and self.location_combo.currentData() == FOLDER:
            self.location_combo.setCurrentIndex(self.location_combo.findData(S3))

    def set_engine_output_root(self, root: str) -> None:
        if root and not self.folder_widget.filePath():
            self.folder_widget.setFilePath(str(Path(root) / "jobs"))
        self.folder_widget.setToolTip(f"A folder under the engine's output root, {root}.")

    def set_busy(self, purposes: Sequence[str], can_start: bool) -> None:
        """Buttons follow the dock's running tasks (by purpose)."""
        job_busy = any(purpose in purposes for purpose in JOB_PURPOSES)
        self.create_button.setEnabled(not job_busy)
        self.start_button.setEnabled(not job_busy and can_start)
        self.preview_extent_button.setEnabled("raster_preview" not in purposes)
        self.preview_tile_button.setEnabled("raster_preview" not in purposes)
        self.preview_button.setEnabled("tiles" not in purposes)
        self.cancel_button.setEnabled(any(purpose != "engine" for purpose in purposes))

    def show_cost(self, selection: Optional[TileSelection], area_km2: float) -> None:
        """Tiles and PU of the last grid preview, with the script's bands and outputs (no new listing needed)."""
        if selection is None:
            self.show_result("Preview “Tiles” lists the tiles of the selected polygons and what they cost.")
            return
        lines = [
            f"<b>{len(selection):,} tiles</b> of grid {selection.grid.id} ({selection.grid.name}) "
            f"at {selection.resolution:g} {selection.grid.unit_symbol}, in "
            + ", ".join(f"EPSG:{code}" for code in selection.epsg_codes),
            f"Area {area_km2:,.1f} km²",
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
                cost = estimate(self.cost_draft(), info, selection.tiles)
            except ValueError as exc:
                lines.append(f"<span style='color:#b71c1c'>{exc}</span>")
            else:
                lines.append(describe_estimate(cost, info.mosaicking))
        self.show_result("<br>".join(lines))

    # === settings ======================================================================================

    def settings(self) -> FormSettings:
        return FormSettings(
            grid=self.grid_combo.currentData(),
            resolution=self.resolution_combo.currentData(),
            buffer_x=self.buffer_x.value(),
            buffer_y=self.buffer_y.value(),
            max_tiles=self.max_tiles.value(),
            collection=self.collection_combo.currentText().strip(),
            time_from=self.date_from.date().toPyDate(),
            time_to=self.date_to.date().toPyDate(),
            cloud=self.cloud_spin.value(),
            mosaicking_order=self.mosaicking_combo.currentText(),
            cog=bool(self.format_combo.currentData()),
            location=self.location_combo.currentData(),
            s3_url=self.s3_url_edit.text().strip(),
            folder=self.folder_widget.filePath(),
            s3_authcfg=self.s3_auth.configId(),
            s3_region=self.s3_region_edit.text().strip(),
            budget=self.budget_spin.value(),
            script=self.script_editor.script(),
            preset=self.script_editor.preset_name(),
        )

    def apply(self, values: FormSettings) -> None:
        self.grid_combo.setCurrentIndex(max(0, self.grid_combo.findData(values.grid)))
        self.resolution_combo.setCurrentIndex(max(0, self.resolution_combo.findData(values.resolution)))
        self.buffer_x.setValue(values.buffer_x)
        self.buffer_y.setValue(values.buffer_y)
        self.max_tiles.setValue(values.max_tiles)
        self.collection_combo.setCurrentText(values.collection)
        self.date_from.setDate(QDate(values.time_from.year, values.time_from.month, values.time_from.day))
        self.date_to.setDate(QDate(values.time_to.year, values.time_to.month, values.time_to.day))
        self.cloud_spin.setValue(values.cloud)
        self.mosaicking_combo.setCurrentText(values.mosaicking_order)
        self.format_combo.setCurrentIndex(1 if values.cog else 0)
        self.location_combo.setCurrentIndex(max(0, self.location_combo.findData(values.location)))
        self.s3_url_edit.setText(values.s3_url)
        self.folder_widget.setFilePath(values.folder)
        self.s3_auth.setConfigId(values.s3_authcfg)
        self.s3_region_edit.setText(values.s3_region)
        self.budget_spin.setValue(values.budget)
        if values.script:
            self.script_editor.editor.setText(values.script)
            self.script_editor.reload_presets(select=values.preset)
            self.script_editor.inspect()
        else:
            with contextlib.suppress(KeyError):
                self.script_editor.select_preset(values.preset)
        self._location_changed()

    def restore(self) -> None:
        self.apply(FormSettings.load(QgsSettings()))

    def save(self) -> None:
        """The form survives a restart of QGIS; nothing secret is in it (S3 keys are an auth config id)."""
        self.settings().save(QgsSettings())

    # === reading ========================================================================================

    def draft(self, s3_keys: Callable[[str], Optional[S3Keys]]) -> JobDraft:
        """The form's values; `s3_keys(auth id)` is asked only when a v2 job writes to S3 with keys."""
        access_key = secret_key = ""
        auth_id = self.s3_auth.configId()
        if auth_id and self.location_combo.currentData() == S3 and self.api_version == V2:
            keys = s3_keys(auth_id)
            if keys is None:
                raise FormInvalid([FieldProblem("s3_keys", "The chosen S3 authentication configuration is gone: "
                                                           "pick another or none.")])  # fmt: skip
            access_key, secret_key = keys.access_key, keys.secret_key
        cloud = self.cloud_spin.value()
        return JobDraft(
            evalscript=self.script_editor.script(),
            time_from=self.date_from.date().toPyDate(),
            time_to=self.date_to.date().toPyDate(),
            grid=self.grid(with_buffers=True),
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

    def cost_draft(self) -> JobDraft:
        """What the cost estimate reads (no output, no keys): always available, even with other fields wrong."""
        return JobDraft(
            evalscript=self.script_editor.script(),
            time_from=self.date_from.date().toPyDate(),
            time_to=self.date_to.date().toPyDate(),
            grid=self.grid(with_buffers=False),
        )

    def grid(self, with_buffers: bool) -> TilingGridSpec:
        grid = TilingGridSpec(int(self.grid_combo.currentData()), float(self.resolution_combo.currentData()))
        if with_buffers:
            return TilingGridSpec(grid.id, grid.resolution, self.buffer_x.value(), self.buffer_y.value())
        return grid

    def tiling_request(self, geometries, crs: str) -> TilingRequest:
        grid = self.grid(with_buffers=True)
        return TilingRequest(geometries, crs, grid.id, grid.resolution, grid.buffer_x, grid.buffer_y,
                             self.max_tiles.value())  # fmt: skip

    def output_url(self) -> str:
        if self.location_combo.currentData() == FOLDER:
            folder = self.folder_widget.filePath().strip()
            return Path(folder).resolve().as_uri() if folder else ""
        return self.s3_url_edit.text().strip()

    def budget(self) -> Optional[float]:
        return self.budget_spin.value() or None

    # === problems =======================================================================================

    def field_widgets(self) -> dict[str, QWidget]:
        return {
            "area": self.area_label,
            "evalscript": self.script_editor.editor,
            "collection": self.collection_combo,
            "time": self.date_from,
            "cloud": self.cloud_spin,
            "grid": self.grid_combo,
            "output": self.folder_widget if self.location_combo.currentData() == FOLDER else self.s3_url_edit,
            "s3_keys": self.s3_auth,
            "budget": self.budget_spin,
        }

    def show_problems(self, problems: Sequence[FieldProblem], elsewhere: Optional[dict] = None) -> list[str]:
        """Mark each field at fault (`elsewhere`: fields outside the form, such as the connection), focus the
        first, and list every problem under the buttons; returns the lines listed."""
        self.clear_problems()
        widgets = {**self.field_widgets(), **(elsewhere or {})}
        for problem in problems:
            if problem.field == "evalscript":
                self.script_editor.show_problem(problem.message, problem.line)
            widget = widgets.get(problem.field)
            if widget is not None and problem.field not in self.marked:
                self.marked[problem.field] = (widget, widget.toolTip())
                widget.setStyleSheet(ERROR_STYLE)
                widget.setToolTip(problem.message)
        lines = [(f"Line {p.line}: " if p.line else "") + p.message for p in problems]
        if problems:
            first = widgets.get(problems[0].field)
            if first is not None:
                first.setFocus()
            self.problems_label.setText("<br>".join(lines))
        return lines

    def clear_problems(self) -> None:
        for widget, tooltip in self.marked.values():
            with contextlib.suppress(RuntimeError):
                widget.setStyleSheet("")
                widget.setToolTip(tooltip)
        self.marked.clear()
        self.problems_label.clear()

    def show_result(self, text: str) -> None:
        self.result_label.setText(text)

    def unload(self) -> None:
        self.script_editor.unload()

    def set_area_widget(self, widget: QWidget) -> None:
        """The area picker (ui/area_picker.py), at the top of the "Area" box, above the area's summary."""
        self.area_label.parentWidget().layout().insertWidget(0, widget)


def describe_estimate(cost: CostEstimate, mosaicking: str) -> str:
    samples = f"{cost.samples} sample(s) per pixel" + (
        " (one every 3 days, as Sentinel Hub assumes)" if mosaicking.upper() != "SIMPLE" else ""
    )
    return (
        f"{samples}; estimate (as a v1 analysis reports it) <b>{cost.value_estimate:,.1f} PU</b>; expected "
        f"charge (batch ⅓ factor, 100 PU minimum) <b>{cost.expected_charge:,.1f} PU</b>"
    )


__all__ = ["ERROR_STYLE", "S3_KEYS_TIP", "JobFormWidget"]
