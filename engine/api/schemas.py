"""The API's request and response bodies as JSON Schema, for the engine's OpenAPI document (`/openapi.json`).

Named and shaped after Sentinel Hub's published OpenAPI document (ProcessRequest, BatchProcessRequest,
BatchV2ProcessRequest, BatchV2ProcessTask, BatchTile …), but as strict as this engine is: the bounds of
core/batch_models.py (identifiers, buffers, description, vertices) are stated here too, so a client learns
the contract from the document. The routes still parse bodies with core/batch_models.py (the plugin shares
it, and QGIS's Python has no pydantic): these models only describe. docs/engine.md#openapi lists where the
engine's document deliberately differs from the official one.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ...core.batch_models import (
    DATA_TYPES_FIXED,
    MAX_BUFFER_PX,
    MAX_DESCRIPTION_CHARS,
    MAX_GRID_ID,
    MAX_VERTICES,
    MOSAICKING_ORDERS,
    RESAMPLINGS,
)
from ...core.output_paths import SAFE_NAME
from ...core.statuses import RequestStatus
from ...core.tile_status import TileStatus

Description = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --- errors ---------------------------------------------------------------------------------------------


class ErrorDetail(Model):
    status: int
    reason: str
    message: str = Field(description="What is wrong and how to fix it.")
    code: str = Field(examples=["COMMON_BAD_PAYLOAD"])
    errors: Optional[dict[str, Any]] = Field(
        default=None, description='The field at fault: {"parameter": …}.'
    )


class ErrorBody(Model):
    """Every error the engine answers, whatever the status."""

    error: ErrorDetail


ERROR = {"model": ErrorBody}
COMMON_ERRORS: dict[Union[int, str], dict] = {
    400: {
        **ERROR,
        "description": "The request is not valid; the message says which field and how to fix it.",
    },
    401: {**ERROR, "description": "No valid bearer token (POST /oauth/token)."},
    413: {**ERROR, "description": "The body is larger than TILEWISE_MAX_BODY_MB."},
    500: {**ERROR, "description": "A fault of the engine; the message names an incident in its log."},
    503: {**ERROR, "description": "The engine is shutting down: send the request again."},
    507: {**ERROR, "description": "The engine's data disk is full."},
}
NOT_FOUND = {404: {**ERROR, "description": "No such request, tile or grid."}}
CONFLICT = {409: {**ERROR, "description": "The request is not in a status that allows this."}}


# --- the process request (Process API body, and processRequest of batch requests) -----------------------


class Polygon(Model):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(min_length=1)


class MultiPolygon(Model):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]] = Field(min_length=1)


class BoundsProperties(Model):
    crs: str = Field(
        default="http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        examples=["http://www.opengis.net/def/crs/EPSG/0/4326"],
    )


class Bounds(Model):
    """A bbox or a geometry (at most MAX_VERTICES vertices), or both (their intersection), in `properties.crs`."""

    bbox: Optional[list[float]] = Field(default=None, min_length=4, max_length=4)
    geometry: Optional[Union[Polygon, MultiPolygon]] = Field(
        default=None, description=f"At most {MAX_VERTICES:,} vertices."
    )
    properties: Optional[BoundsProperties] = None


class TimeRange(Model):
    from_: datetime = Field(alias="from")
    to: datetime


class DataFilter(Model):
    timeRange: Optional[TimeRange] = None
    maxCloudCoverage: Optional[float] = Field(default=None, ge=0, le=100)
    mosaickingOrder: Optional[Enum("MosaickingOrder", {o: o for o in MOSAICKING_ORDERS})] = None  # type: ignore[misc]


Resampling = Enum("Resampling", {r: r for r in RESAMPLINGS})


class Processing(Model):
    upsampling: Optional[Resampling] = None  # type: ignore[valid-type]
    downsampling: Optional[Resampling] = None  # type: ignore[valid-type]
    harmonizeValues: Optional[bool] = None


class DataInput(Model):
    type: str = Field(description=f"{', '.join(DATA_TYPES_FIXED)} or byoc-<collection id>.")
    id: Optional[str] = Field(default=None, max_length=128)
    dataFilter: Optional[DataFilter] = None
    processing: Optional[Processing] = None


class ProcessInput(Model):
    bounds: Optional[Bounds] = None
    data: list[DataInput] = Field(min_length=1, max_length=1, description="One collection (no data fusion).")


class ResponseFormat(Model):
    type: Literal["image/tiff", "image/png", "image/jpeg", "application/json"] = "image/tiff"


class OutputResponse(Model):
    identifier: str = Field(
        default="default",
        pattern=SAFE_NAME.pattern,
        description="Letters, digits, '_' and '-' (a file name).",
    )
    format: Optional[ResponseFormat] = None


class ProcessOutput(Model):
    width: Optional[int] = Field(default=None, ge=1, le=2500)
    height: Optional[int] = Field(default=None, ge=1, le=2500)
    resx: Optional[float] = Field(default=None, gt=0)
    resy: Optional[float] = Field(default=None, gt=0)
    responses: Optional[list[OutputResponse]] = None


class ProcessRequest(Model):
    """Process API body; also a batch request's processRequest (without width, height, resx, resy)."""

    input: ProcessInput
    output: Optional[ProcessOutput] = None
    evalscript: str = Field(min_length=1, description="Evalscript V3: starts with //VERSION=3.")


class MultiPartProcessRequest(Model):
    request: ProcessRequest
    evalscript: Optional[str] = None


# --- statistical requests -------------------------------------------------------------------------------


class AggregationInterval(Model):
    of: str = Field(description="An ISO-8601 duration of whole days: P1D, P<n>D, P<n>W or P<n>M.")
    lastIntervalBehavior: Optional[Literal["SKIP", "SHORTEN", "EXTEND"]] = Field(
        default=None, description="The last interval, when the time range ends inside it (default SKIP)."
    )


class Aggregation(Model):
    timeRange: TimeRange
    aggregationInterval: AggregationInterval
    evalscript: str = Field(min_length=1, description="Evalscript V3 with a dataMask output.")
    width: Optional[int] = Field(default=None, ge=1, le=2500)
    height: Optional[int] = Field(default=None, ge=1, le=2500)
    resx: Optional[float] = Field(default=None, gt=0)
    resy: Optional[float] = Field(default=None, gt=0)


class StatisticalRequest(Model):
    """POST /api/v1/statistics; `calculations` per output id (or "default"), then histograms/statistics per band."""

    input: ProcessInput
    aggregation: Aggregation
    calculations: Optional[dict[str, Any]] = None


class StatisticalResponse(Model):
    data: list[dict[str, Any]] = Field(description="Per interval with data: interval and outputs, or error.")
    status: Literal["OK", "PARTIAL", "FAILED"] = Field(
        description="OK: no interval failed; PARTIAL: some did (their entries hold error); FAILED: all did."
    )


# --- batch requests ---------------------------------------------------------------------------------------


class TilingGridV1(Model):
    id: int = Field(ge=0, le=MAX_GRID_ID)
    resolution: float = Field(gt=0)
    bufferX: Optional[int] = Field(default=0, ge=0, le=MAX_BUFFER_PX)
    bufferY: Optional[int] = Field(default=0, ge=0, le=MAX_BUFFER_PX)


class RasterOptions(Model):
    overwrite: Optional[bool] = False
    skipExisting: Optional[bool] = False
    cogOutput: Optional[bool] = False
    cogParameters: Optional[dict[str, Any]] = None


class OutputV1(RasterOptions):
    defaultTilePath: str = Field(
        description="s3://bucket/folder, or a template with <requestId>, <tileName>, <tileId>, <outputId>, "
        "<format>; file:///folder under the engine's output root.",
    )


class BatchProcessRequestCreate(Model):
    """POST /api/v1/batch/process: `output` or `bucketName`."""

    processRequest: ProcessRequest
    tilingGrid: TilingGridV1
    output: Optional[OutputV1] = None
    bucketName: Optional[str] = None
    description: Optional[str] = Description


class BatchProcessRequestUpdatePayload(Model):
    description: Optional[str] = Description


class RequestState(Model):
    """What v1 and v2 answer alike about a batch request: its status, the user's last action, what it cost."""

    id: str
    created: str
    status: RequestStatus
    userAction: str
    userActionUpdated: Optional[str] = None
    valueEstimate: Optional[float] = None
    error: Optional[str] = None
    costPU: float = Field(description="Processing units spent so far (on v1, an extension).")
    warnings: Optional[list[str]] = Field(default=None, description="Extension: what the engine noticed.")


class BatchV1Request(RequestState):
    """A v1 batch request as the engine returns it (Sentinel Hub's BatchProcessRequest, plus costPU, warnings)."""

    userId: str
    processRequest: dict[str, Any]
    tilingGrid: dict[str, Any]
    output: Optional[dict[str, Any]] = None
    bucketName: Optional[str] = None
    description: str
    tileCount: int
    tileWidthPx: Optional[int] = None
    tileHeightPx: Optional[int] = None


class GeoJsonPolygonWithCrs(Model):
    type: Literal["Polygon", "Point"]
    coordinates: list[Any]
    crs: Optional[dict[str, Any]] = None


class BatchTile(Model):
    id: int
    requestId: str
    name: str
    geometry: GeoJsonPolygonWithCrs
    origin: GeoJsonPolygonWithCrs
    crs: str
    status: TileStatus
    cost: float
    attempts: int
    lastUpdated: str
    failureReason: Optional[str] = Field(default=None, description="Extension: why the tile failed.")


class S3Delivery(Model):
    url: str
    accessKey: Optional[str] = None
    secretAccessKey: Optional[str] = Field(default=None, description="Never returned.")
    region: Optional[str] = None


class S3Holder(Model):
    s3: S3Delivery


class TilingGridInput(TilingGridV1):
    type: Literal["tiling-grid"]


class GeoPackageDefaults(Model):
    width: Optional[int] = Field(default=None, ge=1, le=3500)
    height: Optional[int] = Field(default=None, ge=1, le=3500)
    resolution: Optional[float] = Field(default=None, gt=0)


class GeoPackageInput(Model):
    type: Literal["geopackage"]
    features: S3Holder
    defaults: Optional[GeoPackageDefaults] = None


class RasterOutputV2(RasterOptions):
    type: Literal["raster"] = "raster"
    delivery: S3Holder


class BatchV2ProcessRequest(Model):
    """POST /api/v2/batch/process."""

    processRequest: ProcessRequest
    input: Union[TilingGridInput, GeoPackageInput] = Field(discriminator="type")
    output: RasterOutputV2
    description: Optional[str] = Description


class BatchV2ProcessTask(RequestState):
    request: dict[str, Any] = Field(description="The request as created, without its S3 keys.")
    domainAccountId: str
    projectId: str
    lastUpdated: str
    completionPercentage: float
    stoppedStatusReason: Optional[str] = None
    featureCount: Optional[int] = Field(
        default=None, description="Extension: features found by the analysis."
    )


# --- lists and grids --------------------------------------------------------------------------------------


class Links(Model):
    currentToken: str
    nextToken: Optional[str] = None
    previousToken: Optional[str] = None
    next: Optional[str] = None
    previous: Optional[str] = None
    id: str = Field(alias="@id")


class V1RequestList(Model):
    data: list[BatchV1Request]
    links: Links


class TileList(Model):
    data: list[BatchTile]
    links: Links


class V2TaskList(Model):
    data: list[BatchV2ProcessTask]
    links: Links


class BatchStatisticalInput(Model):
    features: S3Holder = Field(
        description="The GeoPackage of polygons (s3:// or file:// under the output root)."
    )
    data: list[DataInput] = Field(min_length=1, max_length=1, description="One collection (no data fusion).")


class BatchStatisticalRequest(Model):
    """POST /api/v1/statistics/batch: per-feature statistics of a GeoPackage's polygons."""

    input: BatchStatisticalInput
    aggregation: Aggregation
    calculations: Optional[dict[str, Any]] = None
    output: S3Holder = Field(description="Results go to <output.s3.url>/<requestId>/<feature id>.json.")


class BatchStatisticsTaskStatus(Model):
    """GET /api/v1/statistics/batch/{requestId}/status."""

    id: str
    status: RequestStatus
    completionPercentage: float = Field(description="100 only when DONE.")
    costPU: float
    created: str
    lastUpdated: str
    error: Optional[str] = None
    stoppedStatusReason: Optional[str] = None


class BatchStatisticsTask(BatchStatisticsTaskStatus):
    request: dict[str, Any] = Field(description="The request as created, without its S3 keys.")
    userAction: str
    userActionUpdated: Optional[str] = None
    domainAccountId: str
    featureCount: int = Field(description="Extension: the GeoPackage's polygons.")
    valueEstimate: Optional[float] = Field(
        default=None, description="Extension: PU estimated by the analysis."
    )


class BatchStatisticsTaskList(Model):
    data: list[BatchStatisticsTask]
    links: Links


class TilingGridProperties(Model):
    tileWidth: float
    tileHeight: float
    resolutions: list[float]
    unit: str


class TilingGrid(Model):
    id: int
    name: str
    properties: TilingGridProperties


class TilingGridList(Model):
    data: list[TilingGrid]
    links: Links


class AccessToken(Model):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    expires_at: int


# --- request bodies in the document -------------------------------------------------------------------------

BODY_MODELS = (
    ProcessRequest,
    MultiPartProcessRequest,
    StatisticalRequest,
    BatchStatisticalRequest,
    BatchProcessRequestCreate,
    BatchProcessRequestUpdatePayload,
    BatchV2ProcessRequest,
)


def request_body(model: type[BaseModel], multipart: bool = True) -> dict:
    """`openapi_extra` for a route that reads its body itself: the body's schema, JSON (and multipart)."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
    if multipart:
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "required": ["request"],
                "properties": {
                    "request": {"$ref": f"#/components/schemas/{model.__name__}"},
                    "evalscript": {"type": "string"},
                },
            },
            "encoding": {"request": {"contentType": "application/json"}},
        }
    return {"requestBody": {"required": True, "content": content}}


def add_body_schemas(document: dict) -> dict:
    """Put the request-body models (and what they refer to) into the document's components; drop FastAPI's
    422 responses (the engine answers invalid parameters with 400 and the error body, as Sentinel Hub)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for model in BODY_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return document
