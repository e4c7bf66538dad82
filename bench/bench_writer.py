"""GeoTIFF compression of a tutorial tile's outputs: write time, size and read-back time per codec and level.

    nice .venv/bin/python bench/bench_writer.py [--catalog data/demo-catalog]     # needs `make demo-data`

The outputs are those of one real tutorial tile: the tutorial's NDVI-interpolation evalscript evaluated by
the engine on a 1100 × 1100 px tile of the demo catalog (ORBIT over July 2023, the tile of bench_data.py):
its NDVI output, UINT16 × 5 bands, and its data_mask, UINT8 × 5 bands; plus a FLOAT32 1-band NDVI made from
the first NDVI band ((DN - 10000) / 10000, NaN where it has no data), the shape of a float index output.

Each file is written by the engine's own writer (engine/output/writer.py: tiled 256 × 256) and read back
whole with GDAL; each figure is the best of 5 and every file is checked to read back identical. Sizes are
the sum of the three files.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from benchkit import best_of
from osgeo import gdal

from tilewise.engine.data.model import TargetGrid
from tilewise.engine.data.source import open_source
from tilewise.engine.evalscript.runtime import EvalscriptRuntime, Limits
from tilewise.engine.output.writer import GeoTiffCompression, RasterPlacement, TiffMetadata, write_geotiff

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "resources" / "evalscripts" / "04_ndvi_interpolation_tutorial.js"
GRID = TargetGrid(32611, (289_500.0, 3_989_500.0, 300_500.0, 4_000_500.0), 1100, 1100)  # bench_data.py's tile
BBOX = (-119.3, 36.0, -119.1, 36.2)
JULY = (datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 31, 23, 59, 59, tzinfo=timezone.utc))
PLACEMENT = RasterPlacement(GRID.epsg, GRID.bounds[0], GRID.bounds[3], 10.0)
CODECS = [
    ("DEFLATE 1", GeoTiffCompression("DEFLATE", 1)),
    ("DEFLATE 1, no predictor", GeoTiffCompression("DEFLATE", 1, predictor=False)),
    ("DEFLATE 6 (GDAL's default level)", GeoTiffCompression("DEFLATE", 6)),
    ("DEFLATE 6, no predictor", GeoTiffCompression("DEFLATE", 6, predictor=False)),
    ("DEFLATE 9", GeoTiffCompression("DEFLATE", 9)),
    ("DEFLATE 9, no predictor", GeoTiffCompression("DEFLATE", 9, predictor=False)),
    ("LZW", GeoTiffCompression("LZW", None)),
    ("ZSTD 1", GeoTiffCompression("ZSTD", 1)),
    ("ZSTD 9", GeoTiffCompression("ZSTD", 9)),
]


def tutorial_outputs(catalog: Path) -> dict[str, tuple[np.ndarray, str, float | None]]:
    """One tutorial tile evaluated by the engine, as write_geotiff receives it."""
    config = Path(tempfile.mkdtemp(prefix="tilewise-bench-writer-")) / "catalog.json"
    href = str(catalog / "sentinel-2-l2a" / "collection.json")
    config.write_text(
        json.dumps({"sentinel-2-l2a": {"kind": "static", "href": href, "bands": "sentinel-2-l2a"}})
    )
    runtime = EvalscriptRuntime(TUTORIAL.read_text(), Limits())
    source = open_source(str(config), "sentinel-2-l2a")
    samples = source.samples(source.search(BBOX, *JULY), runtime.setup.mosaicking)
    bands = {band: runtime.setup.units[band] for band in runtime.setup.bands if band != "dataMask"}
    result = runtime.evaluate(source.read(samples, bands, GRID), time_from=JULY[0], time_to=JULY[1])
    outputs = {f"{r.id} {r.sample_type} × {r.data.shape[0]}": (r.data, r.sample_type, r.nodata_value)
               for r in result.outputs.values()}  # fmt: skip
    ndvi = next(r.data for r in result.outputs.values() if r.sample_type == "UINT16")
    as_float = np.where(ndvi[:1] > 0, (ndvi[:1].astype(np.float32) - 10000) / 10000, np.nan).astype(
        np.float32
    )
    return {**outputs, "NDVI FLOAT32 × 1": (as_float, "FLOAT32", None)}


def measure(folder: Path, outputs: dict, compression: GeoTiffCompression) -> tuple[float, float, int]:
    paths = {name: folder / f"{index}.tif" for index, name in enumerate(outputs)}

    def write() -> None:
        for name, (data, sample_type, nodata) in outputs.items():
            write_geotiff(
                paths[name], data, sample_type, nodata, PLACEMENT, TiffMetadata(), None, compression
            )

    def read() -> None:
        for path in paths.values():
            dataset = gdal.Open(str(path))
            dataset.ReadAsArray()
            dataset = None

    written = best_of(write)
    for name, (data, _, _) in outputs.items():  # lossless, whatever the codec
        back = gdal.Open(str(paths[name])).ReadAsArray().reshape(data.shape)
        np.testing.assert_array_equal(back, data)
    return written, best_of(read), sum(path.stat().st_size for path in paths.values())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", type=Path, default=ROOT / "data" / "demo-catalog")
    catalog = parser.parse_args().catalog
    if not (catalog / "sentinel-2-l2a" / "collection.json").exists():
        print(f"No demo catalog at {catalog}: run `make demo-data` first.", file=sys.stderr)
        return 1
    outputs = tutorial_outputs(catalog)
    raw = sum(data.nbytes for data, _, _ in outputs.values())
    print(f"One tutorial tile's outputs ({', '.join(outputs)}), {raw / 2**20:.1f} MiB uncompressed, "
          f"GDAL {gdal.__version__}\n")  # fmt: skip
    print("| Compression | write, NUM_THREADS=1 | write, ALL_CPUS | read back | size | vs DEFLATE 6 |")
    print("|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-writer-") as scratch:
        for label, compression in CODECS:
            one_thread = GeoTiffCompression(compression.codec, compression.level, compression.predictor, "1")
            single, _, size = measure(Path(scratch), outputs, one_thread)
            threaded, read, _ = measure(Path(scratch), outputs, compression)
            rows.append((label, single, threaded, read, size))
    reference = next(size for label, *_, size in rows if label.startswith("DEFLATE 6 "))
    for label, single, threaded, read, size in rows:
        print(
            f"| {label} | {single:.3f} s | {threaded:.3f} s | {read:.3f} s | {size / 2**20:.2f} MiB "
            f"| {size / reference:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
