"""Batch and Process API requests as one typed model, shared by the plugin and the engine (Qt-free).

`parse_request` (and `parse_v1_create`/`parse_v2_create`) read a v1 or v2 body into `BatchRequestSpec` and
raise `PayloadError` saying which field is wrong and how to fix it; `BatchRequestSpec.to_v1()`/`to_v2()`
write it back. `values` holds the limits and checks, `model` the dataclasses, `parse` the readers.
"""

from ..s3 import S3Credentials  # the one credentials type (core/s3.py), part of the model
from .model import (
    BatchRequestSpec,
    Bounds,
    DataInput,
    GeoPackageInput,
    ProcessRequest,
    RasterOutput,
    ResponseSpec,
    TilingGridSpec,
    s3_bucket_info,
)
from .parse import (
    check_polygon_geometry,
    parse_description,
    parse_process_request,
    parse_request,
    parse_s3_bucket_info,
    parse_tiling_grid,
    parse_v1_create,
    parse_v2_create,
    strip_v2_secrets,
)
from .values import (
    DATA_TYPES_FIXED,
    FEATURE_MAX_PX,
    JSON,
    MAX_BUFFER_PX,
    MAX_DESCRIPTION_CHARS,
    MAX_GRID_ID,
    MAX_VERTICES,
    MOSAICKING_ORDERS,
    RESAMPLINGS,
    TIFF,
    USERDATA,
    V2_SECRET_KEYS,
    PayloadError,
    crs_from_url,
    crs_url,
    format_time,
    parse_time,
)

__all__ = [
    "DATA_TYPES_FIXED",
    "FEATURE_MAX_PX",
    "JSON",
    "MAX_BUFFER_PX",
    "MAX_DESCRIPTION_CHARS",
    "MAX_GRID_ID",
    "MAX_VERTICES",
    "MOSAICKING_ORDERS",
    "RESAMPLINGS",
    "TIFF",
    "USERDATA",
    "V2_SECRET_KEYS",
    "BatchRequestSpec",
    "Bounds",
    "DataInput",
    "GeoPackageInput",
    "PayloadError",
    "ProcessRequest",
    "RasterOutput",
    "ResponseSpec",
    "S3Credentials",
    "TilingGridSpec",
    "check_polygon_geometry",
    "crs_from_url",
    "crs_url",
    "format_time",
    "parse_description",
    "parse_process_request",
    "parse_request",
    "parse_s3_bucket_info",
    "parse_tiling_grid",
    "parse_v1_create",
    "parse_v2_create",
    "parse_time",
    "s3_bucket_info",
    "strip_v2_secrets",
]
