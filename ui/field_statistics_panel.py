"""The dock's "Field statistics" tab: per-field statistics of an evalscript over time for the selected polygons
of a layer, through the Statistical API (a request per field) or a Batch Statistical job (many fields), and
the results on the user's polygons with a field's time series in a chart.

The form checks what it can before anything is sent (a polygon layer with features, a time range, an interval
of a day or more, a script with a dataMask output, at most MAX_STATISTICAL_FEATURES fields) and says which way
the run goes. The run is core/field_statistics_task.FieldStatisticsTask (it decides sync or batch by
SYNCHRONOUS_LIMIT); at its end the results GeoPackage is added (ui/field_statistics_layers.py) and selecting a
field, on the results layer or on the user's own layer, shows its series (ui/field_statistics_series.py)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Callable, Optional

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsFeatureRequest, QgsVectorLayer
from qgis.gui import QgsFieldComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QDate, Qt
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..core.batch_models.statistical import DATA_MASK, MAX_STATISTICAL_FEATURES
from ..core.client import BatchClient
from ..core.field_statistics import (
    SYNCHRONOUS_LIMIT,
    FieldPolygon,
    FieldStatisticsOptions,
    read_statistics_table,
)
from ..core.field_statistics_task import FieldStatisticsTask, StatisticsStorage
from ..core.s3 import S3Access
from ..core.scratch_folders import session_folder
from ..core.statistical_client import BatchStatisticalJob, StatisticalClient
from ..core.statistics_presets import STATISTICS_PRESETS
from .evalscript_editor import EvalscriptEditor
from .field_statistics_layers import ResultsLayers, add_results_layers
from .field_statistics_series import FieldSeries
from .form_footer import MessageLabel
from .form_rows import form_box, plain_label
from .i18n import tr
from .map_area import UserInputError, crs_text
from .qgis_compat import POLYGON_GEOMETRY, POLYGON_LAYER_FILTER
from .theme import text_style

METRES_PER_DEGREE = 111_320.0  # a resolution in metres as degrees, for a layer in lon/lat


def interval_units() -> tuple[tuple[str, str], ...]:
    """(ISO-8601 designator, its name) of the interval units."""
    return (("D", tr("days")), ("W", tr("weeks")), ("M", tr("months")))


PERCENTILES = re.compile(r"[\s,;]+")


class FormRefused(ValueError):
    """The form cannot be sent; the message says what to change."""


@dataclass(frozen=True)
class FieldRun:
    """What one run needs, copied out of QGIS on the main thread."""

    layer_id: str
    polygons: tuple[FieldPolygon, ...]
    source_ids: dict[int, int]  # the polygon's fid → the feature id in the user's layer
    crs_authid: str
    options: FieldStatisticsOptions
    results_path: Path
    title: str

    @property
    def synchronous(self) -> bool:
        return len(self.polygons) <= SYNCHRONOUS_LIMIT


def iso_interval(count: int, unit: str) -> str:
    """An ISO-8601 duration ("P7D", "P2W", "P1M"); FormRefused under one day."""
    if count < 1:
        raise FormRefused(tr("The interval must be one day or longer: set it to 1 or more."))
    return f"P{count}{unit}"


def parse_percentiles(text: str) -> tuple[float, ...]:
    """ "10, 50, 90" → (10.0, 50.0, 90.0); FormRefused naming what is not a percentile."""
    values = []
    for part in filter(None, PERCENTILES.split(text.strip())):
        try:
            value = float(part)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 100:
            raise FormRefused(
                tr("“{part}” is not a percentile: write numbers from 0 to 100, separated by commas.").format(
                    part=part
                )
            )
        values.append(value)
    return tuple(dict.fromkeys(values))


def not_polygons(layer) -> str:
    return tr(
        "“{name}” is not a polygon layer: statistics are per field, so choose a layer of polygons."
    ).format(name=layer.name())


def fields_layer(layer) -> QgsVectorLayer:
    """The layer, if it is a polygon layer with features; FormRefused saying what to do otherwise."""
    if layer is None:
        raise FormRefused(tr("Choose the polygon layer of your fields (add it to the project first)."))
    if not isinstance(layer, QgsVectorLayer) or layer.geometryType() != POLYGON_GEOMETRY:
        raise FormRefused(not_polygons(layer))
    if layer.featureCount() == 0:
        raise FormRefused(
            tr("“{name}” has no features: draw or load your fields first.").format(name=layer.name())
        )
    return layer


def elide_long_names(combos) -> None:
    """Long layer, field or preset names elide rather than widen the dock."""
    for combo in combos:
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)


class FieldStatisticsPanel(QWidget):
    """`client()` is the dock's Batch API client of the chosen deployment (None without credentials), whose
    session and token the Statistical API calls share; `bucket_access()` how this machine reaches a bucket
    (the engine's S3 endpoint, the job form's S3 keys), read only when a batch job needs it."""

    def __init__(
        self,
        iface,
        client: Callable[[], Optional[BatchClient]],
        bucket_access: Callable[[], S3Access],
        parent: Optional[QWidget] = None,
    ):
        super().__init__(parent)
        self.iface = iface
        self.client = client
        self.bucket_access = bucket_access
        self.task: Optional[FieldStatisticsTask] = None
        self.run: Optional[FieldRun] = None  # the last run started (its results are shown)
        self.results: Optional[ResultsLayers] = None
        self.results_path: Optional[Path] = None
        self.batch_location = ""  # where a batch job's files go (a bucket, or the engine's output root)
        self._build()
        self.layer_combo.layerChanged.connect(self._layer_changed)
        self._layer_changed(self.layer_combo.currentLayer())

    # === building ======================================================================================

    def _build(self) -> None:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the dock's width, always
        form = QWidget(scroll)
        column = QVBoxLayout(form)
        column.addWidget(self._fields_box(form))
        script_box = QGroupBox(tr("Evalscript"), form)
        presets = Path(QgsApplication.qgisSettingsDirPath()) / "tilewise" / "statistics_evalscripts"
        self.script_editor = EvalscriptEditor(presets, script_box, builtins=STATISTICS_PRESETS)
        self.script_editor.editor.setMinimumHeight(140)
        QVBoxLayout(script_box).addWidget(self.script_editor)
        for box in (script_box, self._time_box(form), self._statistics_box(form)):
            column.addWidget(box)
        column.addStretch(1)
        elide_long_names(form.findChildren(QComboBox))
        scroll.setWidget(form)

        self.summary_label = plain_label("", self)
        self.run_button = QPushButton(tr("Run"), self)
        self.run_button.setToolTip(tr("Compute the statistics of each field and add the results to the map."))
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.cancel_button.setToolTip(tr("Stop the run (a batch job is stopped on the service)."))
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.problem_label = MessageLabel(self)
        self.result_label = MessageLabel(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        footer = QWidget(self)
        rows = QVBoxLayout(footer)
        rows.setContentsMargins(4, 4, 4, 2)
        for widget in (self.summary_label, self.progress, self.problem_label, self.result_label):
            rows.addWidget(widget)
        rows.addLayout(buttons)

        results = QWidget(self)
        results_column = QVBoxLayout(results)
        results_column.setContentsMargins(4, 0, 4, 0)
        self.series = FieldSeries(results)
        self.failed_list = QListWidget(results)
        self.failed_list.setMaximumHeight(70)
        self.failed_list.setToolTip(tr("Fields whose statistics failed, with the service's reason."))
        self.failed_list.setVisible(False)
        results_column.addWidget(self.series, 1)
        results_column.addWidget(self.failed_list)
        results.setVisible(False)  # until a run has results: the form has the whole height
        self.results_area = results

        split = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(split)
        top_column = QVBoxLayout(top)
        top_column.setContentsMargins(0, 0, 0, 0)
        top_column.addWidget(scroll, 1)
        top_column.addWidget(footer)
        split.addWidget(top)
        split.addWidget(results)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(split)
        self.layout().setContentsMargins(0, 0, 0, 0)

        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.script_editor.infoChanged.connect(lambda _info: self.refresh_summary())
        self.script_editor.select_preset(STATISTICS_PRESETS[0].name)

    def _fields_box(self, form: QWidget) -> QWidget:
        self.layer_combo = QgsMapLayerComboBox(form)
        self.layer_combo.setFilters(POLYGON_LAYER_FILTER)
        self.layer_combo.setAllowEmptyLayer(True)
        self.layer_combo.setToolTip(tr("The polygons: the selected features of this layer, or all of them."))
        self.identifier_combo = QgsFieldComboBox(form)
        self.identifier_combo.setAllowEmptyFieldName(True)
        self.identifier_combo.setToolTip(
            tr("The attribute that names each field (its feature id when empty).")
        )
        self.selection_label = plain_label("", form)
        box, _ = form_box(tr("Fields"), [(tr("Layer"), self.layer_combo), (tr("Name from"), self.identifier_combo),
                                         self.selection_label], form)  # fmt: skip
        return box

    def _time_box(self, form: QWidget) -> QWidget:
        self.date_from = QDateEdit(QDate.currentDate().addMonths(-3), form)
        self.date_to = QDateEdit(QDate.currentDate(), form)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.interval_spin = QSpinBox(form)
        self.interval_spin.setRange(0, 366)  # 0 is refused with a message rather than impossible to type
        self.interval_spin.setValue(1)
        self.interval_unit = QComboBox(form)
        for unit, name in interval_units():
            self.interval_unit.addItem(name, unit)
        self.interval_unit.setCurrentIndex(self.interval_unit.findData("W"))
        interval = QHBoxLayout()
        interval.addWidget(self.interval_spin)
        interval.addWidget(self.interval_unit, 1)
        box, _ = form_box(tr("Time"), [(tr("From"), self.date_from), (tr("To"), self.date_to),
                                       (tr("Every"), interval)], form)  # fmt: skip
        return box

    def _statistics_box(self, form: QWidget) -> QWidget:
        self.resolution_spin = QDoubleSpinBox(form)
        self.resolution_spin.setRange(1.0, 10_000.0)
        self.resolution_spin.setValue(10.0)
        self.resolution_spin.setSuffix(" m")
        self.resolution_spin.setToolTip(tr("The pixel size the statistics are computed at."))
        self.cloud_spin = QSpinBox(form)
        self.cloud_spin.setRange(-1, 100)
        self.cloud_spin.setValue(-1)
        self.cloud_spin.setSpecialValueText(tr("Any"))
        self.cloud_spin.setSuffix(" %")
        self.cloud_spin.setToolTip(tr("Skip scenes cloudier than this."))
        self.percentiles_edit = QLineEdit(form)
        self.percentiles_edit.setPlaceholderText(tr("e.g. 10, 50, 90"))
        self.percentiles_edit.setToolTip(tr("Percentiles to compute besides mean, min, max and st. dev."))
        self.bins_spin = QSpinBox(form)
        self.bins_spin.setRange(0, 1000)
        self.bins_spin.setSpecialValueText(tr("No histogram"))
        self.histogram_low = QLineEdit(form)
        self.histogram_high = QLineEdit(form)
        for edit, tip in ((self.histogram_low, tr("low edge (default: the minimum)")),
                          (self.histogram_high, tr("high edge (default: the maximum)"))):  # fmt: skip
            edit.setPlaceholderText(tip)
        edges = QHBoxLayout()
        edges.addWidget(self.histogram_low)
        edges.addWidget(self.histogram_high)
        self.location_edit = QLineEdit(form)
        self.location_edit.setPlaceholderText(tr("s3://bucket/folder (many fields only)"))
        self.location_edit.setToolTip(
            tr(
                "Where a batch statistical job keeps the fields' GeoPackage and its results; with the local "
                "engine and no bucket, its output root."
            )  # fmt: skip
        )
        self.results_file = QgsFileWidget(form)
        self.results_file.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
        self.results_file.setFilter(tr("GeoPackage (*.gpkg)"))
        self.results_file.setToolTip(tr("The results GeoPackage; empty: a temporary file."))
        box, _ = form_box(
            tr("Statistics"),
            [(tr("Resolution"), self.resolution_spin), (tr("Max cloud cover"), self.cloud_spin),
             (tr("Percentiles"), self.percentiles_edit), (tr("Histogram bins"), self.bins_spin),
             (tr("Histogram edges"), edges), (tr("Batch files in"), self.location_edit),
             (tr("Results file"), self.results_file)],
            form,
        )  # fmt: skip
        for widget in (self.date_from, self.date_to):
            widget.dateChanged.connect(self.refresh_summary)
        self.location_edit.textChanged.connect(self.refresh_summary)
        return box

    # === the fields =====================================================================================

    def set_layer(self, layer) -> None:
        """Choose the fields' layer (the combo lists polygon layers only: another kind is refused, and said)."""
        polygons = isinstance(layer, QgsVectorLayer) and layer.geometryType() == POLYGON_GEOMETRY
        self.layer_combo.setLayer(layer if polygons else None)
        self.show_problem("" if polygons or layer is None else not_polygons(layer))

    def layer(self) -> Optional[QgsVectorLayer]:
        return self.layer_combo.currentLayer()

    def _layer_changed(self, layer) -> None:
        for old in (getattr(self, "_watched", None),):
            if old is not None:
                with contextlib.suppress(RuntimeError, TypeError):
                    old.selectionChanged.disconnect(self._source_selection_changed)
        self._watched = layer if isinstance(layer, QgsVectorLayer) else None
        if self._watched is not None:
            self._watched.selectionChanged.connect(self._source_selection_changed)
        self.identifier_combo.setLayer(self._watched)
        self.refresh_summary()

    def field_count(self) -> int:
        """The fields a run would take: the selected features, or all when none is selected."""
        layer = self.layer()
        if not isinstance(layer, QgsVectorLayer):
            return 0
        return layer.selectedFeatureCount() or layer.featureCount()

    def refresh_summary(self, *_args) -> None:
        """The selection and which way the run goes, said before it starts."""
        layer = self.layer()
        if not isinstance(layer, QgsVectorLayer):
            self.selection_label.setText(tr("Add a polygon layer with your fields to the project."))
            self.summary_label.setText("")
            return
        selected = layer.selectedFeatureCount()
        self.selection_label.setText(
            tr("{count} selected fields.").format(count=f"{selected:,}")
            if selected
            else tr("No selection: all {count} fields are used.").format(count=f"{layer.featureCount():,}")
        )
        self.summary_label.setStyleSheet("")
        self.summary_label.setText(self.mode_text(self.field_count()))

    def mode_text(self, count: int) -> str:
        if count > MAX_STATISTICAL_FEATURES:
            return tr("{count} fields: more than {limit} — select fewer.").format(
                count=f"{count:,}", limit=f"{MAX_STATISTICAL_FEATURES:,}"
            )
        if count <= SYNCHRONOUS_LIMIT:
            return tr("{count} fields: one request each (Statistical API).").format(count=f"{count:,}")
        return tr("{count} fields: a batch statistical job, results in {location}.").format(
            count=f"{count:,}", location=self.location() or tr("(choose a bucket below)")
        )

    def set_engine_output_root(self, root: str) -> None:
        """The local engine's output root: where its batch files go when no bucket is named."""
        self.batch_location = Path(root).as_uri() if root else ""
        self.refresh_summary()

    def location(self) -> str:
        return self.location_edit.text().strip() or self.batch_location

    # === the run ========================================================================================

    def collect(self) -> FieldRun:
        """The run the form describes; FormRefused saying what to change."""
        layer = fields_layer(self.layer())
        try:
            crs = crs_text(layer.crs(), tr("The layer “{name}”").format(name=layer.name()))
        except UserInputError as exc:
            raise FormRefused(str(exc)) from None
        count = self.field_count()
        if count > MAX_STATISTICAL_FEATURES:
            raise FormRefused(
                tr(
                    "{count} fields are more than the {limit} one batch statistical job takes: select part of "
                    "the layer and run each part on its own."
                ).format(  # fmt: skip
                    count=f"{count:,}", limit=f"{MAX_STATISTICAL_FEATURES:,}"
                )
            )
        options = self.options(layer.crs())
        if count > SYNCHRONOUS_LIMIT and not self.location():
            raise FormRefused(
                tr(
                    "{count} fields make a batch statistical job: name its bucket under “Batch files in” "
                    "(s3://bucket/folder)."
                ).format(count=f"{count:,}")  # fmt: skip
            )
        polygons, source_ids = self.polygons(layer)
        if not polygons:
            raise FormRefused(tr("The chosen features have no geometry: select fields with polygons."))
        return FieldRun(
            layer.id(), polygons, source_ids, crs, options, self.new_results_path(layer), self.title(layer)
        )

    def options(self, crs: QgsCoordinateReferenceSystem) -> FieldStatisticsOptions:
        info, problem = self.script_editor.info, self.script_editor.problem
        if info is None:
            raise FormRefused(
                tr("Fix the evalscript first: {problem}").format(problem=problem.message)
                if problem is not None
                else tr("The evalscript is still being read: try again in a moment.")
            )
        if not any(output.id == DATA_MASK and output.bands == 1 for output in info.outputs):
            raise FormRefused(
                tr(
                    "The evalscript has no dataMask output: statistics need it to tell pixels with data from "
                    'those without. Add an output with id "dataMask" and 1 band to setup() and return dataMask from '
                    "evaluatePixel, or pick the NDVI or NDWI preset."
                )  # fmt: skip
            )
        start, end = self.date_from.date().toPyDate(), self.date_to.date().toPyDate()
        if start >= end:
            raise FormRefused(tr("“From” must be before “To”: the statistics need a time range."))
        low, high = self._edge(self.histogram_low), self._edge(self.histogram_high)
        if low is not None and high is not None and low >= high:
            raise FormRefused(tr("The histogram's low edge must be below its high edge."))
        resolution = self.resolution_spin.value()
        if crs.isGeographic():
            resolution /= METRES_PER_DEGREE  # the layer's units are degrees
        return FieldStatisticsOptions(
            evalscript=self.script_editor.script(),
            time_from=datetime.combine(start, time(), tzinfo=timezone.utc),
            time_to=datetime.combine(end, time(), tzinfo=timezone.utc),
            interval=iso_interval(self.interval_spin.value(), self.interval_unit.currentData()),
            resolution=resolution,
            percentiles=parse_percentiles(self.percentiles_edit.text()),
            histogram_bins=self.bins_spin.value(),
            histogram_low=low,
            histogram_high=high,
            max_cloud_coverage=None if self.cloud_spin.value() < 0 else float(self.cloud_spin.value()),
        )

    @staticmethod
    def _edge(edit: QLineEdit) -> Optional[float]:
        text = edit.text().strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise FormRefused(
                tr("The histogram edge “{text}” is not a number: write one, or leave it empty.").format(
                    text=text
                )
            ) from None

    def polygons(self, layer: QgsVectorLayer) -> tuple[tuple[FieldPolygon, ...], dict[int, int]]:
        """The selected features (or all) as polygons numbered from 1, in the layer's CRS."""
        name_field = self.identifier_combo.currentField()
        request = QgsFeatureRequest()
        if not name_field:
            request.setNoAttributes()
        if layer.selectedFeatureCount():
            request.setFilterFids(layer.selectedFeatureIds())
        features = sorted(layer.getFeatures(request), key=lambda f: f.id())  # numbered in the layer's order
        polygons, source_ids = [], {}
        for feature in features:
            geometry = feature.geometry()
            if geometry is None or geometry.isEmpty():
                continue
            fid = len(polygons) + 1
            name = feature[name_field] if name_field else None
            identifier = str(feature.id()) if name in (None, "") else str(name)
            polygons.append(FieldPolygon(fid, identifier, geometry.asWkt()))
            source_ids[fid] = feature.id()
        return tuple(polygons), source_ids

    def new_results_path(self, layer: QgsVectorLayer) -> Path:
        chosen = self.results_file.filePath().strip()
        if chosen:
            return Path(chosen if chosen.lower().endswith(".gpkg") else chosen + ".gpkg")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^\w-]+", "_", layer.name()).strip("_") or "fields"
        return session_folder("tilewise-field-statistics-") / f"{safe}-{stamp}.gpkg"

    def title(self, layer: QgsVectorLayer) -> str:
        preset = self.script_editor.preset_name()
        script = preset if preset in {p.name for p in STATISTICS_PRESETS} else tr("own script")
        return tr("{script} · {layer} · {start} to {end}").format(
            script=script,
            layer=layer.name(),
            start=self.date_from.date().toString("yyyy-MM-dd"),
            end=self.date_to.date().toString("yyyy-MM-dd"),
        )

    def start(self) -> None:
        if self.task is not None:
            return
        self.show_problem("")
        try:
            run = self.collect()
            batch = self.client()
            if batch is None:
                raise FormRefused(
                    tr("Connect first: choose a deployment at the top and enter its credentials (⚙).")
                )
            storage = None if run.synchronous else self.storage()
        except FormRefused as exc:
            self.show_problem(str(exc))
            return
        task = FieldStatisticsTask(StatisticalClient.of(batch), run.polygons, run.crs_authid, run.options,
                                   run.results_path, storage, self._finished)  # fmt: skip
        self.run = run
        self.task = task
        task.progressChanged.connect(lambda value: self.progress.setValue(int(value)))
        task.jobChanged.connect(self._job_changed)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._set_busy(True)
        self.result_label.show_message(
            tr("Computing the statistics of {count} fields…").format(count=f"{len(run.polygons):,}")
            if run.synchronous
            else tr("Creating a batch statistical job for {count} fields…").format(
                count=f"{len(run.polygons):,}"
            )
        )
        QgsApplication.taskManager().addTask(task)

    def storage(self) -> StatisticsStorage:
        """Where a batch job's files go: the bucket (reached with the dock's S3 access), or the local engine's
        output root (a folder, no keys)."""
        location = self.location()
        if location.lower().startswith("file://"):
            return StatisticsStorage(location, S3Access(), send_keys=False)
        if not location.lower().startswith("s3://"):
            raise FormRefused(
                tr("“{location}” is not a bucket: write s3://bucket/folder under “Batch files in”.").format(
                    location=location
                )
            )
        return StatisticsStorage(location, self.bucket_access())

    def _job_changed(self, job: BatchStatisticalJob) -> None:
        self.result_label.show_message(
            tr("Batch statistical job {id}: {status}, {percent} %.").format(
                id=job.id, status=job.status.value, percent=f"{job.completion_percentage:.0f}"
            )
        )

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.result_label.show_message(tr("Cancelling…"))

    def _set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def show_problem(self, text: str) -> None:
        self.problem_label.setStyleSheet(text_style("error"))
        self.problem_label.show_message(text)

    def _finished(self, task) -> None:
        """The task ended (on the main thread): its results on the map, its failures listed."""
        if task is not self.task:
            return
        self.task = None
        self._set_busy(False)
        self.progress.setVisible(False)
        run = self.run
        rows = list(getattr(task, "rows", None) or [])
        if run is None or task.error or not rows:
            self.result_label.show_message(
                task.error
                or (tr("Cancelled.") if task.isCanceled() else tr("The run returned no statistics."))
            )
            return
        self.results_path = Path(task.results_path)
        self.results = add_results_layers(self.results_path, run.title)
        self.results_area.setVisible(True)
        self.results.fields.selectionChanged.connect(self._results_selection_changed)
        self.show_failures(task.failed_features)
        job = getattr(task, "job_id", None)
        done = tr("Statistics of {count} fields in {path}.").format(
            count=f"{len(run.polygons) - len(task.failed_features):,}", path=task.results_path
        )
        self.result_label.show_message(f"{done} {tr('Batch job {id}.').format(id=job)}" if job else done)
        self.show_field(run.polygons[0].fid)

    def show_failures(self, failures) -> None:
        self.failed_list.clear()
        for fid, error in failures:
            self.failed_list.addItem(tr("Field {fid}: {error}").format(fid=fid, error=error))
        self.failed_list.setVisible(bool(failures))

    # === the chart follows the selection ================================================================

    def show_field(self, fid: int) -> None:
        if self.run is None or self.results is None:
            return
        polygon = next((p for p in self.run.polygons if p.fid == fid), None)
        if polygon is None:
            return
        rows = read_statistics_table(self.results_path, fid)
        self.series.show_field(tr("Field {name}").format(name=polygon.identifier), rows)

    def _results_selection_changed(self, selected, *_args) -> None:
        if selected:
            self.show_field(int(selected[0]))

    def _source_selection_changed(self, selected, *_args) -> None:
        self.refresh_summary()
        if self.run is None or not selected or self.layer() is None or self.layer().id() != self.run.layer_id:
            return
        wanted = {source: fid for fid, source in self.run.source_ids.items()}
        fid = wanted.get(int(selected[0]))
        if fid is not None:
            self.show_field(fid)

    def unload(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.script_editor.unload()


__all__ = ["FieldRun", "FieldStatisticsPanel", "FormRefused", "iso_interval", "parse_percentiles"]
