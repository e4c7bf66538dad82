"""Field statistics without QGIS: request bodies, the flattening of real-shaped responses, the features and
results GeoPackages (read back with OGR), the presets and the refusals of bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import shapely
from osgeo import ogr, osr

from tilewise.core.batch_models import parse_process_request
from tilewise.core.batch_models.statistical import (
    MAX_STATISTICAL_FEATURES,
    parse_aggregation,
    parse_batch_statistical,
    strip_statistical_secrets,
)
from tilewise.core.evalscript import inspect_evalscript
from tilewise.core.field_statistics import (
    FieldPolygon,
    FieldStatisticsError,
    FieldStatisticsOptions,
    StatisticsRow,
    batch_statistical_request,
    check_options,
    check_polygons,
    failed_features,
    read_statistics_table,
    rows_from_feature_result,
    rows_from_response,
    statistical_request_body,
    write_features_geopackage,
    write_results_geopackage,
)
from tilewise.core.s3 import S3Credentials
from tilewise.core.statistics_presets import STATISTICS_PRESETS, statistics_preset

ogr.UseExceptions()
UTM11N = "EPSG:32611"
JULY = (datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 7, 17, tzinfo=timezone.utc))
POLYGONS = (
    FieldPolygon(3, "SI21.FOI.7059004001", "POLYGON ((303500 3993000, 303800 3993000, 303650 3993300, 303500 3993000))"),
    FieldPolygon(7, "field seven", "MULTIPOLYGON (((304000 3993000, 304200 3993000, 304200 3993200, 304000 3993200, 304000 3993000)))"),
)  # fmt: skip


def options(**changes) -> FieldStatisticsOptions:
    values = dict(
        evalscript=statistics_preset("NDVI").script,
        time_from=JULY[0],
        time_to=JULY[1],
        percentiles=(10.0, 50.0, 90.0),
        histogram_bins=5,
        histogram_low=-1.0,
        histogram_high=1.0,
        max_cloud_coverage=40.0,
    )
    values.update(changes)
    return FieldStatisticsOptions(**values)


# --- presets -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["NDVI", "NDWI"])
def test_index_presets_return_the_index_in_lower_case_and_a_one_band_data_mask(name):
    info = inspect_evalscript(statistics_preset(name).script)
    outputs = {output.id: output for output in info.outputs}
    assert set(outputs) == {name.lower(), "dataMask"}
    assert outputs[name.lower()].bands == 1 and outputs[name.lower()].sample_type == "FLOAT32"
    assert outputs["dataMask"].bands == 1


def test_every_statistics_preset_passes_the_data_mask_check():
    assert len(STATISTICS_PRESETS) >= 3
    for preset in STATISTICS_PRESETS:
        check_options(options(evalscript=preset.script))


# --- request bodies ------------------------------------------------------------------------------------------


def test_synchronous_body_reads_back_as_the_engine_reads_it():
    body = statistical_request_body(POLYGONS[0], UTM11N, options())
    aggregation = parse_aggregation(body["aggregation"])  # as engine/statistics.py reads it
    assert aggregation == options().aggregation()
    assert [interval[0].day for interval in aggregation.intervals()] == list(range(1, 17))
    # the engine evaluates input and evalscript as a Process API request on the aggregation's grid
    process = parse_process_request(
        {"input": body["input"], "evalscript": body["aggregation"]["evalscript"],
         "output": {"resx": 10, "resy": 10, "responses": [{"identifier": "dataMask"}]}},
        "request", batch=False,
    )  # fmt: skip
    assert process.bounds.crs == "http://www.opengis.net/def/crs/EPSG/0/32611"
    assert shapely.equals(shapely.geometry.shape(process.bounds.geometry), shapely.from_wkt(POLYGONS[0].wkt))
    assert process.data[0].type == "sentinel-2-l2a"
    assert process.data[0].max_cloud_coverage == 40.0 and process.data[0].mosaicking_order == "leastCC"
    default = body["calculations"]["default"]
    assert default["statistics"]["default"]["percentiles"]["k"] == [10.0, 50.0, 90.0]
    assert default["histograms"]["default"] == {"nBins": 5, "lowEdge": -1.0, "highEdge": 1.0}


def test_the_synchronous_grid_is_the_batch_jobs_whole_pixels_from_the_crs_origin():
    polygon = FieldPolygon(
        7, "off-grid", "POLYGON((303503 3993004, 303797 3993004, 303650 3993296, 303503 3993004))"
    )
    bbox = statistical_request_body(polygon, UTM11N, options())["input"]["bounds"]["bbox"]
    assert bbox == [303_500.0, 3_993_000.0, 303_800.0, 3_993_300.0]


def test_basic_statistics_send_no_calculations():
    body = statistical_request_body(POLYGONS[1], UTM11N, options(percentiles=(), histogram_bins=0))
    assert "calculations" not in body


def test_batch_body_round_trips_through_the_shared_parser_and_its_keys_strip():
    keys = S3Credentials("AKIAEXAMPLEKEY", "secret-key-value")
    request = batch_statistical_request(
        "s3://fields/run/fields.gpkg", "s3://fields/run/results", options(), keys, keys
    )
    body = request.to_api()
    assert parse_batch_statistical(body) == request
    assert body["input"]["features"]["s3"]["accessKey"] == "AKIAEXAMPLEKEY"
    stripped, secrets = strip_statistical_secrets(body)
    assert "secret-key-value" not in json.dumps(stripped) and "AKIAEXAMPLEKEY" not in json.dumps(stripped)
    assert set(secrets) == {"features", "output"}


# --- refusals ------------------------------------------------------------------------------------------------


def test_an_interval_shorter_than_a_day_is_refused_with_what_to_use():
    with pytest.raises(FieldStatisticsError, match="at least one day"):
        check_options(options(interval="PT12H"))


def test_an_evalscript_without_data_mask_is_refused_with_how_to_add_it():
    script = statistics_preset("NDVI").script.replace('{ id: "dataMask", bands: 1 }', "")
    script = script.replace("dataMask: [sample.dataMask]", "")
    with pytest.raises(FieldStatisticsError, match='id: "dataMask", bands: 1'):
        check_options(options(evalscript=script))


def test_more_polygons_than_a_batch_statistical_job_takes_are_refused():
    many = [POLYGONS[0]] * (MAX_STATISTICAL_FEATURES + 1)  # the same object: no memory spent
    with pytest.raises(FieldStatisticsError, match="700,000"):
        check_polygons(many, UTM11N)


@pytest.mark.parametrize("crs", ["", 'LOCAL_CS["unknown"]'])
def test_polygons_in_a_crs_without_epsg_code_are_refused_with_how_to_set_one(crs):
    with pytest.raises(FieldStatisticsError, match="Layer Properties"):
        check_polygons(POLYGONS, crs)


def test_polygons_need_their_own_positive_ids():
    with pytest.raises(FieldStatisticsError, match="own feature id"):
        check_polygons([POLYGONS[0], POLYGONS[0]], UTM11N)


# --- responses -----------------------------------------------------------------------------------------------

# The shapes of sentinelhub-py's fixtures (reference §1.4 and §1.8): "NaN" statistics of an interval without
# data, an interval that failed, a feature that failed, and a response FAILED as a whole.
INTERVAL_1 = {"from": "2020-06-01T00:00:00Z", "to": "2020-06-02T00:00:00Z"}
INTERVAL_2 = {"from": "2020-06-02T00:00:00Z", "to": "2020-06-03T00:00:00Z"}
INTERVAL_3 = {"from": "2020-06-03T00:00:00Z", "to": "2020-06-04T00:00:00Z"}
HISTOGRAM = {"bins": [{"lowEdge": 0.0, "highEdge": 0.5, "count": 30}, {"lowEdge": 0.5, "highEdge": 1.0, "count": 70}],
             "overflowCount": 0, "underflowCount": 0}  # fmt: skip
FEATURE_OK = {
    "id": 1,
    "identifier": "SI21.FOI.7059004001",
    "response": {
        "status": "OK",
        "data": [
            {"interval": INTERVAL_1, "outputs": {"ndvi": {"bands": {"B0": {
                "stats": {"min": 0.1, "max": 0.9, "mean": 0.55, "stDev": 0.2, "sampleCount": 120,
                          "noDataCount": 20, "percentiles": {"50.0": 0.6, "90.0": 0.85}},
                "histogram": HISTOGRAM}}}}},
            {"interval": INTERVAL_2, "outputs": {"ndvi": {"bands": {"B0": {
                "stats": {"min": "NaN", "max": "NaN", "mean": "NaN", "stDev": "NaN", "sampleCount": 120,
                          "noDataCount": 120}}}}}},
            {"interval": INTERVAL_3, "error": {"type": "EXECUTION_ERROR"}},
        ],
    },
}  # fmt: skip
FEATURE_ERROR = {"id": 4, "identifier": "SI21.FOI.6681475001", "error": {"type": "EXECUTION_ERROR"}}
FEATURE_FAILED = {
    "id": 3,
    "identifier": "SI21.FOI.6620269001",
    "response": {"data": None, "status": "FAILED"},
}


def test_a_feature_result_flattens_to_one_row_per_interval_and_band_with_nan_as_none():
    rows = rows_from_feature_result(FEATURE_OK)
    assert [(row.interval_from, row.output, row.band) for row in rows] == [
        (INTERVAL_1["from"], "ndvi", "B0"), (INTERVAL_2["from"], "ndvi", "B0"), (INTERVAL_3["from"], "", ""),
    ]  # fmt: skip
    full, empty, failed = rows
    assert (full.mean, full.min, full.max, full.st_dev) == (0.55, 0.1, 0.9, 0.2)
    assert (full.sample_count, full.no_data_count) == (120, 20)
    assert full.percentiles == {"50.0": 0.6, "90.0": 0.85} and full.histogram == HISTOGRAM
    assert full.identifier == "SI21.FOI.7059004001" and full.fid == 1 and full.error is None
    assert (empty.mean, empty.min, empty.max, empty.st_dev) == (None, None, None, None)
    assert empty.no_data_count == empty.sample_count == 120
    assert failed.error == "EXECUTION_ERROR" and failed.interval_to == INTERVAL_3["to"]
    assert failed_features(rows) == []  # an interval failing is not the feature failing


def test_a_feature_with_an_error_or_a_failed_response_is_one_failure_row():
    rows = rows_from_feature_result(FEATURE_ERROR) + rows_from_feature_result(FEATURE_FAILED)
    assert [(row.fid, row.identifier, row.interval_from) for row in rows] == [
        (4, "SI21.FOI.6681475001", ""), (3, "SI21.FOI.6620269001", ""),
    ]  # fmt: skip
    assert failed_features(rows) == [(4, "EXECUTION_ERROR"), (3, "The statistics failed (status FAILED).")]


def test_a_statistical_response_reads_with_the_fid_and_identifier_given():
    rows = rows_from_response(9, "mine", FEATURE_OK["response"])
    assert {(row.fid, row.identifier) for row in rows} == {(9, "mine")}


# --- GeoPackages ---------------------------------------------------------------------------------------------


def test_features_geopackage_keeps_fids_identifiers_crs_and_shapes(tmp_path):
    path = write_features_geopackage(POLYGONS, UTM11N, tmp_path / "fields.gpkg")
    source = ogr.Open(str(path))
    assert source.GetLayerCount() == 1
    layer = source.GetLayerByName("fields")
    srs = layer.GetSpatialRef()
    srs.AutoIdentifyEPSG()
    assert srs.GetAuthorityCode(None) == "32611"
    assert layer.GetFIDColumn() == "id"
    assert ogr.GT_Flatten(layer.GetGeomType()) == ogr.wkbMultiPolygon
    found = {f.GetFID(): (f.GetField("identifier"), f.GetGeometryRef().ExportToWkt()) for f in layer}
    assert set(found) == {3, 7}
    for polygon in POLYGONS:
        identifier, wkt = found[polygon.fid]
        assert identifier == polygon.identifier
        assert shapely.equals(shapely.from_wkt(wkt), shapely.from_wkt(polygon.wkt))


def row(fid, start, mean, output="ndvi", band="B0", error=None) -> StatisticsRow:
    return StatisticsRow(
        fid, f"id{fid}", start, start.replace("T00", "T23") if start else "", output, band, mean,
        None if mean is None else mean - 0.1, None if mean is None else mean + 0.1, 0.05, 100,
        0 if mean is not None else 100, {"50.0": mean} if mean is not None else {},
        HISTOGRAM if mean is not None else None, error,
    )  # fmt: skip


def test_results_geopackage_joins_the_latest_mean_to_the_fields_and_keeps_every_row(tmp_path):
    rows = [
        row(3, "2023-07-11T00:00:00Z", 0.40),
        row(3, "2023-07-01T00:00:00Z", 0.30),
        row(3, "2023-07-16T00:00:00Z", None),  # no data: not the latest mean
        row(3, "2023-07-11T00:00:00Z", 0.10, output="ndwi"),
        row(7, "", None, output="", band="", error="EXECUTION_ERROR: out of memory"),
    ]
    path = write_results_geopackage(tmp_path / "results.gpkg", POLYGONS, UTM11N, rows)
    source = ogr.Open(str(path))
    fields = {f.GetFID(): f.items() for f in source.GetLayerByName("fields")}
    assert fields[3]["latest_interval"] == "2023-07-11T00:00:00Z"
    assert fields[3]["ndvi_B0_mean"] == 0.40 and fields[3]["ndwi_B0_mean"] == 0.10
    assert fields[3]["identifier"] == POLYGONS[0].identifier and fields[3]["error"] is None
    assert fields[7]["ndvi_B0_mean"] is None and fields[7]["error"] == "EXECUTION_ERROR: out of memory"
    expected_srs = osr.SpatialReference()
    expected_srs.ImportFromEPSG(32611)
    assert source.GetLayerByName("fields").GetSpatialRef().IsSame(expected_srs)
    table = source.GetLayerByName("statistics")
    assert table.GetGeomType() == ogr.wkbNone and table.GetFeatureCount() == len(rows)
    records = sorted((f.items() for f in table), key=lambda r: (r["fid"], r["interval_from"], r["output"]))
    first = records[0]
    assert (first["fid"], first["interval_from"], first["mean"], first["sample_count"]) == (
        3, "2023-07-01T00:00:00Z", 0.30, 100,
    )  # fmt: skip
    assert json.loads(first["percentiles"]) == {"50.0": 0.30} and json.loads(first["histogram"]) == HISTOGRAM


def test_read_statistics_table_gives_one_field_ordered_by_interval(tmp_path):
    rows = [
        row(3, "2023-07-16T00:00:00Z", 0.2),
        row(7, "2023-07-01T00:00:00Z", 0.9),
        row(3, "2023-07-01T00:00:00Z", None),
        row(3, "2023-07-11T00:00:00Z", 0.5),
    ]
    path = write_results_geopackage(tmp_path / "results.gpkg", POLYGONS, UTM11N, rows)
    read = read_statistics_table(path, 3)
    assert read == sorted((r for r in rows if r.fid == 3), key=lambda r: r.interval_from)


def test_read_statistics_table_refuses_a_geopackage_without_the_table(tmp_path):
    path = write_features_geopackage(POLYGONS, UTM11N, tmp_path / "fields.gpkg")
    with pytest.raises(FieldStatisticsError, match="no statistics table"):
        read_statistics_table(path, 3)
