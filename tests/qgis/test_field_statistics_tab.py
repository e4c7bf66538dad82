"""The dock's Field statistics tab end to end against a live engine on the small demo catalog (synchronous
Statistical API): the user's selected fields go one request each, the results come back as a graduated
fields layer and a statistics table, a field the service refuses is listed, and selecting a field (on the
user's layer or on the results layer) draws its series, whose values are those of the results GeoPackage
read here with OGR."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import ogr
from qgis.core import QgsGraduatedSymbolRenderer, QgsProject, QgsSettings
from qgis.PyQt.QtCore import QDate, QSize

from tilewise.core import field_statistics
from tilewise.ui import field_statistics_panel
from tilewise.ui.dock import TilewiseDock
from tilewise.ui.field_statistics_layers import FIELD_STATISTICS_GROUP

from .conftest import polygon_layer, wait_until
from .test_job_dock import make_store

UTM11N = "EPSG:32611"
FIELDS = [  # inside the small demo catalog's area (tests/e2e/test_field_statistics.py checks their values)
    "POLYGON ((303533 3993047, 304467 3993211, 304301 3993977, 303611 3993689, 303533 3993047))",
    "POLYGON ((303100 3993100, 303500 3993100, 303500 3993500, 303100 3993500, 303100 3993100))",
    "POLYGON ((250000 3950000, 310000 3950000, 310000 4010000, 250000 3950000))",  # 3,000 px a side: refused
    "POLYGON ((304211 3993111, 304489 3993111, 304489 3993889, 304211 3993889, 304211 3993111))",
]


@pytest.fixture
def dock(qgis_iface, qgis_new_project, engine, tmp_path):
    QgsSettings().remove("tilewise")
    widget = TilewiseDock(qgis_iface, store=make_store(tmp_path, engine.url, 1))
    wait_until(lambda: widget.client is not None and "engine" not in widget.runner.tasks)
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


def statistics_of(path: str, fid: int) -> list[tuple[str, float]]:
    """(interval start, mean) of a field's ndvi rows, read from the GeoPackage with OGR."""
    source = ogr.Open(path)
    table = source.GetLayerByName("statistics")
    table.SetAttributeFilter(f"fid = {fid} AND output = 'ndvi'")
    rows = sorted((f.GetField("interval_from"), f.GetField("mean")) for f in table)
    source = None
    return rows


def fill_in(panel, results: Path):
    """The parcels layer with its first three fields selected, NDVI daily over the demo's July, at 20 m."""
    parcels = polygon_layer(FIELDS, crs=UTM11N, name="parcels", geometry="Polygon")
    panel.set_layer(parcels)
    panel.identifier_combo.setField("name")
    parcels.selectByIds([1, 2, 3])  # the first three: the fourth is left out
    panel.script_editor.select_preset("NDVI")
    wait_until(lambda: panel.script_editor.task is None and panel.script_editor.info is not None)
    panel.date_from.setDate(QDate(2023, 7, 1))
    panel.date_to.setDate(QDate(2023, 7, 17))
    panel.interval_spin.setValue(1)
    panel.interval_unit.setCurrentIndex(panel.interval_unit.findData("D"))
    panel.resolution_spin.setValue(20.0)
    panel.results_file.setFilePath(str(results))
    return parcels


def test_selected_fields_come_back_styled_with_their_series(dock, qgis_iface, tmp_path):
    panel = dock.field_statistics
    assert dock.tabs.tabText(dock.tabs.indexOf(panel)) == "Field statistics"
    parcels = fill_in(panel, tmp_path / "parcels.gpkg")
    assert panel.summary_label.text() == "3 fields: one request each (Statistical API)."

    panel.run_button.click()
    assert panel.task is not None and not panel.run_button.isEnabled()
    wait_until(lambda: panel.task is None, timeout=120)
    assert panel.run_button.isEnabled() and not panel.progress.isVisible()
    assert panel.problem_label.text() == "", panel.problem_label.text()
    assert "Statistics of 2 fields" in panel.result_label.text(), panel.result_label.text()

    # the refused field is listed; the others are on the map, graduated by their latest mean
    failed = [panel.failed_list.item(i).text() for i in range(panel.failed_list.count())]
    assert len(failed) == 1 and failed[0].startswith("Field 3:") and "2500 px" in failed[0]
    fields, table = panel.results.fields, panel.results.statistics
    assert fields.featureCount() == 3 and table.featureCount() > 0
    renderer = fields.renderer()
    assert isinstance(renderer, QgsGraduatedSymbolRenderer) and renderer.classAttribute() == "ndvi_B0_mean"
    group = QgsProject.instance().layerTreeRoot().findGroup(FIELD_STATISTICS_GROUP)
    assert {node.layer() for node in group.findLayers()} == {fields, table}

    # the first field's series is drawn at once, with the GeoPackage's values
    path = str(tmp_path / "parcels.gpkg")
    chart = panel.series.chart
    expected = statistics_of(path, 1)
    assert expected and [(p.day.isoformat(), p.value) for p in chart.points] == [
        (interval[:10], mean) for interval, mean in expected
    ]
    image = chart.render_image(QSize(400, 240))
    drawn = [chart.position(i, QSize(400, 240)) for i, p in enumerate(chart.points) if p.value is not None]
    line = chart.line_colour()
    for centre in drawn:
        colour = image.pixelColor(int(round(centre.x())), int(round(centre.y())))
        assert abs(colour.red() - line.red()) < 40 and abs(colour.blue() - line.blue()) < 40

    # selecting the second field on the user's layer, then the first on the results layer, follows
    parcels.selectByIds([2])
    assert panel.series.field_title == "Field feature 1"
    assert [p.value for p in chart.points] == [mean for _, mean in statistics_of(path, 2)]
    fields.selectByIds([1])
    assert panel.series.field_title == "Field feature 0"
    assert [p.value for p in chart.points] == [mean for _, mean in statistics_of(path, 1)]
    panel.series.show_table(True)
    assert panel.series.table.rowCount() == len(statistics_of(path, 1))


def test_many_fields_become_a_batch_job_in_the_engines_output_root(dock, engine, tmp_path, monkeypatch):
    """Above the synchronous limit (lowered here to 2 from 100) the tab says so, and the run is a Batch
    Statistical job whose fields GeoPackage and results lie under the local engine's output root."""
    for module in (field_statistics, field_statistics_panel):
        monkeypatch.setattr(module, "SYNCHRONOUS_LIMIT", 2)
    panel = dock.field_statistics
    fill_in(panel, tmp_path / "batch.gpkg")
    root = Path(engine.output_root).as_uri()
    assert panel.summary_label.text() == f"3 fields: a batch statistical job, results in {root}."
    panel.run_button.click()
    wait_until(lambda: panel.task is None, timeout=180)
    assert panel.problem_label.text() == "", panel.problem_label.text()
    assert "Batch job" in panel.result_label.text(), panel.result_label.text()
    uploaded = list(Path(engine.output_root).glob("field-statistics/*/fields.gpkg"))
    assert len(uploaded) == 1
    assert len(list(uploaded[0].parent.glob("results/*/*.json"))) == 3  # one per field, the refused one too
    failed = [panel.failed_list.item(i).text() for i in range(panel.failed_list.count())]
    assert len(failed) == 1 and failed[0].startswith("Field 3:")
    first = statistics_of(str(tmp_path / "batch.gpkg"), 1)
    assert first and [p.value for p in panel.series.chart.points] == [mean for _, mean in first]
