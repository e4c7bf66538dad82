"""The dock drives a whole job against a live local engine: credentials, features, preview, create, analyse,
confirm and start, on the Batch API v1 and v2; and every kind of bad input is caught with the field named,
nothing sent, and nothing the user typed lost."""

from __future__ import annotations

import pytest
from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsSettings,
)
from qgis.PyQt.QtCore import QCoreApplication, QDate, QEvent, QSettings
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET

from tilewise.core import project_jobs
from tilewise.core.connections import ConnectionStore
from tilewise.core.statuses import V1, V2
from tilewise.ui.dock import TilewiseDock
from tilewise.ui.preview_layers import PREVIEW_GROUP
from tilewise.ui.qgis_compat import layer_abstract

from .conftest import TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA, polygon_layer, wait_until

BROKEN_SCRIPT = """//VERSION=3
function setup() {
  return { input: ["B04", "B08"], output: { bands: 1, sampleType: "FLOAT32" } };
}
function evaluatePixel(s) {
  return [(s.B08 - s.B04) / (s.B08 + s.B04]; // a bracket too many
}
"""


def make_store(tmp_path, url: str, version: int, credentials: bool = True) -> ConnectionStore:
    store = ConnectionStore(QgsSettings(str(tmp_path / "connections.ini"), QSettings.Format.IniFormat))
    deployment = store.add_custom("Test engine", url)
    if credentials:
        store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    store.set_current(deployment.id)
    store.set_api_version(deployment.id, version)
    return store


def make_dock(qgis_iface, store: ConnectionStore) -> TilewiseDock:
    QgsSettings().remove("tilewise")
    dock = TilewiseDock(qgis_iface, store=store)
    wait_until(
        lambda: dock.form.script_editor.info is not None or dock.form.script_editor.problem is not None
    )
    dock.form.script_editor.select_preset("NDVI")
    wait_until(lambda: dock.form.script_editor.task is None and dock.form.script_editor.info is not None)
    dock.form.date_from.setDate(QDate(2023, 7, 1))
    dock.form.date_to.setDate(QDate(2023, 7, 30))
    dock.form.grid_combo.setCurrentIndex(dock.form.grid_combo.findData(1))
    dock.form.resolution_combo.setCurrentIndex(dock.form.resolution_combo.findData(10.0))
    dock.form.description_edit.setText("dock test")
    return dock


@pytest.fixture(params=[V1, V2], ids=["v1", "v2"])
def version(request):
    return request.param


@pytest.fixture
def dock(qgis_iface, qgis_new_project, engine, bucket, tmp_path, version):
    widget = make_dock(qgis_iface, make_store(tmp_path, engine.url, version, credentials=False))
    enter_credentials(widget)
    widget.form.location_combo.setCurrentIndex(widget.form.location_combo.findData("s3"))
    widget.form.s3_url_edit.setText(f"s3://{bucket}/dock-{version}")
    clear_messages(qgis_iface)
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


def enter_credentials(dock: TilewiseDock) -> None:
    """As a user does: ⚙ → client id and secret → Save → OK; the dock connects with them."""
    assert dock.client is None and "No credentials" in dock.connection.connection_label.text()
    dock.connection.open_settings()
    dialog = dock.connection.settings_dialog
    assert dialog.isVisible() and dialog.selected_id() == dock.store.current_id()
    dialog.client_id_edit.setText(TEST_CLIENT_ID)
    dialog.secret_edit.setText(TEST_CLIENT_SECRET)
    dialog.save_button.click()
    dialog.accept()
    wait_until(lambda: not dialog.isVisible())
    assert dock.client is not None, dock.connection.connection_label.text()
    assert dock.store.credentials(dock.store.current_id()).client_secret == TEST_CLIENT_SECRET
    wait_until(lambda: "engine" not in dock.runner.tasks)
    assert "demo catalog" in dock.connection.connection_label.text()


def clear_messages(qgis_iface):
    bar = qgis_iface.messageBar()
    bar.messages = {level: [] for level in bar.messages}


def messages(qgis_iface, level) -> list[str]:
    return qgis_iface.messageBar().get_messages(level)


def sub_area_layer(qgis_iface):
    layer = polygon_layer([TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA], name="california_crop_fields")
    qgis_iface.setActiveLayer(layer)
    layer.selectByIds([2])  # the test sub-area only: two tiles of grid 1
    return layer


def job_count(engine, version: int) -> int:
    return len(engine.call("GET", f"/api/v{version}/batch/process", params={"count": 100}).json()["data"])


def run_stages(dock: TilewiseDock, until: set[str], action, timeout: float = 120) -> list[tuple[str, object]]:
    stages: list[tuple[str, object]] = []

    def record(stage, job):
        stages.append((stage, job))

    dock.jobStageChanged.connect(record)
    try:
        action()
        wait_until(lambda: any(stage in until for stage, _ in stages), timeout)
    finally:
        dock.jobStageChanged.disconnect(record)
    return stages


def raster_preview(dock: TilewiseDock, action, qgis_iface) -> QgsRasterLayer:
    """Run a Process API preview of the dock; the raster layer it added."""
    previews = []
    dock.rasterPreviewFinished.connect(previews.append)
    action()
    wait_until(lambda: previews, 120)
    raster = previews[0]
    assert isinstance(raster, QgsRasterLayer) and raster.isValid(), messages(
        qgis_iface, Qgis.MessageLevel.Critical
    )
    return raster


# --- the whole job ----------------------------------------------------------------------------------------


def test_preview_create_analyse_confirm_and_start_a_job(dock, engine, qgis_iface, version):
    layer = sub_area_layer(qgis_iface)
    dock.refresh_area_summary()
    assert "1 selected polygon" in dock.form.area_label.text()

    # the grid preview shows the tiles the job will produce
    tiles = []
    dock.previewFinished.connect(tiles.append)
    dock.start_preview()
    wait_until(lambda: tiles)
    assert tiles[0] is not None and tiles[0].featureCount() == 2

    # a Process API preview on one tile becomes a raster layer in the tile's UTM zone
    raster = raster_preview(dock, dock.preview_tile, qgis_iface)
    assert raster.crs().authid() == f"EPSG:{dock.selection.tiles[0].epsg}"
    assert raster.width() == dock.selection.tiles[0].buffered_width
    # a short name for the layer tree, the whole description in the abstract (the tree's tooltip)
    assert raster.name().endswith(f" · tile {dock.selection.tiles[0].name}") and len(raster.name()) < 40
    assert "Process API preview of NDVI" in layer_abstract(raster)
    group = QgsProject.instance().layerTreeRoot().findGroup(PREVIEW_GROUP)
    assert group is not None and raster in [node.layer() for node in group.findLayers()]

    # create and analyse: the confirmation shows the service's tiles and estimate
    before = job_count(engine, version)
    stages = run_stages(dock, {"analysed", "failed"}, dock.create_job)
    assert [s for s, _ in stages] == ["created", "analysed"], (
        stages,
        messages(qgis_iface, Qgis.MessageLevel.Critical),
    )
    job = stages[-1][1]
    assert job_count(engine, version) == before + 1
    assert engine.call("GET", f"/api/v{version}/batch/process/{job.id}").json()["status"] == "ANALYSIS_DONE"
    dialog = dock.start_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.values["tiles"].text() == "2" and "PU" in dialog.values["charge"].text()
    assert dialog.start_button.isEnabled()
    assert job.id in [j.id for j in project_jobs.remembered()]

    # confirm: the job starts
    stages = run_stages(dock, {"started", "failed"}, dialog.start_button.click)
    assert stages[-1][0] == "started", messages(qgis_iface, Qgis.MessageLevel.Critical)
    status = engine.call("GET", f"/api/v{version}/batch/process/{job.id}").json()["status"]
    assert status in {"PROCESSING", "DONE"}
    assert any(job.id[:8] in m for m in messages(qgis_iface, Qgis.MessageLevel.Success))
    # Start opens the Jobs tab with the job selected
    assert dock.tabs.currentWidget() is dock.jobs_panel and dock.jobs_panel.selected_job().id == job.id
    assert layer.selectedFeatureIds() == [2]  # the user's selection is untouched


def test_preview_on_the_map_extent_adds_a_raster_in_the_canvas_crs(v1_dock, qgis_iface, qgis_canvas):
    dock = v1_dock
    sub_area_layer(qgis_iface)
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    qgis_canvas.resize(400, 300)
    qgis_canvas.setExtent(QgsRectangle(-119.2778, 36.04, -119.2135, 36.0806))
    qgis_iface.mapCanvas = lambda: qgis_canvas
    raster = raster_preview(dock, dock.preview_map_extent, qgis_iface)
    assert raster.crs().authid() in ("EPSG:4326", "OGC:CRS84")
    assert raster.extent().intersects(QgsRectangle(-119.2778, 36.04, -119.2135, 36.0806))


def test_a_budget_below_the_estimate_refuses_the_start(dock, engine, qgis_iface, version):
    sub_area_layer(qgis_iface)
    dock.form.budget_spin.setValue(1)
    stages = run_stages(dock, {"analysed", "failed"}, dock.create_job)
    assert stages[-1][0] == "analysed", messages(qgis_iface, Qgis.MessageLevel.Critical)
    job = stages[-1][1]
    dialog = dock.start_dialog
    assert not dialog.start_button.isEnabled()
    assert "over your budget" in dialog.verdict.text()
    stages = run_stages(dock, {"declined"}, dialog.reject)
    assert engine.call("GET", f"/api/v{version}/batch/process/{job.id}").json()["status"] == "ANALYSIS_DONE"
    assert "waits" in dock.form.footer.result_label.text()
    dock.start_pending_job()  # even called directly, start stays refused
    assert "budget" in dock.form.footer.problems_label.text()


# --- bad input --------------------------------------------------------------------------------------------


def refused(dock, engine, version, fields: set[str]) -> str:
    """Create is refused before anything is sent, with each field marked; returns the problems text."""
    before = job_count(engine, version)
    stages = run_stages(dock, {"invalid", "failed"}, dock.create_job, timeout=60)
    assert stages[-1][0] == "invalid", stages
    assert fields <= set(dock.form.marked), (fields, dock.form.marked, dock.form.footer.problems_label.text())
    assert job_count(engine, version) == before
    return dock.form.footer.problems_label.text()


@pytest.fixture
def v1_dock(qgis_iface, qgis_new_project, engine, bucket, tmp_path):
    widget = make_dock(qgis_iface, make_store(tmp_path, engine.url, V1))
    widget.form.s3_url_edit.setText(f"s3://{bucket}/dock-bad")
    widget.form.location_combo.setCurrentIndex(widget.form.location_combo.findData("s3"))
    clear_messages(qgis_iface)
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


def test_no_area_a_point_or_line_layer_and_an_invalid_polygon_are_refused(v1_dock, engine, qgis_iface):
    qgis_iface._active_layer_id = None
    assert "Choose a polygon layer" in refused(v1_dock, engine, V1, {"area"})
    points = polygon_layer(["POINT(-119.2 36.0)"], geometry="Point", name="wells")
    qgis_iface.setActiveLayer(points)  # neither offered nor taken as the area
    assert "Choose a polygon layer" in refused(v1_dock, engine, V1, {"area"})
    lines = polygon_layer(["LINESTRING(-119.2 36.0,-119.1 36.1)"], geometry="LineString", name="canals")
    qgis_iface.setActiveLayer(lines)
    assert "Choose a polygon layer" in refused(v1_dock, engine, V1, {"area"})
    combo = v1_dock.area.layer_combo
    assert not {points, lines} & {combo.layer(index) for index in range(combo.count())}
    bowtie = polygon_layer(
        ["POLYGON((-119.3 36.0,-119.1 36.1,-119.1 36.0,-119.3 36.1,-119.3 36.0))"], name="bowtie"
    )
    qgis_iface.setActiveLayer(bowtie)
    assert "Fix Geometries" in refused(v1_dock, engine, V1, {"area"})


def test_without_a_selection_every_polygon_is_used_and_said_so(v1_dock, qgis_iface):
    layer = sub_area_layer(qgis_iface)
    layer.removeSelection()
    v1_dock.refresh_area_summary()
    assert "no selection, all 2 polygon(s)" in v1_dock.form.area_label.text()


def test_an_enormous_area_is_refused_with_the_tile_count(v1_dock, engine, qgis_iface):
    huge = polygon_layer(["POLYGON((-125 30,-100 30,-100 49,-125 49,-125 30))"], name="western US")
    qgis_iface.setActiveLayer(huge)
    v1_dock.form.max_tiles.setValue(500)
    assert "limit of 500" in refused(v1_dock, engine, V1, {"grid"})


def test_an_empty_or_broken_evalscript_points_at_the_script(v1_dock, engine, qgis_iface):
    sub_area_layer(qgis_iface)
    v1_dock.form.script_editor.set_script("   ")
    assert "empty" in refused(v1_dock, engine, V1, {"evalscript"})
    v1_dock.form.script_editor.set_script(BROKEN_SCRIPT)
    text = refused(v1_dock, engine, V1, {"evalscript"})
    assert "Line 6" in text, text
    wait_until(lambda: v1_dock.form.script_editor.task is None)
    assert v1_dock.form.script_editor.script() == BROKEN_SCRIPT  # nothing the user typed is lost


def test_inverted_and_future_time_ranges_are_refused(v1_dock, engine, qgis_iface):
    sub_area_layer(qgis_iface)
    v1_dock.form.date_from.setDate(QDate(2023, 7, 30))
    v1_dock.form.date_to.setDate(QDate(2023, 7, 1))
    assert "swap the dates" in refused(v1_dock, engine, V1, {"time"})
    future = QDate.currentDate().addDays(10)
    v1_dock.form.date_from.setDate(future)
    v1_dock.form.date_to.setDate(future.addDays(5))
    assert "in the future" in refused(v1_dock, engine, V1, {"time"})


def test_a_missing_or_wrong_output_location_is_refused(v1_dock, engine, qgis_iface):
    sub_area_layer(qgis_iface)
    v1_dock.form.s3_url_edit.setText("")
    assert "Choose where the tiles go" in refused(v1_dock, engine, V1, {"output"})
    v1_dock.form.s3_url_edit.setText("s3://Not_A_Bucket/x")
    assert "not a valid S3 bucket name" in refused(v1_dock, engine, V1, {"output"})
    v1_dock.form.s3_url_edit.setText("s3://bucket-ok/<outputId>.<format>")
    assert "<tileName> or <tileId>" in refused(v1_dock, engine, V1, {"output"})


def test_several_problems_are_reported_at_once(v1_dock, engine, qgis_iface):
    sub_area_layer(qgis_iface)
    v1_dock.form.s3_url_edit.setText("")
    v1_dock.form.date_from.setDate(QDate(2023, 7, 30))
    v1_dock.form.date_to.setDate(QDate(2023, 7, 1))
    refused(v1_dock, engine, V1, {"output", "time"})
    assert any("problems in the job form" in m for m in messages(qgis_iface, Qgis.MessageLevel.Warning))


def test_missing_credentials_are_refused_before_sending(qgis_iface, qgis_new_project, engine, tmp_path):
    dock = make_dock(qgis_iface, make_store(tmp_path, engine.url, V1, credentials=False))
    try:
        assert dock.client is None and "No credentials" in dock.connection.connection_label.text()
        sub_area_layer(qgis_iface)
        dock.form.s3_url_edit.setText("s3://some-bucket/x")
        assert "No credentials" in refused(dock, engine, V1, {"credentials"})
    finally:
        dock.unload()
        dock.deleteLater()


def test_an_unreachable_deployment_shows_the_reason_and_keeps_the_form(
    qgis_iface, qgis_new_project, tmp_path
):
    from testkit import free_port

    dock = make_dock(qgis_iface, make_store(tmp_path, f"http://127.0.0.1:{free_port()}", V1))
    try:
        clear_messages(qgis_iface)
        sub_area_layer(qgis_iface)
        dock.form.s3_url_edit.setText("s3://some-bucket/x")
        script = dock.form.script_editor.script()
        stages = run_stages(dock, {"failed", "created"}, dock.create_job, timeout=120)
        assert stages[-1][0] == "failed"
        critical = messages(qgis_iface, Qgis.MessageLevel.Critical)
        assert any("make engine" in m for m in critical), critical
        assert (
            dock.form.script_editor.script() == script
            and dock.form.s3_url_edit.text() == "s3://some-bucket/x"
        )
        assert dock.form.footer.create_button.isEnabled()
    finally:
        dock.unload()
        dock.deleteLater()


def test_the_service_refusal_is_shown_with_its_message(v1_dock, engine, qgis_iface):
    sub_area_layer(qgis_iface)
    v1_dock.form.collection_combo.setCurrentText("byoc-00000000-0000-0000-0000-000000000000")
    stages = run_stages(v1_dock, {"failed", "analysed"}, v1_dock.create_job)
    assert stages[-1][0] == "failed"
    critical = messages(qgis_iface, Qgis.MessageLevel.Critical)
    assert critical and "byoc" in critical[-1].lower(), critical


def test_s3_keys_go_to_a_v2_job_and_never_come_back(qgis_iface, qgis_new_project, engine, bucket, tmp_path):
    from qgis.core import QgsApplication

    dock = make_dock(qgis_iface, make_store(tmp_path, engine.url, V2))
    auth_id = dock.store.save_s3_keys("dock test", "AKIADOCKTEST", "s3-secret-not-to-leak")
    try:
        sub_area_layer(qgis_iface)
        dock.form.s3_url_edit.setText(f"s3://{bucket}/dock-keys")
        dock.form.s3_auth.setConfigId(auth_id)
        assert dock.form.s3_auth.isEnabled()
        stages = run_stages(dock, {"created", "failed", "invalid"}, dock.create_job)
        assert stages[-1][0] == "created", messages(qgis_iface, Qgis.MessageLevel.Critical)
        job = stages[-1][1]
        wait_until(lambda: "analyse" not in dock.runner.tasks, 120)
        answer = engine.call("GET", f"/api/v2/batch/process/{job.id}").text
        assert "AKIADOCKTEST" not in answer and "s3-secret-not-to-leak" not in answer
        assert "s3-secret-not-to-leak" not in repr(dock.draft())
        # v1 writes with the service's identity: the keys stay out of a v1 job, they only read its outputs
        dock.connection.version_combo.setCurrentIndex(dock.connection.version_combo.findData(V1))
        assert dock.form.s3_auth.isEnabled() and "own identity" in dock.form.s3_auth.toolTip()
        assert dock.draft().s3_access_key == ""
    finally:
        if dock.start_dialog is not None:
            dock.start_dialog.reject()
        dock.unload()
        dock.deleteLater()
        QgsApplication.authManager().removeAuthenticationConfig(auth_id)


def test_the_form_survives_a_new_dock(v1_dock, qgis_iface, engine, tmp_path):
    v1_dock.form.script_editor.set_script(BROKEN_SCRIPT)
    v1_dock.form.s3_url_edit.setText("s3://kept-bucket/folder")
    v1_dock.form.date_from.setDate(QDate(2021, 3, 4))
    v1_dock.save_settings()
    other = TilewiseDock(qgis_iface, store=v1_dock.store)
    try:
        assert other.form.script_editor.script() == BROKEN_SCRIPT
        assert other.form.s3_url_edit.text() == "s3://kept-bucket/folder"
        assert other.form.date_from.date() == QDate(2021, 3, 4)
        assert "secret" not in " ".join(
            str(QgsSettings().value(k)) for k in QgsSettings().allKeys() if "tilewise" in k
        )
    finally:
        other.unload()
        other.deleteLater()


def test_the_dock_connects_after_it_shows_and_not_at_all_when_closed_first(qgis_iface, tmp_path, slow_server):
    """Opening the dock does not wait for QgsAuthManager and the engine: it connects at the next turn of the
    event loop; a dock closed before that never connects."""
    from qgis.core import QgsApplication

    store = make_store(tmp_path, slow_server, V1)
    closed = TilewiseDock(qgis_iface, store=store)
    assert closed.client is None and "engine" not in closed.runner.tasks
    closed.unload()
    closed.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    for _ in range(5):
        QgsApplication.processEvents()

    dock = TilewiseDock(qgis_iface, store=store)
    try:
        wait_until(lambda: dock.client is not None, 10)
    finally:
        dock.unload()
        dock.deleteLater()


def test_closing_the_dock_while_a_call_runs_is_harmless(
    qgis_iface, qgis_new_project, tmp_path, caplog, slow_server
):
    """A task that ends after its dock is gone must neither crash QGIS nor touch deleted widgets."""
    from qgis.core import QgsApplication
    from qgis.PyQt import sip

    QgsSettings().remove("tilewise")
    dock = TilewiseDock(qgis_iface, store=make_store(tmp_path, slow_server, V1))
    wait_until(lambda: "engine" in dock.runner.tasks, 10)  # the engine's status is being read
    task = dock.runner.tasks["engine"]
    dock.unload()
    dock.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the widgets are really gone
    wait_until(lambda: sip.isdeleted(task) or task.status() in (task.Complete, task.Terminated), 30)
    for _ in range(20):
        QgsApplication.processEvents()
    assert not [r for r in caplog.records if "handling the end" in r.getMessage()]
