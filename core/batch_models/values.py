"""The building blocks of reading a batch request: limits, media types, `PayloadError` and the checks that
raise it with the JSON path at fault, times and CRS names (Qt-free)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

DATA_TYPES_FIXED = ("sentinel-2-l2a", "sentinel-2-l1c")
MOSAICKING_ORDERS = ("mostRecent", "leastRecent", "leastCC")
RESAMPLINGS = ("NEAREST", "BILINEAR", "BICUBIC")
TIFF = "image/tiff"
JSON = "application/json"
USERDATA = "userdata"
# Bounds on what one request may ask for: each keeps one request's memory and time small and predictable
# (docs/engine.md#limits). Sentinel Hub publishes none of these; they are this engine's.
MAX_VERTICES = 100_000  # of a processRequest.input.bounds geometry; simplify larger ones
MAX_BUFFER_PX = 32_767  # bufferX/bufferY are int16 in Sentinel Hub's schema
MAX_DESCRIPTION_CHARS = 4_096
MAX_GRID_ID = 2**31 - 1

V2_SECRET_KEYS = ("accessKey", "secretAccessKey")
FEATURE_MAX_PX = 3500  # a GeoPackage feature's raster, per side (reference §1.6)


class PayloadError(ValueError):
    """A request body that cannot be accepted; `field` names the JSON path at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _require(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict):
        raise PayloadError(f"{where} must be a JSON object.", where)
    if key not in mapping or mapping[key] is None:
        raise PayloadError(f"{where}.{key} is missing.", f"{where}.{key}")
    return mapping[key]


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be a JSON object.", where)
    return value


def _is_number(value: Any) -> bool:
    """A finite JSON number (booleans are not numbers; NaN and Infinity are not JSON)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _number(value: Any, where: str) -> float:
    if not _is_number(value):
        raise PayloadError(f"{where} must be a finite number (got {_shown(value)}).", where)
    return float(value)


def _whole(value: Any, where: str, minimum: int = 0, maximum: int = 2**53) -> int:
    if not _is_number(value) or int(value) != value or not minimum <= value <= maximum:
        raise PayloadError(
            f"{where} must be a whole number from {minimum} to {maximum:,} (got {_shown(value)}).", where
        )
    return int(value)


def _text(value: Any, where: str, maximum: int) -> str:
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be a string (got {_shown(value)}).", where)
    if len(value) > maximum:
        raise PayloadError(f"{where} is {len(value):,} characters long: keep it to {maximum:,}.", where)
    return value


def _shown(value: Any) -> str:
    """A value for a message, cut short: a client may send megabytes."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PayloadError(f"{where} must be true or false (got {value!r}).", where)
    return value


def parse_time(value: Any, where: str) -> datetime:
    """An ISO-8601 time; a bare date or a time without zone is taken as UTC."""
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be an ISO-8601 time such as 2023-07-01T00:00:00Z.", where)
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(
            f"{where} is not an ISO-8601 time ({value!r}): use a form such as 2023-07-01T00:00:00Z.", where
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def crs_from_url(crs: str) -> str:
    """Sentinel Hub CRS URLs (http://www.opengis.net/def/crs/EPSG/0/32633) to 'EPSG:32633'."""
    if not isinstance(crs, str):
        raise PayloadError(
            f"The CRS must be a string such as http://www.opengis.net/def/crs/EPSG/0/4326 (got {_shown(crs)}).",
            "processRequest.input.bounds.properties.crs",
        )
    text = crs.strip()
    lowered = text.lower()
    if lowered.endswith("/ogc/1.3/crs84") or lowered.endswith(":crs84"):
        return "OGC:CRS84"
    for marker in ("/def/crs/epsg/0/", "urn:ogc:def:crs:epsg::", "epsg:"):
        index = lowered.find(marker)
        if index >= 0:
            code = text[index + len(marker) :]
            if code.isdigit() and len(code) <= 6:
                return f"EPSG:{code}"
    raise PayloadError(
        f"Unsupported CRS {crs!r}: use http://www.opengis.net/def/crs/EPSG/0/<code> "
        "or http://www.opengis.net/def/crs/OGC/1.3/CRS84.",
        "processRequest.input.bounds.properties.crs",
    )


def crs_url(epsg: int) -> str:
    return f"http://www.opengis.net/def/crs/EPSG/0/{epsg}"
