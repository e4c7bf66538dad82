"""Process API preview benchmark: the tutorial's true-colour PNG, 512 × 512 px, through HTTP to a live engine.

    .venv/bin/python bench/bench_process.py            # needs `make demo-data`

The request is the tutorial's first one (`SentinelHubRequest` with the whole area's geometry, size
(512, 512), PNG, no time range: a SIMPLE mosaic of the demo catalog's 6 L2A scenes). Cold is the first
request after the engine starts (V8 compile, catalog load, first opens of the COGs); warm is the best of
10 requests that follow (the script's runtime stays warm in the API process). Also measured, for
comparison: the tutorial's NDVI-interpolation preview of the test sub-area (590 × 437 px, ORBIT, L1C).
Target: the warm true-colour preview under 1 s.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from testkit import EngineServer, S3Server, local_engine  # noqa: E402

CATALOG = Path(os.environ.get("TILEWISE_DEMO_CATALOG", ROOT / "data" / "demo-catalog"))
CLIENTS = ROOT / "tests" / "clients"
SHAPE = json.loads((CLIENTS / "tutorial_shape.geojson").read_text())
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
TARGET_WARM_S = 1.0
WARM_RUNS = 10


def true_colour_request() -> dict:
    return {
        "input": {
            "bounds": {"geometry": SHAPE["features"][0]["geometry"], "properties": {"crs": WGS84}},
            "data": [{"type": "sentinel-2-l2a"}],
        },
        "output": {
            "width": 512,
            "height": 512,
            "responses": [{"identifier": "default", "format": {"type": "image/png"}}],
        },
        "evalscript": (CLIENTS / "tutorial_true_color_evalscript.js").read_text(),
    }


def ndvi_request() -> dict:
    return {
        "input": {
            "bounds": {"bbox": [-119.2778, 36.04, -119.2135, 36.0806], "properties": {"crs": WGS84}},
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
            "width": 590,
            "height": 437,
            "responses": [
                {"identifier": "NDVI", "format": {"type": "image/tiff"}},
                {"identifier": "data_mask", "format": {"type": "image/tiff"}},
            ],
        },
        "evalscript": (ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js").read_text(),
    }


def timed(engine: EngineServer, body: dict, accept: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = engine.call("POST", "/api/v1/process", json=body, headers={"Accept": accept})
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"preview failed ({response.status_code}): {response.text[:500]}")
    return seconds, len(response.content)


def measure(engine: EngineServer, name: str, body: dict, accept: str) -> float:
    cold, size = timed(engine, body, accept)
    warm = [timed(engine, body, accept)[0] for _ in range(WARM_RUNS)]
    print(
        f"{name}: cold {cold:.3f} s; warm best of {WARM_RUNS} {min(warm):.3f} s "
        f"(median {statistics.median(warm):.3f} s, worst {max(warm):.3f} s); {size / 1024:.0f} KiB"
    )
    return min(warm)


def main() -> None:
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-process-") as tmp:
        # previews deliver nothing: the S3 endpoint the engine is configured with is never called
        unused_s3 = S3Server(endpoint_url="http://127.0.0.1:9")
        engine = local_engine(Path(tmp) / "engine", CATALOG, unused_s3, workers=1, TZ="UTC").start()
        try:
            engine.token()  # the token request is not part of a preview
            best = measure(
                engine, "true colour PNG 512 x 512 px, 6 scenes (SIMPLE)", true_colour_request(), "image/png"
            )
            measure(
                engine,
                "NDVI interpolation 590 x 437 px, 6 dates (ORBIT), 2 TIFFs in a tar",
                ndvi_request(),
                "application/x-tar",
            )
        finally:
            engine.stop()
    verdict = "met" if best < TARGET_WARM_S else "MISSED"
    print(f"target: warm true-colour preview < {TARGET_WARM_S:g} s: {verdict} ({best:.3f} s)")


if __name__ == "__main__":
    main()
