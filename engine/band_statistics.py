"""The numbers of the Statistical API for one band's pixels (reference §1.8): stats, percentiles, histogram.

Pure numpy on the values with data; `engine/statistics.py` decides which pixels those are. stDev is the
population standard deviation (ddof=0): Sentinel Hub's worked example cannot tell the two apart (3240
samples), and its docs call it the standard deviation of the samples, not an estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from .errors import bad_request

Number = Union[int, float]
INTERPOLATIONS = ("higher", "lower", "linear", "nearest", "midpoint")
NAN = "NaN"  # how Sentinel Hub writes the statistics of a band without data


@dataclass(frozen=True)
class HistogramSpec:
    """Exactly one of n_bins, bin_width or bins; the edges default to the band's min and max."""

    n_bins: Optional[int] = None
    bin_width: Optional[Number] = None
    bins: Optional[tuple[Number, ...]] = None
    low_edge: Optional[Number] = None
    high_edge: Optional[Number] = None
    # whole-number edges (lowEdge and highEdge, binWidth or bins as JSON integers) select integer math: the
    # edges stay integers, and the output's sampleType must be an integer type (reference §1.8)
    integer: bool = False


@dataclass(frozen=True)
class StatisticsSpec:
    percentiles: tuple[Number, ...] = ()
    interpolation: str = "higher"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_histogram(body: Any, where: str) -> HistogramSpec:
    if not isinstance(body, dict):
        raise bad_request(f'{where} must be an object such as {{"nBins": 10}}.', where)
    given = [key for key in ("nBins", "binWidth", "bins") if body.get(key) is not None]
    if len(given) != 1:
        raise bad_request(
            f"{where} gives {', '.join(given) or 'none of nBins, binWidth, bins'}: give exactly one of nBins (a "
            "number of bins), binWidth (the width of each bin) or bins (the list of edges).",
            where,
        )
    for key in ("lowEdge", "highEdge", "binWidth"):
        if body.get(key) is not None and not _is_number(body[key]):
            raise bad_request(f"{where}.{key} must be a number (got {body[key]!r}).", f"{where}.{key}")
    low, high = body.get("lowEdge"), body.get("highEdge")
    if given == ["nBins"]:
        n_bins = body["nBins"]
        if not isinstance(n_bins, int) or isinstance(n_bins, bool) or n_bins < 1:
            raise bad_request(f"{where}.nBins must be a whole number of at least 1 (got {n_bins!r}).", where)
        integer = _whole(low) and _whole(high)
        return HistogramSpec(n_bins=n_bins, low_edge=low, high_edge=high, integer=integer)
    if given == ["binWidth"]:
        width = body["binWidth"]
        if width <= 0:
            raise bad_request(f"{where}.binWidth must be positive (got {width!r}).", where)
        integer = _whole(width) and all(_whole(edge) for edge in (low, high) if edge is not None)
        return HistogramSpec(bin_width=width, low_edge=low, high_edge=high, integer=integer)
    bins = body["bins"]
    if not isinstance(bins, list) or len(bins) < 2 or not all(map(_is_number, bins)) or bins != sorted(bins):
        raise bad_request(
            f"{where}.bins must list at least two increasing edges, e.g. [0, 0.2, 0.5, 1].", f"{where}.bins"
        )
    return HistogramSpec(bins=tuple(bins), integer=all(map(_whole, bins)))


def _whole(value: Any) -> bool:
    """A JSON integer (2, not 2.0): how a request asks for integer histogram math."""
    return isinstance(value, int) and not isinstance(value, bool)


def parse_statistics(body: Any, where: str) -> StatisticsSpec:
    if not isinstance(body, dict):
        raise bad_request(f'{where} must be an object such as {{"percentiles": {{"k": [50]}}}}.', where)
    percentiles = body.get("percentiles")
    if percentiles is None:
        return StatisticsSpec()
    if not isinstance(percentiles, dict) or not isinstance(percentiles.get("k"), list):
        raise bad_request(
            f'{where}.percentiles must be an object {{"k": [33, 50, 90]}}.', f"{where}.percentiles"
        )
    ks = percentiles["k"]
    if not all(_is_number(k) and 0 <= k <= 100 for k in ks):
        raise bad_request(
            f"{where}.percentiles.k must list numbers from 0 to 100, e.g. [5, 50, 95] (got {ks!r}).",
            f"{where}.percentiles.k",
        )
    interpolation = percentiles.get("interpolation", "higher")  # numpy's percentile methods, by name
    if interpolation in INTERPOLATIONS:
        return StatisticsSpec(tuple(ks), interpolation)
    raise bad_request(
        f"{where}.percentiles.interpolation must be one of {', '.join(INTERPOLATIONS)} (got {interpolation!r}).",
        f"{where}.percentiles.interpolation",
    )


def band_stats(values: np.ndarray, sample_count: int, spec: Optional[StatisticsSpec]) -> dict:
    """`stats` of one band: `values` are the pixels with data, as float64."""
    stats: dict[str, Any]
    if values.size:
        stats = {
            "min": _json_number(values.min()),
            "max": _json_number(values.max()),
            "mean": _json_number(values.mean()),
            "stDev": _json_number(values.std()),
        }
    else:
        stats = {"min": NAN, "max": NAN, "mean": NAN, "stDev": NAN}
    stats["sampleCount"] = sample_count
    stats["noDataCount"] = sample_count - int(values.size)
    if spec is not None and spec.percentiles:
        stats["percentiles"] = {
            str(float(k)): _json_number(np.percentile(values, k, method=spec.interpolation))
            if values.size
            else NAN
            for k in spec.percentiles
        }
    return stats


def _json_number(value: Any) -> Any:
    """A float, or "NaN"/"Infinity"/"-Infinity" as Sentinel Hub writes them (a FLOAT32 output may hold NaN
    where its dataMask is 1, e.g. NDVI of a pixel with B04 + B08 = 0; JSON has no token for them)."""
    number = float(value)
    if math.isnan(number):
        return NAN
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def histogram(values: np.ndarray, spec: HistogramSpec) -> dict:
    """Bins [e_i, e_i+1), the last one closed; what falls outside the edges is under- or overflow."""
    edges = _edges(values, spec)
    if len(edges) < 2:  # no data to take the default edges from
        return {"bins": [], "overflowCount": 0, "underflowCount": 0}
    low, high = float(edges[0]), float(edges[-1])
    inside = values[(values >= low) & (values <= high)]
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), inside, side="right") - 1
    counts = np.bincount(np.minimum(index, len(edges) - 2), minlength=len(edges) - 1)
    return {
        "bins": [
            {"lowEdge": edges[i], "highEdge": edges[i + 1], "count": int(counts[i])}
            for i in range(len(edges) - 1)
        ],
        "overflowCount": int((values > high).sum()),
        "underflowCount": int((values < low).sum()),
    }


def _edges(values: np.ndarray, spec: HistogramSpec) -> list[Number]:
    if spec.bins is not None:
        return list(spec.bins)
    finite = values[np.isfinite(values)]
    if not finite.size and (spec.low_edge is None or spec.high_edge is None):
        return []
    if spec.integer:
        return _integer_edges(finite, spec)
    low = spec.low_edge if spec.low_edge is not None else float(finite.min())
    high = spec.high_edge if spec.high_edge is not None else float(finite.max())
    if spec.n_bins is not None:
        width = (high - low) / spec.n_bins
        # lowEdge + i*binWidth in double, as Sentinel Hub accumulates them; the last edge is highEdge itself
        return [low + i * width for i in range(spec.n_bins)] + [high]
    width = spec.bin_width
    count = max(1, math.ceil((high - low) / width))  # the bins run up to the max (reference §1.8)
    return [low + i * width for i in range(count + 1)]


def _integer_edges(values: np.ndarray, spec: HistogramSpec) -> list[Number]:
    """Integer math: edges are integers from lowEdge (or the floor of the minimum). nBins bins are
    ceil((high - low) / nBins) wide, so when the range does not divide the last edge passes highEdge."""
    low = int(spec.low_edge) if spec.low_edge is not None else math.floor(values.min())
    high = int(spec.high_edge) if spec.high_edge is not None else math.ceil(values.max())
    if spec.n_bins is not None:
        width = max(1, -(-(high - low) // spec.n_bins))
        return [low + i * width for i in range(spec.n_bins + 1)]
    width = int(spec.bin_width or 1)
    count = max(1, -(-(high - low) // width))
    return [low + i * width for i in range(count + 1)]
