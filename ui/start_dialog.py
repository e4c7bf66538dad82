"""Confirm before a batch job starts: its tiles and processing units, and the user's budget."""

from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ..core.costs import expected_charge_of
from ..core.submission import StartSummary


class StartJobDialog(QDialog):
    """Shown after analysis; `accepted` means the user asked to start (never possible over budget)."""

    def __init__(self, summary: StartSummary, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle("Start batch job?")
        self.setMinimumWidth(440)
        job = summary.job
        lines = [
            f"<b>{job.description or job.id}</b> on {summary.deployment_name} (Batch API v{job.api_version})",
            f"Job id: <code>{job.id}</code>",
            f"<b>{summary.tile_count:,} tiles</b> (the grid preview counted {summary.estimate.tile_count:,})",
            f"Estimate from the grid and the script: {summary.estimate.value_estimate:,.1f} PU at the full rate, "
            f"<b>{summary.estimate.expected_charge:,.1f} PU</b> expected with the batch ⅓ factor and the "
            "100 PU minimum",
        ]
        if summary.service_estimate is not None:
            lines.append(
                f"The service's analysis: <b>{summary.service_estimate:,.1f} PU</b> at the full rate "
                f"(≈ {expected_charge_of(summary.service_estimate):,.1f} PU charged for batch)"
            )
        else:
            lines.append("The service gave no estimate of its own for this job.")
        if summary.budget_pu is not None:
            verdict = "over" if summary.over_budget else "within"
            colour = "#b71c1c" if summary.over_budget else "#1b5e20"
            lines.append(
                f"<span style='color:{colour}'>Expected {summary.charge_pu:,.1f} PU is {verdict} your budget "
                f"of {summary.budget_pu:,.1f} PU.</span>"
            )
        if summary.over_budget:
            lines.append("Start is refused: raise the budget in the job form, or make the job smaller.")
        else:
            lines.append("Processing units are charged as tiles are processed. Start the job?")
        self.text = QLabel("<br>".join(lines), self)
        self.text.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.start_button = self.buttons.addButton("Start job", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setEnabled(not summary.over_budget)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.text)
        column.addWidget(self.buttons)

    def accept(self) -> None:
        if self.summary.over_budget:
            return
        super().accept()
