"""Field statistics end to end against a live engine on the small demo catalog: FieldStatisticsTask sends the
polygons (one Statistical API request each, or a Batch Statistical job through the local S3 server), writes
the results GeoPackage, and its means equal numpy over a Process API rendering of the same grid and day."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
import shapely
from osgeo import gdal, ogr
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, local_engine

from tilewise.core import field_statistics
from tilewise.core.auth import ClientCredentials
from tilewise.core.deployments import custom_deployment
from tilewise.core.field_statistics import (
    SYNCHRONOUS_LIMIT,
    FieldPolygon,
    FieldStatisticsOptions,
    read_statistics_table,
)
from tilewise.core.field_statistics_run import StatisticsStorage
from tilewise.core.field_statistics_task import FieldStatisticsTask
from tilewise.core.s3 import S3Access
from tilewise.core.statistical_client import StatisticalClient
from tilewise.core.statistics_presets import statistics_preset

gdal.UseExceptions()
UTM11N = "EPSG:32611"
RES = 20.0
DEMO_DAYS = (1, 11, 16)  # the small demo catalog's acquisitions in July 2023 (engine/data/demo.py SMALL_SPEC)
# inside the small catalog's area; the third lies east of the 16 July scene's edge (x ≈ 304,008): no data then
POLYGONS = (
    FieldPolygon(1, "quadrilateral", "POLYGON ((303533 3993047, 304467 3993211, 304301 3993977, 303611 3993689, 303533 3993047))"),
    FieldPolygon(2, "square", "POLYGON ((303100 3993100, 303500 3993100, 303500 3993500, 303100 3993500, 303100 3993100))"),
    FieldPolygon(5, "east of the scene", "POLYGON ((304211 3993111, 304489 3993111, 304489 3993889, 304211 3993889, 304211 3993111))"),
)  # fmt: skip
NDVI_AND_MASK = """//VERSION=3
function setup() { return {input: [{bands: ["B04", "B08", "dataMask"]}], output: {bands: 2, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04), s.dataMask]; }
"""


@pytest.fixture(scope="module")
def engine(small_catalog, s3_server, tmp_path_factory):
    server = local_engine(
        tmp_path_factory.mktemp("field-statistics-engine"), small_catalog, s3_server
    ).start()
    yield server
    server.stop()


@pytest.fixture
def client(engine):
    deployment = custom_deployment("Test engine", engine.url)
    with StatisticalClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET)) as client:
        yield client


def ndvi_options(**changes) -> FieldStatisticsOptions:
    values = dict(
        evalscript=statistics_preset("NDVI").script,
        time_from=datetime(2023, 7, 1, tzinfo=timezone.utc),
        time_to=datetime(2023, 7, 17, tzinfo=timezone.utc),
        resolution=RES,
        mosaicking_order="mostRecent",
    )
    return FieldStatisticsOptions(**{**values, **changes})


def run_task(task: FieldStatisticsTask) -> FieldStatisticsTask:
    """The task's work on this thread, then its end as QGIS's task manager would report it."""
    finished = []
    task._on_done = finished.append
    task.finished(task.run())
    assert finished == [task]
    return task


def reference_ndvi(engine, polygon: FieldPolygon, day: date, folder) -> tuple[np.ndarray, int, bool]:
    """NDVI of the pixels whose centre lies in the polygon and that have data, from a Process API TIFF of the
    polygon's grid that day (shapely picks the pixels); the count of pixels inside; whether the day's scene
    reaches the grid at all. The grid: the polygon's bounds grown to whole pixels from the CRS's origin, the
    grid of both the synchronous requests and a batch statistical job (docs/engine.md)."""
    geometry = shapely.from_wkt(polygon.wkt)
    following = day + timedelta(days=1)
    x0, y0, x1, y1 = geometry.bounds
    snapped = [
        np.floor(x0 / RES) * RES,
        np.floor(y0 / RES) * RES,
        np.ceil(x1 / RES) * RES,
        np.ceil(y1 / RES) * RES,
    ]
    bounds = {"bbox": [float(v) for v in snapped]}
    body = {
        "input": {
            "bounds": {**bounds, "properties": {"crs": "http://www.opengis.net/def/crs/EPSG/0/32611"}},
            "data": [{"type": "sentinel-2-l2a", "dataFilter": {
                "timeRange": {"from": f"{day}T00:00:00Z", "to": f"{following}T00:00:00Z"},
                "mosaickingOrder": "mostRecent"}}],
        },
        "output": {"resx": RES, "resy": RES, "responses": [{"identifier": "default", "format": {"type": "image/tiff"}}]},
        "evalscript": NDVI_AND_MASK,
    }  # fmt: skip
    response = engine.call("POST", "/api/v1/process", json=body)
    assert response.status_code == 200, response.text
    path = folder / f"{polygon.fid}-{day}.tif"
    path.write_bytes(response.content)
    raster = gdal.Open(str(path))
    ndvi, mask = raster.ReadAsArray().astype(np.float64)
    x0, dx, _, y0, _, dy = raster.GetGeoTransform()
    xs, ys = np.meshgrid(
        x0 + (np.arange(raster.RasterXSize) + 0.5) * dx, y0 + (np.arange(raster.RasterYSize) + 0.5) * dy
    )
    inside = shapely.contains_xy(geometry, xs, ys)
    return ndvi[inside & (mask != 0)], int(inside.sum()), bool(mask.any())


def test_a_few_fields_go_synchronous_and_their_daily_means_equal_numpy(engine, client, tmp_path):
    task = run_task(
        FieldStatisticsTask(client, POLYGONS, UTM11N, ndvi_options(), tmp_path / "results.gpkg", storage=None)
    )
    assert task.error is None and task.failed_features == [] and task.job_id is None
    latest_with_data = {}
    for polygon in POLYGONS:
        references = {}
        for day in DEMO_DAYS:
            values, sample_count, scene_there = reference_ndvi(engine, polygon, date(2023, 7, day), tmp_path)
            if scene_there:  # intervals without a scene over the polygon are not listed
                references[f"2023-07-{day:02d}T00:00:00Z"] = (values, sample_count)
        rows = read_statistics_table(task.results_path, polygon.fid)
        assert [row.interval_from for row in rows] == list(references)
        for row in rows:
            values, sample_count = references[row.interval_from]
            assert (row.output, row.band, row.sample_count) == ("ndvi", "B0", sample_count)
            assert row.no_data_count == sample_count - values.size
            if values.size == 0:
                assert row.mean is None and row.st_dev is None
                continue
            assert row.mean == pytest.approx(values.mean(), rel=1e-9)
            assert row.st_dev == pytest.approx(values.std(), rel=1e-9, abs=1e-12)
            assert (row.min, row.max) == pytest.approx((values.min(), values.max()), rel=1e-9)
            latest_with_data[polygon.fid] = (row.interval_from, values.mean())
    assert latest_with_data[5][0] == "2023-07-11T00:00:00Z"  # no 16 July pixel there
    source = ogr.Open(str(task.results_path))  # kept: its layers die with it
    joined = {feature.GetFID(): feature.items() for feature in source.GetLayerByName("fields")}
    assert set(joined) == {1, 2, 5}
    for fid, (interval, mean) in latest_with_data.items():
        assert joined[fid]["latest_interval"] == interval
        assert joined[fid]["ndvi_B0_mean"] == pytest.approx(mean, rel=1e-9)


def test_a_field_the_service_refuses_is_reported_and_the_others_computed(client, tmp_path):
    # 60 km wide at 20 m: 3,000 px a side, more than the engine's 2,500
    huge = FieldPolygon(
        9, "huge", "POLYGON ((250000 3950000, 310000 3950000, 310000 4010000, 250000 3950000))"
    )
    task = run_task(
        FieldStatisticsTask(client, [POLYGONS[1], huge], UTM11N, ndvi_options(), tmp_path / "r.gpkg", None)
    )
    assert task.error is None
    assert [fid for fid, _ in task.failed_features] == [9]
    assert "2500 px" in task.failed_features[0][1]
    assert {row.fid for row in task.rows if row.mean is not None} == {2}


def test_bad_input_is_refused_before_any_request(client, tmp_path):
    task = run_task(
        FieldStatisticsTask(
            client, POLYGONS, UTM11N, ndvi_options(interval="PT6H"), tmp_path / "r.gpkg", storage=None
        )
    )
    assert "at least one day" in task.error and not (tmp_path / "r.gpkg").exists()


def test_many_fields_without_a_bucket_are_refused_with_what_to_choose(client, tmp_path):
    many = [
        FieldPolygon(
            fid, str(fid), f"POLYGON (({x} 3993100, {x + 20} 3993100, {x + 20} 3993120, {x} 3993100))"
        )
        for fid, x in enumerate(range(303000, 303000 + 20 * (SYNCHRONOUS_LIMIT + 1), 20), start=1)
    ]
    task = run_task(FieldStatisticsTask(client, many, UTM11N, ndvi_options(), tmp_path / "r.gpkg", None))
    assert "needs a bucket" in task.error


# --- many fields: a Batch Statistical job through the local S3 server ----------------------------------------


def test_many_fields_become_a_batch_job_whose_results_equal_numpy_and_a_failing_field_is_reported(
    engine, client, s3_server, tmp_path, monkeypatch
):
    # the batch path with a handful of fields: the threshold, not the fields, is made small
    monkeypatch.setattr(field_statistics, "SYNCHRONOUS_LIMIT", 2)
    huge = FieldPolygon(
        9, "huge", "POLYGON ((250000 3950000, 310000 3950000, 310000 4010000, 250000 3950000))"
    )
    bucket = s3_server.new_bucket()
    access = S3Access(s3_server.endpoint_url, s3_server.region, s3_server.access_key, s3_server.secret_key)
    jobs = []
    task = FieldStatisticsTask(
        client, [*POLYGONS, huge], UTM11N, ndvi_options(), tmp_path / "batch.gpkg",
        StatisticsStorage(f"s3://{bucket}/fields", access), poll_s=0.2,
    )  # fmt: skip
    task.jobChanged.connect(jobs.append)
    run_task(task)
    assert task.error is None, task.error
    assert task.job_id and jobs[-1].status == "DONE" and jobs[-1].completion_percentage == 100
    keys = [item["Key"] for item in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]]
    (features_key,) = [key for key in keys if key.endswith("/fields.gpkg")]
    results = {key.rsplit("/", 1)[1] for key in keys if f"/results/{task.job_id}/" in key}
    assert results == {"1.json", "2.json", "5.json", "9.json"}
    assert [fid for fid, _ in task.failed_features] == [9]
    compared = 0
    for polygon in POLYGONS:
        for row in read_statistics_table(task.results_path, polygon.fid):
            values, sample_count, _ = reference_ndvi(
                engine, polygon, date.fromisoformat(row.interval_from[:10]), tmp_path
            )
            assert row.sample_count == sample_count
            if values.size:
                assert row.mean == pytest.approx(values.mean(), rel=1e-9)
                compared += 1
    assert compared >= len(POLYGONS) * 2  # each field on at least two days with pixels
    source = ogr.Open(str(task.results_path))
    errors = {f.GetFID(): f.GetField("error") for f in source.GetLayerByName("fields")}
    assert errors[9] and "2500" in errors[9] and errors[1] is None
    stored = task.results_path.read_bytes()
    assert s3_server.secret_key.encode() not in stored and s3_server.access_key.encode() not in stored
