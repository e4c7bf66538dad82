"""The dock's "New job" form: its fields, built, restored and saved (as one `FormSettings`), read into a
`JobDraft`, and the problems of a job marked on the fields at fault. Rarely changed options wait, collapsed, under
"Advanced"; the actions, the cost summary and the last messages are in its `footer` (ui/form_footer.py), which
the dock lays out below the scrolling form. It sends nothing and knows no client: the dock (the controller)
reads it, runs the submission flow and writes back what happened."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Optional, Sequence

from qgis.core import QgsApplication, QgsSettings
from qgis.gui import (
    QgsAuthConfigSelect,
    QgsCollapsibleGroupBox,
    QgsDoubleSpinBox,
    QgsFileWidget,
    QgsScrollArea,
)
from qgis.PyQt.QtCore import QCoreApplication, QDate, QEvent, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
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
from .form_footer import FormFooter
from .form_rows import form_box
from .i18n import tr
from .theme import field_problem_style, text_colour


def s3_keys_tip(version: int) -> str:
    if version == V2:
        return tr(
            "An authentication configuration of type Basic whose user name is the S3 access key and whose "
            "password is the secret key. Batch API v2 writes the outputs with them (without, with the service's "
            "own identity); Tilewise reads the tile statuses and opens the outputs with them."
        )
    return tr(
        "An authentication configuration of type Basic whose user name is the S3 access key and whose password "
        "is the secret key. Batch API v1 writes with the service's own identity (bucket policy); Tilewise opens "
        "the outputs with these keys (without, with the AWS credentials of this machine)."
    )


class JobFormWidget(QgsScrollArea):
    """The form, in a scroll area that follows the dock's width, and its `footer` (laid out by the dock).
    `costInputsChanged` when what the cost of the last grid preview depends on changes (the dates, the script's
    setup())."""

    costInputsChanged = pyqtSignal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.api_version = V2
        self.marked: dict[str, tuple[QWidget, str]] = {}  # field → (widget, its own tooltip)
        self.footer = FormFooter(parent)
        self.last_preview: Optional[tuple[int, Optional[float]]] = None  # tiles, expected PU
        self._build()

    # === building ======================================================================================

    def _build(self) -> None:
        form = QWidget(self)
        column = QVBoxLayout(form)
        self.area_label = QLabel(form)
        self.area_label.setWordWrap(True)
        presets = Path(QgsApplication.qgisSettingsDirPath()) / "tilewise" / "evalscripts"
        self.script_editor = EvalscriptEditor(presets, form)
        for title, field in ((tr("Area"), self.area_label), (tr("Evalscript"), self.script_editor)):
            box = QGroupBox(title, form)
            QVBoxLayout(box).addWidget(field)  # the editor grows with the dock, as a form row would not
            column.addWidget(box)
        column.addWidget(self._data_box(form))
        column.addWidget(self._outputs_box(form))
        column.addWidget(self._grid_box(form))
        column.addWidget(self._location_box(form))
        column.addWidget(self._job_box(form))
        column.addWidget(self._advanced_box(form))
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
        self.budget_spin.valueChanged.connect(self._show_summary)
        self._grid_changed()

    def _data_box(self, form: QWidget) -> QWidget:
        self.collection_combo = QComboBox(form)
        self.collection_combo.setEditable(True)
        for key, label in COLLECTIONS.items():
            self.collection_combo.addItem(key, key)
            self.collection_combo.setItemData(
                self.collection_combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole
            )
        self.collection_combo.setToolTip(tr("A collection, or byoc-<collection id> for your own."))
        self.date_from = QDateEdit(form)
        self.date_to = QDateEdit(form)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.cloud_spin = QSpinBox(form)
        self.cloud_spin.setRange(-1, 100)
        self.cloud_spin.setSpecialValueText(tr("Any"))
        self.cloud_spin.setSuffix(" %")
        self.cloud_spin.setToolTip(tr("Skip scenes cloudier than this."))
        box, _ = form_box(tr("Data"), [(tr("Collection"), self.collection_combo), (tr("From"), self.date_from),
                                       (tr("To"), self.date_to), (tr("Max cloud cover"), self.cloud_spin)],
                          form)  # fmt: skip
        return box

    def _outputs_box(self, form: QWidget) -> QWidget:
        self.outputs_label = QLabel(tr("Read from the script's setup()."), form)
        self.outputs_label.setWordWrap(True)
        self.format_combo = QComboBox(form)
        self.format_combo.addItem("GeoTIFF", False)
        self.format_combo.addItem(tr("Cloud-optimised GeoTIFF (COG)"), True)
        self.preview_output_combo = QComboBox(form)
        self.preview_output_combo.setToolTip(tr("Which output a preview shows."))
        box, _ = form_box(tr("Outputs"), [(tr("From setup()"), self.outputs_label), (tr("Format"), self.format_combo),
                                          (tr("Preview output"), self.preview_output_combo)], form)  # fmt: skip
        return box

    def _grid_box(self, form: QWidget) -> QWidget:
        self.grid_combo = QComboBox(form)
        for grid in GRIDS.values():
            self.grid_combo.addItem(f"{grid.id}: {grid.name}", grid.id)
        self.resolution_combo = QComboBox(form)
        # the last tiles preview in full (the footer sums it up in one line)
        self.preview_details_label = QLabel(
            tr("Preview “Tiles” lists the tiles of the area and what they cost."), form
        )
        self.preview_details_label.setWordWrap(True)
        self.preview_details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box, _ = form_box(tr("Tiling grid"), [(tr("Grid"), self.grid_combo), (tr("Resolution"), self.resolution_combo),
                                              self.preview_details_label], form)  # fmt: skip
        return box

    def _location_box(self, form: QWidget) -> QWidget:
        self.location_combo = QComboBox(form)
        self.location_combo.addItem(tr("S3 bucket"), S3)
        self.location_combo.addItem(tr("Local folder (Tilewise engine)"), FOLDER)
        self.s3_url_edit = QLineEdit(form)
        self.s3_url_edit.setPlaceholderText(
            tr("s3://bucket/folder  or  s3://bucket/<requestId>/<tileName>/<outputId>.<format>")
        )
        self.s3_url_edit.setToolTip(
            tr(
                "A folder (tiles go to <folder>/<requestId>/<tileName>/<outputId>.<format>) or a template with "
                "<requestId>, <tileName> or <tileId>, <outputId> (needed with several outputs) and <format>."
            )
        )
        self.folder_widget = QgsFileWidget(form)
        self.folder_widget.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.folder_widget.setToolTip(tr("A folder the engine may write to (under its output root)."))
        self.s3_auth = QgsAuthConfigSelect(form)
        self.s3_auth.setToolTip(s3_keys_tip(V2))
        rows = [(tr("Write to"), self.location_combo), (tr("S3 URL"), self.s3_url_edit),
                (tr("Folder"), self.folder_widget), (tr("S3 keys"), self.s3_auth)]  # fmt: skip
        box, self.output_form = form_box(tr("Output location"), rows, form)
        return box

    def _job_box(self, form: QWidget) -> QWidget:
        self.description_edit = QLineEdit(form)
        self.description_edit.setPlaceholderText(tr("What this job is for"))
        self.budget_spin = QgsDoubleSpinBox(form)
        self.budget_spin.setRange(0, 1e9)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSingleStep(100)
        self.budget_spin.setSpecialValueText(tr("No limit"))
        self.budget_spin.setClearValue(0)
        self.budget_spin.setSuffix(" PU")
        self.budget_spin.setGroupSeparatorShown(True)  # 1,000 PU as the start dialog writes it
        self.budget_spin.setToolTip(
            tr("Refuse to start a job expected to cost more processing units than this.")
        )
        box, _ = form_box(
            tr("Job"), [(tr("Description"), self.description_edit), (tr("PU budget"), self.budget_spin)], form
        )
        return box

    def _advanced_box(self, form: QWidget) -> QWidget:
        """Options most jobs leave as they are, collapsed until the user opens them (remembered in the form's
        settings)."""
        self.mosaicking_combo = QComboBox(form)
        self.mosaicking_combo.addItems(MOSAICKING_ORDERS)
        self.mosaicking_combo.setToolTip(tr("Which scene comes first where scenes overlap."))
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
        self.max_tiles.setGroupSeparatorShown(True)
        self.max_tiles.setToolTip(tr("Refuse areas that need more tiles than this."))
        self.s3_region_edit = QLineEdit(form)
        self.s3_region_edit.setPlaceholderText(tr("e.g. eu-central-1 (optional)"))
        self.overwrite_check = QCheckBox(tr("Overwrite existing files"), form)
        self.skip_existing_check = QCheckBox(tr("Skip tiles whose files exist"), form)
        self.advanced_box = QgsCollapsibleGroupBox(tr("Advanced"), form)
        self.advanced_box.setObjectName("tilewiseAdvancedOptions")
        self.advanced_box.setSaveCollapsedState(False)  # FormSettings keeps it, with the rest of the form
        self.advanced_form = QFormLayout(self.advanced_box)
        for label, field in (
            (tr("Mosaicking order"), self.mosaicking_combo),
            (tr("Buffer"), buffers),
            (tr("Tile limit"), self.max_tiles),
            (tr("S3 region"), self.s3_region_edit),
        ):
            self.advanced_form.addRow(label, field)
        self.advanced_form.addRow(self.overwrite_check)
        self.advanced_form.addRow(self.skip_existing_check)
        self.advanced_box.setCollapsed(True)
        return self.advanced_box

    # === what follows the choices =======================================================================

    def _grid_changed(self, *_args) -> None:
        grid = get_grid(self.grid_combo.currentData())
        previous = self.resolution_combo.currentData()
        self.resolution_combo.clear()
        for resolution in grid.resolutions:
            pixels = grid.tile_pixels(resolution)
            text = tr("{resolution} {unit}  ({pixels:,} × {pixels:,} px per tile)").format(
                resolution=f"{resolution:g}", unit=grid.unit_symbol, pixels=pixels
            )
            self.resolution_combo.addItem(text, resolution)
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
            for rows in (self.output_form, self.advanced_form):
                label = rows.labelForField(widget)
                if label is not None:
                    label.setVisible(visible)

    def _script_read(self, info: Optional[ScriptInfo]) -> None:
        self.preview_output_combo.clear()
        if info is None:
            self.outputs_label.setText(tr("—  fix the evalscript first."))
        else:
            self.outputs_label.setText(
                "<br>".join(
                    tr("<b>{output}</b>: %n band(s), {type}", None, o.bands).format(
                        output=o.id, type=o.sample_type
                    )
                    for o in info.outputs
                )
            )
            for output in info.outputs:
                self.preview_output_combo.addItem(output.id, output.id)
        self.costInputsChanged.emit()

    def set_api_version(self, version: int) -> None:
        """The S3 keys mean something else for v1 (reading only) and v2 (writing too)."""
        self.api_version = V2 if version == V2 else V1
        self.s3_auth.setToolTip(s3_keys_tip(self.api_version))

    def allow_folder(self, allowed: bool) -> None:
        """Only a Tilewise engine writes to a local folder."""
        item = self.location_combo.model().item(self.location_combo.findData(FOLDER))
        item.setEnabled(allowed)
        if not allowed and self.location_combo.currentData() == FOLDER:
            self.location_combo.setCurrentIndex(self.location_combo.findData(S3))

    def set_engine_output_root(self, root: str) -> None:
        if root and not self.folder_widget.filePath():
            self.folder_widget.setFilePath(str(Path(root) / "jobs"))
        self.folder_widget.setToolTip(
            tr("A folder under the engine's output root, {root}.").format(root=root)
        )

    def set_busy(self, purposes: Sequence[str], can_start: bool) -> None:
        self.footer.set_busy(purposes, can_start)

    def show_cost(self, selection: Optional[TileSelection], area_km2: float) -> None:
        """Tiles and PU of the last grid preview, with the script's bands and outputs (no new listing needed):
        in full under "Tiling grid", in one line in the footer."""
        if selection is None:
            self.last_preview = None
            self.preview_details_label.setText(
                tr("Preview “Tiles” lists the tiles of the area and what they cost.")
            )
            self._show_summary()
            return
        lines = [
            tr("<b>%Ln tile(s)</b> of grid {grid} ({name}) at {resolution} {unit}, in {crs}", None, len(selection))
            .format(grid=selection.grid.id, name=selection.grid.name, resolution=f"{selection.resolution:g}",
                    unit=selection.grid.unit_symbol,
                    crs=", ".join(f"EPSG:{code}" for code in selection.epsg_codes)),
            tr("Area {km2:,.1f} km²").format(km2=area_km2),
        ]  # fmt: skip
        if selection.tiles:
            tile = selection.tiles[0]
            size = (tile.buffered_width, tile.buffered_height)
            if size != (tile.width, tile.height):
                raster = tr(
                    "Tile raster {width:,} × {height:,} px ({inner_width:,} × {inner_height:,} px plus buffer)"
                )
            else:
                raster = tr("Tile raster {width:,} × {height:,} px")
            lines.append(raster.format(width=size[0], height=size[1], inner_width=tile.width,
                                       inner_height=tile.height))  # fmt: skip
        charge = None
        info = self.script_editor.info
        if info is None:
            lines.append(tr("PU estimate: fix the evalscript first."))
        else:
            try:
                cost = estimate(self.cost_draft(), info, selection.tiles)
            except ValueError as exc:
                lines.append(f"<span style='color:{text_colour('error')}'>{exc}</span>")
            else:
                charge = cost.expected_charge
                lines.append(describe_estimate(cost, info.mosaicking))
        self.preview_details_label.setText("<br>".join(lines))
        self.show_result(tr("{tiles}; the details are under “Tiling grid”.").format(tiles=lines[0]))
        self.last_preview = (len(selection), charge)
        self._show_summary()

    def _show_summary(self, *_args) -> None:
        tiles, charge = self.last_preview or (None, None)
        self.footer.show_summary(tiles, charge, self.budget())

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
            advanced_open=not self.advanced_box.isCollapsed(),
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
        self.advanced_box.setCollapsed(not values.advanced_open)
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
                raise FormInvalid([FieldProblem("s3_keys", tr("The chosen S3 authentication configuration is gone: "
                                                              "pick another or none."))])  # fmt: skip
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
        first, and list every problem in the footer; returns the lines listed."""
        self.clear_problems()
        widgets = {**self.field_widgets(), **(elsewhere or {})}
        for problem in problems:
            if problem.field == "evalscript":
                self.script_editor.show_problem(problem.message, problem.line)
            widget = widgets.get(problem.field)
            if widget is not None and problem.field not in self.marked:
                self.marked[problem.field] = (widget, widget.toolTip())
                widget.setStyleSheet(field_problem_style())
                widget.setToolTip(problem.message)
        lines = [(tr("Line {line}: ").format(line=p.line) if p.line else "") + p.message for p in problems]
        if problems:
            self.footer.show_problems(lines)
            first = widgets.get(problems[0].field)
            if first is not None:
                first.setFocus()
                self._reveal(first)
        return lines

    def _reveal(self, widget: QWidget) -> None:
        """Scroll `widget` into view above the footer. The layouts still pending (the footer grown by the
        problems' lines, a result just written) are applied first, so that both the view's height and the
        field's place are final."""
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.ensureWidgetVisible(widget)

    def clear_problems(self) -> None:
        for widget, tooltip in self.marked.values():
            with contextlib.suppress(RuntimeError):
                widget.setStyleSheet("")
                widget.setToolTip(tooltip)
        self.marked.clear()
        self.footer.show_problems([])

    def show_result(self, text: str) -> None:
        self.footer.show_result(text)

    def unload(self) -> None:
        self.script_editor.unload()

    def set_area_widget(self, widget: QWidget) -> None:
        """The area picker (ui/area_picker.py), at the top of the "Area" box, above the area's summary."""
        self.area_label.parentWidget().layout().insertWidget(0, widget)


def describe_estimate(cost: CostEstimate, mosaicking: str) -> str:
    if mosaicking.upper() != "SIMPLE":
        samples = tr("%n sample(s) per pixel (one every 3 days, as Sentinel Hub assumes)", None, cost.samples)
    else:
        samples = tr("%n sample(s) per pixel", None, cost.samples)
    return tr(
        "{samples}; estimate (as a v1 analysis reports it) <b>{full:,.1f} PU</b>; expected charge (batch ⅓ "
        "factor, 100 PU minimum) <b>{charge:,.1f} PU</b>"
    ).format(samples=samples, full=cost.value_estimate, charge=cost.expected_charge)


__all__ = ["JobFormWidget", "s3_keys_tip"]
