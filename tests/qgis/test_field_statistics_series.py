"""A field's rows (from a Statistical API response, flattened by core/field_statistics.py) become the chart's
series and the table: the mean of the chosen output band per interval, the widest percentile range as the
band (min–max without percentiles), an interval without data as a gap, a failed interval left out."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from qgis.PyQt.QtCore import QSize

from tilewise.core.field_statistics import rows_from_response
from tilewise.ui.field_statistics_series import FieldSeries, band_of, output_bands, series_points

RNG = np.random.default_rng(7)
WEEKS = 6


def band_statistics(pixels: np.ndarray, percentiles: tuple[float, ...]) -> dict:
    """A band's statistics as the Statistical API writes them, computed with numpy."""
    stats = {
        "min": float(pixels.min()),
        "max": float(pixels.max()),
        "mean": float(pixels.mean()),
        "stDev": float(pixels.std(ddof=1)),
        "sampleCount": int(pixels.size),
        "noDataCount": 0,
    }
    if percentiles:
        stats["percentiles"] = {f"{k:g}.0": float(np.percentile(pixels, k)) for k in percentiles}
    return {"stats": stats}


def response(percentiles: tuple[float, ...] = (), empty_week: int = -1, failed_week: int = -1):
    """Weekly NDVI and NDWI statistics of one field's pixels (random but seeded), as a Statistical API answer."""
    data, pixels_by_week = [], []
    for week in range(WEEKS):
        start = datetime(2023, 7, 3) + timedelta(weeks=week)
        interval = {"from": start.strftime("%Y-%m-%dT00:00:00Z"),
                    "to": (start + timedelta(weeks=1)).strftime("%Y-%m-%dT00:00:00Z")}  # fmt: skip
        ndvi = RNG.normal(0.3 + 0.08 * week, 0.05, 400)
        pixels_by_week.append(ndvi)
        if week == failed_week:
            data.append({"interval": interval, "error": {"type": "EXECUTION_ERROR"}})
            continue
        if week == empty_week:
            nan = {"stats": {"min": "NaN", "max": "NaN", "mean": "NaN", "stDev": "NaN", "sampleCount": 400,
                             "noDataCount": 400}}  # fmt: skip
            bands = {"ndvi": {"bands": {"B0": nan}}, "ndwi": {"bands": {"B0": nan}}}
        else:
            bands = {"ndvi": {"bands": {"B0": band_statistics(ndvi, percentiles)}},
                     "ndwi": {"bands": {"B0": band_statistics(-ndvi, percentiles)}}}  # fmt: skip
        data.append({"interval": interval, "outputs": bands})
    return {"data": data, "status": "OK"}, pixels_by_week


def test_the_series_is_the_mean_per_interval_with_min_max_around_it():
    body, pixels = response()
    rows = rows_from_response(1, "parcel 1", body)
    assert output_bands(rows) == [("ndvi", "B0"), ("ndwi", "B0")]
    points, band_name = series_points(rows, "ndvi", "B0")
    assert band_name == "min–max"
    assert [p.day for p in points] == [date(2023, 7, 3) + timedelta(weeks=w) for w in range(WEEKS)]
    assert np.allclose([p.value for p in points], [week.mean() for week in pixels])
    assert np.allclose([p.low for p in points], [week.min() for week in pixels])
    assert np.allclose([p.high for p in points], [week.max() for week in pixels])
    water, _ = series_points(rows, "ndwi", "B0")
    assert np.allclose([p.value for p in water], [-week.mean() for week in pixels])


def test_the_widest_percentile_range_is_the_band_when_percentiles_were_asked():
    body, pixels = response(percentiles=(10, 50, 90))
    rows = rows_from_response(1, "parcel 1", body)
    low, high, name = band_of(rows[0])
    assert name == "p10–p90"
    points, _ = series_points(rows, "ndvi", "B0")
    assert np.allclose([p.low for p in points], [np.percentile(week, 10) for week in pixels])
    assert np.allclose([p.high for p in points], [np.percentile(week, 90) for week in pixels])


def test_a_week_without_data_is_a_gap_and_a_failed_week_is_left_out():
    body, _ = response(empty_week=2, failed_week=4)
    rows = rows_from_response(1, "parcel 1", body)
    points, _ = series_points(rows, "ndvi", "B0")
    assert len(points) == WEEKS - 1
    assert points[2].value is None and points[2].low is None
    assert date(2023, 7, 3) + timedelta(weeks=4) not in [p.day for p in points]


@pytest.fixture
def series(qgis_app):
    widget = FieldSeries()
    widget.resize(QSize(420, 300))
    yield widget
    widget.deleteLater()


def test_the_view_draws_the_chosen_band_and_shows_the_rows_as_a_table(series):
    body, pixels = response(empty_week=1)
    rows = rows_from_response(3, "parcel 3", body)
    series.show_field("Field parcel 3", rows)
    assert series.band_combo.count() == 2 and series.chosen_band() == ("ndvi", "B0")
    chart = series.chart
    assert chart.title == "ndvi · B0 · mean" and len(chart.points) == WEEKS
    assert chart.points[1].value is None
    assert np.isclose(chart.points[0].value, pixels[0].mean())
    series.band_combo.setCurrentIndex(1)
    assert chart.title == "ndwi · B0 · mean" and np.isclose(chart.points[0].value, -pixels[0].mean())
    series.show_table(True)
    assert series.stack.currentWidget() is series.table
    assert series.table.rowCount() == 2 * WEEKS
    means = [series.table.item(row, 3).text() for row in range(series.table.rowCount())]
    assert f"{pixels[0].mean():.4g}" in means and "no data" in means
    series.show_field("Field parcel 3", rows)  # the next field keeps the chosen band
    assert series.chosen_band() == ("ndwi", "B0")


def test_a_failed_field_says_why(series):
    rows = rows_from_response(5, "parcel 5", {"status": "FAILED", "data": None})
    series.show_field("Field parcel 5", rows)
    assert "failed" in series.title_label.text() and series.band_combo.count() == 0
    assert series.chart.points == ()
