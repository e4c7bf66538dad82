"""The batch request model: dataclasses that write themselves back as v1 or v2 JSON (Qt-free).

Field names follow Sentinel Hub (reference §1.5, §1.6); core/batch_models/parse.py reads the JSON into them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from ..s3 import S3Credentials
from ..statuses import V2
from .values import JSON, TIFF, crs_from_url, format_time


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


def s3_bucket_info(url: str, credentials: Optional[S3Credentials]) -> dict:
    """`{"s3": {url, accessKey, secretAccessKey, region}}`, the inverse of `parse_s3_bucket_info`."""
    s3: dict[str, Any] = {"url": url}
    if credentials is not None:
        if credentials.has_keys:
            s3.update(accessKey=credentials.access_key, secretAccessKey=credentials.secret_access_key)
        if credentials.region:
            s3["region"] = credentials.region
    return {"s3": s3}


@dataclass(frozen=True)
class RasterOutput:
    """Where and how tiles are written (v1 `output`/`bucketName`, v2 `output` of type raster)."""

    path: str  # s3://bucket/prefix[/template] or file:///folder[/template]
    overwrite: bool = False
    skip_existing: bool = False
    cog_output: bool = False
    cog_parameters: dict = field(default_factory=dict)
    credentials: Optional[S3Credentials] = None  # v2 only; never echoed back

    def _options(self) -> dict:
        body: dict[str, Any] = {
            "overwrite": self.overwrite,
            "skipExisting": self.skip_existing,
            "cogOutput": self.cog_output,
        }
        if self.cog_parameters:
            body["cogParameters"] = self.cog_parameters
        return body

    def to_v1(self) -> dict:
        return {"defaultTilePath": self.path, **self._options()}

    def to_v2(self) -> dict:
        return {"type": "raster", "delivery": s3_bucket_info(self.path, self.credentials), **self._options()}


@dataclass(frozen=True)
class GeoPackageInput:
    """v2 `input` of type geopackage: features (one output raster each) from a GeoPackage on S3."""

    url: str  # s3://bucket/key.gpkg (or file:// under the engine's output root)
    credentials: Optional[S3Credentials] = None
    default_width: Optional[int] = None
    default_height: Optional[int] = None
    default_resolution: Optional[float] = None

    def to_v2(self) -> dict:
        defaults = {
            key: value
            for key, value in (
                ("width", self.default_width),
                ("height", self.default_height),
                ("resolution", self.default_resolution),
            )
            if value is not None
        }
        body = {"type": "geopackage", "features": s3_bucket_info(self.url, self.credentials)}
        return {**body, "defaults": defaults} if defaults else body


@dataclass(frozen=True)
class BatchRequestSpec:
    """A batch request as the plugin sends it and the engine runs it, whatever the API version: `parse_request`
    reads a v1 or v2 body into it, `to_v1`/`to_v2` write it back (a v2 body with its S3 keys, to send)."""

    process_request: ProcessRequest
    tiling_grid: Optional[TilingGridSpec]  # None for v2 GeoPackage input
    output: RasterOutput
    description: str = ""
    features: Optional[GeoPackageInput] = None

    def to_v1(self) -> dict:
        if self.tiling_grid is None:
            raise ValueError("A request with GeoPackage input exists only in the Batch API v2.")
        return {
            "processRequest": self.process_request.to_api(),
            "tilingGrid": self.tiling_grid.to_api(),
            "output": self.output.to_v1(),
            "description": self.description,
        }

    def to_v2(self) -> dict:
        if self.features is not None:
            source = self.features.to_v2()
        else:
            source = {"type": "tiling-grid", **self.tiling_grid.to_api()}
        return {
            "processRequest": self.process_request.to_api(),
            "input": source,
            "output": self.output.to_v2(),
            "description": self.description,
        }

    def to_api(self, api_version: int) -> dict:
        return self.to_v2() if api_version == V2 else self.to_v1()

    @property
    def raster_output_ids(self) -> list[str]:
        """The GeoTIFF responses (`userdata` and other JSON responses left out), in request order."""
        return [r.identifier for r in self.process_request.responses if "tiff" in r.format.lower()]
