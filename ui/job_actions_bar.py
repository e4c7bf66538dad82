"""The buttons under the Jobs tab's list: what can be done with the selected job, enabled for its status.

A disabled button's tooltip says why it is disabled (core/job_actions.why_not); a button whose action is
running for that job stays disabled until it ends. The work itself is `ui/job_actions.JobActions`.
"""

from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtWidgets import (
    QAction,
    QCheckBox,
    QGridLayout,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from ..core.job_actions import Action, why_not
from ..core.jobs import BatchJob
from .action_texts import action_text
from .i18n import tr
from .job_actions import REPROJECTED, JobActions

# The task key (ui/job_actions.py) that keeps each button disabled while it runs.
_BUSY_KEYS = {
    Action.START: ("start",),
    Action.STOP: ("stop",),
    Action.RESTART: ("restart",),
    Action.DELETE: ("delete",),
    Action.OPEN_OUTPUTS: ("outputs",),
    Action.OPEN_MOSAIC: ("mosaic",),
    Action.DOWNLOAD: ("list", "download"),
}
LAYOUT = (
    (Action.SHOW_TILES, Action.START, Action.STOP, Action.RESTART),
    (Action.DELETE, Action.OPEN_OUTPUTS, Action.OPEN_MOSAIC, Action.DOWNLOAD),
)


class JobActionsBar(QWidget):
    def __init__(self, actions: JobActions, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.actions = actions
        self.job: Optional[BatchJob] = None
        self.buttons: dict[Action, QWidget] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for row, actions_row in enumerate(LAYOUT):
            for column, action in enumerate(actions_row):
                button = self._mosaic_button() if action == Action.OPEN_MOSAIC else QPushButton(self)
                if action != Action.OPEN_MOSAIC:
                    button.clicked.connect(lambda _=False, a=action: self.trigger(a))
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                self.buttons[action] = button
                grid.addWidget(button, row, column)
        self.auto_open_check = QCheckBox(tr("Open new outputs as they arrive"), self)
        self.auto_open_check.setToolTip(
            tr("While the job is watched, each newly finished tile's outputs are added to its group.")
        )
        self.auto_open_check.toggled.connect(self._auto_open_toggled)
        grid.addWidget(self.auto_open_check, 2, 0, 1, 4)
        actions.busyChanged.connect(self.refresh)
        self.set_job(None)

    def _mosaic_button(self) -> QToolButton:
        button = QToolButton(self)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(button)
        self.per_crs_action = QAction(tr("One mosaic per output and CRS"), menu)
        self.per_crs_action.setToolTip(
            tr("Tiles in several UTM zones give one VRT per zone, each in its own CRS.")
        )
        self.reprojected_action = QAction(tr("One mosaic per output, in the project's CRS"), menu)
        self.per_crs_action.triggered.connect(lambda: self.trigger(Action.OPEN_MOSAIC))
        self.reprojected_action.triggered.connect(lambda: self.trigger(Action.OPEN_MOSAIC, REPROJECTED))
        menu.addAction(self.per_crs_action)
        menu.addAction(self.reprojected_action)
        button.setMenu(menu)
        button.clicked.connect(lambda _=False: self.trigger(Action.OPEN_MOSAIC))
        return button

    def set_job(self, job: Optional[BatchJob]) -> None:
        self.job = job
        self.auto_open_check.blockSignals(True)
        self.auto_open_check.setChecked(job is not None and job.id in self.actions.auto_open)
        self.auto_open_check.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        job = self.job
        version = job.api_version if job is not None else 2
        for action, button in self.buttons.items():
            text = action_text(action, version)
            button.setText(text.label)
            reason = why_not(job, action)
            busy = job is not None and any(
                f"{key}:{job.id}" in self.actions.tasks for key in _BUSY_KEYS.get(action, ())
            )
            button.setEnabled(reason is None and not busy)
            not_now = tr("Not now: {reason}").format(reason=reason)
            button.setToolTip(text.tooltip if reason is None else f"{text.tooltip}\n\n{not_now}")
            if busy:
                button.setToolTip(f"{text.tooltip}\n\n{tr('Running…')}")
        self.auto_open_check.setEnabled(job is not None and bool(job.output_url))

    def trigger(self, action: Action, mosaic=None) -> bool:
        if self.job is None:
            return False
        if action == Action.OPEN_MOSAIC:
            return self.actions.open_outputs(self.job, mosaic=mosaic or True)
        return self.actions.run(self.job, action)

    def _auto_open_toggled(self, on: bool) -> None:
        if self.job is None:
            return
        self.actions.set_auto_open(self.job, on)
        if not on:
            return
        if self.job.is_terminal:
            self.actions.open_outputs(self.job, quiet=True)
        else:  # the watch's progress opens each newly finished tile
            self.actions.watch(self.job)
