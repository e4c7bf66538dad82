"""The batch tutorial's Process API previews, run by sentinelhub==3.12.0 against a live engine on the demo catalog.

The client (tests/clients/sh312_process.py) runs in its own venv (.venv-clients/sh312, built by `make setup`) and
saves what `SentinelHubRequest.get_data()` returned; the arrays are checked here against the demo COGs, warped
onto the requested grid with a plain `gdal.Warp` and processed with numpy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from osgeo import gdal
from testkit import run_client

gdal.UseExceptions()
ROOT = Path(__file__).resolve().parents[2]
SHAPE = json.loads((ROOT / "tests" / "clients" / "tutorial_shape.geojson").read_text())
DATES = ["20230701", "20230706", "20230711", "20230716", "20230721", "20230726"]  # oldest first
SAMPLED_DAYS = [1, 8, 15, 22, 29]  # the script's weekly dates in July


def warped(
    catalog: Path, collection: str, date: str, band: str, bounds, width: int, height: int
) -> np.ndarray:
    """One band of one demo scene on a lon/lat grid (nearest neighbour), straight from its COG."""
    suffix = "L2A" if collection == "sentinel-2-l2a" else "L1C"
    path = next((catalog / collection).glob(f"*_{date}_0_{suffix}")) / f"{band}.tif"
    dataset = gdal.Warp(
        "",
        str(path),
        format="MEM",
        outputBounds=bounds,
        width=width,
        height=height,
        dstSRS="EPSG:4326",
        resampleAlg="near",
        srcNodata=0,
        dstNodata=0,
    )
    return dataset.ReadAsArray().astype(np.float64)


def expected_true_color(catalog: Path, bounds, size: int) -> np.ndarray:
    """SIMPLE mosaic, most recent first: 26 July covers the whole area; AUTO stretch; 0 outside the geometry."""
    planes = []
    for band in ("B04", "B03", "B02"):
        dn = warped(catalog, "sentinel-2-l2a", "20230726", band, bounds, size, size)
        reflectance = np.maximum((dn.astype(np.float32) - np.float32(1000)) / np.float32(10000), 0)
        planes.append(np.clip(np.trunc(reflectance.astype(np.float64) * 255 + 0.5), 0, 255))
    image = np.stack(planes, axis=-1).astype(np.uint8)
    x0, y0, x1, y1 = bounds
    xs = x0 + (x1 - x0) / size * (np.arange(size) + 0.5)
    ys = y1 - (y1 - y0) / size * (np.arange(size) + 0.5)
    inside = shapely.contains_xy(
        shapely.geometry.shape(SHAPE["features"][0]["geometry"]), *np.meshgrid(xs, ys)
    )
    image[~inside] = 0
    return image


def expected_tutorial_outputs(
    catalog: Path, bounds, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial script's NDVI (its valid samples, oldest first, in 5 bands) and data_mask, per pixel."""
    values, valid = [], []
    for date in DATES:
        b04, b08, clm = (
            warped(catalog, "sentinel-2-l1c", date, b, bounds, width, height) for b in ("B04", "B08", "CLM")
        )
        red, nir = np.maximum(b04 - 1000, 0), np.maximum(b08 - 1000, 0)  # DN harmonised (baseline 04.00)
        with np.errstate(invalid="ignore", divide="ignore"):
            values.append((nir - red) / (nir + red) * 10000 + 10000)
        valid.append((b04 != 0) & (clm != 1) & (clm != 255))
    values, valid = np.array(values), np.array(valid)
    rank = np.cumsum(valid, axis=0) - 1  # the how-many-th valid sample each date is
    ndvi = np.zeros((height, width, 5), np.uint16)
    for k in range(5):
        chosen = (valid & (rank == k)).any(axis=0)
        value = np.nan_to_num(np.where(valid & (rank == k), values, 0).sum(axis=0))  # 0 / 0: no value
        ndvi[..., k] = np.where(chosen, np.clip(np.floor(value + 0.5), 0, 65535), 0)
    days = np.array([int(d[-2:]) for d in DATES])[:, None, None]
    first = np.where(valid, days, 99).min(axis=0)
    last = np.where(valid, days, 0).max(axis=0)
    # the script's interval search: a weekly date has data when it falls within the valid dates' span
    mask = np.stack([(first <= day) & (day <= last) for day in SAMPLED_DAYS], axis=-1).astype(np.uint8)
    return ndvi, mask


def test_the_tutorials_process_api_previews_run_against_the_engine(engine_factory, demo_catalog, tmp_path):
    engine = engine_factory(demo_catalog, workers=1, TZ="UTC")
    steps = run_client("sh312", "sh312_process.py", engine, "previews", "--out", str(tmp_path))

    true_color = steps["true_color"]
    assert true_color["shape"] == [512, 512, 3] and true_color["dtype"] == "uint8"
    image = np.load(tmp_path / "true_color.npy")
    expected = expected_true_color(demo_catalog, true_color["bounds"], 512)
    np.testing.assert_array_equal(image, expected)
    assert image.std() > 5 and (image == 0).all(axis=-1).mean() > 0.1  # fields inside, nothing outside

    ndvi_step = steps["ndvi"]
    assert ndvi_step["members"] == ["NDVI.tif", "data_mask.tif"]
    width, height = ndvi_step["size"]
    assert (width, height) == (590, 437)
    assert ndvi_step["arrays"]["NDVI.tif"]["shape"] == [height, width, 5]
    assert ndvi_step["arrays"]["NDVI.tif"]["dtype"] == "uint16"
    assert ndvi_step["arrays"]["data_mask.tif"]["shape"] == [height, width, 5]
    assert ndvi_step["arrays"]["data_mask.tif"]["dtype"] == "uint8"
    ndvi, mask = np.load(tmp_path / "NDVI.npy"), np.load(tmp_path / "data_mask.npy")
    expected_ndvi, expected_mask = expected_tutorial_outputs(demo_catalog, ndvi_step["bounds"], width, height)
    np.testing.assert_array_equal(ndvi, expected_ndvi)
    np.testing.assert_array_equal(mask, expected_mask)
    assert np.std(ndvi[..., 0][ndvi[..., 0] > 0]) > 300  # the fields change over July
