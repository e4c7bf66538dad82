"""Field statistics: a batch statistical job of 10,000 field polygons against a plain GDAL + numpy script.

    .venv/bin/python bench/bench_field_statistics.py                  # 10,000 fields; needs `make demo-data`
    .venv/bin/python bench/bench_field_statistics.py --features 300   # a smoke run

The fields: irregular quadrilaterals of 0.5–5 ha (a fixed seed), one per 330 m cell of a grid over the demo
catalog's area (EPSG:32611), in a GeoPackage. The job: daily NDVI statistics (min, max, mean, stDev and the
10th, 50th and 90th percentiles, FLOAT32 output with dataMask) at 10 m for July 2023, whose six days with a
scene are evaluated. The engine is a real server on 127.0.0.1 with TILEWISE_WORKERS=1, then 2, reading the
GeoPackage from and writing one JSON per field to its output root (file://: no S3 server shares the two
cores); the clock runs from `/start` to DONE. The baseline is bench/baseline/field_statistics_numpy.py in the
project venv with 1, then 2 processes, at the workers' niceness, timed from reading the collection to its last
file. After each pair the statistics of 200 fields are compared number by number. The engine log's stage
timings per group are summed (the baseline reports its own); then, since the log's `evaluate` holds placing
the polygons, search, reads and V8, the largest groups run in this process with each of those timed
(`--profile-groups`), and one band window per group is read three ways (as the engine reads it, as a windowed
read of a file opened per read, as the baseline reads it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from unittest import mock

import numpy as np
import shapely
import shapely.affinity
from bench_engine import CATALOG  # puts tests/ on sys.path, for testkit
from osgeo import gdal, ogr, osr
from testkit import S3Server, local_engine

from tilewise.core.batch_models.statistical import parse_batch_statistical
from tilewise.engine import preview, statistical_work
from tilewise.engine.data.demo import DemoSpec
from tilewise.engine.data.model import TargetGrid
from tilewise.engine.data.reader import configure_gdal, warp_band
from tilewise.engine.data.source import DataSource
from tilewise.engine.evalscript import EvalscriptRuntime, Limits
from tilewise.engine.executors import WORKER_NICENESS
from tilewise.engine.statistical_features import group_bounds, group_features, read_statistical_features
from tilewise.engine.tile_work import EngineContext

ogr.UseExceptions()
ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline" / "field_statistics_numpy.py"
BASE = "/api/v1/statistics/batch"
EPSG = DemoSpec().epsg
MONTH = ("2023-07-01", "2023-08-01")
CELL_M = 330.0  # one field per cell of this grid: 10,201 cells over the demo area
MARGIN_M = 200.0
SEED = 27
PERCENTILES = [10, 50, 90]
COMPARED = 200  # fields whose statistics are compared between the engine and the baseline
NDVI = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08", "dataMask"]}],
          output: [{id: "NDVI", bands: 1, sampleType: "FLOAT32"}, {id: "dataMask", bands: 1}]};
}
function evaluatePixel(s) { return {NDVI: [(s.B08 - s.B04) / (s.B08 + s.B04)], dataMask: [s.dataMask]}; }
"""
# file:// in and out: the engine never calls S3, so no S3 server runs beside it to share the two cores
NO_S3 = S3Server(endpoint_url="http://127.0.0.1:9")
GROUP_LINE = re.compile(r"Tile (?:.+?) of (\S+) delivered in ([\d.]+) s \((.*)\)")


@dataclass
class Run:
    runner: str  # "engine" or "baseline"
    workers: int
    features: int
    seconds: float
    results: Path
    groups: int = 0
    reads: int = 0  # baseline: band windows read
    stages: dict[str, float] = field(
        default_factory=dict
    )  # seconds per stage summed over groups, total "group"
    cost_pu: float = 0.0

    @property
    def features_per_min(self) -> float:
        return 60 * self.features / self.seconds


# --- the fields ---------------------------------------------------------------------------------------------


def field_polygons(count: int, seed: int = SEED) -> list[shapely.Polygon]:
    """`count` field-like quadrilaterals of 0.5–5 ha, each in its own cell of a grid over the demo area."""
    x0, y0, x1, y1 = DemoSpec().bounds
    x0, y0, x1, y1 = x0 + MARGIN_M, y0 + MARGIN_M, x1 - MARGIN_M, y1 - MARGIN_M
    columns, rows = int((x1 - x0) // CELL_M), int((y1 - y0) // CELL_M)
    if count > columns * rows:
        raise SystemExit(f"--features {count} is more than the {columns * rows} fields the demo area holds.")
    rng = np.random.default_rng(seed)
    polygons = []
    for cell in rng.choice(columns * rows, size=count, replace=False):
        centre_x = x0 + (cell % columns + 0.5) * CELL_M
        centre_y = y0 + (cell // columns + 0.5) * CELL_M
        hectares = rng.uniform(0.5, 5.0)
        aspect = rng.uniform(0.7, 1.4)
        side = math.sqrt(hectares * 10_000)
        half_w, half_h = side * math.sqrt(aspect) / 2, side / math.sqrt(aspect) / 2
        corners = np.array([(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)])
        corners += np.clip(rng.normal(0, 0.05 * side, (4, 2)), -0.1 * side, 0.1 * side)
        shape = shapely.affinity.rotate(shapely.Polygon(corners), rng.uniform(-20, 20), origin=(0, 0))
        shape = shapely.affinity.scale(
            shape, *(2 * [math.sqrt(hectares * 10_000 / shape.area)]), origin=(0, 0)
        )
        polygons.append(shapely.affinity.translate(shape, centre_x, centre_y))
    return polygons


def write_fields(path: Path, polygons: list[shapely.Polygon]) -> Path:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = source.CreateLayer("fields", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("identifier", ogr.OFTString))
    layer.StartTransaction()
    for fid, polygon in enumerate(polygons, start=1):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetFID(fid)
        feature.SetField("identifier", f"field-{fid}")
        feature.SetGeometry(ogr.CreateGeometryFromWkb(shapely.to_wkb(polygon)))
        layer.CreateFeature(feature)
    layer.CommitTransaction()
    source = None
    return path


# --- the two runners ----------------------------------------------------------------------------------------


def job_body(features_url: str, output_url: str) -> dict:
    return {
        "input": {
            "features": {"s3": {"url": features_url}},
            "data": [{"type": "sentinel-2-l2a", "dataFilter": {"mosaickingOrder": "mostRecent"}}],
        },
        "aggregation": {
            "timeRange": {"from": f"{MONTH[0]}T00:00:00Z", "to": f"{MONTH[1]}T00:00:00Z"},
            "aggregationInterval": {"of": "P1D"},
            "evalscript": NDVI,
            "resx": 10,
            "resy": 10,
        },
        "calculations": {"NDVI": {"statistics": {"default": {"percentiles": {"k": PERCENTILES}}}}},
        "output": {"s3": {"url": output_url}},
    }


def stage_sums(log: str, request_id: str) -> tuple[int, dict[str, float]]:
    """The groups delivered and their stage timings summed, from the worker lines of the engine log."""
    groups, sums = 0, {"group": 0.0}
    for request, seconds, stages in GROUP_LINE.findall(log):
        if request != request_id:
            continue
        groups += 1
        sums["group"] += float(seconds)
        for part in stages.split(", "):
            stage, value = part.rsplit(" ", 1)
            sums[stage] = sums.get(stage, 0.0) + float(value)
    return groups, sums


def run_engine(workdir: Path, fields: Path, workers: int) -> Run:
    engine = local_engine(workdir / f"engine-{workers}", CATALOG, NO_S3, workers).start()
    try:
        inputs = engine.output_root / "input"
        inputs.mkdir(parents=True, exist_ok=True)
        shutil.copy(fields, inputs / "fields.gpkg")
        body = job_body(f"file://{inputs}/fields.gpkg", f"file://{engine.output_root}/results")
        created = engine.call("POST", BASE, json=body)
        if created.status_code != 201:
            raise SystemExit(f"the engine refused the job: {created.text}")
        task = created.json()
        request_id = task["id"]
        engine.call("POST", f"{BASE}/{request_id}/analyse").raise_for_status()
        status = f"{BASE}/{request_id}/status"
        analysed = engine.wait_for(request_id, {"ANALYSIS_DONE", "FAILED"}, timeout=600, path=status)
        if analysed["status"] != "ANALYSIS_DONE":
            raise SystemExit(f"the engine's analysis failed: {analysed.get('error')}")
        started = time.monotonic()
        engine.call("POST", f"{BASE}/{request_id}/start").raise_for_status()
        done = engine.wait_for(request_id, {"DONE", "FAILED", "STOPPED"}, timeout=7200, path=status)
        seconds = time.monotonic() - started
        if done["status"] != "DONE" or done.get("error"):
            raise SystemExit(f"the engine's job ended {done['status']}: {done.get('error')}")
        groups, stages = stage_sums(engine.log(), request_id)
        return Run(
            "engine",
            workers,
            task["featureCount"],
            seconds,
            engine.output_root / "results" / request_id,
            groups=groups,
            reads=0,
            stages=stages,
            cost_pu=done["costPU"],
        )
    finally:
        engine.stop()


def run_baseline(workdir: Path, fields: Path, workers: int) -> Run:
    out = workdir / f"baseline-{workers}"
    command = [
        sys.executable,
        str(BASELINE),
        "--collection",
        str(CATALOG / "sentinel-2-l2a" / "collection.json"),
        "--fields",
        str(fields),
        "--from",
        MONTH[0],
        "--to",
        MONTH[1],
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]
    # at the engine's worker niceness: both compete alike with whatever else runs on the machine
    finished = subprocess.run(
        command, capture_output=True, text=True, preexec_fn=lambda: os.nice(WORKER_NICENESS)
    )
    if finished.returncode != 0:
        raise SystemExit(f"the baseline failed:\n{finished.stderr[-4000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    return Run(
        "baseline",
        workers,
        result["features"],
        result["seconds"],
        out,
        groups=result["groups"],
        reads=result["reads"],
        stages={"group": sum(result["stages"].values()), **result["stages"]},
    )


# --- where a group's time goes --------------------------------------------------------------------------------

# The engine functions a group's work calls, by stage: the worker log's `evaluate` lumps the first four together.
TIMED_STAGES: list[tuple[object, str, str]] = [
    (statistical_work, "polygon_mask", "place"),  # rasterize each polygon on its own grid
    (preview, "search_scenes", "search"),  # per interval, in evaluate_on
    (statistical_work, "search_scenes", "search"),  # once per group, over the whole month
    (DataSource, "read", "read"),  # the GDAL warps of each interval's bands
    (EvalscriptRuntime, "evaluate", "V8"),
    (statistical_work, "interval_outputs", "statistics"),
    (statistical_work, "_deliver", "deliver"),
]


def timed(function: Callable, stage: str, seconds: dict[str, float]) -> Callable:
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started

    return wrapper


def engine_stages(workdir: Path, fields: Path, count: int) -> dict[str, float]:
    """The `count` largest groups of the job run in this process, as a worker runs them (after one group to
    warm up V8 and the catalog), with the engine functions of each stage timed: seconds per stage."""
    os.environ.setdefault("TILEWISE_DEMO_CATALOG", str(CATALOG))
    root = workdir / "in-process"
    root.mkdir(exist_ok=True)
    shutil.copy(fields, root / "fields.gpkg")
    request = parse_batch_statistical(
        job_body(f"file://{root}/fields.gpkg", f"file://{root}/results"), strict=False
    )
    layer = read_statistical_features(request.features_url, root, None, None)
    groups = sorted(group_features(layer.features, 10, 10).values(), key=len, reverse=True)[: count + 1]
    engine = EngineContext(catalog="demo", output_root=str(root), limits=Limits())
    jobs = [
        statistical_work.FeatureGroupJob(
            "in-process",
            number,
            layer.epsg,
            group_bounds(members, 10, 10),
            tuple(members),
            request.data[0],
            request.aggregation,
            request.calculations,
            f"file://{root}/results/in-process",
            engine,
        )
        for number, members in enumerate(groups, start=1)
    ]
    statistical_work.process_feature_group(jobs[0])
    seconds: dict[str, float] = {}
    with ExitStack() as patches:
        for owner, name, stage in TIMED_STAGES:
            patches.enter_context(mock.patch.object(owner, name, timed(getattr(owner, name), stage, seconds)))
        started = time.perf_counter()
        for job in jobs[1:]:
            outcome = statistical_work.process_feature_group(job)
            if not outcome.ok:
                raise SystemExit(f"group {job.tile_id} failed in this process: {outcome.error}")
        seconds["group"] = time.perf_counter() - started
    seconds["features"] = sum(len(job.features) for job in jobs[1:])
    return seconds


def read_costs(workdir: Path, fields: Path) -> dict[str, float]:
    """Milliseconds per window to read B04 of one scene (1 July) over every group's grid: as the engine reads
    (`warp_band`: a gdal.Warp of a file opened for the read), as a windowed read of a file opened for the read,
    and as the baseline reads (a windowed read of a dataset kept open, whose decoded blocks GDAL caches)."""
    configure_gdal()
    href = str(CATALOG / "sentinel-2-l2a" / "S2B_11SKV_20230701_0_L2A" / "B04.tif")
    root = workdir / "in-process"
    root.mkdir(exist_ok=True)
    shutil.copy(fields, root / "fields.gpkg")
    layer = read_statistical_features(f"file://{root}/fields.gpkg", root, None, None)
    grids = []
    for members in group_features(layer.features, 10, 10).values():
        x0, y0, x1, y1 = group_bounds(members, 10, 10)
        grids.append(TargetGrid(EPSG, (x0, y0, x1, y1), round((x1 - x0) / 10), round((y1 - y0) / 10)))
    kept = gdal.Open(href)
    left, _, _, top, _, _ = kept.GetGeoTransform()

    def window(grid: TargetGrid) -> tuple[int, int, int, int]:
        return (
            round((grid.bounds[0] - left) / 10),
            round((top - grid.bounds[3]) / 10),
            grid.width,
            grid.height,
        )

    def opened_for_the_read(grid: TargetGrid) -> np.ndarray:
        dataset = gdal.Open(href)
        return dataset.GetRasterBand(1).ReadAsArray(*window(grid))

    ways = {
        "engine (gdal.Warp)": lambda grid: warp_band(href, grid, "near"),
        "windowed read, file opened per read": opened_for_the_read,
        "windowed read, file kept open (baseline)": lambda grid: kept.GetRasterBand(1).ReadAsArray(
            *window(grid)
        ),
    }
    if not all(np.array_equal(read(grids[0]), warp_band(href, grids[0], "near")) for read in ways.values()):
        raise SystemExit("the three ways of reading a window disagree: the comparison would be meaningless")
    costs = {}
    for name, read in ways.items():
        started = time.perf_counter()
        for grid in grids:
            read(grid)
        costs[name] = 1000 * (time.perf_counter() - started) / len(grids)
    return costs


# --- comparing the two -------------------------------------------------------------------------------------


def compare(engine: Run, baseline: Run, fids: list[int]) -> str:
    """'bit-equal' when every compared number is, else the largest relative difference and where."""
    worst, where, numbers = 0.0, "", 0
    for fid in fids:
        ours = json.loads((engine.results / f"{fid}.json").read_text())
        theirs = json.loads((baseline.results / f"{fid}.json").read_text())
        entries, expected = ours["response"]["data"], theirs["response"]["data"]
        if [e["interval"] for e in entries] != [e["interval"] for e in expected]:
            return f"field {fid}: intervals differ ({len(entries)} against {len(expected)})"
        for entry, other in zip(entries, expected):
            if "outputs" not in entry:
                return f"field {fid}, {entry['interval']['from']}: the engine reports {entry.get('error')}"
            a, b = (
                entry["outputs"]["NDVI"]["bands"]["B0"]["stats"],
                other["outputs"]["NDVI"]["bands"]["B0"]["stats"],
            )
            pairs = [(k, a[k], b[k]) for k in ("min", "max", "mean", "stDev", "sampleCount", "noDataCount")]
            pairs += [(f"p{k}", a["percentiles"][k], b["percentiles"][k]) for k in b["percentiles"]]
            for name, x, y in pairs:
                numbers += 1
                if x == y:
                    continue
                if isinstance(x, str) or isinstance(y, str):
                    return f"field {fid}, {entry['interval']['from']}, {name}: {x} against {y}"
                difference = abs(x - y) / max(abs(y), 1e-300)
                if difference > worst:
                    worst, where = (
                        difference,
                        f"field {fid}, {entry['interval']['from']}, {name}: {x!r} against {y!r}",
                    )
    if not worst:
        return f"bit-equal ({numbers} numbers over {len(fids)} fields)"
    return f"largest relative difference {worst:.3g} ({where}; {numbers} numbers over {len(fids)} fields)"


# --- the report ---------------------------------------------------------------------------------------------


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def report(runs: list[Run]) -> None:
    print(f"\n{'runner':9} {'workers':>7} {'features':>8} {'groups':>6} {'seconds':>8} {'features/min':>12}")
    for run in runs:
        print(
            f"{run.runner:9} {run.workers:>7} {run.features:>8} {run.groups:>6} {run.seconds:>8.1f} "
            f"{run.features_per_min:>12.0f}"
        )
    for workers in sorted({run.workers for run in runs}):
        engine = next(r for r in runs if r.runner == "engine" and r.workers == workers)
        baseline = next(r for r in runs if r.runner == "baseline" and r.workers == workers)
        print(
            f"{workers} worker(s): engine {engine.features_per_min:.0f} features/min, baseline "
            f"{baseline.features_per_min:.0f}: engine at {engine.features_per_min / baseline.features_per_min:.2f}× "
            "the baseline"
        )
    for run in runs:
        cost = f", {run.cost_pu:.1f} PU" if run.runner == "engine" else f", {run.reads} band windows read"
        print(f"{run.runner}, {run.workers} worker(s): {run.groups} groups{cost}; {shares(run.stages)}")


def shares(stages: dict[str, float]) -> str:
    """'group time N s: stage s (share), …' from seconds per stage with the total under 'group'."""
    total = stages.get("group", 0.0)
    parts = ", ".join(
        f"{stage} {seconds:.1f} s ({100 * seconds / total:.0f} %)"
        for stage, seconds in stages.items()
        if stage not in ("group", "features") and total
    )
    return f"group time {total:.1f} s: {parts}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=10_000, help="how many fields (default 10,000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run (1 2)")
    parser.add_argument(
        "--profile-groups",
        type=int,
        default=5,
        help="groups timed stage by stage in this process (5; 0: none)",
    )
    args = parser.parse_args()
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}, GDAL {gdal.__version__}, numpy {np.__version__}, shapely {shapely.__version__}"
    )
    print(f"load before: {uptime()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-fields-") as tmp:
        workdir = Path(tmp)
        polygons = field_polygons(args.features)
        fields = write_fields(workdir / "fields.gpkg", polygons)
        hectares = np.array([p.area for p in polygons]) / 10_000
        print(
            f"{len(polygons)} fields, {hectares.min():.2f}–{hectares.max():.2f} ha (mean {hectares.mean():.2f})"
        )
        sample = sorted(random.Random(SEED).sample(range(1, len(polygons) + 1), min(COMPARED, len(polygons))))
        for workers in args.workers:
            engine = run_engine(workdir, fields, workers)
            print(f"engine, {workers} worker(s): {engine.features_per_min:.0f} features/min", flush=True)
            baseline = run_baseline(workdir, fields, workers)
            print(
                f"baseline, {workers} process(es): {baseline.features_per_min:.0f} features/min "
                f"({baseline.groups} groups, {baseline.reads} band windows read)",
                flush=True,
            )
            print(f"statistics, engine against baseline: {compare(engine, baseline, sample)}", flush=True)
            runs += [engine, baseline]
            shutil.rmtree(baseline.results)
            shutil.rmtree(engine.results)
        if args.profile_groups:
            stages = engine_stages(workdir, fields, args.profile_groups)
            print(
                f"\nthe engine's {args.profile_groups} largest groups ({stages['features']:.0f} features) in this "
                f"process, stage by stage: {shares(stages)}"
            )
        costs = read_costs(workdir, fields)
        print(
            "B04 of 1 July over each group's grid, ms per window: "
            + ", ".join(f"{k} {v:.1f}" for k, v in costs.items())
        )
    report(runs)
    print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()
