"""Reading v1 and v2 batch request bodies into the model (Qt-free).

Strict (the engine's create): every message says which field is wrong and how to fix it, and what this
engine cannot run is refused. Not strict: a request another service returns, read as far as the model goes.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ..output_paths import UnsafeNameError, check_safe_name
from ..s3 import S3Credentials
from ..statuses import V2
from .model import (
    BatchRequestSpec,
    Bounds,
    DataInput,
    GeoPackageInput,
    ProcessRequest,
    RasterOutput,
    ResponseSpec,
    TilingGridSpec,
)
from .values import (
    DATA_TYPES_FIXED,
    FEATURE_MAX_PX,
    MAX_BUFFER_PX,
    MAX_DESCRIPTION_CHARS,
    MAX_GRID_ID,
    MAX_VERTICES,
    MOSAICKING_ORDERS,
    RESAMPLINGS,
    TIFF,
    V2_SECRET_KEYS,
    PayloadError,
    _flag,
    _is_number,
    _number,
    _object,
    _require,
    _shown,
    _text,
    _whole,
    crs_from_url,
    format_time,
    parse_time,
)


def parse_process_request(
    body: Any, where: str = "processRequest", batch: bool = True, strict: bool = True
) -> ProcessRequest:
    """`strict`: refuse what this engine cannot run (unknown collections); False reads another service's."""
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
    data = tuple(_parse_data(item, f"{where}.input.data[{i}]", strict) for i, item in enumerate(data_list))
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


def _parse_data(body: Any, where: str, strict: bool = True) -> DataInput:
    body = _object(body, where)
    data_type = body.get("type")
    known = data_type in DATA_TYPES_FIXED or str(data_type).startswith("byoc-")
    if not isinstance(data_type, str) or (strict and not known):
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


def parse_request(api_version: int, body: Any, strict: bool = True) -> BatchRequestSpec:
    """A v1 or v2 batch request body. `strict` (the engine's create): also refuse what this engine cannot run.
    Not strict (a request another service returns): such features are read as given, JSON nulls as absent."""
    if not strict:
        body = _without_nulls(body)
    return parse_v2_create(body, strict) if api_version == V2 else parse_v1_create(body, strict)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def parse_v1_create(body: Any, strict: bool = True) -> BatchRequestSpec:
    """A v1 `POST /api/v1/batch/process` body."""
    body = _object(body, "request body")
    process_request = parse_process_request(_require(body, "processRequest", "request body"), strict=strict)
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
    if strict and body.get("zarrOutput") is not None:
        raise PayloadError(
            "zarrOutput is not supported by this engine: deliver GeoTIFFs with output.", "zarrOutput"
        )
    output_json = body.get("output")
    bucket = body.get("bucketName")
    if strict and output_json is not None and bucket is not None:
        raise PayloadError("Give either bucketName or output.defaultTilePath, not both.", "bucketName")
    if output_json is not None:
        output_json = _object(output_json, "output")
        path = output_json.get("defaultTilePath")
        if not isinstance(path, str) or not path:
            raise PayloadError(
                "output.defaultTilePath is missing: give s3://bucket/folder or a template with placeholders.",
                "output.defaultTilePath",
            )
        if strict and (output_json.get("createCollection") or output_json.get("collectionId")):
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


def parse_s3_bucket_info(body: Any, where: str, strict: bool = True) -> tuple[str, Optional[S3Credentials]]:
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
    if strict and info.get("iamRoleARN"):
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
    return url, S3Credentials.from_api(info)


def _parse_geopackage_input(body: dict, strict: bool = True) -> GeoPackageInput:
    url, credentials = parse_s3_bucket_info(_require(body, "features", "input"), "input.features", strict)
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


def parse_v2_create(body: Any, strict: bool = True) -> BatchRequestSpec:
    """A v2 `POST /api/v2/batch/process` body (`BatchV2ProcessRequest`)."""
    body = _object(body, "request body")
    process_request = parse_process_request(_require(body, "processRequest", "request body"), strict=strict)
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
        features = _parse_geopackage_input(source, strict)
    else:
        raise PayloadError(f"input.type {kind!r} is unknown: use tiling-grid or geopackage.", "input.type")
    output_json = _object(_require(body, "output", "request body"), "output")
    if output_json.get("type", "raster") != "raster":
        raise PayloadError(
            f"output.type {output_json.get('type')!r} is not supported by this engine: use raster (GeoTIFF).",
            "output.type",
        )
    if strict and (output_json.get("createCollection") or output_json.get("collectionId")):
        raise PayloadError(
            "BYOC ingestion (createCollection, collectionId) is not supported by this engine: leave them out.",
            "output.createCollection",
        )
    delivery = _require(output_json, "delivery", "output")
    url, credentials = parse_s3_bucket_info(delivery, "output.delivery", strict)
    output = _parse_output_options(output_json, "output", url, credentials)
    description = parse_description(body.get("description"))
    return BatchRequestSpec(process_request, grid, output, description, features)


def parse_description(value: Any) -> str:
    """A request's description: a string of at most MAX_DESCRIPTION_CHARS ("" when left out)."""
    return "" if value is None else _text(value, "description", MAX_DESCRIPTION_CHARS)


def strip_v2_secrets(body: dict) -> tuple[dict, dict]:
    """The v2 request without its S3 keys (to store and echo) and the keys by place ("output", "features")."""
    return strip_secrets(
        body, {"output": ("output", "delivery", "s3"), "features": ("input", "features", "s3")}
    )


def strip_secrets(body: dict, places: dict[str, tuple[str, ...]]) -> tuple[dict, dict]:
    """`body` without the S3 keys at each place's path (to store and echo), and the keys by place."""
    clean = json.loads(json.dumps(body))
    secrets: dict = {}
    for place, path in places.items():
        node: Any = clean
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            taken = {k: node.pop(k) for k in V2_SECRET_KEYS if k in node}
            if taken:
                secrets[place] = {**taken, **({"region": node["region"]} if node.get("region") else {})}
    return clean, secrets
