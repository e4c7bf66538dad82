"""The dock's "Jobs" tab: a deployment's batch jobs, newest first, page by page, with the selected job's details.

Every call runs in a ClientCallTask (core/tasks.py); this module has no HTTP of its own. A new load cancels the
one in flight and drops its result; a failed load shows the service's message and keeps the rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any, Callable, Optional

from qgis.core import QgsApplication, QgsProject
from qgis.gui import QgsFilterLineEdit
from qgis.PyQt.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QColor, QFontDatabase
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import project_jobs
from ..core.client import BatchClient
from ..core.costs import batch_charge
from ..core.http import Cancel, Cancelled, NotFoundError
from ..core.jobs import BatchJob
from ..core.project_jobs import parse_timestamp
from ..core.tasks import ClientCallTask
from .i18n import tr
from .messages import with_hint
from .qgis_compat import item_alignment
from .theme import mix, palette, text_style

log = logging.getLogger(__name__)

PAGE_SIZE = 50
SEARCH_DELAY_MS = 400
NO_VALUE = "—"
SECRET_MASK = "••••••"

COLUMN_COUNT = 7
CREATED, STATUS, PROGRESS, PU, TILES, DESCRIPTION, ID = range(COLUMN_COUNT)
NUMERIC_COLUMNS = (PROGRESS, PU, TILES)
REQUEST_LINES = 14  # the request view's height when shown
WIDE_ENOUGH_FOR_TILES, WIDE_ENOUGH_FOR_ID = 560, 820  # px of the panel (the dock is 440 at least)

# Status cells: this colour blended into the theme's base (STATUS_SHARE of it), under the theme's own text,
# so they read on light and dark themes alike
STATUS_SHARE = 0.3
STATUS_COLOURS = {
    "DONE": (67, 160, 71, 60),
    "FAILED": (229, 57, 53, 60),
    "PARTIAL": (251, 140, 0, 70),
    "ANALYSING": (30, 136, 229, 50),
    "PROCESSING": (30, 136, 229, 50),
    "RUNNING": (30, 136, 229, 50),
}

# Tasks stay referenced here from their start to their end, whatever happens to the panel meanwhile.
_LIVE_TASKS: set[ClientCallTask] = set()


# --- texts: looked up when shown, so the translator installed at that time (not at import) answers ---------


def column_titles() -> tuple[str, ...]:
    """The table's headers, in the order of CREATED … ID."""
    return (tr("Created"), tr("Status"), tr("Progress"), tr("PU"), tr("Tiles"), tr("Description"), tr("ID"))


def no_client_text() -> str:
    return tr("Set up a deployment to list its batch jobs.")


# --- formatting ------------------------------------------------------------------------------------------


def format_created(created: Optional[str]) -> str:
    """The creation time in local time, to the minute; the raw text when it cannot be read."""
    moment = parse_timestamp(created)
    if moment is None:
        return created or NO_VALUE
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def format_pu(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def format_progress(job: BatchJob) -> str:
    if job.completion is None:
        return NO_VALUE
    return f"{job.completion:.0f} %"


def format_cost(job: BatchJob) -> str:
    """PU spent, else the expected charge (≈, as the start dialog computes it from the service's full-rate
    estimate). A service that reports 0 spent before processing (the engine does) still shows the expected
    charge until something is spent or the job ends."""
    spent = job.cost_pu
    if spent is not None and (spent > 0 or job.is_terminal or job.value_estimate is None):
        return format_pu(spent)
    if job.value_estimate is not None:
        return f"≈ {format_pu(batch_charge(job.value_estimate).expected)}"
    return NO_VALUE


def masked(value: Any) -> Any:
    """The request with secret values (a delivery's secret key, a session token) hidden."""
    if isinstance(value, dict):
        return {
            key: SECRET_MASK
            if isinstance(key, str) and _is_secret(key) and isinstance(value[key], str)
            else masked(value[key])
            for key in value
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _is_secret(key: str) -> bool:
    key = key.lower()
    return "secret" in key or "password" in key or key in ("sessiontoken", "token")


def matches(search: str, *texts: Optional[str]) -> bool:
    """Local search for the project filter: every word of `search` in one of the texts (case-insensitive)."""
    haystack = " ".join(t for t in texts if t).lower()
    return all(word in haystack for word in search.lower().split())


# --- the table model ----------------------------------------------------------------------------------


class JobsTableModel(QAbstractTableModel):
    """Jobs in the order the service lists them (newest first)."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._jobs: list[BatchJob] = []

    # Qt interface

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section: int, orientation: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < COLUMN_COUNT
        ):
            return column_titles()[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job, column = self._jobs[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if job.error:
                return job.error
            if column == CREATED:
                return job.created
            if column == DESCRIPTION:
                return job.description or None
            if column == ID:
                return job.id
            return None
        if role == Qt.ItemDataRole.BackgroundRole and column == STATUS and job.status in STATUS_COLOURS:
            return status_background(job.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC_COLUMNS:
            return item_alignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return job
        return None

    @staticmethod
    def _text(job: BatchJob, column: int) -> str:
        if column == CREATED:
            return format_created(job.created)
        if column == STATUS:
            return job.status
        if column == PROGRESS:
            return format_progress(job)
        if column == PU:
            return format_cost(job)
        if column == TILES:
            return NO_VALUE if job.tile_count is None else f"{job.tile_count:,}"
        if column == DESCRIPTION:
            return job.description
        return job.id

    # the panel's interface

    def jobs(self) -> list[BatchJob]:
        return list(self._jobs)

    def job(self, row: int) -> Optional[BatchJob]:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: str) -> Optional[int]:
        return next((row for row, job in enumerate(self._jobs) if job.id == job_id), None)

    def set_jobs(self, jobs: list[BatchJob]) -> None:
        self.beginResetModel()
        self._jobs = _unique(jobs)
        self.endResetModel()

    def clear(self) -> None:
        self.set_jobs([])

    def append_jobs(self, jobs: list[BatchJob]) -> None:
        """The next page: jobs already shown (the list moved since the last page) are updated in place."""
        new = []
        for job in _unique(jobs):
            if self.row_of(job.id) is None:
                new.append(job)
            else:
                self.upsert(job)
        if new:
            self.beginInsertRows(QModelIndex(), len(self._jobs), len(self._jobs) + len(new) - 1)
            self._jobs.extend(new)
            self.endInsertRows()

    def upsert(self, job: BatchJob) -> int:
        """Update the job's row, or insert it where its creation time puts it (at the top when unknown)."""
        row = self.row_of(job.id)
        if row is not None:
            self._jobs[row] = job
            self.dataChanged.emit(self.index(row, 0), self.index(row, COLUMN_COUNT - 1))
            return row
        created = parse_timestamp(job.created)
        row = 0
        if created is not None:
            while row < len(self._jobs):
                other = parse_timestamp(self._jobs[row].created)
                if other is not None and other < created:
                    break
                row += 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._jobs.insert(row, job)
        self.endInsertRows()
        return row

    def remove(self, job_id: str) -> None:
        row = self.row_of(job_id)
        if row is not None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._jobs[row]
            self.endRemoveRows()


def status_background(status: str) -> QColor:
    """The status cell's background: opaque, so the theme's text colour keeps its contrast on it."""
    base = palette().color(palette().ColorRole.Base)
    return mix(base, QColor(*STATUS_COLOURS[status][:3]), STATUS_SHARE)


def _unique(jobs: list[BatchJob]) -> list[BatchJob]:
    seen: dict[str, BatchJob] = {}
    for job in jobs:
        seen.setdefault(job.id, job)
    return list(seen.values())


# --- the panel ---------------------------------------------------------------------------------------


class JobsPanel(QWidget):
    """A deployment's jobs: search, project filter, paged table and the selected job's details."""

    jobSelected = pyqtSignal(object)  # BatchJob, or None when the selection is cleared
    loadFinished = pyqtSignal(bool)  # a page arrived (True) or failed (False); dropped loads say nothing

    def __init__(
        self,
        parent: Optional[QWidget] = None,
        page_size: int = PAGE_SIZE,
        project: Optional[QgsProject] = None,
    ):
        super().__init__(parent)
        self.page_size = page_size
        self.project = project or QgsProject.instance()
        self._client: Optional[BatchClient] = None
        self._deployment_id = ""
        self._deployment_name = ""
        self._task: Optional[ClientCallTask] = None  # the load in flight (older ones are cancelled)
        self._task_appends = False
        self._added_during_load: dict[str, BatchJob] = {}
        self._next_token: Any = None  # the service's view token, or an offset in the project's list
        self._last_emitted: Optional[BatchJob] = None
        self._tile: Optional[tuple[str, dict]] = None  # (job id, tile) selected on a job's tile layer
        self._unloaded = False
        self._build()
        self.project.readProject.connect(self._project_changed)
        self.project.cleared.connect(self._project_changed)
        self._show_no_client()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)

        controls = QHBoxLayout()
        self.search_edit = QgsFilterLineEdit(self)
        self.search_edit.setShowSearchIcon(True)
        self.search_edit.setPlaceholderText(tr("Search id, description or status"))
        self.search_edit.setToolTip(tr("The service searches as you type (a|b: either; a&b: both)."))
        self.refresh_button = QPushButton(tr("Refresh"), self)
        self.refresh_button.setToolTip(tr("List the jobs again from the service."))
        controls.addWidget(self.search_edit, 1)
        controls.addWidget(self.refresh_button)
        column.addLayout(controls)

        self.project_only_check = QCheckBox(tr("Only jobs of this project"), self)
        self.project_only_check.setToolTip(
            tr("Jobs created from this QGIS project (it remembers them when saved).")
        )
        column.addWidget(self.project_only_check)

        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(text_style("error"))
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        column.addWidget(self.status_label)
        column.addWidget(self.error_label)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        list_part = QWidget(self.splitter)
        list_layout = QVBoxLayout(list_part)
        list_layout.setContentsMargins(0, 0, 0, 0)
        self.model = JobsTableModel(self)
        self.table = QTableView(list_part)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        # never sideways: short columns fit their contents, the description takes (and elides in) the rest,
        # and the id, 36 characters wide, is in the details and the tooltips rather than a column
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self._fit_columns()
        list_layout.addWidget(self.table)
        self.load_more_button = QPushButton(tr("Load more"), list_part)
        self.load_more_button.setToolTip(tr("List the next, older jobs."))
        self.load_more_button.hide()
        list_layout.addWidget(self.load_more_button)
        self.splitter.addWidget(list_part)

        # the details scroll up and down (never sideways) rather than being cut when the dock is short
        self.details_scroll = details_scroll = QScrollArea(self.splitter)
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        details = QWidget(details_scroll)
        details_scroll.setWidget(details)
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.detail_labels: dict[str, QLabel] = {}
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.detail_labels: dict[str, QLabel] = {}
        for key, title in (
            ("id", tr("ID")),
            ("status", tr("Status")),
            ("user_action", tr("User action")),
            ("tiles", tr("Tiles")),
            ("estimate", tr("Estimate")),
            ("cost", tr("Cost")),
            ("error", tr("Error")),
            ("output", tr("Output")),
            ("tile", tr("Selected tile")),
        ):
            label = QLabel(details)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # a long word (an output URL) wraps where it can and is cut, never widening the dock
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.detail_labels[key] = label
            form.addRow(title, label)
        self.tile_title = form.labelForField(self.detail_labels["tile"])
        details_layout.addLayout(form)
        self.actions_slot = QVBoxLayout()  # the dock puts the job's action buttons here
        details_layout.addLayout(self.actions_slot)
        self.request_toggle = QPushButton(tr("Show request"), details)
        self.request_toggle.setCheckable(True)
        self.request_toggle.setToolTip(tr("The job's request as sent, with secrets masked."))
        details_layout.addWidget(self.request_toggle)
        self.request_view = QPlainTextEdit(details)
        self.request_view.setReadOnly(True)
        self.request_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.request_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.request_view.setPlaceholderText(tr("Select a job to see its request."))
        self.request_view.setMinimumHeight(self.request_view.fontMetrics().lineSpacing() * REQUEST_LINES)
        self.request_view.hide()  # a third of the dock when shown: on demand
        details_layout.addWidget(self.request_view, 1)
        details_layout.addStretch(0)
        self.splitter.addWidget(details_scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        column.addWidget(self.splitter, 1)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)

        self.search_edit.textChanged.connect(lambda _text: self.search_timer.start())
        self.search_edit.returnPressed.connect(self.refresh)
        self.search_timer.timeout.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.load_more_button.clicked.connect(self.load_more)
        self.project_only_check.toggled.connect(lambda _checked: self.refresh())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.request_toggle.toggled.connect(self._show_request)
        self._show_tile(None)

    # --- public interface -------------------------------------------------------------------------

    def set_client(self, client: Optional[BatchClient], deployment_id: str, deployment_name: str) -> None:
        """Show another deployment's jobs (the caller owns the client): clears, then loads page 1."""
        self._cancel_load()
        self._client = client
        self._deployment_id = deployment_id
        self._deployment_name = deployment_name
        self._next_token = None
        self.model.clear()
        self._selection_changed()
        self._hide_error()
        if client is None:
            self._show_no_client()
            return
        self.refresh()

    def refresh(self) -> None:
        """Page 1 again (with the current search and filter); the rows stay until it arrives."""
        self.search_timer.stop()
        self._load(append=False)

    def load_more(self) -> None:
        if self._next_token is not None:
            self._load(append=True)

    def add_or_update(self, job: BatchJob) -> None:
        """A job the job form created or acted on: its row appears or changes at once, without a reload.
        Jobs of another deployment or API version, or that the search or project filter hides, are left out
        (a row already shown is always updated)."""
        if self._unloaded or self._client is None:
            return
        if job.deployment != self._deployment_id or job.api_version != self._client.api_version:
            return
        if self._task is not None and not self._task_appends:
            self._added_during_load[job.id] = job  # page 1 may come back without it
        if self.model.row_of(job.id) is None and not self._accepts(job):
            return
        self.model.upsert(job)
        self._update_status_text()
        self._selection_changed()

    def remove(self, job_id: str) -> None:
        """A job deleted on the service leaves the list."""
        if self._unloaded:
            return
        self._added_during_load.pop(job_id, None)
        self.model.remove(job_id)
        self._update_status_text()
        self._selection_changed()

    def set_actions_bar(self, bar: QWidget) -> None:
        """Show the selected job's action buttons between its details and its request."""
        self.actions_slot.addWidget(bar)

    def show_job(self, job: BatchJob) -> None:
        """Bring the job forward: its row (added when the search or filter hid it) selected and scrolled to,
        the Jobs tab current and the dock shown."""
        if self._unloaded:
            return
        self.add_or_update(job)
        if self.model.row_of(job.id) is None and self._client is not None:
            self.model.upsert(job)
        self._select(job.id)
        row = self.model.row_of(job.id)
        if row is not None:
            self.table.scrollTo(self.model.index(row, 0))
        self.reveal()

    def reveal(self) -> None:
        """Make the panel visible: each tab widget above it switches to it and the dock holding it is raised."""
        parent = self.parentWidget()
        while parent is not None:
            if isinstance(parent, QTabWidget):  # its pages sit in a stack: find the one holding the panel
                for index in range(parent.count()):
                    page = parent.widget(index)
                    if page is self or page.isAncestorOf(self):
                        parent.setCurrentIndex(index)
            if isinstance(parent, QDockWidget):
                parent.show()
                parent.raise_()
            parent = parent.parentWidget()

    def show_tile(self, job_id: str, tile: Optional[dict]) -> None:
        """The tile selected on a job's tile layer (its status and failure reason), shown under its job's
        details while that job is selected; None clears it."""
        self._tile = (job_id, tile) if tile is not None else None
        if tile is not None:
            self._select(job_id)
        self._show_tile(self.selected_job())

    def selected_job(self) -> Optional[BatchJob]:
        rows = self.table.selectionModel().selectedRows()
        return self.model.job(rows[0].row()) if rows else None

    def is_loading(self) -> bool:
        return self._task is not None

    def has_more(self) -> bool:
        return self._next_token is not None

    def unload(self) -> None:
        """Cancel what runs; the panel ignores every late result."""
        self._unloaded = True
        self.search_timer.stop()
        self._cancel_load()
        for signal in (self.project.readProject, self.project.cleared):
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(self._project_changed)

    # --- loading ----------------------------------------------------------------------------------

    def _load(self, append: bool) -> None:
        if self._unloaded or self._client is None:
            return
        self._cancel_load()
        client, count = self._client, self.page_size
        search = self.search_edit.text().strip()
        token = self._next_token if append else None
        if self.project_only_check.isChecked():
            function = self._project_page(client, search, token or 0)
        else:

            def function(cancel: Cancel) -> tuple[list[BatchJob], Optional[str]]:
                return client.jobs_page(search or None, token, count, cancel)

        task = ClientCallTask(
            tr("jobs of {deployment}").format(deployment=self._deployment_name), function, self._on_page
        )
        self._task, self._task_appends = task, append
        if not append:
            self._added_during_load = {}
        _LIVE_TASKS.add(task)
        self._set_loading(True)
        QgsApplication.taskManager().addTask(task)

    def _project_page(
        self, client: BatchClient, search: str, offset: int
    ) -> Callable[[Cancel], tuple[list[BatchJob], Optional[int]]]:
        """The project's jobs on this deployment, looked up one by one (read from the project here, on the
        main thread; jobs deleted on the service are left out)."""
        entries = [
            entry
            for entry in project_jobs.remembered(self.project, self._deployment_id)
            if entry.api_version == client.api_version and matches(search, entry.id, entry.description)
        ]
        chunk = entries[offset : offset + self.page_size]
        following = offset + self.page_size if offset + self.page_size < len(entries) else None

        def function(cancel: Cancel) -> tuple[list[BatchJob], Optional[int]]:
            jobs = []
            for entry in chunk:
                if cancel.is_set:
                    raise Cancelled("Cancelled.")
                try:
                    jobs.append(client.get(entry.id, cancel=cancel))
                except NotFoundError:
                    log.info("Tilewise: job %s of this project no longer exists on the service.", entry.id)
            return jobs, following

        return function

    def _on_page(self, task: ClientCallTask) -> None:
        _LIVE_TASKS.discard(task)
        if self._unloaded or task is not self._task:
            return  # cancelled, or replaced by a newer load: its result is stale
        self._task = None
        self._set_loading(False)
        if task.error is not None or not isinstance(task.result, tuple):
            self._show_error(
                with_hint(task)
                if task.error
                else tr("The service answered with something that is not a job list.")
            )
            self.loadFinished.emit(False)
            return
        jobs, token = task.result
        self._hide_error()
        if self._task_appends:
            self.model.append_jobs(jobs)
        else:
            selected = self.selected_job()
            self.model.set_jobs(jobs)
            for job in self._added_during_load.values():
                if self.model.row_of(job.id) is None and self._accepts(job):
                    self.model.upsert(job)
            self._added_during_load = {}
            if selected is not None:
                self._select(selected.id)
        self._next_token = token
        self.load_more_button.setVisible(token is not None)
        self._update_status_text()
        self._selection_changed()
        self.loadFinished.emit(True)

    def _cancel_load(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # its result is dropped in _on_page (it is no longer self._task)
        self._set_loading(False)

    def _accepts(self, job: BatchJob) -> bool:
        """Whether the current search and project filter would list the job."""
        if self.project_only_check.isChecked() and not any(
            entry.id == job.id for entry in project_jobs.remembered(self.project, self._deployment_id)
        ):
            return False
        return matches(self.search_edit.text().strip(), job.id, job.description, job.status)

    def _project_changed(self, *_: object) -> None:
        if not self._unloaded and self.project_only_check.isChecked() and self._client is not None:
            self.refresh()

    # --- showing ----------------------------------------------------------------------------------

    def _set_loading(self, loading: bool) -> None:
        if self._unloaded:
            return
        has_client = self._client is not None
        self.refresh_button.setEnabled(has_client and not loading)
        self.load_more_button.setEnabled(not loading)
        if loading:
            self.status_label.setText(tr("Loading…"))
        elif has_client:
            self._update_status_text()

    def _update_status_text(self) -> None:
        if self._task is not None:
            return
        count = self.model.rowCount()
        if not count:
            text = tr("No jobs of this project") if self.project_only_check.isChecked() else tr("No jobs")
        elif self.project_only_check.isChecked():
            text = tr("%Ln job(s) of this project", None, count)
        else:
            text = tr("%Ln job(s)", None, count)
        if self._deployment_name:
            text += " " + tr("on {deployment}").format(deployment=self._deployment_name)
        search = self.search_edit.text().strip()
        if search:
            text += " " + tr("matching “{search}”").format(search=search)
        if self._next_token is not None:
            text += " " + tr("(more below)")
        self.status_label.setText(text + ".")

    def _show_no_client(self) -> None:
        self.model.clear()
        self._next_token = None
        self.load_more_button.hide()
        self.refresh_button.setEnabled(False)
        self.status_label.setText(no_client_text())
        self._selection_changed()

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _hide_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def select(self, job_id: str) -> None:
        """Select the job's row, when it is listed."""
        self._select(job_id)

    def _select(self, job_id: str) -> None:
        row = self.model.row_of(job_id)
        if row is not None:
            self.table.selectRow(row)

    def _selection_changed(self) -> None:
        if self._unloaded:
            return
        job = self.selected_job()
        self._show_details(job)
        previous, self._last_emitted = self._last_emitted, job
        if (job is None) != (previous is None) or (job is not None and job != previous):
            self.jobSelected.emit(job)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns that repeat the details appear only when the dock is wide enough for them beside a readable
        description: the tile count from 560 px, the 36-character id from 820 px."""
        width = self.width()
        self.table.setColumnHidden(TILES, width < WIDE_ENOUGH_FOR_TILES)
        self.table.setColumnHidden(ID, width < WIDE_ENOUGH_FOR_ID)

    def _show_request(self, shown: bool) -> None:
        self.request_view.setVisible(shown)
        self.request_toggle.setText(tr("Hide request") if shown else tr("Show request"))
        if shown:  # at the foot of the details: scroll down to it once it is laid out
            QTimer.singleShot(0, lambda: self.details_scroll.ensureWidgetVisible(self.request_view))

    def _show_tile(self, job: Optional[BatchJob]) -> None:
        tile = (
            self._tile[1] if self._tile is not None and job is not None and self._tile[0] == job.id else None
        )
        label = self.detail_labels["tile"]
        label.setVisible(tile is not None)
        self.tile_title.setVisible(tile is not None)
        if tile is None:
            label.clear()
            return
        text = tr("{name}: {status}").format(name=tile["name"], status=tile["status"])
        if tile.get("failure"):
            text += " — " + str(tile["failure"])
        if tile.get("cost") is not None:
            text += " " + tr("({pu} PU)").format(pu=format_pu(float(tile["cost"])))
        label.setText(text)

    def _show_details(self, job: Optional[BatchJob]) -> None:
        values: dict[str, str] = {key: "" for key in self.detail_labels}
        if job is not None:
            values.update(
                id=job.id,
                status=job.status + (f" ({job.stopped_reason})" if job.stopped_reason else ""),
                user_action=job.user_action,
                tiles=NO_VALUE if job.tile_count is None else f"{job.tile_count:,}",
                estimate=NO_VALUE if job.value_estimate is None else f"{format_pu(job.value_estimate)} PU",
                cost=NO_VALUE if job.cost_pu is None else f"{format_pu(job.cost_pu)} PU",
                error=job.error or NO_VALUE,
                output=job.output_url or NO_VALUE,
            )
        for key, label in self.detail_labels.items():
            if key != "tile":
                label.setText(values[key])
                label.setToolTip(values[key] if key in ("id", "output", "error") else "")
        self._show_tile(job)
        self.request_view.setPlainText(
            "" if job is None else json.dumps(masked(job.request_body), indent=2, ensure_ascii=False)
        )


__all__ = ["PAGE_SIZE", "JobsPanel", "JobsTableModel"]
