"""v2 per-feature progress from the bucket artefacts: the feature manifest (GeoPackage, read with OGR) and
the execution database (SQLite), on files built here and on a live engine's job."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from osgeo import gdal, ogr, osr
from testkit import NDVI_WITH_MASK, process_request_json, request_body

from tilewise.core.jobs import BatchJob
from tilewise.core.storage import BOTO3, GDAL, S3Access, StorageError, gdal_path, job_outputs
from tilewise.core.v2_progress import (
    ArtefactError,
    clear_manifest_cache,
    execution_statuses,
    execution_url,
    manifest_tiles,
    manifest_url,
    v2_tiles,
)

gdal.UseExceptions()
ogr.UseExceptions()

# (identifier, epsg, x0, y0) of 1000 m square features; two outputs each, so two manifest rows each
FEATURES = [("11SKV_9_0", 32611, 290_000, 3_990_000), ("11SLV_0_0", 32611, 300_000, 3_990_000)]
FEATURES += [("12SUA_0_0", 32612, 200_000, 3_990_000)]
OUTPUTS = ("ndvi", "mask")


@pytest.fixture(autouse=True)
def fresh_state():
    clear_manifest_cache()
    yield
    clear_manifest_cache()
    gdal.ClearPathSpecificOptions()
    gdal.VSICurlClearCache()


def write_manifest(path: Path, features=FEATURES, outputs=OUTPUTS, url="s3://b/jobs/r1") -> Path:
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layers = {}
    for name, epsg, x0, y0 in features:
        if epsg not in layers:
            srs = osr.SpatialReference()
            srs.ImportFromEPSG(epsg)
            layer = source.CreateLayer(f"feature_{epsg}", srs, ogr.wkbPolygon, ["FID=fid"])
            for field, kind in (
                ("outputId", ogr.OFTString),
                ("identifier", ogr.OFTString),
                ("path", ogr.OFTString),
                ("width", ogr.OFTInteger),
                ("height", ogr.OFTInteger),
            ):
                layer.CreateField(ogr.FieldDefn(field, kind))
            layers[epsg] = layer
        layer = layers[epsg]
        x1, y1 = x0 + 1000, y0 + 1000
        ring = ogr.CreateGeometryFromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
        for output in outputs:
            feature = ogr.Feature(layer.GetLayerDefn())
            for field, value in (
                ("outputId", output),
                ("identifier", name),
                ("path", f"{url}/{name}/{output}.tif"),
                ("width", 100),
                ("height", 100),
            ):
                feature.SetField(field, value)
            feature.SetGeometry(ring)
            layer.CreateFeature(feature)
    source = None
    return path


def write_execution(path: Path, rows: list[tuple]) -> Path:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE features (id INTEGER PRIMARY KEY, name TEXT, status TEXT, error TEXT, delivered BOOLEAN)"
        )
        connection.executemany("INSERT INTO features VALUES (?, ?, ?, ?, ?)", rows)
    return path


def job_v2(job_id: str, url: str, status: str = "PROCESSING") -> BatchJob:
    body = {"id": job_id, "status": status, "request": request_body(2, url)}
    return BatchJob.from_v2(body, "local")


# --- the files -------------------------------------------------------------------------------------------


def test_the_manifest_gives_one_pending_tile_per_feature_with_its_crs_and_footprint(tmp_path):
    tiles = manifest_tiles(write_manifest(tmp_path / "m.gpkg"))
    # fids number rows (two outputs per feature, from 1 in each table): ids number features instead
    assert [(t.id, t.name, t.status, t.epsg) for t in tiles] == [
        (1, "11SKV_9_0", "PENDING", 32611),
        (2, "11SLV_0_0", "PENDING", 32611),
        (3, "12SUA_0_0", "PENDING", 32612),
    ]
    footprint = tiles[2].footprint
    assert footprint["type"] == "Polygon"
    assert footprint["coordinates"] == [
        [
            (200_000, 3_990_000),
            (201_000, 3_990_000),
            (201_000, 3_991_000),
            (200_000, 3_991_000),
            (200_000, 3_990_000),
        ]
    ]
    assert json.loads(json.dumps(footprint))["coordinates"][0][1] == [201_000, 3_990_000]  # plain GeoJSON


def test_manifest_ids_stay_put_when_read_again(tmp_path):
    path = write_manifest(tmp_path / "m.gpkg")
    assert [t.id for t in manifest_tiles(path)] == [t.id for t in manifest_tiles(path)]


def test_tables_other_than_feature_tables_are_ignored(tmp_path):
    path = write_manifest(tmp_path / "m.gpkg")
    source = ogr.Open(str(path), update=1)
    layer = source.CreateLayer("notes", None, ogr.wkbNone)
    layer.CreateField(ogr.FieldDefn("identifier", ogr.OFTString))
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetField("identifier", "not a feature")
    layer.CreateFeature(feature)
    source = None
    assert [t.name for t in manifest_tiles(path)] == ["11SKV_9_0", "11SLV_0_0", "12SUA_0_0"]


def test_a_file_that_is_not_a_manifest_is_an_artefact_error(tmp_path):
    (tmp_path / "bad.gpkg").write_bytes(b"not a geopackage")
    with pytest.raises(ArtefactError, match="bad.gpkg"):
        manifest_tiles(tmp_path / "bad.gpkg")


def test_the_execution_database_gives_status_and_error_by_feature_id(tmp_path):
    path = write_execution(
        tmp_path / "e.sqlite",
        [
            (11, "11SKV_9_0", "DONE", None, True),
            (12, "11SLV_0_0", "FATAL", "Failed 3 times: no data", False),
            (13, "12SUA_0_0", "PENDING", None, False),
            (14, "12SUA_0_1", "DONE", "No data", True),
        ],
    )
    assert execution_statuses(path) == {
        11: ("DONE", None),
        12: ("FATAL", "Failed 3 times: no data"),
        13: ("PENDING", None),
        14: ("DONE", "No data"),
    }
    assert list(tmp_path.iterdir()) == [path]  # read-only: no journal left behind


def test_a_database_without_the_features_table_is_an_artefact_error(tmp_path):
    with sqlite3.connect(tmp_path / "e.sqlite") as connection:
        connection.execute("CREATE TABLE other (x)")
    with pytest.raises(ArtefactError, match=r"e\.sqlite.*features\(id, name, status, error, delivered\)"):
        execution_statuses(tmp_path / "e.sqlite")


# --- from a bucket ---------------------------------------------------------------------------------------


@pytest.fixture
def access(s3_server) -> S3Access:
    return S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)


def test_artefact_urls_are_in_the_fixed_folder_of_the_delivery_url():
    assert manifest_url(job_v2("r1", "s3://b/jobs")) == "s3://b/jobs/featureManifest-r1.gpkg"
    assert execution_url(job_v2("r1", "s3://b/jobs/")) == "s3://b/jobs/execution-r1.sqlite"
    templated = job_v2("r1", "s3://b/out/run_<requestId>/<tileName>/<outputId>.<format>")
    assert execution_url(templated) == "s3://b/out/execution-r1.sqlite"


@pytest.mark.parametrize("backend", (BOTO3, GDAL))
def test_v2_tiles_follow_the_artefacts_as_they_appear(s3_server, s3_bucket, access, backend, tmp_path):
    client = s3_server.client()
    scratch = tmp_path / "scratch"
    job = job_v2("r1", f"s3://{s3_bucket}/jobs", status="CREATED")
    assert v2_tiles(access, job, scratch, backend=backend) == []  # not analysed: nothing, and no error

    manifest = write_manifest(tmp_path / "m.gpkg")
    client.upload_file(str(manifest), s3_bucket, "jobs/featureManifest-r1.gpkg")
    job = job_v2("r1", f"s3://{s3_bucket}/jobs", status="ANALYSIS_DONE")
    pending = v2_tiles(access, job, scratch, backend=backend)
    assert [(t.name, t.status) for t in pending] == [(f[0], "PENDING") for f in FEATURES]

    rows = [(11, "11SKV_9_0", "DONE", None, True), (12, "11SLV_0_0", "PENDING", None, False)]
    execution = write_execution(tmp_path / "e.sqlite", rows)
    client.upload_file(str(execution), s3_bucket, "jobs/execution-r1.sqlite")
    client.delete_object(Bucket=s3_bucket, Key="jobs/featureManifest-r1.gpkg")  # read once: not needed again
    first = v2_tiles(access, job, scratch, backend=backend)
    assert [(t.name, t.status) for t in first] == [
        ("11SKV_9_0", "DONE"),
        ("11SLV_0_0", "PENDING"),
        ("12SUA_0_0", "PENDING"),  # not in the database yet
    ]
    assert [t.id for t in first] == [t.id for t in pending]  # ids do not move when statuses arrive

    rows[1] = (12, "11SLV_0_0", "FATAL", "Failed 3 times", False)
    rows.append((13, "12SUA_0_0", "DONE", None, True))
    client.upload_file(str(write_execution(execution, rows)), s3_bucket, "jobs/execution-r1.sqlite")
    second = v2_tiles(access, job, scratch, backend=backend)  # the database is read again every call
    assert [(t.name, t.status, t.failure_reason) for t in second] == [
        ("11SKV_9_0", "DONE", None),
        ("11SLV_0_0", "FATAL", "Failed 3 times"),
        ("12SUA_0_0", "DONE", None),
    ]
    assert sorted(p.name for p in scratch.iterdir()) == ["featureManifest-r1.gpkg"]  # no database left behind


def test_undelivered_features_of_a_processing_job_show_as_running(s3_server, s3_bucket, access, tmp_path):
    client = s3_server.client()
    client.upload_file(str(write_manifest(tmp_path / "m.gpkg")), s3_bucket, "jobs/featureManifest-r4.gpkg")
    url = f"s3://{s3_bucket}/jobs"
    started = v2_tiles(access, job_v2("r4", url, status="PROCESSING"), tmp_path)  # no execution database yet
    assert {t.status for t in started} == {"PROCESSING"}
    rows = [(1, "11SKV_9_0", "DONE", None, True), (2, "11SLV_0_0", "FATAL", "Failed 3 times", False)]
    execution = write_execution(tmp_path / "e.sqlite", rows)  # the third feature: not in it yet
    client.upload_file(str(execution), s3_bucket, "jobs/execution-r4.sqlite")
    statuses = [
        (t.name, t.status) for t in v2_tiles(access, job_v2("r4", url, status="PROCESSING"), tmp_path)
    ]
    assert statuses == [("11SKV_9_0", "DONE"), ("11SLV_0_0", "FATAL"), ("12SUA_0_0", "PROCESSING")]
    # before processing, and once the job is stopped or over, an undelivered feature is PENDING again
    for status in ("ANALYSIS_DONE", "STOPPED", "DONE"):
        tiles = v2_tiles(access, job_v2("r4", url, status=status), tmp_path)
        assert tiles[-1].status == "PENDING", status


def test_the_downloaded_manifest_is_reused_across_sessions(s3_server, s3_bucket, access, tmp_path):
    client = s3_server.client()
    client.upload_file(str(write_manifest(tmp_path / "m.gpkg")), s3_bucket, "jobs/featureManifest-r2.gpkg")
    job = job_v2("r2", f"s3://{s3_bucket}/jobs")
    assert len(v2_tiles(access, job, tmp_path)) == 3
    clear_manifest_cache()  # a new QGIS session: the file in scratch is still there
    client.delete_object(Bucket=s3_bucket, Key="jobs/featureManifest-r2.gpkg")
    assert len(v2_tiles(access, job, tmp_path)) == 3


def test_an_analysed_job_without_its_manifest_is_an_error(s3_bucket, access, tmp_path):
    job = job_v2("r3", f"s3://{s3_bucket}/jobs", status="PROCESSING")
    with pytest.raises(StorageError, match=f"analysed.*s3://{s3_bucket}/jobs/featureManifest-r3.gpkg"):
        v2_tiles(access, job, tmp_path)


def test_a_v1_job_has_no_bucket_progress(access, tmp_path):
    job = BatchJob.from_v1({"id": "v1", "bucketName": "b"}, "local")
    with pytest.raises(ValueError, match="tile endpoint"):
        v2_tiles(access, job, tmp_path)


# --- a live engine ---------------------------------------------------------------------------------------


def engine_body(url: str, s3_server) -> dict:
    return {
        "processRequest": process_request_json(NDVI_WITH_MASK, responses=("ndvi", "mask")),
        "input": {"type": "tiling-grid", "id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {
            "type": "raster",
            "delivery": {
                "s3": {
                    "url": url,
                    "accessKey": s3_server.access_key,
                    "secretAccessKey": s3_server.secret_key,
                    "region": s3_server.region,
                }
            },
        },
        "description": "v2 progress test",
    }


@pytest.mark.slow
def test_a_live_v2_job_shows_its_features_pending_then_done(
    engine_factory, small_catalog, s3_server, access, tmp_path
):
    engine = engine_factory(small_catalog, workers=1, TILEWISE_EXECUTION_DB_INTERVAL="1")
    bucket = s3_server.new_bucket()
    created = engine.call("POST", "/api/v2/batch/process", json=engine_body(f"s3://{bucket}/jobs", s3_server))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    scratch = tmp_path / "scratch"

    assert v2_tiles(access, BatchJob.from_v2(created.json(), "local"), scratch) == []  # before the analysis

    assert engine.call("POST", f"/api/v2/batch/process/{request_id}/analyse").status_code == 204
    analysed = engine.wait_for(request_id, {"ANALYSIS_DONE", "FAILED"}, api="v2")
    assert analysed["status"] == "ANALYSIS_DONE", analysed.get("error")
    before = v2_tiles(access, BatchJob.from_v2(analysed, "local"), scratch)
    assert [(t.name, t.status, t.epsg) for t in before] == [
        ("11SKV_9_0", "PENDING", 32611),
        ("11SLV_0_0", "PENDING", 32611),
    ]

    assert engine.call("POST", f"/api/v2/batch/process/{request_id}/start").status_code == 204
    done = engine.wait_for(request_id, {"DONE", "FAILED", "STOPPED"}, api="v2")
    assert done["status"] == "DONE", done.get("error")
    job = BatchJob.from_v2(done, "local")
    deadline = time.monotonic() + 30  # the final execution database upload runs beside the scheduler
    while True:
        after = v2_tiles(access, job, scratch)
        if {t.status for t in after} == {"DONE"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [(t.id, t.name, t.status, t.epsg) for t in after] == [
        (t.id, t.name, "DONE", 32611) for t in before
    ]
    assert [(t.name, t.status) for t in v2_tiles(access, job, scratch, backend=GDAL)] == [
        (t.name, "DONE") for t in before
    ]
    for tile in after:  # the raster footprint in UTM: 500 px at 20 m, no buffer
        ring = tile.footprint["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        assert tile.footprint["type"] == "Polygon" and len(ring) == 5
        assert (max(xs) - min(xs), max(ys) - min(ys)) == (10_000, 10_000)
        assert 200_000 < min(xs) < 800_000 and 3_900_000 < min(ys) < 4_100_000

    outputs = job_outputs(access, job)
    assert [(o.tile_name, o.output_id) for o in outputs] == [
        (name, output) for name in ("11SKV_9_0", "11SLV_0_0") for output in ("mask", "ndvi")
    ]
    # and GDAL (so QGIS) opens a delivered GeoTIFF straight from the bucket
    dataset = gdal.Open(gdal_path(outputs[1].url))
    assert (dataset.RasterXSize, dataset.RasterYSize) == (500, 500)
    assert osr.SpatialReference(wkt=dataset.GetProjection()).GetAuthorityCode(None) == "32611"
