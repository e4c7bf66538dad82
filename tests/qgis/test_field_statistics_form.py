"""The Field statistics form refuses what cannot be sent, with a message that says what to change (not polygons,
no features, an interval under a day, a script without dataMask, more fields than a batch job takes, a batch
without a place for its files), says before running whether the fields go one request each or as a batch
job, and hands the run the selected fields (or all) numbered from 1 with their names and geometry."""

from __future__ import annotations

import pytest
import shapely
from qgis.core import QgsFeature, QgsGeometry, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QDate

from tilewise.core.field_statistics import SYNCHRONOUS_LIMIT
from tilewise.ui import field_statistics_panel
from tilewise.ui.field_statistics_panel import (
    FieldStatisticsPanel,
    FormRefused,
    iso_interval,
    parse_percentiles,
)

from .conftest import polygon_layer, wait_until

NO_MASK_SCRIPT = """//VERSION=3
function setup() {
  return { input: ["B04", "B08"], output: [{ id: "ndvi", bands: 1, sampleType: "FLOAT32" }] };
}
function evaluatePixel(s) { return { ndvi: [(s.B08 - s.B04) / (s.B08 + s.B04)] }; }
"""
UTM_SQUARES = [
    f"POLYGON(({x} 5100000,{x + 300} 5100000,{x + 300} 5100300,{x} 5100300,{x} 5100000))"
    for x in (500_000, 501_000, 502_000)
]


def read_script(panel: FieldStatisticsPanel) -> None:
    editor = panel.script_editor
    wait_until(lambda: editor.task is None and (editor.info is not None or editor.problem is not None))


@pytest.fixture
def panel(qgis_new_project, qgis_iface):
    widget = FieldStatisticsPanel(
        qgis_iface, client=lambda: None, bucket_access=lambda: pytest.fail("no bucket")
    )
    read_script(widget)
    widget.date_from.setDate(QDate(2023, 7, 1))
    widget.date_to.setDate(QDate(2023, 8, 1))
    yield widget
    widget.unload()
    widget.deleteLater()


@pytest.fixture
def fields(qgis_new_project):
    return polygon_layer(UTM_SQUARES, crs="EPSG:32633", name="parcels", geometry="Polygon")


def refusal(panel: FieldStatisticsPanel) -> str:
    with pytest.raises(FormRefused) as caught:
        panel.collect()
    return str(caught.value)


def test_a_layer_of_points_is_refused_and_said(panel, qgis_new_project):
    points = QgsVectorLayer("Point?crs=EPSG:4326", "wells", "memory")
    QgsProject.instance().addMapLayer(points)
    panel.set_layer(points)
    assert "“wells” is not a polygon layer" in panel.problem_label.text()
    assert panel.layer() is None
    assert "Choose the polygon layer of your fields" in refusal(panel)


def test_a_polygon_layer_without_features_is_refused(panel, qgis_new_project):
    empty = polygon_layer([], crs="EPSG:32633", name="no parcels")
    panel.set_layer(empty)
    assert "“no parcels” has no features: draw or load your fields first" in refusal(panel)


def test_an_interval_under_a_day_is_refused(panel, fields):
    panel.set_layer(fields)
    panel.interval_spin.setValue(0)
    assert "one day or longer" in refusal(panel)
    with pytest.raises(FormRefused):
        iso_interval(0, "D")
    assert [iso_interval(1, "D"), iso_interval(2, "W"), iso_interval(1, "M")] == ["P1D", "P2W", "P1M"]


def test_a_script_without_data_mask_is_refused(panel, fields):
    panel.set_layer(fields)
    panel.script_editor.set_script(NO_MASK_SCRIPT)
    read_script(panel)
    message = refusal(panel)
    assert "no dataMask output" in message and "NDVI or NDWI preset" in message


def test_a_time_range_that_ends_before_it_starts_is_refused(panel, fields):
    panel.set_layer(fields)
    panel.date_to.setDate(QDate(2023, 6, 1))
    assert "“From” must be before “To”" in refusal(panel)


def test_percentiles_outside_0_to_100_are_refused():
    assert parse_percentiles(" 10, 50;90 90") == (10.0, 50.0, 90.0)
    assert parse_percentiles("") == ()
    with pytest.raises(FormRefused, match="“101” is not a percentile"):
        parse_percentiles("50, 101")
    with pytest.raises(FormRefused, match="“median” is not a percentile"):
        parse_percentiles("median")


def test_more_fields_than_a_batch_job_takes_are_refused(panel, fields, monkeypatch):
    monkeypatch.setattr(field_statistics_panel, "MAX_STATISTICAL_FEATURES", 2)  # 700,000 in the real world
    panel.set_layer(fields)
    assert "3 fields are more than the 2 one batch statistical job takes" in refusal(panel)
    assert "select fewer" in panel.summary_label.text()


def test_the_form_says_which_way_the_run_goes(panel, fields, monkeypatch):
    panel.set_layer(fields)
    assert panel.summary_label.text() == "3 fields: one request each (Statistical API)."
    assert panel.selection_label.text() == "No selection: all 3 fields are used."
    fields.selectByIds([feature.id() for feature in fields.getFeatures()][:2])
    assert panel.selection_label.text() == "2 selected fields."
    assert panel.summary_label.text().startswith("2 fields: one request each")
    monkeypatch.setattr(field_statistics_panel, "SYNCHRONOUS_LIMIT", 1)
    panel.refresh_summary()
    assert "a batch statistical job, results in (choose a bucket below)" in panel.summary_label.text()
    assert "name its bucket under “Batch files in”" in refusal(panel)
    panel.location_edit.setText("s3://fields/july")
    assert panel.summary_label.text() == "2 fields: a batch statistical job, results in s3://fields/july."
    assert not panel.collect().synchronous


def test_the_run_takes_the_selected_fields_numbered_with_their_names(panel, fields):
    panel.set_layer(fields)
    panel.identifier_combo.setField("name")
    chosen = [feature for feature in fields.getFeatures()][1:]
    fields.selectByIds([feature.id() for feature in chosen])
    panel.percentiles_edit.setText("10, 90")
    panel.bins_spin.setValue(8)
    run = panel.collect()
    assert [polygon.fid for polygon in run.polygons] == [1, 2]
    assert [polygon.identifier for polygon in run.polygons] == [feature["name"] for feature in chosen]
    assert run.source_ids == {1: chosen[0].id(), 2: chosen[1].id()}
    for polygon, feature in zip(run.polygons, chosen):
        expected = shapely.from_wkt(feature.geometry().asWkt())
        assert shapely.equals(shapely.from_wkt(polygon.wkt), expected)
    assert run.crs_authid == "EPSG:32633" and run.synchronous and len(run.polygons) <= SYNCHRONOUS_LIMIT
    assert run.options.interval == "P1W" and run.options.resolution == 10.0
    assert run.options.percentiles == (10.0, 90.0) and run.options.histogram_bins == 8
    assert run.options.calculations()["default"]["histograms"]["default"]["nBins"] == 8
    assert "dataMask" in run.options.evalscript and run.results_path.suffix == ".gpkg"


def test_a_lon_lat_layer_gets_its_resolution_in_degrees(panel, qgis_new_project):
    layer = polygon_layer(
        ["POLYGON((14.5 46.0,14.51 46.0,14.51 46.01,14.5 46.01,14.5 46.0))"], geometry="Polygon"
    )
    panel.set_layer(layer)
    panel.resolution_spin.setValue(20.0)
    assert panel.collect().options.resolution == pytest.approx(20.0 / 111_320.0)


def test_a_feature_without_geometry_is_left_out(panel, fields):
    feature = QgsFeature(fields.fields())
    feature.setGeometry(QgsGeometry())
    feature.setAttributes(["no shape"])
    fields.dataProvider().addFeatures([feature])
    panel.set_layer(fields)
    panel.identifier_combo.setField("name")
    assert [polygon.identifier for polygon in panel.collect().polygons] == [
        "feature 0",
        "feature 1",
        "feature 2",
    ]
