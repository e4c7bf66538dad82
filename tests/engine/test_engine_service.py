"""scripts/engine_service.py: the background engine of `make run` (start, reuse, status, stop, errors).

Every engine here listens on a free port with a data dir under tmp_path; none outlives its test.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from testkit import REPO, TEST_CLIENT_ID, TEST_CLIENT_SECRET, EngineServer, fetch_token, free_port

SCRIPT = REPO / "scripts" / "engine_service.py"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Service:
    def __init__(self, root: Path, catalog: Path):
        self.root = root
        self.data_dir = root / "data"
        self.port = free_port()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TILEWISE_", "AWS_")) or k == "AWS_REGION"
        }
        self.env.update(
            TILEWISE_PORT=str(self.port),
            TILEWISE_DATA_DIR=str(self.data_dir),
            TILEWISE_OUTPUT_ROOT=str(root / "outputs"),
            TILEWISE_CATALOG="demo",
            TILEWISE_DEMO_CATALOG=str(catalog),
            TILEWISE_WORKERS="1",
            TILEWISE_CLIENT_ID=TEST_CLIENT_ID,
            TILEWISE_CLIENT_SECRET=TEST_CLIENT_SECRET,
        )
        self.pids: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), *args],
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=timeout,
        )
        pid = self.pid()
        if pid:
            self.pids.add(pid)
        return done

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "engine.pid").read_text())
        except (OSError, ValueError):
            return None

    def token(self) -> str:
        return fetch_token(self.url)

    def listening(self) -> bool:
        try:
            requests.get(self.url + "/openapi.json", timeout=1)
            return True
        except requests.ConnectionError:
            return False

    def cleanup(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def service(tmp_path, small_catalog):
    svc = Service(tmp_path, small_catalog)
    yield svc
    leftover = [pid for pid in svc.pids if _alive(pid)]
    svc.cleanup()
    assert not leftover, f"engines left running: {leftover}"


def test_start_status_reuse_stop(service):
    started = service.run("start", "--wait", "--owner", "shell-1")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"
    assert f"ready on {service.url}" in started.stderr
    pid = service.pid()
    assert pid and _alive(pid)
    assert os.getpgid(pid) == pid, (
        "the engine runs in its own process group (Ctrl-C in the terminal misses it)"
    )
    state = json.loads((service.data_dir / "engine.state.json").read_text())
    assert state == {"pid": pid, "url": service.url, "owner": "shell-1"}

    # It serves the API with the configured credentials, and logs to <data dir>/engine.log.
    grids = requests.get(
        service.url + "/api/v1/batch/tilinggrids",
        headers={"Authorization": f"Bearer {service.token()}"},
        timeout=10,
    )
    assert grids.status_code == 200
    assert "Uvicorn running" in (service.data_dir / "engine.log").read_text()

    status = service.run("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"running on {service.url}" in status.stdout
    assert f"pid {pid}" in status.stdout and "credentials accepted" in status.stdout
    report = json.loads(service.run("status", "--json").stdout)
    assert report["running"] and report["pid"] == pid and report["credentials_accepted"] is True

    # A second start (another `make run`) reuses it; it does not own it, so its stop leaves it running.
    again = service.run("start", "--wait", "--owner", "shell-2")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "reused"
    assert service.pid() == pid
    not_owner = service.run("stop", "--owner", "shell-2")
    assert not_owner.returncode == 0 and "left running" in not_owner.stderr
    assert _alive(pid) and service.listening()

    # Its owner's stop ends it, and the pid file goes.
    stopped = service.run("stop", "--owner", "shell-1")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped" in stopped.stderr
    assert not _alive(pid)
    assert not service.listening()
    assert not (service.data_dir / "engine.pid").exists()
    assert not (service.data_dir / "engine.state.json").exists()

    status = service.run("status")
    assert status.returncode == 1 and "not running" in status.stdout
    assert service.run("stop").returncode == 0  # nothing to stop is not an error


def test_credentials_mismatch_is_reported(service):
    assert service.run("start", "--wait").returncode == 0
    try:
        reused = service.run("start", "--wait", TILEWISE_CLIENT_SECRET="another-secret")
        assert reused.stdout.strip() == "reused"
        assert "refuses TILEWISE_CLIENT_ID/TILEWISE_CLIENT_SECRET" in reused.stderr
        status = service.run("status", TILEWISE_CLIENT_SECRET="another-secret")
        assert "credentials REFUSED" in status.stdout
    finally:
        assert service.run("stop").returncode == 0


def test_an_engine_it_did_not_start_is_reused_and_left_running(service):
    """`make engine` in another terminal: no pid file; make run's engine_service reuses it and never stops it."""
    foreground = EngineServer(
        service.data_dir,
        service.root / "outputs",
        {k: v for k, v in service.env.items() if k not in ("TILEWISE_PORT", "TILEWISE_HOST")},
        service.root / "foreground.log",
        port=service.port,
    )
    foreground.start()
    try:
        reused = service.run("start", "--wait", "--owner", "shell-1")
        assert reused.returncode == 0, reused.stderr
        assert reused.stdout.strip() == "reused"
        assert service.pid() is None
        status = service.run("status")
        assert status.returncode == 0 and "not started here" in status.stdout
        stop = service.run("stop", "--owner", "shell-1")
        assert stop.returncode == 0 and "left running" in stop.stderr
        assert foreground.proc.poll() is None and service.listening()
        assert service.run("stop").returncode == 0
        assert foreground.proc.poll() is None
    finally:
        foreground.stop()


def test_a_stale_pid_file_is_ignored(service):
    service.data_dir.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (service.data_dir / "engine.pid").write_text(f"{sleeper.pid}\n")  # a live process, not an engine
        assert service.run("stop").returncode == 0
        assert sleeper.poll() is None, "stop must only signal an engine"
        assert not (service.data_dir / "engine.pid").exists()
        started = service.run("start", "--wait")
        assert started.returncode == 0 and started.stdout.strip() == "started", started.stderr
        assert service.pid() != sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()
        service.run("stop")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TILEWISE_DEMO_CATALOG", "{tmp}/no-such-catalog", "{tmp}/no-such-catalog does not exist"),
        ("TILEWISE_CATALOG", "{tmp}/missing/catalogs.json", "{tmp}/missing/catalogs.json does not exist"),
        ("TILEWISE_CATALOG", "nowhere", "Unknown catalog 'nowhere'"),
    ],
)
def test_a_bad_catalog_fails_start_with_the_log_tail(service, tmp_path, variable, value, message):
    failed = service.run("start", "--wait", **{variable: value.format(tmp=tmp_path)})
    assert failed.returncode == 1
    assert message.format(tmp=tmp_path) in failed.stderr
    assert f"the end of {service.data_dir / 'engine.log'}" in failed.stderr
    assert "not starting the engine" in failed.stderr  # the log's tail
    assert service.pid() is None and not service.listening()


def test_an_engine_that_dies_at_start_fails_with_the_log_tail(service):
    failed = service.run("start", "--wait", TILEWISE_WORKERS="zero")
    assert failed.returncode == 1
    assert "The engine exited while starting" in failed.stderr
    assert "TILEWISE_WORKERS='zero' is not a whole number" in failed.stderr
    assert service.pid() is None and not service.listening()


def test_a_port_held_by_something_else_is_refused(service):
    class NotAnEngine(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", service.port), NotAnEngine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        failed = service.run("start", "--wait")
        assert failed.returncode == 1
        assert "not a Tilewise engine" in failed.stderr and "TILEWISE_PORT" in failed.stderr
        assert service.pid() is None
    finally:
        server.shutdown()
        server.server_close()


def test_start_times_out_and_stops_what_it_started(service, tmp_path):
    """An engine that never answers: start --wait gives up after --timeout, stops it and shows the log."""
    # A `tilewise` package whose `python -m tilewise.engine` hangs; everything else comes from the real one.
    fake = tmp_path / "fakepkg" / "tilewise" / "engine"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text(f"__path__.append({str(REPO)!r})\n")
    (fake / "__init__.py").write_text(f"__path__.append({str(REPO / 'engine')!r})\n")
    (fake / "__main__.py").write_text(
        "import time\nprint('hanging on purpose', flush=True)\ntime.sleep(120)\n"
    )
    begun = time.monotonic()
    failed = service.run(
        "start", "--wait", "--timeout", "3", PYTHONPATH=str(tmp_path / "fakepkg"), PYTHONNOUSERSITE="1"
    )
    assert failed.returncode == 1
    assert "did not answer" in failed.stderr and "hanging on purpose" in failed.stderr
    assert time.monotonic() - begun < 30
    assert service.pid() is None
    assert all(not _alive(pid) for pid in service.pids)
