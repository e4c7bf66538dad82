"""Sentinel Hub Batch tiling grids, reproduced deterministically (Qt-free).

Both the plugin (grid preview, job form) and the engine (analysis) use this
module, so a tile has one name and one footprint everywhere. See docs/grids.md
for the layout, naming and how it relates to Sentinel Hub's published files.

Grids 0, 1, 2 (UTM 20/10/100 km) hang off the MGRS 100 km squares: a tile's
origin is the square's north-west corner in the square's UTM zone, `col`
counts east and `row` counts south, and the name is `<MGRS square>_<col>_<row>`.
Grid 3 is the WGS84 1-degree grid, grids 6 and 7 are LAEA (EPSG:3035) grids
aligned to multiples of the tile size, named in the EEA reference-grid style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import shapely
from shapely.affinity import translate

from .area import AreaOfInterest
from .crs import WGS84, transform_points

SQUARE = 100_000.0  # MGRS 100 km square, metres
COLUMN_LETTERS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")  # by (zone - 1) % 3
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"  # cycles every 2000 km; even zones start at F
BAND_LETTERS = "CDEFGHJKLMNPQRSTUVWX"  # 8-degree latitude bands from -80; X spans 72..84
LAEA_EPSG = 3035
# EPSG:3035's area of use (lon/lat): the European grids are defined only there.
LAEA_COVERAGE = (-35.58, 24.60, 44.83, 84.73)
DEFAULT_MAX_TILES = 100_000


class GridError(ValueError):
    """A tiling request that cannot be satisfied; the message says how to fix it."""


class UnknownGridError(GridError):
    pass


class ResolutionNotAllowedError(GridError):
    pass


class OutsideCoverageError(GridError):
    pass


class TooManyTilesError(GridError):
    def __init__(self, message: str, count: int, cap: int):
        super().__init__(message)
        self.count = count
        self.cap = cap


@dataclass(frozen=True)
class TilingGrid:
    """One predefined grid, as `GET /api/v1/batch/tilinggrids` describes it."""

    id: int
    name: str
    tile_size: float  # in `unit`
    resolutions: tuple[float, ...]
    unit: str  # METRE or DEGREE
    kind: str  # utm, wgs84 or laea
    max_latitude: float  # coverage limit, degrees north and south
    coverage_note: str

    def descriptor(self) -> dict:
        """The descriptor exactly as the Batch API returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "properties": {
                "tileWidth": self.tile_size,
                "tileHeight": self.tile_size,
                "resolutions": list(self.resolutions),
                "unit": self.unit,
            },
        }

    @property
    def unit_symbol(self) -> str:
        return "m" if self.unit == "METRE" else "°"

    def check_resolution(self, resolution: float) -> float:
        """The allowed resolution equal to `resolution`, or a clear error."""
        for allowed in self.resolutions:
            if math.isclose(float(resolution), allowed, rel_tol=1e-9, abs_tol=1e-12):
                return allowed
        choices = ", ".join(_format_number(r) for r in self.resolutions)
        raise ResolutionNotAllowedError(
            f"Resolution {_format_number(resolution)} {self.unit_symbol} is not allowed on grid {self.id} "
            f"({self.name}): choose one of {choices} {self.unit_symbol}."
        )

    def tile_pixels(self, resolution: float) -> int:
        """Width (= height) of a tile in pixels at an allowed resolution, buffer excluded."""
        return round(self.tile_size / self.check_resolution(resolution))


def _format_number(value: float) -> str:
    return f"{value:g}"


GRIDS: dict[int, TilingGrid] = {
    grid.id: grid
    for grid in (
        TilingGrid(
            0, "UTM 20km grid", 20040.0, (10.0, 20.0, 30.0, 60.0), "METRE", "utm", 80.7, "latitudes ±80.7°"
        ),
        TilingGrid(1, "UTM 10km grid", 10000.0, (10.0, 20.0), "METRE", "utm", 80.6, "latitudes ±80.6°"),
        TilingGrid(
            2,
            "UTM 100km grid",
            100080.0,
            (30.0, 60.0, 120.0, 240.0, 360.0),
            "METRE",
            "utm",
            81.0,
            "latitudes ±81°",
        ),
        TilingGrid(
            3, "WGS84 1 degree grid", 1.0, (0.0001, 0.0002), "DEGREE", "wgs84", 90.0, "the whole globe"
        ),
        TilingGrid(
            6,
            "LAEA 100km grid",
            100000.0,
            (40.0, 50.0, 100.0),
            "METRE",
            "laea",
            84.73,
            "Europe (EPSG:3035 area)",
        ),
        TilingGrid(
            7, "LAEA 20km grid", 20000.0, (10.0, 20.0), "METRE", "laea", 84.73, "Europe (EPSG:3035 area)"
        ),
    )
}


def get_grid(grid_id: int) -> TilingGrid:
    try:
        return GRIDS[int(grid_id)]
    except (KeyError, ValueError, TypeError):
        known = ", ".join(f"{g.id} ({g.name})" for g in GRIDS.values())
        raise UnknownGridError(f"Unknown tiling grid {grid_id!r}: use one of {known}.") from None


@dataclass(frozen=True)
class GridTile:
    """One tile of a grid at a resolution and buffer."""

    id: int
    name: str
    epsg: int
    bounds: tuple[float, float, float, float]  # native CRS, without buffer (x0, y0, x1, y1)
    buffered_bounds: tuple[float, float, float, float]  # the delivered raster's extent
    width: int  # pixels without buffer (the API's tileWidthPx)
    height: int
    buffered_width: int  # pixels of the delivered raster
    buffered_height: int
    footprint: shapely.Polygon = field(compare=False)  # WGS84, without buffer


@dataclass
class TileSelection:
    """The tiles of a grid that an area needs, and what the user should know about them."""

    grid: TilingGrid
    resolution: float
    buffer_x: int
    buffer_y: int
    tiles: list[GridTile]
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tiles)

    def __iter__(self) -> Iterator[GridTile]:
        return iter(self.tiles)

    @property
    def tile_width(self) -> int:
        return self.grid.tile_pixels(self.resolution)

    @property
    def epsg_codes(self) -> list[int]:
        return sorted({t.epsg for t in self.tiles})


@dataclass
class _Columns:
    """Tiles of one CRS, column-wise, before they become GridTile objects."""

    epsg: int
    ids: np.ndarray
    names: list[str]
    x0: np.ndarray
    y0: np.ndarray
    footprints: np.ndarray  # shapely polygons (WGS84)


def tiles_for_area(
    area: AreaOfInterest,
    grid_id: int,
    resolution: float,
    buffer_x: int = 0,
    buffer_y: int = 0,
    max_tiles: int = DEFAULT_MAX_TILES,
) -> TileSelection:
    """Every tile of the grid whose footprint intersects the area (not just its bounding box).

    Raises GridError subclasses with a message for the user when the grid, the
    resolution, the buffer or the area's coverage or size is not acceptable.
    """
    grid = get_grid(grid_id)
    resolution = grid.check_resolution(resolution)
    for name, value in (("bufferX", buffer_x), ("bufferY", buffer_y)):
        if int(value) != value or value < 0:
            raise GridError(f"{name} must be a whole number of pixels, 0 or more (got {value!r}).")
    warnings: list[str] = []
    if grid.kind == "utm":
        columns = _utm_columns(grid, area, warnings)
    elif grid.kind == "wgs84":
        columns = _wgs84_columns(grid, area)
    else:
        columns = _laea_columns(grid, area, warnings)
    count = sum(len(c.ids) for c in columns)
    if count > max_tiles:
        raise TooManyTilesError(
            f"The area needs {count:,} tiles of grid {grid.id} ({grid.name}), more than the limit of "
            f"{max_tiles:,}: select a smaller area, use a grid with larger tiles, or raise the tile limit.",
            count,
            max_tiles,
        )
    tiles = [
        tile
        for part in columns
        for tile in _build_tiles(part, grid.tile_size, resolution, int(buffer_x), int(buffer_y))
    ]
    return TileSelection(grid, resolution, int(buffer_x), int(buffer_y), tiles, warnings)


def _build_tiles(part: _Columns, size: float, resolution: float, bx: int, by: int) -> Iterator[GridTile]:
    pixels = round(size / resolution)
    dx, dy = bx * resolution, by * resolution
    for tile_id, name, x0, y0, footprint in zip(
        part.ids.tolist(), part.names, part.x0.tolist(), part.y0.tolist(), part.footprints
    ):
        x1, y1 = x0 + size, y0 + size
        yield GridTile(
            id=tile_id,
            name=name,
            epsg=part.epsg,
            bounds=(x0, y0, x1, y1),
            buffered_bounds=(x0 - dx, y0 - dy, x1 + dx, y1 + dy),
            width=pixels,
            height=pixels,
            buffered_width=pixels + 2 * bx,
            buffered_height=pixels + 2 * by,
            footprint=footprint,
        )


# --- UTM grids (0, 1, 2) -------------------------------------------------------------------------


def _utm_columns(grid: TilingGrid, area: AreaOfInterest, warnings: list[str]) -> list[_Columns]:
    limit = grid.max_latitude
    covered = area.clip_latitudes(-limit, limit)
    if covered.is_empty:
        raise OutsideCoverageError(
            f"The area lies outside grid {grid.id} ({grid.name}), which covers {grid.coverage_note}: "
            "use the WGS84 1 degree grid (id 3) for polar areas."
        )
    _warn_if_clipped(area, covered, grid, warnings)
    size = grid.tile_size
    per_side = math.ceil(SQUARE / size)
    minx, _, maxx, _ = covered.bounds  # unwrapped longitudes, may exceed 180
    columns = []
    for strip in range(math.floor((minx + 180) / 6), math.ceil((maxx + 180) / 6)):
        west = -180.0 + 6 * strip
        part = _clip(covered, (west, -90, west + 6, 90))
        if part is None:
            continue
        zone = strip % 60 + 1
        # Bring longitudes of an unwrapped area (beyond 180) back into -180..180 for PROJ.
        part = translate(part, xoff=-360.0 * (strip // 60)) if strip >= 60 else part
        for south in (False, True):
            hemisphere = _clip(part, (-180, -90, 180, 0) if south else (-180, 0, 180, 90))
            if hemisphere is not None:
                columns.append(_utm_zone_tiles(hemisphere, zone, south, size, per_side))
    return [c for c in columns if len(c.ids)]


def _utm_zone_tiles(part_wgs84, zone: int, south: bool, size: float, per_side: int) -> _Columns:
    epsg = (32700 if south else 32600) + zone
    projected = _project(part_wgs84, epsg)
    minx, miny, maxx, maxy = projected.bounds
    span = per_side * size
    # Candidate columns (square e, col c) and rows (square j, row r) overlapping the bounds.
    e, c = _index_pairs(math.floor((minx - span) / SQUARE), math.floor(maxx / SQUARE), per_side)
    x0 = e * SQUARE + c * size
    keep = (x0 + size > minx) & (x0 < maxx)
    e, c, x0 = e[keep], c[keep], x0[keep]
    j, r = _index_pairs(math.floor(miny / SQUARE), math.floor((maxy + span) / SQUARE), per_side)
    y0 = (j + 1) * SQUARE - (r + 1) * size
    keep = (y0 + size > miny) & (y0 < maxy)
    j, r, y0 = j[keep], r[keep], y0[keep]
    # Every (column, row) combination, then the exact intersection test.
    ix, iy = np.meshgrid(np.arange(len(x0)), np.arange(len(y0)), indexing="ij")
    ix, iy = ix.ravel(), iy.ravel()
    boxes = shapely.box(x0[ix], y0[iy], x0[ix] + size, y0[iy] + size)
    shapely.prepare(projected)
    hit = shapely.intersects(projected, boxes)
    ix, iy, boxes = ix[hit], iy[hit], boxes[hit]
    e, c, x0, j, r, y0 = e[ix], c[ix], x0[ix], j[iy], r[iy], y0[iy]

    centres = transform_points(np.column_stack([x0 + size / 2, y0 + size / 2]), epsg, WGS84)
    band_index = np.clip(np.floor((centres[:, 1] + 80) / 8).astype(int), 0, len(BAND_LETTERS) - 1)
    column_letters = COLUMN_LETTERS[(zone - 1) % 3]
    row_offset = 5 if zone % 2 == 0 else 0
    names = [
        f"{zone:02d}{BAND_LETTERS[b]}{column_letters[ee - 1]}{ROW_LETTERS[(jj + row_offset) % 20]}_{cc}_{rr}"
        for b, ee, jj, cc, rr in zip(band_index.tolist(), e.tolist(), j.tolist(), c.tolist(), r.tolist())
    ]
    # Stable numeric id: zone, hemisphere, square indices, column and row (docs/grids.md).
    ids = ((((zone * 2 + int(south)) * 10 + e) * 100 + j) * 100 + c * 10 + r).astype(np.int64)
    central_meridian = -183.0 + 6 * zone
    footprints = _footprints(x0, y0, size, epsg, central_meridian)
    return _Columns(epsg, ids, names, x0.astype(float), y0.astype(float), footprints)


def _index_pairs(first_square: int, last_square: int, per_side: int) -> tuple[np.ndarray, np.ndarray]:
    squares = np.arange(first_square, last_square + 1)
    square, index = np.meshgrid(squares, np.arange(per_side), indexing="ij")
    return square.ravel(), index.ravel()


# --- WGS84 1 degree grid (3) ---------------------------------------------------------------------


def _wgs84_columns(grid: TilingGrid, area: AreaOfInterest) -> list[_Columns]:
    geometry = area.normalized()
    minx, miny, maxx, maxy = geometry.bounds
    lons = np.arange(math.floor(minx), max(math.ceil(maxx), math.floor(minx) + 1))
    lats = np.arange(math.floor(miny), max(math.ceil(maxy), math.floor(miny) + 1))
    lon, lat = (a.ravel() for a in np.meshgrid(lons, lats, indexing="ij"))
    keep = (lon >= -180) & (lon < 180) & (lat >= -90) & (lat < 90)
    lon, lat = lon[keep], lat[keep]
    cells = shapely.box(lon, lat, lon + 1, lat + 1)
    shapely.prepare(geometry)
    hit = shapely.intersects(geometry, cells)
    lon, lat, cells = lon[hit], lat[hit], cells[hit]
    names = [
        f"{'N' if la >= 0 else 'S'}{abs(la):02d}{'E' if lo >= 0 else 'W'}{abs(lo):03d}"
        for lo, la in zip(lon.tolist(), lat.tolist())
    ]
    ids = ((lat + 90) * 360 + (lon + 180)).astype(np.int64)
    return [_Columns(WGS84, ids, names, lon.astype(float), lat.astype(float), cells)] if len(ids) else []


# --- LAEA grids (6, 7) ---------------------------------------------------------------------------


def _laea_columns(grid: TilingGrid, area: AreaOfInterest, warnings: list[str]) -> list[_Columns]:
    geometry = area.normalized()
    covered = _clip(geometry, LAEA_COVERAGE)
    if covered is None:
        raise OutsideCoverageError(
            f"The area lies outside grid {grid.id} ({grid.name}): the LAEA grids cover Europe only "
            f"(longitudes {LAEA_COVERAGE[0]}° to {LAEA_COVERAGE[2]}°, latitudes {LAEA_COVERAGE[1]}° to "
            f"{LAEA_COVERAGE[3]}°). Use a UTM grid (0, 1 or 2) elsewhere."
        )
    _warn_if_clipped(area, covered, grid, warnings)
    size = grid.tile_size
    projected = _project(covered, LAEA_EPSG)
    minx, miny, maxx, maxy = projected.bounds
    xs = np.arange(math.floor(minx / size), math.floor(maxx / size) + 1)
    ys = np.arange(math.floor(miny / size), math.floor(maxy / size) + 1)
    ix, iy = (a.ravel() for a in np.meshgrid(xs, ys, indexing="ij"))
    cells = shapely.box(ix * size, iy * size, (ix + 1) * size, (iy + 1) * size)
    shapely.prepare(projected)
    hit = shapely.intersects(projected, cells)
    ix, iy = ix[hit], iy[hit]
    # EEA reference grid codes: corner coordinates divided by the power of ten of the cell size.
    unit = 10 ** int(math.log10(size))
    label = f"{int(size // 1000)}km"
    names = [
        f"{label}E{int(x * size // unit)}N{int(y * size // unit)}" for x, y in zip(ix.tolist(), iy.tolist())
    ]
    ids = (ix * 10000 + iy).astype(np.int64)
    x0, y0 = ix * size, iy * size
    footprints = _footprints(x0, y0, size, LAEA_EPSG, None)
    return (
        [_Columns(LAEA_EPSG, ids, names, x0.astype(float), y0.astype(float), footprints)] if len(ids) else []
    )


# --- shared helpers ------------------------------------------------------------------------------


def _project(geometry_wgs84, epsg: int):
    """Densify in degrees (so long edges keep their shape) and project."""
    dense = shapely.segmentize(geometry_wgs84, 0.05)
    projected = shapely.transform(dense, lambda xy: transform_points(xy, WGS84, epsg))
    return projected if projected.is_valid else shapely.make_valid(projected)


def _footprints(x0: np.ndarray, y0: np.ndarray, size: float, epsg: int, central_meridian: float | None):
    """WGS84 outlines of projected square tiles, edges split every 25 km at most."""
    if len(x0) == 0:
        return np.empty(0, dtype=object)
    steps = max(1, math.ceil(size / 25_000))
    t = np.arange(steps) / steps
    # Ring: south edge west->east, east edge south->north, north edge east->west, west edge north->south.
    ring_x = np.concatenate([t, np.ones(steps), 1 - t, np.zeros(steps)]) * size
    ring_y = np.concatenate([np.zeros(steps), t, np.ones(steps), 1 - t]) * size
    xs = x0[:, None] + ring_x[None, :]
    ys = y0[:, None] + ring_y[None, :]
    lonlat = transform_points(np.column_stack([xs.ravel(), ys.ravel()]), epsg, WGS84)
    lon = lonlat[:, 0].reshape(xs.shape)
    lat = lonlat[:, 1].reshape(xs.shape)
    if central_meridian is not None:
        # Keep tiles next to the antimeridian in one piece (longitudes may pass 180).
        lon = central_meridian + (lon - central_meridian + 180.0) % 360.0 - 180.0
    coords = np.stack([lon, lat], axis=-1)
    return shapely.polygons(coords)


def _clip(geometry, box: tuple[float, float, float, float]):
    """The polygonal part of geometry inside box, or None (GEOS is not asked when the boxes are disjoint)."""
    minx, miny, maxx, maxy = geometry.bounds
    if maxx <= box[0] or minx >= box[2] or maxy <= box[1] or miny >= box[3]:
        return None
    return _polygonal(shapely.intersection(geometry, shapely.box(*box)))


def _polygonal(geometry):
    """The polygonal part of a geometry, or None when it has no area."""
    if geometry is None or geometry.is_empty:
        return None
    if isinstance(geometry, (shapely.Polygon, shapely.MultiPolygon)):
        return geometry if geometry.area > 0 else None
    polygons = [
        g for g in shapely.get_parts(geometry) if isinstance(g, (shapely.Polygon, shapely.MultiPolygon))
    ]
    if not polygons:
        return None
    merged = shapely.union_all(polygons)
    return merged if merged.area > 0 else None


def _warn_if_clipped(area: AreaOfInterest, covered, grid: TilingGrid, warnings: list[str]) -> None:
    whole = area.geometry.area
    if whole > 0 and covered.area < whole * (1 - 1e-6):
        share = 100 * (1 - covered.area / whole)
        warnings.append(
            f"{share:.1f}% of the area lies outside grid {grid.id} ({grid.coverage_note}) and gets no tiles."
        )
