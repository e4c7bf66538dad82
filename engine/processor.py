"""One tile, start to finish, in a worker process: data source → evalscript runtime → writer → delivery.

Pure function of a TileJob: it reads the job store nowhere and returns a
TileOutcome. Outputs are written to a scratch folder first and delivered whole;
a failure leaves already-delivered tiles (and other outputs) untouched.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np

from ..core.batch_models import USERDATA, DataInput
from ..core.costs import (
    BATCH_DISCOUNT,
    BATCH_DISCOUNT_MIN_PIXELS,
    input_band_factor,
    output_factor,
    request_pu,
)
from ..core.crs import transform_points
from ..core.output_paths import TilePathTemplate
from .data import DataError, DataSource, TargetGrid, open_source
from .evalscript import EvalscriptError, EvalscriptRuntime, Limits, TileResult
from .output.delivery import Delivery, DeliveryError, delivery_for
from .output.writer import (
    CogParameters,
    GeoTiffCompression,
    RasterPlacement,
    TiffMetadata,
    write_geotiff,
    write_userdata,
)
from .samples import Mosaicking
from .tile_work import TileJob, TileOutcome

log = logging.getLogger(__name__)
SYNTHETIC = "tilewise:synthetic"
SENTINEL_2A_FIRST_DAY = datetime(2015, 6, 23, tzinfo=timezone.utc)
_RUNTIMES: OrderedDict[tuple[str, Limits], EvalscriptRuntime] = OrderedDict()
_RUNTIME_CACHE_SIZE = 4


class TileError(Exception):
    """A reason this tile failed, already phrased for the user."""


class OutputsExist(TileError):
    """Outputs of the tile are already there and the request neither overwrites nor skips them."""


def runtime_for(source: str, limits: Limits) -> EvalscriptRuntime:
    """One V8 runtime per script per worker process, reused from tile to tile."""
    key = (source, limits)
    runtime = _RUNTIMES.get(key)
    if runtime is None:
        runtime = EvalscriptRuntime(source, limits)
        _RUNTIMES[key] = runtime
        while len(_RUNTIMES) > _RUNTIME_CACHE_SIZE:
            _RUNTIMES.popitem(last=False)[1].close()
    _RUNTIMES.move_to_end(key)
    return runtime


@dataclass(frozen=True)
class PlannedOutput:
    identifier: str
    url: str


def process_tile(job: TileJob) -> TileOutcome:
    started = time.monotonic()
    try:
        return _process(job, started)
    except OutputsExist as exc:
        return TileOutcome(
            job.request_id,
            job.tile_id,
            error=str(exc),
            seconds=time.monotonic() - started,
            outputs_exist=True,
        )
    except DeliveryError as exc:  # the check for existing outputs, or the delivery
        return TileOutcome(
            job.request_id,
            job.tile_id,
            error=str(exc),
            seconds=time.monotonic() - started,
            transient=exc.transient,
        )
    except (TileError, DataError, EvalscriptError) as exc:
        return TileOutcome(job.request_id, job.tile_id, error=str(exc), seconds=time.monotonic() - started)


class Stopwatch:
    """Seconds spent per stage of a tile, for the overhead benchmark and the logs."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now


def _process(job: TileJob, started: float) -> TileOutcome:
    watch = Stopwatch()
    request = job.process_request
    responses = [r.identifier for r in request.responses]
    template = TilePathTemplate.parse(job.output.path, responses)
    delivery = delivery_for(
        template.root_url, Path(job.engine.output_root), job.engine.s3_endpoint_url, job.credentials
    )
    planned = [
        PlannedOutput(
            r.identifier, template.url(job.request_id, job.tile_name, job.tile_id, r.identifier, r.extension)
        )
        for r in request.responses
    ]
    if _skip_or_refuse(job, planned, delivery):
        return TileOutcome(job.request_id, job.tile_id, skipped=True, outputs=[p.url for p in planned])

    watch.lap("prepare")
    runtime = runtime_for(request.evalscript, job.engine.limits)
    setup = runtime.setup
    watch.lap("compile")
    data = request.data[0]
    source = open_source(job.engine.catalog, data.type, s3_endpoint_url=job.engine.s3_endpoint_url)
    width, height = job.raster_size
    grid = TargetGrid(job.epsg, job.buffered_bounds, width, height)
    time_from, time_to = time_range(data)
    scenes = search_scenes(source, data, wgs84_bbox(job.epsg, job.buffered_bounds))
    samples = source.samples(scenes, setup.mosaicking)
    samples = runtime.pre_process_scenes(samples, time_from, time_to)
    watch.lap("search")
    read_bands = {band: setup.units[band] for band in setup.bands if band != "dataMask"}
    stack = source.read(
        samples,
        read_bands,
        grid,
        upsampling=data.upsampling,
        downsampling=data.downsampling,
        harmonize_values=data.harmonize_values,
    )
    watch.lap("read")
    result = runtime.evaluate(stack, time_from=time_from, time_to=time_to)
    del stack  # the band arrays are the biggest thing a tile holds
    watch.lap("evaluate")
    synthetic = any(scene.properties.get(SYNTHETIC) for sample in samples for scene in sample.scenes)

    placement = RasterPlacement(job.epsg, grid.bounds[0], grid.bounds[3], *grid.resolution)
    cog = CogParameters.parse(job.output.cog_parameters) if job.output.cog_output else None
    metadata = TiffMetadata(
        items={
            "TILEWISE_REQUEST_ID": job.request_id,
            "TILEWISE_TILE_NAME": job.tile_name,
            "TILEWISE_TILE_ID": str(job.tile_id),
            "TILEWISE_SAMPLES": str(len(samples)),
            "TIFFTAG_SOFTWARE": "Tilewise engine",
            "TIFFTAG_DATETIME": datetime.now(timezone.utc).strftime("%Y:%m:%d %H:%M:%S"),
        },
        synthetic=synthetic,
    )
    with tempfile.TemporaryDirectory(prefix="tilewise-tile-") as scratch:
        files = _write_outputs(
            Path(scratch), planned, result, placement, metadata, cog, job.engine.compression
        )
        watch.lap("write")
        _deliver(delivery, files)
        watch.lap("deliver")

    sample_count = 1 if setup.mosaicking == Mosaicking.SIMPLE else max(1, len(samples))
    return TileOutcome(
        job.request_id,
        job.tile_id,
        cost_pu=tile_cost(
            width, height, setup.bands, [o.sample_type for o in result.outputs.values()], sample_count
        ),
        outputs=[p.url for p in planned],
        warnings=list(result.warnings),
        seconds=time.monotonic() - started,
        timings=watch.timings,
        evaluation=result.evaluation,
    )


def _skip_or_refuse(job: TileJob, planned: list[PlannedOutput], delivery: Delivery) -> bool:
    """Sentinel Hub's overwrite/skipExisting rules; True when the tile is already complete and may be skipped."""
    overwrite, skip_existing = job.output.overwrite, job.output.skip_existing
    if overwrite and not skip_existing:
        return False
    existing = [p for p in planned if delivery.exists(p.url)]
    if skip_existing and existing and len(existing) == len(planned):
        return True
    if existing and not overwrite and not job.resume:
        raise OutputsExist(
            f"{len(existing)} output(s) of tile {job.tile_name} already exist (e.g. {existing[0].url}): set "
            "output.overwrite to true to replace them, or skipExisting to leave complete tiles alone."
        )
    return False


def _write_outputs(
    scratch: Path,
    planned: list[PlannedOutput],
    result: TileResult,
    placement: RasterPlacement,
    metadata: TiffMetadata,
    cog: Optional[CogParameters],
    compression: GeoTiffCompression,
) -> list[tuple[PlannedOutput, Path]]:
    files = []
    for index, output in enumerate(planned):
        # a fixed name: nothing the request says ever becomes part of a local path
        path = scratch / f"output-{index}.{output.url.rsplit('.', 1)[-1]}"
        if output.identifier == USERDATA:
            write_userdata(path, result.userdata, metadata.synthetic)
        else:
            raster = result.outputs[output.identifier]
            write_geotiff(
                path,
                raster.data,
                raster.sample_type,
                raster.nodata_value,
                placement,
                metadata,
                cog,
                compression,
            )
        files.append((output, path))
    return files


def _deliver(delivery: Delivery, files: list[tuple[PlannedOutput, Path]]) -> None:
    """All outputs of the tile or none: what this attempt delivered is removed again when a later one fails."""
    delivered: list[str] = []
    try:
        for output, path in files:
            delivery.put_file(path, output.url)
            delivered.append(output.url)
    except DeliveryError:
        for url in delivered:
            try:
                delivery.delete(url)
            except DeliveryError:
                log.warning("Could not remove %s after a failed delivery", url)
        raise


def time_range(data: DataInput) -> tuple[datetime, datetime]:
    """The request's time range; open ends reach Sentinel-2A's first day and now."""
    return data.time_from or SENTINEL_2A_FIRST_DAY, data.time_to or datetime.now(timezone.utc)


def search_scenes(source: DataSource, data: DataInput, bbox_wgs84: tuple[float, float, float, float]) -> list:
    """The scenes of `data` (time range, cloud cover, order) whose footprints meet the area."""
    time_from, time_to = time_range(data)
    return source.search(
        bbox_wgs84,
        time_from,
        time_to,
        max_cloud_coverage=100.0 if data.max_cloud_coverage is None else data.max_cloud_coverage,
        mosaicking_order=data.mosaicking_order,
    )


def tile_cost(width: int, height: int, bands, sample_types, samples: int) -> float:
    """PU charged for one tile (reference §3), with the batch discount for tiles of 10,000 px or more."""
    pu = request_pu(width, height, input_band_factor(bands), output_factor(sample_types), samples)
    return round(pu * BATCH_DISCOUNT if width * height >= BATCH_DISCOUNT_MIN_PIXELS else pu, 6)


def wgs84_bbox(epsg: int, bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The tile's bounds in WGS84, from points along its edges (a UTM square is curved in lon/lat)."""
    x0, y0, x1, y1 = bounds
    steps = np.linspace(0.0, 1.0, 9)
    xs = np.concatenate([x0 + (x1 - x0) * steps, np.full(9, x1), x1 - (x1 - x0) * steps, np.full(9, x0)])
    ys = np.concatenate([np.full(9, y0), y0 + (y1 - y0) * steps, np.full(9, y1), y1 - (y1 - y0) * steps])
    lonlat = transform_points(np.column_stack([xs, ys]), epsg, 4326)
    return (
        float(lonlat[:, 0].min()),
        float(lonlat[:, 1].min()),
        float(lonlat[:, 0].max()),
        float(lonlat[:, 1].max()),
    )
