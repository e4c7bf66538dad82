"""Plugin benchmark: a finished job's 100 outputs opened from the local S3 server (core/outputs.py,
ui/output_layers.py). Target (issue 9): 100 output tiles open as layers or as a mosaic in under 5 s.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_outputs.py

The outputs are written by the engine's own GeoTIFF writer (tiled 256 × 256, DEFLATE, float32 NDVI-like
values, 500 × 500 px: grid 1 at 20 m) and uploaded to a moto S3 server in its own process, 50 tiles in UTM
zone 10 and 50 in zone 11, under the default layout of a v2 job. Each figure is the best of 3 runs, every
run from a cold GDAL cache into an empty project; the first (cold) run is shown beside it.

1. open 100 as layers, outputs not described first: approximate statistics on a sample, on the main thread;
2. the same, described first off the main thread (prepare_outputs: listing + parallel GDAL header and sampled
   statistics reads), then the layers created with their style set (no pixel read on the main thread);
3. build the mosaics (one VRT per zone) and add them; the same reprojected to EPSG:4326 (one VRT);
4. download the 100 files to a folder, then again (a resumed run: everything already there).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from osgeo import gdal  # noqa: E402
from qgis.core import Qgis, QgsApplication, QgsProject  # noqa: E402

APP = QgsApplication([], False)
APP.initQgis()

from testkit import moto_server, request_body  # noqa: E402

from tilewise.core.http import Cancel  # noqa: E402
from tilewise.core.jobs import BatchJob  # noqa: E402
from tilewise.core.outputs import (  # noqa: E402
    build_mosaics,
    describe_outputs,
    download,
    list_outputs,
    prepare_outputs,
)
from tilewise.core.storage import S3Access  # noqa: E402
from tilewise.engine.output.writer import RasterPlacement, TiffMetadata, write_geotiff  # noqa: E402
from tilewise.ui.output_layers import add_mosaic_layers, add_output_layers  # noqa: E402

TILES = 100
SIZE_PX, RESOLUTION = 500, 20.0
JOB_ID = "8f1c2a7e-bench-outputs"
REPEAT = 3


def write_tiles(folder: Path) -> list[tuple[str, Path]]:
    """100 tiles: 10 × 5 in zone 10 (EPSG:32610) west of 120°W, 10 × 5 in zone 11 east of it, ~36°N."""
    rng = np.random.default_rng(11)
    tiles = []
    for index in range(TILES):
        zone = 10 if index < TILES // 2 else 11
        column, row = index % 10, (index % (TILES // 2)) // 10
        x0 = (700_000 if zone == 10 else 170_000) + column * 10_000
        y1 = 4_000_000 - row * 10_000
        name = f"{zone}SBENCH_{column}_{row}"
        data = (rng.random((1, SIZE_PX, SIZE_PX), dtype=np.float32) * 1.6 - 0.6).astype(np.float32)
        path = folder / name / "ndvi.tif"
        path.parent.mkdir(parents=True)
        write_geotiff(
            path, data, "FLOAT32", None, RasterPlacement(32600 + zone, x0, y1, RESOLUTION), TiffMetadata()
        )
        tiles.append((name, path))
    return tiles


def fresh() -> None:
    """A cold start: no cached GDAL blocks or listings, an empty project."""
    gdal.VSICurlClearCache()
    QgsProject.instance().clear()


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(label: str, steps, rows: list) -> None:
    """`steps()` returns [(part, seconds)...] for one cold run; keeps the best total of REPEAT runs."""
    runs = []
    for _ in range(REPEAT):
        fresh()
        runs.append(steps())
    totals = [sum(seconds for _, seconds in run) for run in runs]
    best = runs[totals.index(min(totals))]
    detail = ", ".join(f"{part} {seconds:.2f} s" for part, seconds in best) if len(best) > 1 else ""
    rows.append((label, min(totals), totals[0], detail))


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="tilewise-bench-outputs-"))
    server = moto_server(scratch / "moto.log", {})
    s3 = next(server)
    try:
        run(s3, scratch)
    finally:
        next(server, None)


def run(s3, scratch: Path) -> None:
    bucket = s3.new_bucket()
    tiles = write_tiles(scratch / "tiles")
    client = s3.client()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda t: client.upload_file(str(t[1]), bucket, f"bench/{JOB_ID}/{t[0]}/ndvi.tif"), tiles
            )
        )
    sizes = [p.stat().st_size for _, p in tiles]
    access = S3Access(s3.endpoint_url, s3.region, s3.access_key, s3.secret_key)
    job = BatchJob.from_v2(
        {
            "id": JOB_ID,
            "status": "DONE",
            "request": {**request_body(2, f"s3://{bucket}/bench", ("ndvi",)), "description": "bench"},
        },
        "local",
    )
    rows: list = []

    def plain_layers():
        listing, outputs = timed(lambda: list_outputs(access, job))
        adding, layers = timed(lambda: add_output_layers(job, outputs, access))
        assert len(layers) == TILES and not layers.problems, layers.problems
        return [("list", listing), ("add on the main thread", adding)]

    def described_layers():
        preparing, outputs = timed(lambda: prepare_outputs(access, job))
        adding, layers = timed(lambda: add_output_layers(job, outputs, access))
        assert len(layers) == TILES and not layers.problems, layers.problems
        return [("list + describe (background)", preparing), ("add on the main thread", adding)]

    def mosaics(target):
        def steps():
            listing, outputs = timed(lambda: list_outputs(access, job))
            folder = scratch / f"mosaics-{target}"
            building, built = timed(lambda: build_mosaics(outputs, folder, access, reproject_to=target))
            assert len(built) == (2 if target is None else 1), built.problems
            adding, layers = timed(lambda: add_mosaic_layers(job, built))
            assert len(layers) == len(built)
            return [("list", listing), ("build (background)", building), ("add on the main thread", adding)]

        return steps

    measure("open 100 as layers (not described: sampled statistics)", plain_layers, rows)
    measure("open 100 as layers (described first)", described_layers, rows)
    measure("build 2 mosaics (one per UTM zone) + add", mosaics(None), rows)
    measure("build 1 mosaic reprojected to EPSG:4326 + add", mosaics(4326), rows)

    outputs = list_outputs(access, job)
    downloads: list[float] = []

    def download_all():
        folder = scratch / f"download-{len(downloads)}"
        seconds, paths = timed(lambda: download(outputs, folder, access, lambda p: None, Cancel()))
        assert len(paths) == TILES
        again, resumed = timed(lambda: download(outputs, folder, access, lambda p: None, Cancel()))
        assert len(resumed) == TILES
        downloads.append(again)
        return [("download", seconds)]

    measure(f"download 100 ({sum(sizes) / 1e6:.0f} MB, 4 at a time)", download_all, rows)
    rows.append(("download again (resumed: all 100 already there)", min(downloads), downloads[0], ""))

    fresh()
    serial, _ = timed(lambda: describe_outputs(outputs, access, workers=1))
    fresh()
    parallel, _ = timed(lambda: describe_outputs(outputs, access))
    rows.append(("describe 100: 1 thread", serial, serial, ""))
    rows.append(("describe 100: 8 threads", parallel, parallel, ""))

    print(
        f"{TILES} outputs of {SIZE_PX} × {SIZE_PX} px float32 ({sum(sizes) / TILES / 1e3:.0f} kB each), moto S3 on "
        f"127.0.0.1, QGIS {Qgis.version()}, GDAL {gdal.__version__}"
    )
    print(f"{'what':56} {'best s':>7} {'cold s':>7}  parts (best run)")
    for label, best, cold, detail in rows:
        print(f"{label:56} {best:7.2f} {cold:7.2f}  {detail}")
    print()
    print("nproc:", subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
    print("\n".join(lscpu[:10]))


if __name__ == "__main__":
    main()
