"""The contract between the data sources and the evalscript runtime.

A data source turns a tile and a list of scenes into a `SampleStack`: for every
band the script asked for, one plane per sample, on the tile's own grid. The
reader keeps the digital numbers as read (`RawBand`, uint16 for Sentinel-2) with
how to convert them; the runtime converts rows to float32 in the script's units
as it fills its buffers (`fill_rows`), so no float32 copy of the tile is built.
What a "sample" is depends on the script's mosaicking:

- SIMPLE: one sample, the mosaic of all scenes (in mosaicking order);
- ORBIT:  one sample per UTC day (Sentinel Hub: "a single scene for each day");
- TILE:   one sample per scene (STAC item).

The runtime receives the stack and the `Sample` metadata and builds the
`samples`/`scenes` arguments of `evaluatePixel` from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Optional, Union

import numpy as np


class Mosaicking(str, Enum):
    SIMPLE = "SIMPLE"
    ORBIT = "ORBIT"
    TILE = "TILE"


class Units(str, Enum):
    """Units a script may ask for (reference §4); bands without reflectance ignore REFLECTANCE (SCL, CLM…)."""

    DN = "DN"
    REFLECTANCE = "REFLECTANCE"
    OPTICAL_DEPTH = "OPTICAL_DEPTH"  # AOT
    PERCENT = "PERCENT"  # CLD, SNW
    DEGREES = "DEGREES"  # sun and view angles


@dataclass(frozen=True)
class Scene:
    """One source scene (a STAC item): what `scenes.tiles[i]` exposes."""

    item_id: str  # `shId` / `tileOriginalId`
    datetime: datetime  # acquisition time, timezone-aware UTC
    cloud_coverage: float | None
    data_path: str  # where the item lives (its self href or asset prefix)
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    mgrs_tile: Optional[str] = None  # e.g. "33TWL", when the item names its MGRS tile
    epsg: Optional[int] = None  # the item's CRS (proj:epsg / proj:code); each asset's grid is in properties


@dataclass(frozen=True)
class Sample:
    """One sample of the stack: an orbit (ORBIT), a scene (TILE) or the mosaic (SIMPLE)."""

    date_from: datetime
    date_to: datetime
    scenes: tuple[Scene, ...]


@dataclass(frozen=True)
class UnitConversion:
    """DN as read → the script's units, as float32 operations in this order, each only when set:
    + offset, / divisor, floor at 0, × scale. The default converts nothing (DN, masks, classes)."""

    offset: Optional[float] = None
    divisor: Optional[float] = None
    floor_at_zero: bool = False
    scale: Optional[float] = None

    @property
    def keeps_zero(self) -> bool:
        """A DN of 0 stays 0, so pixels without data need no masking after the conversion."""
        return not self.offset or (self.floor_at_zero and self.offset < 0)

    def apply(self, dn: np.ndarray, out: np.ndarray) -> None:
        """Writes the converted `dn` into the float32 array `out` of the same shape."""
        np.copyto(out, dn, casting="unsafe")
        if self.offset is not None:
            np.add(out, np.float32(self.offset), out=out)
        if self.divisor is not None:
            np.divide(out, np.float32(self.divisor), out=out)
        if self.floor_at_zero:
            np.maximum(out, np.float32(0), out=out)
        if self.scale is not None:
            np.multiply(out, np.float32(self.scale), out=out)


NO_CONVERSION = UnitConversion()


@dataclass
class RawBand:
    """A band as read, (n_samples, height, width) in any dtype with 0 where a sample has no data, and how
    to convert it: per sample, one conversion per scene of that sample (scenes may carry different offsets)."""

    values: np.ndarray
    conversions: list[tuple[UnitConversion, ...]]


@dataclass
class SampleStack:
    """Pixels for one tile: band name -> a float32 array (n_samples, height, width) already in the
    script's units, or a `RawBand` converted on demand.

    `data_mask` is uint8 (1 = data). Pixels without data read 0 in every band. `scene_index` says which
    scene of its sample filled each pixel; it is only needed (and only set) when a sample's scenes convert
    a band differently.
    """

    samples: list[Sample]
    bands: dict[str, Union[np.ndarray, RawBand]]
    data_mask: np.ndarray
    height: int
    width: int
    scene_index: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        shape = (len(self.samples), self.height, self.width)
        for name, band in self.bands.items():
            array = band.values if isinstance(band, RawBand) else band
            if array.shape != shape:
                raise ValueError(f"band {name} has shape {array.shape}, expected {shape}")
        if self.data_mask.shape != shape:
            raise ValueError(f"dataMask has shape {self.data_mask.shape}, expected {shape}")

    def plane(self, band: str) -> np.ndarray:
        """The whole band in the script's units, float32 (n_samples, height, width)."""
        stored = self.bands[band]
        if not isinstance(stored, RawBand):
            return stored
        out = np.empty((len(self.samples), self.height, self.width), np.float32)
        self.fill_rows(band, 0, self.height, out)
        return out

    def fill_rows(self, band: str, row: int, end: int, out: np.ndarray) -> None:
        """Rows `row:end` of the band in the script's units into `out` (n_samples, end - row, width)."""
        stored = self.bands[band]
        if not isinstance(stored, RawBand):
            out[...] = stored[:, row:end]
            return
        # converted in float32 whatever `out` holds, so the values are those of the whole-plane conversion
        target = out if out.dtype == np.float32 else np.empty(out.shape, np.float32)
        for index, conversions in enumerate(stored.conversions):
            self._convert_sample(stored.values[index, row:end], conversions, index, row, end, target[index])
        if target is not out:
            out[...] = target

    def _convert_sample(
        self,
        dn: np.ndarray,
        conversions: tuple[UnitConversion, ...],
        index: int,
        row: int,
        end: int,
        out: np.ndarray,
    ) -> None:
        distinct = tuple(dict.fromkeys(conversions)) or (NO_CONVERSION,)
        if len(distinct) == 1:
            distinct[0].apply(dn, out)
        else:
            if self.scene_index is None:
                raise ValueError("a sample converts its scenes differently but the stack has no scene_index")
            chosen = self.scene_index[index, row:end]
            scratch = np.empty_like(out)
            for scene, conversion in enumerate(conversions):
                conversion.apply(dn, scratch)
                np.copyto(out, scratch, where=chosen == scene)
        if not all(conversion.keeps_zero for conversion in distinct):
            np.copyto(out, np.float32(0), where=self.data_mask[index, row:end] == 0)

    def blank(self, where: np.ndarray) -> None:
        """No data at the (height, width) pixels `where`: dataMask 0 and every band 0."""
        for band in self.bands.values():
            (band.values if isinstance(band, RawBand) else band)[:, where] = 0
        self.data_mask[:, where] = 0

    def take(self, pixels: np.ndarray) -> SampleStack:
        """The given pixels (flat indices, row by row) as a stack one row high, in that order, raw bands
        kept raw (their conversions apply to the taken pixels as to the whole tile)."""
        count = len(pixels)

        def row(array: np.ndarray) -> np.ndarray:
            flat = array.reshape(len(self.samples), self.height * self.width)
            return flat[:, pixels].reshape(len(self.samples), 1, count)

        bands: dict[str, Union[np.ndarray, RawBand]] = {
            name: RawBand(row(band.values), band.conversions) if isinstance(band, RawBand) else row(band)
            for name, band in self.bands.items()
        }
        index = None if self.scene_index is None else row(self.scene_index)
        return SampleStack(self.samples, bands, row(self.data_mask), 1, count, index)
