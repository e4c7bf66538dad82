"""Statistical API (`POST /api/v1/statistics`): per-interval statistics of an evalscript's outputs over an area.

Each interval of `aggregation.timeRange` is one Process API evaluation (`preview.evaluate_request`: search,
samples, preProcessScenes, read, evaluate) on the grid the request describes, with the interval as the
data's time range, so the script's mosaicking applies within the interval. Outputs without a sampleType
are FLOAT32 here (`STATISTICAL_SAMPLE_TYPE`), as on Sentinel Hub. The numbers come from
`band_statistics.py` over the pixels inside the geometry whose `dataMask` is not 0: one mask for all
outputs, or, when the dataMask output names its bands after outputs, each output's own mask (§1.8).

The Batch Statistical worker computes the same per feature through the public functions below:
`check_statistical_script` once per request, `interval_outputs` per feature and interval, and
`response_status` for the feature's `status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

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
from .evalscript import EvalscriptError, OutputSpec, ScriptCancelled, ScriptSetup, TileResult
from .preview import (
    MAX_SIDE,
    RUNTIMES,
    RuntimePool,
    evaluate_request,
    geometry_mask,
    output_grid,
)

STATISTICAL_SAMPLE_TYPE = "FLOAT32"  # of outputs without sampleType (the Process and Batch APIs keep AUTO)
OK, PARTIAL, FAILED = "OK", "PARTIAL", "FAILED"  # a response's status


@dataclass(frozen=True)
class Calculations:
    """`calculations[output][histograms|statistics][band]`, "default" where not named."""

    body: dict
    # parsed definitions by (output, kind, band): a batch asks the same ones for every feature and interval
    _parsed: dict = field(default_factory=dict, compare=False, repr=False)

    def _pick(self, output: str, kind: str, band: str) -> tuple[Optional[Any], str]:
        per_output_key = output if output in self.body else "default"
        per_band = (self.body.get(per_output_key) or {}).get(kind) or {}
        band_key = band if band in per_band else "default"
        return per_band.get(band_key), f"calculations.{per_output_key}.{kind}.{band_key}"

    def where(self, output: str, kind: str, band: str) -> str:
        """The path of the definition that applies to a band, e.g. calculations.default.histograms.B0."""
        return self._pick(output, kind, band)[1]

    def _parse(self, output: str, kind: str, band: str, parse: Callable[[Any, str], Any]) -> Any:
        key = (output, kind, band)
        if key not in self._parsed:
            body, where = self._pick(output, kind, band)
            self._parsed[key] = None if body is None else parse(body, where)
        return self._parsed[key]

    def histogram(self, output: str, band: str) -> Optional[HistogramSpec]:
        return self._parse(output, "histograms", band, parse_histogram)

    def statistics(self, output: str, band: str) -> Optional[StatisticsSpec]:
        return self._parse(output, "statistics", band, parse_statistics)

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
        warm = runtimes.get(
            request.evalscript, settings.script_limits, default_sample_type=STATISTICAL_SAMPLE_TYPE
        )
    except EvalscriptError as exc:
        raise bad_request(str(exc), "aggregation.evalscript") from None
    check_statistical_script(warm.setup, request.data[0].type, settings.catalog, calculations)
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
    return {"data": data, "status": response_status(data)}


def response_status(data: list[dict]) -> str:
    """OK when no interval failed, FAILED when every one did, else PARTIAL (as sentinelhub-py's fixture
    `normal_stat_partial_result.json`). The failed intervals stay in `data` either way: sentinelhub-py
    retries them one by one and reads the retry's `data[0]`. A time range without data is OK with no data."""
    failed = sum("error" in entry for entry in data)
    if not failed:
        return OK
    return FAILED if failed == len(data) else PARTIAL


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


def check_statistical_script(
    setup: ScriptSetup, data_type: str, catalog: str, calculations: Optional[Calculations] = None
) -> None:
    """400 (ApiError) unless the script can give statistics of `data_type`: bands the collection has, a
    dataMask output (one band, or one band per output named after it) and, with `calculations`, integer
    histogram math only on outputs of an integer sampleType."""
    try:
        available = collection_bands(catalog, data_type)
    except UnknownCollectionError as exc:
        raise bad_request(str(exc), "input.data[0].type") from None
    problem = band_problem(setup.bands, data_type, available)
    if problem:
        raise bad_request(problem, "aggregation.evalscript")
    _check_mask(setup)
    if calculations is not None:
        _check_histogram_math(setup, calculations)


def _check_mask(setup: ScriptSetup) -> None:
    masks = [output for output in setup.outputs if output.id == DATA_MASK]
    if not masks or (masks[0].bands != 1 and masks[0].band_names is None):
        raise bad_request(
            "The evalscript has no dataMask output with one band: the Statistical API needs one to tell pixels with "
            'data from those without. Add {id: "dataMask", bands: 1} to setup().output and return '
            "dataMask: [sample.dataMask] from evaluatePixel (or name its bands after the outputs they mask, "
            'bands: ["ndvi", "bands"]).',
            "aggregation.evalscript",
        )
    others = [output.id for output in setup.outputs if output.id != DATA_MASK]
    strangers = [name for name in masks[0].band_names or () if name not in others]
    if strangers:
        raise bad_request(
            f"The dataMask output names its bands {list(masks[0].band_names or ())}, but {strangers} name no other "
            f"output: name each band after the output it masks (one of {others}), or give bands: 1 for one mask "
            "for all outputs.",
            "aggregation.evalscript",
        )


def _check_histogram_math(setup: ScriptSetup, calculations: Calculations) -> None:
    for output in setup.outputs:
        if output.id == DATA_MASK or output.sample_type != "FLOAT32":
            continue
        for band in _band_names(output):
            spec = calculations.histogram(output.id, band)
            if spec is not None and spec.integer:
                where = calculations.where(output.id, "histograms", band)
                raise bad_request(
                    f"{where} uses integer math (its edges, binWidth or bins are whole numbers such as 0 and 10), "
                    f"but output {output.id!r} is FLOAT32: the output's sampleType must be an integer type "
                    "(UINT8, UINT16, INT16…) for integer edges, or write the edges as floats (0.0, 10.0).",
                    where,
                )


def _band_names(output: OutputSpec) -> tuple[str, ...]:
    return output.band_names or tuple(f"B{index}" for index in range(output.bands))


def interval_outputs(
    result: TileResult, window: tuple[slice, slice], inside: np.ndarray, calculations: Calculations
) -> dict:
    """The `outputs` of one interval: statistics of each output band over the pixels of `result` within
    `window` (rows, cols) where `inside` (the window's shape) is True and the output's dataMask is not 0."""
    masks = result.outputs[DATA_MASK]
    mask_bands = masks.data[(slice(None), *window)] != 0
    mask_index = {name: index for index, name in enumerate(masks.band_names or ())}
    sample_count = int(np.count_nonzero(inside))
    outputs = {}
    for output_id, raster in result.outputs.items():
        if output_id == DATA_MASK:
            continue
        # the output's own mask when the dataMask output names one after it, else its first band
        has_data = inside & mask_bands[mask_index.get(output_id, 0)]
        pixels = raster.data[(slice(None), *window)]
        bands = {}
        for index in range(pixels.shape[0]):
            name = raster.band_name(index)
            values = pixels[index][has_data].astype(np.float64)
            band: dict[str, Any] = {
                "stats": band_stats(values, sample_count, calculations.statistics(output_id, name))
            }
            spec = calculations.histogram(output_id, name)
            if spec is not None:
                band["histogram"] = histogram(values, spec)
            bands[name] = band
        outputs[output_id] = {"bands": bands}
    return outputs
