"""The batch path's storage steps without QGIS: the polygons' GeoPackage put in a folder or a bucket of the local
S3 server (GDAL's /vsis3/, what a stock QGIS has), and each feature's JSON read back from either."""

from __future__ import annotations

import json

import pytest
from osgeo import ogr

from tilewise.core.field_statistics import FieldPolygon, write_features_geopackage
from tilewise.core.field_statistics_run import put_file, read_feature_results
from tilewise.core.http import Cancel
from tilewise.core.s3 import S3Access, StorageError, file_url
from tilewise.core.storage import read_bytes

POLYGONS = [
    FieldPolygon(1, "a", "POLYGON ((0 0, 10 0, 10 10, 0 0))"),
    FieldPolygon(4, "b", "POLYGON ((20 0, 30 0, 30 10, 20 0))"),
    FieldPolygon(7, "c", "POLYGON ((40 0, 50 0, 50 10, 40 0))"),
]
STATS = {"min": 0.1, "max": 0.5, "mean": 0.3, "stDev": 0.1, "sampleCount": 9, "noDataCount": 1}
RESULTS = {  # per-feature files as the service writes them (reference §1.4); fid 7 has none
    1: {"id": 1, "identifier": "a", "response": {"status": "OK", "data": [
        {"interval": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-02T00:00:00Z"},
         "outputs": {"ndvi": {"bands": {"B0": {"stats": STATS}}}}}]}},
    4: {"id": 4, "identifier": "b", "error": {"type": "EXECUTION_ERROR", "message": "the script threw"}},
}  # fmt: skip


def s3_access(server) -> S3Access:
    return S3Access(server.endpoint_url, server.region, server.access_key, server.secret_key)


def test_the_polygons_geopackage_goes_to_a_bucket_intact(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    local = write_features_geopackage(POLYGONS, "EPSG:32633", tmp_path / "fields.gpkg")
    put_file(s3_access(s3_server), local, f"s3://{bucket}/runs/1/fields.gpkg")
    stored = s3_server.client().get_object(Bucket=bucket, Key="runs/1/fields.gpkg")["Body"].read()
    assert stored == local.read_bytes()


def test_the_polygons_geopackage_goes_to_a_folder_that_is_made(tmp_path):
    local = write_features_geopackage(POLYGONS, "EPSG:32633", tmp_path / "fields.gpkg")
    target = tmp_path / "output-root" / "runs" / "fields.gpkg"
    put_file(S3Access(), local, file_url(target))
    source = ogr.Open(str(target))
    assert sorted(f.GetFID() for f in source.GetLayerByName("fields")) == [1, 4, 7]


def test_a_refused_upload_says_what_to_fix_and_shows_no_key(strict_s3_server, tmp_path):
    local = write_features_geopackage(POLYGONS, "EPSG:32633", tmp_path / "fields.gpkg")
    refused = S3Access(strict_s3_server.endpoint_url, "us-east-1", "AKIAREFUSEDKEY01", "refused-secret-value")
    with pytest.raises(StorageError) as caught:
        put_file(refused, local, "s3://nobody/fields.gpkg")
    message = str(caught.value)
    assert "s3://nobody/fields.gpkg" in message and "s3:PutObject" in message
    assert "AKIAREFUSEDKEY01" not in message and "refused-secret-value" not in message


@pytest.mark.parametrize("where", ["folder", "bucket"])
def test_each_features_json_is_read_and_a_missing_one_is_that_fields_failure(where, s3_server, tmp_path):
    if where == "bucket":
        bucket = s3_server.new_bucket()
        output, access = f"s3://{bucket}/out", s3_access(s3_server)
        for fid, document in RESULTS.items():
            s3_server.client().put_object(
                Bucket=bucket, Key=f"out/job-1/{fid}.json", Body=json.dumps(document)
            )
    else:
        output, access = file_url(tmp_path / "out"), S3Access()
        (tmp_path / "out" / "job-1").mkdir(parents=True)
        for fid, document in RESULTS.items():
            (tmp_path / "out" / "job-1" / f"{fid}.json").write_text(json.dumps(document))
    rows = read_feature_results(access, output, "job-1", POLYGONS, Cancel())
    assert [(row.fid, row.mean, row.error) for row in rows] == [
        (1, 0.3, None),
        (4, None, "EXECUTION_ERROR: the script threw"),
        (7, None, "The job wrote no result for this field."),
    ]
    assert rows[0].interval_from == "2023-07-01T00:00:00Z" and rows[0].sample_count == 9


def test_uploaded_bytes_read_back_through_the_plugins_storage(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    local = tmp_path / "big.bin"
    local.write_bytes(bytes(range(256)) * 40_000)  # 10 MB: more than one upload chunk
    put_file(s3_access(s3_server), local, f"s3://{bucket}/big.bin")
    assert read_bytes(s3_access(s3_server), f"s3://{bucket}/big.bin") == local.read_bytes()


def test_an_error_that_echoes_the_bucket_keys_reaches_the_rows_without_them(tmp_path):
    access = S3Access(None, "us-east-1", "AKIAECHOEDKEY123", "echoed-secret-value")
    (tmp_path / "out" / "job-2").mkdir(parents=True)
    error = {"type": "EXECUTION_ERROR", "message": "s3 refused AKIAECHOEDKEY123 / echoed-secret-value"}
    (tmp_path / "out" / "job-2" / "1.json").write_text(
        json.dumps({"id": 1, "identifier": "a", "error": error})
    )
    (row,) = read_feature_results(access, file_url(tmp_path / "out"), "job-2", POLYGONS[:1], Cancel())
    assert row.error == "EXECUTION_ERROR: s3 refused *** / ***"
