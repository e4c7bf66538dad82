"""The Batch Statistical API (`/api/v1/statistics/batch`) of a live engine: a GeoPackage of polygons in the local
S3 server, per-feature JSONs in a bucket, each feature's numbers checked against numpy in the test.

Expected values come from a Process API request for each feature's own grid (its bounds grown to whole resx/resy
pixels from the CRS's origin, as the engine documents) and day, the pixels whose centres shapely finds inside the
polygon, and numpy's statistics over those with dataMask 1.
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely
from osgeo import ogr, osr
from statistics_kit import (
    DEMO_DAYS,
    NDVI,
    NDVI_AND_MASK,
    PARCELS,
    RED,
    RED_AND_MASK,
    UTM11N,
    UTM33N,
    assert_stats,
    day_range,
    expected_stats,
    inside_polygon,
    real_data_engine,
    reference_pixels,
)
from testkit import local_engine

ogr.UseExceptions()
RES = 20.0
BASE = "/api/v1/statistics/batch"
# (fid, identifier, polygon): three close together (one group), one far east where the 16 July scene has no
# pixels, one a triangle that cuts pixels; EPSG:32611 like the demo catalog
FIELDS = [
    (
        1,
        "field-a",
        shapely.Polygon(
            [(303_533, 3_993_047), (303_911, 3_993_101), (303_877, 3_993_433), (303_555, 3_993_390)]
        ),
    ),
    (2, "field-b", shapely.box(303_950.5, 3_993_050.5, 304_190.5, 3_993_330.5)),
    (3, "field-c", shapely.Polygon([(303_610, 3_993_500), (304_120, 3_993_520), (303_700, 3_993_960)])),
    (7, "east", shapely.box(304_211.0, 3_993_111.0, 304_489.0, 3_993_889.0)),
    (9, "far", shapely.box(300_040.0, 3_990_060.0, 300_460.0, 3_990_380.0)),
]
CALCULATIONS = {"NDVI": {"statistics": {"default": {"percentiles": {"k": [25, 50, 90]}}}}}


@pytest.fixture(scope="module")
def engine(small_catalog, tmp_path_factory, s3_server):
    server = local_engine(
        tmp_path_factory.mktemp("batch-statistics-engine"),
        small_catalog,
        s3_server,
        TILEWISE_MAX_STATISTICAL_FEATURES="40",
    ).start()
    yield server
    server.stop()


def write_geopackage(
    path: Path, fields, epsg: int = 32611, geometry_type=ogr.wkbPolygon, layer="fields"
) -> Path:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    source = (
        ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
        if not path.exists()
        else ogr.Open(str(path), 1)
    )
    table = source.CreateLayer(layer, srs, geometry_type)
    table.CreateField(ogr.FieldDefn("identifier", ogr.OFTString))
    for fid, identifier, shape in fields:
        feature = ogr.Feature(table.GetLayerDefn())
        feature.SetFID(fid)
        feature.SetField("identifier", identifier)
        feature.SetGeometry(ogr.CreateGeometryFromWkb(shapely.to_wkb(shape)))
        table.CreateFeature(feature)
    source = None
    return path


def upload(s3_server, bucket: str, path: Path, key: str = "input/fields.gpkg") -> str:
    s3_server.client().upload_file(str(path), bucket, key)
    return f"s3://{bucket}/{key}"


def batch_body(features_url: str, output_url: str, evalscript: str = NDVI, **aggregation) -> dict:
    return {
        "input": {
            "features": {"s3": {"url": features_url}},
            "data": [{"type": "sentinel-2-l2a", "dataFilter": {"mosaickingOrder": "mostRecent"}}],
        },
        "aggregation": {
            "timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-17T00:00:00Z"},
            "aggregationInterval": {"of": "P1D"},
            "evalscript": evalscript,
            "resx": RES,
            "resy": RES,
            **aggregation,
        },
        "calculations": CALCULATIONS,
        "output": {"s3": {"url": output_url}},
    }


def spread_fields(count: int) -> list:
    """`count` 300 m squares 2.6 km apart inside the demo catalog: at 5 m, each its own group."""
    return [
        (i, f"f{i}", shapely.box(x, y, x + 300, y + 300))
        for i, (x, y) in enumerate(
            ((290_500.0 + 2_600.0 * (n % 7), 3_990_500.0 + 4_000.0 * (n // 7)) for n in range(count)), start=1
        )
    ]


def create(engine, body: dict) -> dict:
    response = engine.call("POST", BASE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def refused(engine, body: dict) -> str:
    response = engine.call("POST", BASE, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "COMMON_BAD_PAYLOAD" and error["status"] == 400
    return error["message"]


def act(engine, request_id: str, action: str, expected: int = 204):
    response = engine.call("POST", f"{BASE}/{request_id}/{action}")
    assert response.status_code == expected, response.text
    return response


def wait_status(engine, request_id: str, statuses: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = engine.call("GET", f"{BASE}/{request_id}/status").json()
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"still {body['status']}:\n{engine.log()[-3000:]}"
        time.sleep(0.2)


def results(s3_server, bucket: str, prefix: str) -> dict[str, dict]:
    client = s3_server.client()
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        item["Key"][len(prefix) :]: json.loads(
            client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        )
        for item in listed
    }


def snapped(shape: shapely.Geometry) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = shape.bounds
    return (
        math.floor(x0 / RES) * RES,
        math.floor(y0 / RES) * RES,
        math.ceil(x1 / RES) * RES,
        math.ceil(y1 / RES) * RES,
    )


@pytest.fixture(scope="module")
def finished_job(engine, s3_server, tmp_path_factory):
    """One job over FIELDS run to DONE: (task, status, results by file name, bucket)."""
    folder = tmp_path_factory.mktemp("batch-statistics")
    bucket = s3_server.new_bucket()
    features_url = upload(s3_server, bucket, write_geopackage(folder / "fields.gpkg", FIELDS))
    task = create(engine, batch_body(features_url, f"s3://{bucket}/results"))
    act(engine, task["id"], "start")
    status = wait_status(engine, task["id"], {"DONE", "FAILED"})
    return task, status, results(s3_server, bucket, f"results/{task['id']}/"), bucket


# --- values ---------------------------------------------------------------------------------------------


def test_each_features_daily_ndvi_equals_numpy_over_its_own_pixels(engine, finished_job, tmp_path):
    task, status, files, _ = finished_job
    assert status["status"] == "DONE", status
    assert sorted(files) == sorted(f"{fid}.json" for fid, _, _ in FIELDS)  # one file per feature, no other
    saw_no_data = False
    for fid, identifier, shape in FIELDS:
        document = files[f"{fid}.json"]
        assert document["id"] == fid and document["identifier"] == identifier
        assert document["response"]["status"] == "OK"
        entries = document["response"]["data"]
        days = [date(2023, 7, d) for d in DEMO_DAYS]
        assert [entry["interval"] for entry in entries] == [day_range(day) for day in days]
        bbox = snapped(shape)
        inside = inside_polygon(shapely.geometry.mapping(shape), bbox, RES)
        assert 0 < inside.sum() < inside.size or fid in (2, 7, 9)  # the boxes fill their grids
        for entry, day in zip(entries, days):
            ndvi, mask = reference_pixels(engine, NDVI_AND_MASK, bbox, UTM11N, RES, day, tmp_path)
            values = ndvi[inside & (mask != 0)]
            stats = entry["outputs"]["NDVI"]["bands"]["B0"]["stats"]
            if values.size == 0:
                assert stats["mean"] == "NaN" and stats["noDataCount"] == stats["sampleCount"] == inside.sum()
                saw_no_data = True
                continue
            assert_stats(stats, expected_stats(values, int(inside.sum())))
            for k in (25, 50, 90):
                assert stats["percentiles"][str(float(k))] == pytest.approx(
                    np.percentile(values, k, method="higher"), rel=1e-12
                )
    assert saw_no_data  # the east field has no pixels on 16 July


def test_a_finished_job_reports_done_at_100_percent_with_its_cost_and_the_request_without_keys(
    engine, finished_job
):
    task, status, _, bucket = finished_job
    assert task["status"] == "CREATED" and task["completionPercentage"] == 0 and task["costPU"] == 0
    assert task["featureCount"] == len(FIELDS)
    assert status["completionPercentage"] == 100 and status["costPU"] > 0
    assert set(status) >= {"id", "status", "completionPercentage", "lastUpdated", "costPU", "created"}
    full = engine.call("GET", f"{BASE}/{task['id']}").json()
    # sentinelhub-py's BatchStatisticalRequest.from_dict needs these four
    assert {"id", "completionPercentage", "request", "status"} <= set(full)
    assert full["request"]["output"] == {"s3": {"url": f"s3://{bucket}/results"}}
    assert full["valueEstimate"] > 0
    listed = engine.call("GET", BASE, params={"count": 100}).json()
    assert task["id"] in [item["id"] for item in listed["data"]]


def test_outputs_without_a_sample_type_are_float32_as_in_the_statistical_api(
    engine, s3_server, finished_job, tmp_path
):
    _, _, pool_files, _ = finished_job
    bucket = s3_server.new_bucket()
    features_url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", FIELDS[:2]))
    script = NDVI.replace(', sampleType: "FLOAT32"', "")
    assert script != NDVI
    task = create(engine, batch_body(features_url, f"s3://{bucket}/out", evalscript=script))
    act(engine, task["id"], "start")
    assert wait_status(engine, task["id"], {"DONE", "FAILED"})["status"] == "DONE"
    files = results(s3_server, bucket, f"out/{task['id']}/")
    assert files == {name: pool_files[name] for name in ("1.json", "2.json")}  # not 0–255 values


def test_a_request_with_keys_keeps_them_out_of_every_answer(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    features_url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", FIELDS[:1]))
    body = batch_body(features_url, f"s3://{bucket}/out")
    keys = {"accessKey": s3_server.access_key, "secretAccessKey": s3_server.secret_key}
    body["input"]["features"]["s3"].update(keys)
    body["output"]["s3"].update(keys)
    task = create(engine, body)
    for answer in (task, engine.call("GET", f"{BASE}/{task['id']}").json()):
        assert s3_server.secret_key not in json.dumps(answer)
    act(engine, task["id"], "start")
    assert wait_status(engine, task["id"], {"DONE", "FAILED"})["status"] == "DONE"
    assert list(results(s3_server, bucket, f"out/{task['id']}/")) == ["1.json"]


def test_a_job_on_a_local_dask_cluster_writes_the_process_pools_results(
    engine_factory, small_catalog, s3_server, finished_job, tmp_path
):
    _, _, pool_files, _ = finished_job
    engine = engine_factory(small_catalog, workers=2, TILEWISE_EXECUTOR="dask-local")
    bucket = s3_server.new_bucket()
    features_url = upload(s3_server, bucket, write_geopackage(tmp_path / "fields.gpkg", FIELDS))
    task = create(engine, batch_body(features_url, f"s3://{bucket}/results"))
    act(engine, task["id"], "start")
    assert wait_status(engine, task["id"], {"DONE", "FAILED"})["status"] == "DONE"
    assert engine.call("GET", "/api/v1/engine/status").json()["executor"] == "dask-local"
    assert results(s3_server, bucket, f"results/{task['id']}/") == pool_files


# --- a feature that fails, stop and restart, kill and resume --------------------------------------------


def test_a_feature_too_large_for_the_resolution_gets_an_error_and_the_others_their_statistics(
    engine, s3_server, tmp_path
):
    bucket = s3_server.new_bucket()
    huge = shapely.box(250_000, 3_940_000, 310_000, 3_995_000)  # 3000 x 2750 px at 20 m
    fields = [(1, "small", FIELDS[1][2]), (2, "huge", huge)]
    features_url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", fields))
    task = create(engine, batch_body(features_url, f"s3://{bucket}/out"))
    act(engine, task["id"], "start")
    assert wait_status(engine, task["id"], {"DONE", "FAILED"})["status"] == "DONE"
    files = results(s3_server, bucket, f"out/{task['id']}/")
    assert files["2.json"]["identifier"] == "huge" and "response" not in files["2.json"]
    assert files["2.json"]["error"]["type"] == "EXECUTION_ERROR"
    assert "3000 × 2750 px" in files["2.json"]["error"]["message"]
    assert files["1.json"]["response"]["status"] == "OK" and len(files["1.json"]["response"]["data"]) == 3


def test_a_stopped_job_starts_again_and_finishes_every_feature_once(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    # far apart: one group each, so the stop lands between groups
    fields = spread_fields(8)
    features_url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", fields))
    task = create(engine, batch_body(features_url, f"s3://{bucket}/out", resx=5.0, resy=5.0))
    act(engine, task["id"], "analyse")
    assert wait_status(engine, task["id"], {"ANALYSIS_DONE"})["status"] == "ANALYSIS_DONE"
    act(engine, task["id"], "start")
    act(engine, task["id"], "stop")
    stopped = wait_status(engine, task["id"], {"STOPPED"})
    assert stopped["stoppedStatusReason"] == "USER_ACTION" and stopped["completionPercentage"] < 100
    act(engine, task["id"], "cancel", expected=409)  # the old name of stop: nothing to stop now
    act(engine, task["id"], "start")
    assert wait_status(engine, task["id"], {"DONE", "FAILED"})["status"] == "DONE"
    files = results(s3_server, bucket, f"out/{task['id']}/")
    assert sorted(files) == sorted(f"{i}.json" for i in range(1, 9))
    assert all(doc["response"]["status"] == "OK" for doc in files.values())


def test_a_killed_engine_resumes_the_job_and_writes_every_feature(small_catalog, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    fields = spread_fields(12)
    features_url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", fields))
    server = local_engine(tmp_path / "engine", small_catalog, s3_server).start()
    try:
        task = create(server, batch_body(features_url, f"s3://{bucket}/out", resx=5.0, resy=5.0))
        act(server, task["id"], "start")
        deadline = time.monotonic() + 120
        while (status := server.call("GET", f"{BASE}/{task['id']}/status").json())[
            "completionPercentage"
        ] == 0:
            assert time.monotonic() < deadline, server.log()[-3000:]
            time.sleep(0.05)
        assert status["status"] == "PROCESSING" and status["completionPercentage"] < 50  # killed mid-job
        server.stop(kill=True)
        server.start()
        assert wait_status(server, task["id"], {"DONE", "FAILED"})["status"] == "DONE"
    finally:
        server.stop()
    files = results(s3_server, bucket, f"out/{task['id']}/")
    assert sorted(files) == sorted(f"{i}.json" for i in range(1, 13))
    # 16 July's scene covers only the west 70 % of the catalog: east fields have two days with data
    days = {
        fid: [entry["interval"]["from"][:10] for entry in doc["response"]["data"]]
        for fid, doc in files.items()
    }
    assert all(
        found in (["2023-07-01", "2023-07-11"], ["2023-07-01", "2023-07-11", "2023-07-16"])
        for found in days.values()
    )
    assert any(len(found) == 3 for found in days.values()) and any(len(found) == 2 for found in days.values())


# --- refusals -------------------------------------------------------------------------------------------


def test_a_layer_of_points_is_refused_saying_to_use_polygons(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    points = [(1, "p", shapely.Point(303_600, 3_993_100))]
    url = upload(s3_server, bucket, write_geopackage(tmp_path / "p.gpkg", points, geometry_type=ogr.wkbPoint))
    message = refused(engine, batch_body(url, f"s3://{bucket}/out"))
    assert "Feature 1" in message and "not a polygon" in message and "buffer" in message


def test_polygons_in_two_tables_of_different_crss_are_refused_naming_both(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    path = write_geopackage(tmp_path / "two.gpkg", FIELDS[:1], layer="utm")
    write_geopackage(path, [(1, "w", shapely.box(-119.3, 36.0, -119.29, 36.01))], epsg=4326, layer="wgs84")
    message = refused(engine, batch_body(upload(s3_server, bucket, path), f"s3://{bucket}/out"))
    assert "'utm' (EPSG:32611)" in message and "'wgs84' (EPSG:4326)" in message
    assert "several CRSs" in message and "one table in one CRS" in message


def test_more_features_than_the_engine_allows_are_refused_saying_to_split(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    many = [
        (i, f"f{i}", shapely.box(300_000 + i * 100, 3_990_000, 300_050 + i * 100, 3_990_050))
        for i in range(1, 42)
    ]
    message = refused(
        engine,
        batch_body(
            upload(s3_server, bucket, write_geopackage(tmp_path / "m.gpkg", many)), f"s3://{bucket}/o"
        ),
    )
    assert "41 features" in message and "more than the 40" in message and "split" in message


def test_a_geopackage_the_engine_cannot_read_is_refused_naming_it(engine, s3_server):
    bucket = s3_server.new_bucket()
    message = refused(engine, batch_body(f"s3://{bucket}/missing.gpkg", f"s3://{bucket}/out"))
    assert f"s3://{bucket}/missing.gpkg" in message


def test_an_evalscript_without_a_datamask_output_is_refused_before_anything_runs(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", FIELDS[:1]))
    script = NDVI.replace(', {id: "dataMask", bands: 1}', "").replace(", dataMask: [s.dataMask]", "")
    message = refused(engine, batch_body(url, f"s3://{bucket}/out", evalscript=script))
    assert "dataMask" in message


def test_an_interval_shorter_than_a_day_is_refused(engine, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    url = upload(s3_server, bucket, write_geopackage(tmp_path / "f.gpkg", FIELDS[:1]))
    message = refused(engine, batch_body(url, f"s3://{bucket}/out", aggregationInterval={"of": "PT12H"}))
    assert "at least one day" in message


# --- real Sentinel-2 pixels under the Batch Statistical example's parcels ------------------------------------


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory, s3_server):
    server = real_data_engine(tmp_path_factory.mktemp("batch-statistics-real"), s3_server).start()
    yield server
    server.stop()


def parcels_in_utm33n(target: Path) -> list[tuple[int, str, shapely.Geometry]]:
    """The example GeoPackage's parcels (EPSG:4326) written to `target` in EPSG:32633, as sentinelhub-py's
    example does before its job, keeping their ids and identifiers."""
    source = ogr.Open(str(PARCELS))
    layer = source.GetLayer(0)
    wgs84, utm = layer.GetSpatialRef().Clone(), osr.SpatialReference()
    utm.ImportFromEPSG(32633)
    for srs in (wgs84, utm):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_utm = osr.CoordinateTransformation(wgs84, utm)
    parcels = []
    for feature in layer:
        shape = feature.GetGeometryRef().Clone()
        shape.Transform(to_utm)
        parcels.append(
            (feature.GetFID(), feature.GetField("identifier"), shapely.from_wkb(bytes(shape.ExportToWkb())))
        )
    write_geopackage(target, parcels, epsg=32633, geometry_type=ogr.wkbMultiPolygon)
    return parcels


def test_real_parcels_red_reflectance_per_feature_equals_numpy_over_their_pixels(
    real_engine, s3_server, tmp_path
):
    parcels = parcels_in_utm33n(tmp_path / "parcels.gpkg")
    assert len(parcels) == 364  # the example GeoPackage, as the reference describes it
    bucket = s3_server.new_bucket()
    body = batch_body(
        upload(s3_server, bucket, tmp_path / "parcels.gpkg"), f"s3://{bucket}/out", evalscript=RED
    )
    body["aggregation"].update(
        timeRange={"from": "2023-08-10T00:00:00Z", "to": "2023-08-21T00:00:00Z"}, resx=10.0, resy=10.0
    )
    body["calculations"] = {}
    task = create(real_engine, body)
    act(real_engine, task["id"], "start")
    assert wait_status(real_engine, task["id"], {"DONE", "FAILED"}, timeout=600)["status"] == "DONE"
    files = results(s3_server, bucket, f"out/{task['id']}/")
    assert sorted(files) == sorted(f"{fid}.json" for fid, _, _ in parcels)
    assert {doc["identifier"] for doc in files.values()} == {identifier for _, identifier, _ in parcels}
    by_area = sorted(parcels, key=lambda parcel: parcel[2].area)
    checked = 0
    for fid, _, shape in (by_area[0], by_area[len(by_area) // 2], by_area[-1]):
        bbox = (
            math.floor(shape.bounds[0] / 10) * 10,
            math.floor(shape.bounds[1] / 10) * 10,
            math.ceil(shape.bounds[2] / 10) * 10,
            math.ceil(shape.bounds[3] / 10) * 10,
        )
        inside = inside_polygon(shapely.geometry.mapping(shape), bbox, 10.0)
        for entry in files[f"{fid}.json"]["response"]["data"]:
            day = date.fromisoformat(entry["interval"]["from"][:10])
            red, mask = reference_pixels(real_engine, RED_AND_MASK, bbox, UTM33N, 10.0, day, tmp_path)
            values = red[inside & (mask != 0)]
            stats = entry["outputs"]["red"]["bands"]["B0"]["stats"]
            assert stats["sampleCount"] == int(inside.sum())  # 0 for the smallest: no pixel centre inside
            if values.size:
                assert_stats(stats, expected_stats(values, int(inside.sum())))
                checked += 1
            else:
                assert stats["mean"] == "NaN"
    assert checked >= 3  # days with pixels were compared for real
