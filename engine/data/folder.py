"""A BYOC collection as a bare folder of COGs: one sub-folder per scene, one file per band.

    <folder>/<scene>/<band>.tif      e.g. fields/2023-07-06/NDVI.tif, fields/S2_20230711T184521/B04.tif

This is Sentinel Hub's BYOC layout (a tile is a folder whose files are named by band); the acquisition
time comes from the scene folder's name, since a bare COG carries none. The folder may be local, on S3
or over HTTPS (HTTPS needs a server that lists directories). Each scene becomes the STAC item it would
have been, so searching and reading are the static catalog's.
"""

from __future__ import annotations

import functools
import posixpath
import re
from datetime import datetime, timezone

from osgeo import gdal, osr

from ...core.s3 import gdal_path
from .catalog import StaticCatalog
from .model import DataError

COG_SUFFIXES = (".tif", ".tiff", ".TIF", ".TIFF")
# 2023-07-06, 20230706, 2023-07-06T18:45:21, 20230706T184521 anywhere in the folder name
_SCENE_TIME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T_ ]?(\d{2}):?(\d{2}):?(\d{2}))?")


def scene_time(name: str) -> datetime:
    match = _SCENE_TIME.search(name)
    if match is None:
        raise DataError(
            f"Scene folder {name!r} has no acquisition date in its name: name it like 2023-07-06, "
            "20230706 or S2_20230706T184521 (UTC)."
        )
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError as exc:
        raise DataError(f"Scene folder {name!r}: {match.group(0)} is not a valid date ({exc}).") from None


def _listing(path: str) -> list[str]:
    names = gdal.ReadDir(path)
    return sorted(n for n in (names or []) if n not in (".", ".."))


def footprint_wgs84(path: str) -> list[float]:
    """The raster's bounds in WGS84 (lon/lat), from its geotransform and CRS."""
    try:
        dataset = gdal.Open(path)
    except RuntimeError as exc:
        raise DataError(f"Cannot open {path}: {str(exc).strip()}") from None
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    x1, y1 = x0 + dx * dataset.RasterXSize, y0 + dy * dataset.RasterYSize
    source = dataset.GetSpatialRef()
    dataset = None
    if source is None:
        raise DataError(f"{path} has no CRS: a BYOC COG must be georeferenced.")
    target = osr.SpatialReference()
    target.ImportFromEPSG(4326)
    for srs in (source, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(source, target)
    # the edges, not only the corners: a UTM rectangle is not a rectangle in lon/lat
    edge = [(x0 + (x1 - x0) * i / 8, y) for i in range(9) for y in (y0, y1)]
    edge += [(x, y0 + (y1 - y0) * i / 8) for i in range(9) for x in (x0, x1)]
    points = transform.TransformPoints(edge)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [min(lons), min(lats), max(lons), max(lats)]


@functools.lru_cache(maxsize=16)
def scan_folder(href: str) -> list[tuple[dict, str]]:
    """(STAC item, item href) per scene folder; the item href is virtual, for resolving the band files."""
    root = gdal_path(href).rstrip("/")
    try:
        scenes = _listing(root)
    except RuntimeError as exc:
        raise DataError(f"Cannot list {href}: {str(exc).strip()}") from None
    if not scenes:
        raise DataError(f"{href} is empty or cannot be listed: put one folder per scene in it, e.g. 2023-07-06/.")
    base = href.rstrip("/")
    items = []
    for name in scenes:
        files = [f for f in _listing(f"{root}/{name}") if f.endswith(COG_SUFFIXES)]
        if not files:
            continue  # not a scene folder (a README, a catalog file…)
        assets = {posixpath.splitext(f)[0]: {"href": f} for f in files}
        item = {
            "type": "Feature",
            "id": name,
            "bbox": footprint_wgs84(f"{root}/{name}/{files[0]}"),
            "properties": {"datetime": scene_time(name).isoformat()},
            "assets": assets,
        }
        items.append((item, f"{base}/{name}/item.json"))
    if not items:
        raise DataError(f"{href} has no scene folder with .tif files: expected <scene>/<band>.tif.")
    return items


class FolderCatalog(StaticCatalog):
    """Scenes of a folder of COGs, scanned once per process."""

    @functools.cached_property
    def items(self) -> list[tuple[dict, str]]:
        return scan_folder(self.config.href)
