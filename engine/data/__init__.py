"""Sentinel-2 data for the engine: collections from STAC, read onto tile grids (docs/data.md)."""

from .catalog import catalog_names, collection_bands
from .model import DataError, TargetGrid, UnknownCollectionError
from .source import DataSource, open_source

__all__ = [
    "DataError",
    "DataSource",
    "TargetGrid",
    "UnknownCollectionError",
    "catalog_names",
    "collection_bands",
    "open_source",
]
