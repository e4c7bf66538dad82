"""Storage faults on a live engine: S3 going away and coming back (through a TCP proxy in front of the
session's S3 server), an outage longer than the engine's window, S3 unreachable during an analysis,
which S3 answers are transient, a permanent S3 error, and a full disk.

Only the proxy's connections fail: the S3 server keeps its state, as a real service would.
"""

from __future__ import annotations

import collections
import sqlite3
import time
from pathlib import Path

import pytest
from testkit import (
    NDVI_WITH_MASK,
    SLOW_SCRIPT,
    TEST_BBOX,
    WIDE_BBOX,
    TcpProxy,
    can_mount_tmpfs,
    local_engine,
    process_request_json,
    tmpfs_prefix,
)

FAST_SCRIPT = SLOW_SCRIPT.replace("1500", "1")
SLOWISH_SCRIPT = SLOW_SCRIPT.replace("1500", "600")  # tiles long enough to be mid-flight when S3 goes
FINAL_V1 = {"DONE", "PARTIAL", "FAILED"}


def body_v1(path: str, evalscript: str, bbox=TEST_BBOX, responses=("default",)) -> dict:
    return {
        "processRequest": process_request_json(evalscript, bbox, responses),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": path},
    }


def body_v2(url: str, evalscript: str, bbox=TEST_BBOX) -> dict:
    return {
        "processRequest": process_request_json(evalscript, bbox),
        "input": {"type": "tiling-grid", "id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"type": "raster", "delivery": {"s3": {"url": url}}},
    }


def create(engine, body: dict, api: str = "v1") -> str:
    response = engine.call("POST", f"/api/{api}/batch/process", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def act(engine, request_id: str, action: str, api: str = "v1") -> None:
    response = engine.call("POST", f"/api/{api}/batch/process/{request_id}/{action}")
    assert response.status_code == 204, response.text


def tiles(engine, request_id: str) -> list[dict]:
    return engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles").json()["data"]


def analysed(engine, request_id: str, api: str = "v1") -> None:
    act(engine, request_id, "analyse", api)
    status = engine.wait_for(request_id, {"ANALYSIS_DONE", "FAILED"}, timeout=60, api=api)
    assert status["status"] == "ANALYSIS_DONE", status.get("error")


@pytest.fixture
def proxy(s3_server):
    """The session's S3 server behind a proxy that the test can take down and bring back."""
    proxy = TcpProxy(s3_server.host_port).up()
    yield proxy
    proxy.down()


def test_a_short_s3_outage_mid_job_delays_the_tiles_without_using_attempts_and_leaves_one_output_each(
    engine_factory, small_catalog, s3_server, proxy
):
    # a window of 120 s backs off to at most 4 s between probes (window / 30), so the test is quick
    engine = engine_factory(
        small_catalog,
        workers=2,
        TILEWISE_S3_ENDPOINT_URL=proxy.url,
        TILEWISE_STORAGE_OUTAGE_WINDOW="120",
    )
    s3 = s3_server.client()
    bucket = s3_server.new_bucket()
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    request_id = create(
        engine, body_v1(f"s3://{bucket}/out/<tileName>/<outputId>.<format>", SLOWISH_SCRIPT, WIDE_BBOX)
    )
    act(engine, request_id, "start")
    deadline = time.monotonic() + 120
    while not any(t["status"] == "PROCESSED" for t in tiles(engine, request_id)):
        assert time.monotonic() < deadline, "no tile was delivered before the outage"
        time.sleep(0.1)

    proxy.down()  # S3 unreachable: connections refused, open ones reset
    time.sleep(15)
    during = engine.wait_for(request_id, FINAL_V1 | {"PROCESSING"}, timeout=10)
    assert during["status"] == "PROCESSING", during.get("error")  # waiting, not PARTIAL
    proxy.up()

    done = engine.wait_for(request_id, FINAL_V1, timeout=120)
    assert done["status"] == "DONE", done.get("error")
    listed = tiles(engine, request_id)
    assert {t["status"] for t in listed} == {"PROCESSED"}
    assert [t["attempts"] for t in listed] == [0] * len(listed)  # the outage used no attempt
    assert "waiting for the storage" in engine.log()  # the outage did happen while tiles ran
    versions = s3.list_object_versions(Bucket=bucket, Prefix="out/").get("Versions", [])
    etags = collections.defaultdict(set)
    for version in versions:
        if version["Key"].endswith(".tif"):  # not the analysis's write check
            etags[version["Key"]].add(version["ETag"])
    assert sorted(etags) == sorted(f"out/{t['name']}/default.tif" for t in listed)  # no other object
    # One output per tile, with the same bytes in every version. A PUT cut off by the outage may have reached
    # S3 with its answer lost: the client cannot tell, so it (boto3's retry, or the tile's) sends it again.
    # That is a second version of the same bytes, never a second or a different file.
    assert all(len(tags) == 1 for tags in etags.values()), etags


def execution_rows(s3_server, bucket: str, key: str, folder: Path) -> list[tuple]:
    path = folder / f"execution-{time.time_ns()}.sqlite"
    s3_server.client().download_file(bucket, key, str(path))
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT name, status, error FROM features ORDER BY id").fetchall()


def test_an_outage_longer_than_the_window_fails_the_features_naming_it_and_the_final_report_follows(
    engine_factory, small_catalog, s3_server, proxy, tmp_path
):
    engine = engine_factory(
        small_catalog,
        workers=2,
        TILEWISE_S3_ENDPOINT_URL=proxy.url,
        TILEWISE_STORAGE_OUTAGE_WINDOW="3",
        TILEWISE_TILE_RETRIES="0",
        TILEWISE_EXECUTION_DB_INTERVAL="1",
    )
    bucket = s3_server.new_bucket()
    request_id = create(engine, body_v2(f"s3://{bucket}/v2", FAST_SCRIPT), api="v2")
    analysed(engine, request_id, api="v2")

    proxy.down()
    started = time.monotonic()
    act(engine, request_id, "start", api="v2")
    failed = engine.wait_for(request_id, {"DONE", "FAILED"}, timeout=60, api="v2")
    assert failed["status"] == "FAILED"
    assert time.monotonic() - started >= 3  # it waited for the window, no less
    assert "unreachable for" in failed["error"] and repr(bucket) in failed["error"]
    assert "TILEWISE_STORAGE_OUTAGE_WINDOW" in failed["error"]

    time.sleep(4)  # longer than boto3's own retries: the final upload surely fails once
    proxy.up()  # the final execution database could not be uploaded during the outage: it follows now
    key = f"v2/execution-{request_id}.sqlite"
    deadline = time.monotonic() + 30
    rows: list[tuple] = []
    while time.monotonic() < deadline:
        keys = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0)
        rows = execution_rows(s3_server, bucket, key, tmp_path) if keys else []
        if rows and {r[1] for r in rows} == {"FATAL"}:
            break
        time.sleep(0.5)
    assert [r[1] for r in rows] == ["FATAL", "FATAL"], rows
    assert all("unreachable for" in r[2] and repr(bucket) in r[2] for r in rows)
    assert "tilewise-test-secret" not in engine.log() and "tilewise-test-key" not in engine.log()


def test_an_analysis_that_cannot_reach_s3_waits_for_it_instead_of_failing(
    engine_factory, small_catalog, s3_server, proxy
):
    engine = engine_factory(
        small_catalog, TILEWISE_S3_ENDPOINT_URL=proxy.url, TILEWISE_STORAGE_OUTAGE_WINDOW="120"
    )
    bucket = s3_server.new_bucket()
    request_id = create(engine, body_v1(f"s3://{bucket}/<tileName>/<outputId>.<format>", FAST_SCRIPT))
    proxy.down()
    act(engine, request_id, "analyse")
    time.sleep(4)  # the write check fails, more than once
    waiting = engine.call("GET", f"/api/v1/batch/process/{request_id}").json()
    assert waiting["status"] == "ANALYSING", waiting.get("error")
    proxy.up()
    done = engine.wait_for(request_id, {"ANALYSIS_DONE", "FAILED"}, timeout=30)
    assert done["status"] == "ANALYSIS_DONE", done.get("error")
    assert "analysis waits" in engine.log()


@pytest.mark.parametrize(
    "code, status, transient",
    [
        ("SlowDown", 503, True),
        ("ServiceUnavailable", 503, True),
        ("InternalError", 500, True),
        ("RequestTimeout", 400, True),  # S3 says "later" with a 400 here: the code decides
        ("502", 502, True),  # a HEAD's error has only the status
        ("AccessDenied", 403, False),
        ("NoSuchBucket", 404, False),
        ("InvalidAccessKeyId", 403, False),
        ("SignatureDoesNotMatch", 403, False),
    ],
)
def test_s3_answers_are_transient_only_when_the_service_is_unavailable_or_overloaded(code, status, transient):
    from botocore.exceptions import ClientError

    from tilewise.engine.output.delivery import S3Delivery

    answer = ClientError(
        {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject"
    )
    failure = S3Delivery("http://127.0.0.1:9", None)._fail("write to", "tw-bucket", answer)
    assert failure.transient is transient
    assert "'tw-bucket'" in str(failure) and code in str(failure)


def test_a_permanent_s3_error_fails_the_tiles_at_once_without_waiting_for_the_window(
    engine_factory, small_catalog, s3_server
):
    engine = engine_factory(small_catalog, workers=2)  # the default window: 900 s
    bucket = s3_server.new_bucket()
    request_id = create(engine, body_v1(f"s3://{bucket}/<tileName>/<outputId>.<format>", FAST_SCRIPT))
    analysed(engine, request_id)
    s3_server.client().delete_bucket(Bucket=bucket)  # gone after the analysis checked it

    started = time.monotonic()
    act(engine, request_id, "start")
    failed = engine.wait_for(request_id, FINAL_V1, timeout=60)
    assert failed["status"] == "FAILED" and time.monotonic() - started < 30
    for tile in tiles(engine, request_id):
        assert tile["status"] == "FAILED" and tile["attempts"] == 3  # tried, then retried twice
        assert "NoSuchBucket" in tile["failureReason"] and "unreachable" not in tile["failureReason"]


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root or user namespaces to mount a small tmpfs")
def test_a_full_output_disk_fails_the_tile_saying_so_and_leaves_no_partial_or_scratch_files(
    small_catalog, s3_server, tmp_path
):
    engine = local_engine(
        tmp_path / "engine",
        small_catalog,
        s3_server,
        TILEWISE_TILE_RETRIES="1",
        TMPDIR=str(tmp_path / "scratch"),
    )
    tiny = engine.output_root / "tiny"
    tiny.mkdir()
    (tmp_path / "scratch").mkdir()
    # the engine sees a 64 KiB file system at `tiny`; a 500 × 500 float tile does not fit
    engine.command_prefix = tmpfs_prefix(tiny, "64k")
    engine.start()
    try:
        request_id = create(
            engine,
            body_v1(
                f"file://{tiny}/<tileName>/<outputId>.<format>", NDVI_WITH_MASK, responses=("ndvi", "mask")
            ),
        )
        act(engine, request_id, "start")
        failed = engine.wait_for(request_id, FINAL_V1, timeout=60)
        listed = tiles(engine, request_id)
        seen_by_engine = Path(f"/proc/{engine.proc.pid}/root") / str(tiny).lstrip("/")
        left = sorted(str(p.relative_to(seen_by_engine)) for p in seen_by_engine.rglob("*") if p.is_file())
    finally:
        engine.stop()
    assert failed["status"] == "FAILED"
    for tile in listed:
        assert tile["status"] == "FAILED" and tile["attempts"] == 2
        assert "No space left on device" in tile["failureReason"], tile["failureReason"]
        assert "disk of the output folder is full" in tile["failureReason"]
    assert not [name for name in left if name.endswith(".partial")], left
    assert list((tmp_path / "scratch").iterdir()) == []  # every tile's scratch folder is gone
