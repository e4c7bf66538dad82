"""One group of a batch statistical request, in a worker process: each interval is evaluated once on the
group's grid, then every feature's statistics come from its own pixels, and each feature's JSON is written to
`<output>/<requestId>/<fid>.json` (reference §1.4).

Like a batch tile (engine/processor.py) this is a pure function of a picklable job: the scheduler sends it to
the process pool or to Dask and records the outcome. A feature's JSON is one object written whole, so running a
group again (after a crash, a kill or a stop) replaces its files and never duplicates one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np
from osgeo import ogr

from ..core.batch_models import DataInput, ProcessRequest, ResponseSpec
from ..core.batch_models.statistical import DATA_MASK, Aggregation, snapped_bounds
from ..core.batch_models.values import TIFF, format_time
from ..core.costs import input_band_factor, output_factor, request_pu
from ..core.s3 import S3Credentials
from .data import DataError, TargetGrid, open_source
from .evalscript import EvalscriptError, ScriptCancelled
from .output.delivery import Delivery, DeliveryError, delivery_for
from .preview import RUNTIMES, evaluate_on, polygon_mask
from .processor import Stopwatch, search_scenes, wgs84_bbox
from .samples import Mosaicking
from .statistical_features import MAX_FEATURE_PX, pixel_size
from .statistics import STATISTICAL_SAMPLE_TYPE, Calculations, interval_outputs, response_status
from .store import StatisticalFeature
from .tile_work import EngineContext, TileOutcome

ogr.UseExceptions()


@dataclass(frozen=True)
class FeatureGroupJob:
    """The work of one group (a "tile" of the request in the store): its features, the request's data,
    aggregation and calculations, and where the results go."""

    request_id: str
    tile_id: int  # the group's number
    epsg: int
    bounds: tuple[float, float, float, float]  # the group's grid, snapped to resx/resy
    features: tuple[StatisticalFeature, ...]
    data: DataInput
    aggregation: Aggregation
    calculations: dict
    results_url: str  # <output.s3.url>/<requestId>
    engine: EngineContext
    credentials: Optional[S3Credentials] = field(default=None, repr=False)
    resume: bool = False  # unused: every run writes all its features' files whole

    @property
    def key(self) -> tuple[str, int]:
        return (self.request_id, self.tile_id)

    @property
    def grid(self) -> TargetGrid:
        width, height = pixel_size(self.bounds, self.aggregation.resx, self.aggregation.resy)
        return TargetGrid(self.epsg, self.bounds, width, height)


@dataclass
class FeatureResult:
    feature: StatisticalFeature
    window: Optional[tuple[slice, slice]] = None
    inside: Optional[np.ndarray] = None
    data: list[dict] = field(default_factory=list)
    error: Optional[str] = None

    def document(self) -> dict:
        """The feature's JSON as Sentinel Hub writes it (reference §1.4)."""
        body: dict[str, Any] = {"id": self.feature.fid, "identifier": self.feature.identifier}
        if self.error is not None:
            body["error"] = {"type": "EXECUTION_ERROR", "message": self.error}
        else:
            # OK, PARTIAL (some intervals failed) or FAILED (all did), as the Statistical API answers
            body["response"] = {"data": self.data, "status": response_status(self.data)}
        return body


def process_feature_group(job: FeatureGroupJob) -> TileOutcome:
    started = time.monotonic()
    try:
        return _process(job, started)
    except DeliveryError as exc:
        return TileOutcome(
            job.request_id,
            job.tile_id,
            error=str(exc),
            seconds=time.monotonic() - started,
            transient=exc.transient,
        )
    except (DataError, EvalscriptError) as exc:  # the script or the data of the whole group
        return TileOutcome(job.request_id, job.tile_id, error=str(exc), seconds=time.monotonic() - started)


def _process(job: FeatureGroupJob, started: float) -> TileOutcome:
    watch = Stopwatch()
    grid = job.grid
    results = [_place(feature, grid, job.aggregation) for feature in job.features]
    measured = [result for result in results if result.error is None]
    cost = 0.0
    if measured:
        cost = _evaluate_intervals(job, grid, measured, watch)
    delivery = delivery_for(
        job.results_url, Path(job.engine.output_root), job.engine.s3_endpoint_url, job.credentials
    )
    outputs = _deliver(delivery, job.results_url, results)
    watch.lap("deliver")
    return TileOutcome(
        job.request_id,
        job.tile_id,
        cost_pu=cost,
        outputs=outputs,
        seconds=time.monotonic() - started,
        timings=watch.timings,
    )


def _place(feature: StatisticalFeature, grid: TargetGrid, aggregation: Aggregation) -> FeatureResult:
    """The feature's window on the group's grid and the pixels whose centres it covers."""
    resx, resy = aggregation.resx, aggregation.resy
    bounds = snapped_bounds(feature.bounds, resx, resy)
    width, height = pixel_size(bounds, resx, resy)
    if max(width, height) > MAX_FEATURE_PX:
        return FeatureResult(
            feature,
            error=(
                f"The feature is {width} × {height} px at resx {resx:g}, resy {resy:g}, over the limit of "
                f"{MAX_FEATURE_PX} px a side: split it, or ask for a coarser resolution."
            ),
        )
    column = round((bounds[0] - grid.bounds[0]) / resx)
    row = round((grid.bounds[3] - bounds[3]) / resy)
    window = (slice(row, row + height), slice(column, column + width))
    try:
        shape = ogr.CreateGeometryFromWkb(feature.wkb)
        inside = polygon_mask(shape, TargetGrid(grid.epsg, bounds, width, height)).astype(bool)
    except RuntimeError as exc:
        return FeatureResult(feature, error=f"The feature's geometry cannot be read: {exc}")
    return FeatureResult(feature, window, inside)


def _evaluate_intervals(
    job: FeatureGroupJob, grid: TargetGrid, results: list[FeatureResult], watch: Stopwatch
) -> float:
    """Each interval evaluated once on the group's grid; each feature's statistics appended. Returns the PU."""
    warm = RUNTIMES.get(
        job.aggregation.evalscript, job.engine.limits, default_sample_type=STATISTICAL_SAMPLE_TYPE
    )
    setup = warm.setup
    source = open_source(job.engine.catalog, job.data.type, s3_endpoint_url=job.engine.s3_endpoint_url)
    calculations = Calculations(job.calculations)
    request = ProcessRequest(
        evalscript=job.aggregation.evalscript,
        data=(job.data,),
        responses=(ResponseSpec(DATA_MASK, TIFF),),
    )
    band_factor = input_band_factor(setup.bands)
    out_factor = output_factor(o.sample_type for o in setup.outputs)
    cost = 0.0
    intervals = job.aggregation.intervals()
    # one search for the whole time range: intervals without a scene are neither read nor evaluated
    whole = replace(job.data, time_from=intervals[0][0], time_to=intervals[-1][1])
    acquired = [scene.datetime for scene in search_scenes(source, whole, wgs84_bbox(grid.epsg, grid.bounds))]
    for start, end in intervals:
        if not any(start <= moment <= end for moment in acquired):  # the search's own inclusive rule
            continue
        interval = {"from": format_time(start), "to": format_time(end)}
        one = replace(request, data=(replace(job.data, time_from=start, time_to=end),))
        try:
            result, samples = evaluate_on(source, one, warm, grid)
        except ScriptCancelled:
            raise
        except (EvalscriptError, DataError, ValueError) as exc:
            # this interval fails for the group's features, the others go on (as the Statistical API)
            for feature in results:
                feature.data.append(
                    {"interval": interval, "error": {"type": "EXECUTION_ERROR", "message": str(exc)}}
                )
            continue
        watch.lap("evaluate")
        scenes = sum(len(sample.scenes) for sample in samples)
        if not scenes:
            continue  # only intervals with data are listed
        count = 1 if setup.mosaicking == Mosaicking.SIMPLE else len(samples)
        cost += request_pu(grid.width, grid.height, band_factor, out_factor, count)
        for feature in results:
            try:
                outputs = interval_outputs(result, feature.window, feature.inside, calculations)
            except (ValueError, IndexError) as exc:  # one feature's failure is in its own file
                feature.error = f"Its statistics could not be computed: {exc}"
                continue
            feature.data.append({"interval": interval, "outputs": outputs})
        watch.lap("statistics")
    return cost


def _deliver(delivery: Delivery, results_url: str, results: list[FeatureResult]) -> list[str]:
    urls = []
    for result in results:
        url = f"{results_url}/{result.feature.fid}.json"
        delivery.put_bytes(json.dumps(result.document(), allow_nan=False).encode(), url)
        urls.append(url)
    return urls
