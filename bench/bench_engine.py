"""Engine benchmarks: overhead per tile, tiles per minute, pollers under load, a 10,000-tile analysis.

    .venv/bin/python bench/bench_engine.py            # needs `make demo-data`

1. Overhead: the tutorial's tiles run in this process through `process_tile`;
   everything but data reading and the evalscript (search, compile, write,
   deliver, bookkeeping) as a share of the tile's time.
2. Throughput: the tutorial job (8 tiles of 1100 × 1100 px, ORBIT, July 2023) on
   a live engine with 1 and with 2 workers, delivering to a local S3 server.
3. Pollers: 50 clients GETting the request and its tiles while that job runs, each once a second
   (clients watching a job), then flat out (the API's ceiling); p50/p99.
4. Analysis: a request of more than 10,000 grid-1 tiles, from `analyse` to ANALYSIS_DONE.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from testkit import EngineServer, local_engine, moto_server  # noqa: E402

from tilewise.core.area import AreaOfInterest  # noqa: E402
from tilewise.core.batch_models import RasterOutput, parse_process_request  # noqa: E402
from tilewise.core.grids import tiles_for_area  # noqa: E402
from tilewise.engine.evalscript import Limits  # noqa: E402
from tilewise.engine.processor import process_tile  # noqa: E402
from tilewise.engine.tile_work import EngineContext, TileJob  # noqa: E402

CATALOG = Path(os.environ.get("TILEWISE_DEMO_CATALOG", ROOT / "data" / "demo-catalog"))
EVALSCRIPT = (ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js").read_text()
SHAPE = json.loads((ROOT / "tests" / "clients" / "tutorial_shape.geojson").read_text())


def tutorial_request(bucket: str) -> dict:
    return {
        "processRequest": {
            "input": {
                "bounds": {
                    "geometry": SHAPE["features"][0]["geometry"],
                    "properties": {"crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                },
                "data": [
                    {
                        "type": "sentinel-2-l1c",
                        "dataFilter": {
                            "timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-30T00:00:00Z"}
                        },
                    }
                ],
            },
            "output": {
                "responses": [
                    {"identifier": "NDVI", "format": {"type": "image/tiff"}},
                    {"identifier": "data_mask", "format": {"type": "image/tiff"}},
                ]
            },
            "evalscript": EVALSCRIPT,
        },
        "tilingGrid": {"id": 1, "resolution": 10, "bufferX": 50, "bufferY": 50},
        "bucketName": bucket,
        "description": "bench",
    }


def overhead(output_root: Path) -> None:
    import shapely.geometry

    area = AreaOfInterest.from_geometries(
        [shapely.geometry.shape(SHAPE["features"][0]["geometry"])], "EPSG:4326"
    )
    tiles = tiles_for_area(area, 1, 10, 50, 50).tiles
    request = parse_process_request(tutorial_request("unused")["processRequest"])
    context = EngineContext(catalog="demo", output_root=str(output_root), limits=Limits())
    totals: dict[str, float] = {}
    wall = 0.0
    for tile in tiles:
        job = TileJob(
            request_id="bench",
            tile_id=tile.id,
            tile_name=tile.name,
            epsg=tile.epsg,
            bounds=tile.bounds,
            resolution=10,
            buffer_x=50,
            buffer_y=50,
            process_request=request,
            output=RasterOutput(f"file://{output_root}/<tileName>/<outputId>.<format>", overwrite=True),
            engine=context,
        )
        outcome = process_tile(job)
        if not outcome.ok:
            raise SystemExit(f"tile {tile.name} failed: {outcome.error}")
        wall += outcome.seconds
        for stage, seconds in outcome.timings.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    core = totals.get("read", 0) + totals.get("evaluate", 0)
    print(f"overhead: {len(tiles)} tutorial tiles in {wall:.1f} s (one process)")
    for stage, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:9s} {seconds:7.2f} s  {100 * seconds / wall:5.1f} %")
    print(f"  engine overhead (all but read and evaluate): {100 * (wall - core) / wall:.1f} % of tile time")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def start_engine(workdir: Path, s3, workers: int) -> EngineServer:
    return local_engine(workdir / f"engine-{workers}-{time.time_ns()}", CATALOG, s3, workers).start()


def poll(
    engine: EngineServer, request_id: str, stop: threading.Event, latencies: list[float], interval: float
) -> None:
    """One client watching a job: GET the request, then its tiles, every `interval` seconds (0: flat out)."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {engine.token()}"
    paths = [f"/api/v1/batch/process/{request_id}", f"/api/v1/batch/process/{request_id}/tiles"]
    turn = 0
    stop.wait(random.uniform(0, interval))  # pollers do not start in lockstep
    while not stop.is_set():
        started = time.perf_counter()
        response = session.get(engine.url + paths[turn % 2], timeout=30)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        turn += 1
        stop.wait(interval)


def throughput(workdir: Path, s3, workers: int, pollers: int = 0, interval: float = 1.0) -> None:
    engine = start_engine(workdir, s3, workers)
    try:
        bucket = s3.new_bucket()
        created = engine.call("POST", "/api/v1/batch/process", json=tutorial_request(bucket)).json()
        engine.call("POST", f"/api/v1/batch/process/{created['id']}/analyse")
        engine.wait_for(created["id"], {"ANALYSIS_DONE"}, timeout=1800)
        stop = threading.Event()
        latencies: list[float] = []
        threads = [
            threading.Thread(target=poll, args=(engine, created["id"], stop, latencies, interval))
            for _ in range(pollers)
        ]
        started = time.monotonic()
        engine.call("POST", f"/api/v1/batch/process/{created['id']}/start")
        for thread in threads:
            thread.start()
        done = engine.wait_for(created["id"], {"DONE", "PARTIAL", "FAILED"}, timeout=1800)
        seconds = time.monotonic() - started
        stop.set()
        for thread in threads:
            thread.join()
        tiles = done["tileCount"]
        print(
            f"throughput: {workers} worker(s), {pollers} pollers every {interval:g} s: {tiles} tiles in {seconds:.1f} s = "
            f"{60 * tiles / seconds:.1f} tiles/min ({done['status']})"
        )
        if latencies:
            ordered = sorted(latencies)
            p99 = ordered[int(0.99 * (len(ordered) - 1))]
            print(
                f"  pollers: {len(latencies)} GETs, p50 {1000 * statistics.median(ordered):.1f} ms, "
                f"p99 {1000 * p99:.1f} ms, max {1000 * ordered[-1]:.1f} ms"
            )
    finally:
        engine.stop()


def big_analysis(workdir: Path, s3) -> None:
    engine = start_engine(workdir, s3, 1)
    try:
        body = tutorial_request(s3.new_bucket())
        # California, Nevada and the sea off them: more than 10,000 tiles of grid 1 at 10 m
        body["processRequest"]["input"]["bounds"] = {"bbox": [-125.0, 32.0, -114.0, 42.5]}
        body["tilingGrid"] = {"id": 1, "resolution": 10, "bufferX": 0, "bufferY": 0}
        started = time.monotonic()
        created = engine.call("POST", "/api/v1/batch/process", json=body).json()
        create_s = time.monotonic() - started
        started = time.monotonic()
        engine.call("POST", f"/api/v1/batch/process/{created['id']}/analyse")
        done = engine.wait_for(created["id"], {"ANALYSIS_DONE", "FAILED"}, timeout=1800)
        seconds = time.monotonic() - started
        print(
            f"analysis: {done['tileCount']} tiles analysed in {seconds:.2f} s (create: {create_s:.2f} s) [{done['status']}]"
        )
        started = time.monotonic()
        count, token = 0, None
        while True:
            params = {"count": 1000, **({"viewtoken": token} if token else {})}
            page = engine.call("GET", f"/api/v1/batch/process/{created['id']}/tiles", params=params).json()
            count += len(page["data"])
            token = page["links"].get("nextToken")
            if not token:
                break
        print(f"  listing all {count} tiles by pages of 1000: {time.monotonic() - started:.2f} s")
    finally:
        engine.stop()


def main() -> None:
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-") as tmp:
        workdir = Path(tmp)
        overhead(workdir / "overhead")
        servers = moto_server(workdir / "moto.log", {})
        s3 = next(servers)
        try:
            throughput(workdir, s3, 1)
            throughput(workdir, s3, 2)
            throughput(workdir, s3, 2, pollers=50, interval=1.0)  # 50 clients watching the job
            throughput(workdir, s3, 2, pollers=50, interval=0.0)  # 50 clients flat out: the API's ceiling
            big_analysis(workdir, s3)
        finally:
            next(servers, None)


if __name__ == "__main__":
    main()
