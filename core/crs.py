"""Coordinate transforms for shapely geometries through GDAL's `osr` (Qt-free).

GDAL is the one QGIS links, so the plugin and the engine share one PROJ. All
coordinates are in "traditional GIS order" (x = easting or longitude).
"""

from __future__ import annotations

import threading
from typing import Union

import numpy as np
import shapely
from osgeo import osr

osr.UseExceptions()

CrsLike = Union[int, str]
WGS84 = 4326
_CRS84_NAMES = ("OGC:CRS84", "CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84")

# osr objects are not thread-safe: each thread (QgsTask, engine worker) keeps its own.
_per_thread = threading.local()


class CrsError(ValueError):
    """A CRS that GDAL cannot interpret."""


def _cache(name: str) -> dict:
    cache = getattr(_per_thread, name, None)
    if cache is None:
        cache = {}
        setattr(_per_thread, name, cache)
    return cache


def spatial_reference(crs: CrsLike) -> osr.SpatialReference:
    """An osr.SpatialReference from an EPSG code, 'EPSG:xxxx', 'OGC:CRS84', WKT or PROJ string."""
    cache = _cache("references")
    if crs in cache:
        return cache[crs]
    srs = osr.SpatialReference()
    try:
        if isinstance(crs, int):
            srs.ImportFromEPSG(crs)
        elif crs.strip().upper() in _CRS84_NAMES:
            srs.ImportFromEPSG(WGS84)
        else:
            srs.SetFromUserInput(crs.strip())
    except (RuntimeError, AttributeError) as exc:
        raise CrsError(
            f"Unknown coordinate reference system {crs!r}: give an EPSG code such as 'EPSG:4326'"
        ) from exc
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    cache[crs] = srs
    return srs


def epsg_of(crs: CrsLike) -> int | None:
    """The EPSG code of a CRS, or None when it has none."""
    srs = spatial_reference(crs).Clone()
    srs.AutoIdentifyEPSG()
    code = srs.GetAuthorityCode(None)
    return int(code) if code and code.isdigit() else None


def is_geographic(crs: CrsLike) -> bool:
    return bool(spatial_reference(crs).IsGeographic())


def _transformation(src: CrsLike, dst: CrsLike) -> osr.CoordinateTransformation:
    cache = _cache("transformations")
    key = (src, dst)
    if key not in cache:
        cache[key] = osr.CoordinateTransformation(spatial_reference(src), spatial_reference(dst))
    return cache[key]


def transform_points(xy: np.ndarray, src: CrsLike, dst: CrsLike) -> np.ndarray:
    """Transform an (N, 2) array of points; returns a new (N, 2) float64 array."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if src == dst or len(xy) == 0:
        return xy.copy()
    out = np.asarray(_transformation(src, dst).TransformPoints(xy), dtype=float)
    return out[:, :2]


def transform_geometry(geometry: shapely.Geometry, src: CrsLike, dst: CrsLike) -> shapely.Geometry:
    """Transform every vertex of a geometry (densify first where edges are long)."""
    if src == dst:
        return geometry
    return shapely.transform(geometry, lambda xy: transform_points(xy, src, dst))
