"""A data collection as the processor sees it: search scenes, group them into samples, read them onto a grid."""

from __future__ import annotations

import functools
import os
from datetime import datetime
from typing import Optional

from ...core.s3 import gdal_s3_options
from ..samples import Mosaicking, Sample, SampleStack, Scene, Units
from .catalog import CollectionConfig, StacApi, StaticCatalog, collection_config, group_samples, order_scenes
from .folder import FolderCatalog
from .model import DataError, TargetGrid
from .reader import SceneReader, configure_gdal


class DataSource:
    def __init__(self, config: CollectionConfig, s3_endpoint_url: Optional[str] = None):
        self.config = config
        self.data_type = config.data_type
        self.bands = config.bands
        self._s3_endpoint_url = s3_endpoint_url
        finders = {"static": StaticCatalog, "folder": FolderCatalog, "stac-api": StacApi}
        self._finder = finders[config.kind](config)

    def _configure(self) -> None:
        """GDAL settings are per process: set ours before each use (another source may have changed them)."""
        options = {**gdal_s3_options(self._s3_endpoint_url), **self.config.options}
        if self.config.requester_pays:
            options["AWS_REQUEST_PAYER"] = "requester"
        signed = bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))
        options.setdefault("AWS_NO_SIGN_REQUEST", "NO" if signed or self.config.requester_pays else "YES")
        configure_gdal(options)

    def search(
        self,
        bbox_wgs84: tuple[float, float, float, float],
        time_from: datetime,
        time_to: datetime,
        *,
        max_cloud_coverage: float = 100.0,
        mosaicking_order: str = "mostRecent",
    ) -> list[Scene]:
        if time_from > time_to:
            raise DataError(f"The time range starts ({time_from}) after it ends ({time_to}).")
        self._configure()
        scenes = self._finder.search(bbox_wgs84, time_from, time_to, max_cloud_coverage)
        return order_scenes(scenes, mosaicking_order)

    def samples(self, scenes: list[Scene], mosaicking: Mosaicking) -> list[Sample]:
        return group_samples(scenes, mosaicking)

    def read(
        self,
        samples: list[Sample],
        bands: dict[str, Units],
        grid: TargetGrid,
        *,
        upsampling: str = "NEAREST",
        downsampling: str = "NEAREST",
        harmonize_values: bool = True,
        max_parallel: int = 4,
    ) -> SampleStack:
        unknown = sorted(set(bands) - set(self.bands))
        if unknown:
            raise DataError(
                f"{self.data_type} has no band {', '.join(unknown)}: use bands among {', '.join(self.bands)}."
            )
        self._configure()
        reader = SceneReader(grid, upsampling, downsampling, harmonize_values, max_parallel)
        return reader.read(samples, {b: u for b, u in bands.items() if b != "dataMask"})


@functools.lru_cache(maxsize=16)
def _cached_source(catalog: str, data_type: str, s3_endpoint_url: Optional[str]) -> DataSource:
    return DataSource(collection_config(catalog, data_type), s3_endpoint_url)


def open_source(catalog: str, data_type: str, *, s3_endpoint_url: Optional[str] = None) -> DataSource:
    """The source for a data type; kept per process, so a static catalog is parsed once per worker."""
    return _cached_source(catalog, data_type, s3_endpoint_url)
