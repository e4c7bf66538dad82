"""The tutorial job through the engine's HTTP API against the plain odc-stac + numpy script a user would write.

    .venv/bin/python bench/bench_tutorial_job.py           # 3 rounds; needs `make demo-data`
    .venv/bin/python bench/bench_tutorial_job.py --quick   # 1 round: a smoke run
    .venv/bin/python bench/bench_tutorial_job.py --rounds 5

Alternating rounds of: the engine with 1 worker, the baseline with 1 process, the engine with 2 workers, the
baseline with 2 processes. The engine is a real server on 127.0.0.1, driven through its v1 Batch API
(create, analyse, then the clock runs from start to DONE), delivering to a local folder. The baseline is
bench/baseline/tutorial_numpy.py in its own venv (~/.cache/tilewise/bench-baseline-venv, built here from
bench/baseline/requirements.txt, never the project venv), timed from reading the catalog to its last file
(its interpreter start and imports are reported apart), at the niceness of the engine's workers. Both write the same GeoTIFFs: the baseline gets the
creation options the engine's writer passes to GDAL, captured at run time. After each pair the outputs are
compared pixel for pixel.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
from bench_engine import CATALOG, SHAPE, tutorial_request  # puts tests/ on sys.path, for testkit
from osgeo import gdal, osr
from testkit import S3Server, local_engine

from tilewise.core.area import AreaOfInterest
from tilewise.core.grids import GridTile, tiles_for_area
from tilewise.engine.executors import WORKER_NICENESS
from tilewise.engine.output import writer

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline"
BASELINE_VENV = Path.home() / ".cache" / "tilewise" / "bench-baseline-venv"
OUTPUTS = {"NDVI": "UINT16", "data_mask": "UINT8"}  # the tutorial script's outputs and sample types
GRID, RESOLUTION, BUFFER = 1, 10, 50  # as bench_engine.tutorial_request
# file:// delivery: the engine never calls S3, so no S3 server runs beside it to share the two cores
NO_S3 = S3Server(endpoint_url="http://127.0.0.1:9")


@dataclass
class Run:
    round: int
    runner: str  # "engine" or "baseline"
    workers: int
    tiles: int
    seconds: float
    outputs: Path
    start_up: float = 0.0  # baseline: interpreter start and imports, outside `seconds`

    @property
    def tiles_per_min(self) -> float:
        return 60 * self.tiles / self.seconds


# --- the baseline's venv and inputs ---------------------------------------------------------------------------


def baseline_python() -> Path:
    """The baseline venv's interpreter, (re)built when requirements.txt changed since it was built."""
    requirements = BASELINE / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = BASELINE_VENV / "requirements.sha256"
    python = BASELINE_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    print(f"building the baseline venv in {BASELINE_VENV} (pip install -r {requirements.relative_to(ROOT)})")
    base = shutil.which("python3") or sys.executable
    subprocess.run([base, "-m", "venv", "--clear", str(BASELINE_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(digest)
    return python


def tutorial_tiles() -> list[GridTile]:
    import shapely.geometry

    area = AreaOfInterest.from_geometries(
        [shapely.geometry.shape(SHAPE["features"][0]["geometry"])], "EPSG:4326"
    )
    return list(tiles_for_area(area, GRID, RESOLUTION, BUFFER, BUFFER).tiles)


def tiles_file(path: Path, tiles: list[GridTile]) -> Path:
    data = tutorial_request("unused")["processRequest"]["input"]["data"][0]["dataFilter"]["timeRange"]
    body = {
        "time_from": data["from"],
        "time_to": data["to"],
        "tiles": [
            {
                "name": tile.name,
                "epsg": tile.epsg,
                "bounds": list(tile.buffered_bounds),
                "width": tile.buffered_width,
                "height": tile.buffered_height,
                "resolution": RESOLUTION,
            }
            for tile in tiles
        ],
    }
    path.write_text(json.dumps(body))
    return path


def engine_creation_options(scratch: Path) -> dict[str, list[str]]:
    """The GTiff creation options engine/output/writer.py passes to GDAL for each sample type, by calling it."""
    real_driver = gdal.GetDriverByName
    found: dict[str, list[str]] = {}

    class GTiffSpy:
        def __init__(self, driver, sample_type: str):
            self.driver, self.sample_type = driver, sample_type

        def CreateCopy(self, path, source, strict=0, options=()):  # noqa: N802 (GDAL's name)
            found[self.sample_type] = list(options)
            return self.driver.CreateCopy(path, source, strict=strict, options=options)

    placement = writer.RasterPlacement(32611, 0.0, 0.0, float(RESOLUTION))
    for sample_type in OUTPUTS.values():

        def driver(name: str, sample_type: str = sample_type):
            real = real_driver(name)
            return GTiffSpy(real, sample_type) if name == "GTiff" else real

        data = np.zeros((1, 16, 16), writer.NUMPY_TYPES[sample_type])
        with mock.patch.object(writer.gdal, "GetDriverByName", driver):
            writer.write_geotiff(
                scratch / f"probe-{sample_type}.tif",
                data,
                sample_type,
                None,
                placement,
                writer.TiffMetadata(),
            )
    return found


# --- the two runners --------------------------------------------------------------------------------------------


def run_engine(workdir: Path, round_: int, workers: int) -> Run:
    engine = local_engine(workdir / f"engine-{round_}-{workers}", CATALOG, NO_S3, workers).start()
    try:
        body = tutorial_request("unused")
        del body["bucketName"]
        body["output"] = {
            "defaultTilePath": f"file://{engine.output_root}/<tileName>/<outputId>.<format>",
            "overwrite": True,
        }
        created = engine.call("POST", "/api/v1/batch/process", json=body)
        created.raise_for_status()
        request_id = created.json()["id"]
        engine.call("POST", f"/api/v1/batch/process/{request_id}/analyse").raise_for_status()
        engine.wait_for(request_id, {"ANALYSIS_DONE"}, timeout=1800)
        started = time.monotonic()
        engine.call("POST", f"/api/v1/batch/process/{request_id}/start").raise_for_status()
        done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=3600)
        seconds = time.monotonic() - started
        if done["status"] != "DONE":
            raise SystemExit(f"the engine's job ended {done['status']}: {done.get('error')}")
        return Run(round_, "engine", workers, done["tileCount"], seconds, engine.output_root)
    finally:
        engine.stop()


def run_baseline(python: Path, workdir: Path, tiles: Path, options: Path, round_: int, workers: int) -> Run:
    out = workdir / f"baseline-{round_}-{workers}"
    command = [
        str(python),
        str(BASELINE / "tutorial_numpy.py"),
        "--collection",
        str(CATALOG / "sentinel-2-l1c" / "collection.json"),
        "--tiles",
        str(tiles),
        "--out",
        str(out),
        "--creation-options",
        str(options),
        "--workers",
        str(workers),
    ]
    started = time.monotonic()
    # at the engine's worker niceness: both compete alike with whatever else runs on the machine
    finished = subprocess.run(
        command, capture_output=True, text=True, preexec_fn=lambda: os.nice(WORKER_NICENESS)
    )
    wall = time.monotonic() - started
    if finished.returncode != 0:
        raise SystemExit(f"the baseline failed:\n{finished.stderr[-4000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    return Run(round_, "baseline", workers, result["tiles"], result["seconds"], out, wall - result["seconds"])


# --- comparing outputs -------------------------------------------------------------------------------------------


def compare_file(engine_file: Path, baseline_file: Path) -> str:
    """'identical', or what differs: grid, type, or the number of differing values (band × pixel)."""
    if not baseline_file.exists() or not engine_file.exists():
        return f"missing: {engine_file if not engine_file.exists() else baseline_file}"
    ours, theirs = gdal.Open(str(engine_file)), gdal.Open(str(baseline_file))
    grid = lambda d: (d.RasterXSize, d.RasterYSize, d.RasterCount, d.GetGeoTransform())  # noqa: E731
    if grid(ours) != grid(theirs):
        return f"grids differ: {grid(ours)} against {grid(theirs)}"
    if not osr.SpatialReference(ours.GetProjection()).IsSame(osr.SpatialReference(theirs.GetProjection())):
        return "CRS differ"
    a, b = ours.ReadAsArray(), theirs.ReadAsArray()
    if a.dtype != b.dtype:
        return f"types differ: {a.dtype} against {b.dtype}"
    differing = a != b
    if not differing.any():
        return "identical"
    bands = [index + 1 for index in range(differing.shape[0]) if differing[index].any()]
    return f"{int(differing.sum())} of {differing.size} values differ (bands {bands})"


def compare_runs(engine: Run, baseline: Run, tiles: list[GridTile]) -> dict[str, str]:
    """Per output id: 'identical' when every tile's file is, else each tile's difference."""
    verdicts = {}
    for output in OUTPUTS:
        results = {
            tile.name: compare_file(
                engine.outputs / tile.name / f"{output}.tif", baseline.outputs / tile.name / f"{output}.tif"
            )
            for tile in tiles
        }
        differing = {name: text for name, text in results.items() if text != "identical"}
        verdicts[output] = (
            "identical" if not differing else "; ".join(f"{n}: {t}" for n, t in differing.items())
        )
    return verdicts


# --- the report ---------------------------------------------------------------------------------------------------


def machine(python: Path) -> str:
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, numpy, odc.stac, rasterio, pystac; print(f'Python {sys.version.split()[0]}, "
            "odc-stac {odc.stac.__version__}, rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}), "
            "pystac {pystac.__version__}, numpy {numpy.__version__}')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; engine: Python "
        f"{platform.python_version()}, GDAL {gdal.__version__}, numpy {np.__version__}; baseline: {versions}"
    )


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def report(runs: list[Run]) -> None:
    print(
        f"\n{'round':>5} {'runner':9} {'workers':>7} {'tiles':>5} {'seconds':>8} {'tiles/min':>9}  start-up"
    )
    for run in runs:
        start = f"{run.start_up:.1f} s" if run.runner == "baseline" else ""
        print(
            f"{run.round:>5} {run.runner:9} {run.workers:>7} {run.tiles:>5} {run.seconds:>8.1f} "
            f"{run.tiles_per_min:>9.1f}  {start}"
        )
    print("\nmedian tiles/min (engine / baseline):")
    for workers in sorted({run.workers for run in runs}):
        median = {
            runner: statistics.median(
                r.tiles_per_min for r in runs if r.runner == runner and r.workers == workers
            )
            for runner in ("engine", "baseline")
        }
        print(
            f"  {workers} worker(s): engine {median['engine']:.1f}, baseline {median['baseline']:.1f}: "
            f"engine at {median['engine'] / median['baseline']:.2f}× the baseline"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: give at least 1 round")
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    python = baseline_python()
    print(f"machine: {machine(python)}")
    print(f"load before: {uptime()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-tutorial-") as tmp:
        workdir = Path(tmp)
        tiles = tutorial_tiles()
        tiles_json = tiles_file(workdir / "tiles.json", tiles)
        options = workdir / "creation-options.json"
        options.write_text(json.dumps(engine_creation_options(workdir)))
        print(f"GeoTIFF creation options (from the engine's writer): {options.read_text()}")
        for round_ in range(1, 2 if args.quick else args.rounds + 1):
            for workers in (1, 2):
                engine = run_engine(workdir, round_, workers)
                baseline = run_baseline(python, workdir, tiles_json, options, round_, workers)
                runs += [engine, baseline]
                verdicts = compare_runs(engine, baseline, tiles)
                print(
                    f"round {round_}, {workers} worker(s): engine {engine.tiles_per_min:.1f} tiles/min, baseline "
                    f"{baseline.tiles_per_min:.1f}; outputs: "
                    + ", ".join(f"{output} {verdict}" for output, verdict in verdicts.items()),
                    flush=True,
                )
                shutil.rmtree(baseline.outputs)
                shutil.rmtree(engine.outputs)
    report(runs)
    print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()
