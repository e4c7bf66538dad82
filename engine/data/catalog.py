"""Catalog configuration (catalogs.json) and scene search: static STAC catalogs and STAC APIs behind one interface."""

from __future__ import annotations

import functools
import json
import os
import posixpath
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urljoin

from osgeo import gdal, ogr

from ...core.s3 import gdal_path
from ..samples import Mosaicking, Sample, Scene
from .bands import ASSET_KEYS, COLLECTION_BANDS, OPTICAL
from .model import DataError, UnknownCollectionError

gdal.UseExceptions()
ogr.UseExceptions()
CONFIG_FILE = Path(__file__).with_name("catalogs.json")
REPO_ROOT = Path(__file__).resolve().parents[2]
ORDERS = ("mostRecent", "leastRecent", "leastCC")
KINDS = ("static", "folder", "stac-api")
SYNTHETIC = "tilewise:synthetic"
ASSETS = "tilewise:assets"  # band -> {"href": GDAL path, "offset_dn", "shape", "geotransform", "epsg"} on each Scene
STAC_RETRIES = 4


@dataclass(frozen=True)
class CollectionConfig:
    data_type: str
    kind: str  # "static", "folder" or "stac-api"
    href: str = ""  # static: collection.json or catalog.json; folder: the folder (local, s3://, https://)
    url: str = ""  # stac-api: the API root
    collection: str = ""
    bands: tuple[str, ...] = ()
    asset_suffix: str = ""
    requester_pays: bool = False
    timeout_s: float = 30.0
    options: dict = field(default_factory=dict)
    asset_keys: dict = field(default_factory=lambda: dict(ASSET_KEYS))  # band -> STAC asset key


def demo_root() -> str:
    return os.environ.get("TILEWISE_DEMO_CATALOG") or str(REPO_ROOT / "data" / "demo-catalog")


def is_catalog_file(catalog: str) -> bool:
    """A path to a catalogs JSON file rather than the name of a built-in catalog."""
    return catalog.endswith(".json") or os.sep in catalog


@functools.lru_cache(maxsize=8)
def _load_config(catalog: str) -> dict[str, CollectionConfig]:
    base = ""  # a catalogs file's own folder: its relative hrefs are relative to it
    if is_catalog_file(catalog):
        path = Path(catalog).expanduser()
        if not path.is_file():
            raise UnknownCollectionError(
                f"The catalog configuration {path} does not exist (TILEWISE_CATALOG)."
            )
        entries = json.loads(path.read_text())
        base = str(path.resolve().parent)
    else:
        everything = json.loads(CONFIG_FILE.read_text())
        if catalog not in everything or catalog.startswith("_"):
            known = ", ".join(k for k in everything if not k.startswith("_"))
            raise UnknownCollectionError(
                f"Unknown catalog {catalog!r} (TILEWISE_CATALOG): use one of {known}, or a path to a JSON file."
            )
        entries = everything[catalog]
    configs = {}
    for data_type, entry in entries.items():
        if data_type.startswith("_"):
            continue
        bands = entry.get("bands", data_type)
        if entry.get("kind") not in KINDS:
            raise UnknownCollectionError(
                f"Collection {data_type!r} in {catalog}: kind {entry.get('kind')!r} is not one of {', '.join(KINDS)}."
            )
        if isinstance(bands, str):
            band_names = tuple(COLLECTION_BANDS[bands])
            asset_keys = dict(ASSET_KEYS)
        else:  # a BYOC collection: its assets are keyed by band name (Earth Search names also accepted)
            band_names = tuple(bands) + ("dataMask",)
            asset_keys = {band: band for band in bands}
        href = str(entry.get("href", "")).replace("{demo}", demo_root())
        if base and href and "://" not in href and not os.path.isabs(os.path.expanduser(href)):
            href = os.path.normpath(os.path.join(base, href))
        configs[data_type] = CollectionConfig(
            data_type=data_type,
            kind=entry["kind"],
            href=href,
            url=entry.get("url", ""),
            collection=entry.get("collection", ""),
            bands=band_names,
            asset_suffix=entry.get("asset_suffix", ""),
            requester_pays=bool(entry.get("requester_pays", False)),
            timeout_s=float(entry.get("timeout_s", 30.0)),
            options=dict(entry.get("gdal_options", {})),
            asset_keys=asset_keys,
        )
    return configs


def collection_config(catalog: str, data_type: str) -> CollectionConfig:
    configs = _load_config(catalog)
    if data_type not in configs:
        raise UnknownCollectionError(
            f"Unknown data collection {data_type!r} in catalog {catalog!r}: use one of {', '.join(sorted(configs))}."
        )
    return configs[data_type]


def catalog_collections(catalog: str) -> dict[str, CollectionConfig]:
    """Every collection of a catalog (a built-in name or a catalogs file), by data type."""
    return dict(_load_config(catalog))


def catalog_names() -> list[str]:
    return [k for k in json.loads(CONFIG_FILE.read_text()) if not k.startswith("_")]


def collection_bands(catalog: str, data_type: str) -> tuple[str, ...]:
    return collection_config(catalog, data_type).bands


# --- paths ----------------------------------------------------------------------------------------------------


def read_text(href: str) -> str:
    """A small file (JSON) from a local path, S3 or HTTP, through GDAL's virtual file systems."""
    path = gdal_path(href)
    try:
        handle = gdal.VSIFOpenL(path, "rb")
    except RuntimeError as exc:
        raise DataError(f"Cannot open {href}: {exc}") from None
    if handle is None:
        raise DataError(f"Cannot open {href}: not found.")
    try:
        gdal.VSIFSeekL(handle, 0, 2)
        size = gdal.VSIFTellL(handle)
        gdal.VSIFSeekL(handle, 0, 0)
        return gdal.VSIFReadL(1, size, handle).decode("utf-8")
    finally:
        gdal.VSIFCloseL(handle)


def _join(base: str, href: str) -> str:
    """`href` relative to the document at `base` (a path, s3:// or http(s):// URL)."""
    if "://" in href or href.startswith("/"):
        return href
    if base.startswith(("http://", "https://")):
        return urljoin(base, href)
    if "://" in base:  # s3:// and the like, which urljoin does not know
        scheme, rest = base.split("://", 1)
        bucket, _, key = rest.partition("/")
        return f"{scheme}://{bucket}/" + posixpath.normpath(posixpath.join(posixpath.dirname(key), href))
    return os.path.normpath(os.path.join(os.path.dirname(base), href))


# --- scenes from STAC items -----------------------------------------------------------------------------------


_FRACTION = re.compile(r"(\.\d{6})\d+")  # STAC datetimes may carry nanoseconds; datetime keeps microseconds


def parse_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(
            _FRACTION.sub(r"\1", str(text).strip()).replace("Z", "+00:00").replace("z", "+00:00")
        )
    except ValueError:
        raise DataError(f"{text!r} is not an RFC 3339 datetime (e.g. 2023-08-15T09:58:11.662Z).") from None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def item_datetime(item: dict) -> datetime:
    """The acquisition time; STAC allows `datetime: null` with a start_datetime instead."""
    props = item.get("properties", {})
    text = props.get("datetime") or props.get("start_datetime")
    if not text:
        raise DataError(
            f"Item {item.get('id')!r} has neither properties.datetime nor start_datetime: add one."
        )
    return parse_datetime(text)


def _is_jp2(asset: dict) -> bool:
    return asset.get("type") == "image/jp2" or str(asset.get("href", "")).lower().endswith(".jp2")


def _baseline(props: dict) -> float:
    try:
        return float(props.get("s2:processing_baseline", 0))
    except (TypeError, ValueError):
        return 0.0


def offset_dn(item: dict, asset: dict, band: str = "B04") -> float:
    """The DN offset of a band, decided per item and asset (docs/data.md "Units and harmonisation"):
    only optical bands have one; Earth Search's flag wins over raster:bands for its COGs (the pixels agree)."""
    if band not in OPTICAL:
        return 0.0  # SCL/CLM are classes, AOT/WVP have their own scale
    props = item.get("properties", {})
    applied = props.get("earthsearch:boa_offset_applied", props.get("sentinel:boa_offset_applied"))
    if applied is True and not _is_jp2(asset):
        return 0.0  # Earth Search subtracted the offset when it made the COG; its JP2 originals are ESA's DN
    raster = (asset.get("raster:bands") or [{}])[0]
    offset = raster.get("offset", asset.get("raster:offset"))
    if offset is not None:
        return float(round(offset / (raster.get("scale", asset.get("raster:scale")) or 1.0)))
    if "raster:bands" in asset:
        return 0.0  # declared without an offset: none
    return -1000.0 if _baseline(props) >= 4.0 else 0.0  # undeclared: ESA's rule from baseline 04.00 on


def mgrs_tile(props: dict) -> Optional[str]:
    """The MGRS tile (e.g. 33TWL) from the mgrs extension, s2:mgrs_tile, grid:code or the older sentinel:* fields."""
    for prefix in ("mgrs:", "sentinel:"):
        zone, band, square = (props.get(prefix + k) for k in ("utm_zone", "latitude_band", "grid_square"))
        if zone is not None and band and square:
            return f"{int(zone):02d}{band}{square}"
    if props.get("s2:mgrs_tile"):
        return str(props["s2:mgrs_tile"]).removeprefix("T")
    code = str(props.get("grid:code", ""))
    return code.removeprefix("MGRS-") if code.startswith("MGRS-") else None


def epsg_code(fields: dict) -> Optional[int]:
    """proj:epsg (STAC projection v1) or proj:code "EPSG:n" (v2)."""
    if fields.get("proj:epsg") is not None:
        return int(fields["proj:epsg"])
    code = str(fields.get("proj:code") or "")
    return int(code.split(":", 1)[1]) if code.upper().startswith("EPSG:") and code[5:].isdigit() else None


@functools.lru_cache(maxsize=4096)
def file_grid(path: str) -> Optional[dict]:
    """The grid of a local raster as GDAL reads it, or None when it cannot be opened (the read reports why)."""
    try:
        dataset = gdal.Open(path)
    except RuntimeError:
        return None
    srs = dataset.GetSpatialRef()
    epsg = int(srs.GetAuthorityCode(None)) if srs is not None and srs.GetAuthorityCode(None) else None
    return {
        "shape": (dataset.RasterYSize, dataset.RasterXSize),
        "geotransform": dataset.GetGeoTransform(),
        "epsg": epsg,
    }


def asset_grid(path: str, asset: dict, item_epsg: Optional[int]) -> dict:
    """The asset's grid: from the file when it is local and readable (the item's proj:* may describe another
    resolution), else from the item's proj:shape/proj:transform, so no remote file is opened to build a scene."""
    local = not path.startswith("/vsi")
    grid = file_grid(path) if local else None
    if grid is not None:
        return grid
    shape, affine = asset.get("proj:shape"), asset.get("proj:transform")
    if affine and len(affine) >= 6:
        a, b, c, d, e, f = affine[:6]
        geotransform: Optional[tuple] = (c, a, b, f, d, e)  # STAC's affine order → GDAL's
    else:
        geotransform = None
    return {
        "shape": tuple(shape) if shape else None,
        "geotransform": geotransform,
        "epsg": epsg_code(asset) or item_epsg,
    }


def scene_from_item(item: dict, item_href: str, config: CollectionConfig) -> Scene:
    props = item.get("properties", {})
    epsg = epsg_code(props)
    assets = {}
    found = item.get("assets", {})
    for band, key in config.asset_keys.items():
        candidates = (key + config.asset_suffix, key, ASSET_KEYS.get(band, key))
        asset = next((found[k] for k in candidates if k in found), None)
        if asset and asset.get("href"):
            path = gdal_path(_join(item_href, asset["href"]))
            assets[band] = {
                "href": path,
                "offset_dn": offset_dn(item, asset, band),
                **asset_grid(path, asset, epsg),
            }
    synthetic = bool(props.get(SYNTHETIC))
    cover = props.get("eo:cloud_cover")
    return Scene(
        item_id=item["id"],
        datetime=item_datetime(item),
        cloud_coverage=float(cover) if cover is not None else None,
        data_path=item_href,
        properties={
            **{k: v for k, v in props.items() if not isinstance(v, (dict, list))},
            ASSETS: assets,
            SYNTHETIC: synthetic,
            "bbox": tuple(item.get("bbox") or ()),
        },
        mgrs_tile=mgrs_tile(props),
        epsg=epsg,
    )


def order_scenes(scenes: list[Scene], order: str) -> list[Scene]:
    if order not in ORDERS:
        raise DataError(f"Unknown mosaickingOrder {order!r}: use {', '.join(ORDERS)}.")
    if order == "leastRecent":
        return sorted(scenes, key=lambda s: (s.datetime, s.item_id))
    if order == "leastCC":
        return sorted(
            scenes,
            key=lambda s: (
                s.cloud_coverage if s.cloud_coverage is not None else 101,
                -s.datetime.timestamp(),
            ),
        )
    return sorted(scenes, key=lambda s: (-s.datetime.timestamp(), s.item_id))


def group_samples(
    scenes: list[Scene],
    mosaicking: Mosaicking,
    time_from: Optional[datetime] = None,
    time_to: Optional[datetime] = None,
) -> list[Sample]:
    """ORBIT: one sample per UTC day; TILE: one per scene; SIMPLE: one mosaic of all (in the given order)."""
    if mosaicking == Mosaicking.TILE:
        return [Sample(s.datetime, s.datetime, (s,)) for s in scenes]
    if mosaicking == Mosaicking.ORBIT:
        days: dict[Any, list[Scene]] = {}
        for scene in scenes:
            days.setdefault(scene.datetime.astimezone(timezone.utc).date(), []).append(scene)
        samples = []
        # dict keeps the scenes' order: the first scene decides a day's rank
        for day, members in days.items():
            start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            samples.append(Sample(start, start + timedelta(days=1), tuple(members)))
        return samples
    if scenes:
        start = min(s.datetime for s in scenes)
        end = max(s.datetime for s in scenes)
    else:
        start = time_from or datetime(1970, 1, 1, tzinfo=timezone.utc)
        end = time_to or start
    return [Sample(start, end, tuple(scenes))]


def _overlaps(bbox: tuple, other: tuple) -> bool:
    return not (other[2] < bbox[0] or other[0] > bbox[2] or other[3] < bbox[1] or other[1] > bbox[3])


def meets_footprint(bbox: tuple, item: dict) -> bool:
    """Whether the item's footprint meets a WGS84 bbox: its bbox first, then its geometry, since a scene at an
    orbit's edge covers only part of its bbox and Sentinel Hub offers no sample where a scene has no pixel."""
    if item.get("bbox") and not _overlaps(tuple(bbox), tuple(item["bbox"][:2]) + tuple(item["bbox"][-2:])):
        return False
    if not item.get("geometry"):
        return True
    try:
        footprint = ogr.CreateGeometryFromJson(json.dumps(item["geometry"]))
    except RuntimeError:
        return True  # an unreadable geometry: the bbox decides
    west, south, east, north = bbox
    box = ogr.CreateGeometryFromWkt(
        f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"
    )
    return footprint is None or footprint.Intersects(box)


class StaticCatalog:
    """Items of a static STAC collection (or catalog), local, on S3 or over HTTP; loaded once per process."""

    def __init__(self, config: CollectionConfig):
        self.config = config

    @functools.cached_property
    def items(self) -> list[tuple[dict, str]]:
        return _load_static(self.config.href)

    def search(self, bbox, time_from, time_to, max_cloud_coverage) -> list[Scene]:
        scenes = []
        for item, href in self.items:
            props = item.get("properties", {})
            moment = item_datetime(item)
            if not (time_from <= moment <= time_to):
                continue
            cover = props.get("eo:cloud_cover")
            if cover is not None and cover > max_cloud_coverage:
                continue
            if not meets_footprint(tuple(bbox), item):
                continue
            scenes.append(scene_from_item(item, href, self.config))
        return scenes


@functools.lru_cache(maxsize=16)
def _load_static(href: str) -> list[tuple[dict, str]]:
    try:
        root = json.loads(read_text(href))
    except ValueError as exc:
        raise DataError(f"{href} is not valid JSON: {exc}") from None
    items: list[tuple[dict, str]] = []
    pending = [(root, href)]
    while pending:
        node, node_href = pending.pop()
        if node.get("type") == "Feature":
            items.append((node, node_href))
            continue
        for link in node.get("links", []):
            if link.get("rel") in ("item", "child"):
                child_href = _join(node_href, link["href"])
                pending.append((json.loads(read_text(child_href)), child_href))
    return items


class StacApi:
    """A STAC API (e.g. Earth Search) through pystac-client, with retries and backoff on timeouts and 5xx."""

    def __init__(self, config: CollectionConfig):
        self.config = config

    def search(self, bbox, time_from, time_to, max_cloud_coverage) -> list[Scene]:
        import pystac_client
        from pystac_client.exceptions import APIError
        from requests import RequestException

        last: Exception | None = None
        for attempt in range(STAC_RETRIES):
            try:
                client = pystac_client.Client.open(self.config.url, timeout=self.config.timeout_s)
                query = {"eo:cloud_cover": {"lte": max_cloud_coverage}} if max_cloud_coverage < 100 else None
                search = client.search(
                    collections=[self.config.collection],
                    bbox=list(bbox),
                    datetime=[time_from, time_to],
                    query=query,
                    limit=100,
                )
                items = list(search.items_as_dicts())
                return [
                    scene_from_item(item, _self_href(item) or self.config.url, self.config) for item in items
                ]
            except (APIError, RequestException, OSError) as exc:
                last = exc
                if attempt + 1 < STAC_RETRIES:
                    time.sleep(min(8.0, 0.5 * 2**attempt))
        text = str(last).strip() if last else ""
        reason = text.splitlines()[0][:300] if text else "no answer"
        raise DataError(
            f"The STAC API {self.config.url} did not answer the search after {STAC_RETRIES} attempts: "
            f"{last.__class__.__name__}: {reason}"
        )


def _self_href(item: dict) -> Optional[str]:
    return next((link["href"] for link in item.get("links", []) if link.get("rel") == "self"), None)
