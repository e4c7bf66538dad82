"""The "Field statistics" Processing algorithm in headless QGIS against a live engine: the selected polygons of a
layer become a results GeoPackage (the fields with their latest means, the statistics table), chainable as a
layer; bad input is refused with what to do, before any request is sent."""

from __future__ import annotations

import sqlite3

import pytest
from osgeo import ogr, osr
from qgis.core import QgsProcessingFeatureSourceDefinition, QgsProject, QgsVectorLayer
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, free_port

from tilewise.core import field_statistics
from tilewise.core.batch_models.statistical import MAX_STATISTICAL_FEATURES
from tilewise.core.field_statistics import read_statistics_table
from tilewise.core.statistics_presets import statistics_preset

from . import test_processing as batch_jobs
from .conftest import polygon_layer
from .test_processing import failure, run

# the Batch jobs tests' fixtures: QGIS's processing, the provider on a settings file of its own, its store
processing, provider, store = batch_jobs.processing, batch_jobs.provider, batch_jobs.store

ALGORITHM = "tilewise:fieldstatistics"
FIELDS = [  # in the small demo catalog's area (EPSG:32611)
    "POLYGON ((303533 3993047, 304467 3993211, 304301 3993977, 303611 3993689, 303533 3993047))",
    "POLYGON ((303100 3993100, 303500 3993100, 303500 3993500, 303100 3993500, 303100 3993100))",
    "POLYGON ((302500 3992500, 302700 3992500, 302700 3992700, 302500 3992500))",
]


def parameters(connection: dict, layer, tmp_path, **changes) -> dict:
    return {
        **connection,
        "INPUT": layer,
        "EVALSCRIPT": "NDVI",
        "TIME_FROM": "2023-07-01",
        "TIME_TO": "2023-07-17",
        "INTERVAL": "P1D",
        "RESOLUTION": 20.0,
        "PERCENTILES": "50, 90",
        "OUTPUT": str(tmp_path / "fields.gpkg"),
        **changes,
    }


@pytest.fixture
def engine_connection(store) -> dict:
    return {"DEPLOYMENT": store.current_id(), "API_VERSION": "v1"}


@pytest.fixture(scope="module")
def unreachable(store) -> dict:
    """A deployment where nothing listens: a refusal that names the input proves no request was sent."""
    deployment = store.add_custom("Nothing listens", f"http://127.0.0.1:{free_port()}")
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    return {"DEPLOYMENT": deployment.id, "API_VERSION": "v1"}


def test_selected_fields_become_a_results_geopackage_loadable_as_a_layer(
    processing, provider, engine_connection, tmp_path
):
    layer = polygon_layer(FIELDS, "EPSG:32611", "fields", "Polygon")
    layer.selectByIds([feature.id() for feature in layer.getFeatures()][:2])
    selected = QgsProcessingFeatureSourceDefinition(layer.id(), True)
    result = run(
        processing, ALGORITHM, parameters(engine_connection, selected, tmp_path, IDENTIFIER_FIELD="name")
    )
    assert result["JOB_ID"] == "" and result["FAILED_COUNT"] == 0
    fields = QgsVectorLayer(result["FIELDS"], "fields", "ogr")
    assert fields.isValid() and fields.featureCount() == 2 and fields.crs().authid() == "EPSG:32611"
    by_name = {feature["identifier"]: feature for feature in fields.getFeatures()}
    assert set(by_name) == {"feature 0", "feature 1"}
    for feature in by_name.values():
        rows = read_statistics_table(result["OUTPUT"], feature.id())
        with_data = [row for row in rows if row.mean is not None]
        assert with_data and all(set(row.percentiles) == {"50.0", "90.0"} for row in with_data)
        assert feature["latest_interval"] == with_data[-1].interval_from
        assert feature["ndvi_B0_mean"] == pytest.approx(with_data[-1].mean)
    QgsProject.instance().removeMapLayer(layer.id())


def test_a_layer_that_is_not_polygons_is_refused(processing, provider, unreachable, tmp_path):
    layer = QgsVectorLayer("LineString?crs=EPSG:32611", "roads", "memory")
    message = failure(processing, ALGORITHM, parameters(unreachable, layer, tmp_path))
    assert "LineString geometries, not polygons" in message and "Buffer" in message
    assert not (tmp_path / "fields.gpkg").exists()


def test_a_layer_without_a_known_crs_is_refused_with_how_to_set_it(
    processing, provider, unreachable, tmp_path
):
    layer = polygon_layer(FIELDS[:1], "", "no crs", "Polygon")
    message = failure(processing, ALGORITHM, parameters(unreachable, layer, tmp_path))
    assert "CRS" in message and "Layer Properties" in message
    QgsProject.instance().removeMapLayer(layer.id())


def test_more_features_than_a_batch_statistical_job_takes_are_refused(
    processing, provider, unreachable, tmp_path
):
    path = tmp_path / "many.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    source.CreateLayer("many", srs, ogr.wkbPolygon, ["SPATIAL_INDEX=NO"])
    source = None
    with sqlite3.connect(path) as db:  # rows without geometry: only their number matters here
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO many (fid) SELECT i FROM n",
            (MAX_STATISTICAL_FEATURES + 1,),
        )
    counted = ogr.Open(str(path))
    assert counted.GetLayerByName("many").GetFeatureCount() == MAX_STATISTICAL_FEATURES + 1
    counted = None
    # a path, not a layer: Processing opens and closes it (a layer left to Python's exit crashes QGIS)
    message = failure(processing, ALGORITHM, parameters(unreachable, f"{path}|layername=many", tmp_path))
    assert "700,001" in message and "Selected features only" in message


def test_an_interval_shorter_than_a_day_is_refused(processing, provider, unreachable, tmp_path):
    layer = polygon_layer(FIELDS[:1], "EPSG:32611", "fields", "Polygon")
    message = failure(processing, ALGORITHM, parameters(unreachable, layer, tmp_path, INTERVAL="PT12H"))
    assert "at least one day" in message and "P1D" in message
    QgsProject.instance().removeMapLayer(layer.id())


def test_an_evalscript_without_data_mask_is_refused_with_how_to_add_it(
    processing, provider, unreachable, tmp_path
):
    layer = polygon_layer(FIELDS[:1], "EPSG:32611", "fields", "Polygon")
    script = statistics_preset("NDWI").script.replace('{ id: "dataMask", bands: 1 }', "")
    message = failure(processing, ALGORITHM, parameters(unreachable, layer, tmp_path, EVALSCRIPT=script))
    assert "dataMask" in message and "NDVI or NDWI preset" in message
    QgsProject.instance().removeMapLayer(layer.id())


def test_above_the_synchronous_limit_the_fields_go_through_a_bucket_as_a_batch_job(
    processing, provider, engine_connection, s3_server, store, tmp_path, monkeypatch
):
    monkeypatch.setattr(field_statistics, "SYNCHRONOUS_LIMIT", 1)  # two fields make a batch job
    bucket = s3_server.new_bucket()
    keys = store.save_s3_keys("field statistics test", s3_server.access_key, s3_server.secret_key)
    layer = polygon_layer(FIELDS[:2], "EPSG:32611", "fields", "Polygon")
    result = run(
        processing,
        ALGORITHM,
        parameters(engine_connection, layer, tmp_path, BUCKET=f"s3://{bucket}/stats", S3_AUTHCFG=keys),
    )
    assert result["JOB_ID"] and result["FAILED_COUNT"] == 0
    listed = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert sum(item["Key"].endswith(f"/{result['JOB_ID']}/1.json") for item in listed) == 1
    fields = QgsVectorLayer(result["FIELDS"], "fields", "ogr")
    assert fields.featureCount() == 2
    assert all(feature["ndvi_B0_mean"] is not None for feature in fields.getFeatures())
    stored = (tmp_path / "fields.gpkg").read_bytes()
    assert s3_server.secret_key.encode() not in stored
    QgsProject.instance().removeMapLayer(layer.id())
