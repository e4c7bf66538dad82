"""Dask executor benchmark: throughput of a LocalCluster against the process pool, 1 and 2 workers.

    .venv/bin/python bench/bench_dask.py                       # needs `make demo-data`
    .venv/bin/python bench/bench_dask.py --copies 3 --rounds 1 # fewer tiles, one round: quicker

The workload is the tutorial job (its area, the NDVI-interpolation evalscript, ORBIT over July 2023,
NDVI and data-mask GeoTIFFs to a local S3 server) at 20 m instead of 10 m, so that a tile takes about
2 s, submitted `--copies` times at once (6 × 8 = 48 tiles). Each executor runs the same requests on a
fresh engine; the time is from the first start to the last request DONE. Dask's overhead per tile is
the difference with the process pool of the same size, divided by the number of tiles.

A cloud VM's cores vary in speed from minute to minute by more than the overhead measured, so the
executors take turns in every round (pool, Dask, pool, Dask …): the overhead is the median over rounds of
each Dask run against the pool run just before it.
The engine's log gives each tile's own time (from the worker's start of the tile to its delivery), which
separates a slower tile from time lost between tiles. First, the CPU an idle LocalCluster burns, with
Dask's defaults and with engine/dask-worker.yaml: CPU the tiles lose when the cores are saturated.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import CATALOG, tutorial_request  # noqa: E402
from testkit import local_engine, moto_server  # noqa: E402

IDLE_SECONDS = 30


def idle_cluster_cpu(settings: dict) -> tuple[float, float]:
    """Percent of a core that an idle LocalCluster of 2 workers burns: in this process (its scheduler and
    nannies, as in the engine's) and in the 2 worker processes. Deterministic where throughput is not."""
    import logging

    import dask
    import psutil
    from distributed import Client, LocalCluster

    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.ERROR,
        )
    client = Client(cluster, set_as_default=False)
    try:
        time.sleep(3)  # past the start-up
        me = psutil.Process()
        workers = me.children(recursive=True)

        def cpu() -> tuple[float, float]:
            own = sum(me.cpu_times()[:2])
            return own, sum(sum(w.cpu_times()[:2]) for w in workers)

        before = cpu()
        time.sleep(IDLE_SECONDS)
        after = cpu()
    finally:
        client.close()
        cluster.close()
    return tuple(100 * (a - b) / IDLE_SECONDS for a, b in zip(after, before))


TILE_TIME = re.compile(r"delivered in ([0-9.]+) s")  # the scheduler's log line for each delivered tile


def run(workdir: Path, s3, executor: str, workers: int, copies: int) -> tuple[int, float, float]:
    """Tiles, seconds from the first start to the last DONE, and the mean of the tiles' own times."""
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
    finally:
        engine.stop()
    tile_times = [float(t) for t in TILE_TIME.findall(engine.log_path.read_text())]
    assert len(tile_times) == tiles, f"{len(tile_times)} tile times in the log for {tiles} tiles"
    tile_mean = statistics.mean(tile_times)
    print(
        f"  {status['executor']:15s} {workers} worker(s): {tiles} tiles in {seconds:6.1f} s = "
        f"{60 * tiles / seconds:5.1f} tiles/min; a tile's own time {tile_mean:.3f} s on average",
        flush=True,
    )
    return tiles, seconds, tile_mean


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--copies", type=int, default=6, help="tutorial requests submitted at once (8 tiles each)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns of every executor")
    args = parser.parse_args()
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    print(f"machine: {os.cpu_count()} cores; {args.copies} tutorial requests at 20 m", flush=True)
    from tilewise.engine.dask_executor import worker_config

    for name, settings in (("Dask's defaults", {}), ("engine/dask-worker.yaml", worker_config())):
        own, workers = idle_cluster_cpu(settings)
        print(
            f"idle LocalCluster of 2 workers, {name}: scheduler and nannies {own:.2f} % of a core, "
            f"workers {workers:.2f} %",
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-dask-") as tmp:
        workdir = Path(tmp)
        servers = moto_server(workdir / "moto.log", {})
        s3 = next(servers)
        try:
            results: dict[tuple[str, int], list[tuple[int, float, float]]] = {}
            for round_ in range(1, args.rounds + 1):
                print(f"round {round_} of {args.rounds}", flush=True)
                for workers in (1, 2):
                    for executor in ("local", "dask-local"):
                        outcome = run(workdir, s3, executor, workers, args.copies)
                        results.setdefault((executor, workers), []).append(outcome)
            median = {
                key: (
                    runs[0][0],
                    statistics.median(r[1] for r in runs),
                    statistics.median(r[2] for r in runs),
                )
                for key, runs in results.items()
            }
            for workers in (1, 2):
                tiles, pool, pool_tile = median["local", workers]
                _, dask, dask_tile = median["dask-local", workers]
                # each round's Dask run against the pool run just before it: the machine's drift cancels
                paired = [
                    100 * (d[1] - p[1]) / p[1]
                    for p, d in zip(results["local", workers], results["dask-local", workers])
                ]
                print(
                    f"{workers} worker(s): Dask overhead {statistics.median(paired):+.1f} % "
                    f"({1000 * statistics.median(paired) / 100 * pool / tiles * workers:+.0f} ms per tile and "
                    f"worker; median of the rounds: {', '.join(f'{o:+.1f} %' for o in paired)}); medians: Dask "
                    f"{dask:.1f} s ({60 * tiles / dask:.1f} tiles/min), pool {pool:.1f} s "
                    f"({60 * tiles / pool:.1f} tiles/min); a tile's own time {dask_tile:.3f} s vs "
                    f"{pool_tile:.3f} s ({100 * (dask_tile - pool_tile) / pool_tile:+.1f} %)"
                )
            for executor in ("local", "dask-local"):
                one, two = median[executor, 1][1], median[executor, 2][1]
                print(f"{executor}: 2 workers {one / two:.2f}x the throughput of 1")
        finally:
            next(servers, None)


if __name__ == "__main__":
    main()
