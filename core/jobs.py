"""What the plugin knows of a batch job and its tiles, whatever the deployment and API version (Qt-free).

`BatchJob.from_v1` / `from_v2` read the service's JSON (reference §1.5, §1.6); `Tile.from_v1` reads a
v1 tile; v2 tiles come from the job's bucket artefacts (core/v2_progress.py). The UI sees only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

V1, V2 = 1, 2
TERMINAL = {
    V1: frozenset({"DONE", "PARTIAL", "FAILED", "CANCELED"}),
    V2: frozenset({"DONE", "FAILED", "STOPPED"}),
}


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
    request: dict = field(
        default_factory=dict, compare=False, repr=False
    )  # the job's request, as the service has it

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL[self.api_version]

    @property
    def output_url(self) -> Optional[str]:
        """Where the tiles go: v1 `output.defaultTilePath` or `bucketName`, v2 `output.delivery.s3.url`."""
        if self.api_version == V2:
            return ((self.request.get("output") or {}).get("delivery") or {}).get("s3", {}).get("url")
        output = self.request.get("output") or {}
        if output.get("defaultTilePath"):
            return output["defaultTilePath"]
        bucket = self.request.get("bucketName")
        return f"s3://{bucket}" if bucket else None

    @classmethod
    def from_v1(cls, body: dict, deployment: str) -> BatchJob:
        request = {k: body[k] for k in ("processRequest", "tilingGrid", "output", "bucketName") if k in body}
        return cls(
            id=body["id"],
            api_version=V1,
            deployment=deployment,
            status=body.get("status", "CREATED"),
            user_action=body.get("userAction") or "NONE",
            description=body.get("description") or "",
            created=body.get("created"),
            last_updated=body.get("userActionUpdated"),
            tile_count=body.get("tileCount"),
            tile_width=body.get("tileWidthPx"),
            tile_height=body.get("tileHeightPx"),
            value_estimate=body.get("valueEstimate"),
            cost_pu=body.get("costPU"),
            error=body.get("error"),
            request=request,
        )

    @classmethod
    def from_v2(cls, body: dict, deployment: str) -> BatchJob:
        request = body.get("request") or {}
        return cls(
            id=body["id"],
            api_version=V2,
            deployment=deployment,
            status=body.get("status", "CREATED"),
            user_action=body.get("userAction") or "NONE",
            description=request.get("description") or body.get("description") or "",
            created=body.get("created"),
            last_updated=body.get("lastUpdated"),
            tile_count=body.get("featureCount"),
            value_estimate=body.get("valueEstimate"),
            cost_pu=body.get("costPU"),
            completion=body.get("completionPercentage"),
            error=body.get("error"),
            stopped_reason=body.get("stoppedStatusReason"),
            request=request,
        )


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
            status=body.get("status", "PENDING"),
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
