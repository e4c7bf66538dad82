"""The contract between the data sources and the evalscript runtime.

A data source turns a tile and a list of scenes into a `SampleStack`: for every
band the script asked for, one float32 plane per sample, on the tile's own grid.
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
from typing import Any

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


@dataclass(frozen=True)
class Sample:
    """One sample of the stack: an orbit (ORBIT), a scene (TILE) or the mosaic (SIMPLE)."""

    date_from: datetime
    date_to: datetime
    scenes: tuple[Scene, ...]


@dataclass
class SampleStack:
    """Pixels for one tile: band name -> array (n_samples, height, width).

    Band values are float32 in the units the script asked for; `data_mask`
    is uint8 (1 = data). Pixels without data hold 0 in every band.
    """

    samples: list[Sample]
    bands: dict[str, np.ndarray]
    data_mask: np.ndarray
    height: int
    width: int

    def __post_init__(self) -> None:
        shape = (len(self.samples), self.height, self.width)
        for name, array in self.bands.items():
            if array.shape != shape:
                raise ValueError(f"band {name} has shape {array.shape}, expected {shape}")
        if self.data_mask.shape != shape:
            raise ValueError(f"dataMask has shape {self.data_mask.shape}, expected {shape}")

    def take(self, pixels: np.ndarray) -> SampleStack:
        """The given pixels (flat indices, row by row) as a stack one row high, in that order."""
        count = len(pixels)

        def row(array: np.ndarray) -> np.ndarray:
            flat = array.reshape(len(self.samples), self.height * self.width)
            return flat[:, pixels].reshape(len(self.samples), 1, count)

        bands = {name: row(array) for name, array in self.bands.items()}
        return SampleStack(self.samples, bands, row(self.data_mask), 1, count)
