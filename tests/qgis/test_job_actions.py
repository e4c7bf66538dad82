"""Acting on jobs from the dock against a live engine and the local S3 server: a failed tile reprocessed from
its tile layer, failed tiles restarted, a job cancelled, a v2 job stopped and started again, a job deleted,
outputs opened (tiles and mosaics, with their CRS, extent and values) and downloaded; buttons enabled for the
job's status; the map's menus offer "Reprocess tile" on FAILED tiles of v1 job layers only."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from osgeo import gdal
from qgis.core import QgsFeatureRequest, QgsPointXY, QgsProject, QgsVectorLayer
from qgis.gui import QgsGui, QgsMapMouseEvent
from qgis.PyQt.QtCore import QEvent, QPoint, Qt
from qgis.PyQt.QtWidgets import QMenu
from testkit import SLOW_SCRIPT, TEST_BBOX, WIDE_BBOX, process_request_json, request_body

from tilewise.core import project_jobs
from tilewise.core.batch_models import parse_request
from tilewise.core.job_actions import Action
from tilewise.core.jobs import BatchJob
from tilewise.core.statuses import V1, V2
from tilewise.ui.job_tile_layer import JobTileLayer
from tilewise.ui.qgis_compat import STAT_MAX, STAT_MIN, band_statistics

from .conftest import wait_until
from .test_job_dock import clear_messages, make_dock, make_store
from .test_job_monitor import layer_values

NDVI = """//VERSION=3
function setup() {
  return { input: ["B04", "B08", "dataMask"], output: { bands: 1, sampleType: "FLOAT32" } };
}
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }
"""


def make_actions_dock(qgis_iface, engine, s3_server, tmp_path, version):
    dock = make_dock(qgis_iface, make_store(tmp_path, engine.url, version))
    wait_until(lambda: dock.client is not None and "engine" not in dock.runner.tasks)
    auth_id = dock.store.save_s3_keys("actions test", s3_server.access_key, s3_server.secret_key)
    dock.form.s3_auth.setConfigId(auth_id)  # the keys the plugin reads the bucket with
    dock.jobs.monitor.min_interval_s, dock.jobs.monitor.max_interval_s = 0.2, 1.0
    questions: list[str] = []
    dock.jobs.actions.ask = lambda question: questions.append(question) or True
    dock.questions = questions
    clear_messages(qgis_iface)
    return dock


@pytest.fixture
def v1_dock(qgis_iface, qgis_new_project, engine, s3_server, tmp_path):
    dock = make_actions_dock(qgis_iface, engine, s3_server, tmp_path, V1)
    yield dock
    dock.unload()
    dock.deleteLater()
    QgsProject.instance().clear()
    gdal.ClearPathSpecificOptions()


def v1_body(script: str, bbox, output_url: str, resolution: int = 20) -> dict:
    return {
        "processRequest": process_request_json(script, bbox),
        "tilingGrid": {"id": 1, "resolution": resolution, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": output_url},
        "description": "actions test",
    }


class Recorder:
    """What the dock's controller and monitor report, in order."""

    def __init__(self, dock):
        self.finished: list[BatchJob] = []
        self.changed: list[BatchJob] = []
        self.failures: list[tuple[str, str]] = []
        self.opened: list = []
        self.downloads: list = []
        dock.jobs.monitor.jobFinished.connect(self.finished.append)
        dock.jobs.actions.jobChanged.connect(self.changed.append)
        dock.jobs.actions.actionFailed.connect(lambda what, message: self.failures.append((what, message)))
        dock.jobs.actions.outputsOpened.connect(lambda job, layers: self.opened.append(layers))
        dock.jobs.actions.downloadFinished.connect(lambda job, task: self.downloads.append(task))

    def finish(self, count: int, timeout: float = 300) -> BatchJob:
        wait_until(lambda: len(self.finished) >= count or self.failures, timeout)
        assert not self.failures, self.failures
        return self.finished[-1]


def empty_and_delete(s3_server, bucket: str) -> None:
    client = s3_server.client()
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def test_a_failed_tile_is_reprocessed_from_the_map_then_the_rest_restarted_and_the_outputs_opened(
    v1_dock, engine, s3_server, tmp_path
):
    dock, seen = v1_dock, Recorder(v1_dock)
    bucket = s3_server.new_bucket()
    job = dock.client.create_raw(v1_body(NDVI, TEST_BBOX, f"s3://{bucket}/mend"))
    dock.client.analyse(job.id)
    engine.wait_for(job.id, {"ANALYSIS_DONE"}, timeout=120)
    empty_and_delete(s3_server, bucket)  # the bucket goes away after analysis: every delivery fails
    dock.client.start(job.id)
    engine.wait_for(job.id, {"FAILED"}, timeout=300)

    failed_job = dock.client.get(job.id)
    dock.jobs.bar.set_job(failed_job)
    assert dock.jobs.bar.buttons[Action.RESTART].isEnabled() is False  # FAILED, not PARTIAL
    assert dock.jobs.actions.run(failed_job, Action.SHOW_TILES)
    seen.finish(1)
    tile_layer = JobTileLayer.find(job.id)
    values = layer_values(tile_layer)
    assert len(values) >= 2 and {s for s, _ in values.values()} == {"FAILED"}
    assert all("bucket" in (failure or "").lower() for _, failure in values.values()), values

    # the identify menu and the map's context menu offer the action on this layer, not on others
    registry = QgsGui.mapLayerActionRegistry()
    assert dock.jobs.reprocess_action in registry.mapLayerActions(tile_layer.layer)
    other = QgsVectorLayer("Polygon?crs=EPSG:4326", "other", "memory")
    assert dock.jobs.reprocess_action not in registry.mapLayerActions(other)

    s3_server.client().create_bucket(Bucket=bucket)  # mended: the tile can now be delivered
    tile_id = sorted(values)[0]
    feature_id = tile_layer.fid_of(tile_id)
    dock.jobs.reprocess_action.trigger(tile_layer.layer, tile_layer.layer.getFeature(feature_id))
    assert dock.questions and "processing units" in dock.questions[-1]
    partial = seen.finish(2)
    assert partial.status == "PARTIAL"
    values = layer_values(tile_layer)
    assert values[tile_id] == ("PROCESSED", None)
    assert {s for t, (s, _) in values.items() if t != tile_id} == {"FAILED"}

    dock.jobs.bar.set_job(partial)
    assert dock.jobs.bar.buttons[Action.RESTART].isEnabled()
    dock.jobs.bar.buttons[Action.RESTART].click()
    assert "Restart the failed tiles" in dock.questions[-1]
    done = seen.finish(3)
    assert done.status == "DONE" and set(tile_layer.counts()) == {"PROCESSED"}
    assert dock.jobs_panel.model.row_of(job.id) is not None or dock.jobs_panel.is_loading() is not None

    # outputs from S3 (the engine's endpoint, the form's keys): one layer per tile, in the tiles' UTM CRS
    assert dock.jobs.actions.run(done, Action.OPEN_OUTPUTS)
    wait_until(lambda: seen.opened, 120)
    layers = seen.opened[-1]
    assert not layers.problems, layers.problems
    assert len(layers) == len(values)
    for layer in layers:
        assert layer.isValid() and layer.crs().authid() == "EPSG:32611"
        assert layer.source().startswith(f"/vsis3/{bucket}/mend/")
        stats = band_statistics(layer.dataProvider(), 1, STAT_MIN | STAT_MAX)
        assert (
            -1.0 <= stats.minimumValue <= stats.maximumValue <= 1.0
            and stats.maximumValue > stats.minimumValue
        )
    assert dock.jobs.actions.open_outputs(done, mosaic=True)
    wait_until(lambda: len(seen.opened) >= 2, 120)
    mosaic = seen.opened[-1]
    assert len(mosaic) == 1 and mosaic[0].crs().authid() == "EPSG:32611"
    union = layers[0].extent()
    for layer in layers[1:]:
        union.combineExtentWith(layer.extent())
    assert mosaic[0].extent() == union

    folder = tmp_path / "downloads"
    assert dock.jobs.actions.download(done, folder)
    wait_until(lambda: seen.downloads, 120)
    task = seen.downloads[-1]
    assert task.error is None and len(task.result) == len(values)
    assert all(Path(path).stat().st_size > 0 for path in task.result)


def test_cancel_asks_first_and_a_declined_question_changes_nothing(v1_dock, engine, s3_server):
    dock, seen = v1_dock, Recorder(v1_dock)
    job = dock.client.create_raw(v1_body(SLOW_SCRIPT, WIDE_BBOX, f"s3://{s3_server.new_bucket()}/cancel"))
    dock.client.start(job.id)
    engine.wait_for(job.id, {"PROCESSING"}, timeout=120)
    running = dock.client.get(job.id)

    dock.jobs.actions.ask = lambda question: dock.questions.append(question) and False
    assert not dock.jobs.actions.run(running, Action.STOP)
    assert dock.client.get(job.id).status == "PROCESSING" and not dock.jobs.actions.tasks

    dock.jobs.actions.ask = lambda question: dock.questions.append(question) or True
    assert dock.jobs.actions.run(running, Action.STOP)
    assert "Cancel job" in dock.questions[-1] and "cannot be resumed" in dock.questions[-1]
    wait_until(lambda: seen.changed or seen.failures, 60)
    assert not seen.failures, seen.failures
    assert seen.changed[-1].status == "CANCELED"
    assert dock.jobs.actions.run(seen.changed[-1], Action.SHOW_TILES)
    final = seen.finish(1)  # watched once: the layer shows what was delivered before the cancel
    assert final.status == "CANCELED"
    statuses = {s for s, _ in layer_values(JobTileLayer.find(job.id)).values()}
    assert statuses and statuses <= {"PROCESSED", "PENDING", "FAILED", "CANCELED", "PROCESSING", "QUEUED"}


def test_delete_removes_the_job_from_the_service_the_list_and_the_project(v1_dock, engine, s3_server):
    dock, seen = v1_dock, Recorder(v1_dock)
    deleted = []
    dock.jobs.actions.jobDeleted.connect(deleted.append)
    job = dock.client.create_raw(v1_body(NDVI, TEST_BBOX, f"s3://{s3_server.new_bucket()}/delete"))
    project_jobs.remember(job)
    dock.jobs_panel.add_or_update(job)
    assert dock.jobs.actions.run(job, Action.DELETE)
    assert "cannot be undone" in dock.questions[-1]
    wait_until(lambda: deleted or seen.failures, 60)
    assert not seen.failures and deleted[0].id == job.id
    assert engine.call("GET", f"/api/v1/batch/process/{job.id}").status_code == 404
    assert dock.jobs_panel.model.row_of(job.id) is None
    assert job.id not in {j.id for j in project_jobs.remembered()}


def test_a_v2_job_is_stopped_and_started_again_and_ends_done(
    qgis_iface, qgis_new_project, engine, s3_server, tmp_path
):
    dock = make_actions_dock(qgis_iface, engine, s3_server, tmp_path, V2)
    seen = Recorder(dock)
    try:
        bucket = s3_server.new_bucket()
        body = {
            "processRequest": process_request_json(SLOW_SCRIPT, WIDE_BBOX),
            "input": {"type": "tiling-grid", "id": 1, "resolution": 20},
            "output": {"type": "raster", "delivery": {"s3": {"url": f"s3://{bucket}/v2", "accessKey":
                       s3_server.access_key, "secretAccessKey": s3_server.secret_key, "region": s3_server.region}}},
        }  # fmt: skip
        body["processRequest"] = {k: v for k, v in body["processRequest"].items() if k != "output"}
        job = dock.client.create_raw(body)
        dock.client.start(job.id)
        engine.wait_for(job.id, {"PROCESSING"}, timeout=120, api="v2")
        running = dock.client.get(job.id)
        dock.jobs.bar.set_job(running)
        stop = dock.jobs.bar.buttons[Action.STOP]
        assert stop.text() == "Stop" and stop.isEnabled()
        assert not dock.jobs.bar.buttons[Action.DELETE].isEnabled()
        assert "v2" in dock.jobs.bar.buttons[Action.DELETE].toolTip()
        stop.click()
        wait_until(lambda: seen.changed or seen.failures, 60)
        assert not seen.failures, seen.failures
        stopped = seen.changed[-1]
        assert stopped.status == "STOPPED" and "30 minutes" in dock.questions[-1]
        dock.jobs.bar.set_job(stopped)
        assert dock.jobs.bar.buttons[Action.START].isEnabled()
        dock.jobs.bar.buttons[Action.START].click()
        final = seen.finish(1, timeout=300)  # watched from the start again until DONE
        assert final.status == "DONE"
        tile_layer = JobTileLayer.find(job.id)
        assert tile_layer is not None and set(tile_layer.counts()) == {"DONE"}  # v2 tiles from the bucket
    finally:
        dock.unload()
        dock.deleteLater()


def test_buttons_follow_the_job_status_and_say_why_they_are_disabled(v1_dock):
    bar = v1_dock.jobs.bar
    request = parse_request(V1, request_body(V1, "s3://b/x"))
    bar.set_job(BatchJob("a", V1, "d", "CREATED", request=request))
    enabled = {a for a, b in bar.buttons.items() if b.isEnabled()}
    assert enabled == {Action.START, Action.STOP, Action.DELETE}
    assert "analysed" in bar.buttons[Action.SHOW_TILES].toolTip()
    bar.set_job(BatchJob("a", V1, "d", "PARTIAL", request=request))
    enabled = {a for a, b in bar.buttons.items() if b.isEnabled()}
    assert enabled == {
        Action.SHOW_TILES,
        Action.RESTART,
        Action.OPEN_OUTPUTS,
        Action.OPEN_MOSAIC,
        Action.DOWNLOAD,
    }
    assert "Restart failed" in bar.buttons[Action.START].toolTip()
    bar.set_job(BatchJob("a", V2, "d", "STOPPED"))
    assert bar.buttons[Action.STOP].text() == "Stop" and bar.buttons[Action.START].isEnabled()
    assert "no output location" in bar.buttons[Action.OPEN_OUTPUTS].toolTip()
    bar.set_job(None)
    assert not any(b.isEnabled() for b in bar.buttons.values())


def test_the_map_menu_offers_failed_tiles_under_the_cursor_only(v1_dock, qgis_iface, tmp_path):
    from tilewise.core.jobs import Tile

    def tile(tile_id, status, x0):
        ring = [[x0, 33.0], [x0 + 0.1, 33.0], [x0 + 0.1, 33.1], [x0, 33.1], [x0, 33.0]]
        return Tile(tile_id, f"T{tile_id}", status, 4326, {"type": "Polygon", "coordinates": [ring]})

    job = BatchJob(f"menu-{uuid.uuid4().hex[:6]}", V1, "dep", "PARTIAL")
    JobTileLayer.create(job, [tile(1, "FAILED", -117.0), tile(2, "PROCESSED", -116.8)], tmp_path)
    canvas = qgis_iface.mapCanvas()
    canvas.setDestinationCrs(QgsProject.instance().crs())
    canvas.resize(400, 400)
    canvas.setExtent(canvas.mapSettings().extent().__class__(-117.2, 32.9, -116.6, 33.2))
    canvas.refresh()

    def entries_at(x, y) -> list[str]:
        pixel = canvas.getCoordinateTransform().transform(QgsPointXY(x, y))
        event = QgsMapMouseEvent(
            canvas,
            QEvent.Type.MouseButtonPress,
            QPoint(int(pixel.x()), int(pixel.y())),
            Qt.MouseButton.RightButton,
        )
        menu = QMenu()
        v1_dock.jobs.canvas_menu(menu, event)
        return [a.text() for a in menu.actions() if a.text()]

    assert entries_at(-116.95, 33.05) == [f"Reprocess failed tile T1 (job {job.id[:8]}…)"]
    assert entries_at(-116.75, 33.05) == []  # a PROCESSED tile
    assert entries_at(-116.65, 33.15) == []  # no tile
    request = QgsFeatureRequest()
    assert sum(1 for _ in JobTileLayer.find(job.id).layer.getFeatures(request)) == 2


def test_a_project_read_again_resumes_watching_its_running_job_through_the_dock(
    v1_dock, engine, s3_server, tmp_path
):
    dock, seen = v1_dock, Recorder(v1_dock)
    job = dock.client.create_raw(v1_body(SLOW_SCRIPT, WIDE_BBOX, f"s3://{s3_server.new_bucket()}/reopen"))
    dock.client.start(job.id)
    project_jobs.remember(job)
    assert dock.jobs.actions.watch(job)
    wait_until(lambda: JobTileLayer.find(job.id) is not None, 120)
    path = tmp_path / "reopen.qgz"
    assert QgsProject.instance().write(str(path))
    dock.jobs.monitor.stop_watching(job.id)  # QGIS closed: nobody watches
    QgsProject.instance().clear()
    assert job.id not in dock.jobs.monitor.watched()
    assert QgsProject.instance().read(str(path))
    wait_until(lambda: job.id in dock.jobs.monitor.watched(), 60)  # the dock's history resumed it
    final = seen.finish(1, timeout=300)
    assert final.id == job.id and final.status == "DONE"
    assert set(JobTileLayer.find(job.id).counts()) == {"PROCESSED"}


def test_new_outputs_open_as_they_arrive_while_the_job_runs(v1_dock, engine, s3_server):
    import time

    dock, seen = v1_dock, Recorder(v1_dock)
    opened_at: list[float] = []
    dock.jobs.actions.outputsOpened.connect(lambda job, layers: opened_at.append(time.monotonic()))
    bucket = s3_server.new_bucket()
    job = dock.client.create_raw(v1_body(SLOW_SCRIPT, WIDE_BBOX, f"s3://{bucket}/arrive"))
    dock.client.start(job.id)
    engine.wait_for(job.id, {"PROCESSING"}, timeout=120)
    dock.jobs.bar.set_job(dock.client.get(job.id))
    dock.jobs.bar.auto_open_check.setChecked(True)  # watches the job and opens what finishes
    final = seen.finish(1, timeout=300)
    finished_at = time.monotonic()
    wait_until(lambda: not dock.jobs.actions.tasks, 120)
    assert final.status == "DONE"
    assert opened_at and min(opened_at) < finished_at  # some opened before the job ended
    shown = {
        layer.customProperty("tilewise/url")
        for layer in QgsProject.instance().mapLayers().values()
        if layer.customProperty("tilewise/job_id") == job.id
        and layer.customProperty("tilewise/kind") == "tile"
    }
    delivered = {
        f"s3://{bucket}/{item['Key']}"
        for item in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
        if item["Key"].endswith(".tif")
    }
    assert shown == delivered and len(shown) >= 2  # each output once, none missing after the last tile
