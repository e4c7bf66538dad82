"""The client's QgsTasks in headless QGIS: a call in the background, cancelled mid-request, and a job monitor
that follows a live engine's job to its end, emitting only what changed."""

from __future__ import annotations

import time

from qgis.core import QgsApplication
from testkit import (
    SLOW_SCRIPT,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    WIDE_BBOX,
    process_request_json,
)

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.deployments import custom_deployment
from tilewise.core.monitor import JobWatcher
from tilewise.core.statuses import V1, V2
from tilewise.core.tasks import ClientCallTask, JobMonitorTask

from .conftest import wait_until


def client_for(url: str, version: int = V1) -> BatchClient:
    deployment = custom_deployment("Task test", url, api_versions=(V2, V1))
    return BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), api_version=version)


def test_a_call_runs_in_the_background_and_reports_on_the_main_thread(qgis_app, engine):
    done = []
    with client_for(engine.url) as client:
        task = ClientCallTask("list grids", client.tiling_grids, lambda t: done.append(t))
        QgsApplication.taskManager().addTask(task)
        wait_until(lambda: done)
    assert done[0].error is None and {g["id"] for g in done[0].result} >= {1, 2}


def test_cancelling_a_call_mid_request_returns_at_once(qgis_app, slow_server):
    done = []
    with client_for(slow_server) as client:
        task = ClientCallTask(
            "a slow call", lambda cancel: client.get("job", cancel=cancel), lambda t: done.append(t)
        )
        QgsApplication.taskManager().addTask(task)
        wait_until(lambda: task.status() == task.Running, timeout=10)
        time.sleep(0.3)  # the request is in flight
        started = time.monotonic()
        task.cancel()
        wait_until(lambda: done, timeout=10)
        assert time.monotonic() - started < 1.0
    assert done[0].error == "Cancelled." and done[0].result is None


def test_a_failed_call_carries_the_message(qgis_app, engine):
    done = []
    with client_for(engine.url) as client:
        task = ClientCallTask(
            "get", lambda cancel: client.get("no-such-job", cancel=cancel), lambda t: done.append(t)
        )
        QgsApplication.taskManager().addTask(task)
        wait_until(lambda: done)
    assert "does not exist" in done[0].error


def test_the_monitor_follows_a_job_to_its_end_emitting_changes(qgis_app, engine, s3_server):
    body = {
        "processRequest": process_request_json(SLOW_SCRIPT, WIDE_BBOX),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/watch"},
    }
    with client_for(engine.url) as client:
        job = client.create_raw(body)
        client.start(job.id)
        watcher = JobWatcher(client, job.id, min_interval_s=0.2, max_interval_s=1.0)
        task = JobMonitorTask(watcher)
        jobs, tiles = [], {}
        task.jobChanged.connect(jobs.append)
        task.tilesChanged.connect(lambda changed, full: tiles.update({t.id: t.status for t in changed}))
        ended = []
        task.taskCompleted.connect(lambda: ended.append(True))
        QgsApplication.taskManager().addTask(task)
        wait_until(lambda: ended, timeout=240)
    assert jobs[-1].status == "DONE" and jobs[-1].is_terminal
    assert len(tiles) == jobs[-1].tile_count and set(tiles.values()) == {"PROCESSED"}
    statuses = [j.status for j in jobs]
    assert statuses == sorted(set(statuses), key=statuses.index)  # each status once, in order
    # a full tile listing per change of the job's status at most, not per poll
    assert watcher.full_listings <= len(set(statuses)) and watcher.requests > watcher.full_listings


def test_a_job_deleted_elsewhere_ends_the_watch_with_a_message(qgis_app, engine, s3_server):
    body = {
        "processRequest": process_request_json(SLOW_SCRIPT, WIDE_BBOX),
        "tilingGrid": {"id": 1, "resolution": 20},
        "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/gone"},
    }
    with client_for(engine.url) as client:
        job = client.create_raw(body)
        task = JobMonitorTask(JobWatcher(client, job.id, min_interval_s=0.2, max_interval_s=0.5))
        messages, ended = [], []
        task.failed.connect(messages.append)
        task.taskTerminated.connect(lambda: ended.append(True))
        QgsApplication.taskManager().addTask(task)
        wait_until(lambda: task.status() == task.Running, timeout=10)
        client.delete(job.id)
        wait_until(lambda: ended, timeout=30)
    assert "does not exist" in messages[0]


def test_qgis_proxy_settings_reach_the_client(qgis_app):
    from qgis.core import QgsSettings

    from tilewise.core.tasks import qgis_proxies

    settings = QgsSettings()
    try:
        settings.setValue("proxy/proxyEnabled", True)
        settings.setValue("proxy/proxyHost", "proxy.example")
        settings.setValue("proxy/proxyPort", "3128")
        settings.setValue("proxy/proxyUser", "me")
        settings.setValue("proxy/proxyPassword", "p@ss")
        assert qgis_proxies() == {
            "http": "http://me:p%40ss@proxy.example:3128",
            "https": "http://me:p%40ss@proxy.example:3128",
        }
        settings.setValue("proxy/proxyEnabled", False)
        assert qgis_proxies() == {}
    finally:
        for key in ("Enabled", "Host", "Port", "User", "Password"):
            settings.remove(f"proxy/proxy{key}")
