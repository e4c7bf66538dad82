"""Engine hardening (issue 22): one test per fix of what the engine got wrong when probed. Process, file and
OS behaviour is checked on real engines; the rest in-process."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests
from testkit import TEST_BBOX, TEST_CLIENT_ID, fetch_token, process_request_json

from tilewise.engine.config import ConfigError, Settings

RED_SCRIPT = """//VERSION=3
function setup() { return {input: [{bands: ["B04"], units: "DN"}], output: {bands: 1, sampleType: "UINT16"}}; }
function evaluatePixel(s) { return [s.B04]; }
"""


def v1_body(engine, folder: str) -> dict:
    """A two-tile v1 request delivering to a folder under the engine's output root."""
    return {
        "processRequest": process_request_json(RED_SCRIPT, TEST_BBOX),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"file://{engine.output_root}/{folder}/<tileName>/<outputId>.<format>"},
        "description": f"hardening {folder}",
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


# --- the token endpoint ------------------------------------------------------------------------------------


def test_wrong_secrets_are_answered_429_with_retry_after_and_the_reference_body(
    engine_factory, small_catalog
):
    engine = engine_factory(small_catalog)
    wrong = {"grant_type": "client_credentials", "client_id": TEST_CLIENT_ID, "client_secret": "guess"}
    answers = [requests.post(engine.url + "/oauth/token", data=wrong, timeout=10) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    throttled = answers[-1]
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert throttled.json()["error"]["reason"] == "Too Many Requests"
    assert "guess" not in throttled.text


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
