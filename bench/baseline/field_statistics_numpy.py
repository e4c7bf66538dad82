"""Daily NDVI statistics of field polygons as a plain script a user would write instead of the engine: GDAL,
numpy and shapely, no Tilewise.

It reads the static STAC collection the engine's `demo` catalog reads, finds the scenes of each day of the time
range whose footprint meets a group of nearby fields (as a STAC search by bbox would), reads the group's window
of B04 and B08 at 10 m straight from the COGs (the demo COGs share the 10 m grid, so a window is the engine's
nearest-neighbour warp), turns DN into reflectance as float32 (+ offset, / 10000, floored at 0), computes NDVI
in float64 and stores it as float32 (what a FLOAT32 evalscript output holds), then per field the statistics of
the pixels whose centres lie inside the polygon and that have data (B04 ≠ 0), with numpy. Fields are grouped
as a user would block a large area: by the 512-px cell their bounding box's centre falls in.

    python field_statistics_numpy.py --collection data/demo-catalog/sentinel-2-l2a/collection.json \\
        --fields fields.gpkg --from 2023-07-01 --to 2023-08-01 --out results/ --workers 2

Writes `<out>/<fid>.json` per field, shaped as the Batch Statistical API's (`id`, `identifier`, `response.data`
with one entry per day with a scene). Prints one JSON line: features, groups, reads (band windows), seconds (from
reading the collection to the last file written) and stages (seconds per stage, summed over the groups: place,
read, ndvi, statistics, write).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Optional

import numpy as np
import shapely
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
RESOLUTION = 10.0
CELL = 512 * RESOLUTION  # fields whose bbox centres share a cell of 512 px are read together
PERCENTILES = (10, 50, 90)
RED, NIR = "red", "nir"  # Earth Search's asset keys of B04 and B08


@dataclass(frozen=True)
class Scene:
    moment: datetime
    footprint: shapely.Geometry  # WGS84
    hrefs: dict[str, str]  # asset key → GDAL path
    offsets: dict[str, float]  # asset key → DN offset


@dataclass(frozen=True)
class Field:
    fid: int
    identifier: Optional[str]
    polygon: shapely.Geometry


def read_scenes(collection: Path, time_from: datetime, time_to: datetime) -> list[Scene]:
    body = json.loads(collection.read_text())
    scenes = []
    for link in body["links"]:
        if link["rel"] != "item":
            continue
        path = (collection.parent / link["href"]).resolve()
        item = json.loads(path.read_text())
        moment = datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
        if not time_from <= moment <= time_to:
            continue
        hrefs, offsets = {}, {}
        for key in (RED, NIR):
            asset = item["assets"][key]
            hrefs[key] = str((path.parent / asset["href"]).resolve())
            band = asset["raster:bands"][0]
            offsets[key] = float(round(band["offset"] / band["scale"]))  # -0.1 / 0.0001: DN offset -1000
        scenes.append(Scene(moment, shapely.geometry.shape(item["geometry"]), hrefs, offsets))
    return sorted(scenes, key=lambda scene: scene.moment)


def read_fields(path: Path) -> tuple[int, list[Field]]:
    source = ogr.Open(str(path))
    layer = source.GetLayer(0)
    srs = layer.GetSpatialRef()
    srs.AutoIdentifyEPSG()
    epsg = int(srs.GetAuthorityCode(None))
    fields = [
        Field(
            feature.GetFID(),
            feature.GetField("identifier"),
            shapely.from_wkb(bytes(feature.GetGeometryRef().ExportToWkb())),
        )
        for feature in layer
    ]
    return epsg, fields


def snapped(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Bounds grown to whole 10 m pixels from the CRS's origin (the COGs' grid)."""
    x0, y0, x1, y1 = bounds
    r = RESOLUTION
    return (math.floor(x0 / r) * r, math.floor(y0 / r) * r, math.ceil(x1 / r) * r, math.ceil(y1 / r) * r)


def groups_of(fields: list[Field]) -> list[list[Field]]:
    cells: dict[tuple[int, int], list[Field]] = defaultdict(list)
    for field in fields:
        x0, y0, x1, y1 = field.polygon.bounds
        cells[(math.floor((x0 + x1) / 2 / CELL), math.floor((y0 + y1) / 2 / CELL))].append(field)
    return [cells[key] for key in sorted(cells)]


@cache
def open_band(href: str) -> gdal.Dataset:
    return gdal.Open(href)


def read_window(href: str, bounds: tuple[float, float, float, float]) -> np.ndarray:
    dataset = open_band(href)
    left, _, _, top, _, _ = dataset.GetGeoTransform()
    x0, y0, x1, y1 = bounds
    column, row = round((x0 - left) / RESOLUTION), round((top - y1) / RESOLUTION)
    width, height = round((x1 - x0) / RESOLUTION), round((y1 - y0) / RESOLUTION)
    return dataset.GetRasterBand(1).ReadAsArray(column, row, width, height)


def reflectance(dn: np.ndarray, offset: float) -> np.ndarray:
    value = (dn.astype(np.float32) + np.float32(offset)) / np.float32(10000)
    return np.maximum(value, np.float32(0))


def stats(values: np.ndarray, sample_count: int) -> dict:
    if not values.size:
        result: dict = {"min": "NaN", "max": "NaN", "mean": "NaN", "stDev": "NaN"}
    else:
        result = {
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": float(values.mean()),
            "stDev": float(values.std()),
        }
    result["sampleCount"] = sample_count
    result["noDataCount"] = sample_count - int(values.size)
    result["percentiles"] = {
        str(float(k)): float(np.percentile(values, k, method="higher")) if values.size else "NaN"
        for k in PERCENTILES
    }
    return result


def day_interval(moment: datetime) -> dict:
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    return {"from": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


def durations(marks: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds per stage from (stage, the moment it ended) marks, the first one the start."""
    seconds: dict[str, float] = defaultdict(float)
    for (_, before), (stage, after) in zip(marks, marks[1:]):
        seconds[stage] += after - before
    return dict(seconds)


def process_group(
    epsg: int, members: list[Field], scenes: list[Scene], out: Path
) -> tuple[int, dict[str, float]]:
    """Each scene's window read once for the group; every field's statistics from its pixels.
    Returns the band windows read and the seconds per stage."""
    marks = [("start", time.perf_counter())]  # for the benchmark's comparison with the engine's stages
    bounds = snapped(
        (
            min(f.polygon.bounds[0] for f in members),
            min(f.polygon.bounds[1] for f in members),
            max(f.polygon.bounds[2] for f in members),
            max(f.polygon.bounds[3] for f in members),
        )
    )
    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(epsg)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lonlat = osr.CoordinateTransformation(utm, wgs84).TransformBounds(*bounds, 21)
    area = shapely.box(*lonlat)
    places = []
    for field in members:
        fx0, fy0, fx1, fy1 = snapped(field.polygon.bounds)
        xs = fx0 + (np.arange(round((fx1 - fx0) / RESOLUTION)) + 0.5) * RESOLUTION
        ys = fy1 - (np.arange(round((fy1 - fy0) / RESOLUTION)) + 0.5) * RESOLUTION
        inside = shapely.contains_xy(field.polygon, *np.meshgrid(xs, ys))
        row, column = round((bounds[3] - fy1) / RESOLUTION), round((fx0 - bounds[0]) / RESOLUTION)
        places.append((slice(row, row + len(ys)), slice(column, column + len(xs)), inside))
    data: list[list[dict]] = [[] for _ in members]
    reads = 0
    marks.append(("place", time.perf_counter()))
    for scene in scenes:
        if not scene.footprint.intersects(area):
            continue
        red_dn = read_window(scene.hrefs[RED], bounds)
        nir_dn = read_window(scene.hrefs[NIR], bounds)
        reads += 2
        marks.append(("read", time.perf_counter()))
        red, nir = reflectance(red_dn, scene.offsets[RED]), reflectance(nir_dn, scene.offsets[NIR])
        red64, nir64 = red.astype(np.float64), nir.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ndvi = ((nir64 - red64) / (nir64 + red64)).astype(np.float32)
        has_data = red_dn != 0
        marks.append(("ndvi", time.perf_counter()))
        for index, (rows, columns, inside) in enumerate(places):
            values = ndvi[rows, columns][inside & has_data[rows, columns]].astype(np.float64)
            outputs = {"NDVI": {"bands": {"B0": {"stats": stats(values, int(inside.sum()))}}}}
            data[index].append({"interval": day_interval(scene.moment), "outputs": outputs})
        marks.append(("statistics", time.perf_counter()))
    for field, entries in zip(members, data):
        document = {
            "id": field.fid,
            "identifier": field.identifier,
            "response": {"data": entries, "status": "OK"},
        }
        (out / f"{field.fid}.json").write_text(json.dumps(document, allow_nan=False))
    marks.append(("write", time.perf_counter()))
    return reads, durations(marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", type=Path, required=True)
    parser.add_argument("--fields", type=Path, required=True)
    parser.add_argument("--from", dest="time_from", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="time_to", required=True, help="the day after the last, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    time_from = datetime.fromisoformat(args.time_from).replace(tzinfo=timezone.utc)
    time_to = datetime.fromisoformat(args.time_to).replace(tzinfo=timezone.utc)
    scenes = read_scenes(args.collection, time_from, time_to)
    epsg, fields = read_fields(args.fields)
    groups = groups_of(fields)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.workers == 1:
        done = [process_group(epsg, members, scenes, args.out) for members in groups]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            count = len(groups)
            done = list(pool.map(process_group, [epsg] * count, groups, [scenes] * count, [args.out] * count))
    seconds = time.perf_counter() - started
    stages: dict[str, float] = defaultdict(float)
    for _, group_stages in done:
        for stage, value in group_stages.items():
            stages[stage] += value
    summary = {"features": len(fields), "groups": len(groups), "reads": sum(reads for reads, _ in done)}
    print(json.dumps({**summary, "seconds": seconds, "stages": stages}))


if __name__ == "__main__":
    main()
