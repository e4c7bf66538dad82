"""The "New job" tab's fixed footer, below the scrolling form: the previews, Create and analyse, Start…,
Cancel, a one-line summary of the last tiles preview (tiles, expected PU, budget) and the last action's problems
and result. It stays in view whatever the form's scroll position, so a user never scrolls to act or to read
what happened."""

from __future__ import annotations

from typing import Optional, Sequence

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .i18n import tr
from .theme import text_style

JOB_PURPOSES = ("prepare", "create", "analyse", "start")  # the dock's tasks that make a job
MESSAGE_LINES = 3  # the problems and the result each show at most this many lines; the tooltip has the rest


class ElidedLabel(QLabel):
    """One line of plain text cut to the label's width with "…"; the whole text is the tooltip."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the dock

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, width))


class MessageLabel(QLabel):
    """A word-wrapped message of at most MESSAGE_LINES lines, hidden while empty; the whole text is the tooltip
    (a long list of problems is also on the fields it marks)."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * MESSAGE_LINES + 4)
        self.setVisible(False)

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)
        self.setVisible(bool(text))


class FormFooter(QWidget):
    """The footer's buttons are public (the dock connects them); `set_busy` enables them as tasks run."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.preview_button = self._button(
            tr("Tiles"), tr("Add the tiles this job will produce to the map, with the PU estimate.")
        )
        self.preview_extent_button = self._button(
            tr("Map extent"), tr("Run the script on the map's extent (Process API) and add the result.")
        )
        self.preview_tile_button = self._button(
            tr("One tile"), tr("Run the script on the selected tile of the grid preview.")
        )
        self.create_button = self._button(
            tr("Create and analyse"),
            tr("Send the job, analyse it, then show its cost before anything is processed."),
        )
        self.start_button = self._button(tr("Start…"), tr("Confirm and start the analysed job."))
        self.cancel_button = self._button(
            tr("Cancel"), tr("Stop waiting for what runs now (a job already created stays).")
        )
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.summary_label = ElidedLabel(self)
        self.problems_label = MessageLabel(self)
        self.result_label = MessageLabel(self)
        self._layout()
        self.show_summary(None, None, None)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        return button

    def _layout(self) -> None:
        previews, actions = QHBoxLayout(), QHBoxLayout()
        previews.addWidget(QLabel(tr("Preview:"), self))
        for row, buttons in (
            (previews, (self.preview_button, self.preview_extent_button, self.preview_tile_button)),
            (actions, (self.create_button, self.start_button, self.cancel_button)),
        ):
            for button in buttons:
                row.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 2)
        column.setSpacing(3)
        column.addLayout(previews)
        column.addLayout(actions)
        for label in (self.summary_label, self.problems_label, self.result_label):
            column.addWidget(label)

    # === state =========================================================================================

    def set_busy(self, purposes: Sequence[str], can_start: bool) -> None:
        """Buttons follow the dock's running tasks (by purpose)."""
        job_busy = any(purpose in purposes for purpose in JOB_PURPOSES)
        self.create_button.setEnabled(not job_busy)
        self.start_button.setEnabled(not job_busy and can_start)
        self.preview_extent_button.setEnabled("raster_preview" not in purposes)
        self.preview_tile_button.setEnabled("raster_preview" not in purposes)
        self.preview_button.setEnabled("tiles" not in purposes)
        self.cancel_button.setEnabled(any(purpose != "engine" for purpose in purposes))

    def show_summary(
        self, tiles: Optional[int], charge_pu: Optional[float], budget_pu: Optional[float]
    ) -> None:
        """One line: the last tiles preview's count and expected charge, and the budget (red when over)."""
        if tiles is None:
            parts = [tr("No preview yet: Preview “Tiles”")]
        else:
            parts = [tr("%Ln tile(s)", None, tiles)]
            parts.append(
                tr("PU: fix the evalscript first") if charge_pu is None else expected_pu_text(charge_pu)
            )
        parts.append(tr("no budget") if budget_pu is None else tr("budget {pu:,.0f} PU").format(pu=budget_pu))
        over = charge_pu is not None and budget_pu is not None and charge_pu > budget_pu
        self.summary_label.setStyleSheet(text_style("error") if over else "")
        self.summary_label.set_full_text(" · ".join(parts))

    def show_result(self, text: str) -> None:
        self.result_label.show_message(text)

    def show_problems(self, lines: Sequence[str]) -> None:
        self.problems_label.setStyleSheet(text_style("error"))  # the theme's error colour at this moment
        self.problems_label.show_message("<br>".join(lines))


def expected_pu_text(charge_pu: float) -> str:
    return tr("≈{pu:,.1f} PU expected").format(pu=charge_pu)


def page_with_footer(content: QWidget, footer: QWidget, parent: Optional[QWidget] = None) -> QWidget:
    """A tab page: `content` (a scroll area) takes the height left by `footer`, which never scrolls away."""
    page = QWidget(parent)
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(content, 1)
    column.addWidget(footer)
    return page


__all__ = ["JOB_PURPOSES", "ElidedLabel", "FormFooter", "MessageLabel", "page_with_footer"]
