"""Batch API v2 benchmarks: what execution-database uploads cost a job, and how true completionPercentage is.

    .venv/bin/python bench/bench_v2.py            # needs `make demo-data`

1. Upload cost: building and uploading `execution-<id>.sqlite` for 1,000 and 10,000 features to a local
   S3 server (moto), in this process; as a share of the default 30 s interval.
2. A/B on a live engine: the tutorial job through v2 (8 tiles of 1100 x 1100 px, 2 workers) with the
   execution database uploaded every second, and with only the final upload.
3. completionPercentage: polled every 0.1 s during that job, each GET bracketed by two listings of the
   outputs in the bucket: how far it ever lagged behind what was delivered, or ran ahead of it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bench_engine import tutorial_request  # noqa: E402
from testkit import local_engine, moto_server  # noqa: E402

from tilewise.core.tile_status import TileStatus  # noqa: E402
from tilewise.engine.artefacts import put_artefact, write_execution_db  # noqa: E402
from tilewise.engine.output.delivery import S3Delivery  # noqa: E402
from tilewise.engine.store import TileRecord  # noqa: E402

CATALOG = Path(os.environ.get("TILEWISE_DEMO_CATALOG", ROOT / "data" / "demo-catalog"))


def v2_request(bucket: str, s3) -> dict:
    """The engine benchmark's tutorial request, in v2 form, delivered with request keys."""
    v1 = tutorial_request(bucket)
    grid = v1["tilingGrid"]
    return {
        "processRequest": v1["processRequest"],
        "input": {"type": "tiling-grid", **grid},
        "output": {
            "type": "raster",
            "delivery": {
                "s3": {
                    "url": f"s3://{bucket}/job",
                    "accessKey": s3.access_key,
                    "secretAccessKey": s3.secret_key,
                }
            },  # fmt: skip
        },
    }


def upload_cost(s3) -> None:
    bucket = s3.new_bucket()
    delivery = S3Delivery(s3.endpoint_url, {"accessKey": s3.access_key, "secretAccessKey": s3.secret_key})
    for count in (1_000, 10_000):
        tiles = [
            TileRecord("bench", i, f"T{i:05d}", 32611, (0, 0, 1, 1), {}, TileStatus.PROCESSED if i % 3 else TileStatus.PENDING)
            for i in range(count)
        ]  # fmt: skip
        times = []
        for _ in range(5):
            started = time.perf_counter()
            put_artefact(
                delivery,
                f"s3://{bucket}/execution-bench.sqlite",
                lambda p, tiles=tiles: write_execution_db(p, tiles),
            )
            times.append(time.perf_counter() - started)
        best = min(times)
        print(
            f"upload: {count:,} features: build + upload {1000 * best:.1f} ms = {100 * best / 30:.2f}% of a 30 s interval"
        )


def run_job(workdir: Path, s3, interval: int) -> None:
    engine = local_engine(
        workdir / f"engine-{interval}-{time.time_ns()}",
        CATALOG,
        s3,
        2,
        TILEWISE_EXECUTION_DB_INTERVAL=str(interval),
    ).start()
    try:
        bucket = s3.new_bucket()
        created = engine.call("POST", "/api/v2/batch/process", json=v2_request(bucket, s3)).json()
        request_id = created["id"]
        engine.call("POST", f"/api/v2/batch/process/{request_id}/analyse")
        engine.wait_for(request_id, {"ANALYSIS_DONE"}, timeout=600, api="v2")
        client = s3.client()
        lag, ahead, polls = 0.0, 0.0, 0

        def delivered() -> float:
            return client.list_objects_v2(Bucket=bucket, Prefix=f"job/{request_id}/").get("KeyCount", 0) / 2

        started = time.monotonic()
        engine.call("POST", f"/api/v2/batch/process/{request_id}/start")
        while True:
            before = delivered()  # outputs listed before and after the GET bracket what it could know
            body = engine.call("GET", f"/api/v2/batch/process/{request_id}").json()
            after = delivered()
            counted = body["completionPercentage"] * (body.get("featureCount") or 8) / 100
            lag, ahead = max(lag, before - counted), max(ahead, counted - after)
            polls += 1
            if body["status"] in ("DONE", "FAILED", "STOPPED"):
                break
            time.sleep(0.1)
        seconds = time.monotonic() - started
        print(
            f"job: execution database every {interval} s: {seconds:.1f} s for 8 features ({body['status']}); "
            f"completionPercentage over {polls} polls: behind the delivered outputs by at most {lag:.2f} "
            f"features, ahead by at most {ahead:.2f}"
        )
    finally:
        engine.stop()


def main() -> None:
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-v2-") as tmp:
        servers = moto_server(Path(tmp) / "moto.log", {})
        s3 = next(servers)
        try:
            upload_cost(s3)
            for interval in (3600, 1, 3600, 1):  # alternate, to see the noise
                run_job(Path(tmp), s3, interval)
        finally:
            next(servers, None)


if __name__ == "__main__":
    main()
