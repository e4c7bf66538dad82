"""Statistical and Batch Statistical API requests: the aggregation, its intervals and the batch request body
(Qt-free, shared by the plugin and the engine).

Reference: ../shared/reference/batch-statistical-zarr-byoc.md §1.2 (BatchStatisticalRequest), §1.8
(aggregation, calculations) and §1.9 (where the published schema and the real service disagree).
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from ..s3 import S3Credentials
from .model import DataInput, s3_bucket_info
from .parse import _parse_data, parse_s3_bucket_info, strip_secrets
from .values import (
    PayloadError,
    _is_number,
    _object,
    _require,
    format_time,
    parse_time,
)

MAX_INTERVALS = 1000  # per request: a year of days fits; more is several requests
MAX_STATISTICAL_FEATURES = 700_000  # of a batch statistical GeoPackage (reference §1.3)
LAST_INTERVAL_BEHAVIORS = ("SKIP", "SHORTEN", "EXTEND")  # SKIP is Sentinel Hub's default
DATA_MASK = "dataMask"  # the output every statistical evalscript returns
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_OF = "aggregation.aggregationInterval.of"

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Aggregation:
    """`aggregation`: time range, interval, evalscript and resolution (resx/resy) or size (width/height)."""

    time_from: datetime
    time_to: datetime
    interval: str  # ISO-8601 duration of at least a day: P1D, P5D, P2W, P1M
    evalscript: str
    last_interval_behavior: str = "SKIP"
    resx: Optional[float] = None
    resy: Optional[float] = None
    width: Optional[int] = None
    height: Optional[int] = None

    def intervals(self, limit: int = MAX_INTERVALS) -> list[Interval]:
        """The intervals from `time_from`, each `interval` long; the last one, when the time range ends inside
        it, is dropped (SKIP), cut at `time_to` (SHORTEN) or kept whole (EXTEND)."""
        boundary = interval_step(self.interval)
        intervals: list[Interval] = []
        start = self.time_from
        while start < self.time_to:
            following = boundary(self.time_from, len(intervals) + 1)
            if following > self.time_to:
                if self.last_interval_behavior == "SHORTEN":
                    intervals.append((start, self.time_to))
                elif self.last_interval_behavior == "EXTEND":
                    intervals.append((start, following))
                break
            intervals.append((start, following))
            start = following
            if len(intervals) > limit:
                raise PayloadError(
                    f"The time range holds more than {limit} intervals of {self.interval}: shorten it or use a "
                    "longer aggregationInterval.",
                    _OF,
                )
        if not intervals:
            raise PayloadError(
                f"aggregation.timeRange ({format_time(self.time_from)} to {format_time(self.time_to)}) is shorter "
                f"than one interval of {self.interval}, so with lastIntervalBehavior SKIP nothing would be "
                "computed: use a longer time range, a shorter interval, or lastIntervalBehavior SHORTEN.",
                "aggregation.aggregationInterval",
            )
        return intervals

    def to_api(self) -> dict:
        body: dict[str, Any] = {
            "timeRange": {"from": format_time(self.time_from), "to": format_time(self.time_to)},
            "aggregationInterval": {"of": self.interval, "lastIntervalBehavior": self.last_interval_behavior},
            "evalscript": self.evalscript,
        }
        for key in ("resx", "resy", "width", "height"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        return body


def interval_step(of: Any) -> Callable[[datetime, int], datetime]:
    """The start of the k-th interval after `origin`: days and weeks add up; months count from the origin's day
    of the month, clamped to shorter months (31 January, 29 February, 31 March: no drift to the 29th)."""
    match = _DURATION.match(of) if isinstance(of, str) else None
    if match is None or not any(match.groups()):
        raise PayloadError(
            f"{_OF} must be an ISO-8601 duration such as P1D, P5D, P1W or P1M (got {of!r}).", _OF
        )
    years, months, weeks, days, hours, minutes, seconds = match.groups()
    if (hours or minutes or seconds) and not (years or months or weeks or days):
        raise PayloadError(
            f"{_OF} is {of}, shorter than one day: intervals are at least one day. Use P1D, P<n>D, P<n>W or P<n>M.",
            _OF,
        )
    if years or hours or minutes or seconds or (months and (weeks or days)):
        raise PayloadError(f"{_OF} {of} is not supported here: use P<n>D, P<n>W or P<n>M.", _OF)
    if months:
        return lambda origin, k: _add_months(origin, k * int(months))
    span = timedelta(weeks=int(weeks or 0), days=int(days or 0))
    if span < timedelta(days=1):
        raise PayloadError(f"{_OF} is {of}: intervals are at least one day (P1D).", _OF)
    return lambda origin, k: origin + k * span


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def snapped_bounds(
    bounds: tuple[float, float, float, float], resx: float, resy: float
) -> tuple[float, float, float, float]:
    """The bounds grown to whole pixels of a grid anchored at the CRS's origin, so that every polygon of a batch
    statistical request (and a Statistical API request whose bbox is these bounds) is on one pixel grid."""
    x0, y0, x1, y1 = bounds
    left, bottom = math.floor(x0 / resx) * resx, math.floor(y0 / resy) * resy
    right, top = math.ceil(x1 / resx) * resx, math.ceil(y1 / resy) * resy
    return (left, bottom, max(right, left + resx), max(top, bottom + resy))


def parse_aggregation(body: Any, batch: bool = False) -> Aggregation:
    """`aggregation` of a Statistical (or, `batch`, Batch Statistical) request; PayloadError names the field."""
    body = _object(body, "aggregation")
    time_range = body.get("timeRange")
    if not isinstance(time_range, dict) or "from" not in time_range or "to" not in time_range:
        raise PayloadError(
            'aggregation.timeRange is missing: give {"from": "2023-07-01T00:00:00Z", "to": "2023-07-31T00:00:00Z"}.',
            "aggregation.timeRange",
        )
    start = parse_time(time_range["from"], "aggregation.timeRange.from")
    end = parse_time(time_range["to"], "aggregation.timeRange.to")
    if end <= start:
        raise PayloadError(
            "aggregation.timeRange must end after it starts: swap from and to.", "aggregation.timeRange"
        )
    interval = _object(
        _require(body, "aggregationInterval", "aggregation"), "aggregation.aggregationInterval"
    )
    of = interval.get("of")
    interval_step(of)  # a bad duration is refused before anything else
    behavior = interval.get("lastIntervalBehavior", "SKIP")
    if behavior not in LAST_INTERVAL_BEHAVIORS:
        raise PayloadError(
            f"aggregation.aggregationInterval.lastIntervalBehavior {behavior!r} is unknown: use one of "
            f"{', '.join(LAST_INTERVAL_BEHAVIORS)}.",
            "aggregation.aggregationInterval.lastIntervalBehavior",
        )
    if body.get("evalscriptReference") is not None and body.get("evalscript") is None:
        raise PayloadError(
            "aggregation.evalscriptReference is not supported by this engine: put the script inline in "
            "aggregation.evalscript.",
            "aggregation.evalscriptReference",
        )
    script = body.get("evalscript")
    if not isinstance(script, str) or not script.strip():
        raise PayloadError(
            "aggregation.evalscript is missing: give the evalscript (with a dataMask output) as a string.",
            "aggregation.evalscript",
        )
    sizes = {key: body.get(key) for key in ("resx", "resy", "width", "height") if body.get(key) is not None}
    for key, value in sizes.items():
        if not _is_number(value) or value <= 0:
            raise PayloadError(
                f"aggregation.{key} must be a positive number (got {value!r}).", f"aggregation.{key}"
            )
    has_resolution = "resx" in sizes or "resy" in sizes
    has_size = "width" in sizes or "height" in sizes
    if has_resolution == has_size or (has_resolution and len(sizes) != 2) or (has_size and len(sizes) != 2):
        raise PayloadError(
            "aggregation needs exactly one pair: resx and resy (in units of the geometry's CRS), or width and "
            "height (px).",
            "aggregation",
        )
    if batch and has_size:
        raise PayloadError(
            "A batch statistical request is evaluated on a grid of resx × resy in the GeoPackage's CRS: give resx "
            "and resy instead of width and height.",
            "aggregation",
        )
    aggregation = Aggregation(
        time_from=start,
        time_to=end,
        interval=of,
        evalscript=script,
        last_interval_behavior=behavior,
        resx=sizes.get("resx"),
        resy=sizes.get("resy"),
        width=int(sizes["width"]) if "width" in sizes else None,
        height=int(sizes["height"]) if "height" in sizes else None,
    )
    aggregation.intervals()  # too many, or none: refused now
    return aggregation


@dataclass(frozen=True)
class BatchStatisticalRequest:
    """A Batch Statistical API request (`POST /api/v1/statistics/batch`): the polygons of a GeoPackage, the data
    and aggregation of the Statistical API, and where each feature's JSON goes (`<output>/<id>/<fid>.json`)."""

    features_url: str  # s3://bucket/key.gpkg (or file:// under the engine's output root)
    data: tuple[DataInput, ...]
    aggregation: Aggregation
    output_url: str  # s3://bucket/prefix: results land in <prefix>/<requestId>/
    calculations: dict = field(default_factory=dict)
    features_credentials: Optional[S3Credentials] = None
    output_credentials: Optional[S3Credentials] = None

    def to_api(self) -> dict:
        """The body to POST, with any S3 keys (strip them before showing it anywhere)."""
        body: dict[str, Any] = {
            "input": {
                "features": s3_bucket_info(self.features_url, self.features_credentials),
                "data": [data.to_api() for data in self.data],
            },
            "aggregation": self.aggregation.to_api(),
            "output": s3_bucket_info(self.output_url, self.output_credentials),
        }
        if self.calculations:
            body["calculations"] = self.calculations
        return body


def parse_batch_statistical(body: Any, strict: bool = True) -> BatchStatisticalRequest:
    """A `BatchStatisticalRequest` body; PayloadError names the field at fault and how to fix it."""
    body = _object(body, "request body")
    source = _object(_require(body, "input", "request body"), "input")
    features_url, features_credentials = parse_s3_bucket_info(
        _require(source, "features", "input"), "input.features", strict
    )
    if not features_url.lower().endswith(".gpkg"):
        raise PayloadError(
            f"input.features.s3.url must name a GeoPackage (…/features.gpkg), not {features_url!r}.",
            "input.features.s3.url",
        )
    entries = _require(source, "data", "input")
    if not isinstance(entries, list) or not entries:
        raise PayloadError(
            'input.data must be a list with one collection, e.g. [{"type": "sentinel-2-l2a"}].', "input.data"
        )
    data = tuple(_parse_data(entry, f"input.data[{index}]", strict) for index, entry in enumerate(entries))
    aggregation = parse_aggregation(_require(body, "aggregation", "request body"), batch=True)
    calculations = body.get("calculations") or {}
    if not isinstance(calculations, dict):
        raise PayloadError("calculations must be an object keyed by output id or 'default'.", "calculations")
    output_url, output_credentials = parse_s3_bucket_info(
        _require(body, "output", "request body"), "output", strict
    )
    return BatchStatisticalRequest(
        features_url=features_url,
        data=data,
        aggregation=aggregation,
        output_url=output_url,
        calculations=calculations,
        features_credentials=features_credentials,
        output_credentials=output_credentials,
    )


def strip_statistical_secrets(body: dict) -> tuple[dict, dict]:
    """The request without its S3 keys (to store and echo) and the keys by place ("features", "output")."""
    return strip_secrets(body, {"features": ("input", "features", "s3"), "output": ("output", "s3")})
