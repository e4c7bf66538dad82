"""The Statistical API (`POST /api/v1/statistics`) of a live engine, checked against numpy in the test.

For every interval the expected numbers come from a Process API request for the same grid and time
range (a FLOAT32 TIFF of the value and its dataMask), the pixels inside the polygon picked here with
shapely on the pixel centres, and numpy's statistics, percentiles and histogram counts over them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Optional

import numpy as np
import pytest
import shapely
from osgeo import gdal, ogr, osr
from statistics_kit import (
    DEMO_DAYS,
    NDVI,
    NDVI_AND_MASK,
    PARCELS,
    RED,
    RED_AND_MASK,
    UTM11N,
    UTM33N,
    assert_stats,
    day_range,
    expected_stats,
    inside_polygon,
    process_tiff,
    real_data_engine,
    reference_bands,
    reference_pixels,
)
from testkit import local_engine

from tilewise.engine.evalscript import OutputRaster, TileResult
from tilewise.engine.statistics import Calculations, interval_outputs

gdal.UseExceptions()
ogr.UseExceptions()

# crosses the east edge of the 16 July scene (the demo's footprint 0.7 ends near x = 304,008): no data there
BBOX = (303_500.0, 3_993_000.0, 304_500.0, 3_994_000.0)
RES = 20.0  # 50 x 50 px
POLYGON = {  # cuts the grid: a quadrilateral whose vertices are no pixel centres
    "type": "Polygon",
    "coordinates": [
        [
            [303_533.0, 3_993_047.0],
            [304_467.0, 3_993_211.0],
            [304_301.0, 3_993_977.0],
            [303_611.0, 3_993_689.0],
            [303_533.0, 3_993_047.0],
        ]
    ],
}
EAST_OF_SCENE = {  # only where the 16 July scene has no pixels
    "type": "Polygon",
    "coordinates": [
        [
            [304_211.0, 3_993_111.0],
            [304_489.0, 3_993_111.0],
            [304_489.0, 3_993_889.0],
            [304_211.0, 3_993_889.0],
            [304_211.0, 3_993_111.0],
        ]
    ],
}


def one_band_script(output_id: str, band: str, sample_type: Optional[str]) -> str:
    """An output `output_id` of the input band and a one-band dataMask (`sample_type` None: none given)."""
    declared = "" if sample_type is None else f', sampleType: "{sample_type}"'
    return f"""//VERSION=3
function setup() {{
  return {{input: [{{bands: ["{band}", "dataMask"]}}],
          output: [{{id: "{output_id}", bands: 1{declared}}}, {{id: "dataMask", bands: 1}}]}};
}}
function evaluatePixel(s) {{ return {{{output_id}: [s.{band}], dataMask: [s.dataMask]}}; }}
"""


def band_and_mask_script(band: str) -> str:
    """The band and dataMask as one FLOAT32 output of two bands: the reference pixels of the Process API."""
    return f"""//VERSION=3
function setup() {{ return {{input: [{{bands: ["{band}", "dataMask"]}}], output: {{bands: 2, sampleType: "FLOAT32"}}}}; }}
function evaluatePixel(s) {{ return [s.{band}, s.dataMask]; }}
"""


PERCENTILES = [10, 33, 50, 90]
HISTOGRAM = {"nBins": 6, "lowEdge": 0.2, "highEdge": 0.5}


@pytest.fixture(scope="module")
def engine(small_catalog, tmp_path_factory, s3_server):
    server = local_engine(tmp_path_factory.mktemp("statistics-engine"), small_catalog, s3_server).start()
    yield server
    server.stop()


def statistics_body(
    evalscript: str, bounds: dict, time_from: str, time_to: str, calculations=None, **size
) -> dict:
    body = {
        "input": {"bounds": bounds, "data": [{"type": "sentinel-2-l2a"}]},
        "aggregation": {
            "timeRange": {"from": time_from, "to": time_to},
            "aggregationInterval": {"of": "P1D"},
            "evalscript": evalscript,
            **size,
        },
    }
    if calculations is not None:
        body["calculations"] = calculations
    return body


def demo_body(geometry=POLYGON, **changes) -> dict:
    body = statistics_body(
        NDVI,
        {"bbox": list(BBOX), "geometry": geometry, "properties": {"crs": UTM11N}},
        "2023-07-01T00:00:00Z",
        "2023-07-17T00:00:00Z",
        {
            "NDVI": {
                "histograms": {"default": HISTOGRAM},
                "statistics": {"default": {"percentiles": {"k": PERCENTILES}}},
            }
        },
        resx=RES,
        resy=RES,
    )
    body["aggregation"].update(changes)
    return body


def statistics(engine, body: dict) -> dict:
    response = engine.call("POST", "/api/v1/statistics", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def refused(engine, body: dict) -> str:
    response = engine.call("POST", "/api/v1/statistics", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "COMMON_BAD_PAYLOAD"
    return error["message"]


def pixel_centres_inside(geometry: dict, raster: gdal.Dataset) -> np.ndarray:
    """True where the centre of a pixel of `raster` (its own geotransform) lies inside the polygon."""
    x0, dx, _, y0, _, dy = raster.GetGeoTransform()
    xs = x0 + (np.arange(raster.RasterXSize) + 0.5) * dx
    ys = y0 + (np.arange(raster.RasterYSize) + 0.5) * dy
    grid_x, grid_y = np.meshgrid(xs, ys)
    return shapely.contains_xy(shapely.geometry.shape(geometry), grid_x, grid_y)


# --- (1) every number of a daily NDVI over a polygon equals numpy -----------------------------------------


def test_daily_ndvi_statistics_over_a_polygon_equal_numpy_over_the_process_api_pixels(engine, tmp_path):
    result = statistics(engine, demo_body())
    inside = inside_polygon(POLYGON, BBOX, RES)
    assert 0 < inside.sum() < inside.size  # the polygon cuts the grid
    days = [date(2023, 7, d) for d in DEMO_DAYS]
    assert [entry["interval"] for entry in result["data"]] == [
        {"from": day_range(day)["from"], "to": day_range(day)["to"]} for day in days
    ]
    saw_no_data = saw_underflow = saw_overflow = False
    for entry, day in zip(result["data"], days):
        ndvi, mask = reference_pixels(engine, NDVI_AND_MASK, BBOX, UTM11N, RES, day, tmp_path)
        values = ndvi[inside & (mask != 0)]
        band = entry["outputs"]["NDVI"]["bands"]["B0"]
        assert_stats(band["stats"], expected_stats(values, int(inside.sum())))
        saw_no_data |= band["stats"]["noDataCount"] > 0
        for k in PERCENTILES:
            assert band["stats"]["percentiles"][str(float(k))] == pytest.approx(
                np.percentile(values, k, method="higher"), rel=1e-12
            )
        edges = [
            HISTOGRAM["lowEdge"] + i * (HISTOGRAM["highEdge"] - HISTOGRAM["lowEdge"]) / 6 for i in range(6)
        ]
        edges.append(HISTOGRAM["highEdge"])
        counts, _ = np.histogram(values, bins=edges)
        histogram = band["histogram"]
        assert [b["count"] for b in histogram["bins"]] == counts.tolist()
        assert [b["lowEdge"] for b in histogram["bins"]] == pytest.approx(edges[:-1], abs=1e-15)
        assert [b["highEdge"] for b in histogram["bins"]] == pytest.approx(edges[1:], abs=1e-15)
        assert histogram["underflowCount"] == int((values < HISTOGRAM["lowEdge"]).sum())
        assert histogram["overflowCount"] == int((values > HISTOGRAM["highEdge"]).sum())
        saw_underflow |= histogram["underflowCount"] > 0
        saw_overflow |= histogram["overflowCount"] > 0
    assert saw_no_data and saw_underflow and saw_overflow  # each rule was exercised by some day


def test_bin_width_histogram_runs_its_bins_from_the_low_edge_up_to_the_band_maximum(engine, tmp_path):
    body = demo_body()
    body["calculations"] = {"default": {"histograms": {"B0": {"binWidth": 0.05, "lowEdge": 0.0}}}}
    body["aggregation"]["timeRange"] = day_range(date(2023, 7, 11))
    band = statistics(engine, body)["data"][0]["outputs"]["NDVI"]["bands"]["B0"]
    ndvi, mask = reference_pixels(engine, NDVI_AND_MASK, BBOX, UTM11N, RES, date(2023, 7, 11), tmp_path)
    values = ndvi[inside_polygon(POLYGON, BBOX, RES) & (mask != 0)]
    bins = int(np.ceil(values.max() / 0.05))
    edges = [0.0 + i * 0.05 for i in range(bins + 1)]
    assert [b["lowEdge"] for b in band["histogram"]["bins"]] == edges[:-1]
    assert [b["count"] for b in band["histogram"]["bins"]] == np.histogram(values, bins=edges)[0].tolist()
    assert "percentiles" not in band["stats"]


def test_a_polygon_without_data_in_an_interval_gets_nan_statistics(engine):
    body = demo_body(EAST_OF_SCENE)
    body["aggregation"]["timeRange"] = day_range(date(2023, 7, 16))
    (entry,) = statistics(engine, body)["data"]
    stats = entry["outputs"]["NDVI"]["bands"]["B0"]["stats"]
    pixels = int(inside_polygon(EAST_OF_SCENE, BBOX, RES).sum())
    assert {key: stats[key] for key in ("min", "max", "mean", "stDev")} == dict.fromkeys(
        ("min", "max", "mean", "stDev"), "NaN"
    )
    assert stats["sampleCount"] == stats["noDataCount"] == pixels > 0


# --- (4) intervals without data are left out -----------------------------------------------------------


def test_intervals_without_acquisitions_are_absent_from_data(engine):
    body = demo_body()
    body["aggregation"]["timeRange"] = {"from": "2023-07-02T00:00:00Z", "to": "2023-07-12T00:00:00Z"}
    body["aggregation"]["aggregationInterval"] = {"of": "P2D"}
    intervals = [entry["interval"] for entry in statistics(engine, body)["data"]]
    assert intervals == [{"from": "2023-07-10T00:00:00Z", "to": "2023-07-12T00:00:00Z"}]  # holds 11 July only


def test_weekly_and_monthly_intervals_cover_the_time_range(engine):
    body = demo_body()
    body["aggregation"]["aggregationInterval"] = {"of": "P1W", "lastIntervalBehavior": "SHORTEN"}
    weeks = [entry["interval"] for entry in statistics(engine, body)["data"]]
    assert weeks == [
        {"from": "2023-07-01T00:00:00Z", "to": "2023-07-08T00:00:00Z"},
        {"from": "2023-07-08T00:00:00Z", "to": "2023-07-15T00:00:00Z"},
        {"from": "2023-07-15T00:00:00Z", "to": "2023-07-17T00:00:00Z"},
    ]
    body["aggregation"]["aggregationInterval"] = {"of": "P1M", "lastIntervalBehavior": "SHORTEN"}
    (month,) = statistics(engine, body)["data"]
    assert month["interval"] == {"from": "2023-07-01T00:00:00Z", "to": "2023-07-17T00:00:00Z"}


# --- (5) the response shape of reference §1.8 ------------------------------------------------------------


def test_response_has_the_shape_of_sentinel_hubs_example_key_for_key(engine):
    result = statistics(engine, demo_body())
    assert list(result) == ["data", "status"] and result["status"] == "OK"
    entry = result["data"][0]
    assert list(entry) == ["interval", "outputs"] and list(entry["interval"]) == ["from", "to"]
    assert list(entry["outputs"]) == ["NDVI"]
    assert list(entry["outputs"]["NDVI"]) == ["bands"] and list(entry["outputs"]["NDVI"]["bands"]) == ["B0"]
    band = entry["outputs"]["NDVI"]["bands"]["B0"]
    assert list(band) == ["stats", "histogram"]
    assert list(band["stats"]) == ["min", "max", "mean", "stDev", "sampleCount", "noDataCount", "percentiles"]
    assert list(band["stats"]["percentiles"]) == ["10.0", "33.0", "50.0", "90.0"]
    assert list(band["histogram"]) == ["bins", "overflowCount", "underflowCount"]
    assert all(list(b) == ["lowEdge", "highEdge", "count"] for b in band["histogram"]["bins"])
    plain = demo_body()
    del plain["calculations"]
    stats_only = statistics(engine, plain)["data"][0]["outputs"]["NDVI"]["bands"]["B0"]
    assert list(stats_only) == ["stats"]
    assert list(stats_only["stats"]) == ["min", "max", "mean", "stDev", "sampleCount", "noDataCount"]


# --- (3) refusals ----------------------------------------------------------------------------------------


def test_an_evalscript_without_a_datamask_output_is_refused(engine):
    script = NDVI.replace(', {id: "dataMask", bands: 1}', "").replace(", dataMask: [s.dataMask]", "")
    assert "dataMask" in refused(engine, demo_body(evalscript=script))


def test_an_interval_shorter_than_one_day_is_refused(engine):
    message = refused(engine, demo_body(aggregationInterval={"of": "PT12H"}))
    assert "at least one day" in message


def test_a_histogram_with_both_nbins_and_binwidth_is_refused(engine):
    body = demo_body()
    body["calculations"] = {"default": {"histograms": {"default": {"nBins": 4, "binWidth": 0.1}}}}
    assert "exactly one of nBins" in refused(engine, body)


def test_percentiles_outside_0_to_100_are_refused(engine):
    body = demo_body()
    body["calculations"] = {"default": {"statistics": {"default": {"percentiles": {"k": [50, 101]}}}}}
    assert "from 0 to 100" in refused(engine, body)


def test_an_area_over_the_pixel_limit_is_refused(engine):
    body = demo_body()
    body["input"]["bounds"] = {
        "bbox": [290_000.0, 3_990_000.0, 310_000.0, 4_000_000.0],
        "properties": {"crs": UTM11N},
    }
    body["aggregation"].update(resx=5, resy=5)
    assert "too large" in refused(engine, body)


# --- outputs without sampleType are FLOAT32 in the Statistical API --------------------------------------

RED_WITHOUT_SAMPLE_TYPE = one_band_script("red", "B04", None)


def test_an_output_without_sample_type_gives_float_reflectance_statistics(engine, tmp_path):
    day = date(2023, 7, 11)
    body = demo_body(evalscript=RED_WITHOUT_SAMPLE_TYPE, timeRange=day_range(day))
    body["calculations"] = {"default": {"statistics": {"default": {"percentiles": {"k": [50]}}}}}
    (entry,) = statistics(engine, body)["data"]
    red, mask = reference_pixels(engine, RED_AND_MASK, BBOX, UTM11N, RES, day, tmp_path)
    inside = inside_polygon(POLYGON, BBOX, RES)
    values = red[inside & (mask != 0)]
    stats = entry["outputs"]["red"]["bands"]["B0"]["stats"]
    assert_stats(stats, expected_stats(values, int(inside.sum())))
    assert stats["percentiles"]["50.0"] == pytest.approx(
        np.percentile(values, 50, method="higher"), rel=1e-12
    )
    assert 0 < stats["max"] < 1 and stats["mean"] != round(stats["mean"])  # reflectance, not 0–255 steps


def test_the_process_api_keeps_auto_for_an_output_without_sample_type(engine, tmp_path):
    day = date(2023, 7, 11)
    path = process_tiff(engine, RED_WITHOUT_SAMPLE_TYPE, BBOX, UTM11N, RES, day, tmp_path, output="red")
    assert gdal.Open(str(path)).GetRasterBand(1).DataType == gdal.GDT_Byte


def test_a_nan_among_the_pixels_with_data_makes_the_statistics_nan_strings(engine):
    script = RED_WITHOUT_SAMPLE_TYPE.replace("red: [s.B04]", "red: [s.B04 > 0.05 ? NaN : s.B04]")
    body = demo_body(evalscript=script, timeRange=day_range(date(2023, 7, 11)))
    body["calculations"] = {"default": {"statistics": {"default": {"percentiles": {"k": [50]}}}}}
    (entry,) = statistics(engine, body)["data"]
    stats = entry["outputs"]["red"]["bands"]["B0"]["stats"]
    assert [stats[key] for key in ("min", "max", "mean", "stDev")] == ["NaN"] * 4
    assert stats["sampleCount"] == int(inside_polygon(POLYGON, BBOX, RES).sum())


# --- integer histogram math ------------------------------------------------------------------------------

SCL = one_band_script("scl", "SCL", "UINT8")
SCL_AND_MASK = band_and_mask_script("SCL")


def test_integer_histogram_edges_stay_integers_and_count_as_numpy(engine, tmp_path):
    day = date(2023, 7, 11)
    body = demo_body(evalscript=SCL, timeRange=day_range(day))
    body["calculations"] = {
        "scl": {"histograms": {"default": {"binWidth": 2, "lowEdge": 0}}},
    }
    (entry,) = statistics(engine, body)["data"]
    scl, mask = reference_pixels(engine, SCL_AND_MASK, BBOX, UTM11N, RES, day, tmp_path)
    values = scl[inside_polygon(POLYGON, BBOX, RES) & (mask != 0)]
    assert values.size and np.unique(values).size > 1
    edges = list(range(0, int(np.ceil(values.max() / 2)) * 2 + 1, 2))
    histogram = entry["outputs"]["scl"]["bands"]["B0"]["histogram"]
    assert [(b["lowEdge"], b["highEdge"]) for b in histogram["bins"]] == list(zip(edges[:-1], edges[1:]))
    assert all(type(b["lowEdge"]) is int and type(b["highEdge"]) is int for b in histogram["bins"])
    assert [b["count"] for b in histogram["bins"]] == np.histogram(values, bins=edges)[0].tolist()


def test_integer_nbins_edges_split_the_integer_range(engine, tmp_path):
    day = date(2023, 7, 11)
    body = demo_body(evalscript=SCL, timeRange=day_range(day))
    body["calculations"] = {"scl": {"histograms": {"B0": {"nBins": 4, "lowEdge": 0, "highEdge": 12}}}}
    (entry,) = statistics(engine, body)["data"]
    scl, mask = reference_pixels(engine, SCL_AND_MASK, BBOX, UTM11N, RES, day, tmp_path)
    values = scl[inside_polygon(POLYGON, BBOX, RES) & (mask != 0)]
    histogram = entry["outputs"]["scl"]["bands"]["B0"]["histogram"]
    edges = [0, 3, 6, 9, 12]
    assert [b["lowEdge"] for b in histogram["bins"]] == edges[:-1]
    assert all(type(b["highEdge"]) is int for b in histogram["bins"])
    assert [b["count"] for b in histogram["bins"]] == np.histogram(values, bins=edges)[0].tolist()
    assert histogram["overflowCount"] == int((values > 12).sum())


def test_integer_histogram_edges_on_a_float32_output_are_refused(engine):
    body = demo_body()
    body["calculations"] = {"NDVI": {"histograms": {"default": {"nBins": 4, "lowEdge": 0, "highEdge": 1}}}}
    message = refused(engine, body)
    assert "calculations.NDVI.histograms.default" in message
    assert "sampleType must be an integer type" in message and "FLOAT32" in message


# --- one dataMask per output -----------------------------------------------------------------------------

PER_OUTPUT_MASKS = """//VERSION=3
function setup() {
  return {input: [{bands: ["B04", "B08", "dataMask"]}],
          output: [{id: "ndvi", bands: 1}, {id: "bands", bands: ["red", "nir"]},
                   {id: "dataMask", bands: ["ndvi", "bands"]}]};
}
function evaluatePixel(s) {
  var ndvi = (s.B08 - s.B04) / (s.B08 + s.B04);
  return {ndvi: [ndvi], bands: [s.B04, s.B08], dataMask: [s.dataMask * (ndvi > 0.3 ? 1 : 0), s.dataMask]};
}
"""
PER_OUTPUT_MASKS_AS_BANDS = """//VERSION=3
function setup() { return {input: [{bands: ["B04", "B08", "dataMask"]}], output: {bands: 5, sampleType: "FLOAT32"}}; }
function evaluatePixel(s) {
  var ndvi = (s.B08 - s.B04) / (s.B08 + s.B04);
  return [ndvi, s.B04, s.B08, s.dataMask * (ndvi > 0.3 ? 1 : 0), s.dataMask];
}
"""


def test_each_output_uses_the_datamask_band_named_after_it(engine, tmp_path):
    day = date(2023, 7, 16)  # the scene ends inside the polygon: pixels without data too
    body = demo_body(evalscript=PER_OUTPUT_MASKS, timeRange=day_range(day))
    del body["calculations"]
    (entry,) = statistics(engine, body)["data"]
    ndvi, red, nir, ndvi_mask, bands_mask = reference_bands(
        engine, PER_OUTPUT_MASKS_AS_BANDS, BBOX, UTM11N, RES, day, tmp_path
    )
    inside = inside_polygon(POLYGON, BBOX, RES)
    ndvi_values = ndvi[inside & (ndvi_mask != 0)]
    assert 0 < ndvi_values.size < int((inside & (bands_mask != 0)).sum())  # the two masks differ here
    assert list(entry["outputs"]) == ["ndvi", "bands"]
    assert_stats(
        entry["outputs"]["ndvi"]["bands"]["B0"]["stats"], expected_stats(ndvi_values, int(inside.sum()))
    )
    named = entry["outputs"]["bands"]["bands"]
    assert list(named) == ["red", "nir"]
    for name, band in (("red", red), ("nir", nir)):
        expected = expected_stats(band[inside & (bands_mask != 0)], int(inside.sum()))
        assert_stats(named[name]["stats"], expected)


def test_a_datamask_band_named_after_no_output_is_refused(engine):
    script = PER_OUTPUT_MASKS.replace('bands: ["ndvi", "bands"]', 'bands: ["ndvi", "nothing"]')
    message = refused(engine, demo_body(evalscript=script))
    assert "'nothing'" in message and "name each band after the output it masks" in message


# --- lastIntervalBehavior ----------------------------------------------------------------------------------


def week(start: date, end: Optional[date] = None) -> dict:
    end = end or start + timedelta(weeks=1)
    return {"from": f"{start.isoformat()}T00:00:00Z", "to": f"{end.isoformat()}T00:00:00Z"}


@pytest.mark.parametrize(
    ("behavior", "last_end"),
    [(None, None), ("SKIP", None), ("EXTEND", date(2023, 7, 22)), ("SHORTEN", date(2023, 7, 17))],
)
def test_last_interval_behavior_decides_the_partial_last_week(engine, behavior, last_end):
    body = demo_body()  # 1 to 17 July: two whole weeks and three days, the 16 July scene in the third
    body["aggregation"]["aggregationInterval"] = {"of": "P1W"}
    if behavior is not None:
        body["aggregation"]["aggregationInterval"]["lastIntervalBehavior"] = behavior
    intervals = [entry["interval"] for entry in statistics(engine, body)["data"]]
    expected = [week(date(2023, 7, 1)), week(date(2023, 7, 8))]
    if last_end is not None:
        expected.append(week(date(2023, 7, 15), last_end))
    assert intervals == expected


# --- a failed interval -------------------------------------------------------------------------------------

FAILS_ON_THE_11TH = (
    NDVI
    + """
function preProcessScenes(collections) {
  if (collections.from.getUTCDate() === 11) { throw new Error("no statistics on the 11th"); }
  return collections;
}
"""
)


def test_an_interval_whose_script_fails_gets_an_execution_error_and_the_others_go_on(engine, tmp_path):
    result = statistics(engine, demo_body(evalscript=FAILS_ON_THE_11TH))
    assert result["status"] == "PARTIAL"
    by_day = {entry["interval"]["from"][:10]: entry for entry in result["data"]}
    assert list(by_day) == [f"2023-07-{day:02d}" for day in DEMO_DAYS]
    failed = by_day["2023-07-11"]
    assert list(failed) == ["interval", "error"] and failed["interval"] == day_range(date(2023, 7, 11))
    assert failed["error"]["type"] == "EXECUTION_ERROR"
    assert "no statistics on the 11th" in failed["error"]["message"]
    inside = inside_polygon(POLYGON, BBOX, RES)
    for day in (1, 16):
        ndvi, mask = reference_pixels(engine, NDVI_AND_MASK, BBOX, UTM11N, RES, date(2023, 7, day), tmp_path)
        stats = by_day[f"2023-07-{day:02d}"]["outputs"]["NDVI"]["bands"]["B0"]["stats"]
        assert_stats(stats, expected_stats(ndvi[inside & (mask != 0)], int(inside.sum())))


def test_a_request_whose_every_interval_fails_has_status_failed(engine):
    body = demo_body(evalscript=FAILS_ON_THE_11TH, timeRange=day_range(date(2023, 7, 11)))
    result = statistics(engine, body)
    assert result["status"] == "FAILED"
    assert [entry["error"]["type"] for entry in result["data"]] == ["EXECUTION_ERROR"]


# --- (2) real Sentinel-2 pixels under a real parcel ------------------------------------------------------


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory, s3_server):
    server = real_data_engine(tmp_path_factory.mktemp("statistics-real"), s3_server).start()
    yield server
    server.stop()


def largest_parcel_in_utm33n() -> dict:
    """The example GeoPackage's largest parcel, transformed to EPSG:32633 with OGR, as GeoJSON."""
    parcels = ogr.Open(str(PARCELS))  # kept referenced while its layer is read
    layer = parcels.GetLayer(0)
    shapes = [feature.GetGeometryRef().Clone() for feature in layer]  # copies outlive their features
    largest = max(shapes, key=lambda shape: shape.GetArea())
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32633)
    source = largest.GetSpatialReference()
    source.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    largest.Transform(osr.CoordinateTransformation(source, utm))
    return json.loads(largest.ExportToJson())


def test_daily_red_reflectance_of_a_real_parcel_equals_numpy_over_its_pixels(real_engine, tmp_path):
    parcel = largest_parcel_in_utm33n()
    res = 10.0
    min_x, max_x, min_y, max_y = ogr.CreateGeometryFromJson(json.dumps(parcel)).GetEnvelope()
    body = statistics_body(
        RED,
        {"geometry": parcel, "properties": {"crs": UTM33N}},
        "2023-08-10T00:00:00Z",
        "2023-08-21T00:00:00Z",
        resx=res,
        resy=res,
    )
    result = statistics(real_engine, body)
    assert result["data"], "the real catalog has acquisitions from 10 to 20 August 2023"
    bbox = (min_x, min_y, max_x, max_y)  # the engine's grid when only a geometry is given: its envelope
    days_with_pixels = 0
    for entry in result["data"]:
        day = date.fromisoformat(entry["interval"]["from"][:10])
        red, mask = reference_pixels(real_engine, RED_AND_MASK, bbox, UTM33N, res, day, tmp_path)
        inside = pixel_centres_inside(parcel, gdal.Open(str(tmp_path / f"{day.isoformat()}.tif")))
        values = red[inside & (mask != 0)]
        stats = entry["outputs"]["red"]["bands"]["B0"]["stats"]
        assert inside.sum() > 0
        if values.size:
            assert_stats(stats, expected_stats(values, int(inside.sum())))
            days_with_pixels += 1
        else:
            assert stats["min"] == "NaN" and stats["noDataCount"] == stats["sampleCount"] == int(inside.sum())
    assert days_with_pixels > 0


# --- interval_outputs over a window (what the Batch Statistical worker calls per feature) ------------------


def test_interval_outputs_count_only_the_window_pixels_inside_and_with_each_outputs_mask():
    rng = np.random.default_rng(27)
    height, width = 40, 60
    ndvi = rng.uniform(-1, 1, (1, height, width)).astype(np.float32)
    bands = rng.integers(0, 5000, (2, height, width)).astype(np.uint16)
    masks = (rng.uniform(size=(2, height, width)) > 0.3).astype(np.float32)
    result = TileResult(
        {
            "ndvi": OutputRaster("ndvi", ndvi, "FLOAT32", None),
            "bands": OutputRaster("bands", bands, "UINT16", None, ("red", "nir")),
            "dataMask": OutputRaster("dataMask", masks, "FLOAT32", None, ("bands", "ndvi")),
        }
    )
    window = (slice(5, 25), slice(30, 55))
    inside = rng.uniform(size=(20, 25)) > 0.5
    calculations = Calculations({"bands": {"histograms": {"nir": {"binWidth": 1000, "lowEdge": 0}}}})
    outputs = interval_outputs(result, window, inside, calculations)
    count = int(inside.sum())
    ndvi_values = ndvi[0][window][inside & (masks[1][window] != 0)].astype(np.float64)
    assert_stats(outputs["ndvi"]["bands"]["B0"]["stats"], expected_stats(ndvi_values, count))
    with_data = inside & (masks[0][window] != 0)
    for index, name in enumerate(("red", "nir")):
        values = bands[index][window][with_data].astype(np.float64)
        assert_stats(outputs["bands"]["bands"][name]["stats"], expected_stats(values, count))
    nir = bands[1][window][with_data]
    edges = list(range(0, int(np.ceil(nir.max() / 1000)) * 1000 + 1, 1000))
    bins = outputs["bands"]["bands"]["nir"]["histogram"]["bins"]
    assert [b["lowEdge"] for b in bins] == edges[:-1]
    assert [b["count"] for b in bins] == np.histogram(nir, bins=edges)[0].tolist()
    assert "histogram" not in outputs["bands"]["bands"]["red"]


def test_a_bands_list_with_a_repeated_name_is_refused(engine):
    script = PER_OUTPUT_MASKS.replace('bands: ["red", "nir"]', 'bands: ["red", "red"]')
    assert "distinct band names" in refused(engine, demo_body(evalscript=script))
