"""The engine against OpenAPI documents with schemathesis 4: its own (/openapi.json) and Sentinel Hub's published
one (../shared/reference/openapi/), a bounded number of generated requests per operation, on a live engine.

Passing means: no 5xx, every response within the schema the document declares, schema-violating requests
refused, and, against the official document, no difference other than the documented ones (the config files
in tests/engine/contract/ say which, and docs/engine.md#openapi-and-the-official-contract why).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from testkit import local_engine, shared_file

CONTRACT = Path(__file__).parent / "contract"
OFFICIAL = "reference/openapi/cdse-sentinel-hub-openapi.v1.yaml"
# the operations of the official document that the engine implements
IMPLEMENTED = r"^/api/v1/process$|^/api/v1/batch/process|^/api/v1/batch/tilinggrids|^/api/v2/batch/"
EXAMPLES = 15  # per operation and phase; a fixed seed makes the run the same every time


@pytest.fixture(scope="module")
def engine(tmp_path_factory, s3_server, small_catalog):
    server = local_engine(
        tmp_path_factory.mktemp("contract-engine"),
        small_catalog,
        s3_server,
        TILEWISE_TILE_TIME_LIMIT="5",
        TILEWISE_SCRIPT_HEAP_MB="64",
    ).start()
    yield server
    server.stop()


def schemathesis(
    engine, tmp_path: Path, config: str, schema: str, *extra: str
) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONTRACT / config),
        "run",
        schema,
        "--header",
        f"Authorization: Bearer {engine.token()}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "22",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--continue-on-failure",
        *extra,
    ]
    # its working folder is the test's: nothing (reports, caches) lands in the clone
    return subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=dict(os.environ, NO_COLOR="1")
    )


def test_engine_keeps_to_its_own_openapi_document(engine, tmp_path):
    result = schemathesis(engine, tmp_path, "own.toml", engine.url + "/openapi.json")
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout[-3000:]


def corrected_official_document(folder: Path) -> Path:
    """The official document with its three known slips corrected (docs/engine.md#openapi-and-the-official-contract),
    each of which makes v2 batch operations untestable: `type: uuid` (not a JSON Schema type) is a string of
    format uuid, a `required` list naming s3 twice names it once, and the undefined BatchV2RequestId parameter is
    the taskId path parameter."""

    def correct(node):
        if isinstance(node, dict):
            if node.get("type") == "uuid":
                node = {**node, "type": "string", "format": "uuid"}
            if isinstance(node.get("required"), list):  # ["s3", "s3"]: must be unique
                node = {**node, "required": list(dict.fromkeys(node["required"]))}
            return {key: correct(value) for key, value in node.items()}
        if isinstance(node, list):
            return [correct(item) for item in node]
        return node

    document = correct(yaml.safe_load(shared_file(OFFICIAL).read_text()))
    # PUT /api/v2/batch/process/{taskId} refers to a parameter the document does not define
    document["components"].setdefault("parameters", {}).setdefault(
        "BatchV2RequestId", {"name": "taskId", "in": "path", "required": True, "schema": {"type": "string"}}
    )
    path = folder / "official-corrected.json"
    path.write_text(json.dumps(document, default=str))
    return path


def test_engine_differs_from_the_official_document_only_where_documented(engine, tmp_path):
    official = corrected_official_document(tmp_path)
    result = schemathesis(
        engine,
        tmp_path,
        "official.toml",
        str(official),
        "--url",
        engine.url,
        "--include-path-regex",
        IMPLEMENTED,
    )
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
