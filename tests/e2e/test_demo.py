"""`make demo` end to end: scripts/demo.py as a subprocess, starting (and stopping) its own engine on a free port
and a fresh data dir, on the real demo catalog (8 tiles, under a minute on 2 cores)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo.py"
MAP_SIZE = (1600, 1200)
ENGINE_VARIABLES = ("TILEWISE_OUTPUT_ROOT", "TILEWISE_S3_ENDPOINT_URL", "TILEWISE_HOST", "TILEWISE_CATALOG")


def run_demo(out: Path, env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DEMO), "--out", str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )


def demo_env(tmp_path: Path, catalog: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ENGINE_VARIABLES}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        TILEWISE_PORT=str(port),
        TILEWISE_DATA_DIR=str(tmp_path / "engine"),
        TILEWISE_DEMO_CATALOG=str(catalog),
        TILEWISE_CLIENT_ID=TEST_CLIENT_ID,
        TILEWISE_CLIENT_SECRET=TEST_CLIENT_SECRET,
        TILEWISE_WORKERS="2",
    )
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/openapi.json", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def engine_cleanup(tmp_path):
    """Whatever happens, no engine the demo started outlives the test (its pid is in the data dir)."""
    yield
    import signal

    pid_file = tmp_path / "engine" / "engine.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.killpg(int(pid_file.read_text().strip()), signal.SIGKILL)


def test_demo_runs_the_tutorial_and_writes_its_outputs(tmp_path, demo_catalog, engine_cleanup):
    from qgis.PyQt.QtGui import QImage

    out = tmp_path / "demo-output"
    port = free_port()
    done = run_demo(out, demo_env(tmp_path, demo_catalog, port))
    log = (tmp_path / "engine" / "engine.log").read_text(errors="replace")[-3000:]
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}\nengine log:\n{log}"

    # The engine it started is stopped.
    assert not answers(f"http://127.0.0.1:{port}")
    assert not (tmp_path / "engine" / "engine.pid").exists()

    summary = (out / "summary.txt").read_text()
    assert "result: OK" in summary
    assert "API version: v2" in summary
    assert "tile count: 8 (core/grids.py: 8;" in summary
    assert "job status: DONE" in summary
    assert "tile statuses: DONE 8" in summary
    assert "PU estimate (service): " in summary and "PU estimate (ours, core/costs.py): " in summary
    assert "MISSING" not in summary
    # progress lines from the watcher, and the final one
    assert "] PROCESSING" in done.stdout and "] DONE 100%" in done.stdout

    from osgeo import gdal

    true_colour = gdal.Open(str(out / "preview-true-colour.tif"))
    assert true_colour.RasterCount == 4 and true_colour.RasterXSize > 500
    ndvi = gdal.Open(str(out / "preview-ndvi.tif"))
    assert ndvi.RasterXSize > 100 and gdal.GetDataTypeName(ndvi.GetRasterBand(1).DataType) == "UInt16"
    copies = sorted(p.relative_to(out / "outputs").as_posix() for p in (out / "outputs").rglob("*.tif"))
    assert len(copies) == 16 and "11SKV_9_0/NDVI.tif" in copies and "11SKV_9_0/data_mask.tif" in copies
    mosaics = list((out / "mosaics").glob("NDVI_EPSG*.vrt"))
    assert len(mosaics) == 1
    mosaic = gdal.Open(str(mosaics[0]))
    assert mosaic.RasterXSize > 3000 and mosaic.GetRasterBand(1).ComputeRasterMinMax(True)[1] > 10000

    image = QImage(str(out / "demo-map.png"))
    assert not image.isNull()
    assert (image.width(), image.height()) == MAP_SIZE
    colours = {image.pixel(x, y) for x in range(0, image.width(), 20) for y in range(0, image.height(), 20)}
    assert len(colours) > 200, f"the map looks uniform: {len(colours)} colours"


def test_demo_fails_clearly_without_an_engine(tmp_path, demo_catalog):
    out = tmp_path / "demo-output"
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = run_demo(out, demo_env(tmp_path, demo_catalog, free_port()), "--engine-url", url, timeout=120)
    assert done.returncode == 1
    assert "demo: FAILED: 0b. connect to the engine" in done.stderr
    assert url in done.stderr
    assert "result: FAILED" in (out / "summary.txt").read_text()
