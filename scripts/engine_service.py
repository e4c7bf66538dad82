"""Start, stop and check the local Tilewise engine in the background (for `make run`).

    python scripts/engine_service.py start --wait   # start it (or reuse one that already answers)
    python scripts/engine_service.py status         # exit 0 when an engine answers on the port
    python scripts/engine_service.py stop           # stop the engine this script started

The engine is `python -m tilewise.engine` from this Python (the venv), configured by the usual TILEWISE_*
variables (docs/engine.md); what is not set defaults to the offline demo catalog of this checkout:
TILEWISE_CATALOG=demo, TILEWISE_DEMO_CATALOG=data/demo-catalog, TILEWISE_DATA_DIR=data/engine. Anything
else in the environment (TILEWISE_S3_ENDPOINT_URL, AWS_*, TILEWISE_OUTPUT_ROOT…) passes through.

Its log is `<data dir>/engine.log`, its pid `<data dir>/engine.pid` (its URL and owner in `engine.state.json`
next to it). It runs in its own session (process group), so a Ctrl-C in the terminal does not reach it:
`stop` ends it, workers included. An engine that already answers on the port (a second `make run`,
`make engine` in another terminal) is reused, and `stop` leaves alone any engine it did not start. With
`--owner ID`, `start` records who started the engine and `stop --owner ID` stops it only for that same owner
(`make run` passes its shell's pid).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 8765
ENGINE_TITLE = "Tilewise engine"  # the FastAPI title of engine/app.py, seen in /openapi.json
LOG_TAIL_LINES = 40


class ServiceError(RuntimeError):
    """Something the user has to fix; the message says what."""


@dataclass(frozen=True)
class Service:
    env: dict  # the engine's environment
    data_dir: Path
    host: str
    port: int

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "engine.log"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "engine.pid"

    @property
    def state_path(self) -> Path:
        """Where the engine this script started listens, and who started it (JSON)."""
        return self.data_dir / "engine.state.json"


def service_from_env(environ: Optional[dict] = None) -> Service:
    """The engine's environment: the caller's, with this checkout's demo defaults for what is unset."""
    env = dict(os.environ if environ is None else environ)
    for name, default in (
        ("TILEWISE_CATALOG", "demo"),
        ("TILEWISE_DEMO_CATALOG", str(REPO / "data" / "demo-catalog")),
        ("TILEWISE_DATA_DIR", str(REPO / "data" / "engine")),
        # v2 tile statuses reach the map every 2 s on this machine (the service's 30 s would make the demo
        # job's tiles jump from pending to done)
        ("TILEWISE_EXECUTION_DB_INTERVAL", "2"),
    ):
        if not env.get(name):
            env[name] = default
    # Absolute paths: the engine and this script may not share a working directory.
    for name in ("TILEWISE_DEMO_CATALOG", "TILEWISE_DATA_DIR", "TILEWISE_OUTPUT_ROOT"):
        if env.get(name):
            env[name] = str(Path(env[name]).expanduser().absolute())
    raw_port = env.get("TILEWISE_PORT") or str(DEFAULT_PORT)
    try:
        port = int(raw_port)
    except ValueError:
        raise ServiceError(f"TILEWISE_PORT={raw_port!r} is not a port number.") from None
    if not 0 < port < 65536:
        raise ServiceError(f"TILEWISE_PORT={port} is not a port number (1–65535).")
    return Service(env, Path(env["TILEWISE_DATA_DIR"]), env.get("TILEWISE_HOST") or "127.0.0.1", port)


# --- probing --------------------------------------------------------------------------------------------


def _port_open(service: Service) -> bool:
    host = urllib.parse.urlsplit(service.url).hostname
    try:
        with socket.create_connection((host, service.port), timeout=0.5):
            return True
    except OSError:
        return False


def probe(service: Service, timeout: float = 2.0) -> Optional[dict]:
    """The engine's OpenAPI info when a Tilewise engine answers on the port, None when nothing listens.
    Raises ServiceError when something else holds the port."""
    try:
        with urllib.request.urlopen(service.url + "/openapi.json", timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise ServiceError(
            f"{service.url} answers, but it is not a Tilewise engine (HTTP {exc.code} for /openapi.json): "
            "stop what runs there, or choose another port with TILEWISE_PORT."
        ) from None
    except (urllib.error.URLError, OSError, ValueError):
        if _port_open(service):
            raise ServiceError(
                f"Port {service.port} is in use by something that does not answer like a Tilewise engine "
                "(or is still starting): stop it, or choose another port with TILEWISE_PORT."
            ) from None
        return None
    info = body.get("info", {}) if isinstance(body, dict) else {}
    if info.get("title") != ENGINE_TITLE:
        raise ServiceError(
            f"{service.url} answers, but it is {info.get('title') or 'not a Tilewise engine'}: stop it, or "
            "choose another port with TILEWISE_PORT."
        )
    return info


def answers(service: Service) -> bool:
    try:
        return probe(service, timeout=1.0) is not None
    except ServiceError:
        return False


def credentials_accepted(service: Service) -> Optional[bool]:
    """Whether the engine accepts TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET (the plugin's credentials)."""
    data = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": service.env.get("TILEWISE_CLIENT_ID") or "tilewise",
            "client_secret": service.env.get("TILEWISE_CLIENT_SECRET") or "tilewise-local-secret",
        }
    ).encode()
    try:
        with urllib.request.urlopen(service.url + "/oauth/token", data=data, timeout=5) as response:
            return bool(json.loads(response.read().decode("utf-8")).get("access_token"))
    except urllib.error.HTTPError as exc:
        return False if exc.code in (400, 401, 403) else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


# --- the pid file ---------------------------------------------------------------------------------------


def _is_engine_process(pid: int) -> bool:
    """A live (not zombie) process running `-m tilewise.engine`: a stale pid file may name a reused pid."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and b"tilewise.engine" in cmdline


def recorded_pid(service: Service) -> Optional[int]:
    """The pid of the engine this script started, when it still runs; a stale pid file is removed."""
    try:
        pid = int(service.pid_path.read_text().strip())
    except (OSError, ValueError):
        return None
    if _is_engine_process(pid):
        return pid
    _forget(service)
    return None


def recorded_state(service: Service) -> dict:
    try:
        state = json.loads(service.state_path.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _forget(service: Service) -> None:
    for path in (service.pid_path, service.state_path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def log_tail(service: Service, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = service.log_path.read_text(errors="replace")
    except OSError:
        return f"(no log at {service.log_path})"
    return "\n".join(text.splitlines()[-lines:])


def _log(service: Service, message: str) -> None:
    service.log_path.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(service.log_path, "a") as log:
        log.write(f"{stamp} engine_service: {message}\n")


# --- checks before starting -----------------------------------------------------------------------------


def preflight(service: Service) -> None:
    """Refuse to start on a catalog that cannot work (the engine itself only notices at the first request)."""
    catalog = service.env["TILEWISE_CATALOG"]
    demo = Path(service.env["TILEWISE_DEMO_CATALOG"])
    if catalog == "demo" and not demo.is_dir():
        raise ServiceError(
            f"The demo catalog {demo} does not exist (TILEWISE_DEMO_CATALOG): build it with `make demo-data`, "
            "or point TILEWISE_DEMO_CATALOG at one."
        )
    os.environ["TILEWISE_DEMO_CATALOG"] = str(demo)  # read by the catalog module when it expands {demo}
    from tilewise.engine.data import catalog as catalogs

    try:
        configs = catalogs._load_config(catalog)
    except Exception as exc:  # UnknownCollectionError, a JSON error…
        raise ServiceError(f"TILEWISE_CATALOG={catalog!r} cannot be used: {exc}") from None
    for config in configs.values():
        href = config.href
        if config.kind in ("static", "folder") and href and "://" not in href and not Path(href).exists():
            raise ServiceError(
                f"Collection {config.data_type} of catalog {catalog!r} points at {href}, which does not exist"
                + (": build the demo catalog with `make demo-data`." if catalog == "demo" else ".")
            )


# --- commands -------------------------------------------------------------------------------------------


def start(service: Service, wait: bool, timeout: float, owner: str = "") -> str:
    """Start the engine, or reuse one that answers; returns "started" or "reused"."""
    pid = recorded_pid(service)
    elsewhere = recorded_state(service).get("url")
    if pid is not None and elsewhere and elsewhere != service.url:
        raise ServiceError(
            f"The engine started with the data dir {service.data_dir} (pid {pid}) listens on {elsewhere}, not "
            f"{service.url}: two engines must not share a data dir. Stop it first (engine_service.py stop, with "
            "the TILEWISE_PORT it was started with), or use another TILEWISE_DATA_DIR."
        )
    if pid is not None and not answers(service):
        # Ours, still starting (another `make run` a moment ago): wait for it rather than start a second one.
        if wait:
            _wait_ready(service, None, pid, timeout)
        return "reused"
    if probe(service) is not None:
        return "reused"
    service.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        preflight(service)
    except ServiceError as exc:
        _log(service, f"not starting the engine: {exc}")
        raise
    _log(service, f"starting the engine on {service.url} ({sys.executable} -m tilewise.engine)")
    with open(service.log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tilewise.engine"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=service.env,
            cwd=REPO,
            start_new_session=True,  # its own process group: Ctrl-C in the terminal does not reach it
        )
    service.pid_path.write_text(f"{process.pid}\n")
    service.state_path.write_text(json.dumps({"pid": process.pid, "url": service.url, "owner": owner}) + "\n")
    if wait:
        try:
            _wait_ready(service, process, process.pid, timeout)
        except BaseException:  # timeout, early exit, Ctrl-C: never leave a half-started engine behind
            _stop_pid(service, process.pid)
            raise
    return "started"


def _wait_ready(service: Service, process: Optional[subprocess.Popen], pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = process.poll() is not None if process is not None else not _is_engine_process(pid)
        if exited:
            code = f" (exit code {process.returncode})" if process is not None else ""
            raise ServiceError(f"The engine exited while starting{code}.")
        with contextlib.suppress(ServiceError):  # the port may answer oddly while uvicorn binds
            if probe(service, timeout=1.0) is not None:
                return
        time.sleep(0.2)
    raise ServiceError(f"The engine did not answer on {service.url} within {timeout:.0f} s.")


def _stop_pid(service: Service, pid: int, grace: float = 20.0) -> None:
    """SIGTERM the engine (it shuts its workers down), then SIGKILL its process group: the engine itself
    after `grace` s, and any worker that outlived it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _is_engine_process(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        time.sleep(0.1)
    # Stragglers (or a hung engine): the group outlives its leader while any member lives.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    _forget(service)
    _log(service, f"stopped the engine (pid {pid})")


def stop(service: Service, owner: str = "") -> str:
    pid = recorded_pid(service)
    if pid is None:
        return "not-started"
    if owner and recorded_state(service).get("owner") != owner:
        return "not-owner"
    _stop_pid(service, pid)
    return "stopped"


def status(service: Service) -> dict:
    pid = recorded_pid(service)
    try:
        info = probe(service)
        problem = ""
    except ServiceError as exc:
        info, problem = None, str(exc)
    report = {
        "url": service.url,
        "running": info is not None,
        "version": (info or {}).get("version"),
        "pid": pid,  # None: not started by this script (e.g. `make engine`), or not running
        "log": str(service.log_path),
        "problem": problem,
    }
    if info is not None:
        report["credentials_accepted"] = credentials_accepted(service)
    return report


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser(
        "start", help="start the engine in the background, or reuse a running one"
    )
    start_parser.add_argument("--wait", action="store_true", help="return once the engine answers")
    start_parser.add_argument("--timeout", type=float, default=60.0, help="seconds --wait waits (60)")
    start_parser.add_argument("--owner", default="", help="record who started it (see stop --owner)")
    stop_parser = commands.add_parser("stop", help="stop the engine this script started")
    stop_parser.add_argument("--owner", default="", help="stop it only when `start --owner` said the same")
    status_parser = commands.add_parser("status", help="exit 0 when an engine answers on the port")
    status_parser.add_argument("--json", action="store_true", help="print the status as JSON")
    args = parser.parse_args(argv)

    try:
        service = service_from_env()
        if args.command == "start":
            try:
                outcome = start(service, args.wait, args.timeout, args.owner)
            except ServiceError as exc:
                print(
                    f"engine_service: {exc}\n--- the end of {service.log_path}:\n{log_tail(service)}\n---",
                    file=sys.stderr,
                )
                return 1
            except KeyboardInterrupt:
                print(
                    "engine_service: interrupted (an engine it had just started is stopped).", file=sys.stderr
                )
                return 130
            if outcome == "reused":
                print(f"Tilewise engine: reusing the engine that answers on {service.url}", file=sys.stderr)
            if (outcome == "reused" or args.wait) and credentials_accepted(service) is False:
                print(
                    "engine_service: warning: that engine refuses TILEWISE_CLIENT_ID/TILEWISE_CLIENT_SECRET "
                    "of this environment; the plugin will not be able to log in to it.",
                    file=sys.stderr,
                )
            if outcome == "started":
                ready = "ready" if args.wait else "starting"
                print(f"Tilewise engine: {ready} on {service.url} (log: {service.log_path})", file=sys.stderr)
            print(outcome)
            return 0
        if args.command == "stop":
            outcome = stop(service, args.owner)
            messages = {
                "stopped": "Tilewise engine: stopped",
                "not-started": f"Tilewise engine: none started by engine_service in {service.data_dir}"
                + (f" (an engine answers on {service.url}; it was left running)" if answers(service) else ""),
                "not-owner": "Tilewise engine: left running (this run did not start it)",
            }
            print(messages[outcome], file=sys.stderr)
            return 0
        report = status(service)
        if args.json:
            print(json.dumps(report))
        elif report["running"]:
            started = (
                f"started by engine_service, pid {report['pid']}" if report["pid"] else "not started here"
            )
            login = {True: "credentials accepted", False: "credentials REFUSED", None: "credentials unknown"}
            print(f"running on {report['url']} ({started}; {login[report['credentials_accepted']]})")
        else:
            print(f"not running on {report['url']}" + (f": {report['problem']}" if report["problem"] else ""))
        return 0 if report["running"] else 1
    except ServiceError as exc:
        print(f"engine_service: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
