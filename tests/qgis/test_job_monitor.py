"""A started job watched live against a local engine: its tile layer recolours as tiles move, progress shows in
the dock, the end is reported; a service that goes away leaves the layer stale; unloading mid-watch is
harmless."""

from __future__ import annotations

import logging
from html import escape

import pytest
from qgis.core import Qgis, QgsFeatureRequest, QgsProject
from qgis.gui import QgsMessageBar
from qgis.PyQt.QtCore import QCoreApplication, QThread
from testkit import (
    SLOW_SCRIPT,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    WIDE_BBOX,
    local_engine,
    process_request_json,
)

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.statuses import V1, V2
from tilewise.ui.job_end_notice import brief, end_summary, notice_buttons, notice_label
from tilewise.ui.job_monitor import JobMonitor, progress_counts
from tilewise.ui.tile_layer import GRID_PREVIEW_GROUP

from .conftest import polygon_layer, wait_until
from .test_job_dock import clear_messages, make_dock, make_store, messages, run_stages

# Fails the tiles without data (most of WIDE_BBOX's), with a reason the layer must show.
NO_DATA_FAILS = """//VERSION=3
function setup() {
  return { input: ["B04", "B08", "dataMask"], output: { bands: 1, sampleType: "FLOAT32" } };
}
function evaluatePixel(s) {
  if (s.dataMask == 0) { throw new Error("no data here"); }
  return [(s.B08 - s.B04) / (s.B08 + s.B04)];
}
"""
WIDE_POLYGON = "POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))".format(*WIDE_BBOX)


def client_for(url: str) -> BatchClient:
    deployment = custom_deployment("Monitor test", url, api_versions=(V2, V1))
    return BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), api_version=V1)


def slow_job(client: BatchClient, bucket: str):
    """A v1 job over a dozen tiles, a second or so per tile with data: slow enough to act mid-job."""
    job = client.create_raw(
        {
            "processRequest": process_request_json(SLOW_SCRIPT, WIDE_BBOX),
            "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
            "output": {"defaultTilePath": f"s3://{bucket}/monitor"},
        }
    )
    client.start(job.id)
    return job


def layer_values(job_layer) -> dict[int, tuple]:
    """tile id -> (status, failure) as the GeoPackage layer holds them."""
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
    return {
        int(f["tile_id"]): (f["status"], f["failure"] if f["failure"] else None)
        for f in job_layer.layer.getFeatures(request)
    }


def spin(seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


# --- a job started from the dock ----------------------------------------------------------------------------


@pytest.fixture
def dock(qgis_iface, qgis_new_project, engine, bucket, tmp_path):
    widget = make_dock(qgis_iface, make_store(tmp_path, engine.url, V1))
    widget.form.location_combo.setCurrentIndex(widget.form.location_combo.findData("s3"))
    widget.form.s3_url_edit.setText(f"s3://{bucket}/monitor-dock")
    widget.form.resolution_combo.setCurrentIndex(widget.form.resolution_combo.findData(20.0))
    wait_until(lambda: widget.client is not None and "engine" not in widget.runner.tasks)
    clear_messages(qgis_iface)
    yield widget
    widget.unload()
    widget.deleteLater()


@pytest.mark.parametrize("script", ["ndvi", "failing"])
def test_a_started_job_recolours_its_tile_layer_until_it_ends_and_announces_its_end(
    dock, engine, qgis_iface, script, monkeypatch
):
    bar = QgsMessageBar()  # QGIS's own message bar: the notice carries buttons
    monkeypatch.setattr(qgis_iface, "messageBar", lambda: bar)
    if script == "failing":
        dock.form.script_editor.set_script(NO_DATA_FAILS)
        wait_until(lambda: dock.form.script_editor.task is None)
    monitor = dock.jobs.monitor  # the dock's own: it watches every job the dock starts
    monitor.min_interval_s, monitor.max_interval_s = 0.2, 1.0
    seen: dict[int, set[str]] = {}  # tile id -> every status the layer showed
    progress: list[tuple[str, dict]] = []
    finished = []
    labels = []

    def record(job, counts):
        progress.append((job.status, counts))
        job_layer = monitor.layer(job.id)
        if job_layer is not None:
            for tile_id, (status, _) in layer_values(job_layer).items():
                seen.setdefault(tile_id, set()).add(status)
        labels.append(dock.form.footer.result_label.text())

    monitor.progressChanged.connect(record)
    monitor.jobFinished.connect(finished.append)

    area = polygon_layer([WIDE_POLYGON], name="wide area")
    qgis_iface.setActiveLayer(area)
    previews = []
    dock.previewFinished.connect(previews.append)
    dock.start_preview()
    wait_until(lambda: previews)
    root = QgsProject.instance().layerTreeRoot()
    assert previews[0] is not None and root.findGroup(GRID_PREVIEW_GROUP) is not None
    preview_id = previews[0].id()
    stages = run_stages(dock, {"analysed", "failed"}, dock.create_job)
    assert stages[-1][0] == "analysed", messages(qgis_iface, Qgis.MessageLevel.Critical)
    job = stages[-1][1]
    stages = run_stages(dock, {"started", "failed"}, dock.start_dialog.start_button.click)
    assert stages[-1][0] == "started", messages(qgis_iface, Qgis.MessageLevel.Critical)
    assert monitor.watched() == [job.id]
    # QGIS's task manager names the job, and Start opened the Jobs tab with the job selected
    assert "dock test" in monitor._watches[job.id].task.description()
    assert dock.tabs.currentWidget() is dock.jobs_panel and dock.jobs_panel.selected_job().id == job.id
    dock.tabs.setCurrentWidget(dock.form)

    wait_until(lambda: finished, 300)
    final = finished[0]
    assert final.id == job.id and final.is_terminal
    assert final.status == ("PARTIAL" if script == "failing" else "DONE"), final

    job_layer = monitor.layer(job.id)
    assert job_layer is not None and not job_layer.removed and not job_layer.stale
    values = layer_values(job_layer)
    assert len(values) == final.tile_count > 2
    # every tile ends processed, or failed with its reason in the `failure` field
    assert {status for status, _ in values.values()} <= {"PROCESSED", "FAILED"}
    final_statuses = {status for status, _ in values.values()}
    if script == "failing":  # the tiles without data fail, with the evalscript's reason
        assert "FAILED" in final_statuses and final_statuses <= {"PROCESSED", "FAILED"}, values
    else:
        assert final_statuses == {"PROCESSED"}, values
    for status, failure in values.values():
        assert (failure is not None) == (status == "FAILED"), values
        if failure is not None:
            assert "no data here" in failure
    # the layer was seen changing: tiles went through more than their final status
    assert len(progress) >= 2
    assert any(len(statuses) > 1 for statuses in seen.values()), seen
    assert any({"PROCESSED", "FAILED"} & statuses for statuses in seen.values())
    # the layer's counts, the progress and the dock agree
    done, failed, total = progress_counts(job_layer.counts())
    assert (done, failed, total) == (
        sum(s == "PROCESSED" for s, _ in values.values()),
        sum(s == "FAILED" for s, _ in values.values()),
        len(values),
    )
    assert progress[-1][1] == job_layer.counts()
    assert dock.form.footer.result_label.text() == end_summary(final, job_layer.counts())
    assert f"{done} of {total} tiles done" in dock.form.footer.result_label.text()
    # the end is announced: level by outcome, the job selected, its outputs and the job at hand
    notice = dock.jobs.last_notice
    assert notice is not None
    assert notice_label(notice).toolTip() == end_summary(final, job_layer.counts())
    assert (
        notice_label(notice).text() == f"<b>Job {final.status}</b> {escape(brief(final, job_layer.counts()))}"
    )
    expected_level = Qgis.MessageLevel.Warning if script == "failing" else Qgis.MessageLevel.Success
    assert notice.level() == expected_level
    assert set(notice_buttons(notice)) == {"Open outputs", "Show job"}
    assert dock.jobs_panel.selected_job().id == job.id
    notice_buttons(notice)["Show job"].click()
    assert dock.tabs.currentWidget() is dock.jobs_panel and dock.jobs_panel.selected_job().id == job.id
    # a tile selected on the map shows under its job in the Jobs tab (no Map Tips needed)
    first = next(job_layer.layer.getFeatures())
    job_layer.layer.selectByIds([first.id()])
    tile_label = dock.jobs_panel.detail_labels["tile"]
    assert not tile_label.isHidden() and tile_label.text().startswith(f"{first['name']}: {first['status']}")
    # the job's tiles replaced the grid preview
    assert root.findGroup(GRID_PREVIEW_GROUP) is None
    assert preview_id not in QgsProject.instance().mapLayers()
    assert any("tiles" in label for label in labels)
    # the layer sits in the job's group
    group = job_layer.project.layerTreeRoot().findLayer(job_layer.layer.id()).parent()
    assert job.id[:8] in group.name()


# --- faults -------------------------------------------------------------------------------------------------


def test_a_service_gone_mid_job_leaves_the_layer_stale_and_watching_resumes_when_it_returns(
    qgis_app, qgis_new_project, small_catalog, s3_server, tmp_path
):
    own = local_engine(tmp_path / "engine", small_catalog, s3_server, 1).start()
    monitor = JobMonitor(
        lambda: tmp_path / "layers", min_interval_s=0.2, max_interval_s=0.3, resume_after_s=2.0
    )
    failures, finished = [], []
    monitor.watchFailed.connect(lambda job, reason: failures.append(reason))
    monitor.jobFinished.connect(finished.append)
    try:
        with client_for(own.url) as client:
            job = slow_job(client, s3_server.new_bucket())
            monitor.watch(client, job)
            wait_until(lambda: monitor.layer(job.id) is not None, 120)
            job_layer = monitor.layer(job.id)
            own.stop(kill=True)  # the service goes away mid-job
            wait_until(lambda: failures, 180)
            before = layer_values(job_layer)
            assert not finished
            assert job_layer.stale and job_layer.stale_reason == failures[0]
            assert "trying again in 2 s" in failures[0]
            assert job_layer.layer.name().endswith("(stale)")
            assert layer_values(job_layer) == before and len(before) == job_layer.layer.featureCount() > 0
            spin(0.5)
            own.start()  # back on the same port: the watch resumes by itself, the layer catches up
            wait_until(lambda: finished, 300)
    finally:
        monitor.unload()
        own.stop(kill=True)
    assert finished[-1].status == "DONE"
    assert not job_layer.stale and not job_layer.layer.name().endswith("(stale)")
    assert set(job_layer.counts()) == {"PROCESSED"}


def test_unloading_mid_watch_is_harmless(qgis_app, qgis_new_project, engine, bucket, tmp_path, caplog):
    monitor = JobMonitor(lambda: tmp_path / "layers", min_interval_s=0.2, max_interval_s=0.5)
    progress = []
    monitor.progressChanged.connect(lambda job, counts: progress.append(counts))
    on_main_thread = []  # the layer is only ever touched on the main thread
    tiles_changed = monitor._tiles_changed

    def spy(*args):
        on_main_thread.append(QThread.currentThread() == QCoreApplication.instance().thread())
        tiles_changed(*args)

    monitor._tiles_changed = spy
    with client_for(engine.url) as client:
        job = slow_job(client, bucket)
        monitor.watch(client, job)
        wait_until(lambda: monitor.layer(job.id) is not None, 120)
        job_layer = monitor.layer(job.id)
        task = monitor._watches[job.id].task
        caplog.set_level(logging.ERROR)
        monitor.unload()
        count = len(progress)
        state = layer_values(job_layer)
        wait_until(lambda: task not in monitor._tasks, 30)  # the task ends, cancelled
        spin(2.0)
        client.stop(job.id)  # leave the module's engine free for the next test
    assert monitor.watched() == [] and monitor.layer(job.id) is None
    assert len(progress) == count and layer_values(job_layer) == state  # late results ignored
    assert on_main_thread and all(on_main_thread)
    assert not job_layer.stale
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records
    monitor.watch(client, job)  # an unloaded monitor watches nothing more
    assert monitor.watched() == []


@pytest.mark.parametrize("with_access", [True, False], ids=["bucket", "progress-only"])
def test_a_v2_job_is_watched_from_its_bucket_or_by_progress_only(
    qgis_iface, qgis_new_project, engine, bucket, s3_server, tmp_path, with_access
):
    dock = make_dock(qgis_iface, make_store(tmp_path, engine.url, V2))
    try:
        dock.form.location_combo.setCurrentIndex(dock.form.location_combo.findData("s3"))
        dock.form.s3_url_edit.setText(f"s3://{bucket}/monitor-v2-{int(with_access)}")
        wait_until(lambda: dock.client is not None and "engine" not in dock.runner.tasks)
        if with_access:  # the form's S3 keys; the endpoint is the engine's (its status says which)
            auth_id = dock.store.save_s3_keys("monitor test", s3_server.access_key, s3_server.secret_key)
            dock.form.s3_auth.setConfigId(auth_id)
        monitor = dock.jobs.monitor
        monitor.min_interval_s, monitor.max_interval_s = 0.2, 1.0
        progress, finished = [], []
        monitor.progressChanged.connect(lambda job, counts: progress.append((job, counts)))
        monitor.jobFinished.connect(finished.append)
        area = polygon_layer([WIDE_POLYGON], name="wide area")
        qgis_iface.setActiveLayer(area)
        stages = run_stages(dock, {"analysed", "failed"}, dock.create_job)
        assert stages[-1][0] == "analysed", messages(qgis_iface, Qgis.MessageLevel.Critical)
        stages = run_stages(dock, {"started", "failed"}, dock.start_dialog.start_button.click)
        assert stages[-1][0] == "started", messages(qgis_iface, Qgis.MessageLevel.Critical)
        job = stages[-1][1]
        wait_until(lambda: finished, 300)
        final = finished[0]
        assert final.id == job.id and final.is_terminal and progress
        job_layer = monitor.layer(job.id)
        if with_access:
            assert job_layer is not None and not job_layer.stale
            values = layer_values(job_layer)
            assert len(values) == final.tile_count
            assert {s for s, _ in values.values()} <= {"DONE", "FATAL"}
            for status, failure in values.values():
                assert status != "FATAL" or failure, values
            assert progress[-1][1] == job_layer.counts()
            assert "tiles" in dock.form.footer.result_label.text()
        else:
            assert job_layer is None and all(counts == {} for _, counts in progress)
            assert (
                "% complete" in dock.form.footer.result_label.text()
                or final.status in dock.form.footer.result_label.text()
            )
    finally:
        dock.unload()
        dock.deleteLater()
