"""A titled group of labelled rows, as the dock's job form and the settings dialog lay out their fields."""

from __future__ import annotations

from typing import Sequence, Tuple, Union

from qgis.PyQt.QtWidgets import QFormLayout, QGroupBox, QLayout, QWidget

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


__all__ = ["form_box"]
