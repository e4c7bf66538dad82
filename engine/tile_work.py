"""Self-contained tile work and its result: what crosses from the scheduler to a worker and back.

Both are plain picklable dataclasses, so a worker needs no access to the job
store or to the API process: local processes today, Dask workers tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..core.batch_models import ProcessRequest, RasterOutput
from ..core.s3 import S3Credentials
from .evalscript.runtime import Limits
from .output.writer import DEFAULT_COMPRESSION, GeoTiffCompression


@dataclass(frozen=True)
class EngineContext:
    """The engine settings a worker needs."""

    catalog: str
    output_root: str
    limits: Limits  # the engine's V8 limits (Settings.script_limits)
    s3_endpoint_url: Optional[str] = None
    compression: GeoTiffCompression = DEFAULT_COMPRESSION  # of output GeoTIFFs (Settings.gtiff_compression)


@dataclass(frozen=True)
class TileJob:
    request_id: str
    tile_id: int
    tile_name: str
    epsg: int
    bounds: tuple[float, float, float, float]  # native CRS, without buffer
    resolution: float
    buffer_x: int
    buffer_y: int
    process_request: ProcessRequest  # the request's, as parsed once by the scheduler's side
    output: RasterOutput  # where and how to write (its keys, if any, are in `credentials`)
    engine: EngineContext
    credentials: Optional[S3Credentials] = field(default=None, repr=False)  # v2 delivery keys
    resume: bool = False  # an earlier attempt may have delivered some outputs: they are ours to replace
    size: Optional[tuple[int, int]] = None  # (width, height) when the tile sets its own (GeoPackage features)

    @property
    def key(self) -> tuple[str, int]:
        return (self.request_id, self.tile_id)

    @property
    def buffered_bounds(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.bounds
        dx, dy = self.buffer_x * self.resolution, self.buffer_y * self.resolution
        return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)

    @property
    def raster_size(self) -> tuple[int, int]:
        if self.size is not None:
            return self.size
        x0, y0, x1, y1 = self.bounds
        return (
            round((x1 - x0) / self.resolution) + 2 * self.buffer_x,
            round((y1 - y0) / self.resolution) + 2 * self.buffer_y,
        )


@dataclass
class TileOutcome:
    request_id: str
    tile_id: int
    error: Optional[str] = None  # None when the tile was delivered (or skipped as already there)
    cost_pu: float = 0.0
    outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False
    timings: dict = field(default_factory=dict)  # seconds per stage: search, read, evaluate, write, deliver
    outputs_exist: bool = False  # refused before any work: outputs of the tile were there (and not ours)
    transient: bool = False  # failed because the storage was unreachable: worth trying again later
    evaluation: str = ""  # how the evalscript ran (engine.evalscript.Evaluation), when it ran

    @property
    def ok(self) -> bool:
        return self.error is None
