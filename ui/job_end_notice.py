"""The end of a job (DONE, PARTIAL, FAILED, STOPPED, CANCELED) announced in QGIS's message bar: one line naming
the job shortly, its tiles and its charge, with "Open outputs" (when something was delivered) and "Show job"."""

from __future__ import annotations

from html import escape
from typing import Callable, Optional

from qgis.core import Qgis
from qgis.gui import QgsMessageBar, QgsMessageBarItem
from qgis.PyQt import sip
from qgis.PyQt.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from ..core.jobs import BatchJob
from ..core.statuses import WITH_OUTPUTS, RequestStatus
from ..core.tile_status import FINISHED, FeatureStatus, TileStatus
from .i18n import tr
from .jobs_panel import format_pu

FAILED_STATUSES = frozenset({TileStatus.FAILED, FeatureStatus.FATAL})
NAME_LENGTH = 32  # characters of a description in the notice; the Jobs tab shows it whole
SUCCESS_SECONDS = 30  # a DONE notice fades; one that needs attention stays until closed


def progress_counts(counts: dict[str, int]) -> tuple[int, int, int]:
    """(done, failed, total) from tiles per status (v1 or v2 statuses)."""
    done = sum(n for status, n in counts.items() if status in FINISHED)
    failed = sum(n for status, n in counts.items() if status in FAILED_STATUSES)
    return done, failed, sum(counts.values())


def short_name(job: BatchJob) -> str:
    """The job's description, cut to NAME_LENGTH, else its short id."""
    text = " ".join(job.description.split())
    if not text:
        return job.id[:8]
    return text if len(text) <= NAME_LENGTH else text[: NAME_LENGTH - 1].rstrip() + "…"


def end_summary(job: BatchJob, counts: dict[str, int]) -> str:
    """“Job “NDVI July” ended DONE: 12 of 12 tiles done, 61.04 PU charged.”"""
    done, failed, total = progress_counts(counts)
    parts = []
    if total:
        parts.append(tr("{done} of {total} tiles done").format(done=done, total=total))
        if failed:
            parts.append(tr("{failed} failed").format(failed=failed))
    elif job.completion is not None:
        parts.append(tr("{percent} % complete").format(percent=f"{job.completion:.0f}"))
    if job.cost_pu is not None:
        parts.append(tr("{pu} PU charged").format(pu=format_pu(job.cost_pu)))
    head = tr("Job “{name}” ended {status}").format(name=short_name(job), status=job.status)
    return head + (": " + ", ".join(parts) if parts else "") + "."


def brief(job: BatchJob, counts: dict[str, int]) -> str:
    """“NDVI July”: 12/12 tiles, 61.04 PU"""
    done, failed, total = progress_counts(counts)
    parts = [f"“{short_name(job)}”"]
    if total:
        tiles = tr("{done}/{total} tiles").format(done=done, total=total)
        parts.append(tiles + (", " + tr("{failed} failed").format(failed=failed) if failed else ""))
    elif job.completion is not None:
        parts.append(tr("{percent} %").format(percent=f"{job.completion:.0f}"))
    if job.cost_pu is not None:
        parts.append(tr("{pu} PU").format(pu=format_pu(job.cost_pu)))
    return " · ".join(parts)


def notice_level(job: BatchJob, counts: dict[str, int]) -> Qgis.MessageLevel:
    """Success for a job done without a failed tile, Critical for FAILED, Warning for the rest (PARTIAL, STOPPED,
    CANCELED, or a v2 DONE with failed features)."""
    if job.status == RequestStatus.FAILED:
        return Qgis.MessageLevel.Critical
    if job.status == RequestStatus.DONE and not progress_counts(counts)[1]:
        return Qgis.MessageLevel.Success
    return Qgis.MessageLevel.Warning


def has_outputs(job: BatchJob, counts: dict[str, int]) -> bool:
    """Whether there is something delivered to open: tiles done, when the tiles are known; else the job's
    status and completion say so."""
    if not job.output_url or job.status not in WITH_OUTPUTS:
        return False
    done, _failed, total = progress_counts(counts)
    if total:
        return done > 0
    return job.status == RequestStatus.DONE or bool(job.completion)


def push_end_notice(
    bar: QgsMessageBar,
    job: BatchJob,
    counts: dict[str, int],
    open_outputs: Callable[[BatchJob], None],
    show_job: Callable[[BatchJob], None],
) -> Optional[QgsMessageBarItem]:
    """Push the notice; each button acts and closes it. Returns the item (None on a bar without items, such as
    a headless stand-in for QGIS's, which gets the line alone)."""
    text, level = end_summary(job, counts), notice_level(job, counts)
    duration = SUCCESS_SECONDS if level == Qgis.MessageLevel.Success else 0
    if not hasattr(bar, "pushItem"):
        bar.pushMessage("Tilewise", text, level, duration)
        return None
    # QGIS's own message text shows about one line beside buttons in a narrow canvas: a word-wrapped label
    # instead, which the bar makes as tall as it needs; the whole sentence under the form and in the tooltip
    content = QWidget()
    row = QHBoxLayout(content)
    row.setContentsMargins(0, 0, 0, 0)
    label = QLabel(
        f"<b>{escape(tr('Job {status}').format(status=job.status))}</b> {escape(brief(job, counts))}"
    )
    label.setObjectName("noticeText")
    label.setWordWrap(True)
    label.setToolTip(text)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    row.addWidget(label, 1)
    item = QgsMessageBarItem(content, level, duration)
    sip.transferto(content, item)  # the item owns its content: Python must not delete it on return
    buttons = []
    if has_outputs(job, counts):
        buttons.append((tr("Open outputs"), tr("Open the job's mosaic on the map."), open_outputs))
    buttons.append((tr("Show job"), tr("Show the job in Tilewise's Jobs tab."), show_job))
    for caption, tooltip, act in buttons:
        button = QPushButton(caption, content)
        button.setToolTip(tooltip)
        button.clicked.connect(lambda _=False, act=act: _act(bar, item, act, job))
        row.addWidget(button)
    bar.pushItem(item)
    return item


def _act(bar: QgsMessageBar, item: QgsMessageBarItem, act: Callable[[BatchJob], None], job: BatchJob) -> None:
    act(job)
    bar.popWidget(item)


def notice_buttons(item: QgsMessageBarItem) -> dict[str, QPushButton]:
    """The notice's buttons by their text."""
    return {button.text(): button for button in item.findChildren(QPushButton)}


def notice_label(item: QgsMessageBarItem) -> QLabel:
    """The notice's text: its title in bold, the brief, the whole sentence as the tooltip."""
    return item.findChild(QLabel, "noticeText")


__all__ = [
    "end_summary",
    "has_outputs",
    "notice_buttons",
    "notice_level",
    "progress_counts",
    "push_end_notice",
]
