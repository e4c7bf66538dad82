"""The sentinelhub-py v2 batch tutorial (sentinelhub==3.12.0, BatchProcessClient) against a live engine, to local S3.

Only the base and token URLs differ from the tutorial (and the delivery carries access keys instead of an
IAM role). Outputs and bucket artefacts are read back from the S3 server.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from osgeo import gdal, ogr
from testkit import run_client

gdal.UseExceptions()


def client(engine, s3, command: str, *args: str) -> dict[str, dict]:
    keys = {"S3_ACCESS_KEY": s3.access_key, "S3_SECRET_KEY": s3.secret_key}
    return run_client("sh312", "sh312_batch.py", engine, command, *args, env=keys)


def fetch(s3, bucket: str, key: str, target: Path) -> Path:
    s3.client().download_file(bucket, key, str(target))
    return target


def final_execution_rows(s3, bucket: str, key: str, tmp_path: Path, total: int) -> list[tuple]:
    """The execution database once its final upload (beside the scheduler) has landed."""
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(
            fetch(s3, bucket, key, tmp_path / f"exec-{time.time_ns()}.sqlite")
        ) as connection:
            rows = connection.execute("SELECT id, name, status, error, delivered FROM features").fetchall()
        if sum(r[2] == "DONE" for r in rows) == total or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def test_the_v2_tutorial_runs_through_batchprocessclient(engine_factory, demo_catalog, s3_server, tmp_path):
    engine = engine_factory(demo_catalog, workers=2)
    bucket = s3_server.new_bucket()
    steps = client(engine, s3_server, "workflow", "--bucket", bucket)

    assert {0, 1, 2, 3, 6, 7} <= set(steps["grids"]["ids"]) and steps["grid"]["grid"]["id"] == 1
    request_id = steps["created"]["id"]
    assert steps["created"]["status"] == "CREATED" and request_id in steps["listed"]["ids"]
    assert "secretAccessKey" not in str(steps["created"]["request"])
    assert steps["analysed"]["status"] == "ANALYSIS_DONE"
    finished = steps["finished"]
    assert finished["status"] == "DONE" and finished["completion"] == 100, finished
    assert finished["cost"] > 0 and finished["user_action"] == "START"

    keys = sorted(o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"])
    outputs = [k for k in keys if k.endswith(".tif")]
    names = sorted({k.split("/")[2] for k in outputs})
    assert len(names) == 8 and outputs == sorted(
        f"tutorial/{request_id}/{n}/{o}.tif" for n in names for o in ("NDVI", "data_mask")
    )
    assert {f"tutorial/request-{request_id}.json", f"tutorial/featureManifest-{request_id}.gpkg"} <= set(keys)

    manifest = ogr.Open(
        str(fetch(s3_server, bucket, f"tutorial/featureManifest-{request_id}.gpkg", tmp_path / "m.gpkg"))
    )
    layer = manifest.GetLayerByName("feature_32611")
    assert layer.GetFeatureCount() == 16  # 8 features x 2 outputs
    assert {(f.GetField("width"), f.GetField("height")) for f in layer} == {(1100, 1100)}
    rows = final_execution_rows(s3_server, bucket, f"tutorial/execution-{request_id}.sqlite", tmp_path, 8)
    assert sorted((r[1], r[2], r[4]) for r in rows) == [(n, "DONE", 1) for n in names]

    for option, value in s3_server.gdal_options().items():
        gdal.SetConfigOption(option, value)
    ndvi = gdal.Open(f"/vsis3/{bucket}/tutorial/{request_id}/{names[0]}/NDVI.tif")
    assert ndvi.GetSpatialRef().GetAuthorityCode(None) == "32611"
    assert (ndvi.RasterXSize, ndvi.RasterYSize, ndvi.RasterCount) == (1100, 1100, 5)
    assert ndvi.GetRasterBand(1).DataType == gdal.GDT_UInt16 and ndvi.ReadAsArray().max() > 10000


def test_stop_job_then_start_job_finishes_every_feature_once(
    engine_factory, demo_catalog, s3_server, tmp_path
):
    engine = engine_factory(demo_catalog, workers=1)
    bucket = s3_server.new_bucket()
    steps = client(
        engine, s3_server, "stop-and-start", "--bucket", bucket, "--resolution", "20", "--folder", "stop"
    )

    stopped = steps["stopped"]
    assert stopped["is_stopped"] and stopped["reason"] == "USER_ACTION" and 0 < stopped["completion"] < 100
    assert steps["finished"]["status"] == "DONE" and steps["finished"]["completion"] == 100
    request_id = steps["created"]["id"]
    keys = [
        o["Key"]
        for o in s3_server.client().list_objects_v2(Bucket=bucket, Prefix=f"stop/{request_id}/")["Contents"]
    ]
    assert len(keys) == 16 and len(set(keys)) == 16  # 8 features x 2 outputs, each written once
    rows = final_execution_rows(s3_server, bucket, f"stop/execution-{request_id}.sqlite", tmp_path, 8)
    assert {r[2] for r in rows} == {"DONE"} and len(rows) == 8
