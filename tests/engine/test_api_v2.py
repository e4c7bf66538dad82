"""Batch API v2 against a live engine and a local S3 server: workflow, bucket artefacts, stop and start again,
GeoPackage input, bad input, and keys that never come back."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from testkit import (
    DELETE,
    NDVI_WITH_MASK,
    SLOW_SCRIPT,
    TEST_BBOX,
    WIDE_BBOX,
    process_request_json,
    with_changes,
)

gdal.UseExceptions()
ogr.UseExceptions()

RED = """//VERSION=3
function setup() { return {input: [{bands: ["B04", "dataMask"], units: "DN"}], output: {bands: 1, sampleType: "UINT16"}}; }
function evaluatePixel(s) { return [s.B04]; }
"""
KEYS = {"accessKey": "AKIAV2REQUESTKEY", "secretAccessKey": "v2-request-secret-do-not-echo"}
FINAL = {"DONE", "FAILED", "STOPPED"}


def body_v2(
    url: str, evalscript: str, bbox=TEST_BBOX, resolution=20, responses=("default",), **output
) -> dict:
    return {
        "processRequest": process_request_json(evalscript, bbox, responses),
        "input": {"type": "tiling-grid", "id": 1, "resolution": resolution, "bufferX": 0, "bufferY": 0},
        "output": {
            "type": "raster",
            "delivery": {"s3": {"url": url, **KEYS, "region": "us-east-1"}},
            **output,
        },
        "description": "v2 test",
    }


def create(engine, body: dict) -> dict:
    response = engine.call("POST", "/api/v2/batch/process", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def act(engine, request_id: str, action: str, expected: int = 204):
    response = engine.call("POST", f"/api/v2/batch/process/{request_id}/{action}")
    assert response.status_code == expected, response.text
    return response


def get(engine, request_id: str) -> dict:
    return engine.call("GET", f"/api/v2/batch/process/{request_id}").json()


def s3_keys(s3, bucket: str, prefix: str = "") -> list[str]:
    listed = s3.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def download(s3, bucket: str, key: str, target: Path) -> Path:
    s3.client().download_file(bucket, key, str(target))
    return target


def execution_rows(s3, bucket: str, key: str, tmp_path: Path) -> list[tuple]:
    path = download(s3, bucket, key, tmp_path / f"execution-{time.time_ns()}.sqlite")
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT id, name, status, error, delivered FROM features ORDER BY id"
        ).fetchall()


@pytest.fixture
def engine(engine_factory, small_catalog):
    return engine_factory(small_catalog, workers=2, TILEWISE_EXECUTION_DB_INTERVAL="1")


def test_the_v2_workflow_writes_outputs_and_every_bucket_artefact(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    body = body_v2(f"s3://{bucket}/jobs", NDVI_WITH_MASK, responses=("ndvi", "mask"))
    created = create(engine, body)
    request_id = created["id"]
    assert (
        created["status"] == "CREATED" and created["domainAccountId"] and created["completionPercentage"] == 0
    )
    assert created["request"]["output"]["delivery"]["s3"] == {
        "url": f"s3://{bucket}/jobs",
        "region": "us-east-1",
    }
    # the request JSON is in the bucket at creation, without its keys
    request_json = json.loads(
        s3_server.client().get_object(Bucket=bucket, Key=f"jobs/request-{request_id}.json")["Body"].read()
    )
    assert request_json["input"]["type"] == "tiling-grid" and "accessKey" not in json.dumps(request_json)

    act(engine, request_id, "analyse")
    analysed = engine.wait_for(request_id, {"ANALYSIS_DONE", "FAILED"}, api="v2")
    assert analysed["status"] == "ANALYSIS_DONE", analysed.get("error")
    manifest = download(
        s3_server, bucket, f"jobs/featureManifest-{request_id}.gpkg", tmp_path / "manifest.gpkg"
    )
    source = ogr.Open(str(manifest))  # keep the dataset: a layer does not outlive it
    layer = source.GetLayerByName("feature_32611")
    rows = sorted((f.GetField("identifier"), f.GetField("outputId"), f.GetField("path")) for f in layer)
    assert rows == sorted(
        (name, output, f"s3://{bucket}/jobs/{request_id}/{name}/{output}.tif")
        for name in ("11SKV_9_0", "11SLV_0_0")
        for output in ("ndvi", "mask")
    )
    assert {(f.GetField("width"), f.GetField("height")) for f in layer} == {(500, 500)}

    act(engine, request_id, "start")
    done = engine.wait_for(request_id, FINAL, api="v2")
    assert done["status"] == "DONE", done.get("error")
    assert done["completionPercentage"] == 100 and done["costPU"] > 0 and done["userAction"] == "START"
    keys = s3_keys(s3_server, bucket, f"jobs/{request_id}/")
    assert keys == sorted(
        f"jobs/{request_id}/{t}/{o}.tif" for t in ("11SKV_9_0", "11SLV_0_0") for o in ("ndvi", "mask")
    )
    deadline = time.monotonic() + 30  # the final execution database upload runs beside the scheduler
    while True:
        rows = execution_rows(s3_server, bucket, f"jobs/execution-{request_id}.sqlite", tmp_path)
        if {r[2] for r in rows} == {"DONE"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("11SKV_9_0", "DONE", 1),
        ("11SLV_0_0", "DONE", 1),
    ] or sorted((r[1], r[2], r[4]) for r in rows) == [("11SKV_9_0", "DONE", 1), ("11SLV_0_0", "DONE", 1)]


def test_a_stopped_job_carries_on_with_its_unfinished_features(
    engine_factory, small_catalog, s3_server, tmp_path
):
    engine = engine_factory(small_catalog, workers=1, TILEWISE_EXECUTION_DB_INTERVAL="1")
    bucket = s3_server.new_bucket()
    request_id = create(engine, body_v2(f"s3://{bucket}/stop", SLOW_SCRIPT, bbox=WIDE_BBOX))["id"]
    act(engine, request_id, "start")
    deadline = time.monotonic() + 120
    while get(engine, request_id)["completionPercentage"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    act(engine, request_id, "stop")
    stopped = get(engine, request_id)
    assert stopped["status"] == "STOPPED" and stopped["stoppedStatusReason"] == "USER_ACTION"
    assert stopped["userAction"] == "STOP"
    # features already handed to the worker pool finish and count; then nothing moves any more
    settled, previous = None, None
    deadline = time.monotonic() + 60
    while True:
        time.sleep(2)
        settled = get(engine, request_id)
        delivered = len(s3_keys(s3_server, bucket, f"stop/{request_id}/"))
        if previous == (settled["completionPercentage"], delivered):
            break
        previous = (settled["completionPercentage"], delivered)
        assert time.monotonic() < deadline, previous
    assert 0 < settled["completionPercentage"] < 100 and settled["status"] == "STOPPED"
    total = settled["featureCount"]
    done_before = round(settled["completionPercentage"] * total / 100)
    assert delivered == done_before
    rows = execution_rows(s3_server, bucket, f"stop/execution-{request_id}.sqlite", tmp_path)
    assert (
        sum(r[2] == "DONE" for r in rows) == done_before
        and sum(r[2] == "PENDING" for r in rows) == total - done_before
    )
    act(engine, request_id, "stop", expected=409)

    act(engine, request_id, "start")
    done = engine.wait_for(request_id, FINAL, timeout=300, api="v2")
    assert done["status"] == "DONE" and done["completionPercentage"] == 100
    assert "stoppedStatusReason" not in done
    keys = s3_keys(s3_server, bucket, f"stop/{request_id}/")
    assert len(keys) == total == len({k.split("/")[2] for k in keys})  # every feature once


# --- GeoPackage input -------------------------------------------------------------------------------------


def write_geopackage(path: Path, tables: dict[int, list[dict]]) -> Path:
    """tables: EPSG -> features {id, identifier, wkt, width?, height?, resolution?}."""
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    for epsg, features in tables.items():
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        layer = source.CreateLayer(f"features_{epsg}", srs, ogr.wkbPolygon, ["FID=id"])
        for name, kind in (("identifier", ogr.OFTString), ("width", ogr.OFTInteger), ("height", ogr.OFTInteger),
                           ("resolution", ogr.OFTReal)):  # fmt: skip
            layer.CreateField(ogr.FieldDefn(name, kind))
        for item in features:
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetFID(item["id"])
            feature.SetField("identifier", item["identifier"])
            for key in ("width", "height", "resolution"):
                if key in item:
                    feature.SetField(key, item[key])
            feature.SetGeometry(ogr.CreateGeometryFromWkt(item["wkt"]))
            layer.CreateFeature(feature)
    source = None
    return path


def box_wkt(x0, y0, x1, y1) -> str:
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def geopackage_body(bucket: str, gpkg_key: str, evalscript: str = RED) -> dict:
    body = body_v2(f"s3://{bucket}/out/<requestId>/<tileName>/<outputId>.<format>", evalscript)
    del body["processRequest"]["input"]["bounds"]
    body["processRequest"]["input"]["data"][0]["processing"] = {"harmonizeValues": False}  # DN as stored
    body["input"] = {"type": "geopackage", "features": {"s3": {"url": f"s3://{bucket}/{gpkg_key}", **KEYS}}}
    return body


def upload(s3, bucket: str, path: Path, key: str) -> None:
    s3.client().upload_file(str(path), bucket, key)


def test_geopackage_features_become_rasters_in_their_own_crs_and_size(
    engine, s3_server, tmp_path, small_catalog
):
    bucket = s3_server.new_bucket()
    gpkg = write_geopackage(
        tmp_path / "fields.gpkg",
        {
            32611: [
                {"id": 1, "identifier": "field-a", "wkt": box_wkt(292000, 3992000, 293000, 3992600), "resolution": 10},
                {"id": 2, "identifier": "field-b", "wkt": box_wkt(294000, 3994000, 295000, 3995000),
                 "width": 50, "height": 40},
            ],
            4326: [{"id": 7, "identifier": "field-c", "wkt": box_wkt(-119.26, 36.05, -119.25, 36.06), "width": 64, "height": 64}],
        },
    )  # fmt: skip
    upload(s3_server, bucket, gpkg, "inputs/fields.gpkg")
    request_id = create(engine, geopackage_body(bucket, "inputs/fields.gpkg"))["id"]
    act(engine, request_id, "start")
    done = engine.wait_for(request_id, FINAL, api="v2")
    assert done["status"] == "DONE", done.get("error")
    assert done["featureCount"] == 3

    sizes = {}
    for name in ("field-a", "field-b", "field-c"):
        path = download(s3_server, bucket, f"out/{request_id}/{name}/default.tif", tmp_path / f"{name}.tif")
        raster = gdal.Open(str(path))
        srs = osr.SpatialReference(wkt=raster.GetProjection())
        sizes[name] = (
            raster.RasterXSize,
            raster.RasterYSize,
            srs.GetAuthorityCode(None),
            raster.GetGeoTransform(),
        )
    assert sizes["field-a"][:3] == (100, 60, "32611") and sizes["field-a"][3][0] == 292000
    assert (
        sizes["field-b"][:3] == (50, 40, "32611")
        and sizes["field-b"][3][1] == 20
        and sizes["field-b"][3][5] == -25
    )
    assert sizes["field-c"][:3] == (64, 64, "4326")

    # values: field-a is the red band DN of the most recent scene (16 July), straight from the source COGs
    delivered = gdal.Open(str(tmp_path / "field-a.tif")).ReadAsArray()
    source = next((small_catalog / "sentinel-2-l2a").glob("*_20230716_*/B04.tif"))
    window = gdal.Warp("", str(source), format="MEM", outputBounds=(292000, 3992000, 293000, 3992600), width=100,
                       height=60, resampleAlg="near").ReadAsArray()  # fmt: skip
    valid = window > 0
    np.testing.assert_array_equal(delivered[valid], window[valid])

    manifest = download(s3_server, bucket, f"out/featureManifest-{request_id}.gpkg", tmp_path / "m.gpkg")
    source = ogr.Open(str(manifest))
    tables = sorted(layer.GetName() for layer in source)
    assert tables == ["feature_32611", "feature_4326"]


@pytest.mark.parametrize(
    "features, fragment",
    [
        (
            [
                {
                    "id": 1,
                    "identifier": "twin",
                    "wkt": box_wkt(292000, 3992000, 293000, 3993000),
                    "resolution": 10,
                },
                {
                    "id": 2,
                    "identifier": "twin",
                    "wkt": box_wkt(294000, 3994000, 295000, 3995000),
                    "resolution": 10,
                },
            ],
            "Identifier 'twin' is used twice",
        ),
        (
            [
                {
                    "id": 1,
                    "identifier": "huge",
                    "wkt": box_wkt(290000, 3990000, 330000, 4030000),
                    "resolution": 10,
                }
            ],
            "4000 x 4000 px, over the limit of 3500 px",
        ),
        (
            [{"id": 1, "identifier": "bare", "wkt": box_wkt(292000, 3992000, 293000, 3993000)}],
            "neither width and height nor resolution",
        ),
    ],
    ids=["duplicate-identifiers", "oversized", "no-size"],
)
def test_a_bad_geopackage_fails_the_analysis_with_the_feature_named(
    engine, s3_server, tmp_path, features, fragment
):
    bucket = s3_server.new_bucket()
    upload(s3_server, bucket, write_geopackage(tmp_path / "bad.gpkg", {32611: features}), "bad.gpkg")
    request_id = create(engine, geopackage_body(bucket, "bad.gpkg"))["id"]
    act(engine, request_id, "analyse")
    failed = engine.wait_for(request_id, {"FAILED", "ANALYSIS_DONE"}, api="v2")
    assert failed["status"] == "FAILED" and fragment in failed["error"], failed.get("error")


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"id,identifier\n1,a\n", "is not a GeoPackage"),
        (None, "Cannot read the GeoPackage"),
    ],
    ids=["not-a-geopackage", "missing-object"],
)
def test_a_geopackage_input_that_cannot_be_read_fails_the_analysis(engine, s3_server, content, fragment):
    bucket = s3_server.new_bucket()
    if content is not None:
        s3_server.client().put_object(Bucket=bucket, Key="input.gpkg", Body=content)
    request_id = create(engine, geopackage_body(bucket, "input.gpkg"))["id"]
    act(engine, request_id, "analyse")
    failed = engine.wait_for(request_id, {"FAILED", "ANALYSIS_DONE"}, api="v2")
    assert failed["status"] == "FAILED" and fragment in failed["error"], failed.get("error")
    assert KEYS["secretAccessKey"] not in failed["error"]


def test_a_feature_table_without_identifiers_is_named(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    path = tmp_path / "plain.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    layer = source.CreateLayer("fields", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(box_wkt(292000, 3992000, 293000, 3993000)))
    layer.CreateFeature(feature)
    source = None
    upload(s3_server, bucket, path, "plain.gpkg")
    request_id = create(engine, geopackage_body(bucket, "plain.gpkg"))["id"]
    act(engine, request_id, "analyse")
    failed = engine.wait_for(request_id, {"FAILED", "ANALYSIS_DONE"}, api="v2")
    assert failed["status"] == "FAILED" and "Table 'fields' has no 'identifier' column" in failed["error"]


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, value, fragment",
    [
        ("output.delivery.s3.url", "s3://bucket-x/out/<outputId>.<format>", "<tileName> or <tileId>"),
        ("output.delivery.s3.url", "ftp://somewhere/out", "s3://bucket/folder"),
        ("output.delivery.s3.secretAccessKey", DELETE, "both accessKey and secretAccessKey"),
        ("output.delivery.s3.iamRoleARN", "arn:aws:iam::123:role/x", "cannot assume IAM roles"),
        ("output.type", "zarr", "use raster"),
        ("input.type", "grid", "tiling-grid or geopackage"),
        ("input.id", 42, "42"),
        ("input", DELETE, "input"),
        ("processRequest.input.bounds", DELETE, "bounds is missing"),
        ("processRequest.evalscript", "//VERSION=3\nfunction setup( {", "line 2"),
    ],
    ids=[
        "no-tile-placeholder",
        "scheme",
        "half-keys",
        "iam-role",
        "zarr",
        "input-type",
        "grid-id",
        "no-input",
        "no-bounds",
        "syntax",
    ],  # fmt: skip
)
def test_bad_requests_get_the_reference_error_body(engine, s3_server, path, value, fragment):
    bucket = s3_server.new_bucket()
    response = engine.call(
        "POST", "/api/v2/batch/process", json=with_changes(body_v2(f"s3://{bucket}/o", RED), {path: value})
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "COMMON_BAD_PAYLOAD" and fragment in error["message"], error
    assert KEYS["secretAccessKey"] not in response.text


def test_a_missing_bucket_refuses_the_request_at_creation(engine):
    response = engine.call("POST", "/api/v2/batch/process", json=body_v2("s3://no-such-bucket-here/out", RED))
    assert response.status_code == 400 and "NoSuchBucket" in response.text
    assert KEYS["secretAccessKey"] not in response.text


def test_v2_has_no_delete_cancel_or_tiles_and_knows_only_its_own_requests(engine, s3_server):
    bucket = s3_server.new_bucket()
    request_id = create(engine, body_v2(f"s3://{bucket}/o", RED))["id"]
    assert engine.call("DELETE", f"/api/v2/batch/process/{request_id}").status_code == 405
    assert engine.call("POST", f"/api/v2/batch/process/{request_id}/cancel").status_code == 404
    assert engine.call("GET", f"/api/v1/batch/process/{request_id}").status_code == 404
    act(engine, request_id, "stop", expected=409)
    listed = engine.call("GET", "/api/v2/batch/process", params={"search": "v2 test"}).json()
    assert request_id in [r["id"] for r in listed["data"]]


def test_request_keys_never_come_back(engine, s3_server):
    bucket = s3_server.new_bucket()
    request_id = create(engine, body_v2(f"s3://{bucket}/o", RED))["id"]
    act(engine, request_id, "start")
    engine.wait_for(request_id, FINAL, api="v2")
    texts = [
        engine.call("GET", f"/api/v2/batch/process/{request_id}").text,
        engine.call("GET", "/api/v2/batch/process").text,
        engine.log(),
        s3_server.client()
        .get_object(Bucket=bucket, Key=f"o/request-{request_id}.json")["Body"]
        .read()
        .decode(),
    ]
    for text in texts:
        assert KEYS["secretAccessKey"] not in text and KEYS["accessKey"] not in text
