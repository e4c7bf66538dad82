"""Catalog configuration (catalogs.json) and scene search: static STAC catalogs and STAC APIs behind one interface."""

from __future__ import annotations

import functools
import json
import os
import posixpath
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urljoin

from osgeo import gdal

from ...core.s3 import gdal_path
from ..samples import Mosaicking, Sample, Scene
from .bands import ASSET_KEYS, COLLECTION_BANDS
from .model import DataError, UnknownCollectionError

gdal.UseExceptions()
CONFIG_FILE = Path(__file__).with_name("catalogs.json")
REPO_ROOT = Path(__file__).resolve().parents[2]
ORDERS = ("mostRecent", "leastRecent", "leastCC")
KINDS = ("static", "folder", "stac-api")
SYNTHETIC = "tilewise:synthetic"
ASSETS = "tilewise:assets"  # band -> {"href": GDAL path, "offset_dn": float} kept on each Scene
STAC_RETRIES = 4


@dataclass(frozen=True)
class CollectionConfig:
    data_type: str
    kind: str  # "static", "folder" or "stac-api"
    href: str = ""  # static: collection.json or catalog.json; folder: the folder (local path, s3:// or https://)
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


@functools.lru_cache(maxsize=8)
def _load_config(catalog: str) -> dict[str, CollectionConfig]:
    if catalog.endswith(".json") or os.sep in catalog:
        path = Path(catalog).expanduser()
        if not path.is_file():
            raise UnknownCollectionError(f"The catalog configuration {path} does not exist (TILEWISE_CATALOG).")
        entries = json.loads(path.read_text())
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


def parse_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def offset_dn(item: dict, asset: dict) -> float:
    """The DN offset of an optical band (−1000 from baseline 04.00 on), decided per item (engine-notes §2.2)."""
    props = item.get("properties", {})
    if props.get("earthsearch:boa_offset_applied") is True or props.get("sentinel:boa_offset_applied") is True:
        return 0.0  # the COG is already harmonised
    bands = asset.get("raster:bands") or [{}]
    scale, offset = bands[0].get("scale"), bands[0].get("offset")
    if scale and offset:
        return round(offset / scale)
    baseline = str(props.get("s2:processing_baseline", "00.00"))
    return -1000.0 if baseline >= "04.00" and offset is None and "raster:bands" not in asset else 0.0


def scene_from_item(item: dict, item_href: str, config: CollectionConfig) -> Scene:
    props = item.get("properties", {})
    assets = {}
    found = item.get("assets", {})
    for band, key in config.asset_keys.items():
        candidates = (key + config.asset_suffix, key, ASSET_KEYS.get(band, key))
        asset = next((found[k] for k in candidates if k in found), None)
        if asset and asset.get("href"):
            assets[band] = {"href": gdal_path(_join(item_href, asset["href"])), "offset_dn": offset_dn(item, asset)}
    synthetic = bool(props.get(SYNTHETIC))
    return Scene(
        item_id=item["id"],
        datetime=parse_datetime(props["datetime"]),
        cloud_coverage=props.get("eo:cloud_cover"),
        data_path=item_href,
        properties={
            **{k: v for k, v in props.items() if not isinstance(v, (dict, list))},
            ASSETS: assets,
            SYNTHETIC: synthetic,
            "bbox": tuple(item.get("bbox") or ()),
        },
    )


def order_scenes(scenes: list[Scene], order: str) -> list[Scene]:
    if order not in ORDERS:
        raise DataError(f"Unknown mosaickingOrder {order!r}: use {', '.join(ORDERS)}.")
    if order == "leastRecent":
        return sorted(scenes, key=lambda s: (s.datetime, s.item_id))
    if order == "leastCC":
        return sorted(scenes, key=lambda s: (s.cloud_coverage if s.cloud_coverage is not None else 101, -s.datetime.timestamp()))
    return sorted(scenes, key=lambda s: (-s.datetime.timestamp(), s.item_id))


def group_samples(scenes: list[Scene], mosaicking: Mosaicking, time_from: Optional[datetime] = None,
                  time_to: Optional[datetime] = None) -> list[Sample]:
    """ORBIT: one sample per UTC day; TILE: one per scene; SIMPLE: one mosaic of all (in the given order)."""
    if mosaicking == Mosaicking.TILE:
        return [Sample(s.datetime, s.datetime, (s,)) for s in scenes]
    if mosaicking == Mosaicking.ORBIT:
        days: dict[Any, list[Scene]] = {}
        for scene in scenes:
            days.setdefault(scene.datetime.astimezone(timezone.utc).date(), []).append(scene)
        samples = []
        for day, members in days.items():  # dict keeps the scenes' order: the first scene decides a day's rank
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
            moment = parse_datetime(props["datetime"])
            if not (time_from <= moment <= time_to):
                continue
            cover = props.get("eo:cloud_cover")
            if cover is not None and cover > max_cloud_coverage:
                continue
            if item.get("bbox") and not _overlaps(tuple(bbox), tuple(item["bbox"])):
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
