"""The sentinelhub-py batch tutorial (sentinelhub==3.9.5, v1) against a live engine on the demo catalog, to local S3.

The client runs in its own venv (.venv-clients/sh39, built by `make setup`): only
the base and token URLs differ from the tutorial. Outputs are read back from the
S3 server with GDAL and checked against the demo COGs read directly.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from osgeo import gdal
from testkit import run_client

gdal.UseExceptions()
ROOT = Path(__file__).resolve().parents[2]


def client(engine, command: str, *args: str, timeout: float = 900) -> dict[str, dict]:
    return run_client("sh39", "sh39_tutorial.py", engine, command, *args, timeout=timeout)


def read_dn(catalog: Path, date: str, band: str, bounds, resolution: float) -> np.ndarray:
    """A window of an L1C band straight from the demo COG (grid-aligned, no warping); 0 outside."""
    path = next((catalog / "sentinel-2-l1c").glob(f"*_{date}_0_L1C")) / f"{band}.tif"
    source = gdal.Open(str(path))
    sx0, _, _, sy1 = (source.GetGeoTransform()[i] for i in (0, 1, 2, 3))
    native = source.GetGeoTransform()[1]
    x0, y0, x1, y1 = bounds
    width, height = round((x1 - x0) / resolution), round((y1 - y0) / resolution)
    xs = ((x0 + resolution * (np.arange(width) + 0.5) - sx0) // native).astype(int)
    ys = ((sy1 - (y1 - resolution * (np.arange(height) + 0.5))) // native).astype(int)
    data = source.ReadAsArray()
    inside_x = (xs >= 0) & (xs < source.RasterXSize)
    inside_y = (ys >= 0) & (ys < source.RasterYSize)
    out = np.zeros((height, width), np.float64)
    out[np.ix_(inside_y, inside_x)] = data[np.ix_(ys[inside_y], xs[inside_x])]
    return out


def expected_tutorial_ndvi(catalog: Path, bounds, pixels: list[tuple[int, int]]) -> dict:
    """The tutorial script's NDVI bands for some pixels, computed in Python from the source DNs."""
    dates = ["20230701", "20230706", "20230711", "20230716", "20230721", "20230726"]  # oldest first
    planes = {(d, b): read_dn(catalog, d, b, bounds, 10.0) for d in dates for b in ("B04", "B08", "CLM")}
    result = {}
    for row, col in pixels:
        values = []
        for date in dates:
            b04, b08, clm = (planes[(date, b)][row, col] for b in ("B04", "B08", "CLM"))
            if b04 == 0 or clm in (1, 255):
                continue  # no data, or cloudy
            red, nir = max(b04 - 1000, 0), max(b08 - 1000, 0)  # DN harmonised (baseline 04.00 offset)
            v = np.float32((nir - red) / (nir + red) * 10000 + 10000)
            values.append(int(np.floor(v + np.float32(0.5))))
        result[(row, col)] = (values + [0] * 5)[:5]
    return result


def test_the_tutorial_batch_workflow_runs_unchanged_against_the_engine(
    engine_factory, demo_catalog, s3_server
):
    engine = engine_factory(demo_catalog, workers=2)
    bucket = s3_server.new_bucket()
    steps = client(engine, "workflow", "--bucket", bucket)

    assert {0, 1, 2, 3, 6, 7} <= set(steps["grids"]["ids"])
    assert steps["grid"]["grid"]["id"] == 1
    created = steps["created"]
    request_id = created["id"]
    assert created["status"] == "CREATED" and request_id in steps["listed"]["ids"]
    assert steps["analysed"]["status"] == "ANALYSIS_DONE" and steps["analysed"]["tile_count"] == 8
    # 8 tiles of 1100 × 1100 px, 4 input bands, 6 samples assumed over 29 days... Sentinel Hub said ~295 PU
    assert 100 < steps["analysed"]["value_estimate"] < 1000
    names = sorted(t["name"] for t in steps["tiles"]["tiles"])
    assert len(names) == 8 and all(name.startswith("11S") for name in names)
    assert steps["splitter"]["crs"] == ["32611"] * 8
    finished = steps["finished"]
    assert finished["status"] == "DONE", finished
    assert finished["per_status"] == {"PROCESSED": 8}

    objects = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=f"{request_id}/")["Contents"]
    assert sorted(o["Key"] for o in objects) == sorted(
        f"{request_id}/{name}/{output}.tif" for name in names for output in ("NDVI", "data_mask")
    )
    tile = next(t for t in steps["tiles"]["tiles"] if t["name"] == names[0])
    ux, uy = tile["origin"]["coordinates"]
    bounds = (ux - 500, uy - 10_000 - 500, ux + 10_000 + 500, uy + 500)
    for option, value in s3_server.gdal_options().items():
        gdal.SetConfigOption(option, value)
    try:
        ndvi = gdal.Open(f"/vsis3/{bucket}/{request_id}/{names[0]}/NDVI.tif")
        mask = gdal.Open(f"/vsis3/{bucket}/{request_id}/{names[0]}/data_mask.tif")
        for raster, dtype in ((ndvi, gdal.GDT_UInt16), (mask, gdal.GDT_Byte)):
            assert raster.GetSpatialRef().GetAuthorityCode(None) == "32611"
            assert (raster.RasterXSize, raster.RasterYSize, raster.RasterCount) == (1100, 1100, 5)
            assert raster.GetGeoTransform() == (bounds[0], 10.0, 0.0, bounds[3], 0.0, -10.0)
            assert raster.GetRasterBand(1).DataType == dtype
            assert raster.GetMetadataItem("TILEWISE_SYNTHETIC") == "true"
        got = ndvi.ReadAsArray()
        mask_values = mask.ReadAsArray()
    finally:
        for option in s3_server.gdal_options():
            gdal.SetConfigOption(option, None)
    rng = np.random.default_rng(7)
    pixels = [(int(r), int(c)) for r, c in rng.integers(0, 1100, size=(300, 2))]
    expected = expected_tutorial_ndvi(demo_catalog, bounds, pixels)
    for (row, col), values in expected.items():
        assert got[:, row, col].tolist() == values, (row, col)
    assert set(np.unique(mask_values)) <= {0, 1} and mask_values.any()
    # the fields change over July: NDVI is not one flat value
    assert np.std(got[0][got[0] > 0]) > 300
    assert datetime.now().year >= 2026


def test_partial_job_then_restart_and_tile_reprocess_through_the_client(
    engine_factory, demo_catalog, s3_server
):
    engine = engine_factory(demo_catalog, workers=2)
    bucket = s3_server.new_bucket()
    s3 = s3_server.client()

    # first job: one tile fails (its output already exists), then restart_job finishes it
    steps = client(engine, "prepare", "--bucket", bucket, "--feature", "1")
    request_id = steps["created"]["id"]
    tiles = steps["tiles"]["tiles"]
    assert len(tiles) == 2
    blocked = f"{request_id}/{tiles[1]['name']}/NDVI.tif"
    s3.put_object(Bucket=bucket, Key=blocked, Body=b"someone else's file")
    finished = client(engine, "start", "--request-id", request_id)["finished"]
    assert finished["status"] == "PARTIAL" and finished["per_status"] == {"PROCESSED": 1, "FAILED": 1}
    assert "already exist" in finished["error"]
    failed = engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles/{tiles[1]['id']}").json()
    assert failed["status"] == "FAILED" and "overwrite" in failed["failureReason"]
    s3.delete_object(Bucket=bucket, Key=blocked)
    assert client(engine, "restart-job", "--request-id", request_id)["restarted"]["status"] == "DONE"

    # second job: the same failure, then the tutorial's single-tile reprocess
    steps = client(engine, "prepare", "--bucket", bucket, "--feature", "1")
    request_id = steps["created"]["id"]
    tile = steps["tiles"]["tiles"][0]
    blocked = f"{request_id}/{tile['name']}/data_mask.tif"
    s3.put_object(Bucket=bucket, Key=blocked, Body=b"x")
    assert client(engine, "start", "--request-id", request_id)["finished"]["status"] == "PARTIAL"
    s3.delete_object(Bucket=bucket, Key=blocked)
    reprocessed = client(engine, "reprocess-tile", "--request-id", request_id, "--tile-id", str(tile["id"]))[
        "reprocessed"
    ]
    assert reprocessed["status"] == "DONE" and reprocessed["tile"]["status"] == "PROCESSED"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{request_id}/")["Contents"]}
    assert len(keys) == 4


def test_cancel_through_the_client_keeps_delivered_tiles(engine_factory, demo_catalog, s3_server):
    engine = engine_factory(demo_catalog, workers=1)
    bucket = s3_server.new_bucket()
    steps = client(engine, "prepare", "--bucket", bucket)
    request_id = steps["created"]["id"]
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/start").status_code == 204
    import time

    deadline = time.monotonic() + 300
    while not any(
        t["status"] == "PROCESSED"
        for t in engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles").json()["data"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    canceled = client(engine, "cancel", "--request-id", request_id)["canceled"]
    assert canceled["status"] == "CANCELED" and canceled["is_canceled"]
    time.sleep(12)  # the tile that was running completes; no other starts
    listed = engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles").json()["data"]
    processed = {t["name"] for t in listed if t["status"] == "PROCESSED"}
    assert 1 <= len(processed) < 8
    keys = {
        o["Key"]
        for o in s3_server.client().list_objects_v2(Bucket=bucket, Prefix=f"{request_id}/")["Contents"]
    }
    assert keys == {
        f"{request_id}/{name}/{output}.tif" for name in processed for output in ("NDVI", "data_mask")
    }
