"""Tiles on Dask distributed: whole jobs on a LocalCluster (`TILEWISE_EXECUTOR=dask-local`) and on a
separate scheduler (`dask://host:port`), with delivery to the local S3 server.

The outputs must be the process pool's, byte for byte (but for the request id and the TIFF date the
writer stamps into each file); a worker killed mid-job costs nothing; a scheduler that goes away
pauses the jobs, which go on when it is back, or fail saying why after TILEWISE_DASK_TIMEOUT.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from testkit import NDVI_WITH_MASK, SLOW_SCRIPT, WIDE_BBOX, free_port, process_request_json

pytest.importorskip("distributed")

DATE = re.compile(rb"\d{4}:\d\d:\d\d \d\d:\d\d:\d\d")  # TIFFTAG_DATETIME


def body(
    bucket: str, evalscript: str = SLOW_SCRIPT, bbox=WIDE_BBOX, resolution: int = 20, responses=("default",)
) -> dict:
    return {
        "processRequest": process_request_json(evalscript, bbox, responses),
        "tilingGrid": {"id": 1, "resolution": resolution, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"s3://{bucket}/jobs/<requestId>/<tileName>/<outputId>.<format>"},
    }


def run_job(engine, bucket: str, request: dict | None = None, timeout: float = 240) -> tuple[str, dict]:
    created = engine.call("POST", "/api/v1/batch/process", json=request or body(bucket))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/start").status_code == 204
    return request_id, engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=timeout)


def tiles(engine, request_id: str) -> list[dict]:
    return engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles").json()["data"]


def outputs(s3, bucket: str, request_id: str) -> dict[str, bytes]:
    """The job's objects by `<tileName>/<file>`, the request id and the TIFF date blanked (same lengths)."""
    client = s3.client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"jobs/{request_id}/"):
        for item in page.get("Contents", []):
            data = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            data = DATE.sub(b"0000:00:00 00:00:00", data.replace(request_id.encode(), b"R" * len(request_id)))
            found[item["Key"].split("/", 2)[2]] = data
    return found


def versions(s3, bucket: str) -> dict[str, int]:
    """How often each output was written (the bucket keeps versions), without the analysis' write check."""
    counts: dict[str, int] = {}
    listed = s3.client().list_object_versions(Bucket=bucket, Prefix="jobs/")
    for version in listed.get("Versions", []):
        if ".tilewise-write-check-" in version["Key"]:
            continue
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def versioned_bucket(s3) -> str:
    bucket = s3.new_bucket()
    s3.client().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def dask_workers(engine) -> list[psutil.Process]:
    """The LocalCluster's worker processes: children of the engine, whose nannies run in its event loop."""
    return [p for p in psutil.Process(engine.proc.pid).children() if "spawn_main" in " ".join(p.cmdline())]


def wait_tiles(engine, request_id: str, condition, timeout: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        listed = tiles(engine, request_id)
        if condition(listed):
            return listed
        assert "FAILED" not in {t["status"] for t in listed}, listed[0].get("failureReason")
        assert time.monotonic() < deadline, [t["status"] for t in listed]
        time.sleep(0.1)


def status(engine) -> dict:
    return engine.call("GET", "/api/v1/engine/status").json()


def test_the_worker_settings_file_changes_only_what_it_names():
    import dask

    from tilewise.engine.dask_executor import worker_config

    settings = worker_config()
    assert settings == {
        "distributed.worker.profile.enabled": False,
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(settings):  # dotted keys: the rest of each subtree stays
        assert dask.config.get("distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS") == 1
        assert dask.config.get("distributed.worker.profile.interval") == "10ms"
        assert dask.config.get("distributed.admin.tick.limit") == "3s"


# --- LocalCluster -----------------------------------------------------------------------------------------


def test_a_job_on_a_local_cluster_delivers_the_process_pools_bytes(engine_factory, small_catalog, s3_server):
    results = {}
    for executor in ("local", "dask-local"):
        engine = engine_factory(small_catalog, workers=2, TILEWISE_EXECUTOR=executor)
        bucket = s3_server.new_bucket()
        request = body(bucket, NDVI_WITH_MASK, resolution=10, responses=("ndvi", "mask"))
        request_id, done = run_job(engine, bucket, request)
        assert done["status"] == "DONE", done.get("error")
        assert {t["status"] for t in tiles(engine, request_id)} == {"PROCESSED"}
        results[executor] = outputs(s3_server, bucket, request_id)
        if executor == "dask-local":
            described = status(engine)
            assert described["executor"] == "dask-local"
            assert described["dask"]["connected"] and described["dask"]["workerThreads"] == 2
            assert "dashboard" in described  # null unless bokeh is installed
            for worker in dask_workers(engine):  # engine/dask-worker.yaml reached the spawned workers
                assert "MALLOC_TRIM_THRESHOLD_" not in worker.environ()
        engine.stop()
    assert len(results["local"]) == 2 * done["tileCount"] > 2
    assert results["dask-local"].keys() == results["local"].keys()
    for key, data in results["local"].items():
        assert results["dask-local"][key] == data, key


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(engine_factory, small_catalog, s3_server):
    engine = engine_factory(small_catalog, workers=2, TILEWISE_EXECUTOR="dask-local")
    bucket = versioned_bucket(s3_server)
    created = engine.call("POST", "/api/v1/batch/process", json=body(bucket)).json()
    request_id = created["id"]
    engine.call("POST", f"/api/v1/batch/process/{request_id}/start")
    wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSED" for t in ts))
    wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSING" for t in ts))
    workers = dask_workers(engine)
    assert len(workers) == 2, workers
    busy = max(workers, key=lambda p: p.cpu_percent(interval=0.2))
    busy.send_signal(signal.SIGKILL)  # mid-tile: the slow script keeps a worker busy ~1 s per tile

    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=240)
    assert done["status"] == "DONE", done.get("error")
    listed = tiles(engine, request_id)
    assert len(listed) == done["tileCount"] and {t["status"] for t in listed} == {"PROCESSED"}
    delivered = versions(s3_server, bucket)
    assert sorted(k.split("/")[2] for k in delivered) == sorted(t["name"] for t in listed)
    assert set(delivered.values()) == {1}, delivered  # each tile's output written once
    assert len(dask_workers(engine)) == 2  # the nanny started a new worker


def test_the_attempt_after_a_worker_died_replaces_what_the_dead_one_delivered(
    engine_factory, small_catalog, s3_server
):
    engine = engine_factory(small_catalog, workers=1, TILEWISE_EXECUTOR="dask-local")
    bucket = versioned_bucket(s3_server)
    request_id = engine.call("POST", "/api/v1/batch/process", json=body(bucket)).json()["id"]
    engine.call("POST", f"/api/v1/batch/process/{request_id}/start")
    listed = wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSING" for t in ts))
    running = next(t for t in listed if t["status"] == "PROCESSING")
    # what a worker killed between two deliveries leaves behind: an output of its tile, planted after the
    # tile's check for existing outputs (done as it starts), well before its end
    left = f"jobs/{request_id}/{running['name']}/default.tif"
    s3_server.client().put_object(Bucket=bucket, Key=left, Body=b"the first half of a tile's outputs")
    (worker,) = dask_workers(engine)
    worker.send_signal(signal.SIGKILL)

    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=240)
    listed = tiles(engine, request_id)
    assert done["status"] == "DONE", [t.get("failureReason") for t in listed]
    assert {t["status"] for t in listed} == {"PROCESSED"}
    delivered = versions(s3_server, bucket)
    assert sorted(k.split("/")[2] for k in delivered) == sorted(t["name"] for t in listed)
    assert delivered.pop(left) == 2  # what the dead attempt left, then the tile, whole
    assert set(delivered.values()) == {1}, delivered
    data = s3_server.client().get_object(Bucket=bucket, Key=left)["Body"].read()
    assert data.startswith(b"II*\x00") and len(data) > 1000


def test_cancel_reaches_tiles_submitted_to_the_cluster(engine_factory, small_catalog, s3_server):
    engine = engine_factory(small_catalog, workers=1, TILEWISE_EXECUTOR="dask-local")
    bucket = s3_server.new_bucket()
    created = engine.call("POST", "/api/v1/batch/process", json=body(bucket)).json()
    request_id = created["id"]
    engine.call("POST", f"/api/v1/batch/process/{request_id}/start")
    wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSED" for t in ts))
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/cancel").status_code == 204
    canceled = engine.wait_for(request_id, {"CANCELED"})
    moving = ("SCHEDULED", "QUEUED", "PROCESSING")
    listed = wait_tiles(engine, request_id, lambda ts: not [t for t in ts if t["status"] in moving])
    time.sleep(2)  # a task the cluster still held would deliver now
    assert [t["status"] for t in tiles(engine, request_id)] == [t["status"] for t in listed]
    processed = {t["name"] for t in listed if t["status"] == "PROCESSED"}
    assert 1 <= len(processed) < canceled["tileCount"]
    objects = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="jobs/").get("Contents", [])
    assert {o["Key"].split("/")[2] for o in objects} == processed


# --- a scheduler of its own ---------------------------------------------------------------------------------


class DaskCluster:
    """`dask scheduler` and one `dask worker` as processes, the way an operator runs them."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env
        self.port = free_port()
        self.procs: list[subprocess.Popen] = []

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _run(self, name: str, *args: str) -> subprocess.Popen:
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(p for p in sys.path if p.endswith("site-packages")),
            **self.env,
        )
        with open(self.root / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_" + name, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def start(self) -> DaskCluster:
        self.scheduler = self._run("scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                   "--dashboard-address", ":0", "--no-show")  # fmt: skip
        self.worker = self._run("worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                "--host", "127.0.0.1", "--no-dashboard")  # fmt: skip
        return self

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()


@pytest.fixture
def dask_cluster(tmp_path, small_catalog, s3_server):
    """Workers read the catalog and write to S3 with their own configuration, like the engine's."""
    env = {
        "TILEWISE_DEMO_CATALOG": str(small_catalog),
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "AWS_REGION": s3_server.region,
    }
    cluster = DaskCluster(tmp_path, env)
    yield cluster
    cluster.kill()


def test_a_lost_scheduler_pauses_the_job_until_it_is_back(
    engine_factory, small_catalog, s3_server, dask_cluster
):
    dask_cluster.start()
    engine = engine_factory(small_catalog, TILEWISE_EXECUTOR=f"dask://127.0.0.1:{dask_cluster.port}")
    bucket = versioned_bucket(s3_server)
    created = engine.call("POST", "/api/v1/batch/process", json=body(bucket)).json()
    request_id = created["id"]
    engine.call("POST", f"/api/v1/batch/process/{request_id}/start")
    wait_tiles(engine, request_id, lambda ts: any(t["status"] == "PROCESSED" for t in ts), timeout=180)
    assert status(engine)["dask"]["connected"]

    dask_cluster.kill()  # scheduler and worker gone, mid-tile
    listed = wait_tiles(
        engine, request_id, lambda ts: not [t for t in ts if t["status"] in ("QUEUED", "PROCESSING")]
    )
    assert engine.call("GET", f"/api/v1/batch/process/{request_id}").json()["status"] == "PROCESSING"
    assert not status(engine)["dask"]["connected"]
    time.sleep(2)
    assert [t["status"] for t in tiles(engine, request_id)] == [t["status"] for t in listed]  # paused

    dask_cluster.start()  # on the same port
    done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=240)
    assert done["status"] == "DONE", done.get("error")
    listed = tiles(engine, request_id)
    assert {t["status"] for t in listed} == {"PROCESSED"}
    delivered = versions(s3_server, bucket)
    assert sorted(k.split("/")[2] for k in delivered) == sorted(t["name"] for t in listed)
    assert max(delivered.values()) <= 2  # the tile that was running may be replaced once, never duplicated


def test_a_scheduler_that_stays_away_fails_the_job_with_the_reason(engine_factory, small_catalog, s3_server):
    port = free_port()  # nothing listens there
    engine = engine_factory(
        small_catalog, TILEWISE_EXECUTOR=f"dask://127.0.0.1:{port}", TILEWISE_DASK_TIMEOUT="3"
    )
    request_id, done = run_job(engine, s3_server.new_bucket(), timeout=120)
    assert done["status"] == "FAILED"
    assert f"The Dask scheduler at tcp://127.0.0.1:{port} has been unreachable" in done["error"]
    assert not status(engine)["dask"]["connected"]
