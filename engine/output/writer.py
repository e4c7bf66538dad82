"""GeoTIFF writing: one file per tile and output, in the tile's CRS with its buffer.

Plain outputs are tiled, DEFLATE-compressed GeoTIFFs. With `cogOutput` the file
is a Cloud Optimized GeoTIFF built the classic way (overviews on an in-memory
copy, then GTiff with COPY_SRC_OVERVIEWS), which is what honours Sentinel Hub's
`cogParameters`, including non-square blocks that GDAL's COG driver refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

# GDAL 3.7 added a signed 8-bit type; before it, INT8 is written as Byte flagged PIXELTYPE=SIGNEDBYTE (which
# GDAL 3.7+ no longer accepts). Detected, not inferred from a release.
NATIVE_INT8 = hasattr(gdal, "GDT_Int8")

GDAL_TYPES = {
    "INT8": gdal.GDT_Int8 if NATIVE_INT8 else gdal.GDT_Byte,
    "UINT8": gdal.GDT_Byte,
    "INT16": gdal.GDT_Int16,
    "UINT16": gdal.GDT_UInt16,
    "FLOAT32": gdal.GDT_Float32,
}
NUMPY_TYPES = {
    "INT8": np.int8,
    "UINT8": np.uint8,
    "INT16": np.int16,
    "UINT16": np.uint16,
    "FLOAT32": np.float32,
}
RESAMPLINGS = {
    "nearest": "NEAREST",
    "average": "AVERAGE",
    "gauss": "GAUSS",
    "cubic": "CUBIC",
    "cubicspline": "CUBICSPLINE",
    "lanczos": "LANCZOS",
    "average_magphase": "AVERAGE_MAGPHASE",
    "mode": "MODE",
}


class CogParameterError(ValueError):
    pass


@dataclass(frozen=True)
class CogParameters:
    """v1 `cogParameters` with Sentinel Hub's defaults (blocks of 1024 in v1, 256 in v2)."""

    overview_levels: Optional[tuple[int, ...]] = None
    overview_min_size: int = 256
    resampling: str = "AVERAGE"
    block_x: int = 1024
    block_y: int = 1024
    use_predictor: bool = True

    @classmethod
    def parse(cls, body: dict, default_block: int = 1024) -> CogParameters:
        def whole(key: str, default: int, minimum: int = 1) -> int:
            value = body.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise CogParameterError(f"cogParameters.{key} must be a whole number of at least {minimum}.")
            return value

        levels = body.get("overviewLevels")
        if levels is not None:
            if not isinstance(levels, list) or not all(isinstance(v, int) and v >= 2 for v in levels):
                raise CogParameterError(
                    "cogParameters.overviewLevels must be a list of whole numbers ≥ 2, e.g. [2, 4, 8]."
                )
            levels = tuple(sorted(set(levels)))
        resampling = str(body.get("resamplingAlgorithm", "average")).lower()
        if resampling not in RESAMPLINGS:
            raise CogParameterError(
                f"cogParameters.resamplingAlgorithm {resampling!r} is not one of {', '.join(RESAMPLINGS)}."
            )
        block_x, block_y = whole("blockxsize", default_block, 16), whole("blockysize", default_block, 16)
        if block_x % 16 or block_y % 16:
            raise CogParameterError("cogParameters.blockxsize and blockysize must be multiples of 16.")
        predictor = body.get("usePredictor", True)
        if not isinstance(predictor, bool):
            raise CogParameterError("cogParameters.usePredictor must be true or false.")
        return cls(
            levels, whole("overviewMinSize", 256), RESAMPLINGS[resampling], block_x, block_y, predictor
        )

    def levels_for(self, width: int, height: int) -> list[int]:
        if self.overview_levels is not None:
            return [v for v in self.overview_levels if max(width, height) // v >= 1]
        levels, level = [], 2
        while (
            min(width, height) / level >= self.overview_min_size // 2
            and max(width, height) / level > self.overview_min_size
        ):
            levels.append(level)
            level *= 2
        return levels


@dataclass(frozen=True)
class RasterPlacement:
    """Where the raster sits: the tile CRS and the buffered grid."""

    epsg: int
    origin_x: float  # upper-left corner, with buffer
    origin_y: float
    resolution: float
    resolution_y: Optional[float] = (
        None  # when pixels are not square (a feature with its own width and height)
    )

    @property
    def pixel_height(self) -> float:
        return self.resolution if self.resolution_y is None else self.resolution_y


@dataclass
class TiffMetadata:
    items: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False


def write_geotiff(
    path: Path,
    data: np.ndarray,
    sample_type: str,
    nodata_value: Optional[float],
    placement: RasterPlacement,
    metadata: TiffMetadata,
    cog: Optional[CogParameters] = None,
) -> None:
    """Write `data` (bands, height, width) as a GeoTIFF at `path`."""
    bands, height, width = data.shape
    memory = gdal.GetDriverByName("MEM").Create("", width, height, bands, GDAL_TYPES[sample_type])
    signed_byte = sample_type == "INT8" and not NATIVE_INT8
    if signed_byte:
        memory.GetRasterBand(1).SetMetadataItem("PIXELTYPE", "SIGNEDBYTE", "IMAGE_STRUCTURE")
    memory.SetGeoTransform(
        (placement.origin_x, placement.resolution, 0.0, placement.origin_y, 0.0, -placement.pixel_height)
    )
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(placement.epsg)
    memory.SetProjection(srs.ExportToWkt())
    array = np.ascontiguousarray(data, dtype=NUMPY_TYPES[sample_type])
    if signed_byte:
        array = array.view(np.uint8)
    for index in range(bands):
        band = memory.GetRasterBand(index + 1)
        band.WriteArray(array[index])
        if nodata_value is not None:
            band.SetNoDataValue(float(nodata_value))
    items = dict(metadata.items)
    if metadata.synthetic:
        items["TILEWISE_SYNTHETIC"] = "true"
        items["TIFFTAG_IMAGEDESCRIPTION"] = "SYNTHETIC DATA (Tilewise demo catalog): not a real observation"
    memory.SetMetadata(items)

    options = ["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER", "NUM_THREADS=ALL_CPUS"]
    if signed_byte:
        options.append("PIXELTYPE=SIGNEDBYTE")
    predictor = "3" if sample_type == "FLOAT32" else "2"
    if cog is None:
        options += ["BLOCKXSIZE=256", "BLOCKYSIZE=256", f"PREDICTOR={predictor}"]
    else:
        levels = cog.levels_for(width, height)
        if levels:
            memory.BuildOverviews(cog.resampling, levels)
        options += [f"BLOCKXSIZE={cog.block_x}", f"BLOCKYSIZE={cog.block_y}", "COPY_SRC_OVERVIEWS=YES"]
        if cog.use_predictor:
            options.append(f"PREDICTOR={predictor}")
    gdal.GetDriverByName("GTiff").CreateCopy(str(path), memory, strict=0, options=options)
    memory = None


def write_userdata(path: Path, userdata: Any, synthetic: bool) -> None:
    body = userdata if userdata is not None else {}
    if synthetic and isinstance(body, dict):
        body = {**body, "tilewise:synthetic": True}
    path.write_text(json.dumps(body, allow_nan=False, ensure_ascii=False))
