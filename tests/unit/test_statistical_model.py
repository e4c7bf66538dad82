"""The shared Statistical model (core/batch_models/statistical.py): the aggregation and its intervals, the Batch
Statistical request body and its secrets.

Expected intervals are built here from the calendar (datetime, timedelta, calendar.monthrange), not read back
from the model.
"""

from __future__ import annotations

import calendar
import copy
from datetime import datetime, timedelta, timezone

import pytest

from tilewise.core.batch_models import PayloadError
from tilewise.core.batch_models.statistical import (
    MAX_INTERVALS,
    Aggregation,
    parse_aggregation,
    parse_batch_statistical,
    strip_statistical_secrets,
)

SCRIPT = "//VERSION=3\nfunction setup() {}\nfunction evaluatePixel(s) {}"
JULY_1 = datetime(2023, 7, 1, tzinfo=timezone.utc)


def utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=timezone.utc)


def aggregation_body(**changes) -> dict:
    body = {
        "timeRange": {"from": "2023-07-01T00:00:00Z", "to": "2023-07-11T00:00:00Z"},
        "aggregationInterval": {"of": "P1D"},
        "evalscript": SCRIPT,
        "resx": 10,
        "resy": 10,
    }
    body.update(changes)
    return body


def aggregation(of: str, time_from: datetime, time_to: datetime, behavior: str = "SKIP") -> Aggregation:
    return Aggregation(time_from, time_to, of, SCRIPT, behavior, resx=10, resy=10)


def steps(start: datetime, span: timedelta, count: int) -> list[tuple[datetime, datetime]]:
    return [(start + i * span, start + (i + 1) * span) for i in range(count)]


def refusal(call, *args, **kwargs) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- parse_aggregation ------------------------------------------------------------------------------------


def test_an_aggregation_parses_its_time_range_interval_behaviour_and_resolution():
    parsed = parse_aggregation(
        aggregation_body(
            aggregationInterval={"of": "P2D", "lastIntervalBehavior": "EXTEND"}, resx=20, resy=30
        )
    )
    assert (parsed.time_from, parsed.time_to) == (JULY_1, utc(2023, 7, 11))
    assert (parsed.interval, parsed.last_interval_behavior) == ("P2D", "EXTEND")
    assert (parsed.resx, parsed.resy, parsed.width, parsed.height) == (20, 30, None, None)
    assert parse_aggregation(aggregation_body()).last_interval_behavior == "SKIP"  # Sentinel Hub's default


def test_an_aggregation_round_trips_through_to_api():
    body = aggregation_body(aggregationInterval={"of": "P1W", "lastIntervalBehavior": "SHORTEN"})
    assert parse_aggregation(parse_aggregation(body).to_api()) == parse_aggregation(body)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"timeRange": None}, "aggregation.timeRange", "missing"),
        (
            {"timeRange": {"from": "2023-07-11T00:00:00Z", "to": "2023-07-01T00:00:00Z"}},
            "aggregation.timeRange",
            "swap",
        ),
        (
            {"timeRange": {"from": "July", "to": "2023-07-01T00:00:00Z"}},
            "aggregation.timeRange.from",
            "ISO-8601",
        ),
        ({"aggregationInterval": None}, "aggregation.aggregationInterval", "missing"),
        ({"aggregationInterval": {"of": "PT12H"}}, "aggregation.aggregationInterval.of", "at least one day"),
        (
            {"aggregationInterval": {"of": "monthly"}},
            "aggregation.aggregationInterval.of",
            "ISO-8601 duration",
        ),
        ({"aggregationInterval": {"of": "P1Y"}}, "aggregation.aggregationInterval.of", "not supported"),
        (
            {"aggregationInterval": {"of": "P1D", "lastIntervalBehavior": "ROUND"}},
            "aggregation.aggregationInterval.lastIntervalBehavior",
            "SKIP, SHORTEN, EXTEND",
        ),
        ({"evalscript": None, "evalscriptReference": {"id": 1}}, "aggregation.evalscriptReference", "inline"),
        ({"evalscript": "  "}, "aggregation.evalscript", "dataMask"),
        ({"resx": -1}, "aggregation.resx", "positive"),
        ({"resx": None, "resy": None}, "aggregation", "resx and resy"),
        ({"width": 100, "height": 100}, "aggregation", "exactly one pair"),
    ],
)
def test_a_bad_aggregation_is_refused_naming_its_field(changes, field, words):
    body = aggregation_body(**changes)
    for key in [key for key, value in body.items() if value is None]:
        del body[key]
    error = refusal(parse_aggregation, body)
    assert error.field == field
    assert words in str(error)


def test_width_and_height_are_refused_in_a_batch_aggregation_only():
    body = aggregation_body(resx=None, resy=None, width=64, height=64)
    del body["resx"], body["resy"]
    assert parse_aggregation(body).width == 64
    error = refusal(parse_aggregation, body, batch=True)
    assert error.field == "aggregation" and "resx and resy instead of width and height" in str(error)


# --- Aggregation.intervals ----------------------------------------------------------------------------------


def test_daily_intervals_tile_the_time_range():
    intervals = aggregation("P1D", JULY_1, utc(2023, 7, 11)).intervals()
    assert intervals == steps(JULY_1, timedelta(days=1), 10)


def test_intervals_of_several_days_and_weeks_step_by_their_length():
    assert aggregation("P5D", JULY_1, utc(2023, 7, 31)).intervals() == steps(JULY_1, timedelta(days=5), 6)
    assert aggregation("P2W", JULY_1, utc(2023, 8, 26)).intervals() == steps(JULY_1, timedelta(weeks=2), 4)


def test_monthly_intervals_follow_the_calendar():
    intervals = aggregation("P1M", utc(2023, 1, 1), utc(2024, 1, 1)).intervals()
    assert [start for start, _ in intervals] == [utc(2023, month, 1) for month in range(1, 13)]
    lengths = [(end - start).days for start, end in intervals]
    assert lengths == [calendar.monthrange(2023, month)[1] for month in range(1, 13)]


def test_monthly_intervals_from_the_31st_keep_the_31st_where_the_month_has_one():
    intervals = aggregation("P1M", utc(2024, 1, 31), utc(2024, 6, 1), "SHORTEN").intervals()
    # the k-th start is k months after the first, on its day or the month's last day when the month is shorter
    starts = [utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 31), utc(2024, 4, 30), utc(2024, 5, 31)]
    assert intervals == [*zip(starts, starts[1:]), (starts[-1], utc(2024, 6, 1))]


@pytest.mark.parametrize(
    ("behavior", "last"),
    [
        ("SKIP", None),
        ("SHORTEN", (utc(2023, 7, 15), utc(2023, 7, 17))),
        ("EXTEND", (utc(2023, 7, 15), utc(2023, 7, 22))),
    ],
)
def test_the_last_interval_is_skipped_shortened_or_extended(behavior, last):
    intervals = aggregation("P1W", JULY_1, utc(2023, 7, 17), behavior).intervals()
    whole_weeks = steps(JULY_1, timedelta(weeks=1), 2)
    assert intervals == whole_weeks + ([last] if last else [])


def test_a_time_range_that_ends_on_an_interval_boundary_has_no_partial_interval():
    for behavior in ("SKIP", "SHORTEN", "EXTEND"):
        intervals = aggregation("P1W", JULY_1, utc(2023, 7, 15), behavior).intervals()
        assert intervals == steps(JULY_1, timedelta(weeks=1), 2)


def test_a_time_range_shorter_than_one_interval_gives_none_and_is_refused_when_skipped():
    short = aggregation("P1M", JULY_1, utc(2023, 7, 20))
    error = refusal(short.intervals)
    assert error.field == "aggregation.aggregationInterval" and "lastIntervalBehavior SHORTEN" in str(error)
    assert aggregation("P1M", JULY_1, utc(2023, 7, 20), "SHORTEN").intervals() == [(JULY_1, utc(2023, 7, 20))]


def test_more_intervals_than_the_limit_are_refused():
    days = MAX_INTERVALS + 1
    long = aggregation("P1D", JULY_1, JULY_1 + timedelta(days=days))
    error = refusal(long.intervals)
    assert error.field == "aggregation.aggregationInterval.of" and str(MAX_INTERVALS) in str(error)
    assert (
        len(aggregation("P1D", JULY_1, JULY_1 + timedelta(days=MAX_INTERVALS)).intervals()) == MAX_INTERVALS
    )
    assert len(long.intervals(limit=days)) == days


# --- parse_batch_statistical -------------------------------------------------------------------------------


def batch_body() -> dict:
    return {
        "input": {
            "features": {
                "s3": {"url": "s3://fields/2023/parcels.gpkg", "accessKey": "AKIN", "secretAccessKey": "SKIN"}
            },
            "data": [{"type": "sentinel-2-l2a", "dataFilter": {"mosaickingOrder": "leastCC"}}],
        },
        "aggregation": aggregation_body(),
        "calculations": {"default": {"statistics": {"default": {"percentiles": {"k": [50]}}}}},
        "output": {"s3": {"url": "s3://results/ndvi", "accessKey": "AKOUT", "secretAccessKey": "SKOUT"}},
    }


def test_a_batch_statistical_request_parses_into_the_model_and_back():
    request = parse_batch_statistical(batch_body())
    assert request.features_url == "s3://fields/2023/parcels.gpkg"
    assert request.output_url == "s3://results/ndvi"
    assert [data.type for data in request.data] == ["sentinel-2-l2a"]
    assert request.aggregation == parse_aggregation(aggregation_body(), batch=True)
    assert request.calculations == batch_body()["calculations"]
    assert request.features_credentials is not None and request.output_credentials is not None
    assert parse_batch_statistical(request.to_api()) == request


def without(body: dict, *path: str) -> dict:
    changed = copy.deepcopy(body)
    node = changed
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return changed


def changed(body: dict, value, *path: str) -> dict:
    result = copy.deepcopy(body)
    node = result
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda body: without(body, "input"), "request body.input"),
        (lambda body: without(body, "input", "features"), "input.features"),
        (lambda body: without(body, "input", "data"), "input.data"),
        (lambda body: changed(body, [], "input", "data"), "input.data"),
        (lambda body: without(body, "aggregation"), "request body.aggregation"),
        (lambda body: without(body, "output"), "request body.output"),
        (
            lambda body: changed(body, "s3://fields/parcels.shp", "input", "features", "s3", "url"),
            "input.features.s3.url",
        ),
        (lambda body: changed(body, 64, "aggregation", "width"), "aggregation"),
        (
            lambda body: changed(
                without(body, "aggregation", "evalscript"), {"id": 7}, "aggregation", "evalscriptReference"
            ),
            "aggregation.evalscriptReference",
        ),
        (
            lambda body: changed(
                body, {"of": "P1D", "lastIntervalBehavior": "LAST"}, "aggregation", "aggregationInterval"
            ),
            "aggregation.aggregationInterval.lastIntervalBehavior",
        ),
        (lambda body: changed(body, ["ndvi"], "calculations"), "calculations"),
    ],
)
def test_a_bad_batch_statistical_request_is_refused_naming_its_field(make, field):
    error = refusal(parse_batch_statistical, make(batch_body()))
    assert error.field == field
    assert field.split(".")[-1] in str(error)


def test_a_batch_with_width_and_height_instead_of_a_resolution_is_refused():
    body = batch_body()
    body["aggregation"] = aggregation_body(width=64, height=64)
    del body["aggregation"]["resx"], body["aggregation"]["resy"]
    error = refusal(parse_batch_statistical, body)
    assert error.field == "aggregation" and "resx and resy" in str(error)


# --- strip_statistical_secrets -----------------------------------------------------------------------------


def test_stripping_takes_the_s3_keys_out_of_the_payload_and_into_the_secrets():
    body = batch_body()
    body["output"]["s3"]["region"] = "eu-central-1"
    clean, secrets = strip_statistical_secrets(body)
    assert secrets == {
        "features": {"accessKey": "AKIN", "secretAccessKey": "SKIN"},
        "output": {"accessKey": "AKOUT", "secretAccessKey": "SKOUT", "region": "eu-central-1"},
    }
    text = repr(clean)
    assert not any(key in text for key in ("AKIN", "SKIN", "AKOUT", "SKOUT", "accessKey"))
    assert clean["input"]["features"]["s3"] == {"url": "s3://fields/2023/parcels.gpkg"}
    assert clean["output"]["s3"] == {"url": "s3://results/ndvi", "region": "eu-central-1"}
    assert body["input"]["features"]["s3"]["accessKey"] == "AKIN"  # the caller's body is left as it was


def test_stripping_a_request_without_keys_finds_no_secrets():
    body = without(
        without(batch_body(), "input", "features", "s3", "accessKey"),
        "input",
        "features",
        "s3",
        "secretAccessKey",
    )
    body = without(without(body, "output", "s3", "accessKey"), "output", "s3", "secretAccessKey")
    clean, secrets = strip_statistical_secrets(body)
    assert secrets == {} and clean == body
