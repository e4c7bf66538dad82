"""The tutorial job as a plain script a user would write instead of the engine: odc-stac, numpy, rasterio.

It runs in its own venv (bench/baseline/requirements.txt; bench/bench_tutorial_job.py builds it) and never
imports Tilewise. It reads the same static STAC catalog the engine's `demo` catalog reads, loads each tile
with odc-stac (the tile's CRS, 10 m grid, bounds with buffer, nearest resampling), computes what the
tutorial evalscript (resources/evalscripts/04_ndvi_interpolation_tutorial.js) computes per pixel, in numpy,
and writes the same two GeoTIFFs per tile (NDVI UINT16 and data_mask UINT8, 5 bands each).

    python tutorial_numpy.py --collection data/demo-catalog/sentinel-2-l1c/collection.json \\
        --tiles tiles.json --out out/ --workers 2 --creation-options options.json

`tiles.json`: {"time_from": ISO, "time_to": ISO, "tiles": [{"name", "epsg", "bounds" (with buffer),
"width", "height", "resolution"}]}. `options.json`: GDAL creation options per sample type, as the
engine's writer passes them (the benchmark reads them from engine/output/writer.py at run time).
Prints one JSON line: tiles, seconds (from catalog reading to the last file written) and tiles/min.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import odc.stac
import pystac
import rasterio
from affine import Affine
from odc.geo.geobox import GeoBox

# What the evalscript asks for (setup(): B04, B08, CLM, dataMask in DN) and its constants.
ASSETS = {"B04": "red", "B08": "nir", "CLM": "clm"}
SAMPLED_DAYS = (date(2023, 7, 1), date(2023, 7, 30), 7)  # sample_timestamps(start, end, 7, 'day')
CLM_INVALID = (1, 255)  # is_valid(): clouds, and CLM's no-data
HARMONIZE = True  # the request's processing.harmonizeValues (default true)


@dataclass(frozen=True)
class Tile:
    name: str
    epsg: int
    bounds: tuple[float, float, float, float]  # with buffer
    width: int
    height: int
    resolution: float


def dn_offset(item: pystac.Item, asset_key: str) -> float:
    """The DN offset of an optical band (-1000 from processing baseline 04.00 on), from the item's metadata."""
    props = item.properties
    if props.get("earthsearch:boa_offset_applied") is True:
        return 0.0
    band = (item.assets[asset_key].extra_fields.get("raster:bands") or [{}])[0]
    scale, offset = band.get("scale"), band.get("offset")
    if scale and offset:
        return float(round(offset / scale))
    return -1000.0 if str(props.get("s2:processing_baseline", "00.00")) >= "04.00" else 0.0


def catalog_items(collection: str, time_from: datetime, time_to: datetime) -> list[pystac.Item]:
    """Items in the time range, most recent first (the request's mosaickingOrder, mostRecent)."""
    items = [
        item
        for item in pystac.read_file(collection).get_items(recursive=True)
        if time_from <= item.datetime <= time_to
    ]
    return sorted(items, key=lambda item: (-item.datetime.timestamp(), item.id))


def local_midnight_ms(moment: datetime) -> float:
    """JavaScript's `withoutTime`: setHours(0, 0, 0, 0) in the process's time zone, as epoch milliseconds."""
    local = time.localtime(moment.timestamp())
    return time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1)) * 1000.0


def sampled_dates_ms() -> np.ndarray:
    """`sample_timestamps(new Date(2023, 6, 1), new Date(2023, 6, 30), 7, 'day')`, local midnights."""
    start, end, step = SAMPLED_DAYS
    days = range(start.toordinal(), end.toordinal(), step)
    midnights = [
        time.mktime((*date.fromordinal(d).timetuple()[:3], 0, 0, 0, 0, 0, -1)) * 1000.0 for d in days
    ]
    return np.array(midnights)


def load_samples(
    tile: Tile, items: list[pystac.Item]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """ORBIT samples: one per UTC day, most recent first, each the first scene with B04 data per pixel.

    Returns the bands in DN (float32, harmonised: offset added, negatives to 0), dataMask (uint8) and each
    sample's date as local midnight in ms (from its first scene, as `scenes[i].date`).
    """
    x0, y0, x1, y1 = tile.bounds
    geobox = GeoBox(
        (tile.height, tile.width),
        Affine(tile.resolution, 0, x0, 0, -tile.resolution, y1),
        f"EPSG:{tile.epsg}",
    )
    footprint = geobox.extent.to_crs("EPSG:4326").boundingbox
    items = [item for item in items if _overlaps(item.bbox, footprint)]
    # groupby="id": one layer per item, in the order given (odc-stac sorts the groups by the item's index)
    loaded = odc.stac.load(
        items, bands=list(ASSETS.values()), geobox=geobox, resampling="nearest", groupby="id"
    )
    layers = {
        item.id: {band: loaded[key].values[index] for band, key in ASSETS.items()}
        for index, item in enumerate(items)
    }
    days: dict[date, list[pystac.Item]] = {}
    for item in items:  # already most recent first: a day's scenes keep that order
        days.setdefault(item.datetime.astimezone(timezone.utc).date(), []).append(item)
    shape = (len(days), tile.height, tile.width)
    bands = {band: np.zeros(shape, np.float32) for band in ASSETS}
    mask = np.zeros(shape, np.uint8)
    dates = np.empty(len(days))
    for index, members in enumerate(days.values()):
        dates[index] = local_midnight_ms(members[0].datetime)
        filled = mask[index]
        for item in members:
            dn = layers[item.id]
            take = (dn["B04"] != 0) & (filled == 0)
            for band in ("B04", "B08"):
                values = dn[band].astype(np.float32)
                if HARMONIZE:
                    values = np.maximum(values + np.float32(dn_offset(item, ASSETS[band])), 0)
                bands[band][index][take] = values[take]
            bands["CLM"][index][take] = dn["CLM"][take]
            filled[take] = 1
    return bands, mask, dates


def _overlaps(bbox: list[float], other) -> bool:
    return not (other[2] < bbox[0] or other[0] > bbox[2] or other[3] < bbox[1] or other[1] > bbox[3])


def round_to(values: np.ndarray, dtype: type) -> np.ndarray:
    """Round half away from zero, clamp to the type, NaN to 0 (no nodataValue): the engine's conversion."""
    info = np.iinfo(dtype)
    rounded = np.clip(np.trunc(values + np.copysign(0.5, values)), info.min, info.max)
    return np.where(np.isnan(values), 0, rounded).astype(dtype)


def evaluate(
    bands: dict[str, np.ndarray], mask: np.ndarray, dates: np.ndarray, sampled: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """evaluatePixel for every pixel at once: (NDVI float64, data_mask) with one band per sampled date.

    The script's loop, over whole planes: samples from the last (oldest) to the first, keeping the valid
    ones, so the k-th valid sample fills NDVI band k (bands past the valid count stay 0, valid samples past
    the band count are dropped). Its data mask is 1 where `interval_search` finds the sampled date between
    two valid dates: they ascend, so that is first valid <= date < last valid, with at least two (the
    script's `x == arr[arr.length-1]` compares two Date objects, which is never true).
    """
    height, width = mask.shape[1:]
    ndvi_out = np.zeros((len(sampled), height, width))  # float64: JavaScript's numbers
    count = np.zeros((height, width), np.int64)
    first_valid = np.full((height, width), np.inf)
    last_valid = np.full((height, width), -np.inf)
    for index in reversed(range(mask.shape[0])):
        clm = bands["CLM"][index]
        valid = (mask[index] == 1) & (clm != CLM_INVALID[0]) & (clm != CLM_INVALID[1])
        rows, cols = np.nonzero(valid & (count < len(sampled)))
        b04 = bands["B04"][index][rows, cols].astype(np.float64)
        b08 = bands["B08"][index][rows, cols].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 is NaN, as in JavaScript
            ndvi_out[count[rows, cols], rows, cols] = (b08 - b04) / (b08 + b04) * 10000 + 10000
        first_valid[valid & (count == 0)] = dates[index]
        last_valid[valid] = dates[index]
        count += valid
    days = sampled[:, None, None]
    covered = (count >= 2) & (first_valid <= days) & (days < last_valid)
    return ndvi_out, covered.astype(np.uint8)


def write(path: Path, data: np.ndarray, tile: Tile, options: list[str]) -> None:
    x0, _, _, y1 = tile.bounds
    creation = dict(option.split("=", 1) for option in options)
    profile = {
        "driver": "GTiff",
        "width": tile.width,
        "height": tile.height,
        "count": data.shape[0],
        "dtype": data.dtype.name,
        "crs": f"EPSG:{tile.epsg}",
        "transform": Affine(tile.resolution, 0, x0, 0, -tile.resolution, y1),
    }
    with rasterio.open(path, "w", **profile, **creation) as dataset:
        dataset.write(data)


def process_tile(tile: Tile, items: list[pystac.Item], out: Path, options: dict[str, list[str]]) -> None:
    bands, mask, dates = load_samples(tile, items)
    ndvi, covered = evaluate(bands, mask, dates, sampled_dates_ms())
    folder = out / tile.name
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "NDVI.tif", round_to(ndvi, np.uint16), tile, options["UINT16"])
    write(folder / "data_mask.tif", covered, tile, options["UINT8"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--collection", required=True, help="the static STAC collection.json the engine reads"
    )
    parser.add_argument("--tiles", required=True, type=Path, help="tiles and time range (JSON)")
    parser.add_argument("--out", required=True, type=Path, help="folder for <tileName>/<outputId>.tif")
    parser.add_argument("--creation-options", required=True, type=Path, help="GDAL options per sample type")
    parser.add_argument("--workers", type=int, default=1, help="processes, each running whole tiles")
    args = parser.parse_args()
    job = json.loads(args.tiles.read_text())
    options = json.loads(args.creation_options.read_text())
    tiles = [
        Tile(t["name"], t["epsg"], tuple(t["bounds"]), t["width"], t["height"], t["resolution"])
        for t in job["tiles"]
    ]
    started = time.perf_counter()
    items = catalog_items(args.collection, _utc(job["time_from"]), _utc(job["time_to"]))
    if args.workers == 1:
        for tile in tiles:
            process_tile(tile, items, args.out, options)
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            list(
                pool.map(
                    process_tile, tiles, [items] * len(tiles), [args.out] * len(tiles), [options] * len(tiles)
                )
            )
    seconds = time.perf_counter() - started
    print(json.dumps({"tiles": len(tiles), "seconds": seconds, "tiles_per_min": 60 * len(tiles) / seconds}))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


if __name__ == "__main__":
    os.environ.setdefault("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")  # as the engine reads COGs
    main()
