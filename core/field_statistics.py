"""Field statistics (Qt-free): per-polygon statistics of an evalscript over time, through the Statistical API
(one request per polygon) or, for many polygons, the Batch Statistical API; and the results as a GeoPackage
of the fields joined to a table of (field, interval, output, band, statistics).

Reference: ../shared/reference/batch-statistical-zarr-byoc.md §1.2 (batch request), §1.3 (features
GeoPackage), §1.4 (per-feature JSON), §1.8 (Statistical API request and response).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import shapely
from osgeo import ogr

from .batch_models import DataInput, PayloadError
from .batch_models.statistical import (
    DATA_MASK,
    MAX_STATISTICAL_FEATURES,
    Aggregation,
    BatchStatisticalRequest,
    snapped_bounds,
)
from .batch_models.values import crs_url
from .crs import CrsError, epsg_of, spatial_reference
from .s3 import S3Credentials

ogr.UseExceptions()

# Up to this many polygons, one Statistical API request each (Sentinel Hub bills at least 0.01 PU a request);
# above it one Batch Statistical job (at least 100 PU, reference §1.6), which also spares hundreds of calls.
SYNCHRONOUS_LIMIT = 100
FEATURES_LAYER = "fields"  # of the features GeoPackage and of the results GeoPackage
STATISTICS_TABLE = "statistics"
IDENTIFIER = "identifier"
LATEST_INTERVAL = "latest_interval"
ERROR = "error"


class FieldStatisticsError(ValueError):
    """Input that cannot be sent; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class FieldPolygon:
    fid: int  # the feature id in the GeoPackage: the name of its result file (`<fid>.json`)
    identifier: str
    wkt: str  # in the request CRS


@dataclass(frozen=True)
class FieldStatisticsOptions:
    evalscript: str
    time_from: datetime
    time_to: datetime
    collection: str = "sentinel-2-l2a"
    interval: str = "P1D"
    last_interval_behavior: str = "SHORTEN"
    resolution: float = 10.0  # in units of the polygons' CRS
    percentiles: tuple[float, ...] = ()
    histogram_bins: int = 0  # 0: no histogram
    histogram_low: Optional[float] = None  # None: the band's minimum (Sentinel Hub's default)
    histogram_high: Optional[float] = None
    max_cloud_coverage: Optional[float] = None
    mosaicking_order: str = "leastCC"

    def aggregation(self) -> Aggregation:
        resolution = self.resolution
        return Aggregation(
            self.time_from, self.time_to, self.interval, self.evalscript, self.last_interval_behavior,
            resx=resolution, resy=resolution,
        )  # fmt: skip

    def calculations(self) -> dict:
        """`calculations.default` for every output and band; {} when only the basic statistics are wanted."""
        default: dict[str, Any] = {}
        if self.percentiles:
            default["statistics"] = {"default": {"percentiles": {"k": list(self.percentiles)}}}
        if self.histogram_bins > 0:
            histogram: dict[str, Any] = {"nBins": self.histogram_bins}
            if self.histogram_low is not None:
                histogram["lowEdge"] = self.histogram_low
            if self.histogram_high is not None:
                histogram["highEdge"] = self.histogram_high
            default["histograms"] = {"default": histogram}
        return {"default": default} if default else {}

    def data_input(self) -> DataInput:
        return DataInput(
            type=self.collection,
            max_cloud_coverage=self.max_cloud_coverage,
            mosaicking_order=self.mosaicking_order,
        )


@dataclass(frozen=True)
class StatisticsRow:
    """One output band of one field in one interval, or (no interval, output or band) a failure."""

    fid: int
    identifier: str
    interval_from: str
    interval_to: str
    output: str
    band: str
    mean: Optional[float]
    min: Optional[float]
    max: Optional[float]
    st_dev: Optional[float]
    sample_count: int
    no_data_count: int
    percentiles: dict[str, float] = field(default_factory=dict)
    histogram: Optional[dict] = None
    error: Optional[str] = None


# --- checks ------------------------------------------------------------------------------------------------


def check_options(options: FieldStatisticsOptions) -> None:
    """Refuse what the service would refuse, before any request: intervals, resolution, percentiles, histogram
    and an evalscript without a one-band `dataMask` output. Raises FieldStatisticsError."""
    try:
        options.aggregation().intervals()
    except PayloadError as exc:
        raise FieldStatisticsError(str(exc)) from None
    if not options.resolution > 0:
        raise FieldStatisticsError(
            f"The resolution must be a positive number of CRS units (got {options.resolution})."
        )
    wrong = [k for k in options.percentiles if not 0 <= k <= 100]
    if wrong:
        raise FieldStatisticsError(f"Percentiles are from 0 to 100: {', '.join(map(str, wrong))} is not.")
    low, high = options.histogram_low, options.histogram_high
    if options.histogram_bins < 0 or (low is not None and high is not None and low >= high):
        raise FieldStatisticsError(
            "A histogram needs a positive number of bins and a low edge below its high edge."
        )
    check_data_mask(options.evalscript)


def check_data_mask(evalscript: str) -> None:
    """The evalscript returns a `dataMask` output of one band (V8 reads its setup())."""
    from .evalscript import EvalscriptProblem, inspect_evalscript

    try:
        info = inspect_evalscript(evalscript)
    except EvalscriptProblem as exc:
        raise FieldStatisticsError(f"The evalscript cannot be used: {exc}") from None
    masks = [output for output in info.outputs if output.id == DATA_MASK]
    if not masks or masks[0].bands != 1:
        raise FieldStatisticsError(
            "The evalscript has no dataMask output with one band: statistics need it to tell pixels with data "
            'from those without. Add {id: "dataMask", bands: 1} to setup().output and return '
            "dataMask: [sample.dataMask] from evaluatePixel, or pick the NDVI or NDWI preset."
        )


def check_polygons(polygons: Sequence[FieldPolygon], crs_authid: str) -> None:
    """Some polygons, not more than a batch statistical job takes, each with its own positive fid, in a CRS
    with an EPSG code. Raises FieldStatisticsError."""
    if not polygons:
        raise FieldStatisticsError("There are no polygons: select some fields, or clear 'selected only'.")
    if len(polygons) > MAX_STATISTICAL_FEATURES:
        raise FieldStatisticsError(
            f"{len(polygons):,} polygons are more than the {MAX_STATISTICAL_FEATURES:,} one batch statistical job "
            "takes: split the layer (select part of it) and run each part on its own."
        )
    fids = [polygon.fid for polygon in polygons]
    if min(fids) < 1 or len(set(fids)) != len(fids):
        raise FieldStatisticsError(
            "Each polygon needs its own feature id of 1 or more (it names the polygon's result file)."
        )
    request_crs(crs_authid)


def request_crs(crs_authid: str) -> str:
    """The API's CRS URL for 'EPSG:xxxx' (or any CRS with an EPSG code)."""
    try:
        epsg = epsg_of(crs_authid) if crs_authid else None
    except (CrsError, RuntimeError):  # RuntimeError: GDAL cannot identify it (a local CRS)
        epsg = None
    if epsg is None:
        raise FieldStatisticsError(
            f"The polygons' CRS ({crs_authid or 'unknown'}) has no EPSG code: set the layer's CRS (Layer "
            "Properties → Source), or reproject the layer to a projected CRS in metres such as its UTM zone."
        )
    return crs_url(epsg)


# --- requests ----------------------------------------------------------------------------------------------


def statistical_request_body(polygon: FieldPolygon, crs_authid: str, options: FieldStatisticsOptions) -> dict:
    """A Statistical API request (`POST /api/v1/statistics`) for one polygon."""
    shape = shapely.from_wkt(polygon.wkt)
    geometry = json.loads(shapely.to_geojson(shape))
    # the bbox grown to whole pixels from the CRS's origin: the grid a batch statistical job puts the polygon on,
    # so that a field's numbers do not depend on how many fields were sent with it
    bbox = snapped_bounds(shape.bounds, options.resolution, options.resolution)
    body: dict[str, Any] = {
        "input": {
            "bounds": {
                "bbox": list(bbox),
                "geometry": geometry,
                "properties": {"crs": request_crs(crs_authid)},
            },
            "data": [options.data_input().to_api()],
        },
        "aggregation": options.aggregation().to_api(),
    }
    calculations = options.calculations()
    if calculations:
        body["calculations"] = calculations
    return body


def batch_statistical_request(
    features_url: str,
    output_url: str,
    options: FieldStatisticsOptions,
    features_credentials: Optional[S3Credentials] = None,
    output_credentials: Optional[S3Credentials] = None,
) -> BatchStatisticalRequest:
    """A Batch Statistical API request: the polygons of the GeoPackage at `features_url`, results under
    `output_url`; resx/resy are in the GeoPackage's CRS."""
    data = (options.data_input(),)
    return BatchStatisticalRequest(
        features_url, data, options.aggregation(), output_url, options.calculations(),
        features_credentials, output_credentials,
    )  # fmt: skip


# --- GeoPackages -------------------------------------------------------------------------------------------


def write_features_geopackage(polygons: Sequence[FieldPolygon], crs_authid: str, path: Path) -> Path:
    """The input of a batch statistical job (reference §1.3): layer "fields", the FID (column `id`) of each
    polygon its `fid`, a string column `identifier`, multipolygons in one CRS."""
    path = Path(path)
    source = _new_geopackage(path)
    layer = source.CreateLayer(FEATURES_LAYER, spatial_reference(crs_authid), ogr.wkbMultiPolygon, ["FID=id"])
    layer.CreateField(ogr.FieldDefn(IDENTIFIER, ogr.OFTString))
    _add_polygons(layer, polygons, {})
    source = None  # closes the file (DataSource.Close is GDAL 3.8+)
    return path


def write_results_geopackage(
    path: Path, polygons: Sequence[FieldPolygon], crs_authid: str, rows: Iterable[StatisticsRow]
) -> Path:
    """Layer "fields": each polygon with its fid, identifier, the latest interval with data and that
    interval's mean per output and band (`<output>_<band>_mean`), and the error of a failed field; table
    "statistics": one record per row."""
    rows = list(rows)
    latest = latest_means(rows)
    columns = sorted({key for means in latest.values() for key in means[1]})
    errors = {row.fid: row.error for row in rows if row.error and not row.interval_from}
    path = Path(path)
    source = _new_geopackage(path)
    fields = source.CreateLayer(FEATURES_LAYER, spatial_reference(crs_authid), ogr.wkbMultiPolygon)
    fields.CreateField(ogr.FieldDefn(IDENTIFIER, ogr.OFTString))
    fields.CreateField(ogr.FieldDefn(LATEST_INTERVAL, ogr.OFTString))
    for column in columns:
        fields.CreateField(ogr.FieldDefn(column, ogr.OFTReal))
    fields.CreateField(ogr.FieldDefn(ERROR, ogr.OFTString))
    attributes = {}
    for fid, (interval, means) in latest.items():
        attributes[fid] = {LATEST_INTERVAL: interval, **means}
    for fid, error in errors.items():
        attributes.setdefault(fid, {})[ERROR] = error
    _add_polygons(fields, polygons, attributes)
    _write_statistics_table(source, rows)
    source = None
    return path


def latest_means(rows: Iterable[StatisticsRow]) -> dict[int, tuple[str, dict[str, float]]]:
    """Per fid: the start of the latest interval with a mean, and each output band's mean in it."""
    latest: dict[int, tuple[str, dict[str, float]]] = {}
    for row in rows:
        if row.mean is None or not row.interval_from:
            continue
        interval, means = latest.get(row.fid, ("", {}))
        if row.interval_from > interval:
            interval, means = row.interval_from, {}
        if row.interval_from == interval:
            means[mean_column(row.output, row.band)] = row.mean
            latest[row.fid] = (interval, means)
    return latest


def mean_column(output: str, band: str) -> str:
    return f"{output}_{band}_mean"


_TABLE_COLUMNS = (
    ("fid", ogr.OFTInteger64),
    (IDENTIFIER, ogr.OFTString),
    ("interval_from", ogr.OFTString),
    ("interval_to", ogr.OFTString),
    ("output", ogr.OFTString),
    ("band", ogr.OFTString),
    ("mean", ogr.OFTReal),
    ("min", ogr.OFTReal),
    ("max", ogr.OFTReal),
    ("st_dev", ogr.OFTReal),
    ("sample_count", ogr.OFTInteger64),
    ("no_data_count", ogr.OFTInteger64),
    ("percentiles", ogr.OFTString),
    ("histogram", ogr.OFTString),
    (ERROR, ogr.OFTString),
)


def _write_statistics_table(source, rows: list[StatisticsRow]) -> None:
    # its own FID column, so "fid" can be the field's id
    table = source.CreateLayer(STATISTICS_TABLE, None, ogr.wkbNone, ["FID=statistic_id"])
    for name, kind in _TABLE_COLUMNS:
        table.CreateField(ogr.FieldDefn(name, kind))
    table.StartTransaction()
    for row in rows:
        feature = ogr.Feature(table.GetLayerDefn())
        values = {
            **{name: getattr(row, name) for name, _ in _TABLE_COLUMNS},
            "percentiles": json.dumps(row.percentiles),
            "histogram": json.dumps(row.histogram) if row.histogram is not None else None,
        }
        for name, value in values.items():
            if value is not None:
                feature.SetField(name, value)
        table.CreateFeature(feature)
    table.CommitTransaction()


def read_statistics_table(path: Path, fid: int) -> list[StatisticsRow]:
    """The rows of one field, ordered by interval, then output and band (for the chart)."""
    source = ogr.Open(str(path))
    if source is None or source.GetLayerByName(STATISTICS_TABLE) is None:
        raise FieldStatisticsError(
            f"{path} is not a field statistics GeoPackage: it has no statistics table."
        )
    table = source.GetLayerByName(STATISTICS_TABLE)
    table.SetAttributeFilter(f"fid = {int(fid)}")
    rows = []
    for feature in table:
        values = {name: feature.GetField(name) for name, _ in _TABLE_COLUMNS}
        values["percentiles"] = json.loads(values["percentiles"] or "{}")
        values["histogram"] = json.loads(values["histogram"]) if values["histogram"] else None
        for name in ("identifier", "interval_from", "interval_to", "output", "band"):
            values[name] = values[name] or ""
        rows.append(StatisticsRow(**values))
    source = None
    return sorted(rows, key=lambda row: (row.interval_from, row.output, row.band))


def _new_geopackage(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    driver = ogr.GetDriverByName("GPKG")
    if path.exists():
        driver.DeleteDataSource(str(path))
    return driver.CreateDataSource(str(path))


def _add_polygons(layer, polygons: Sequence[FieldPolygon], attributes: dict[int, dict]) -> None:
    layer.StartTransaction()
    for polygon in polygons:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetFID(polygon.fid)
        feature.SetField(IDENTIFIER, polygon.identifier)
        for name, value in attributes.get(polygon.fid, {}).items():
            feature.SetField(name, value)
        feature.SetGeometry(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkt(polygon.wkt)))
        layer.CreateFeature(feature)
    layer.CommitTransaction()


# --- responses ---------------------------------------------------------------------------------------------


def rows_from_response(fid: int, identifier: str, response: dict) -> list[StatisticsRow]:
    """The rows of a Statistical API response (`{"data": [...], "status": ...}`): one per interval, output and
    band; an interval that failed is a row with its error; a response FAILED as a whole, one error row."""
    if not isinstance(response, dict):
        return [failure_row(fid, identifier, "The service answered without statistics.")]
    data = response.get("data")
    if response.get("status") == "FAILED" or not isinstance(data, list):
        return [failure_row(fid, identifier, f"The statistics failed (status {response.get('status')}).")]
    rows = []
    for entry in data:
        interval = entry.get("interval") or {}
        start, end = str(interval.get("from", "")), str(interval.get("to", ""))
        if "error" in entry:
            rows.append(
                StatisticsRow(
                    fid,
                    identifier,
                    start,
                    end,
                    "",
                    "",
                    None,
                    None,
                    None,
                    None,
                    0,
                    0,
                    error=error_text(entry["error"]),
                )  # fmt: skip
            )
            continue
        for output, output_body in sorted((entry.get("outputs") or {}).items()):
            for band, band_body in sorted((output_body.get("bands") or {}).items()):
                rows.append(_band_row(fid, identifier, start, end, output, band, band_body))
    return rows


def rows_from_feature_result(document: dict) -> list[StatisticsRow]:
    """The rows of one per-feature JSON of a batch statistical job (`{id, identifier, response | error}`)."""
    fid = int(document["id"])
    identifier = "" if document.get(IDENTIFIER) is None else str(document[IDENTIFIER])
    if document.get("error") is not None:
        return [failure_row(fid, identifier, error_text(document["error"]))]
    return rows_from_response(fid, identifier, document.get("response"))


def failure_row(fid: int, identifier: str, error: str) -> StatisticsRow:
    """A field whose statistics failed as a whole (no interval, output or band)."""
    return StatisticsRow(fid, identifier, "", "", "", "", None, None, None, None, 0, 0, error=error)


def failed_features(rows: Iterable[StatisticsRow]) -> list[tuple[int, str]]:
    """(fid, error) of each field that failed as a whole."""
    return [(row.fid, row.error) for row in rows if row.error and not row.interval_from]


def error_text(error: Any) -> str:
    """`{"type": ..., "message": ...}` (or a bare string, as one sentinelhub-py fixture has it) as a line."""
    if isinstance(error, dict):
        parts = [str(error[key]) for key in ("type", "message") if error.get(key)]
        return ": ".join(parts) or "unknown error"
    return str(error)


def _band_row(
    fid: int, identifier: str, start: str, end: str, output: str, band: str, body: dict
) -> StatisticsRow:
    stats = body.get("stats") or {}
    percentiles = {
        str(key): value
        for key, value in ((key, _number(value)) for key, value in (stats.get("percentiles") or {}).items())
        if value is not None
    }
    mean, low, high, st_dev = (_number(stats.get(key)) for key in ("mean", "min", "max", "stDev"))
    counts = int(stats.get("sampleCount") or 0), int(stats.get("noDataCount") or 0)
    return StatisticsRow(
        fid, identifier, start, end, output, band, mean, low, high, st_dev, *counts, percentiles,
        body.get("histogram"),
    )  # fmt: skip


def _number(value: Any) -> Optional[float]:
    """A statistic as a float; "NaN" (all samples no data) and anything not a number as None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return None if math.isnan(number) or math.isinf(number) else number
