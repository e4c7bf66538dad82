"""The time series chart draws what its values say: rendered to a QImage, the line's pixels sit where the
values put them (higher values higher, dates left to right, evenly spaced by days), the min–max band fills
between its ends, a gap in the data is a gap in the line, and the readout names the point under the mouse."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from qgis.PyQt.QtCore import QPointF, QSize, Qt
from qgis.PyQt.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPalette
from qgis.PyQt.QtWidgets import QApplication

from tilewise.ui.time_series_chart import SeriesPoint, TimeSeriesChart, nice_step, value_range

SIZE = QSize(480, 260)


def near(colour: QColor, wanted: QColor, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour.getRgb()[:3], wanted.getRgb()[:3]))


def pixel(image: QImage, point: QPointF) -> QColor:
    return image.pixelColor(int(round(point.x())), int(round(point.y())))


def drawn_near(image: QImage, point: QPointF, wanted: QColor, tolerance: int = 40) -> bool:
    """A pixel within one pixel of `point` has the colour (an antialiased 2 px line covers one pixel fully)."""
    x, y = int(round(point.x())), int(round(point.y()))
    return any(
        near(image.pixelColor(x + dx, y + dy), wanted, tolerance) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
    )


@pytest.fixture
def chart(qgis_app):
    widget = TimeSeriesChart()
    widget.resize(SIZE)
    yield widget
    widget.deleteLater()


def ndvi_season(count: int = 9) -> list[SeriesPoint]:
    """A green-up and senescence, weekly: values and spread from numpy, not from the chart."""
    days = [date(2023, 5, 1) + timedelta(days=7 * i) for i in range(count)]
    means = 0.2 + 0.6 * np.sin(np.linspace(0.1, np.pi - 0.1, count))
    spread = np.linspace(0.05, 0.15, count)
    return [SeriesPoint(day, float(m), float(m - s), float(m + s)) for day, m, s in zip(days, means, spread)]


def test_round_ticks_cover_the_values_and_the_band():
    points = ndvi_season()
    low, high = value_range(points)
    lows = [p.low for p in points]
    highs = [p.high for p in points]
    assert low <= min(lows) and high >= max(highs)
    step = nice_step(high - low, 5)
    assert step in {0.1, 0.2, 0.05}  # a round step for a span of about 0.6 to 1
    assert np.isclose(low / step, round(low / step)) and np.isclose(high / step, round(high / step))


def test_the_line_is_drawn_where_the_values_and_days_put_it(chart):
    points = ndvi_season()
    chart.set_series(points, "ndvi B0 mean", "min–max")
    image = chart.render_image(SIZE)
    centres = [chart.position(i, SIZE) for i in range(len(points))]
    days = np.array([(p.day - points[0].day).days for p in points], dtype=float)
    values = np.array([p.value for p in points])
    xs = np.array([c.x() for c in centres])
    ys = np.array([c.y() for c in centres])
    # x is a linear function of the day, y a decreasing linear function of the value (up is higher)
    assert np.allclose(np.polyval(np.polyfit(days, xs, 1), days), xs, atol=0.01)
    slope, _ = np.polyfit(values, ys, 1)
    assert slope < 0 and np.allclose(np.polyval(np.polyfit(values, ys, 1), values), ys, atol=0.01)
    assert xs[0] < xs[-1] and ys[int(np.argmax(values))] == ys.min()
    line = chart.line_colour()
    for centre in centres:  # every dot, in the line's colour
        assert near(pixel(image, centre), line)
    for first, second in zip(centres, centres[1:]):  # and the segment between each pair
        assert drawn_near(image, (first + second) / 2, line)


def test_the_band_fills_between_its_ends_and_nothing_above(chart):
    points = ndvi_season()
    chart.set_series(points, "ndvi B0 mean", "min–max")
    image = chart.render_image(SIZE)
    background = chart.palette().color(QPalette.ColorRole.Base)
    rect = chart.plot_rect(SIZE)
    index = 2
    x = chart.x_of(points[index].day, rect)
    inside = (chart.y_of(points[index].high, rect) + chart.y_of(points[index].value, rect)) / 2
    above = chart.y_of(points[index].high, rect) - 6
    band = pixel(image, QPointF(x + 1, inside))
    assert not near(band, background, 5) and not near(band, chart.line_colour(), 10)
    assert near(pixel(image, QPointF(x + 1, above)), background, 30)  # the grid lines are faint at most


def test_an_interval_without_data_breaks_the_line(chart):
    points = ndvi_season(5)
    gap = 2
    points[gap] = SeriesPoint(points[gap].day, None)
    chart.set_series(points, "ndvi B0 mean")
    image = chart.render_image(SIZE)
    assert chart.position(gap, SIZE) is None
    before, after = chart.position(gap - 1, SIZE), chart.position(gap + 1, SIZE)
    assert not drawn_near(image, (before + after) / 2, chart.line_colour(), 30)
    assert chart.band_name == ""  # no band values: no band, whatever was asked


def test_the_mouse_and_the_keys_choose_a_point_and_the_readout_names_it(chart):
    points = ndvi_season()
    chart.set_series(points, "ndvi B0 mean", "min–max")
    chosen = []
    chart.pointChosen.connect(chosen.append)
    target = chart.position(4)
    position = QPointF(target.x() + 2, 10)
    event = QMouseEvent(
        QMouseEvent.Type.MouseMove, position, position, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(chart, event)
    assert chosen == [4]
    assert chart.readout().startswith(points[4].day.isoformat())
    assert f"{points[4].value:.4g}" in chart.readout() and f"{points[4].high:.4g}" in chart.readout()
    chart.keyPressEvent(_key(Qt.Key.Key_Right))
    assert chosen == [4, 5]


def test_an_empty_chart_says_what_to_do(chart):
    chart.clear()
    image = chart.render_image(SIZE)
    background = chart.palette().color(QPalette.ColorRole.Base)
    middle = range(SIZE.height() // 2 - 12, SIZE.height() // 2 + 12)
    colours = {image.pixel(x, y) for x in range(SIZE.width()) for y in middle}
    assert len(colours) > 1 and QColor(background).rgb() in colours  # text in the middle, on the background
    assert {image.pixel(x, 2) for x in range(SIZE.width())} == {QColor(background).rgb()}  # and no axes


def _key(key):
    return QKeyEvent(QKeyEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
