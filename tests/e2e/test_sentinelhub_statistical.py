"""sentinelhub==3.12.0's SentinelHubStatistical and SentinelHubBatchStatistical, unchanged, against a live engine and
the local S3 server: only the base, token and S3 endpoint URLs differ from sentinelhub-py's own example.

The client's numbers are compared with what the engine's Statistical API answers for the same polygon on the
same grid (the engine's values themselves are checked against numpy in tests/engine/test_*statistics_api.py).
"""

from __future__ import annotations

import shapely
from osgeo import ogr, osr
from testkit import run_client

ogr.UseExceptions()
BBOX = (303_500.0, 3_993_000.0, 304_500.0, 3_994_000.0)  # EPSG:32611, in the small demo catalog
FIELDS = [  # 20 m pixel edges: each field's grid is the same in a batch group and on its own
    (4, "SI21.FOI.1", shapely.box(303_520.0, 3_993_040.0, 303_900.0, 3_993_420.0)),
    (5, "SI21.FOI.2", shapely.box(303_960.0, 3_993_060.0, 304_180.0, 3_993_320.0)),
    (8, "SI21.FOI.3", shapely.box(300_040.0, 3_990_060.0, 300_460.0, 3_990_380.0)),
]
DAYS = ["2023-07-01T00:00:00Z", "2023-07-11T00:00:00Z", "2023-07-16T00:00:00Z"]


def client(engine, s3, command: str, *args: str) -> dict[str, dict]:
    env = {
        "S3_ACCESS_KEY": s3.access_key,
        "S3_SECRET_KEY": s3.secret_key,
        "AWS_ENDPOINT_URL": s3.endpoint_url,
    }
    return run_client(
        "sh312", "sh312_statistical.py", engine, command, "--base-url", engine.url, *args, env=env
    )


def engine_means(engine, shape: shapely.Geometry) -> list[float]:
    """The engine's own Statistical API for the polygon, at 20 m, daily in the same range."""
    body = {
        "input": {
            "bounds": {
                "bbox": list(shape.bounds),
                "geometry": shapely.geometry.mapping(shape),
                "properties": {"crs": "http://www.opengis.net/def/crs/EPSG/0/32611"},
            },
            "data": [{"type": "sentinel-2-l2a"}],
        },
        "aggregation": {
            "timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-17T00:00:00Z"},
            "aggregationInterval": {"of": "P1D"},
            "evalscript": """//VERSION=3
function setup() { return {input: [{bands: ["B04", "B08", "dataMask"]}],
  output: [{id: "ndvi", bands: 1, sampleType: "FLOAT32"}, {id: "dataMask", bands: 1}]}; }
function evaluatePixel(s) { return {ndvi: [index(s.B08, s.B04)], dataMask: [s.dataMask]}; }""",
            "resx": 20,
            "resy": 20,
        },
    }
    response = engine.call("POST", "/api/v1/statistics", json=body)
    assert response.status_code == 200, response.text
    return [entry["outputs"]["ndvi"]["bands"]["B0"]["stats"]["mean"] for entry in response.json()["data"]]


def test_sentinelhubstatistical_reads_daily_statistics_of_an_area(engine_factory, small_catalog, s3_server):
    engine = engine_factory(small_catalog)
    steps = client(engine, s3_server, "statistical", "--bbox", *map(str, BBOX))
    answer = steps["statistical"]
    assert answer["status"] == "OK" and answer["intervals"] == DAYS
    assert answer["means"] == engine_means(engine, shapely.box(*BBOX))
    assert all(set(p) == {"5.0", "50.0", "95.0"} for p in answer["percentiles"])


def test_sentinelhubbatchstatistical_runs_to_done_and_its_results_are_read_from_the_bucket(
    engine_factory, small_catalog, s3_server, tmp_path
):
    engine = engine_factory(small_catalog)
    bucket = s3_server.new_bucket()
    path = tmp_path / "fields.gpkg"
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = source.CreateLayer("fields", srs, ogr.wkbMultiPolygon)
    layer.CreateField(ogr.FieldDefn("identifier", ogr.OFTString))
    for fid, identifier, shape in FIELDS:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetFID(fid)
        feature.SetField("identifier", identifier)
        feature.SetGeometry(ogr.CreateGeometryFromWkb(shapely.to_wkb(shapely.MultiPolygon([shape]))))
        layer.CreateFeature(feature)
    source = layer = None
    s3_server.client().upload_file(str(path), bucket, "input/fields.gpkg")

    steps = client(
        engine,
        s3_server,
        "batch",
        "--features",
        f"s3://{bucket}/input/fields.gpkg",
        "--output",
        f"s3://{bucket}/out",
    )
    created = steps["created"]
    assert created["status"] == "CREATED" and s3_server.secret_key not in str(created["request"])
    assert steps["status"]["status"] in ("ANALYSING", "ANALYSIS_DONE", "PROCESSING", "DONE")
    assert steps["finished"]["status"] == "DONE" and steps["finished"]["completion"] == 100
    assert steps["finished"]["cost"] > 0
    results = steps["results"]
    assert results["failed"] == []
    assert sorted(results["by_id"]) == sorted(str(fid) for fid, _, _ in FIELDS)  # JSON object keys
    for fid, identifier, shape in FIELDS:
        result = results["by_id"][str(fid)]
        assert result["identifier"] == identifier and result["intervals"] == DAYS
        assert result["means"] == engine_means(engine, shape)
