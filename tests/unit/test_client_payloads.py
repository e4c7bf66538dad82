"""The client's payloads against the reference's documented requests and responses (Sentinel Hub and CDSE),
and the deployments it knows."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest
from testkit import process_request_json

from tilewise.core.batch_models import (
    BatchRequestSpec,
    Bounds,
    DataInput,
    GeoPackageInput,
    PayloadError,
    ProcessRequest,
    RasterOutput,
    ResponseSpec,
    S3Credentials,
    TilingGridSpec,
    crs_url,
    parse_request,
    parse_v1_create,
    parse_v2_create,
)
from tilewise.core.deployments import (
    BUILTIN,
    V1,
    V2,
    Deployment,
    DeploymentError,
    builtin_deployment,
    custom_deployment,
)
from tilewise.core.jobs import BatchJob, Tile

GEOMETRY = {
    "type": "Polygon",
    "coordinates": [[[-119.3, 36.0], [-119.2, 36.0], [-119.2, 36.1], [-119.3, 36.0]]],
}
JULY = (datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 30, tzinfo=timezone.utc))


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
SCRIPT = "//VERSION=3\nfunction setup() {}\nfunction evaluatePixel(s) {}"


def tutorial_spec(crs: str = CRS84, **output) -> BatchRequestSpec:
    return BatchRequestSpec(
        process_request=ProcessRequest(
            evalscript=SCRIPT,
            data=(DataInput("sentinel-2-l1c", *JULY),),
            responses=(ResponseSpec("NDVI"), ResponseSpec("data_mask")),
            bounds=Bounds(crs=crs, geometry=GEOMETRY),
        ),
        tiling_grid=TilingGridSpec(1, 10, 50, 50),
        output=RasterOutput("s3://tutorial-bucket/folder", **output),
        description="sentinelhub-py tutorial batch job",
    )


def test_the_v2_body_is_what_batchprocessclient_builds():
    body = tutorial_spec(credentials=S3Credentials("AKIA", "s3cr3t", "eu-central-1")).to_v2()
    # sentinelhub-py: tiling_grid_input(grid_id=1, resolution=10, buffer_x=50, buffer_y=50)
    assert body["input"] == {"type": "tiling-grid", "id": 1, "resolution": 10, "bufferX": 50, "bufferY": 50}
    # raster_output(delivery=s3_specification(url, access_key, secret_access_key, region=...))
    assert body["output"]["type"] == "raster"
    assert body["output"]["delivery"] == {
        "s3": {
            "url": "s3://tutorial-bucket/folder",
            "accessKey": "AKIA",
            "secretAccessKey": "s3cr3t",
            "region": "eu-central-1",
        }
    }
    assert body["processRequest"]["input"]["bounds"]["properties"]["crs"].endswith("/OGC/1.3/CRS84")
    assert "width" not in body["processRequest"]["output"]  # a batch request has no size
    spec = parse_v2_create(body)  # the engine's parser accepts it as Sentinel Hub would
    assert spec.tiling_grid == TilingGridSpec(1, 10, 50, 50) and spec.output.credentials.access_key == "AKIA"


def test_the_v1_body_is_what_sentinelhubbatch_builds():
    body = tutorial_spec(overwrite=True, cog_output=True, cog_parameters={"blockxsize": 512}).to_v1()
    assert body["tilingGrid"] == {"id": 1, "resolution": 10, "bufferX": 50, "bufferY": 50}
    assert body["output"] == {
        "defaultTilePath": "s3://tutorial-bucket/folder",
        "overwrite": True,
        "skipExisting": False,
        "cogOutput": True,
        "cogParameters": {"blockxsize": 512},
    }
    assert body["processRequest"]["input"]["data"][0]["dataFilter"]["timeRange"] == {
        "from": "2023-07-01T00:00:00Z",
        "to": "2023-07-30T00:00:00Z",
    }
    assert parse_v1_create(body).description == "sentinelhub-py tutorial batch job"


def test_a_utm_area_names_its_crs_as_an_opengis_url():
    utm = tutorial_spec(crs=crs_url(32633))
    for body in (utm.to_v1(), utm.to_v2()):
        assert body["processRequest"]["input"]["bounds"]["properties"]["crs"] == (
            "http://www.opengis.net/def/crs/EPSG/0/32633"
        )


ROUND_TRIPS = {
    "tutorial": tutorial_spec(),
    "options and keys": tutorial_spec(
        overwrite=True,
        skip_existing=True,
        cog_output=True,
        cog_parameters={"blockxsize": 512, "blockysize": 512},
        credentials=S3Credentials("AKIA", "s3cr3t", "eu-central-1"),
    ),
    "region only": tutorial_spec(credentials=S3Credentials(region="eu-central-1")),
    "bbox in UTM": BatchRequestSpec(
        process_request=ProcessRequest(
            evalscript=SCRIPT,
            data=(DataInput("sentinel-2-l2a", *JULY, max_cloud_coverage=20.0, mosaicking_order="leastCC"),),
            responses=(ResponseSpec("default"), ResponseSpec("userdata", "application/json")),
            bounds=Bounds(crs=crs_url(32633), bbox=(500000.0, 4000000.0, 510000.0, 4010000.0)),
        ),
        tiling_grid=TilingGridSpec(2, 20.0),
        output=RasterOutput("s3://bucket/<requestId>/<tileName>/<outputId>.<format>"),
    ),
}


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_a_request_reads_back_from_its_v1_and_v2_bodies(case):
    request = ROUND_TRIPS[case]
    assert parse_request(V2, request.to_v2()) == request
    v1 = parse_request(V1, request.to_v1())
    assert v1 == (request if not request.output.credentials else replace_credentials(request, None))


def replace_credentials(request: BatchRequestSpec, credentials) -> BatchRequestSpec:
    return dataclasses.replace(request, output=dataclasses.replace(request.output, credentials=credentials))


def test_a_geopackage_request_reads_back_from_its_v2_body_and_has_no_v1_body():
    request = BatchRequestSpec(
        process_request=ROUND_TRIPS["tutorial"].process_request,
        tiling_grid=None,
        output=RasterOutput("s3://bucket/out"),
        features=GeoPackageInput(
            "s3://bucket/fields.gpkg", S3Credentials("AKIA", "s3cr3t"), default_width=512, default_height=512
        ),
    )
    assert parse_request(V2, request.to_v2()) == request
    with pytest.raises(ValueError, match="only in the Batch API v2"):
        request.to_v1()


def test_the_secret_key_never_shows_in_a_request_repr():
    request = ROUND_TRIPS["options and keys"]
    for shown in (repr(request), repr(parse_request(V2, request.to_v2()))):
        assert "s3cr3t" not in shown and "AKIA" not in shown and "eu-central-1" in shown


def test_a_documented_v2_task_becomes_a_batch_job():
    # BatchV2ProcessTask (reference §1.6), as CDSE returns it
    body = {
        "id": "4f4d3a28-0e16-4d5b-bd6c-7f8c1c8b7ed7",
        "request": {"processRequest": process_request_json(SCRIPT), "description": "my job",
                    "input": {"type": "tiling-grid", "id": 1, "resolution": 10, "bufferX": 0, "bufferY": 0},
                    "output": {"type": "raster", "delivery": {"s3": {"url": "s3://b/f"}}}},
        "domainAccountId": "acc",
        "status": "PROCESSING",
        "userAction": "START",
        "userActionUpdated": "2026-11-24T10:00:00Z",
        "created": "2026-11-24T09:00:00Z",
        "completionPercentage": 42.5,
        "lastUpdated": "2026-11-24T10:05:00Z",
        "costPU": 123.4,
    }  # fmt: skip
    job = BatchJob.from_v2(body, "cdse")
    assert (job.api_version, job.status, job.completion, job.cost_pu, job.description) == (
        V2,
        "PROCESSING",
        42.5,
        123.4,
        "my job",
    )
    assert job.output_url == "s3://b/f" and not job.is_terminal
    stopped = BatchJob.from_v2({**body, "status": "STOPPED", "stoppedStatusReason": "OUT_OF_PU"}, "cdse")
    assert stopped.is_terminal and stopped.stopped_reason == "OUT_OF_PU"


def test_a_documented_v1_request_and_tile_become_models():
    body = {
        "id": "e1f6e9d3", "userId": "u", "created": "2023-07-01T00:00:00Z",
        "processRequest": process_request_json(SCRIPT),
        "tilingGrid": {"id": 1, "resolution": 10}, "bucketName": "tutorial-bucket", "status": "PARTIAL",
        "userAction": "START", "valueEstimate": 295.1, "tileCount": 8, "tileWidthPx": 1000,
        "tileHeightPx": 1000, "error": "Too many failed tiles",
    }  # fmt: skip
    job = BatchJob.from_v1(body, "sentinel-hub-us-west")
    assert (job.tile_count, job.tile_width, job.value_estimate, job.error) == (
        8,
        1000,
        295.1,
        "Too many failed tiles",
    )
    assert job.output_url == "s3://tutorial-bucket" and job.is_terminal
    tile = Tile.from_v1(
        {
            "id": 2281, "name": "11SKV_9_0", "status": "FAILED", "cost": 12.3,
            "geometry": {"type": "Polygon", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32611"}},
                         "coordinates": [[[290000, 3990000], [300000, 3990000], [300000, 4000000], [290000, 3990000]]]},
            "origin": {"type": "Point", "coordinates": [290000, 4000000]},
        }
    )  # fmt: skip
    assert (tile.id, tile.name, tile.status, tile.epsg) == (2281, "11SKV_9_0", "FAILED", 32611)
    assert "crs" not in tile.footprint


def test_builtin_deployments_use_the_documented_urls():
    urls = {d.id: (d.base_url, d.token_url) for d in BUILTIN}
    assert urls["cdse"] == (
        "https://sh.dataspace.copernicus.eu",
        "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token",
    )
    assert (
        urls["sentinel-hub-eu"][1]
        == "https://services.sentinel-hub.com/auth/realms/main/protocol/openid-connect/token"
    )
    assert (
        builtin_deployment("sentinel-hub-us-west").batch_url(V1)
        == "https://services-uswest2.sentinel-hub.com/api/v1/batch"
    )
    assert all(d.default_version == V2 for d in BUILTIN)


def test_a_custom_deployment_round_trips_through_settings_without_secrets():
    engine = custom_deployment("Office engine", "http://10.0.0.5:8765/", api_versions=(V1,))
    assert engine.base_url == "http://10.0.0.5:8765" and engine.token_url.startswith(
        "http://10.0.0.5:8765/auth/"
    )
    assert Deployment.from_dict(engine.to_dict()) == engine
    with pytest.raises(DeploymentError, match="offers the Batch API v1, not v2"):
        engine.batch_url(V2)


@pytest.mark.parametrize(
    "args, fragment",
    [(("x", "ftp://host"), "not a service URL"), (("", "https://host"), "name"),
     (("x", "https://host", "oauth/token"), "not a token URL")],
)  # fmt: skip
def test_bad_custom_deployments_are_refused_with_a_fix(args, fragment):
    with pytest.raises(DeploymentError, match=fragment):
        custom_deployment(*args)


def test_a_request_from_another_service_is_read_leniently_and_an_unreadable_one_leaves_the_job_usable():
    process_request = process_request_json(SCRIPT)
    process_request["input"]["data"][0]["type"] = "sentinel-1-grd"  # not this engine's, still a request
    body = {
        "id": "sh-1",
        "status": "DONE",
        "processRequest": process_request,
        "tilingGrid": {"id": 1, "resolution": 10, "bufferX": None},
        "output": {"defaultTilePath": "s3://b/f", "overwrite": None, "createCollection": False},
        "bucketName": "also-given",  # with output too: read leniently, output wins
    }
    job = BatchJob.from_v1(body, "sentinel-hub")
    assert job.request.process_request.data[0].type == "sentinel-1-grd" and job.output_url == "s3://b/f"
    with pytest.raises(PayloadError, match="not a collection this deployment knows"):
        parse_v1_create(body)  # the engine's own parser stays strict
    zarr = BatchJob.from_v1(
        {"id": "sh-2", "status": "DONE", "zarrOutput": {"path": "s3://b/z"}}, "sentinel-hub"
    )
    assert (zarr.status, zarr.request, zarr.output_url, zarr.is_terminal) == ("DONE", None, None, True)
