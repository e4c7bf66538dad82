"""The area of a batch job: validated, repaired, dissolved and in WGS84 (Qt-free).

Whatever CRS the user's polygons are in, the grids work from one geometry in
longitude/latitude. An area that crosses the antimeridian is kept "unwrapped"
(longitudes may run past 180) so that it stays one piece; `normalized()` gives
it back split at ±180.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import shapely
from shapely.affinity import translate

from .crs import WGS84, CrsLike, is_geographic, transform_geometry

# When two standard repairs of an invalid polygon disagree by more than this share
# of its area, the user's intent is unclear and we refuse rather than guess.
AMBIGUOUS_REPAIR_SHARE = 0.01


class AreaError(ValueError):
    """An area that cannot be tiled; the message says how to fix it."""


@dataclass(frozen=True)
class AreaOfInterest:
    geometry: shapely.Geometry  # (Multi)Polygon, lon/lat, possibly unwrapped past 180
    feature_count: int = 1
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def from_geometries(cls, geometries: Iterable[shapely.Geometry], crs: CrsLike) -> AreaOfInterest:
        """Check, repair, reproject and dissolve the user's polygons."""
        polygons, repaired, empty = [], 0, 0
        for index, geometry in enumerate(geometries, start=1):
            if geometry is None or geometry.is_empty:
                empty += 1
                continue
            if not isinstance(geometry, (shapely.Polygon, shapely.MultiPolygon)):
                raise AreaError(
                    f"Feature {index} is a {geometry.geom_type}: batch jobs need polygons. "
                    "Select features of a polygon layer."
                )
            if not geometry.is_valid:
                geometry = _repair(geometry, index)
                repaired += 1
            polygons.append(geometry)
        if not polygons:
            raise AreaError(
                "The selection has no polygon with an area: select at least one non-empty polygon."
            )
        lonlat = [_unwrap(_to_wgs84(p, crs)) for p in polygons]
        merged = shapely.union_all(lonlat)
        if not isinstance(merged, (shapely.Polygon, shapely.MultiPolygon)):
            merged = shapely.union_all([g for g in shapely.get_parts(merged) if g.area > 0])
        if merged.is_empty or merged.area == 0:
            raise AreaError("The selected polygons have no area: select polygons that enclose an area.")
        warnings = []
        if repaired:
            warnings.append(f"{repaired} invalid geometr{'y was' if repaired == 1 else 'ies were'} repaired.")
        if empty:
            warnings.append(f"{empty} empty geometr{'y was' if empty == 1 else 'ies were'} skipped.")
        return cls(merged, len(polygons), tuple(warnings))

    @classmethod
    def from_wgs84(cls, geometry: shapely.Geometry) -> AreaOfInterest:
        return cls.from_geometries([geometry], WGS84)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.geometry.bounds

    def clip_latitudes(self, south: float, north: float) -> shapely.Geometry:
        minx, miny, maxx, maxy = self.geometry.bounds
        if miny >= north or maxy <= south:
            return shapely.Polygon()
        if miny >= south and maxy <= north:
            return self.geometry
        return shapely.intersection(self.geometry, shapely.box(minx - 1, south, maxx + 1, north))

    def normalized(self) -> shapely.Geometry:
        """The area with longitudes in -180..180 (split at the antimeridian)."""
        if self.geometry.bounds[2] <= 180:
            return self.geometry
        parts = [shapely.intersection(self.geometry, shapely.box(-180, -90, 180, 90))]
        east = shapely.intersection(self.geometry, shapely.box(180, -90, 540, 90))
        if not east.is_empty:
            parts.append(translate(east, xoff=-360))
        return shapely.union_all([p for p in parts if not p.is_empty])

    def area_km2(self) -> float:
        """Area on the ellipsoid, from a Lambert equal-area projection centred on the area."""
        centre = self.geometry.centroid
        laea = f"+proj=laea +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +datum=WGS84 +units=m +no_defs"
        dense = shapely.segmentize(self.geometry, 0.05)
        return transform_geometry(dense, WGS84, laea).area / 1e6


def _repair(geometry: shapely.Geometry, index: int) -> shapely.Geometry:
    made_valid = _polygonal_part(shapely.make_valid(geometry))
    buffered = _polygonal_part(shapely.buffer(geometry, 0))
    reference = max(made_valid.area, buffered.area)
    if reference == 0 or abs(made_valid.area - buffered.area) > AMBIGUOUS_REPAIR_SHARE * reference:
        reason = shapely.is_valid_reason(geometry)
        raise AreaError(
            f"Feature {index} has an invalid geometry ({reason}) that cannot be repaired without changing "
            "its area: fix it first (Vector > Geometry Tools > Fix Geometries)."
        )
    return made_valid


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry:
    if isinstance(geometry, (shapely.Polygon, shapely.MultiPolygon)):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, (shapely.Polygon, shapely.MultiPolygon))]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _to_wgs84(geometry: shapely.Geometry, crs: CrsLike) -> shapely.Geometry:
    if is_geographic(crs):
        dense = shapely.segmentize(geometry, 0.05)
    else:
        minx, miny, maxx, maxy = geometry.bounds
        dense = shapely.segmentize(geometry, max(maxx - minx, maxy - miny, 1.0) / 200)
    return transform_geometry(dense, crs, WGS84)


def _unwrap(geometry: shapely.Geometry) -> shapely.Geometry:
    """Polygons spanning more than 180° of longitude are taken to cross the antimeridian."""
    parts = []
    for polygon in shapely.get_parts(geometry):
        minx, _, maxx, _ = polygon.bounds
        if maxx - minx > 180:
            polygon = shapely.transform(polygon, lambda xy: _shift_west_longitudes(xy))
        parts.append(polygon if polygon.is_valid else shapely.make_valid(polygon))
    return shapely.union_all(parts)


def _shift_west_longitudes(xy):
    xy = xy.copy()
    xy[xy[:, 0] < 0, 0] += 360.0
    return xy
