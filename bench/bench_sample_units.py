"""Reading one tutorial tile and filling the evalscript's input buffers: time and memory, units converted per
chunk (issue 25) against whole float32 planes.

    nice .venv/bin/python bench/bench_sample_units.py [--catalog data/demo-catalog] [--before /path/to/.venv/bin/python]

The tile is bench_data.py's (1100 × 1100 px inside the demo area, ORBIT over July 2023: 6 samples) with the
bands the tutorial's NDVI-interpolation script asks for (B04 and B08 in REFLECTANCE, CLM) and its dataMask.
After the read, every chunk of rows the runtime would send to V8 (Limits().chunk_pixels) is filled into one
float32 buffer per band, as `EvalscriptRuntime._evaluate` does; V8 itself is left out.

- per chunk: this checkout (the stack keeps DN as read and converts rows while filling);
- whole planes: the same stack converted to float32 planes first (`stack.plane`), which is what the reader
  built before issue 25, then the rows copied;
- with `--before`, the same measurement with another checkout's interpreter (e.g. main's venv), whose reader
  builds the float32 stack itself.

Each case runs in a fresh process: best of 3 for the time; peak of Python-traced allocations (tracemalloc,
which numpy reports to) and peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js"
GRID = (32611, (289_500.0, 3_989_500.0, 300_500.0, 4_000_500.0), 1100, 1100)  # bench_data.py's tile
BBOX = (-119.3, 36.0, -119.1, 36.2)
JULY = (datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 31, 23, 59, 59, tzinfo=timezone.utc))
REPEAT = 3


def child(mode: str, catalog_config: str) -> dict:
    """One measurement in this (fresh) process."""
    import numpy as np

    from tilewise.engine.data.model import TargetGrid
    from tilewise.engine.data.source import open_source
    from tilewise.engine.evalscript.runtime import EvalscriptRuntime, Limits

    runtime = EvalscriptRuntime(TUTORIAL.read_text(), Limits())
    bands = {band: runtime.setup.units[band] for band in runtime.setup.bands if band != "dataMask"}
    grid = TargetGrid(*GRID)
    source = open_source(catalog_config, "sentinel-2-l2a")
    samples = source.samples(source.search(BBOX, *JULY), runtime.setup.mosaicking)
    ns, height, width = len(samples), grid.height, grid.width
    rows = max(1, Limits().chunk_pixels // width)
    buffers = {band: np.empty(ns * rows * width, np.float32) for band in [*bands, "dataMask"]}

    def read_and_fill() -> None:
        stack = source.read(samples, bands, grid)
        if mode == "planes":  # float32 planes first, as the reader built them before issue 25
            stack.bands = {band: stack.plane(band) for band in bands}
        for row in range(0, height, rows):
            end = min(height, row + rows)
            for band, buffer in buffers.items():
                view = buffer[: ns * (end - row) * width].reshape(ns, end - row, width)
                if band == "dataMask":
                    view[...] = stack.data_mask[:, row:end]
                elif hasattr(stack, "fill_rows"):
                    stack.fill_rows(band, row, end, view)
                else:  # a checkout from before issue 25 (--before): the stack holds float32 planes
                    view[...] = stack.bands[band][:, row:end]

    read_and_fill()  # warm: catalog parsed, files opened, GDAL's block cache filled
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        read_and_fill()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    read_and_fill()
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "samples": ns,
        "bands": list(bands),
        "seconds": min(times),
        "traced_peak_mib": traced_peak / 2**20,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(python: str, mode: str, catalog_config: str) -> dict:
    command = [python, __file__, "--child", mode, "--catalog-config", catalog_config]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", type=Path, default=ROOT / "data" / "demo-catalog")
    parser.add_argument("--before", help="the Python of a checkout from before issue 25 (e.g. main's .venv)")
    parser.add_argument("--child")
    parser.add_argument("--catalog-config")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.catalog_config)))
        return 0
    collection = args.catalog / "sentinel-2-l2a" / "collection.json"
    if not collection.exists():
        print(f"No demo catalog at {args.catalog}: run `make demo-data` first.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "catalog.json"
        config.write_text(
            json.dumps(
                {"sentinel-2-l2a": {"kind": "static", "href": str(collection), "bands": "sentinel-2-l2a"}}
            )
        )
        cases = [("units per chunk (this checkout)", sys.executable, "chunks"),
                 ("whole float32 planes, then rows copied", sys.executable, "planes")]  # fmt: skip
        if args.before:
            cases.append(("before issue 25 (--before checkout's reader)", args.before, "chunks"))
        results = [(label, run_child(python, mode, str(config))) for label, python, mode in cases]
    first = results[0][1]
    print(f"1100 × 1100 px × {first['samples']} samples, bands {', '.join(first['bands'])} + dataMask; "
          f"read + fill of every chunk, best of {REPEAT}")  # fmt: skip
    print("| what | time | peak traced allocations | peak RSS |\n|---|---|---|---|")
    for label, result in results:
        print(f"| {label} | {result['seconds']:.3f} s | {result['traced_peak_mib']:.0f} MiB "
              f"| {result['peak_rss_mib']:.0f} MiB |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
