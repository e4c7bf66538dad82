"""The HTTP contract of every route, in-process: FastAPI's TestClient on the engine's app (no server, no
scheduler running), with `app.dependency_overrides` where a route's service is replaced by a recorder.

What a route answers without a token, with a wrong one, for an unknown or conflicting request, for bad
parameters, and how lists page. The end-to-end flows (scheduler, workers, S3) stay on real engines in the
other test modules.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, process_request_json

from tilewise.engine.api.deps import batch_service
from tilewise.engine.app import create_app
from tilewise.engine.config import Settings
from tilewise.engine.errors import conflict

NDVI_SCRIPT = """//VERSION=3
function setup() { return {input: ["B04", "B08"], output: {bands: 1, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) { return [(s.B08 - s.B04) / (s.B08 + s.B04)]; }
"""
TOKEN_PATHS = {"/oauth/token", "/auth/realms/main/protocol/openid-connect/token"}
UNAUTHORIZED = {
    "error": {
        "status": 401,
        "reason": "Unauthorized",
        "message": "Unauthorized: send a valid bearer token (POST /oauth/token).",
        "code": "COMMON_UNAUTHORIZED",
    }
}


@pytest.fixture(scope="module")
def app(tmp_path_factory, small_catalog, monkeypatch_module):
    monkeypatch_module.setenv("TILEWISE_DEMO_CATALOG", str(small_catalog))
    root = tmp_path_factory.mktemp("routes")
    settings = Settings(
        data_dir=root / "data",
        output_root=root / "outputs",
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        workers=1,
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    """Without `with`: the lifespan (the scheduler) does not run, so nothing is processed."""
    client = TestClient(app)
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def recorder(app):
    """The batch service replaced by one that records each call (and answers 409 for "taken")."""
    calls: list[tuple] = []

    class Recorder:
        def __getattr__(self, name):
            def call(*args, **kwargs):
                calls.append((name, args, kwargs))
                if args and args[0] == "taken":
                    raise conflict("Batch request taken is RUNNING: it cannot do that now.")

            return call

    app.dependency_overrides[batch_service] = Recorder
    yield calls
    app.dependency_overrides.clear()


def protected_routes(app) -> list[tuple[str, str]]:
    """(method, path with its parameters filled in) of every operation but the token endpoints'."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if path not in TOKEN_PATHS:
            path = path.replace("{tile_id}", "1").replace("{request_id}", "r").replace("{grid_id}", "1")
            routes += [(method.upper(), path) for method in operations]
    return routes


def v1_body(outputs: Path, description: str) -> dict:
    return {
        "processRequest": process_request_json(NDVI_SCRIPT),
        "tilingGrid": {"id": 1, "resolution": 20, "bufferX": 0, "bufferY": 0},
        "output": {"defaultTilePath": f"file://{outputs}/routes/<tileName>/<outputId>.<format>"},
        "description": description,
    }


# --- auth ---------------------------------------------------------------------------------------------------


def test_every_route_but_the_token_endpoints_needs_a_bearer_token(app):
    anonymous = TestClient(app)
    routes = protected_routes(app)
    assert len(routes) >= 20
    for headers in ({}, {"Authorization": "Basic dGlsZXdpc2U6c2VjcmV0"}, {"Authorization": "Bearer"}):
        for method, path in routes:
            response = anonymous.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json() == UNAUTHORIZED
            assert "www-authenticate" not in response.headers


def test_a_forged_token_is_refused_with_the_reason(app, client):
    forged = client.headers["Authorization"][:-4] + "AAAA"
    refused = TestClient(app).get("/api/v1/engine/status", headers={"Authorization": forged})
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Invalid token: request a new one from the token endpoint."


def test_the_document_declares_the_bearer_scheme_on_exactly_the_protected_operations(app):
    document = app.openapi()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert ("security" in operation) == (path not in TOKEN_PATHS), path


def test_the_token_endpoints_read_the_form_or_basic_auth_and_answer_with_the_error_body(app):
    anonymous = TestClient(app)
    for path in sorted(TOKEN_PATHS):
        issued = anonymous.post(
            path, data={"grant_type": "client_credentials"}, auth=(TEST_CLIENT_ID, TEST_CLIENT_SECRET)
        )
        assert issued.status_code == 200 and issued.json()["token_type"] == "Bearer"
        wrong_grant = anonymous.post(path, data={"grant_type": "password"}).json()["error"]
        assert (wrong_grant["status"], wrong_grant["code"]) == (400, "OAUTH_ERROR")


def test_wrong_secrets_are_throttled_with_retry_after(app):
    anonymous = TestClient(app, client=("10.9.8.7", 50000))  # an address of its own
    wrong = {"grant_type": "client_credentials", "client_id": TEST_CLIENT_ID, "client_secret": "guess"}
    answers = [anonymous.post("/oauth/token", data=wrong) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert (
        answers[0].json()["error"]["message"] == "Invalid client credentials: check the client id and secret."
    )
    assert int(answers[-1].headers["Retry-After"]) >= 1
    throttled = answers[-1].json()["error"]
    assert (throttled["code"], throttled["reason"]) == ("RATE_LIMIT_EXCEEDED", "Too Many Requests")
    assert "guess" not in answers[-1].text


# --- 404, 409, 400 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/batch/process/nope", "/api/v2/batch/process/nope"])
def test_an_unknown_request_is_404_with_the_reference_body(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "status": 404,
            "reason": "Not Found",
            "message": "Batch request nope does not exist.",
            "code": "COMMON_NOT_FOUND",
        }
    }


@pytest.mark.parametrize(
    "path, call",
    [
        ("/api/v1/batch/process/{}/analyse", ("analyse", (), {})),
        ("/api/v1/batch/process/{}/start", ("start", (), {})),
        ("/api/v1/batch/process/{}/cancel", ("cancel", (), {})),
        ("/api/v1/batch/process/{}/restartpartial", ("restart_partial", (), {})),
        ("/api/v2/batch/process/{}/analyse", ("analyse", (), {"api_version": 2})),
        ("/api/v2/batch/process/{}/start", ("start", (), {"api_version": 2})),
        ("/api/v2/batch/process/{}/stop", ("stop", (), {})),
    ],
)
def test_each_action_calls_its_service_for_its_api_version_and_a_conflict_is_409(
    client, recorder, path, call
):
    name, args, kwargs = call
    done = client.post(path.format("r1"))
    assert done.status_code == 204 and done.content == b""
    refused = client.post(path.format("taken"))
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "Batch request taken is RUNNING: it cannot do that now."
    assert recorder == [(name, ("r1", *args), kwargs), (name, ("taken", *args), kwargs)]


@pytest.mark.parametrize(
    "method, path, kwargs, status, fragment",
    [
        ("GET", "/api/v1/batch/process", {"params": {"count": 0}}, 400, "Invalid request: query.count"),
        ("GET", "/api/v2/batch/process", {"params": {"sort": "name"}}, 400, "Invalid request: query.sort"),
        ("GET", "/api/v1/batch/process", {"params": {"viewtoken": "garbage"}}, 400, "Invalid viewtoken"),
        ("GET", "/api/v1/batch/process/r/tiles/-1", {}, 400, "Invalid request: path.tile_id"),
        ("POST", "/api/v1/batch/process", {"content": b'{"a": '}, 400, "not valid JSON"),
        ("POST", "/api/v2/batch/process", {"content": b""}, 400, "The request body is empty"),
        ("POST", "/api/v1/process", {"content": b"[]"}, 400, "must be a JSON object"),
        ("PUT", "/api/v1/batch/process/r", {"json": {"output": []}}, 400, "output must be a JSON object"),
        ("GET", "/api/v1/batch/tilinggrids/99", {}, 404, "Tiling grid 99 does not exist"),
        ("DELETE", "/api/v1/batch/tilinggrids", {}, 405, "Method Not Allowed"),
    ],
)
def test_bad_parameters_and_bodies_get_the_reference_error_body(
    client, method, path, kwargs, status, fragment
):
    response = client.request(method, path, headers={"Content-Type": "application/json"}, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and fragment in error["message"], error


# --- lists --------------------------------------------------------------------------------------------------


def test_requests_are_listed_in_pages_linked_by_viewtokens_per_api_version(app, client):
    outputs = app.state.services.settings.outputs
    marker = f"routes-{time.time_ns()}"
    ids = []
    for i in range(5):
        created = client.post("/api/v1/batch/process", json=v1_body(outputs, f"{marker} {i}"))
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    seen, params = [], {"count": 2, "search": marker, "sort": "created:asc"}
    while True:
        page = client.get("/api/v1/batch/process", params=params).json()
        assert len(page["data"]) <= 2 and page["links"]["@id"].startswith(
            "http://testserver/api/v1/batch/process"
        )
        seen += [r["id"] for r in page["data"]]
        if "nextToken" not in page["links"]:
            break
        assert page["links"]["next"].endswith(f"viewtoken={page['links']['nextToken']}")
        params["viewtoken"] = page["links"]["nextToken"]
    assert seen == ids
    assert "previousToken" in page["links"]
    newest_first = client.get("/api/v1/batch/process", params={"search": marker}).json()["data"]
    assert [r["id"] for r in newest_first] == ids[::-1]  # created:desc by default
    assert client.get("/api/v2/batch/process", params={"search": marker}).json()["data"] == []  # v1's only
    in_a_collection = {"search": marker, "collectionId": "0b0a6f1e-8a4e-4d5f-9b8e-4f7a1c2d3e4f"}
    assert client.get("/api/v1/batch/process", params=in_a_collection).json()["data"] == []


def test_a_wrong_method_is_405_naming_every_method_of_the_path(client):
    response = client.post("/api/v1/batch/process/r")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD, PUT"
    assert response.json()["error"]["code"] == "COMMON_METHOD_NOT_ALLOWED"


def test_the_status_route_says_the_version_and_executor_without_secrets(app, client):
    status = client.get("/api/v1/engine/status")
    assert status.status_code == 200
    assert status.json()["version"] == app.version and status.json()["executor"] == "local-processes"
    assert TEST_CLIENT_SECRET not in status.text
