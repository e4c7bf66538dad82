"""Storage faults: which S3 errors are transient, and a full disk on a live engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit import (
    NDVI_WITH_MASK,
    TEST_BBOX,
    can_mount_tmpfs,
    local_engine,
    process_request_json,
    tmpfs_prefix,
)

FINAL_V1 = {"DONE", "PARTIAL", "FAILED"}


def body_v1(path: str, evalscript: str, bbox=TEST_BBOX, responses=("default",)) -> dict:
    return {
        "processRequest": process_request_json(evalscript, bbox, responses),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": path},
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
    failure = S3Delivery("http://127.0.0.1:9", {})._fail("write to", "tw-bucket", answer)
    assert failure.transient is transient
    assert "'tw-bucket'" in str(failure) and code in str(failure)


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
