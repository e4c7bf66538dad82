"""The data layer's own types."""

from __future__ import annotations

from dataclasses import dataclass


class DataError(Exception):
    """Data for a tile cannot be found or read; str() is a precise reason without secrets."""


class UnknownCollectionError(DataError):
    pass


@dataclass(frozen=True)
class TargetGrid:
    """The raster a tile is computed on: its CRS, buffered bounds and size."""

    epsg: int
    bounds: tuple[float, float, float, float]
    width: int
    height: int

    @property
    def resolution(self) -> tuple[float, float]:
        return ((self.bounds[2] - self.bounds[0]) / self.width, (self.bounds[3] - self.bounds[1]) / self.height)

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        resx, resy = self.resolution
        return (self.bounds[0], resx, 0.0, self.bounds[3], 0.0, -resy)
