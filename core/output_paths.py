"""Where a batch job's files go, as Sentinel Hub defines it (reference §1.5, §1.6) and both halves need it
(Qt-free): the engine writes there, the plugin reads there.

A plain `s3://bucket/folder` means `<folder>/<requestId>/<tileName>/<outputId>.<format>`; a v2 job's
artefacts (request JSON, feature manifest, execution database) sit in the fixed folder of the output URL,
the part before its first placeholder.
"""

from __future__ import annotations

import re

PLACEHOLDERS = ("<requestId>", "<tileName>", "<tileId>", "<outputId>", "<format>")
DEFAULT_LAYOUT = "<requestId>/<tileName>/<outputId>.<format>"  # what a plain s3://bucket/folder means
PLACEHOLDER = re.compile(r"<(requestId|tileName|tileId|outputId|format)>")
ARTEFACT_NAME = re.compile(r"^(request-.+\.json|featureManifest-.+\.gpkg|execution-.+\.sqlite)$")


def output_template(url: str) -> str:
    """The full output path template of an output URL."""
    url = url.strip()
    return url if PLACEHOLDER.search(url) else url.rstrip("/") + "/" + DEFAULT_LAYOUT


def artefact_folder(url: str) -> str:
    """The fixed folder of an output URL (before its first placeholder): where every output lands under."""
    fixed = output_template(url).split("<", 1)[0]
    return fixed.rsplit("/", 1)[0] if "/" in fixed.split("://", 1)[-1] else fixed


def request_json_url(output_url: str, request_id: str) -> str:
    return _artefact_url(output_url, f"request-{request_id}.json")


def manifest_url(output_url: str, request_id: str) -> str:
    return _artefact_url(output_url, f"featureManifest-{request_id}.gpkg")


def execution_url(output_url: str, request_id: str) -> str:
    return _artefact_url(output_url, f"execution-{request_id}.sqlite")


def _artefact_url(output_url: str, name: str) -> str:
    return f"{artefact_folder(output_url).rstrip('/')}/{name}"
