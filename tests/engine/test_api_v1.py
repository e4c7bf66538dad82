"""The Batch API v1 of a live engine: auth, CRUD, pagination, status rules and every bad input.

One engine process serves the whole module (real HTTP on 127.0.0.1); nothing here
processes tiles, so each test creates its own requests and reads them back.
"""

from __future__ import annotations

import copy
import json
import time

import pytest
import requests
from testkit import DELETE, TEST_CLIENT_ID, TEST_CLIENT_SECRET, local_engine, with_changes

NDVI_SCRIPT = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08", "dataMask"]}], output: {id: "default", bands: 1, sampleType: "FLOAT32"}};
}
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }
"""
# The tutorial's "Test sub-area" (about 6 × 4.5 km): one to four grid-1 tiles.
TEST_BBOX = [-119.2778, 36.04, -119.2135, 36.0806]


def payload(bucket: str = "tw-output", **changes) -> dict:
    body = {
        "processRequest": {
            "input": {
                "bounds": {
                    "bbox": TEST_BBOX,
                    "properties": {"crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                },
                "data": [
                    {
                        "type": "sentinel-2-l2a",
                        "dataFilter": {
                            "timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-30T00:00:00Z"}
                        },
                    }
                ],
            },
            "output": {"responses": [{"identifier": "default", "format": {"type": "image/tiff"}}]},
            "evalscript": NDVI_SCRIPT,
        },
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "bucketName": bucket,
        "description": "api test",
    }
    return with_changes(body, changes)


@pytest.fixture(scope="module")
def engine(small_catalog, tmp_path_factory, s3_server):

    root = tmp_path_factory.mktemp("api-engine")
    server = local_engine(root, small_catalog, s3_server, TILEWISE_MAX_TILES="50").start()
    yield server
    server.stop()


def create(engine, body: dict) -> dict:
    response = engine.call("POST", "/api/v1/batch/process", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response: requests.Response, status: int, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and error["reason"] and error["code"]
    for fragment in fragments:
        assert fragment in error["message"], error["message"]
    return error


# --- auth -------------------------------------------------------------------------------------------------


def test_token_endpoints_issue_bearer_tokens_at_both_paths(engine):
    for path in ("/oauth/token", "/auth/realms/main/protocol/openid-connect/token"):
        response = requests.post(
            engine.url + path,
            data={
                "grant_type": "client_credentials",
                "client_id": TEST_CLIENT_ID,
                "client_secret": TEST_CLIENT_SECRET,
            },
            timeout=10,
        )
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"].lower() == "bearer" and body["expires_in"] > 0
        listed = requests.get(
            engine.url + "/api/v1/batch/tilinggrids",
            headers={"Authorization": f"Bearer {body['access_token']}"},
            timeout=10,
        )
        assert listed.status_code == 200


def test_wrong_secret_and_missing_or_forged_tokens_are_refused(engine):
    response = requests.post(
        engine.url + "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": TEST_CLIENT_ID, "client_secret": "wrong"},
        timeout=10,
    )
    assert_error(response, 401)
    assert_error(requests.get(engine.url + "/api/v1/batch/process", timeout=10), 401)
    forged = engine.token()[:-4] + "AAAA"
    assert_error(
        requests.get(
            engine.url + "/api/v1/batch/process", headers={"Authorization": f"Bearer {forged}"}, timeout=10
        ),
        401,
    )
    assert_error(requests.get(engine.url + "/api/v1/engine/status", timeout=10), 401)


def test_openapi_document_is_served(engine):
    document = requests.get(engine.url + "/openapi.json", timeout=10).json()
    assert "/api/v1/batch/process/{request_id}/restartpartial" in document["paths"]


# --- grids ------------------------------------------------------------------------------------------------


def test_tiling_grids_are_listed_and_fetched(engine):
    grids = engine.call("GET", "/api/v1/batch/tilinggrids").json()["data"]
    assert {g["id"] for g in grids} >= {0, 1, 2, 3, 6, 7}
    grid = engine.call("GET", "/api/v1/batch/tilinggrids/1").json()
    assert grid["id"] == 1 and 10 in grid["properties"]["resolutions"]
    assert_error(engine.call("GET", "/api/v1/batch/tilinggrids/99"), 404)


# --- create, read, update, delete, list -------------------------------------------------------------------


def test_create_get_update_delete(engine):
    created = create(engine, payload())
    assert created["status"] == "CREATED" and created["userAction"] == "NONE"
    assert created["tileCount"] >= 1
    assert created["processRequest"]["evalscript"] == NDVI_SCRIPT
    assert created["bucketName"] == "tw-output"
    fetched = engine.call("GET", f"/api/v1/batch/process/{created['id']}").json()
    assert fetched["id"] == created["id"] and fetched["description"] == "api test"
    updated = engine.call("PUT", f"/api/v1/batch/process/{created['id']}", json={"description": "renamed"})
    assert updated.status_code == 200 and updated.json()["description"] == "renamed"
    assert engine.call("DELETE", f"/api/v1/batch/process/{created['id']}").status_code == 204
    assert_error(engine.call("GET", f"/api/v1/batch/process/{created['id']}"), 404)


def test_multipart_create_takes_the_evalscript_part(engine):
    body = payload()
    del body["processRequest"]["evalscript"]
    files = {
        "request": (None, json.dumps(body), "application/json"),
        "evalscript": (None, NDVI_SCRIPT, "text/plain"),
    }
    response = engine.call("POST", "/api/v1/batch/process", files=files)
    assert response.status_code == 201, response.text
    assert response.json()["processRequest"]["evalscript"] == NDVI_SCRIPT


def test_listing_pages_with_viewtoken_search_and_sort(engine):
    marker = f"page-{time.time_ns()}"
    ids = [create(engine, payload(description=f"{marker} {i}"))["id"] for i in range(5)]
    seen, token = [], None
    while True:
        params = {"count": 2, "search": marker, "sort": "created:asc"}
        if token:
            params["viewtoken"] = token
        page = engine.call("GET", "/api/v1/batch/process", params=params).json()
        assert len(page["data"]) <= 2
        seen += [r["id"] for r in page["data"]]
        token = page["links"].get("nextToken")
        if not token:
            break
    assert seen == ids
    newest_first = engine.call(
        "GET", "/api/v1/batch/process", params={"search": marker, "sort": "created:desc"}
    ).json()
    assert [r["id"] for r in newest_first["data"]] == ids[::-1]
    assert_error(
        engine.call("GET", "/api/v1/batch/process", params={"viewtoken": "garbage"}), 400, "viewtoken"
    )


# --- status rules -----------------------------------------------------------------------------------------


def test_actions_the_status_does_not_allow_are_409(engine):
    created = create(engine, payload())
    request_id = created["id"]
    error = assert_error(
        engine.call("POST", f"/api/v1/batch/process/{request_id}/restartpartial"), 409, "PARTIAL"
    )
    assert error["code"]
    assert (
        engine.call("GET", f"/api/v1/batch/process/{request_id}/tiles").json()["data"] == []
    )  # not analysed yet
    assert engine.call("POST", f"/api/v1/batch/process/{request_id}/cancel").status_code == 204
    canceled = engine.wait_for(request_id, {"CANCELED"}, timeout=60)
    assert canceled["userAction"] == "CANCEL"
    assert_error(engine.call("POST", f"/api/v1/batch/process/{request_id}/start"), 409, "CANCELED")
    assert_error(engine.call("POST", f"/api/v1/batch/process/{request_id}/analyse"), 409)


def test_analysis_lists_tiles_with_geometry_origin_and_estimate(engine, s3_server):
    bucket = s3_server.new_bucket()
    created = create(engine, payload(bucket=bucket))
    assert engine.call("POST", f"/api/v1/batch/process/{created['id']}/analyse").status_code == 204
    done = engine.wait_for(created["id"], {"ANALYSIS_DONE", "FAILED"}, timeout=60)
    assert done["status"] == "ANALYSIS_DONE", done.get("error")
    assert done["valueEstimate"] > 0 and done["tileWidthPx"] == done["tileHeightPx"] == 500
    tiles = engine.call("GET", f"/api/v1/batch/process/{created['id']}/tiles").json()["data"]
    assert len(tiles) == done["tileCount"]
    for tile in tiles:
        assert tile["status"] == "PENDING"
        assert tile["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert tile["geometry"]["crs"]["properties"]["name"].endswith("32611")
        x0 = min(x for x, _ in tile["geometry"]["coordinates"][0])
        assert tile["origin"]["coordinates"][0] == pytest.approx(x0)
    one = engine.call("GET", f"/api/v1/batch/process/{created['id']}/tiles/{tiles[0]['id']}").json()
    assert one["name"] == tiles[0]["name"]
    filtered = engine.call(
        "GET", f"/api/v1/batch/process/{created['id']}/tiles", params={"status": "PROCESSED"}
    )
    assert filtered.json()["data"] == []
    assert_error(
        engine.call("POST", f"/api/v1/batch/process/{created['id']}/tiles/{tiles[0]['id']}/restart"),
        409,
        "FAILED",
    )


def test_missing_bucket_fails_the_analysis_with_the_storage_error(engine):
    created = create(engine, payload(bucket="tw-no-such-bucket"))
    engine.call("POST", f"/api/v1/batch/process/{created['id']}/analyse")
    failed = engine.wait_for(created["id"], {"FAILED", "ANALYSIS_DONE"}, timeout=60)
    assert failed["status"] == "FAILED"
    assert "tw-no-such-bucket" in failed["error"] and "NoSuchBucket" in failed["error"]


# --- bad input --------------------------------------------------------------------------------------------

SCRIPT_TWO_OUTPUTS = NDVI_SCRIPT.replace(
    'output: {id: "default", bands: 1, sampleType: "FLOAT32"}',
    'output: [{id: "a", bands: 1}, {id: "b", bands: 1}]',
).replace("return [(s.B08 - s.B04) / (s.B08 + s.B04)];", "return {a: [1], b: [0]};")
TWO_RESPONSES = [
    {"identifier": "a", "format": {"type": "image/tiff"}},
    {"identifier": "b", "format": {"type": "image/tiff"}},
]


@pytest.mark.parametrize(
    "changes, field_fragment",
    [
        ({"processRequest.evalscript": DELETE}, "evalscript"),
        ({"processRequest.evalscript": "//VERSION=3\nfunction setup( {"}, "line"),
        (
            {
                "processRequest.evalscript": "//VERSION=3\nfunction setup() { return {input: ['B04'], output: {bands: 1}}; }"
            },
            "evaluatePixel",
        ),
        ({"tilingGrid.id": 42}, "grid"),
        ({"tilingGrid.resolution": 13}, "resolution"),
        ({"tilingGrid.id": 6, "tilingGrid.resolution": 100}, "outside"),
        ({"processRequest.input.bounds.bbox": [-125.0, 32.0, -114.0, 42.0]}, "TILEWISE_MAX_TILES"),
        ({"processRequest.input.data.0.type": "landsat-ot-l2"}, "sentinel-2-l2a"),
        (
            {
                "processRequest.input.data.0.dataFilter.timeRange": {
                    "from": "2023-08-01T00:00:00Z",
                    "to": "2023-07-01T00:00:00Z",
                }
            },
            "before",
        ),
        (
            {"processRequest.output.responses": [{"identifier": "ndvi", "format": {"type": "image/tiff"}}]},
            "default",
        ),
        (
            {"bucketName": DELETE, "output": {"defaultTilePath": "s3://tw-output/<outputId>.<format>"}},
            "<tileName> or <tileId>",
        ),
        (
            {
                "processRequest.evalscript": SCRIPT_TWO_OUTPUTS,
                "processRequest.output.responses": TWO_RESPONSES,
                "bucketName": DELETE,
                "output": {"defaultTilePath": "s3://tw-output/<tileName>/out.tif"},
            },
            "<outputId>",
        ),
        (
            {"bucketName": DELETE, "output": {"defaultTilePath": "file:///etc/tilewise"}},
            "TILEWISE_OUTPUT_ROOT",
        ),
        ({"processRequest.evalscript": NDVI_SCRIPT.replace('"B08"', '"B99"')}, "B99"),
    ],
)
def test_bad_requests_get_the_reference_error_body_with_a_fix(engine, changes, field_fragment):
    response = engine.call("POST", "/api/v1/batch/process", json=payload(**changes))
    error = assert_error(response, 400)
    assert field_fragment.lower() in error["message"].lower(), error["message"]


def test_malformed_json_is_a_400_with_its_position(engine):
    response = engine.call(
        "POST",
        "/api/v1/batch/process",
        data=b'{"processRequest": ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "not valid JSON", "line 1")


def test_secrets_never_reach_responses_or_logs(engine, s3_server):
    body = copy.deepcopy(payload())
    response = engine.call("POST", "/api/v1/batch/process", json=body)
    assert TEST_CLIENT_SECRET not in response.text
    status = engine.call("GET", "/api/v1/engine/status").text
    log = engine.log()
    for secret in (TEST_CLIENT_SECRET, s3_server.secret_key, engine.token()):
        assert secret not in status
        assert secret not in log
