"""Statistical API (`POST /api/v1/statistics`): per-interval statistics of an evalscript's outputs over an area.

Each interval of `aggregation.timeRange` is one Process API evaluation (`preview.evaluate_request`: search,
samples, preProcessScenes, read, evaluate) on the grid the request describes, with the interval as the
data's time range, so the script's mosaicking applies within the interval. The numbers come from
`band_statistics.py` over the pixels inside the geometry whose `dataMask` output is 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from ..core.batch_models import PayloadError, ProcessRequest, parse_process_request
from ..core.batch_models.statistical import DATA_MASK, parse_aggregation
from ..core.batch_models.values import format_time
from ..core.evalscript.setup import band_problem
from .band_statistics import (
    HistogramSpec,
    StatisticsSpec,
    band_stats,
    histogram,
    parse_histogram,
    parse_statistics,
)
from .config import Settings
from .data import DataError, UnknownCollectionError, collection_bands
from .errors import ApiError, bad_request
from .evalscript import EvalscriptError, ScriptCancelled, ScriptSetup, TileResult
from .preview import (
    MAX_SIDE,
    RUNTIMES,
    RuntimePool,
    evaluate_request,
    geometry_mask,
    output_grid,
)


@dataclass(frozen=True)
class Calculations:
    """`calculations[output][histograms|statistics][band]`, "default" where not named."""

    body: dict

    def _pick(self, output: str, kind: str, band: str) -> tuple[Optional[Any], str]:
        per_output_key = output if output in self.body else "default"
        per_band = (self.body.get(per_output_key) or {}).get(kind) or {}
        band_key = band if band in per_band else "default"
        return per_band.get(band_key), f"calculations.{per_output_key}.{kind}.{band_key}"

    def histogram(self, output: str, band: str) -> Optional[HistogramSpec]:
        body, where = self._pick(output, "histograms", band)
        return None if body is None else parse_histogram(body, where)

    def statistics(self, output: str, band: str) -> Optional[StatisticsSpec]:
        body, where = self._pick(output, "statistics", band)
        return None if body is None else parse_statistics(body, where)

    def check(self) -> None:
        """Every definition parses (a 400 before any pixel is read)."""
        for output, kinds in self.body.items():
            if not isinstance(kinds, dict):
                raise bad_request(
                    f"calculations.{output} must be an object with histograms/statistics.", "calculations"
                )
            for band, body in (kinds.get("histograms") or {}).items():
                parse_histogram(body, f"calculations.{output}.histograms.{band}")
            for band, body in (kinds.get("statistics") or {}).items():
                parse_statistics(body, f"calculations.{output}.statistics.{band}")


def compute_statistics(body: Any, settings: Settings, runtimes: RuntimePool = RUNTIMES) -> dict:
    """A Statistical API request body → `{"data": [...], "status": "OK"}`. Raises ApiError (400) on bad input."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object with input and aggregation.")
    aggregation = body.get("aggregation")
    if not isinstance(aggregation, dict):
        raise bad_request(
            "aggregation is missing: give timeRange, aggregationInterval, evalscript and resx/resy (or width/height).",
            "aggregation",
        )
    calculations = Calculations(body.get("calculations") or {})
    if not isinstance(calculations.body, dict):
        raise bad_request("calculations must be an object keyed by output id or 'default'.", "calculations")
    calculations.check()
    try:
        intervals = parse_aggregation(aggregation).intervals()
    except PayloadError as exc:
        raise bad_request(str(exc), exc.field) from None
    request = _process_request(body, aggregation)
    grid = _grid(request)
    if len(request.data) != 1:
        raise bad_request(
            "Give exactly one entry in input.data (no data fusion in this engine).", "input.data"
        )
    try:
        warm = runtimes.get(request.evalscript, settings.script_limits)
        check_statistical_script(warm.setup, request.data[0].type, settings.catalog)
    except EvalscriptError as exc:
        raise bad_request(str(exc), "aggregation.evalscript") from None
    except UnknownCollectionError as exc:
        raise bad_request(str(exc), "input.data[0].type") from None
    inside = (
        geometry_mask(request.bounds.geometry, grid).astype(bool)
        if request.bounds is not None and request.bounds.geometry is not None
        else np.ones((grid.height, grid.width), dtype=bool)
    )
    full = (slice(None), slice(None))
    data = []
    for start, end in intervals:
        interval = {"from": format_time(start), "to": format_time(end)}
        one = replace(request, data=(replace(request.data[0], time_from=start, time_to=end),))
        try:
            result, samples = evaluate_request(one, warm, grid, settings)
        except (EvalscriptError, ScriptCancelled, DataError, ValueError) as exc:
            # this interval fails, the others go on (sentinelhub-py retries EXECUTION_ERROR intervals)
            data.append({"interval": interval, "error": {"type": "EXECUTION_ERROR", "message": str(exc)}})
            continue
        if any(sample.scenes for sample in samples):  # only intervals with data (scenes) are listed
            data.append(
                {"interval": interval, "outputs": interval_outputs(result, full, inside, calculations)}
            )
    return {"data": data, "status": "OK"}


def _process_request(body: dict, aggregation: dict) -> ProcessRequest:
    """The Process API request the statistics evaluate: the same input, grid and evalscript."""
    size = {
        key: aggregation[key]
        for key in ("width", "height", "resx", "resy")
        if aggregation.get(key) is not None
    }
    process_body = {
        "input": body.get("input"),
        "evalscript": aggregation.get("evalscript"),
        "output": {**size, "responses": [{"identifier": DATA_MASK, "format": {"type": "image/tiff"}}]},
    }
    try:
        request = parse_process_request(process_body, "request", batch=False)
    except PayloadError as exc:
        message = (
            str(exc)
            .replace("request.output.", "aggregation.")
            .replace("request.evalscript", "aggregation.evalscript")
        )
        raise bad_request(message.replace("request.", ""), exc.field.replace("request.", "")) from None
    return request


def _grid(request: ProcessRequest):
    try:
        return output_grid(request)
    except ApiError as exc:
        if exc.errors != {"parameter": "output"}:
            raise
        if "px a side" not in exc.message:
            raise bad_request(exc.message.replace("output", "aggregation"), "aggregation") from None
        raise bad_request(
            f"The area is too large: at aggregation.resx/resy (or width/height) it would exceed {MAX_SIDE} px a side, "
            "the limit of the Statistical API here as of the Process API. Ask for a coarser resolution or split the "
            "area (many polygons are a batch statistical job).",
            "aggregation",
        ) from None


def check_statistical_script(setup: ScriptSetup, data_type: str, catalog: str) -> None:
    """The script reads bands the collection has and returns a one-band dataMask; else a 400 ApiError."""
    problem = band_problem(setup.bands, data_type, collection_bands(catalog, data_type))
    if problem:
        raise bad_request(problem, "aggregation.evalscript")
    masks = [output for output in setup.outputs if output.id == DATA_MASK]
    if not masks or masks[0].bands != 1:
        raise bad_request(
            "The evalscript has no dataMask output with one band: the Statistical API needs one to tell pixels with "
            'data from those without. Add {id: "dataMask", bands: 1} to setup().output and return '
            "dataMask: [sample.dataMask] from evaluatePixel.",
            "aggregation.evalscript",
        )


def interval_outputs(
    result: TileResult, window: tuple[slice, slice], inside: np.ndarray, calculations: Calculations
) -> dict:
    """The `outputs` of one interval over the pixels of `window` (rows, cols) where `inside` is True."""
    has_data = inside & (result.outputs[DATA_MASK].data[0][window] != 0)
    sample_count = int(inside.sum())
    outputs = {}
    for output_id, raster in result.outputs.items():
        if output_id == DATA_MASK:
            continue
        bands = {}
        for index in range(raster.data.shape[0]):
            name = f"B{index}"
            values = raster.data[index][window][has_data].astype(np.float64)
            band: dict[str, Any] = {
                "stats": band_stats(values, sample_count, calculations.statistics(output_id, name))
            }
            spec = calculations.histogram(output_id, name)
            if spec is not None:
                band["histogram"] = histogram(values, spec)
            bands[name] = band
        outputs[output_id] = {"bands": bands}
    return outputs
