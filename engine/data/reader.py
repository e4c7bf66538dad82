"""Reading scenes onto a tile's grid: one GDAL warp per band and scene, several in flight, then units and mosaics.

GDAL does the reading: it opens the COG (local, /vsis3/ or /vsicurl/), picks the
overview that matches the output resolution, fetches only the internal tiles
the window needs (HTTP range requests), and resamples into the tile's CRS.
The warps release the GIL, so a thread pool keeps several reads in flight.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import numpy as np
from osgeo import gdal, gdal_array

from ..samples import NO_CONVERSION, RawBand, Sample, SampleStack, Scene, UnitConversion, Units
from .bands import CLM_NO_DATA, OPTICAL, SCL_CLOUD, SPECIAL_SCALE
from .catalog import ASSETS
from .model import DataError, TargetGrid

gdal.UseExceptions()
RESAMPLING = {"NEAREST": "near", "BILINEAR": "bilinear", "BICUBIC": "cubic"}
# Set once per process: retries with backoff for flaky HTTP, a block cache, no directory listings.
GDAL_CONFIG = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.TIF,.jp2,.json",
    "GDAL_HTTP_MAX_RETRY": "4",
    "GDAL_HTTP_RETRY_DELAY": "1",
    "GDAL_HTTP_TIMEOUT": "60",
    "GDAL_HTTP_MULTIRANGE": "YES",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": str(64 * 1024 * 1024),
    "GDAL_CACHEMAX": "256",
}


S3_KEYS = ("AWS_S3_ENDPOINT", "AWS_HTTPS", "AWS_VIRTUAL_HOSTING", "AWS_REQUEST_PAYER", "AWS_NO_SIGN_REQUEST")


def configure_gdal(extra: Optional[dict] = None) -> None:
    options = {**dict.fromkeys(S3_KEYS), **GDAL_CONFIG, **(extra or {})}  # unset what this source does not need
    for key, value in options.items():
        gdal.SetConfigOption(key, value)


def warp_band(href: str, grid: TargetGrid, resampling: str, use_overviews: bool = True) -> np.ndarray:
    """One band of one scene on the tile grid, as uint16/float DN with 0 where there is no data.

    Without `use_overviews` the full-resolution grid is read even for a coarser tile: a COG's overviews
    may have been built by averaging or interpolation, which invents classes in a classification band.
    """
    if resampling == RESAMPLING["NEAREST"]:
        window = aligned_window(href, grid)
        if window is not None:
            return window
    try:
        dataset = gdal.Warp(
            "",
            href,
            format="MEM",
            outputBounds=grid.bounds,
            width=grid.width,
            height=grid.height,
            dstSRS=f"EPSG:{grid.epsg}",
            resampleAlg=resampling,
            srcNodata=0,
            dstNodata=0,
            multithread=False,
            overviewLevel=None if use_overviews else "NONE",
        )
    except RuntimeError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"Cannot read {href.removeprefix('/vsicurl/')}: {message}") from None
    if dataset is None:
        raise DataError(f"Cannot read {href}.")
    array = dataset.GetRasterBand(1).ReadAsArray()
    dataset = None
    return array


def aligned_window(href: str, grid: TargetGrid) -> Optional[np.ndarray]:
    """The grid's pixels read straight from the file when the grid is a window of the file's own pixel grid (same
    CRS and pixel size, whole-pixel offsets), as a batch statistical group's is: then nearest-neighbour warping
    returns exactly these pixels, at a third of its cost. None when the grids differ (the caller warps)."""
    try:
        dataset = gdal.Open(href)
    except RuntimeError:
        return None  # the warp says what is wrong
    srs = dataset.GetSpatialRef()
    if srs is None or srs.GetAuthorityCode(None) != str(grid.epsg):
        return None
    x0, dx, rx, y0, ry, dy = dataset.GetGeoTransform()
    resx, resy = grid.resolution
    if rx or ry or not math.isclose(dx, resx, rel_tol=1e-9) or not math.isclose(-dy, resy, rel_tol=1e-9):
        return None
    columns, rows = (grid.bounds[0] - x0) / dx, (y0 - grid.bounds[3]) / -dy
    column, row = round(columns), round(rows)
    if abs(columns - column) > 1e-6 or abs(rows - row) > 1e-6:
        return None
    band = dataset.GetRasterBand(1)
    if band.GetNoDataValue() not in (None, 0):
        return None  # the warp maps the file's no-data to 0
    out = np.zeros((grid.height, grid.width), dtype=gdal_array.GDALTypeCodeToNumericTypeCode(band.DataType))
    left, top = max(column, 0), max(row, 0)
    right, bottom = min(column + grid.width, dataset.RasterXSize), min(row + grid.height, dataset.RasterYSize)
    if right > left and bottom > top:
        try:
            out[top - row : bottom - row, left - column : right - column] = band.ReadAsArray(
                left, top, right - left, bottom - top
            )
        except RuntimeError as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise DataError(f"Cannot read {href.removeprefix('/vsicurl/')}: {message}") from None
    return out


def _choose_resampling(href: str, grid: TargetGrid, upsampling: str, downsampling: str) -> str:
    """Downsampling when the tile is coarser than the source, else upsampling (Sentinel Hub's rule)."""
    if upsampling == downsampling:
        return RESAMPLING[upsampling]
    try:
        info = gdal.Open(href)
        source_res = abs(info.GetGeoTransform()[1])
        info = None
    except RuntimeError as exc:
        raise DataError(f"Cannot open {href}: {str(exc).strip()}") from None
    return RESAMPLING[downsampling if grid.resolution[0] > source_res * 1.0001 else upsampling]


def unit_conversion(band: str, unit: Units, offset: float, harmonize: bool) -> UnitConversion:
    """How DN as stored become the unit the script asked for (engine-notes §2.2, reference §4)."""
    if band in OPTICAL:
        if unit == Units.REFLECTANCE:
            return UnitConversion(offset=offset, divisor=10000.0, floor_at_zero=harmonize)
        return UnitConversion(offset=offset, floor_at_zero=True) if harmonize else NO_CONVERSION
    if band in SPECIAL_SCALE and unit != Units.DN:
        return UnitConversion(scale=SPECIAL_SCALE[band])
    return NO_CONVERSION


def clm_from_scl(scl: np.ndarray) -> np.ndarray:
    """Sentinel Hub's CLM from a scene's SCL: 1 cloud, 0 clear, CLM_NO_DATA where SCL has no data."""
    return np.where(np.isin(scl, SCL_CLOUD), 1, np.where(scl == 0, CLM_NO_DATA, 0)).astype(np.uint8)


class SceneReader:
    """Reads the bands of a list of samples onto a grid and builds the SampleStack."""

    def __init__(self, grid: TargetGrid, upsampling: str, downsampling: str, harmonize: bool, max_parallel: int):
        for name in (upsampling, downsampling):
            if name not in RESAMPLING:
                raise DataError(f"Unknown resampling {name!r}: use {', '.join(RESAMPLING)}.")
        self.grid = grid
        self.upsampling = upsampling
        self.downsampling = downsampling
        self.harmonize = harmonize
        self.max_parallel = max(1, max_parallel)

    def _asset(self, scene: Scene, band: str) -> Optional[dict]:
        return scene.properties.get(ASSETS, {}).get(band)

    def _plan(self, scene: Scene, bands: dict[str, Units]) -> tuple[list[str], str]:
        """The bands to read for one scene (requested ones, SCL for a derived CLM) and the one dataMask comes from."""
        reads = []
        for band in bands:
            if band == "CLM" and self._asset(scene, "CLM") is None:
                if self._asset(scene, "SCL") is None:
                    raise DataError(f"Scene {scene.item_id} has neither a CLM nor an SCL asset to derive CLM from.")
                reads.append("SCL")
                continue
            if self._asset(scene, band) is None:
                raise DataError(f"Scene {scene.item_id} has no asset for band {band}.")
            reads.append(band)
        # dataMask: where an optical band has data; a BYOC collection's first band when it has no optical one
        assets = scene.properties.get(ASSETS, {})
        reference = (
            next((b for b in bands if b in OPTICAL), None)
            or next((b for b in ("B04", "B03", "B02", "B08") if b in assets), None)
            or next((b for b in reads if b not in ("SCL", "CLM")), None)
            or next((b for b in assets if b not in ("SCL", "CLM")), None)
        )
        if reference is None:
            raise DataError(f"Scene {scene.item_id} has no band to derive dataMask from.")
        if reference not in reads:
            reads.append(reference)
        return list(dict.fromkeys(reads)), reference

    def read(self, samples: list[Sample], bands: dict[str, Units]) -> SampleStack:
        """The samples' bands as read (DN), mosaicked per sample in scene order, with their unit conversions."""
        grid = self.grid
        shape = (len(samples), grid.height, grid.width)
        mask = np.zeros(shape, np.uint8)
        jobs = []
        for index, sample in enumerate(samples):
            for scene in sample.scenes:
                for band in self._plan(scene, bands)[0]:
                    jobs.append((index, scene, band))
        with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="tilewise-read") as pool:
            futures = {
                (i, scene.item_id, band): pool.submit(self._read_one, scene, band) for i, scene, band in jobs
            }
            arrays = {key: future.result() for key, future in futures.items()}
        for index, sample in enumerate(samples):
            for scene in sample.scenes:
                if "CLM" in bands and self._asset(scene, "CLM") is None:
                    arrays[(index, scene.item_id, "CLM")] = clm_from_scl(arrays[(index, scene.item_id, "SCL")])

        def conversion(scene: Scene, band: str, unit: Units) -> UnitConversion:
            if band == "CLM" and self._asset(scene, "CLM") is None:
                return NO_CONVERSION
            return unit_conversion(band, unit, self._asset(scene, band)["offset_dn"], self.harmonize)

        conversions = {
            band: [tuple(conversion(scene, band, unit) for scene in sample.scenes) for sample in samples]
            for band, unit in bands.items()
        }

        def dtype_of(band: str) -> np.dtype:
            """Wide enough for every scene's read of the band (uint16 for Sentinel-2, uint8 for a derived CLM)."""
            reads = [arrays[(i, scene.item_id, band)] for i, sample in enumerate(samples) for scene in sample.scenes]
            return np.result_type(np.uint8, *reads)

        raw = {band: np.zeros(shape, dtype_of(band)) for band in bands}
        mixed = any(len(set(per_scene)) > 1 for per_band in conversions.values() for per_scene in per_band)
        scene_index = np.zeros(shape, np.uint16) if mixed else None
        for index, sample in enumerate(samples):
            filled = mask[index]
            for position, scene in enumerate(sample.scenes):
                reference = self._plan(scene, bands)[1]
                take = (arrays[(index, scene.item_id, reference)] != 0) & (filled == 0)
                if not take.any():
                    continue
                for band in bands:
                    raw[band][index][take] = arrays[(index, scene.item_id, band)][take]
                if scene_index is not None:
                    scene_index[index][take] = position
                filled[take] = 1
        return SampleStack(
            samples=samples,
            bands={band: RawBand(raw[band], conversions[band]) for band in bands},
            data_mask=mask,
            height=grid.height,
            width=grid.width,
            scene_index=scene_index,
        )

    def _read_one(self, scene: Scene, band: str) -> np.ndarray:
        href = self._asset(scene, band)["href"]
        # classification bands are never interpolated, nor read from overviews (which may be)
        classes = band in ("SCL", "CLM")
        if classes:
            resampling = "near"
        else:
            resampling = _choose_resampling(href, self.grid, self.upsampling, self.downsampling)
        try:
            return warp_band(href, self.grid, resampling, use_overviews=not classes)
        except DataError as exc:
            raise DataError(f"Band {band} of scene {scene.item_id}: {exc}") from None
