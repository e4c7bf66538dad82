"""A project read again brings its Tilewise jobs and outputs back (ui/job_history.py), against a live engine
and the local S3 server: a running job's tile layer is watched again to its end; output layers on /vsis3/
open with the bucket options the project remembers (never a secret in the file); a job deleted on the
service, or a deployment without credentials, leaves the layer stale with the reason."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from osgeo import gdal
from qgis.core import QgsApplication, QgsFeatureRequest, QgsProject, QgsRasterLayer
from testkit import (
    NDVI_WITH_MASK,
    SLOW_SCRIPT,
    TEST_BBOX,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    WIDE_BBOX,
    process_request_json,
)

from tilewise.core import project_jobs
from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.connections import ConnectionStore, CredentialsError
from tilewise.core.deployments import custom_deployment
from tilewise.core.jobs import BatchJob, Tile
from tilewise.core.outputs import list_outputs
from tilewise.core.s3 import clear_gdal_options
from tilewise.core.statuses import V1, V2
from tilewise.core.storage import S3Access
from tilewise.ui.job_history import (
    BUCKETS_KEY,
    SCOPE,
    STATUS_KEY,
    JobHistory,
    bucket_accesses,
    last_seen_statuses,
    remember_bucket_access,
)
from tilewise.ui.job_monitor import JobMonitor
from tilewise.ui.job_tile_layer import JobTileLayer
from tilewise.ui.output_layers import KIND_PROPERTY, URL_PROPERTY, add_output_layers

from .conftest import wait_until


@pytest.fixture(autouse=True)
def fresh_state(qgis_new_project):
    yield
    QgsProject.instance().clear()
    gdal.ClearPathSpecificOptions()
    gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", None)
    gdal.VSICurlClearCache()


@pytest.fixture
def histories():
    """JobHistory objects made by the test, unloaded (and their monitors too) at its end."""
    made: list[tuple[JobHistory, JobMonitor]] = []

    def make(monitor: JobMonitor, client_for, access_for=lambda job: None, keys_for=lambda auth_id: None):
        history = JobHistory(monitor, client_for, access_for, keys_for)
        made.append((history, monitor))
        return history

    yield make
    for history, monitor in made:
        history.unload()
        monitor.unload()


@pytest.fixture
def messages():
    """What QGIS's message log receives under the "Tilewise" tag during the test."""
    received: list[str] = []

    def record(message, tag, level):
        if tag == "Tilewise":
            received.append(message)

    QgsApplication.messageLog().messageReceived.connect(record)
    yield received
    QgsApplication.messageLog().messageReceived.disconnect(record)


def engine_client(engine, version: int = V1) -> BatchClient:
    deployment = custom_deployment("History test", engine.url, api_versions=(V2, V1))
    return BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), api_version=version)


def statuses_on_disk(tile_layer: JobTileLayer) -> dict[int, str]:
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
    return {int(f["tile_id"]): f["status"] for f in tile_layer.layer.getFeatures(request)}


def save_and_clear(tmp_path: Path, name: str = "project.qgz") -> Path:
    project = QgsProject.instance()
    path = tmp_path / name
    assert project.write(str(path)), project.error()
    project.clear()
    return path


def project_text(path: Path) -> str:
    """Everything a .qgz holds (the .qgs and any sidecar), as text."""
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


# --- a running job ---------------------------------------------------------------------------------------


def test_a_running_job_is_watched_again_to_its_end_when_its_project_is_read(
    qgis_app, engine, bucket, tmp_path, histories
):
    project = QgsProject.instance()
    folder = tmp_path / "tilewise"
    before = JobMonitor(lambda: folder, min_interval_s=0.2, max_interval_s=0.5)
    with engine_client(engine) as client:
        job = client.create_raw(
            {
                "processRequest": process_request_json(SLOW_SCRIPT, WIDE_BBOX),
                "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
                "output": {"defaultTilePath": f"s3://{bucket}/history"},
            }
        )
        client.start(job.id)
        project_jobs.remember(job)
        before.watch(client, job)
        wait_until(lambda: before.layer(job.id) is not None, 120)
        saved_counts = before.layer(job.id).counts()
        before.unload()  # QGIS closes mid-job
    assert set(saved_counts) - {"PROCESSED"}, saved_counts  # tiles still to process when saved
    path = save_and_clear(tmp_path)
    assert JobTileLayer.find(job.id) is None

    monitor = JobMonitor(lambda: folder, min_interval_s=0.2, max_interval_s=0.5)
    calls = []

    def client_for(deployment_id: str, api_version: int) -> BatchClient:
        calls.append((deployment_id, api_version))
        return engine_client(engine, api_version)

    history = histories(monitor, client_for)
    resumed, finished, failed = [], [], []
    history.resumed.connect(resumed.append)
    history.resumeFailed.connect(lambda job_id, reason: failed.append(reason))
    monitor.jobFinished.connect(finished.append)

    assert project.read(str(path))
    wait_until(lambda: finished or failed, 120)
    assert not failed and calls == [(job.deployment, V1)]
    assert [j.id for j in resumed] == [job.id] and finished[0].id == job.id and finished[0].status == "DONE"
    tile_layer = JobTileLayer.find(job.id)
    assert tile_layer is not None and monitor.layer(job.id) is tile_layer and not tile_layer.stale
    on_disk = statuses_on_disk(tile_layer)
    assert len(on_disk) == sum(saved_counts.values()) == finished[0].tile_count
    assert set(on_disk.values()) == {"PROCESSED"} and tile_layer.counts() == {"PROCESSED": len(on_disk)}
    assert last_seen_statuses(project)[job.id] == "DONE"  # remembered for the next read


# --- outputs on S3 ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_job(engine, s3_server):
    """A v1 job run to the end with its outputs (NDVI and mask of two tiles) in a bucket of the S3 server."""
    body = {
        "processRequest": process_request_json(NDVI_WITH_MASK, TEST_BBOX, ("ndvi", "mask")),
        "tilingGrid": {"id": 1, "resolution": 20.0, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"s3://{s3_server.new_bucket()}/outputs"},
        "description": "history outputs",
    }
    with engine_client(engine) as client:
        job = client.create_raw(body)
        client.start(job.id)
        assert engine.wait_for(job.id, {"DONE", "PARTIAL", "FAILED"}, timeout=300)["status"] == "DONE"
        return client.get(job.id), list(client.tiles(job.id))


def test_output_layers_open_again_with_the_bucket_access_the_project_remembers(
    qgis_app, finished_job, s3_server, tmp_path, histories, messages
):
    job, tiles = finished_job
    bucket = job.output_url.split("/")[2]
    access = S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)
    layers = add_output_layers(job, list_outputs(access, job, tiles), access)
    assert layers.problems == [] and len(layers) == 4 and all(layer.isValid() for layer in layers)
    expected = {
        layer.customProperty(URL_PROPERTY): (layer.extent(), layer.crs().authid(), layer.renderer().type())
        for layer in layers
    }
    assert all(source.startswith("/vsis3/") for source in (layer.source() for layer in layers))
    store = ConnectionStore()
    auth_id = store.save_s3_keys("history test", s3_server.access_key, s3_server.secret_key)
    remember_bucket_access(bucket, s3_server.endpoint_url, s3_server.region, auth_id)
    assert bucket_accesses() == {bucket: (s3_server.endpoint_url, s3_server.region, auth_id)}

    path = save_and_clear(tmp_path)
    text = project_text(path)
    assert auth_id in text and bucket in text  # the file checked is the one that remembers the bucket
    assert s3_server.secret_key not in text and s3_server.access_key not in text

    def keys_for(config_id: str):
        keys = store.s3_keys(config_id)
        return (keys.access_key, keys.secret_key) if keys else None

    def reopened_layers() -> dict[str, QgsRasterLayer]:
        found = [
            layer
            for layer in QgsProject.instance().mapLayers().values()
            if layer.customProperty(KIND_PROPERTY) == "tile"
        ]
        return {layer.customProperty(URL_PROPERTY): layer for layer in found}

    def check(found: dict[str, QgsRasterLayer]) -> None:
        assert set(found) == set(expected)
        for url, layer in found.items():
            assert layer.isValid(), (url, layer.error().summary())
            extent, crs, renderer = expected[url]
            assert (layer.extent(), layer.crs().authid()) == (extent, crs) and crs == "EPSG:32611"
            assert layer.renderer() is not None and layer.renderer().type() == renderer

    # GDAL forgets the bucket (a new QGIS session); a global endpoint that answers nothing makes any read
    # without the bucket's own options fail at once
    clear_gdal_options(bucket)
    gdal.SetConfigOption("AWS_S3_ENDPOINT", "127.0.0.1:9")
    history = histories(
        JobMonitor(lambda: tmp_path), lambda *args: pytest.fail("no job to resume"), keys_for=keys_for
    )
    restored = []
    restore_layers = history.restore_layers
    history.restore_layers = lambda: restored.append(restore_layers()) or restored[-1]
    assert QgsProject.instance().read(str(path))
    check(reopened_layers())
    # the options were set before the layers loaded: none had to be opened again after the read
    assert len(restored) == 1 and restored[0].reopened == [] and restored[0].problems == []

    # a project read without the history: its layers are invalid, and re-opened in place once it is there; a
    # deleted object is reported with the layer's name and URL
    history.unload()
    QgsProject.instance().clear()
    clear_gdal_options(bucket)
    assert QgsProject.instance().read(str(path))
    broken = reopened_layers()
    assert broken and not any(layer.isValid() for layer in broken.values())
    gone_url = sorted(broken)[0]
    s3_server.client().delete_object(Bucket=bucket, Key=gone_url.split("/", 3)[3])
    ids = {url: layer.id() for url, layer in broken.items()}
    later = histories(
        JobMonitor(lambda: tmp_path), lambda *args: pytest.fail("no job to resume"), keys_for=keys_for
    )
    outcome = later.restore_layers()
    assert len(outcome.reopened) == 3 and len(outcome.problems) == 1
    assert broken[gone_url].name() in outcome.problems[0] and gone_url in outcome.problems[0]
    assert outcome.problems[0] in messages
    again = reopened_layers()
    assert {url: layer.id() for url, layer in again.items()} == ids  # the same layers, in place
    del expected[gone_url], again[gone_url]
    check(again)


def test_bad_bucket_entries_are_skipped(qgis_app, caplog):
    project = QgsProject.instance()
    project.writeEntry(
        SCOPE,
        BUCKETS_KEY,
        json.dumps(
            {
                "good": {"endpoint": "http://127.0.0.1:9000", "region": None, "authcfg": "abc1234"},
                "bad": "not an object",
                "worse": {"endpoint": 42, "authcfg": "x"},
                "public": {"endpoint": None},
            }
        ),
    )
    assert bucket_accesses(project) == {
        "good": ("http://127.0.0.1:9000", None, "abc1234"),
        "public": (None, None, ""),
    }
    assert "bad" in caplog.text and "worse" in caplog.text
    project.writeEntry(SCOPE, BUCKETS_KEY, "[not json")
    assert bucket_accesses(project) == {}


# --- jobs that cannot be watched again --------------------------------------------------------------------


def test_a_job_deleted_while_the_project_was_closed_leaves_its_layer_stale(
    qgis_app, engine, bucket, tmp_path, histories
):
    with engine_client(engine) as client:
        job = client.create_raw(
            {
                "processRequest": process_request_json(SLOW_SCRIPT, TEST_BBOX),
                "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
                "output": {"defaultTilePath": f"s3://{bucket}/deleted"},
            }
        )
        client.analyse(job.id)
        analysed = engine.wait_for(job.id, {"ANALYSIS_DONE", "FAILED"}, timeout=120)
        assert analysed["status"] == "ANALYSIS_DONE", analysed
        tiles = list(client.tiles(job.id))
        job = client.get(job.id)
        JobTileLayer.create(job, tiles, tmp_path / "tilewise")
        project_jobs.remember(job)
        path = save_and_clear(tmp_path)
        client.delete(job.id)  # elsewhere, while the project is closed

    monitor = JobMonitor(lambda: tmp_path / "tilewise")
    history = histories(monitor, lambda deployment_id, version: engine_client(engine, version))
    failures, resumed = [], []
    history.resumeFailed.connect(lambda job_id, reason: failures.append((job_id, reason)))
    history.resumed.connect(resumed.append)
    assert QgsProject.instance().read(str(path))
    wait_until(lambda: failures, 60)
    assert not resumed and failures[0][0] == job.id and "deleted on the service" in failures[0][1]
    tile_layer = JobTileLayer.find(job.id)
    assert tile_layer is not None and tile_layer.layer.isValid()  # kept, with its last state
    assert tile_layer.stale and tile_layer.stale_reason == failures[0][1]
    assert tile_layer.layer.name().endswith("(stale)")
    assert statuses_on_disk(tile_layer) == {t.id: t.status for t in tiles} and len(tiles) == 2
    assert monitor.watched() == []


def test_a_deployment_without_credentials_leaves_the_layer_stale_with_what_to_do(
    qgis_app, tmp_path, histories
):
    project = QgsProject.instance()
    square = {"type": "Polygon", "coordinates": [[[10, 45], [10.1, 45], [10.1, 45.1], [10, 45.1], [10, 45]]]}
    shown = BatchJob("9a1c0000-0000-4000-8000-000000000001", V1, "custom:gone.example", "PROCESSING")
    unshown_running = BatchJob("9a1c0000-0000-4000-8000-000000000002", V2, "custom:gone.example", "RUNNING")
    unshown_done = BatchJob("9a1c0000-0000-4000-8000-000000000003", V2, "custom:gone.example", "DONE")
    JobTileLayer.create(shown, [Tile(1, "T1", "PROCESSING", 4326, square)], tmp_path / "tilewise")
    for job in (shown, unshown_running, unshown_done):
        project_jobs.remember(job)
    project.writeEntry(
        SCOPE, STATUS_KEY, json.dumps({unshown_running.id: "RUNNING", unshown_done.id: "DONE"})
    )
    path = save_and_clear(tmp_path)

    calls = []

    def client_for(deployment_id: str, api_version: int) -> BatchClient:
        calls.append((deployment_id, api_version))
        raise CredentialsError(f"No client id and secret are set up for {deployment_id}.")

    history = histories(JobMonitor(lambda: tmp_path / "tilewise"), client_for)
    failures: dict[str, str] = {}
    history.resumeFailed.connect(failures.__setitem__)
    assert project.read(str(path))
    # the job with a layer, and the one not finished when last seen; not the finished one without a layer
    assert set(failures) == {shown.id, unshown_running.id}
    assert sorted(calls) == [("custom:gone.example", V1), ("custom:gone.example", V2)]
    tile_layer = JobTileLayer.find(shown.id)
    assert tile_layer is not None and tile_layer.stale
    assert tile_layer.stale_reason == failures[shown.id]
    assert tile_layer.stale_reason.startswith(
        "Add the credentials of custom:gone.example in the Tilewise settings to resume watching job "
        + shown.id
    )
    assert "No client id and secret" in tile_layer.stale_reason
    assert history.resume() == []  # and called directly: the same answer, no crash
    assert tile_layer.stale
