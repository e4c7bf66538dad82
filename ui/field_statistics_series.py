"""One field's statistics over time in the dock: a chart (ui/time_series_chart.py) of the mean of the chosen
output band, with the widest percentile range or else min–max as its band, or the same rows as a table (the
toggle). The table is always there; the chart is the default view."""

from __future__ import annotations

import json
from datetime import date
from typing import Optional, Sequence

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.field_statistics import StatisticsRow
from .i18n import tr
from .time_series_chart import SeriesPoint, TimeSeriesChart, format_value


def column_titles() -> tuple[str, ...]:
    return (tr("interval"), tr("output"), tr("band"), tr("mean"), tr("min"), tr("max"), tr("st. dev."),
            tr("samples"), tr("no data"), tr("percentiles"))  # fmt: skip


def interval_rows(rows: Sequence[StatisticsRow]) -> list[StatisticsRow]:
    """The rows that hold an interval's statistics (a field's failure has no interval)."""
    return [row for row in rows if row.interval_from and not row.error]


def output_bands(rows: Sequence[StatisticsRow]) -> list[tuple[str, str]]:
    """The (output, band) pairs of the rows, in their first appearance's order."""
    return list(dict.fromkeys((row.output, row.band) for row in interval_rows(rows)))


def band_of(row: StatisticsRow) -> tuple[Optional[float], Optional[float], str]:
    """The range drawn around the mean: the lowest to the highest percentile when two or more were asked,
    else min to max."""
    if len(row.percentiles) >= 2:
        keys = sorted(row.percentiles, key=float)
        low, high = keys[0], keys[-1]
        return row.percentiles[low], row.percentiles[high], f"p{float(low):g}–p{float(high):g}"
    return row.min, row.max, tr("min–max")


def series_points(rows: Sequence[StatisticsRow], output: str, band: str) -> tuple[list[SeriesPoint], str]:
    """The chart's points for one output band, and the name of their band."""
    points, band_name = [], ""
    for row in interval_rows(rows):
        if (row.output, row.band) != (output, band):
            continue
        low, high, band_name = band_of(row)
        day = date.fromisoformat(row.interval_from[:10])
        points.append(SeriesPoint(day, row.mean, low, high))
    return points, band_name


class FieldSeries(QWidget):
    """`show_field(title, rows)` shows one field; the output band is chosen in the combo."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.rows: list[StatisticsRow] = []
        self.bands: list[tuple[str, str]] = []  # (output, band) of each entry of the combo
        self.field_title = ""
        self.title_label = QLabel(tr("No field selected."), self)
        self.title_label.setWordWrap(True)
        self.band_combo = QComboBox(self)
        self.band_combo.setToolTip(tr("The output and band the chart shows."))
        self.table_button = QToolButton(self)
        self.table_button.setText(tr("Table"))
        self.table_button.setCheckable(True)
        self.table_button.setToolTip(tr("Show the field's statistics as a table instead of a chart."))
        self.chart = TimeSeriesChart(self)
        titles = column_titles()
        self.table = QTableWidget(0, len(titles), self)
        self.table.setHorizontalHeaderLabels(list(titles))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.chart)
        self.stack.addWidget(self.table)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        column.addLayout(top)
        for widget, stretch in ((self.title_label, 1), (self.band_combo, 0), (self.table_button, 0)):
            top.addWidget(widget, stretch)
        column.addWidget(self.stack, 1)

        self.band_combo.currentIndexChanged.connect(self._draw)
        self.table_button.toggled.connect(self.show_table)

    def show_table(self, on: bool) -> None:
        self.table_button.setChecked(on)
        self.stack.setCurrentWidget(self.table if on else self.chart)

    def show_field(self, title: str, rows: Sequence[StatisticsRow]) -> None:
        self.field_title, self.rows = title, list(rows)
        failure = next((row.error for row in rows if row.error), None)
        self.title_label.setText(
            tr("{field}: failed: {error}").format(field=title, error=failure) if failure else title
        )
        chosen = self.chosen_band()
        self.bands = output_bands(rows)
        self.band_combo.blockSignals(True)
        self.band_combo.clear()
        for output, band in self.bands:
            self.band_combo.addItem(f"{output} · {band}")
        self.band_combo.setCurrentIndex(self.bands.index(chosen) if chosen in self.bands else 0)
        self.band_combo.setEnabled(bool(self.bands))
        self.band_combo.blockSignals(False)
        self._fill_table()
        self._draw()

    def clear(self) -> None:
        self.show_field("", [])
        self.title_label.setText(tr("No field selected."))

    def chosen_band(self) -> Optional[tuple[str, str]]:
        """The (output, band) the chart shows."""
        index = self.band_combo.currentIndex()
        return self.bands[index] if 0 <= index < len(self.bands) else None

    def _draw(self, *_args) -> None:
        chosen = self.chosen_band()
        if chosen is None:
            self.chart.clear()
            return
        points, band_name = series_points(self.rows, *chosen)
        self.chart.set_series(points, tr("{output} · {band} · mean").format(output=chosen[0], band=chosen[1]),
                              band_name)  # fmt: skip

    def _fill_table(self) -> None:
        rows = interval_rows(self.rows)
        self.table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            cells = (
                f"{row.interval_from[:10]} – {row.interval_to[:10]}", row.output, row.band, format_value(row.mean),
                format_value(row.min), format_value(row.max), format_value(row.st_dev), str(row.sample_count),
                str(row.no_data_count), json.dumps(row.percentiles) if row.percentiles else "",
            )  # fmt: skip
            for place, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if place >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight)  # numbers
                self.table.setItem(number, place, item)
        self.table.resizeColumnsToContents()


__all__ = ["FieldSeries", "band_of", "interval_rows", "output_bands", "series_points"]
