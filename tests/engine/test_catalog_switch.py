"""Switching the engine's catalog through `GET`/`PUT /api/v1/engine/catalog`: what it lists, what it refuses, that
the choice survives a restart (until TILEWISE_CATALOG changes), and that a request keeps the catalog it was
created with while requests created after the switch read the new one, down to the workers."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from osgeo import gdal
from testkit import DELETE, SHARED, TEST_CLIENT_ID, TEST_CLIENT_SECRET, request_body, with_changes

from tilewise.core.statuses import RequestStatus
from tilewise.engine.app import create_app
from tilewise.engine.config import Settings
from tilewise.engine.data.catalog import CONFIG_FILE
from tilewise.engine.store import JobStore, RequestRecord

BUILT_IN = {
    name: entry for name, entry in json.loads(CONFIG_FILE.read_text()).items() if not name.startswith("_")
}
REAL_CATALOG = SHARED / "data" / "real-s2-l2a-33TW" / "catalog.json"
NDVI_SCRIPT = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }
"""
DATA_MASK_SCRIPT = """//VERSION=3
function setup() { return {input: ["dataMask"], output: {bands: 1, sampleType: "UINT8"}}; }
function evaluatePixel(s) { return [s.dataMask]; }
"""


def batch_body(bucket: str) -> dict:
    """A v1 request over the tutorial's test sub-area (two grid-1 tiles at 20 m), in July 2023."""
    body = request_body(1, "unused", evalscript=NDVI_SCRIPT)
    return with_changes(body, {"tilingGrid.resolution": 20, "output": DELETE, "bucketName": bucket})


def real_catalogs_file(folder: Path) -> Path:
    """A catalogs file whose sentinel-2-l2a is the real static catalog of ../shared/data, named relative to
    the file itself."""
    if not REAL_CATALOG.is_file():
        pytest.skip(f"{REAL_CATALOG} is absent: the real test data sits in ../shared/data beside the clone")
    path = folder / "real-33TW.json"
    entry = {"kind": "static", "href": os.path.relpath(REAL_CATALOG, folder), "bands": "sentinel-2-l2a"}
    path.write_text(json.dumps({"sentinel-2-l2a": entry}))
    return path


# --- in process: the route's answers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory, small_catalog) -> TestClient:
    root = tmp_path_factory.mktemp("catalog-routes")
    settings = Settings(
        data_dir=root / "data", output_root=root / "outputs", client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET, workers=1,
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
        app = create_app(settings)
        client = TestClient(app)  # no lifespan: nothing is processed
        issued = app.state.services.tokens.issue("client_credentials", TEST_CLIENT_ID, TEST_CLIENT_SECRET)
        client.headers["Authorization"] = f"Bearer {issued['access_token']}"
        yield client


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_catalog_route_needs_a_token(client, method):
    response = client.request(
        method, "/api/v1/engine/catalog", json={"catalog": "demo"}, headers={"Authorization": ""}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "COMMON_UNAUTHORIZED"


def test_catalog_route_lists_the_built_in_catalogs_with_whether_they_need_internet(client):
    answer = client.get("/api/v1/engine/catalog").json()
    assert (answer["catalog"], answer["source"], answer["configured"]) == ("demo", "env", "demo")
    offline = {
        name: all(
            c["kind"] != "stac-api" and "://" not in c.get("href", "")
            for c in entry.values()
            if isinstance(c, dict)
        )
        for name, entry in BUILT_IN.items()
    }
    assert {option["id"]: option["offline"] for option in answer["available"]} == offline
    assert offline["demo"] and not offline["earth-search"]
    assert all(option["title"] for option in answer["available"])


@pytest.mark.parametrize(
    "catalog, fragments",
    [
        ("sentinel-hub", ["Unknown catalog 'sentinel-hub'", "demo, earth-search"]),
        ("/no/such/catalogs.json", ["/no/such/catalogs.json does not exist", "demo, earth-search"]),
        ("", ["No catalog given", "demo, earth-search"]),
    ],
)
def test_an_unknown_catalog_or_missing_file_is_refused_saying_what_to_use(client, catalog, fragments):
    response = client.put("/api/v1/engine/catalog", json={"catalog": catalog})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "COMMON_BAD_PAYLOAD" and error["errors"] == {"parameter": "catalog"}
    for fragment in fragments:
        assert fragment in error["message"], error["message"]
    assert client.get("/api/v1/engine/catalog").json()["catalog"] == "demo"


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "JSONDecodeError"),
        ('{"sentinel-2-l2a": {"kind": "ftp"}}', "kind 'ftp'"),
        ("{}", "names no data collection"),
    ],
)
def test_a_malformed_catalogs_file_is_refused_naming_the_problem(client, tmp_path, content, fragment):
    path = tmp_path / "catalogs.json"
    path.write_text(content)
    response = client.put("/api/v1/engine/catalog", json={"catalog": str(path)})
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert str(path) in message and fragment in message, message
    assert client.get("/api/v1/engine/catalog").json()["catalog"] == "demo"


def test_a_body_without_catalog_is_a_400_naming_the_field(client):
    response = client.put("/api/v1/engine/catalog", json={"name": "demo"})
    assert response.status_code == 400 and "catalog" in response.json()["error"]["message"], response.text


def test_a_store_made_before_requests_kept_their_catalog_gains_the_column(tmp_path):
    path = tmp_path / "jobs.sqlite"
    JobStore(path)
    with sqlite3.connect(path) as connection:  # the store as an engine before the catalog switch left it
        connection.execute("ALTER TABLE requests DROP COLUMN catalog")
    store = JobStore(path)
    record = RequestRecord(RequestRecord.new_id(), 1, RequestStatus.CREATED, {}, catalog="earth-search")
    store.add_request(record)
    assert store.get_request(record.id).catalog == "earth-search"


# --- real engines: persistence, requests keep their catalog, the Process API follows ---------------------


def switch(engine, catalog: str) -> dict:
    response = engine.call("PUT", "/api/v1/engine/catalog", json={"catalog": catalog})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_switch_survives_a_restart_until_tilewise_catalog_changes(engine_factory, small_catalog, tmp_path):
    engine = engine_factory(small_catalog)
    answer = switch(engine, "earth-search")  # offline here: accepted all the same, nothing is fetched
    assert (answer["catalog"], answer["source"]) == ("earth-search", "switched")
    engine.stop()
    engine.start()
    assert engine.call("GET", "/api/v1/engine/catalog").json()["catalog"] == "earth-search"
    status = engine.call("GET", "/api/v1/engine/status").json()
    assert (status["catalog"], status["catalogSource"]) == ("earth-search", "switched")

    engine.stop()
    configured = real_catalogs_file(tmp_path)
    engine.env["TILEWISE_CATALOG"] = str(configured)  # the operator's new setting wins over the old switch
    engine.start()
    answer = engine.call("GET", "/api/v1/engine/catalog").json()
    assert (answer["catalog"], answer["source"]) == (str(configured), "env")
    assert str(configured) in [option["id"] for option in answer["available"]]
    assert "TILEWISE_CATALOG changed" in engine.log()

    assert switch(engine, "demo")["source"] == "switched"
    assert switch(engine, str(configured))["source"] == "env"  # back to TILEWISE_CATALOG: no switch left


def test_a_created_request_keeps_its_catalog_and_later_ones_read_the_new_one(
    engine_factory, small_catalog, s3_server, s3_bucket
):
    engine = engine_factory(small_catalog, TILEWISE_TILE_RETRIES="0")
    body = batch_body(s3_bucket)
    before = engine.call("POST", "/api/v1/batch/process", json=body).json()["id"]
    switch(engine, "earth-search")  # no internet here: its searches fail, which shows who reads it
    after = engine.call(
        "POST", "/api/v1/batch/process", json=with_changes(body, {"description": "after"})
    ).json()["id"]
    for request_id in (before, after):
        assert engine.call("POST", f"/api/v1/batch/process/{request_id}/analyse").status_code == 204
        analysed = engine.wait_for(request_id, {"ANALYSIS_DONE", "FAILED"}, timeout=60)
        assert analysed["status"] == "ANALYSIS_DONE", analysed.get("error")
        assert engine.call("POST", f"/api/v1/batch/process/{request_id}/start").status_code == 204

    assert engine.wait_for(before, {"DONE", "PARTIAL", "FAILED"})["status"] == "DONE"
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert len([key for key in keys if key.startswith(before)]) == 2, keys  # one GeoTIFF per tile

    assert engine.wait_for(after, {"DONE", "PARTIAL", "FAILED"})["status"] == "FAILED"
    tiles = engine.call("GET", f"/api/v1/batch/process/{after}/tiles").json()["data"]
    assert {tile["status"] for tile in tiles} == {"FAILED"}
    for tile in tiles:
        assert BUILT_IN["earth-search"]["sentinel-2-l2a"]["url"] in tile["failureReason"], tile[
            "failureReason"
        ]
        assert "did not answer the search" in tile["failureReason"]


def test_the_process_api_reads_the_switched_catalog(engine_factory, small_catalog, tmp_path):
    catalogs = real_catalogs_file(tmp_path)
    engine = engine_factory(small_catalog)
    items = [
        json.loads(path.read_text()) for path in sorted(REAL_CATALOG.parent.glob("sentinel-2-l2a/*/*.json"))
    ]
    item = min(items, key=lambda item: item["properties"]["s2:nodata_pixel_percentage"])  # nearly all data
    x0, y0, x1, y1 = item["bbox"]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    day = item["properties"]["datetime"][:10]
    request = {
        "input": {
            "bounds": {"bbox": [cx - 0.02, cy - 0.02, cx + 0.02, cy + 0.02]},
            "data": [
                {
                    "type": "sentinel-2-l2a",
                    "dataFilter": {"timeRange": {"from": f"{day}T00:00:00Z", "to": f"{day}T23:59:59Z"}},
                }
            ],
        },
        "output": {
            "width": 8,
            "height": 8,
            "responses": [{"identifier": "default", "format": {"type": "image/tiff"}}],
        },
        "evalscript": DATA_MASK_SCRIPT,
    }

    def data_mask() -> np.ndarray:
        response = engine.call("POST", "/api/v1/process", json=request, headers={"Accept": "image/tiff"})
        assert response.status_code == 200, response.text
        path = f"/vsimem/{tmp_path.name}.tif"
        gdal.FileFromMemBuffer(path, response.content)
        try:
            return gdal.Open(path).ReadAsArray()
        finally:
            gdal.Unlink(path)

    assert not data_mask().any()  # the demo catalog has no scene over Slovenia
    switch(engine, str(catalogs))
    assert data_mask().all()  # the middle of a real scene: every pixel has data
