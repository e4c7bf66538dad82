"""Dask executor benchmark: throughput of a LocalCluster against the process pool, 1 and 2 workers.

    .venv/bin/python bench/bench_dask.py            # needs `make demo-data`
    .venv/bin/python bench/bench_dask.py --copies 3 # fewer tiles, quicker

The workload is the tutorial job (its area, the NDVI-interpolation evalscript, ORBIT over July 2023,
NDVI and data-mask GeoTIFFs to a local S3 server) at 20 m instead of 10 m, so that a tile takes about
2 s, submitted `--copies` times at once (6 × 8 = 48 tiles). Each executor runs the same requests on a
fresh engine; the time is from the first start to the last request DONE. Dask's overhead per tile is
the difference with the process pool of the same size, divided by the number of tiles.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import CATALOG, tutorial_request  # noqa: E402
from testkit import local_engine, moto_server  # noqa: E402


def run(workdir: Path, s3, executor: str, workers: int, copies: int) -> tuple[int, float]:
    engine = local_engine(
        workdir / f"{executor}-{workers}-{time.time_ns()}", CATALOG, s3, workers, TILEWISE_EXECUTOR=executor
    ).start()
    try:
        if executor != "local":  # the LocalCluster starts in the background: wait for its workers
            deadline = time.monotonic() + 120
            while not engine.call("GET", "/api/v1/engine/status").json()["dask"]["connected"]:
                assert time.monotonic() < deadline, "the LocalCluster did not start"
                time.sleep(0.2)
        ids = []
        for _ in range(copies):
            body = tutorial_request(s3.new_bucket())
            body["tilingGrid"] = {"id": 1, "resolution": 20, "bufferX": 25, "bufferY": 25}
            created = engine.call("POST", "/api/v1/batch/process", json=body).json()
            engine.call("POST", f"/api/v1/batch/process/{created['id']}/analyse")
            ids.append(created["id"])
        for request_id in ids:
            engine.wait_for(request_id, {"ANALYSIS_DONE"}, timeout=600)
        started = time.monotonic()
        for request_id in ids:
            engine.call("POST", f"/api/v1/batch/process/{request_id}/start")
        tiles = 0
        for request_id in ids:
            done = engine.wait_for(request_id, {"DONE", "PARTIAL", "FAILED"}, timeout=3600)
            assert done["status"] == "DONE", done.get("error")
            tiles += done["tileCount"]
        seconds = time.monotonic() - started
        status = engine.call("GET", "/api/v1/engine/status").json()
        print(
            f"{status['executor']:15s} {workers} worker(s): {tiles} tiles in {seconds:6.1f} s = "
            f"{60 * tiles / seconds:5.1f} tiles/min",
            flush=True,
        )
        return tiles, seconds
    finally:
        engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--copies", type=int, default=6, help="tutorial requests submitted at once (8 tiles each)"
    )
    args = parser.parse_args()
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    print(f"machine: {os.cpu_count()} cores; {args.copies} tutorial requests at 20 m", flush=True)
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-dask-") as tmp:
        workdir = Path(tmp)
        servers = moto_server(workdir / "moto.log", {})
        s3 = next(servers)
        try:
            results = {}
            for workers in (1, 2):
                for executor in ("local", "dask-local"):
                    results[executor, workers] = run(workdir, s3, executor, workers, args.copies)
            for workers in (1, 2):
                tiles, pool = results["local", workers]
                _, dask = results["dask-local", workers]
                print(
                    f"{workers} worker(s): Dask {dask:.1f} s vs pool {pool:.1f} s: overhead "
                    f"{1000 * (dask - pool) / tiles * workers:+.0f} ms per tile and worker = "
                    f"{100 * (dask - pool) / pool:+.1f} %"
                )
            for executor in ("local", "dask-local"):
                one, two = results[executor, 1][1], results[executor, 2][1]
                print(f"{executor}: 2 workers {one / two:.2f}x the throughput of 1")
        finally:
            next(servers, None)


if __name__ == "__main__":
    main()
