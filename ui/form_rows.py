"""A titled group of labelled rows, and a plain-text label: how the dock's job form and the settings dialog lay
out their fields."""

from __future__ import annotations

from typing import Sequence, Tuple, Union

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QFormLayout, QGroupBox, QLabel, QLayout, QWidget

Field = Union[QWidget, QLayout]
Row = Union[Field, Tuple[str, Field]]  # a field alone spans the row; a (label, field) pair is labelled


def form_box(title: str, rows: Sequence[Row], parent: QWidget) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title, parent)
    form = QFormLayout(box)
    for row in rows:
        if isinstance(row, tuple):
            form.addRow(*row)
        else:
            form.addRow(row)
    return box, form


def plain_label(text: str, parent: QWidget) -> QLabel:
    """A label that wraps and shows its text as it is (a service's message is never read as HTML)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


__all__ = ["form_box", "plain_label"]
