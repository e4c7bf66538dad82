"""The demo catalog: synthetic Sentinel-2 L1C and L2A scenes over the tutorial's California crop fields, July 2023.

    python -m tilewise.engine.data.demo --out data/demo-catalog     (what `make demo-data` runs)

Deterministic (fixed seeds, no timestamps in files): the same command gives the
same bytes. Real COGs (uint16 DN with the baseline-04.00 offset of +1000, nodata 0,
512-px tiles, overviews) at the native 10/20/60 m, in UTM zone 11N, as static
STAC items with Earth Search's asset keys. Fields follow crop calendars, so NDVI
rises, peaks or drops over the month; some dates carry clouds (with a matching
SCL and CLM) and one scene only partly covers the area (an orbit edge).
Every item and asset carries `tilewise:synthetic: true`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np
from osgeo import gdal, osr

from .bands import ASSET_KEYS

gdal.UseExceptions()
SYNTHETIC = "tilewise:synthetic"
OFFSET_DN = 1000  # baseline ≥ 04.00: DN = reflectance × 10000 + 1000
RESOLUTION = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20, "B08": 10,
    "B8A": 20, "B09": 60, "B10": 60, "B11": 20, "B12": 20, "SCL": 20, "CLM": 60,
}  # fmt: skip
L2A_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12", "SCL")
L1C_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12", "CLM")
# Reflectance of bare soil (s) and of full vegetation (v) per band; a pixel mixes them by its green fraction.
SOIL = {"B01": 0.10, "B02": 0.09, "B03": 0.12, "B04": 0.16, "B05": 0.19, "B06": 0.21, "B07": 0.22,
        "B08": 0.24, "B8A": 0.25, "B09": 0.08, "B10": 0.004, "B11": 0.32, "B12": 0.27}  # fmt: skip
VEGETATION = {"B01": 0.04, "B02": 0.03, "B03": 0.07, "B04": 0.03, "B05": 0.09, "B06": 0.30, "B07": 0.40,
              "B08": 0.46, "B8A": 0.47, "B09": 0.14, "B10": 0.003, "B11": 0.20, "B12": 0.09}  # fmt: skip


@dataclass(frozen=True)
class Acquisition:
    day: int  # of July 2023
    satellite: str
    clouds: float  # cloud cover fraction to generate
    footprint: float = 1.0  # share of the area (from the west) the scene covers


@dataclass(frozen=True)
class DemoSpec:
    """What to generate; tests shrink it (smaller area, fewer dates or bands)."""

    epsg: int = 32611
    mgrs: str = "11SKV"
    # UTM bounds: the tutorial's 8 grid-1 tiles with their 50 px buffer, rounded out to 60 m
    bounds: tuple[float, float, float, float] = (277_980.0, 3_977_940.0, 312_000.0, 4_011_960.0)
    year: int = 2023
    month: int = 7
    acquisitions: tuple[Acquisition, ...] = (
        Acquisition(1, "S2B", 0.0),
        Acquisition(6, "S2A", 0.05),
        Acquisition(11, "S2B", 0.35),
        Acquisition(16, "S2A", 0.0, footprint=0.7),
        Acquisition(21, "S2B", 0.6),
        Acquisition(26, "S2A", 0.02),
    )
    collections: tuple[str, ...] = ("sentinel-2-l2a", "sentinel-2-l1c")
    bands: Optional[tuple[str, ...]] = None  # None: every band of the collection
    seed: int = 20230701
    blocksize: int = 512


@dataclass
class _Fields:
    """The field layout: which crop each 10 m pixel belongs to."""

    crop: np.ndarray  # int8 crop class per pixel
    road: np.ndarray  # bool


CROPS = 5  # 0 fallow, 1 growing, 2 harvested mid-month, 3 orchard, 4 late planting


def green_fraction(crop: np.ndarray, day: int) -> np.ndarray:
    t = (day - 1) / 29.0
    table = np.array(
        [
            0.08,  # fallow
            0.25 + 0.55 * t,  # growing all month
            0.75 if day < 14 else 0.12,  # harvested around the 14th
            0.62,  # orchard
            0.10 + 0.6 * max(0.0, t - 0.4),  # planted late, greening in the last weeks
        ],
        dtype=np.float32,
    )
    return table[crop]


def make_fields(width: int, height: int, rng: np.random.Generator) -> _Fields:
    def edges(size: int) -> np.ndarray:
        cuts, position = [0], 0
        while position < size:
            position += int(rng.integers(30, 90))  # fields of 300-900 m
            cuts.append(min(position, size))
        return np.array(cuts)

    columns, rows = edges(width), edges(height)
    col_index = np.searchsorted(columns, np.arange(width), side="right") - 1
    row_index = np.searchsorted(rows, np.arange(height), side="right") - 1
    classes = rng.integers(0, CROPS, size=(len(rows), len(columns))).astype(np.int8)
    crop = classes[row_index[:, None], col_index[None, :]]
    road = np.zeros((height, width), bool)
    for c in columns[1:-1:3]:
        road[:, max(0, c - 1) : c + 1] = True
    for r in rows[1:-1:3]:
        road[max(0, r - 1) : r + 1, :] = True
    return _Fields(crop, road)


def smooth_noise(width: int, height: int, cell: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random field in [0, 1] (bilinear upsampling of a coarse grid)."""
    coarse = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
    y = np.arange(height, dtype=np.float32) / cell
    x = np.arange(width, dtype=np.float32) / cell
    y0, x0 = y.astype(int), x.astype(int)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def cloud_mask(width: int, height: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    noise = smooth_noise(width, height, 120, rng)
    if fraction <= 0:
        return np.zeros((height, width), bool)
    return noise >= np.quantile(noise, 1 - fraction)


def block_mean(array: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return array
    h, w = array.shape[0] // factor, array.shape[1] // factor
    return array[: h * factor, : w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))


def block_mode_max(array: np.ndarray, factor: int) -> np.ndarray:
    """Coarser classification: a coarse pixel takes the largest class in its block (clouds win)."""
    if factor == 1:
        return array
    h, w = array.shape[0] // factor, array.shape[1] // factor
    return array[: h * factor, : w * factor].reshape(h, factor, w, factor).max(axis=(1, 3))


def write_cog(path: Path, array: np.ndarray, bounds, resolution: float, epsg: int, blocksize: int, description: str) -> None:
    height, width = array.shape
    memory = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_UInt16 if array.dtype == np.uint16 else gdal.GDT_Byte)
    memory.SetGeoTransform((bounds[0], resolution, 0.0, bounds[3], 0.0, -resolution))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    memory.SetProjection(srs.ExportToWkt())
    band = memory.GetRasterBand(1)
    band.WriteArray(array)
    band.SetNoDataValue(0 if array.dtype == np.uint16 else 255)
    memory.SetMetadata({"TILEWISE_SYNTHETIC": "true", "TIFFTAG_IMAGEDESCRIPTION": description})
    gdal.GetDriverByName("COG").CreateCopy(
        str(path),
        memory,
        options=[f"BLOCKSIZE={blocksize}", "COMPRESS=DEFLATE", "PREDICTOR=2", "OVERVIEWS=AUTO", "RESAMPLING=NEAREST"],
    )


def _scene(spec: DemoSpec, acquisition: Acquisition, fields: _Fields, collection: str, out: Path) -> dict:
    rng = np.random.default_rng(spec.seed + acquisition.day * 7 + (0 if collection.endswith("l2a") else 1))
    x0, y0, x1, y1 = spec.bounds
    width, height = round((x1 - x0) / 10), round((y1 - y0) / 10)
    level = "L2A" if collection.endswith("l2a") else "L1C"
    moment = datetime(spec.year, spec.month, acquisition.day, 18, 45, 21, tzinfo=timezone.utc)
    item_id = f"{acquisition.satellite}_{spec.mgrs}_{moment:%Y%m%d}_0_{level}"
    folder = out / item_id
    folder.mkdir(parents=True, exist_ok=True)

    green = green_fraction(fields.crop, acquisition.day)
    green = np.clip(green + (smooth_noise(width, height, 40, rng) - 0.5) * 0.12, 0, 1)
    green[fields.road] = 0.02
    clouds = cloud_mask(width, height, acquisition.clouds, rng)
    shadow = np.roll(clouds, (12, -18), axis=(0, 1)) & ~clouds  # shadows fall to the south-west
    covered = np.ones((height, width), bool)
    covered[:, int(width * acquisition.footprint) :] = False
    cloud_tone = 0.45 + 0.25 * smooth_noise(width, height, 30, rng)

    wanted = spec.bands or (L2A_BANDS if level == "L2A" else L1C_BANDS)
    bands = [b for b in (L2A_BANDS if level == "L2A" else L1C_BANDS) if b in wanted]
    assets = {}
    for band in bands:
        factor = RESOLUTION[band] // 10
        if band == "SCL":
            scl = np.where(green > 0.4, 4, 5).astype(np.uint8)
            scl[shadow] = 3
            scl[clouds] = 9
            scl[~covered] = 0
            data = block_mode_max(scl, factor)
            data = np.where(block_mean(covered.astype(np.float32), factor) < 1, 0, data).astype(np.uint8)
            kind = "uint8"
        elif band == "CLM":
            clm = clouds.astype(np.uint8)
            data = block_mode_max(clm, factor)
            data = np.where(block_mean(covered.astype(np.float32), factor) < 1, 255, data).astype(np.uint8)
            kind = "uint8"
        else:
            reflectance = SOIL[band] * (1 - green) + VEGETATION[band] * green
            if level == "L1C":  # top of atmosphere: path radiance brightens the blues
                reflectance = reflectance * 0.92 + (0.06 if band in ("B01", "B02") else 0.025)
            reflectance = np.where(shadow, reflectance * 0.45, reflectance)
            reflectance = np.where(clouds, cloud_tone, reflectance)
            dn = np.round(block_mean(reflectance, factor) * 10000 + OFFSET_DN)
            data = np.clip(dn, 1, 65535).astype(np.uint16)
            data[block_mean(covered.astype(np.float32), factor) < 1] = 0
            kind = "uint16"
        path = folder / f"{band}.tif"
        write_cog(path, data, spec.bounds, RESOLUTION[band], spec.epsg, spec.blocksize,
                  f"SYNTHETIC Sentinel-2 {level} {band} (Tilewise demo data, not a real observation)")
        raster = {"nodata": 0 if kind == "uint16" else 255, "data_type": kind, "spatial_resolution": RESOLUTION[band]}
        if kind == "uint16":
            raster.update({"scale": 0.0001, "offset": -0.1})
        assets[ASSET_KEYS[band]] = {
            "href": f"./{band}.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "title": band,
            "roles": ["data"],
            "raster:bands": [raster],
            SYNTHETIC: True,
        }
    footprint = _footprint_wgs84(spec, acquisition.footprint)
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [],
        "id": item_id,
        "bbox": footprint["bbox"],
        "geometry": footprint["geometry"],
        "properties": {
            "datetime": moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "platform": "sentinel-2b" if acquisition.satellite == "S2B" else "sentinel-2a",
            "constellation": "sentinel-2",
            "eo:cloud_cover": round(100 * float(clouds[covered].mean()) if covered.any() else 0.0, 2),
            "s2:processing_baseline": "05.09",
            "s2:mgrs_tile": spec.mgrs,
            "proj:epsg": spec.epsg,
            "sat:relative_orbit": 27 if acquisition.satellite == "S2A" else 70,
            SYNTHETIC: True,
            "description": "SYNTHETIC scene generated by Tilewise for offline demos and tests",
        },
        "links": [{"rel": "collection", "href": "../collection.json"}, {"rel": "parent", "href": "../collection.json"}],
        "assets": assets,
    }
    (folder / f"{item_id}.json").write_text(json.dumps(item, indent=1))
    return item


def _footprint_wgs84(spec: DemoSpec, share: float) -> dict:
    from ...core.crs import transform_points

    x0, y0, x1, y1 = spec.bounds
    x1 = x0 + (x1 - x0) * share
    ring = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], dtype=float)
    lonlat = transform_points(ring, spec.epsg, 4326)
    coordinates = [[round(float(x), 7), round(float(y), 7)] for x, y in lonlat]
    return {
        "geometry": {"type": "Polygon", "coordinates": [coordinates]},
        "bbox": [
            round(float(lonlat[:, 0].min()), 7),
            round(float(lonlat[:, 1].min()), 7),
            round(float(lonlat[:, 0].max()), 7),
            round(float(lonlat[:, 1].max()), 7),
        ],
    }


def build_catalog(out: Path, spec: DemoSpec = DemoSpec()) -> Path:
    """Generate the catalog under `out` (replacing an incomplete one); returns catalog.json."""
    out = Path(out)
    marker = out / ".complete"
    fingerprint = json.dumps(_spec_json(spec), sort_keys=True)
    if marker.exists() and marker.read_text() == fingerprint:
        return out / "catalog.json"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    x0, y0, x1, y1 = spec.bounds
    rng = np.random.default_rng(spec.seed)
    fields = make_fields(round((x1 - x0) / 10), round((y1 - y0) / 10), rng)
    catalog = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "tilewise-demo",
        "description": "SYNTHETIC Sentinel-2 scenes over the sentinelhub-py tutorial's California crop fields, July 2023",
        SYNTHETIC: True,
        "links": [{"rel": "child", "href": f"./{c}/collection.json"} for c in spec.collections],
    }
    for collection in spec.collections:
        folder = out / collection
        items = [_scene(spec, acquisition, fields, collection, folder) for acquisition in spec.acquisitions]
        (folder / "collection.json").write_text(json.dumps(_collection(collection, items), indent=1))
    (out / "catalog.json").write_text(json.dumps(catalog, indent=1))
    marker.write_text(fingerprint)
    return out / "catalog.json"


def _collection(collection: str, items: list[dict]) -> dict:
    west = min(i["bbox"][0] for i in items)
    south = min(i["bbox"][1] for i in items)
    east = max(i["bbox"][2] for i in items)
    north = max(i["bbox"][3] for i in items)
    dates = sorted(i["properties"]["datetime"] for i in items)
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection,
        "description": f"SYNTHETIC {collection} scenes (Tilewise demo data)",
        "license": "CC0-1.0",
        SYNTHETIC: True,
        "extent": {"spatial": {"bbox": [[west, south, east, north]]}, "temporal": {"interval": [[dates[0], dates[-1]]]}},
        "links": [{"rel": "item", "href": f"./{i['id']}/{i['id']}.json"} for i in items],
    }


def _spec_json(spec: DemoSpec) -> dict:
    return {
        "epsg": spec.epsg, "mgrs": spec.mgrs, "bounds": spec.bounds, "year": spec.year, "month": spec.month,
        "acquisitions": [a.__dict__ for a in spec.acquisitions], "collections": spec.collections,
        "bands": spec.bands, "seed": spec.seed, "blocksize": spec.blocksize, "version": 1,
    }  # fmt: skip


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic Sentinel-2 demo catalog.")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    catalog = build_catalog(args.out)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"demo catalog: {catalog} ({size / 1e6:.0f} MB, synthetic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# The tutorial's "Test sub-area" (grid 1 tiles 11SKV_9_0 and 11SLV_0_0), three dates, the common bands: for tests.
SMALL_SPEC = DemoSpec(
    bounds=(289_980.0, 3_989_940.0, 310_020.0, 4_000_080.0),
    acquisitions=(
        Acquisition(1, "S2B", 0.0),
        Acquisition(11, "S2B", 0.3),
        Acquisition(16, "S2A", 0.0, footprint=0.7),
    ),
    bands=("B02", "B03", "B04", "B08", "B11", "SCL", "CLM"),
)
