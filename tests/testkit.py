"""Test helpers shared by every suite: a local S3 server (moto) and the engine as a real process.

Importable as `testkit` (pytest puts tests/ on sys.path); the fixtures that use
these live in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class S3Server:
    """Where the local S3 server listens and the (fake) keys it accepts."""

    endpoint_url: str
    access_key: str = "tilewise-test-key"
    secret_key: str = "tilewise-test-secret"
    region: str = "us-east-1"
    pid: int = 0  # the server process (benchmarks read its I/O counters)

    @property
    def host_port(self) -> str:
        return self.endpoint_url.split("://", 1)[1]

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"tw-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def gdal_options(self) -> dict[str, str]:
        """GDAL configuration that reaches this server through /vsis3/."""
        return {
            "AWS_S3_ENDPOINT": self.host_port,
            "AWS_HTTPS": "NO",
            "AWS_VIRTUAL_HOSTING": "FALSE",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_NO_SIGN_REQUEST": "NO",  # an earlier anonymous source may have left YES
            "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        }


def moto_server(log: Path, extra_env: dict[str, str]):
    """Start moto_server on a free loopback port; yields its S3Server, stops it afterwards."""
    port = free_port()
    moto_bin = Path(sys.executable).with_name("moto_server")
    env = dict(os.environ, MOTO_ALLOW_NONEXISTENT_REGION="true", **extra_env)
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [str(moto_bin), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {log.read_text()}") from None
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("moto_server did not start within 30 s")
    yield S3Server(endpoint_url=f"http://127.0.0.1:{port}", pid=proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- the workplace's reference material and test data (../shared beside the clone) ---------------------------

SHARED = Path(os.environ.get("TILEWISE_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def shared_file(relative: str) -> Path:
    """A file of ../shared (reference documents, real data); a clear failure when it is not there."""
    path = SHARED / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the tests read ../shared beside the clone (or set TILEWISE_SHARED to that folder)."
        )
    return path


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data (real test data); callers skip when it is absent."""
    return SHARED.joinpath("data", *parts)


# --- the engine as a real server -------------------------------------------------------------------------

TEST_CLIENT_ID = "tilewise-tests"
TEST_CLIENT_SECRET = "tilewise-tests-secret-5f1c"


def fetch_token(engine_url: str) -> str:
    """An access token from an engine started with the test client's credentials."""
    import requests

    response = requests.post(
        engine_url + "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


@dataclass
class EngineServer:
    """A `python -m tilewise.engine` process on a free loopback port, restartable on the same data dir."""

    data_dir: Path
    output_root: Path
    env: dict
    log_path: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    _token: str | None = None
    # run before the engine's command, e.g. `unshare … sh -c '…' …` to give it a filesystem of its own
    command_prefix: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> EngineServer:
        import requests

        self.port = self.port or free_port()
        env = dict(os.environ, **self.env, TILEWISE_PORT=str(self.port), TILEWISE_HOST="127.0.0.1")
        with open(self.log_path, "ab") as log:
            # its own process group, so a kill reaches the worker processes too
            self.proc = subprocess.Popen(
                [*self.command_prefix, sys.executable, "-m", "tilewise.engine"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the engine exited:\n{self.log_path.read_text()[-4000:]}")
            try:
                requests.get(self.url + "/openapi.json", timeout=1)
                return self
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or too busy to answer
                time.sleep(0.1)
        self.stop(kill=True)
        raise RuntimeError(
            f"the engine did not start within {timeout} s:\n{self.log_path.read_text()[-4000:]}"
        )

    def stop(self, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:  # SIGKILL the whole process group: no chance to clean up, like a power cut
            os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def token(self) -> str:
        if self._token is None:
            self._token = fetch_token(self.url)
        return self._token

    def call(self, method: str, path: str, **kwargs):
        import requests

        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(
        self, request_id: str, statuses: set[str], timeout: float = 180, api: str = "v1", path: str = ""
    ) -> dict:
        """Poll a batch request (API v1 or v2; another resource at `path`) until its status is one of `statuses`;
        the engine log on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.call("GET", path or f"/api/{api}/batch/process/{request_id}").json()
            if body["status"] in statuses:
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"request still {body['status']} after {timeout} s:\n{self.log()[-3000:]}")
            time.sleep(0.2)


def local_engine(
    root: Path, catalog_dir: Path, s3: S3Server, workers: int = 1, **extra_env: str
) -> EngineServer:
    """An engine (not started) on the demo catalog at `catalog_dir`, delivering to the local S3 server."""
    (root / "outputs").mkdir(parents=True, exist_ok=True)
    env = {
        "TILEWISE_DATA_DIR": str(root / "data"),
        "TILEWISE_OUTPUT_ROOT": str(root / "outputs"),
        "TILEWISE_CLIENT_ID": TEST_CLIENT_ID,
        "TILEWISE_CLIENT_SECRET": TEST_CLIENT_SECRET,
        "TILEWISE_CATALOG": "demo",
        "TILEWISE_DEMO_CATALOG": str(catalog_dir),
        "TILEWISE_S3_ENDPOINT_URL": s3.endpoint_url,
        "TILEWISE_WORKERS": str(workers),
        "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,
        "AWS_REGION": s3.region,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p.endswith("site-packages")),
        **extra_env,
    }
    return EngineServer(root / "data", root / "outputs", env, root / "engine.log")


# --- a BYOC collection as a bare folder of COGs ----------------------------------------------------------

BYOC_BOUNDS = (290_000.0, 3_990_000.0, 291_000.0, 3_991_000.0)  # EPSG:32611, 100 x 100 px at 10 m
BYOC_BBOX = (-119.335, 36.03, -119.315, 36.045)  # around it, in WGS84


def write_byoc_folder(root: Path) -> dict:
    """Two scenes with a custom band (NDVI, scaled uint16, no data along the top) and no optical band;
    the scene folders' names carry the dates. Returns the planes by scene name."""
    import numpy as np

    from tilewise.engine.data.demo import write_cog

    rng = np.random.default_rng(7)
    planes = {}
    for name in ("2023-07-06", "S2_20230711T184521"):
        plane = rng.integers(1, 20_000, (100, 100)).astype(np.uint16)
        plane[:10, :] = 0
        (root / name).mkdir(parents=True)
        write_cog(root / name / "NDVI.tif", plane, BYOC_BOUNDS, 10.0, 32611, 256, "test")
        planes[name] = plane
    (root / "README.txt").write_text("not a scene")
    return planes


# --- sentinelhub-py clients in their own venvs ------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def run_client(
    venv: str, script: str, engine, command: str, *args: str, env=None, timeout: float = 900
) -> dict:
    """Run a tests/clients script with the sentinelhub-py of `.venv-clients/<venv>`; its JSON lines by step.

    TILEWISE_CLIENT_VENVS names another folder of client venvs (the QGIS matrix's chroots have their own)."""
    python = Path(os.environ.get("TILEWISE_CLIENT_VENVS") or REPO / ".venv-clients") / venv / "bin" / "python"
    assert python.exists(), f"{python} is missing: run `make setup` (it builds .venv-clients/)"
    environment = dict(
        os.environ,
        SH_CLIENT_ID=TEST_CLIENT_ID,
        SH_CLIENT_SECRET=TEST_CLIENT_SECRET,
        # oauthlib refuses plain-http token URLs unless told that this is deliberate (a loopback engine)
        OAUTHLIB_INSECURE_TRANSPORT="1",
        **(env or {}),
    )
    environment.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(python), str(REPO / "tests" / "clients" / script), command, "--base-url", engine.url, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )
    assert done.returncode == 0, f"client failed:\n{done.stderr[-4000:]}\nengine log:\n{engine.log()[-3000:]}"
    return {line["step"]: line for line in map(json.loads, filter(str.strip, done.stdout.splitlines()))}


# --- requests shared by the engine suites -----------------------------------------------------------------

NDVI_WITH_MASK = """//VERSION=3
function setup() {
  return {
    input: [{bands: ["B04", "B08", "dataMask"]}],
    output: [{id: "ndvi", bands: 1, sampleType: "FLOAT32"}, {id: "mask", bands: 1, sampleType: "UINT8"}]
  };
}
function evaluatePixel(s) {
  return {ndvi: [(s.B08 - s.B04) / (s.B08 + s.B04)], mask: [s.dataMask]};
}
"""
# About a second per 500 × 500 tile: slow enough to cancel or kill the engine mid-job.
SLOW_SCRIPT = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 1, sampleType: "UINT8"}}; }
function evaluatePixel(s) {
  var x = 0;
  for (var k = 0; k < 1500; k++) { x += Math.sqrt(k); }
  return [s.dataMask + x * 0];
}
"""
CRS84_URL = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
TEST_BBOX = [-119.2778, 36.04, -119.2135, 36.0806]  # two grid-1 tiles: 11SKV_9_0, 11SLV_0_0
WIDE_BBOX = [-119.40, 35.99, -119.12, 36.14]  # a dozen tiles, most without data


def process_request_json(evalscript: str, bbox=TEST_BBOX, responses=("default",)) -> dict:
    """A batch `processRequest`: sentinel-2-l2a over July 2023, GeoTIFF responses (an identifier, or an
    (identifier, media type) pair for another format)."""
    responses = [(r, "image/tiff") if isinstance(r, str) else r for r in responses]
    return {
        "input": {
            "bounds": {"bbox": bbox},
            "data": [
                {
                    "type": "sentinel-2-l2a",
                    "dataFilter": {
                        "timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-30T00:00:00Z"}
                    },
                }
            ],
        },
        "output": {"responses": [{"identifier": r, "format": {"type": t}} for r, t in responses]},
        "evalscript": evalscript,
    }


def request_body(api_version: int, url: str, responses=("default",), evalscript: str = "//VERSION=3") -> dict:
    """A whole v1 or v2 batch request body delivering to `url`, as a service returns it in a job."""
    body = {"processRequest": process_request_json(evalscript, responses=responses), "description": ""}
    grid = {"id": 1, "resolution": 10, "bufferX": 0, "bufferY": 0}
    if api_version == 2:
        return {
            **body,
            "input": {"type": "tiling-grid", **grid},
            "output": {"type": "raster", "delivery": {"s3": {"url": url}}},
        }
    return {**body, "tilingGrid": grid, "output": {"defaultTilePath": url}}


def ndvi_request(s3, url: str, geometry: dict, description: str):
    """The NDVI request the client tests create, as the model (`BatchClient.create` takes it): grid 1 at 20 m,
    delivered with the S3 server's keys (a v1 body leaves them out)."""
    from tilewise.core.batch_models import parse_request

    body = request_body(2, url, ("ndvi", "mask"), NDVI_WITH_MASK)
    body["processRequest"]["input"]["bounds"] = {"geometry": geometry, "properties": {"crs": CRS84_URL}}
    body["input"]["resolution"] = 20
    body["output"]["delivery"]["s3"].update(accessKey=s3.access_key, secretAccessKey=s3.secret_key)
    return parse_request(2, {**body, "description": description})


DELETE = object()  # with_changes: remove the key


def with_changes(body: dict, changes: dict) -> dict:
    """A copy of a request body with values at dotted paths ("output.delivery.s3.url", "a.0.b") set, or
    removed with DELETE."""
    import copy

    body = copy.deepcopy(body)
    for path, value in changes.items():
        target = body
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is DELETE:
            del target[keys[-1]]
        elif isinstance(target, list):
            target[int(keys[-1])] = value
        else:
            target[keys[-1]] = value
    return body


# --- faults: storage that goes away, a disk that fills up -------------------------------------------------


class TcpProxy:
    """A TCP forwarder from a fixed loopback port to `target` ("host:port"), in threads.

    `down()` stops listening and resets every open connection, which is what a client sees when its S3
    service goes away (connection refused, connection reset); `up()` listens again on the same port.
    The server behind it keeps running, and so keeps its state."""

    def __init__(self, target: str):
        import threading

        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> TcpProxy:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)  # the accept loop looks at the stop flag this often
        self._stop.clear()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        self._stop.set()
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            _reset(sock)

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                if self._stop.is_set():
                    _reset(client)
                    _reset(server)
                    return
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        return
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)  # pass the end of one direction on, as the peer sent it


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN: the peer sees "connection reset", as when a server dies."""
    import struct

    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def tmpfs_prefix(folder: Path, size: str) -> tuple[str, ...]:
    """A command prefix that runs a program in its own user and mount namespaces with a tmpfs of `size`
    (e.g. "64k") mounted at `folder`: a real small file system, private to that program (and readable
    from outside through /proc/<pid>/root). Needs root or unprivileged user namespaces."""
    return (
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        f'mount -t tmpfs -o size={size} tmpfs "{folder}" && exec "$@"',
        "sh",
    )


def can_mount_tmpfs() -> bool:
    """Whether `tmpfs_prefix` works on this machine (it needs user namespaces)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([*tmpfs_prefix(Path(folder), "16k"), "true"], capture_output=True, timeout=30)
    return done.returncode == 0


def replace_imports(monkeypatch, **modules) -> None:
    """What core/dependencies.py finds when it imports `name`: a stand-in module, or an exception to raise."""
    from tilewise.core import dependencies

    real_import = dependencies.importlib.import_module

    def import_module(name, *args):
        found = modules.get(name)
        if isinstance(found, Exception):
            raise found
        return real_import(name, *args) if found is None else found

    monkeypatch.setattr(dependencies.importlib, "import_module", import_module)
