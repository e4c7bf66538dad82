"""Plugin client benchmarks: what monitoring a 10,000-tile v1 job costs the client and the service.

    .venv/bin/python bench/bench_client.py            # needs `make demo-data`

A live engine (2 workers) takes a v1 request of 11,641 grid-1 tiles at 20 m (California, Nevada and the sea
off them; a trivial evalscript), analyses it, and processes it for a while; a JobWatcher polls it every
0.5 s. Reported: one full tile listing (time, client CPU), then per poll while tiles move: client CPU,
requests, and how many full listings the whole watch made.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bench_engine import CATALOG  # noqa: E402
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, local_engine, moto_server  # noqa: E402

from tilewise.core.auth import ClientCredentials  # noqa: E402
from tilewise.core.client import BatchClient  # noqa: E402
from tilewise.core.deployments import custom_deployment  # noqa: E402
from tilewise.core.monitor import JobWatcher  # noqa: E402
from tilewise.core.statuses import V1  # noqa: E402

SCRIPT = """//VERSION=3
function setup() { return {input: ["B04", "dataMask"], output: {bands: 1, sampleType: "UINT8"}}; }
function evaluatePixel(s) { return [s.dataMask]; }"""
WATCH_S = 40


def main() -> None:
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-client-") as tmp:
        servers = moto_server(Path(tmp) / "moto.log", {})
        s3 = next(servers)
        engine = local_engine(Path(tmp) / "engine", CATALOG, s3, 2).start()
        deployment = custom_deployment("bench engine", engine.url, api_versions=(V1,))
        try:
            with BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET), V1) as client:
                body = {
                    "processRequest": {
                        "input": {"bounds": {"bbox": [-125.0, 32.0, -114.0, 42.5]},
                                  "data": [{"type": "sentinel-2-l2a", "dataFilter": {"timeRange": {
                                      "from": "2023-07-01T00:00:00Z", "to": "2023-07-30T00:00:00Z"}}}]},
                        "output": {"responses": [{"identifier": "default", "format": {"type": "image/tiff"}}]},
                        "evalscript": SCRIPT,
                    },
                    "tilingGrid": {"id": 1, "resolution": 20},
                    "output": {"defaultTilePath": f"s3://{s3.new_bucket()}/big", "overwrite": True},
                }  # fmt: skip
                job = client.create_raw(body)
                client.analyse(job.id)
                while client.get(job.id).status != "ANALYSIS_DONE":
                    time.sleep(0.2)

                cpu, wall = time.process_time(), time.perf_counter()
                tiles = list(client.tiles(job.id))
                print(
                    f"full listing: {len(tiles):,} tiles in {time.perf_counter() - wall:.2f} s, "
                    f"client CPU {1000 * (time.process_time() - cpu):.0f} ms ({-(-len(tiles) // 1000)} pages)"
                )

                watcher = JobWatcher(client, job.id, min_interval_s=0.5, max_interval_s=0.5)
                watcher.poll()  # the first look: one full listing
                client.start(job.id)
                per_poll, requests = [], []
                deadline = time.monotonic() + WATCH_S
                while time.monotonic() < deadline:
                    before_requests = watcher.requests
                    cpu = time.process_time()
                    update = watcher.poll()
                    if update.job.status == "PROCESSING" and not update.full:
                        per_poll.append(time.process_time() - cpu)
                        requests.append(watcher.requests - before_requests)
                    time.sleep(watcher.interval_s)
                processed = sum(s == "PROCESSED" for s in watcher.statuses.values())
                client.stop(job.id)
                print(
                    f"watching for {WATCH_S} s while it processed ({processed:,} tiles done): {len(per_poll)} polls, "
                    f"client CPU per poll median {1000 * statistics.median(per_poll):.1f} ms, "
                    f"max {1000 * max(per_poll):.1f} ms; {statistics.mean(requests):.1f} requests per poll; "
                    f"{watcher.full_listings} full listing(s) in all"
                )
        finally:
            engine.stop()
            next(servers, None)


if __name__ == "__main__":
    main()
