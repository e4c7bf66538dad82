"""v2 GeoPackage input: every feature of a GeoPackage becomes one output raster (a "tile" of the job).

Reference §1.6: one or more feature tables with `id` (the primary key), `identifier` (unique across
tables), a polygon geometry in any EPSG CRS, and `width`/`height` or `resolution` (or defaults from
the request); at most 3500 px a side and 700,000 features. The output raster covers the feature's
bounding box in its own CRS.
"""

from __future__ import annotations

import math
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator, Optional

import shapely
import shapely.geometry
from osgeo import ogr, osr

from ..core.batch_models import FEATURE_MAX_PX, GeoPackageInput
from ..core.output_paths import UnsafeNameError, check_safe_name
from ..core.s3 import S3Credentials
from .output.delivery import DeliveryError, delivery_for
from .store import TileRecord

ogr.UseExceptions()
MAX_FEATURES = 700_000


class FeatureError(ValueError):
    """The GeoPackage cannot be used; the message says which feature or table and how to fix it."""


def read_features(
    request_id: str,
    features: GeoPackageInput,
    output_root: Path,
    s3_endpoint_url: Optional[str],
    credentials: Optional[S3Credentials],
    area_wgs84: Optional[shapely.Geometry] = None,
    max_features: int = MAX_FEATURES,
) -> list[TileRecord]:
    """The features as tiles; only those meeting `area_wgs84` when it is given (they are kept whole)."""
    with geopackage(features.url, output_root, s3_endpoint_url, credentials) as source:
        return _tiles(request_id, source, features, area_wgs84, min(max_features, MAX_FEATURES))


@contextmanager
def geopackage(
    url: str, output_root: Path, s3_endpoint_url: Optional[str], credentials: Optional[S3Credentials]
) -> Iterator[ogr.DataSource]:
    """The GeoPackage at `url` (s3:// or file:// under the output root), copied here and opened with OGR."""
    with tempfile.TemporaryDirectory(prefix="tilewise-gpkg-") as scratch:
        local = Path(scratch) / "features.gpkg"
        try:
            delivery_for(url.rsplit("/", 1)[0], output_root, s3_endpoint_url, credentials).get_file(
                url, local
            )
        except DeliveryError as exc:
            raise FeatureError(f"Cannot read the GeoPackage {url}: {exc}") from None
        try:
            source = ogr.Open(str(local))
        except RuntimeError as exc:
            raise FeatureError(f"The input file is not a GeoPackage OGR can read: {exc}") from None
        if source is None or source.GetDriver().GetName() != "GPKG":
            raise FeatureError("The input file is not a GeoPackage: write it with the GPKG driver.")
        try:
            yield source
        finally:
            source = None  # closed before the scratch folder goes


def _tiles(
    request_id: str,
    source: ogr.DataSource,
    defaults: GeoPackageInput,
    area: Optional[shapely.Geometry],
    limit: int,
) -> list[TileRecord]:
    tiles: list[TileRecord] = []
    identifiers: dict[str, str] = {}
    ids: dict[int, str] = {}
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    for layer in source:
        table = layer.GetName()
        if layer.GetGeomType() == ogr.wkbNone:
            continue  # an attribute table
        epsg = layer_epsg(layer, table)
        definition = layer.GetLayerDefn()
        fields = {definition.GetFieldDefn(i).GetName().lower() for i in range(definition.GetFieldCount())}
        if "identifier" not in fields:
            raise FeatureError(f"Table {table!r} has no 'identifier' column: add a unique TEXT identifier.")
        to_wgs84 = osr.CoordinateTransformation(layer.GetSpatialRef(), wgs84)
        for feature in layer:
            fid = feature.GetFID()
            identifier = feature.GetField("identifier")
            where = f"feature {fid} of table {table!r}"
            if not identifier:
                raise FeatureError(f"The identifier of {where} is empty: every feature needs one.")
            try:  # it names the feature's output files (<tileName>)
                check_safe_name(identifier, f"The identifier of {where}")
            except UnsafeNameError as exc:
                raise FeatureError(str(exc)) from None
            if identifier in identifiers:
                raise FeatureError(
                    f"Identifier {identifier!r} is used twice ({identifiers[identifier]} and {where}): "
                    "identifiers must be unique across all tables."
                )
            if fid in ids:
                raise FeatureError(
                    f"Feature id {fid} is used twice ({ids[fid]} and {where}): ids must be unique."
                )
            geometry = feature.GetGeometryRef()
            if geometry is None or geometry.IsEmpty():
                raise FeatureError(f"{where} ({identifier!r}) has no geometry.")
            if ogr.GT_Flatten(geometry.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
                raise FeatureError(f"{where} ({identifier!r}) is not a polygon or multipolygon.")
            footprint = geometry.Clone()
            footprint.Transform(to_wgs84)
            outline = shapely.from_wkb(bytes(footprint.ExportToWkb()))
            if area is not None and not outline.intersects(area):
                continue
            x0, x1, y0, y1 = geometry.GetEnvelope()
            width, height = _size(feature, fields, (x0, y0, x1, y1), defaults, f"{where} ({identifier!r})")
            identifiers[identifier] = where
            ids[fid] = where
            tiles.append(
                TileRecord(
                    request_id=request_id,
                    id=fid,
                    name=identifier,
                    epsg=epsg,
                    bounds=(x0, y0, x1, y1),
                    geometry=shapely.geometry.mapping(outline),
                    width=width,
                    height=height,
                )
            )
            if len(tiles) > limit:
                raise FeatureError(f"The GeoPackage has more than {limit:,} features: split the job.")
    if not tiles:
        raise FeatureError(
            "The GeoPackage has no polygon feature"
            + (" within processRequest.input.bounds." if area is not None else ".")
        )
    return tiles


def epsg_code(srs: osr.SpatialReference) -> Optional[str]:
    """The CRS's EPSG code, identified if the file does not name it; None for another CRS."""
    with suppress(RuntimeError):  # raised instead of returned when GDAL exceptions are on
        srs.AutoIdentifyEPSG()
    return srs.GetAuthorityCode(None)


def layer_epsg(layer: ogr.Layer, table: str) -> int:
    srs = layer.GetSpatialRef()
    if srs is None:
        raise FeatureError(f"Table {table!r} has no CRS: give its geometry column an EPSG CRS.")
    code = epsg_code(srs)
    if not code or not code.isdigit():
        raise FeatureError(f"The CRS of table {table!r} is not an EPSG CRS: reproject it to one.")
    return int(code)


def _size(feature, fields: set[str], bounds, defaults: GeoPackageInput, where: str) -> tuple[int, int]:
    """width/height win over resolution; the feature's own values win over input.defaults."""

    def value(name: str):
        return feature.GetField(name) if name in fields and feature.IsFieldSetAndNotNull(name) else None

    x0, y0, x1, y1 = bounds
    width, height, resolution = value("width"), value("height"), value("resolution")
    if width is None or height is None:
        width, height = defaults.default_width, defaults.default_height
        if value("resolution") is not None or width is None:
            resolution = resolution if resolution is not None else defaults.default_resolution
            if resolution is None:
                raise FeatureError(
                    f"{where} has neither width and height nor resolution, and input.defaults gives none: add "
                    "them to the table or to input.defaults."
                )
            if resolution <= 0:
                raise FeatureError(f"{where} has a resolution of {resolution}: it must be positive.")
            width = max(1, math.ceil((x1 - x0) / resolution - 1e-9))
            height = max(1, math.ceil((y1 - y0) / resolution - 1e-9))
    width, height = int(width), int(height)
    if width < 1 or height < 1:
        raise FeatureError(f"{where} has a size of {width} x {height} px: both must be at least 1.")
    if max(width, height) > FEATURE_MAX_PX:
        raise FeatureError(
            f"{where} would be {width} x {height} px, over the limit of {FEATURE_MAX_PX} px a side: split the "
            "feature or use a coarser resolution."
        )
    return width, height
