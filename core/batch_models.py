"""Batch and Process API payloads as typed models (Qt-free, shared by the plugin and the engine).

`parse_*` functions read the JSON a client sends and raise `PayloadError` with a
message that says which field is wrong and how to fix it; `to_api()` methods
write the JSON back. Field names follow Sentinel Hub (reference §1.5, §1.6).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from .output_paths import UnsafeNameError, check_safe_name
from .s3 import S3Credentials

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


@dataclass(frozen=True)
class Bounds:
    """`processRequest.input.bounds`: a bbox or a GeoJSON geometry, with its CRS."""

    crs: str  # as given, e.g. http://www.opengis.net/def/crs/EPSG/0/4326
    bbox: Optional[tuple[float, float, float, float]] = None
    geometry: Optional[dict] = None

    @property
    def epsg_crs(self) -> str:
        """The CRS in a form GDAL reads ('EPSG:4326', 'OGC:CRS84')."""
        return crs_from_url(self.crs)

    def to_api(self) -> dict:
        body: dict[str, Any] = {"properties": {"crs": self.crs}}
        if self.bbox is not None:
            body["bbox"] = list(self.bbox)
        if self.geometry is not None:
            body["geometry"] = self.geometry
        return body


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


@dataclass(frozen=True)
class DataInput:
    """One entry of `processRequest.input.data`."""

    type: str  # sentinel-2-l2a, sentinel-2-l1c, byoc-<id>
    time_from: Optional[datetime] = None
    time_to: Optional[datetime] = None
    max_cloud_coverage: Optional[float] = None
    mosaicking_order: str = "mostRecent"
    upsampling: str = "NEAREST"
    downsampling: str = "NEAREST"
    harmonize_values: bool = True
    id: Optional[str] = None  # data fusion alias

    def to_api(self) -> dict:
        data_filter: dict[str, Any] = {"mosaickingOrder": self.mosaicking_order}
        if self.time_from is not None and self.time_to is not None:
            data_filter["timeRange"] = {"from": format_time(self.time_from), "to": format_time(self.time_to)}
        if self.max_cloud_coverage is not None:
            data_filter["maxCloudCoverage"] = self.max_cloud_coverage
        body: dict[str, Any] = {
            "type": self.type,
            "dataFilter": data_filter,
            "processing": {
                "upsampling": self.upsampling,
                "downsampling": self.downsampling,
                "harmonizeValues": self.harmonize_values,
            },
        }
        if self.id:
            body["id"] = self.id
        return body


@dataclass(frozen=True)
class ResponseSpec:
    identifier: str
    format: str = TIFF

    @property
    def extension(self) -> str:
        return {TIFF: "tif", JSON: "json", "image/png": "png", "image/jpeg": "jpg"}.get(self.format, "bin")

    def to_api(self) -> dict:
        return {"identifier": self.identifier, "format": {"type": self.format}}


@dataclass(frozen=True)
class ProcessRequest:
    """`processRequest`: what to compute; batch requests carry no output size."""

    evalscript: str
    data: tuple[DataInput, ...]
    responses: tuple[ResponseSpec, ...]
    bounds: Optional[Bounds] = None
    width: Optional[int] = None
    height: Optional[int] = None
    resx: Optional[float] = None
    resy: Optional[float] = None

    def to_api(self) -> dict:
        output: dict[str, Any] = {"responses": [r.to_api() for r in self.responses]}
        for key in ("width", "height", "resx", "resy"):
            if getattr(self, key) is not None:
                output[key] = getattr(self, key)
        body: dict[str, Any] = {"input": {"data": [d.to_api() for d in self.data]}, "output": output}
        if self.bounds is not None:
            body["input"]["bounds"] = self.bounds.to_api()
        body["evalscript"] = self.evalscript
        return body


@dataclass(frozen=True)
class TilingGridSpec:
    id: int
    resolution: float
    buffer_x: int = 0
    buffer_y: int = 0

    def to_api(self) -> dict:
        return {
            "id": self.id,
            "resolution": self.resolution,
            "bufferX": self.buffer_x,
            "bufferY": self.buffer_y,
        }


@dataclass(frozen=True)
class RasterOutput:
    """Where and how tiles are written (v1 `output`/`bucketName`, v2 `output` of type raster)."""

    path: str  # s3://bucket/prefix[/template] or file:///folder[/template]
    overwrite: bool = False
    skip_existing: bool = False
    cog_output: bool = False
    cog_parameters: dict = field(default_factory=dict)
    credentials: Optional[S3Credentials] = None  # v2 only; never echoed back


@dataclass(frozen=True)
class GeoPackageInput:
    """v2 `input` of type geopackage: features (one output raster each) from a GeoPackage on S3."""

    url: str  # s3://bucket/key.gpkg (or file:// under the engine's output root)
    credentials: Optional[S3Credentials] = None
    default_width: Optional[int] = None
    default_height: Optional[int] = None
    default_resolution: Optional[float] = None


@dataclass(frozen=True)
class BatchRequestSpec:
    """A batch request as the engine and the client understand it, whatever the API version."""

    process_request: ProcessRequest
    tiling_grid: Optional[TilingGridSpec]  # None for v2 GeoPackage input
    output: RasterOutput
    description: str = ""
    features: Optional[GeoPackageInput] = None


def parse_process_request(body: Any, where: str = "processRequest", batch: bool = True) -> ProcessRequest:
    body = _object(body, where)
    evalscript = body.get("evalscript")
    if not isinstance(evalscript, str) or not evalscript.strip():
        raise PayloadError(
            f"{where}.evalscript is missing: send the evalscript as a string (or as the multipart part 'evalscript').",
            f"{where}.evalscript",
        )
    source = _require(body, "input", where)
    data_list = _require(source, "data", f"{where}.input")
    if not isinstance(data_list, list) or not data_list:
        raise PayloadError(
            f"{where}.input.data must list at least one data collection.", f"{where}.input.data"
        )
    data = tuple(_parse_data(item, f"{where}.input.data[{i}]") for i, item in enumerate(data_list))
    bounds = (
        _parse_bounds(source["bounds"], f"{where}.input.bounds") if source.get("bounds") is not None else None
    )
    output = _object(body.get("output") or {}, f"{where}.output")
    responses_json = output.get("responses") or [{"identifier": "default", "format": {"type": TIFF}}]
    if not isinstance(responses_json, list):
        raise PayloadError(f"{where}.output.responses must be a list.", f"{where}.output.responses")
    responses = tuple(
        _parse_response(r, f"{where}.output.responses[{i}]") for i, r in enumerate(responses_json)
    )
    identifiers = [r.identifier for r in responses]
    duplicates = sorted({i for i in identifiers if identifiers.count(i) > 1})
    if duplicates:
        raise PayloadError(
            f"{where}.output.responses names {', '.join(duplicates)} more than once: give each response once.",
            f"{where}.output.responses",
        )
    sizes = {
        key: output.get(key) for key in ("width", "height", "resx", "resy") if output.get(key) is not None
    }
    if batch and sizes:
        raise PayloadError(
            f"{where}.output must not set {', '.join(sorted(sizes))} in a batch request: the tiling grid "
            "decides the size of each tile. Build the request without a size.",
            f"{where}.output",
        )
    return ProcessRequest(
        evalscript=evalscript,
        data=data,
        responses=responses,
        bounds=bounds,
        width=_whole(sizes["width"], f"{where}.output.width", 1) if "width" in sizes else None,
        height=_whole(sizes["height"], f"{where}.output.height", 1) if "height" in sizes else None,
        resx=_number(sizes["resx"], f"{where}.output.resx") if "resx" in sizes else None,
        resy=_number(sizes["resy"], f"{where}.output.resy") if "resy" in sizes else None,
    )


def _parse_bounds(body: Any, where: str) -> Bounds:
    body = _object(body, where)
    properties = _object(body.get("properties") or {}, f"{where}.properties")
    crs = properties.get("crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84")
    try:
        crs_from_url(crs)  # validates
    except PayloadError as exc:
        raise PayloadError(str(exc), f"{where}.properties.crs") from None
    bbox = body.get("bbox")
    geometry = body.get("geometry")
    if bbox is None and geometry is None:
        raise PayloadError(f"{where} needs a bbox or a geometry.", where)
    if bbox is not None:
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise PayloadError(f"{where}.bbox must be [minX, minY, maxX, maxY].", f"{where}.bbox")
        bbox = tuple(_number(v, f"{where}.bbox") for v in bbox)
        if bbox[0] >= bbox[2] or bbox[1] >= bbox[3]:
            raise PayloadError(f"{where}.bbox must have minX < maxX and minY < maxY.", f"{where}.bbox")
    if geometry is not None:
        geometry = _object(geometry, f"{where}.geometry")
        check_polygon_geometry(geometry, f"{where}.geometry")
    return Bounds(crs=crs, bbox=bbox, geometry=geometry)


def check_polygon_geometry(geometry: dict, where: str) -> None:
    """A GeoJSON Polygon or MultiPolygon whose rings are lists of [x, y] finite numbers, at most MAX_VERTICES."""
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise PayloadError(
            f"{where} must be a GeoJSON Polygon or MultiPolygon (got {_shown(kind)}).", f"{where}.type"
        )
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    shape = "[[[x, y], ...], ...]" if kind == "Polygon" else "[[[[x, y], ...], ...], ...]"
    if not isinstance(polygons, list) or not polygons:
        raise PayloadError(f"{where}.coordinates must be a list {shape}.", f"{where}.coordinates")
    vertices = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise PayloadError(f"{where}.coordinates must be a list {shape}.", f"{where}.coordinates")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise PayloadError(
                    f"{where}.coordinates: every ring needs at least 4 positions [x, y] (the first repeated "
                    "at the end).",
                    f"{where}.coordinates",
                )
            vertices += len(ring)
            if vertices > MAX_VERTICES:
                raise PayloadError(
                    f"{where} has more than {MAX_VERTICES:,} vertices: simplify it (in QGIS: Vector > Geometry "
                    "Tools > Simplify) or split the area into several requests.",
                    f"{where}.coordinates",
                )
            for position in ring:
                if not (
                    isinstance(position, list) and 2 <= len(position) <= 3 and all(map(_is_number, position))
                ):
                    raise PayloadError(
                        f"{where}.coordinates: {_shown(position)} is not a position [x, y] of finite numbers.",
                        f"{where}.coordinates",
                    )


def _parse_data(body: Any, where: str) -> DataInput:
    body = _object(body, where)
    data_type = body.get("type")
    if not isinstance(data_type, str) or not (data_type in DATA_TYPES_FIXED or data_type.startswith("byoc-")):
        raise PayloadError(
            f"{where}.type {data_type!r} is not a collection this deployment knows: use "
            f"{', '.join(DATA_TYPES_FIXED)} or byoc-<collection id>.",
            f"{where}.type",
        )
    data_filter = _object(body.get("dataFilter") or {}, f"{where}.dataFilter")
    time_from = time_to = None
    if data_filter.get("timeRange") is not None:
        time_range = _object(data_filter["timeRange"], f"{where}.dataFilter.timeRange")
        time_from = parse_time(
            _require(time_range, "from", f"{where}.dataFilter.timeRange"), f"{where}...from"
        )
        time_to = parse_time(_require(time_range, "to", f"{where}.dataFilter.timeRange"), f"{where}...to")
        if time_to < time_from:
            raise PayloadError(
                f"{where}.dataFilter.timeRange ends ({format_time(time_to)}) before it starts "
                f"({format_time(time_from)}): swap 'from' and 'to'.",
                f"{where}.dataFilter.timeRange",
            )
    cloud = data_filter.get("maxCloudCoverage")
    if cloud is not None:
        cloud = _number(cloud, f"{where}.dataFilter.maxCloudCoverage")
        if not 0 <= cloud <= 100:
            raise PayloadError(
                f"{where}.dataFilter.maxCloudCoverage must be between 0 and 100 (got {cloud:g}).",
                f"{where}.dataFilter.maxCloudCoverage",
            )
    order = data_filter.get("mosaickingOrder", "mostRecent")
    if order not in MOSAICKING_ORDERS:
        raise PayloadError(
            f"{where}.dataFilter.mosaickingOrder {order!r} is unknown: use one of {', '.join(MOSAICKING_ORDERS)}.",
            f"{where}.dataFilter.mosaickingOrder",
        )
    processing = _object(body.get("processing") or {}, f"{where}.processing")
    resampling = {}
    for key in ("upsampling", "downsampling"):
        value = str(processing.get(key, "NEAREST")).upper()
        if value not in RESAMPLINGS:
            raise PayloadError(
                f"{where}.processing.{key} {processing.get(key)!r} is unknown: use one of {', '.join(RESAMPLINGS)}.",
                f"{where}.processing.{key}",
            )
        resampling[key] = value
    harmonize = processing.get("harmonizeValues", True)
    return DataInput(
        type=data_type,
        time_from=time_from,
        time_to=time_to,
        max_cloud_coverage=cloud,
        mosaicking_order=order,
        upsampling=resampling["upsampling"],
        downsampling=resampling["downsampling"],
        harmonize_values=_flag(harmonize, f"{where}.processing.harmonizeValues"),
        id=None if body.get("id") is None else _text(body["id"], f"{where}.id", 128),
    )


def _parse_response(body: Any, where: str) -> ResponseSpec:
    body = _object(body, where)
    identifier = body.get("identifier", "default")
    try:
        check_safe_name(identifier, f"{where}.identifier")
    except UnsafeNameError as exc:
        raise PayloadError(str(exc), f"{where}.identifier") from None
    format_type = _object(body.get("format") or {}, f"{where}.format").get("type", TIFF)
    if not isinstance(format_type, str):
        raise PayloadError(
            f"{where}.format.type must be a media type such as {TIFF} (got {_shown(format_type)}).",
            f"{where}.format.type",
        )
    return ResponseSpec(identifier=identifier, format=format_type)


def parse_tiling_grid(body: Any, where: str) -> TilingGridSpec:
    body = _object(body, where)
    grid_id = _whole(_require(body, "id", where), f"{where}.id", 0, MAX_GRID_ID)
    resolution = _number(_require(body, "resolution", where), f"{where}.resolution")
    return TilingGridSpec(
        id=grid_id,
        resolution=resolution,
        buffer_x=_whole(body.get("bufferX", 0), f"{where}.bufferX", 0, MAX_BUFFER_PX),
        buffer_y=_whole(body.get("bufferY", 0), f"{where}.bufferY", 0, MAX_BUFFER_PX),
    )


def _parse_output_options(
    body: dict, where: str, path: str, credentials: Optional[S3Credentials]
) -> RasterOutput:
    cog_parameters = body.get("cogParameters") or {}
    return RasterOutput(
        path=path,
        overwrite=_flag(body.get("overwrite", False), f"{where}.overwrite"),
        skip_existing=_flag(body.get("skipExisting", False), f"{where}.skipExisting"),
        cog_output=_flag(body.get("cogOutput", False), f"{where}.cogOutput"),
        cog_parameters=_object(cog_parameters, f"{where}.cogParameters"),
        credentials=credentials,
    )


def parse_v1_create(body: Any) -> BatchRequestSpec:
    """A v1 `POST /api/v1/batch/process` body."""
    body = _object(body, "request body")
    process_request = parse_process_request(_require(body, "processRequest", "request body"))
    if process_request.bounds is None:
        raise PayloadError(
            "processRequest.input.bounds is missing: a batch request needs the area to process.",
            "processRequest.input.bounds",
        )
    if "tilingGrid" in body:
        grid = parse_tiling_grid(body["tilingGrid"], "tilingGrid")
    elif "tilingGridId" in body:  # deprecated top-level form
        grid = parse_tiling_grid(
            {"id": body["tilingGridId"], "resolution": body.get("resolution")}, "tilingGrid"
        )
    else:
        raise PayloadError("tilingGrid is missing: give {id, resolution, bufferX, bufferY}.", "tilingGrid")
    if body.get("zarrOutput") is not None:
        raise PayloadError(
            "zarrOutput is not supported by this engine: deliver GeoTIFFs with output.", "zarrOutput"
        )
    output_json = body.get("output")
    bucket = body.get("bucketName")
    if output_json is not None and bucket is not None:
        raise PayloadError("Give either bucketName or output.defaultTilePath, not both.", "bucketName")
    if output_json is not None:
        output_json = _object(output_json, "output")
        path = output_json.get("defaultTilePath")
        if not isinstance(path, str) or not path:
            raise PayloadError(
                "output.defaultTilePath is missing: give s3://bucket/folder or a template with placeholders.",
                "output.defaultTilePath",
            )
        if output_json.get("createCollection") or output_json.get("collectionId"):
            raise PayloadError(
                "Batch collections are not supported by this engine: leave createCollection and collectionId out.",
                "output.createCollection",
            )
        output = _parse_output_options(output_json, "output", path, None)
    elif isinstance(bucket, str) and bucket:
        output = RasterOutput(path=f"s3://{bucket}")
    else:
        raise PayloadError("Say where to deliver the tiles: bucketName or output.defaultTilePath.", "output")
    description = parse_description(body.get("description"))
    return BatchRequestSpec(process_request, grid, output, description)


# --- Batch API v2 ---------------------------------------------------------------------------------------

V2_SECRET_KEYS = ("accessKey", "secretAccessKey")
FEATURE_MAX_PX = 3500  # a GeoPackage feature's raster, per side (reference §1.6)


def parse_s3_bucket_info(body: Any, where: str) -> tuple[str, Optional[S3Credentials]]:
    """`{"s3": {url, accessKey, secretAccessKey, region, iamRoleARN}}` → (url, credentials)."""
    holder = _object(body, where)
    if "gs" in holder:
        raise PayloadError(
            f"{where}.gs: Google Cloud Storage is not supported by this engine: use s3.", f"{where}.gs"
        )
    info = _object(_require(holder, "s3", where), f"{where}.s3")
    url = info.get("url")
    if not isinstance(url, str) or not url:
        raise PayloadError(f"{where}.s3.url is missing: give s3://bucket/folder.", f"{where}.s3.url")
    if info.get("iamRoleARN"):
        raise PayloadError(
            f"{where}.s3.iamRoleARN: this engine cannot assume IAM roles: give accessKey and secretAccessKey, or "
            "leave all three out to use the engine's own credentials.",
            f"{where}.s3.iamRoleARN",
        )
    access, secret = info.get("accessKey"), info.get("secretAccessKey")
    if bool(access) != bool(secret):
        raise PayloadError(
            f"{where}.s3 needs both accessKey and secretAccessKey, or neither (the engine's own credentials).",
            f"{where}.s3",
        )
    region = info.get("region")
    if region is not None and not isinstance(region, str):
        raise PayloadError(f"{where}.s3.region must be a string such as eu-central-1.", f"{where}.s3.region")
    return url, (S3Credentials(str(access), str(secret), region) if access else None)


def _parse_geopackage_input(body: dict) -> GeoPackageInput:
    url, credentials = parse_s3_bucket_info(_require(body, "features", "input"), "input.features")
    defaults = _object(body.get("defaults") or {}, "input.defaults")
    width = (
        _whole(defaults["width"], "input.defaults.width", 1) if defaults.get("width") is not None else None
    )
    height = (
        _whole(defaults["height"], "input.defaults.height", 1) if defaults.get("height") is not None else None
    )
    for value, name in ((width, "width"), (height, "height")):
        if value is not None and value > FEATURE_MAX_PX:
            raise PayloadError(
                f"input.defaults.{name} {value} is over the limit of {FEATURE_MAX_PX} px.",
                f"input.defaults.{name}",
            )
    if (width is None) != (height is None):
        raise PayloadError("input.defaults needs both width and height, or neither.", "input.defaults")
    resolution = defaults.get("resolution")
    if resolution is not None:
        resolution = _number(resolution, "input.defaults.resolution")
        if resolution <= 0:
            raise PayloadError("input.defaults.resolution must be positive.", "input.defaults.resolution")
    return GeoPackageInput(url, credentials, width, height, resolution)


def parse_v2_create(body: Any) -> BatchRequestSpec:
    """A v2 `POST /api/v2/batch/process` body (`BatchV2ProcessRequest`)."""
    body = _object(body, "request body")
    process_request = parse_process_request(_require(body, "processRequest", "request body"))
    source = _object(_require(body, "input", "request body"), "input")
    kind = source.get("type")
    grid, features = None, None
    if kind == "tiling-grid":
        grid = parse_tiling_grid(source, "input")
        if process_request.bounds is None:
            raise PayloadError(
                "processRequest.input.bounds is missing: with a tiling-grid input the area to process is required.",
                "processRequest.input.bounds",
            )
    elif kind == "geopackage":
        features = _parse_geopackage_input(source)
    else:
        raise PayloadError(f"input.type {kind!r} is unknown: use tiling-grid or geopackage.", "input.type")
    output_json = _object(_require(body, "output", "request body"), "output")
    if output_json.get("type", "raster") != "raster":
        raise PayloadError(
            f"output.type {output_json.get('type')!r} is not supported by this engine: use raster (GeoTIFF).",
            "output.type",
        )
    if output_json.get("createCollection") or output_json.get("collectionId"):
        raise PayloadError(
            "BYOC ingestion (createCollection, collectionId) is not supported by this engine: leave them out.",
            "output.createCollection",
        )
    url, credentials = parse_s3_bucket_info(_require(output_json, "delivery", "output"), "output.delivery")
    output = _parse_output_options(output_json, "output", url, credentials)
    description = parse_description(body.get("description"))
    return BatchRequestSpec(process_request, grid, output, description, features)


def parse_description(value: Any) -> str:
    """A request's description: a string of at most MAX_DESCRIPTION_CHARS ("" when left out)."""
    return "" if value is None else _text(value, "description", MAX_DESCRIPTION_CHARS)


def strip_v2_secrets(body: dict) -> tuple[dict, dict]:
    """The v2 request without its S3 keys (to store and echo) and the keys by place ("output", "features")."""
    clean = json.loads(json.dumps(body))
    secrets: dict = {}
    for place, path in (("output", ("output", "delivery", "s3")), ("features", ("input", "features", "s3"))):
        node: Any = clean
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            taken = {k: node.pop(k) for k in V2_SECRET_KEYS if k in node}
            if taken:
                secrets[place] = {**taken, **({"region": node["region"]} if node.get("region") else {})}
    return clean, secrets
