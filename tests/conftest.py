"""Fixtures shared by every suite: a real local S3 server (moto in server mode).

The server is a separate process speaking the S3 protocol on 127.0.0.1, so the
code under test reaches it exactly as it would reach AWS or MinIO: boto3 with an
endpoint URL, and GDAL through /vsis3/ with path-style addressing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from pathlib import Path

import pytest
from testkit import EngineServer, S3Server, local_engine, moto_server

# QGIS's authentication database of the test run: a fresh one, never the user's (read when QGIS starts,
# which pytest-qgis does after this file is imported). tests/qgis/conftest.py sets its master password.
os.environ.setdefault("QGIS_AUTH_DB_DIR_PATH", tempfile.mkdtemp(prefix="tilewise-qgis-auth-"))

GDAL_S3_OPTIONS = (
    "AWS_S3_ENDPOINT", "AWS_HTTPS", "AWS_VIRTUAL_HOSTING", "AWS_REGION", "AWS_NO_SIGN_REQUEST",
    "AWS_REQUEST_PAYER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
)  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_gdal_s3_options():
    """GDAL configuration is process-wide: a test that reads through /vsis3/ must not leak its settings."""
    yield
    from osgeo import gdal

    for option in GDAL_S3_OPTIONS:
        gdal.SetConfigOption(option, None)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> S3Server:
    """A moto S3 server process on a free loopback port, for the whole session."""
    yield from moto_server(tmp_path_factory.mktemp("moto") / "moto.log", {})


@pytest.fixture(scope="session")
def strict_s3_server(tmp_path_factory) -> S3Server:
    """A moto S3 server that checks credentials (IAM auth from the first call): any key is refused with 403."""
    yield from moto_server(
        tmp_path_factory.mktemp("moto-strict") / "moto.log", {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    )


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket on the local S3 server."""
    return s3_server.new_bucket()


@pytest.fixture
def engine_factory(tmp_path, s3_server):
    """Start engines (with S3 delivery to the local S3 server); all are stopped after the test."""
    engines: list[EngineServer] = []

    def start(catalog_dir: Path, workers: int = 1, **extra_env: str) -> EngineServer:
        engine = local_engine(
            tmp_path / f"engine{len(engines)}", catalog_dir, s3_server, workers, **extra_env
        )
        engines.append(engine)
        return engine.start()

    yield start
    for engine in engines:
        engine.stop()
        if engine.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(engine.proc.pid, signal.SIGKILL)  # stray workers, if any


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory) -> Path:
    """A small synthetic catalog (both collections, 3 dates) over the tutorial's test sub-area; built once."""
    from tilewise.engine.data.demo import SMALL_SPEC, build_catalog

    root = tmp_path_factory.mktemp("catalog")
    build_catalog(root, SMALL_SPEC)
    return root


# --- deprecations in the project's own code fail the run ---------------------------------------------------
# A QGIS (or Python, GDAL, numpy) API that warns of its deprecation when the plugin or the engine calls it is
# the next release's breakage: QGIS 3.40 and 3.44 of the matrix warn of what QGIS 4 may drop. They are
# collected rather than raised, since an exception inside a Qt slot or virtual method would abort QGIS.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
_deprecations: dict[tuple[str, int, str], str] = {}


def _project_file(filename: str) -> str | None:
    try:
        relative = Path(filename).resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        return None
    return None if relative.parts[0].startswith(".venv") else relative.as_posix()


def pytest_warning_recorded(warning_message, when, nodeid, location):
    if not issubclass(warning_message.category, DeprecationWarning):
        return
    where = _project_file(warning_message.filename)
    if where is not None:
        key = (where, warning_message.lineno, str(warning_message.message))
        _deprecations.setdefault(key, nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _deprecations:
        terminalreporter.section(
            "deprecated APIs called by the project's code (these fail the run)", red=True
        )
        for (where, line, message), nodeid in sorted(_deprecations.items()):
            terminalreporter.line(f"{where}:{line}: {message}  (first in {nodeid})")


def pytest_sessionfinish(session, exitstatus):
    if _deprecations and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
