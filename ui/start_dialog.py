"""Confirm before a batch job starts: a small table of its tiles and processing units (ours, the service's, the
expected charge, the budget), one sentence on how a batch job is charged, and the request behind a toggle."""

from __future__ import annotations

import json
from typing import Optional

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.costs import BATCH_MINIMUM_PU
from ..core.submission import StartSummary
from .form_rows import plain_label
from .i18n import tr
from .jobs_panel import masked
from .theme import text_style


class StartJobDialog(QDialog):
    """Shown after analysis; `accepted` means the user asked to start (never possible over budget). `values`
    holds the table's value labels by row: tiles, ours, service, charge, budget, job."""

    def __init__(self, summary: StartSummary, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle(tr("Start batch job?"))
        self.setMinimumWidth(460)
        job = summary.job
        title = tr("<b>{name}</b> on {deployment} (Batch API v{version})").format(
            name=job.description or tr("Batch job"),
            deployment=summary.deployment_name,
            version=job.api_version,
        )
        self.values: dict[str, QLabel] = {}
        table = QFormLayout()
        for key, label, text in self._rows():
            value = QLabel(text, self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.values[key] = value
            table.addRow(label, value)
        if summary.over_budget:
            self.values["charge"].setStyleSheet(text_style("error"))
        self.explanation = plain_label(charge_explanation(summary), self)
        self.verdict = QLabel(self._verdict(), self)
        self.verdict.setWordWrap(True)
        if summary.over_budget:
            self.verdict.setStyleSheet(text_style("error"))

        self.request_toggle = QToolButton(self)
        self.request_toggle.setText(tr("Show request"))
        self.request_toggle.setCheckable(True)
        self.request_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.request_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.request_toggle.toggled.connect(self._toggle_request)
        self.request_text = QPlainTextEdit(self)
        self.request_text.setReadOnly(True)
        self.request_text.setPlainText(json.dumps(masked(job.request_body), indent=2, ensure_ascii=False))
        self.request_text.setVisible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.start_button = self.buttons.addButton(tr("Start job"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setEnabled(not summary.over_budget)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(QLabel(title, self))
        column.addLayout(table)
        column.addWidget(self.explanation)
        column.addWidget(self.verdict)
        column.addWidget(self.request_toggle)
        column.addWidget(self.request_text, 1)
        column.addWidget(self.buttons)

    def _rows(self) -> list[tuple[str, str, str]]:
        summary = self.summary
        tiles = f"{summary.tile_count:,}"
        if summary.tile_count != summary.estimate.tile_count:
            tiles += " " + tr("(the grid preview counted {count:,})").format(
                count=summary.estimate.tile_count
            )
        if summary.service_estimate is None:
            service = tr("none (a Batch API v2 analysis gives none)")
        else:
            service = tr("{pu:,.1f} PU at the full rate").format(pu=summary.service_estimate)
        budget = tr("no limit") if summary.budget_pu is None else f"{summary.budget_pu:,.1f} PU"
        return [
            ("job", tr("Job id"), summary.job.id),
            ("tiles", tr("Tiles"), tiles),
            ("ours", tr("Our estimate"), tr("{pu:,.1f} PU at the full rate").format(pu=summary.estimate.value_estimate)),
            ("service", tr("Service's estimate"), service),
            ("charge", tr("Expected charge"), f"<b>{summary.charge_pu:,.1f} PU</b>"),
            ("budget", tr("PU budget"), budget),
        ]  # fmt: skip

    def _verdict(self) -> str:
        summary = self.summary
        if summary.over_budget:
            return tr("Start is refused: the expected charge is over your budget. Raise the budget in the job form, "
                      "or make the job smaller.")  # fmt: skip
        return tr("Processing units are charged as tiles are processed. Start the job?")

    def _toggle_request(self, shown: bool) -> None:
        self.request_text.setVisible(shown)
        self.request_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.adjustSize()

    def accept(self) -> None:
        if self.summary.over_budget:
            return
        super().accept()


def charge_explanation(summary: StartSummary) -> str:
    """One sentence on why the charge differs from the full-rate estimates, from the numbers at hand."""
    charge = summary.charge
    basis = tr("the service's estimate") if summary.service_charge is not None else tr("our estimate")
    text = tr(
        "A batch job is charged a third of the full rate for tiles of at least 10,000 px, and at least {minimum:,.0f} "
        "PU: {basis} of {full:,.1f} PU is expected to cost {charge:,.1f} PU"
    ).format(minimum=BATCH_MINIMUM_PU, basis=basis, full=charge.full_rate, charge=charge.expected)
    text += tr(" (the minimum).") if charge.minimum_applies else "."
    if summary.samples_assumed:
        text += " " + tr(
            "The estimates assume a scene every 3 days ({mosaicking} mosaicking); the final charge counts the "
            "scenes actually found, often fewer."
        ).format(mosaicking=summary.mosaicking.upper())
    return text


__all__ = ["StartJobDialog", "charge_explanation"]
