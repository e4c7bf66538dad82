"""What the Statistical and Batch Statistical API tests share: the demo catalog's days, the NDVI scripts, and the
expected values (a Process API rendering of the same grid, shapely's pixel centres, numpy's statistics)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
from osgeo import gdal
from testkit import local_engine, shared_data

gdal.UseExceptions()
REAL_CATALOG = shared_data("real-s2-l2a-33TW", "catalog.json")
PARCELS = shared_data("batch-statistical", "geopackage-example.gpkg")  # the Batch Statistical example parcels
UTM11N = "http://www.opengis.net/def/crs/EPSG/0/32611"
UTM33N = "http://www.opengis.net/def/crs/EPSG/0/32633"
RED = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "dataMask"]}],
          output: [{id: "red", bands: 1, sampleType: "FLOAT32"}, {id: "dataMask", bands: 1}]};
}
function evaluatePixel(s) { return {red: [s.B04], dataMask: [s.dataMask]}; }
"""
RED_AND_MASK = """//VERSION=3
function setup() { return {input: [{bands: ["B04", "dataMask"]}], output: {bands: 2, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [s.B04, s.dataMask]; }
"""
DEMO_DAYS = (1, 11, 16)  # the small demo catalog's acquisitions in July 2023 (engine/data/demo.py SMALL_SPEC)

NDVI = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08", "dataMask"]}],
          output: [{id: "NDVI", bands: 1, sampleType: "FLOAT32"}, {id: "dataMask", bands: 1}]};
}
function evaluatePixel(s) { return {NDVI: [(s.B08 - s.B04) / (s.B08 + s.B04)], dataMask: [s.dataMask]}; }
"""
NDVI_AND_MASK = """//VERSION=3
function setup() { return {input: [{bands: ["B04", "B08", "dataMask"]}], output: {bands: 2, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04), s.dataMask]; }
"""


def reference_pixels(
    engine, evalscript: str, bbox, crs: str, res: float, day: date, folder: Path, order="mostRecent"
):
    """(value, dataMask) of the day's Process API rendering of the same grid, as float arrays."""
    pixels = reference_bands(engine, evalscript, bbox, crs, res, day, folder, order)
    return pixels[0], pixels[1]


def reference_bands(
    engine, evalscript: str, bbox, crs: str, res: float, day: date, folder: Path, order="mostRecent"
) -> np.ndarray:
    """Every band of the day's Process API rendering of the same grid, (bands, rows, cols) as float64."""
    path = process_tiff(engine, evalscript, bbox, crs, res, day, folder, order)
    return gdal.Open(str(path)).ReadAsArray().astype(np.float64)


def process_tiff(
    engine,
    evalscript: str,
    bbox,
    crs: str,
    res: float,
    day: date,
    folder: Path,
    order="mostRecent",
    output="default",
) -> Path:
    """The day's Process API GeoTIFF of one output on the grid, saved as `<day>.tif` in `folder`."""
    body = {
        "input": {
            "bounds": {"bbox": list(bbox), "properties": {"crs": crs}},
            "data": [
                {
                    "type": "sentinel-2-l2a",
                    "dataFilter": {"timeRange": day_range(day), "mosaickingOrder": order},
                }
            ],
        },
        "output": {
            "resx": res,
            "resy": res,
            "responses": [{"identifier": output, "format": {"type": "image/tiff"}}],
        },
        "evalscript": evalscript,
    }
    response = engine.call("POST", "/api/v1/process", json=body)
    assert response.status_code == 200, response.text
    path = folder / f"{day.isoformat()}.tif"
    path.write_bytes(response.content)
    return path


def day_range(day: date) -> dict:
    following = day + timedelta(days=1)
    return {"from": f"{day.isoformat()}T00:00:00Z", "to": f"{following.isoformat()}T00:00:00Z"}


def inside_polygon(geometry: dict, bbox, res: float) -> np.ndarray:
    """True where a pixel's centre lies inside the polygon (shapely, not the engine's rasterizer)."""
    width, height = round((bbox[2] - bbox[0]) / res), round((bbox[3] - bbox[1]) / res)
    xs = bbox[0] + (np.arange(width) + 0.5) * res
    ys = bbox[3] - (np.arange(height) + 0.5) * res
    grid_x, grid_y = np.meshgrid(xs, ys)
    return shapely.contains_xy(shapely.geometry.shape(geometry), grid_x, grid_y)


def expected_stats(values: np.ndarray, sample_count: int) -> dict:
    return {
        "min": values.min(),
        "max": values.max(),
        "mean": values.mean(),
        "stDev": values.std(),
        "sampleCount": sample_count,
        "noDataCount": sample_count - values.size,
    }


def assert_stats(actual: dict, expected: dict) -> None:
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


def real_data_engine(root: Path, s3_server):
    """An engine (not started) whose sentinel-2-l2a is the real 33TW static catalog; skips without the data."""
    if not REAL_CATALOG.is_file() or not PARCELS.is_file():
        pytest.skip(f"{REAL_CATALOG} or {PARCELS} is missing: the real test data lives in ../shared/data.")
    catalogs = root / "catalogs.json"
    catalogs.write_text(
        json.dumps(
            {"sentinel-2-l2a": {"kind": "static", "href": str(REAL_CATALOG), "bands": "sentinel-2-l2a"}}
        )
    )
    return local_engine(root, root / "no-demo", s3_server, TILEWISE_CATALOG=str(catalogs), TZ="UTC")
