"""Engine hardening (issue 22): a private data folder that keeps no S3 keys once a request ends, a token
endpoint that throttles guessing, follows secret rotation and refuses the default secret off loopback, workers
that die with the engine, one engine per data folder, and a full data disk answered 507 with the reference
error body. Process, file and OS behaviour is checked on real engines; the rest in-process."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from testkit import (
    TEST_BBOX,
    can_mount_tmpfs,
    fetch_token,
    process_request_json,
    tmpfs_prefix,
)

from tilewise.core.statuses import RequestStatus
from tilewise.engine.config import ConfigError, Settings
from tilewise.engine.store import JobStore, RequestRecord

RED_SCRIPT = """//VERSION=3
function setup() { return {input: [{bands: ["B04"], units: "DN"}], output: {bands: 1, sampleType: "UINT16"}}; }
function evaluatePixel(s) { return [s.B04]; }
"""
KEYS = {"accessKey": "AKIAHARDENINGKEY", "secretAccessKey": "hardening-secret-never-on-disk-7d1e"}
STORE_FILES = ("jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm")


def v1_body(engine, folder: str) -> dict:
    """A two-tile v1 request delivering to a folder under the engine's output root."""
    return {
        "processRequest": process_request_json(RED_SCRIPT, TEST_BBOX),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"file://{engine.output_root}/{folder}/<tileName>/<outputId>.<format>"},
        "description": f"hardening {folder}",
    }


def v2_body(bucket: str) -> dict:
    return {
        "processRequest": process_request_json(RED_SCRIPT, TEST_BBOX),
        "input": {"type": "tiling-grid", "id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {
            "type": "raster",
            "delivery": {"s3": {"url": f"s3://{bucket}/o", **KEYS, "region": "us-east-1"}},
        },
        "description": "hardening v2",
    }


def run_v1_job(engine, folder: str) -> str:
    created = engine.call("POST", "/api/v1/batch/process", json=v1_body(engine, folder))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/start").status_code == 204
    assert engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    return request_id


def wait_until(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


# --- data folder permissions and keys in the store ---------------------------------------------------------


def test_a_request_that_ends_leaves_no_keys_in_the_store_and_one_that_stops_keeps_them(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    record = RequestRecord(
        RequestRecord.new_id(), 2, RequestStatus.PROCESSING, {"a": 1}, secrets={"output": KEYS}
    )
    store.add_request(record)
    assert store.transition(record.id, [RequestStatus.PROCESSING], status=RequestStatus.STOPPED)
    assert store.get_request(record.id).secrets == {"output": KEYS}  # a stopped request may start again
    assert store.transition(record.id, [RequestStatus.STOPPED], status=RequestStatus.PROCESSING)
    assert store.transition(record.id, [RequestStatus.PROCESSING], status=RequestStatus.DONE)
    assert store.get_request(record.id).secrets is None
    for name in STORE_FILES:  # secure_delete and a checkpoint: the bytes are gone, not only unlinked
        assert KEYS["secretAccessKey"].encode() not in (tmp_path / name).read_bytes(), name


def test_the_final_upload_keeps_the_keys_until_it_is_done_then_the_store_forgets_them(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite")
    record = RequestRecord(
        RequestRecord.new_id(), 2, RequestStatus.PROCESSING, {"a": 1}, secrets={"output": KEYS}
    )
    store.add_request(record)
    store.transition(record.id, [RequestStatus.PROCESSING], status=RequestStatus.DONE, keep_secrets=True)
    assert store.get_request(record.id).secrets == {"output": KEYS}
    store.forget_secrets(record.id)
    assert store.get_request(record.id).secrets is None
    assert all(KEYS["secretAccessKey"].encode() not in (tmp_path / n).read_bytes() for n in STORE_FILES)


def test_a_finished_v2_job_leaves_no_keys_in_the_store_files_and_the_data_folder_is_private(
    engine_factory, small_catalog, s3_server, tmp_path
):
    data_dir = tmp_path / "old-data"  # as an older engine left it: readable by everyone
    data_dir.mkdir()
    data_dir.chmod(0o755)
    engine = engine_factory(small_catalog, TILEWISE_DATA_DIR=str(data_dir))
    bucket = s3_server.new_bucket()
    created = engine.call("POST", "/api/v2/batch/process", json=v2_body(bucket))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert engine.call("POST", f"/api/v2/batch/process/{request_id}/start").status_code == 204
    assert engine.wait_for(request_id, {"DONE", "FAILED"}, api="v2")["status"] == "DONE"

    def keys_left() -> list[str]:
        return [n for n in STORE_FILES if KEYS["secretAccessKey"].encode() in (data_dir / n).read_bytes()]

    # the keys go once the final execution database is uploaded (beside the scheduler): allow it a moment
    wait_until(lambda: not keys_left(), timeout=15)
    assert keys_left() == []
    execution = s3_server.client().get_object(Bucket=bucket, Key=f"o/execution-{request_id}.sqlite")
    assert execution["ContentLength"] > 0  # the final upload still had its keys
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    loose = {
        str(path.relative_to(data_dir)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in data_dir.rglob("*")
        if stat.S_IMODE(path.stat().st_mode) & 0o077
    }
    assert loose == {}, "readable by group or others"


# --- the token endpoint ------------------------------------------------------------------------------------


# Wrong secrets answered 429 with Retry-After: tests/engine/test_routes.py, in-process.


def test_a_new_client_secret_invalidates_tokens_signed_with_the_old_one(engine_factory, small_catalog):
    engine = engine_factory(small_catalog)
    old_token = engine.token()
    engine.stop()
    engine.env["TILEWISE_CLIENT_SECRET"] = "rotated-secret-after-a-leak-0b9a"
    engine.start()
    status = requests.get(
        engine.url + "/api/v1/engine/status", headers={"Authorization": f"Bearer {old_token}"}, timeout=10
    )
    assert status.status_code == 401, status.text
    with pytest.raises(requests.HTTPError):
        fetch_token(engine.url)  # the old secret is refused too


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "engine.example.org"])
def test_the_default_secret_is_refused_off_loopback_naming_both_settings(host):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"TILEWISE_HOST": host})
    message = str(refused.value)
    assert "TILEWISE_CLIENT_SECRET" in message and "TILEWISE_HOST" in message and host in message
    assert "\n" not in message and "tilewise-local-secret" not in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "localhost", "LOCALHOST"])
def test_the_default_secret_is_accepted_on_loopback(host):
    assert Settings.from_env({"TILEWISE_HOST": host}).uses_default_secret


def test_an_own_secret_may_listen_anywhere():
    settings = Settings.from_env({"TILEWISE_HOST": "0.0.0.0", "TILEWISE_CLIENT_SECRET": "own-secret"})
    assert settings.host == "0.0.0.0" and not settings.uses_default_secret


# --- workers die with the engine ---------------------------------------------------------------------------


def session_processes(session_id: int) -> list[str]:
    """Live (not zombie) processes of a session, read from /proc: "pid command line"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended while we looked
            continue
        state, session = fields[0], int(fields[3])  # after the name: state, ppid, pgrp, session
        if session == session_id and state not in ("Z", "X"):
            found.append(f"{entry.name} {command[:100]}")
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killing_the_engine_leaves_no_worker_or_resource_tracker_behind(engine_factory, small_catalog):
    engine = engine_factory(small_catalog, workers=2)
    run_v1_job(engine, "orphans")
    session = engine.proc.pid  # the engine leads its own session (testkit starts it so)
    assert any("spawn_main" in p for p in session_processes(session)), "no worker to orphan"

    os.kill(engine.proc.pid, signal.SIGKILL)  # the engine alone, not its process group
    engine.proc.wait(timeout=10)
    wait_until(lambda: not session_processes(session), timeout=10)
    assert session_processes(session) == []


# --- one engine per data folder ----------------------------------------------------------------------------


def test_a_second_engine_on_the_same_data_folder_exits_at_once_naming_the_first(
    engine_factory, small_catalog
):
    first = engine_factory(small_catalog)
    second = subprocess.Popen(
        [sys.executable, "-m", "tilewise.engine"],
        env={**os.environ, **first.env, "TILEWISE_PORT": str(first.port + 1), "TILEWISE_HOST": "127.0.0.1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = second.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        second.kill()
        second.communicate()
        pytest.fail("the second engine kept running on the first one's data folder")
    assert second.returncode != 0
    message = stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert str(first.proc.pid) in message and first.url in message
    assert "TILEWISE_DATA_DIR" in message and "stop it" in message
    assert first.call("GET", "/api/v1/engine/status").status_code == 200  # the first keeps serving

    first.stop(kill=True)  # the lock dies with its process: a restart after kill -9 works
    first.start()
    assert first.call("GET", "/api/v1/engine/status").status_code == 200


# --- a full data disk --------------------------------------------------------------------------------------


def fill(folder: Path) -> Path:
    """Write to a file in `folder` until its filesystem is full."""
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root or user namespaces to mount a small tmpfs")
def test_a_full_data_disk_answers_507_with_the_reference_body_and_the_engine_recovers(
    engine_factory, small_catalog, tmp_path
):
    data_dir = tmp_path / "small-disk"
    data_dir.mkdir()
    engine = engine_factory(small_catalog, TILEWISE_DATA_DIR=str(data_dir))
    engine.stop()  # the same engine again, on a 2 MB disk of its own
    engine.command_prefix = tmpfs_prefix(data_dir, "2m")
    engine.start()
    engine.token()
    earlier = engine.call("POST", "/api/v1/batch/process", json=v1_body(engine, "before"))
    assert earlier.status_code == 201, earlier.text

    filler = fill(Path(f"/proc/{engine.proc.pid}/root") / str(data_dir).lstrip("/"))
    full = engine.call("POST", "/api/v1/batch/process", json=v1_body(engine, "full"))
    assert full.status_code == 507, full.text
    error = full.json()["error"]
    assert error["status"] == 507 and error["reason"] == "Insufficient Storage"
    assert "disk is full" in error["message"] and str(data_dir) in error["message"]
    assert "free" in error["message"].lower()

    filler.unlink()
    again = engine.call("POST", "/api/v1/batch/process", json=v1_body(engine, "after"))
    assert again.status_code == 201, again.text
    kept = engine.call("GET", f"/api/v1/batch/process/{earlier.json()['id']}")
    assert kept.status_code == 200 and kept.json()["description"] == "hardening before"
    listed = engine.call("GET", "/api/v1/batch/process").json()["data"]
    assert {r["description"] for r in listed} == {"hardening before", "hardening after"}
