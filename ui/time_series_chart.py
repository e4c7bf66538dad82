"""A time series chart drawn with QPainter: one value per interval (a field's mean) as a line with dots, an
optional band behind it (min–max or a percentile range), axes with dates and values, and a readout of the
point under the mouse or the one chosen with the keyboard. QPainter ships with every QGIS on every platform;
matplotlib and QtCharts do not."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Optional, Sequence

from qgis.PyQt.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QFontMetrics, QImage, QPainter, QPainterPath, QPalette, QPen, QTextOption
from qgis.PyQt.QtWidgets import QSizePolicy, QWidget

from .i18n import tr

MARGIN = 8  # around the plot, in pixels
TICK = 4
VALUE_TICKS = 5
DATE_TICKS = 5  # at most; fewer where the labels would touch
DATE_SAMPLE = "2000-00-00"
DATE_GAP = 1.5  # a date label's width times this between two labels' centres, at least
DOT_RADIUS = 3.0
BAND_ALPHA = 70


@dataclass(frozen=True)
class SeriesPoint:
    """One interval: its first day, its value (None where it had no data) and the band's ends if any."""

    day: date
    value: Optional[float]
    low: Optional[float] = None
    high: Optional[float] = None


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) that cuts `span` into about `count` parts."""
    if span <= 0:
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def value_range(points: Sequence[SeriesPoint]) -> tuple[float, float]:
    """The values' range, the band included, widened to round ticks (a flat series gets ±1 around it)."""
    values = [v for p in points for v in (p.value, p.low, p.high) if v is not None and math.isfinite(v)]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if high - low < 1e-12:
        low, high = low - 1.0, high + 1.0
    step = nice_step(high - low, VALUE_TICKS)
    return math.floor(low / step) * step, math.ceil(high / step) * step


def format_value(value: Optional[float]) -> str:
    return tr("no data") if value is None else f"{value:.4g}"


class TimeSeriesChart(QWidget):
    """`set_series(points, title, band_name)` shows a series; `pointChosen(index)` fires when the readout moves
    to another point (the mouse or the left/right keys)."""

    pointChosen = pyqtSignal(int)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.points: tuple[SeriesPoint, ...] = ()
        self.title = ""
        self.band_name = ""
        self.chosen: Optional[int] = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(400, 240)

    # --- data -------------------------------------------------------------------------------------------

    def set_series(self, points: Sequence[SeriesPoint], title: str, band_name: str = "") -> None:
        self.points = tuple(sorted(points, key=lambda p: p.day))
        self.title = title
        self.band_name = band_name if any(p.low is not None and p.high is not None for p in points) else ""
        self.chosen = None
        self.update()

    def clear(self) -> None:
        self.set_series((), "")

    # --- geometry: where a value and a day are drawn ----------------------------------------------------

    def plot_rect(self, size: Optional[QSize] = None) -> QRectF:
        """The area inside the axes for a widget of `size` (the widget's own by default)."""
        size = size or self.size()
        metrics = QFontMetrics(self.font())
        low, high = value_range(self.points)
        step = nice_step(high - low, VALUE_TICKS)
        labels = [f"{low + i * step:.4g}" for i in range(int(round((high - low) / step)) + 1)]
        half_date = (
            metrics.horizontalAdvance(DATE_SAMPLE) / 2
        )  # the first and last dates are centred on the ends
        left = MARGIN + max(
            max((metrics.horizontalAdvance(t) for t in labels), default=0) + TICK + 2, half_date
        )
        top = MARGIN + metrics.height() * 2 + 2  # the title and the readout
        bottom = MARGIN + metrics.height() + TICK + 2  # the dates
        right = MARGIN + half_date
        return QRectF(
            left, top, max(1.0, size.width() - left - right), max(1.0, size.height() - top - bottom)
        )

    def x_of(self, day: date, rect: QRectF) -> float:
        first, last = self.points[0].day, self.points[-1].day
        span = (last - first).days
        share = 0.5 if span == 0 else (day - first).days / span
        return rect.left() + share * rect.width()

    def y_of(self, value: float, rect: QRectF) -> float:
        low, high = value_range(self.points)
        return rect.bottom() - (value - low) / (high - low) * rect.height()

    def position(self, index: int, size: Optional[QSize] = None) -> Optional[QPointF]:
        """Where point `index`'s value is drawn; None for an interval without data."""
        return self.position_in(index, self.plot_rect(size))

    def nearest(self, x: float) -> Optional[int]:
        if not self.points:
            return None
        rect = self.plot_rect()
        return min(range(len(self.points)), key=lambda i: abs(self.x_of(self.points[i].day, rect) - x))

    # --- colours ----------------------------------------------------------------------------------------

    def line_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Highlight)

    def band_colour(self) -> QColor:
        colour = QColor(self.line_colour())
        colour.setAlpha(BAND_ALPHA)
        return colour

    # --- drawing ----------------------------------------------------------------------------------------

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        try:
            self.draw(painter, self.size())
        finally:
            painter.end()

    def render_image(self, size: QSize) -> QImage:
        """The chart as it is drawn on screen, at `size`, on the window colour."""
        image = QImage(size, QImage.Format.Format_ARGB32)
        image.fill(self.palette().color(QPalette.ColorRole.Base))
        painter = QPainter(image)
        try:
            self.draw(painter, size)
        finally:
            painter.end()
        return image

    def draw(self, painter: QPainter, size: QSize) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.font())
        text = self.palette().color(QPalette.ColorRole.WindowText)
        metrics = QFontMetrics(self.font())
        if not self.points:
            painter.setPen(text)
            option = QTextOption(Qt.AlignmentFlag.AlignCenter)
            option.setWrapMode(QTextOption.WrapMode.WordWrap)
            painter.drawText(
                QRectF(MARGIN, 0, size.width() - 2 * MARGIN, size.height()),
                tr("Select a field on the map or in the results layer to see its time series."),
                option,
            )
            return
        rect = self.plot_rect(size)
        painter.setPen(text)
        painter.drawText(QPointF(MARGIN, MARGIN + metrics.ascent()), self.title)
        self._draw_axes(painter, rect, text, metrics)
        self._draw_band(painter, rect)
        self._draw_line(painter, rect)
        self._draw_readout(painter, rect, text, metrics)

    def _draw_axes(self, painter: QPainter, rect: QRectF, text: QColor, metrics: QFontMetrics) -> None:
        grid = QColor(text)
        grid.setAlpha(40)
        low, high = value_range(self.points)
        step = nice_step(high - low, VALUE_TICKS)
        for i in range(int(round((high - low) / step)) + 1):
            value = low + i * step
            y = self.y_of(value, rect)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(text)
            label = f"{value:.4g}"
            painter.drawText(
                QPointF(
                    rect.left() - TICK - 2 - metrics.horizontalAdvance(label), y + metrics.ascent() / 2 - 1
                ),
                label,
            )
        painter.setPen(QPen(text, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.topLeft())
        room = int(rect.width() / (metrics.horizontalAdvance(DATE_SAMPLE) * DATE_GAP)) + 1
        for day in self._date_ticks(max(2, min(DATE_TICKS, room))):
            x = self.x_of(day, rect)
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, rect.bottom() + TICK))
            label = day.isoformat()
            width = metrics.horizontalAdvance(label)
            painter.drawText(QPointF(x - width / 2, rect.bottom() + TICK + metrics.ascent() + 1), label)

    def _date_ticks(self, wanted: int) -> list[date]:
        """The first and last days and evenly spaced days between, each a point's (never two on one day)."""
        count = len(self.points)
        if count <= wanted:
            indices = range(count)
        else:
            indices = sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)})
        return list(dict.fromkeys(self.points[i].day for i in indices))

    def _draw_band(self, painter: QPainter, rect: QRectF) -> None:
        if not self.band_name:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.band_colour())
        for run in self._runs(lambda p: p.low is not None and p.high is not None):
            path = QPainterPath()
            upper = [QPointF(self.x_of(p.day, rect), self.y_of(p.high, rect)) for p in run]
            lower = [QPointF(self.x_of(p.day, rect), self.y_of(p.low, rect)) for p in reversed(run)]
            if len(run) == 1:  # one interval: a bar as wide as a dot
                top, bottom = upper[0], lower[0]
                path.addRect(QRectF(top.x() - DOT_RADIUS, top.y(), DOT_RADIUS * 2, bottom.y() - top.y()))
            else:
                path.moveTo(upper[0])
                for corner in upper[1:] + lower:
                    path.lineTo(corner)
                path.closeSubpath()
            painter.drawPath(path)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _draw_line(self, painter: QPainter, rect: QRectF) -> None:
        colour = self.line_colour()
        painter.setPen(QPen(colour, 2))
        for run in self._runs(lambda p: p.value is not None):
            corners = [QPointF(self.x_of(p.day, rect), self.y_of(p.value, rect)) for p in run]
            for start, end in zip(corners, corners[1:]):
                painter.drawLine(start, end)
        painter.setBrush(colour)
        for index in range(len(self.points)):
            centre = self.position_in(index, rect)
            if centre is not None:
                radius = DOT_RADIUS * (1.7 if index == self.chosen else 1.0)
                painter.drawEllipse(centre, radius, radius)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def position_in(self, index: int, rect: QRectF) -> Optional[QPointF]:
        point = self.points[index]
        if point.value is None:
            return None
        return QPointF(self.x_of(point.day, rect), self.y_of(point.value, rect))

    def _runs(self, has_data) -> list[list[SeriesPoint]]:
        """The points cut where an interval has no data: a gap in the data is a gap in the line."""
        runs: list[list[SeriesPoint]] = [[]]
        for point in self.points:
            if has_data(point):
                runs[-1].append(point)
            elif runs[-1]:
                runs.append([])
        return [run for run in runs if run]

    def _draw_readout(self, painter: QPainter, rect: QRectF, text: QColor, metrics: QFontMetrics) -> None:
        if self.chosen is None:
            readout = tr("Point at the chart (or use ← →) to read a value.")
        else:
            readout = self.readout()
            x = self.x_of(self.points[self.chosen].day, rect)
            marker = QColor(text)
            marker.setAlpha(110)
            painter.setPen(QPen(marker, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        painter.setPen(text)
        elided = metrics.elidedText(readout, Qt.TextElideMode.ElideRight, int(rect.right() - MARGIN))
        painter.drawText(QPointF(MARGIN, MARGIN + metrics.height() + metrics.ascent()), elided)

    def readout(self) -> str:
        """The chosen point as text: its day, its value and its band."""
        if self.chosen is None:
            return ""
        point = self.points[self.chosen]
        text = f"{point.day.isoformat()}: {format_value(point.value)}"
        if self.band_name and point.low is not None and point.high is not None:
            text += f" ({self.band_name} {format_value(point.low)} – {format_value(point.high)})"
        return text

    # --- interaction ------------------------------------------------------------------------------------

    def choose(self, index: Optional[int]) -> None:
        if index == self.chosen:
            return
        self.chosen = index
        self.update()
        if index is not None:
            self.pointChosen.emit(index)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        position = event.position() if hasattr(event, "position") else event.localPos()
        self.choose(self.nearest(position.x()))

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if not self.points or event.key() not in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            super().keyPressEvent(event)
            return
        step = -1 if event.key() == Qt.Key.Key_Left else 1
        current = self.chosen if self.chosen is not None else (-1 if step > 0 else len(self.points))
        self.choose(min(len(self.points) - 1, max(0, current + step)))


__all__ = ["SeriesPoint", "TimeSeriesChart", "nice_step", "value_range"]
