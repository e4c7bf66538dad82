"""GeoTIFF writing: one file per tile and output, in the tile's CRS with its buffer.

Plain outputs are tiled, compressed GeoTIFFs (`GeoTiffCompression`: DEFLATE level 1 with a
predictor unless TILEWISE_GTIFF_COMPRESSION / TILEWISE_GTIFF_LEVEL say otherwise). With `cogOutput` the file
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


class CompressionError(ValueError):
    pass


# Codecs and their level ranges; DEFLATE and LZW are in every libtiff, so every QGIS reads them (docs/engine.md).
CODEC_LEVELS: dict[str, Optional[tuple[str, int, int]]] = {
    "DEFLATE": ("ZLEVEL", 1, 9),
    "ZSTD": ("ZSTD_LEVEL", 1, 22),
    "LZW": None,
    "NONE": None,
}


@dataclass(frozen=True)
class GeoTiffCompression:
    """How output GeoTIFFs are compressed. Level 1 of DEFLATE: 3-4x faster than GDAL's default 6 for files
    about a tenth larger (docs/benchmarks.md, "GeoTIFF compression (issue 25)")."""

    codec: str = "DEFLATE"
    level: Optional[int] = 1  # None: the codec's own default
    predictor: bool = True  # horizontal differencing (2) for integers, floating point (3) for FLOAT32
    threads: str = "ALL_CPUS"

    def __post_init__(self) -> None:
        if self.codec not in CODEC_LEVELS:
            raise CompressionError(
                f"GeoTIFF compression {self.codec!r} is not one of {', '.join(CODEC_LEVELS)}."
            )
        levels = CODEC_LEVELS[self.codec]
        if self.level is not None:
            if levels is None:
                raise CompressionError(f"GeoTIFF compression {self.codec} takes no level.")
            if not levels[1] <= self.level <= levels[2]:
                raise CompressionError(
                    f"GeoTIFF compression level {self.level} is outside {levels[1]}–{levels[2]} for {self.codec}."
                )
        if self.codec != "NONE" and not gdal_writes(self.codec):
            raise CompressionError(
                f"This GDAL {gdal.__version__} cannot write {self.codec}-compressed GeoTIFFs."
            )

    def options(self, sample_type: str, predictor: Optional[bool] = None) -> list[str]:
        """GTiff creation options; `predictor` overrides the setting's (cogParameters.usePredictor)."""
        options = [f"COMPRESS={self.codec}", f"NUM_THREADS={self.threads}"]
        levels = CODEC_LEVELS[self.codec]
        if levels is not None and self.level is not None:
            options.append(f"{levels[0]}={self.level}")
        if self.codec != "NONE" and (self.predictor if predictor is None else predictor):
            options.append(f"PREDICTOR={3 if sample_type == 'FLOAT32' else 2}")
        return options


def gdal_writes(codec: str) -> bool:
    """Whether this GDAL's GTiff driver was built with `codec` (ZSTD needs libzstd)."""
    creation_options = gdal.GetDriverByName("GTiff").GetMetadataItem("DMD_CREATIONOPTIONLIST") or ""
    return f"<Value>{codec}</Value>" in creation_options


DEFAULT_COMPRESSION = GeoTiffCompression()


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
    compression: GeoTiffCompression = DEFAULT_COMPRESSION,
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

    options = ["TILED=YES", "BIGTIFF=IF_SAFER"]
    if signed_byte:
        options.append("PIXELTYPE=SIGNEDBYTE")
    if cog is None:
        options += ["BLOCKXSIZE=256", "BLOCKYSIZE=256", *compression.options(sample_type)]
    else:
        levels = cog.levels_for(width, height)
        if levels:
            memory.BuildOverviews(cog.resampling, levels)
        options += [f"BLOCKXSIZE={cog.block_x}", f"BLOCKYSIZE={cog.block_y}", "COPY_SRC_OVERVIEWS=YES"]
        options += compression.options(sample_type, predictor=cog.use_predictor)
    gdal.GetDriverByName("GTiff").CreateCopy(str(path), memory, strict=0, options=options)
    memory = None


def write_userdata(path: Path, userdata: Any, synthetic: bool) -> None:
    body = userdata if userdata is not None else {}
    if synthetic and isinstance(body, dict):
        body = {**body, "tilewise:synthetic": True}
    path.write_text(json.dumps(body, allow_nan=False, ensure_ascii=False))
