"""The polygons of a batch statistical request: read from its GeoPackage at creation, grouped at analysis.

Reference §1.3: polygons in one CRS, at most 700,000, named by their FID; an optional `identifier` (text)
column is copied into each result. A group is a set of nearby features whose pixels one evaluation per
interval computes: each scene window is read once per group, not once per feature.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from osgeo import ogr

from ..core.batch_models.statistical import MAX_STATISTICAL_FEATURES, snapped_bounds
from ..core.s3 import S3Credentials
from .features import FeatureError, epsg_code, geopackage, layer_epsg
from .store import StatisticalFeature

GROUP_CELL_PX = 512  # features whose centres share a cell of this many pixels a side are one group
MAX_GROUP_FEATURES = 400  # and at most this many: a group's JSONs are written together
MAX_FEATURE_PX = 2500  # a feature's bounding box, per side at resx/resy (the Statistical API's limit)


@dataclass(frozen=True)
class FeatureLayer:
    epsg: int
    features: list[StatisticalFeature]


def read_statistical_features(
    url: str,
    output_root: Path,
    s3_endpoint_url: Optional[str],
    credentials: Optional[S3Credentials],
    limit: int = MAX_STATISTICAL_FEATURES,
) -> FeatureLayer:
    """The GeoPackage's polygons, or FeatureError saying what is wrong with it and how to fix it."""
    with geopackage(url, output_root, s3_endpoint_url, credentials) as source:
        layers = [layer for layer in source if layer.GetGeomType() != ogr.wkbNone]
        if not layers:
            raise FeatureError("The GeoPackage has no table with geometries: add a polygon layer.")
        if len(layers) > 1:
            described = ", ".join(f"{layer.GetName()!r} ({_crs_name(layer)})" for layer in layers)
            several_crs = len({_crs_name(layer) for layer in layers}) > 1
            raise FeatureError(
                f"The GeoPackage has {len(layers)} tables with geometries ({described})"
                + (", in several CRSs" if several_crs else "")
                + ": put all polygons into one table in one CRS (results are named by feature id, which is only "
                "unique within a table)."
            )
        layer = layers[0]
        table = layer.GetName()
        epsg = layer_epsg(layer, table)
        count = layer.GetFeatureCount()
        if count > limit:
            raise FeatureError(
                f"The GeoPackage has {count:,} features, more than the {limit:,} a batch statistical request "
                "may hold: split it into several requests."
            )
        definition = layer.GetLayerDefn()
        names = [definition.GetFieldDefn(i).GetName() for i in range(definition.GetFieldCount())]
        identifier_field = next((name for name in names if name.lower() == "identifier"), None)
        features = [_feature(feature, table, identifier_field) for feature in layer]
        if not features:
            raise FeatureError(f"Table {table!r} of the GeoPackage has no features: add the polygons.")
        return FeatureLayer(epsg, features)


def _crs_name(layer: ogr.Layer) -> str:
    srs = layer.GetSpatialRef()
    if srs is None:
        return "no CRS"
    code = epsg_code(srs)
    return f"EPSG:{code}" if code else srs.GetName()


def _feature(feature: ogr.Feature, table: str, identifier_field: Optional[str]) -> StatisticalFeature:
    fid = feature.GetFID()
    identifier = None
    if identifier_field is not None and feature.IsFieldSetAndNotNull(identifier_field):
        identifier = str(feature.GetField(identifier_field))
    where = f"Feature {fid} of table {table!r}" + (f" ({identifier!r})" if identifier else "")
    geometry = feature.GetGeometryRef()
    if geometry is None or geometry.IsEmpty():
        raise FeatureError(f"{where} has no geometry: give it a polygon or remove it.")
    if ogr.GT_Flatten(geometry.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
        raise FeatureError(
            f"{where} is a {ogr.GeometryTypeToName(geometry.GetGeometryType())}, not a polygon: statistics are "
            "computed over polygons only (buffer points and lines into polygons first)."
        )
    x0, x1, y0, y1 = geometry.GetEnvelope()
    flat = geometry.Clone()
    flat.FlattenTo2D()
    return StatisticalFeature(fid, identifier, (x0, y0, x1, y1), bytes(flat.ExportToWkb()))


def pixel_size(bounds: tuple[float, float, float, float], resx: float, resy: float) -> tuple[int, int]:
    x0, y0, x1, y1 = bounds
    return max(1, round((x1 - x0) / resx)), max(1, round((y1 - y0) / resy))


def group_features(
    features: Sequence[StatisticalFeature], resx: float, resy: float
) -> dict[int, list[StatisticalFeature]]:
    """Group number (1, 2, …) → its features: nearby features (centres in one cell of GROUP_CELL_PX pixels)
    together, up to MAX_GROUP_FEATURES; a feature larger than a cell alone, so that no group's grid exceeds
    about two cells a side."""
    cell_x, cell_y = GROUP_CELL_PX * resx, GROUP_CELL_PX * resy
    cells: dict[tuple[int, int], list[StatisticalFeature]] = defaultdict(list)
    alone: list[StatisticalFeature] = []
    for feature in features:
        x0, y0, x1, y1 = feature.bounds
        if x1 - x0 > cell_x or y1 - y0 > cell_y:
            alone.append(feature)
            continue
        cells[(math.floor((x0 + x1) / 2 / cell_x), math.floor((y0 + y1) / 2 / cell_y))].append(feature)
    groups: list[list[StatisticalFeature]] = []
    for key in sorted(cells):  # row by row of cells: neighbouring groups run close in time
        members = sorted(cells[key], key=lambda f: f.fid)
        groups += [members[i : i + MAX_GROUP_FEATURES] for i in range(0, len(members), MAX_GROUP_FEATURES)]
    groups += [[feature] for feature in sorted(alone, key=lambda f: f.fid)]
    return {number: members for number, members in enumerate(groups, start=1)}


def group_bounds(
    features: Sequence[StatisticalFeature], resx: float, resy: float
) -> tuple[float, float, float, float]:
    x0 = min(f.bounds[0] for f in features)
    y0 = min(f.bounds[1] for f in features)
    x1 = max(f.bounds[2] for f in features)
    y1 = max(f.bounds[3] for f in features)
    return snapped_bounds((x0, y0, x1, y1), resx, resy)
