"""What the plugin knows of a batch job and its tiles, whatever the deployment and API version (Qt-free).

`BatchJob.from_api` reads the service's JSON (reference §1.5, §1.6); `Tile.from_v1` reads a
v1 tile; v2 tiles come from the job's bucket artefacts (core/v2_progress.py). The UI sees only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .batch_models import BatchRequestSpec, PayloadError, parse_request
from .statuses import TERMINAL, V1, V2, RequestStatus
from .tile_status import TileStatus

# The keys of a v1 GET body that belong to the request (v2 nests the request under `request`).
V1_REQUEST_KEYS = (
    "processRequest",
    "tilingGrid",
    "tilingGridId",
    "resolution",
    "output",
    "bucketName",
    "description",
)


@dataclass(frozen=True)
class BatchJob:
    id: str
    api_version: int
    deployment: str  # the Deployment's id
    status: str
    user_action: str = "NONE"
    description: str = ""
    created: Optional[str] = None
    last_updated: Optional[str] = None
    tile_count: Optional[int] = None
    tile_width: Optional[int] = None  # px, without buffer (v1)
    tile_height: Optional[int] = None
    value_estimate: Optional[float] = None  # PU, v1 analysis (and the engine's v2 extension)
    cost_pu: Optional[float] = None  # PU spent (v2 costPU; the engine's v1 extension)
    completion: Optional[float] = None  # percent (v2 completionPercentage; v1: from the tiles)
    error: Optional[str] = None
    stopped_reason: Optional[str] = None
    # The job's request, read into the model; None when the service's body does not read as one (a feature
    # this model lacks, such as Zarr output): the job is still listed and monitored.
    request: Optional[BatchRequestSpec] = field(default=None, compare=False, repr=False)
    # The request's JSON exactly as the service returned it, only to show it to the user.
    request_body: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL[self.api_version]

    @property
    def output_url(self) -> Optional[str]:
        """Where the tiles go: v1 `output.defaultTilePath` or `bucketName`, v2 `output.delivery.s3.url`."""
        return self.request.output.path if self.request is not None else None

    @classmethod
    def from_api(cls, api_version: int, body: dict, deployment: str) -> BatchJob:
        """A job as a v1 `BatchProcessRequest` or a v2 `BatchV2ProcessTask` body describes it."""
        if api_version == V2:
            request_body = body.get("request") or {}
            specific: dict[str, Any] = dict(
                description=request_body.get("description") or body.get("description") or "",
                last_updated=body.get("lastUpdated"),
                tile_count=body.get("featureCount"),
                completion=body.get("completionPercentage"),
                stopped_reason=body.get("stoppedStatusReason"),
            )
        else:
            request_body = {k: body[k] for k in V1_REQUEST_KEYS if k in body}
            specific = dict(
                description=body.get("description") or "",
                last_updated=body.get("userActionUpdated"),
                tile_count=body.get("tileCount"),
                tile_width=body.get("tileWidthPx"),
                tile_height=body.get("tileHeightPx"),
            )
        return cls(
            id=body["id"],
            api_version=api_version,
            deployment=deployment,
            status=body.get("status", RequestStatus.CREATED.value),
            user_action=body.get("userAction") or "NONE",
            created=body.get("created"),
            value_estimate=body.get("valueEstimate"),
            cost_pu=body.get("costPU"),
            error=body.get("error"),
            request=read_request(api_version, request_body),
            request_body=request_body,
            **specific,
        )

    @classmethod
    def from_v1(cls, body: dict, deployment: str) -> BatchJob:
        return cls.from_api(V1, body, deployment)

    @classmethod
    def from_v2(cls, body: dict, deployment: str) -> BatchJob:
        return cls.from_api(V2, body, deployment)


def read_request(api_version: int, body: dict) -> Optional[BatchRequestSpec]:
    """The request a service returns, read leniently (its collections and options need not be this engine's);
    None when it is not a request the model can hold."""
    try:
        return parse_request(api_version, body, strict=False)
    except PayloadError:
        return None


@dataclass(frozen=True)
class Tile:
    """One tile (v1) or feature (v2) of a job."""

    id: int
    name: str
    status: str  # v1: PENDING … PROCESSED, FAILED; v2: PENDING, DONE, FATAL
    epsg: Optional[int] = None
    footprint: Optional[dict] = field(default=None, compare=False, repr=False)  # GeoJSON polygon in `epsg`
    failure_reason: Optional[str] = None
    cost: Optional[float] = None

    @classmethod
    def from_v1(cls, body: dict) -> Tile:
        geometry = body.get("geometry") or None
        epsg = _epsg_of(geometry) or _epsg_of(body.get("origin"))
        if geometry is not None:
            geometry = {k: v for k, v in geometry.items() if k != "crs"}
        return cls(
            id=int(body["id"]),
            name=str(body.get("name") or body["id"]),
            status=body.get("status", TileStatus.PENDING.value),
            epsg=epsg,
            footprint=geometry,
            failure_reason=body.get("failureReason"),
            cost=body.get("cost"),
        )


def _epsg_of(geometry: Any) -> Optional[int]:
    """The EPSG code of a GeoJSON object's `crs` member (`urn:ogc:def:crs:EPSG::32633`), if any."""
    if not isinstance(geometry, dict):
        return None
    name = ((geometry.get("crs") or {}).get("properties") or {}).get("name", "")
    code = name.rsplit(":", 1)[-1]
    return int(code) if code.isdigit() else None
