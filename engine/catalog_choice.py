"""Which catalog new requests read: TILEWISE_CATALOG at first, then what `PUT /api/v1/engine/catalog` chose.

The choice is kept in the data folder (`catalog-choice.json`), with the TILEWISE_CATALOG it replaced: a restart
keeps the switch while TILEWISE_CATALOG stays the same, and an operator who changes TILEWISE_CATALOG gets what
they set (the switch is dropped, and the log says so). Requests store the catalog they were created with, so a
switch reaches only requests created after it (see docs/engine.md).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from ..core.engine_catalog import CatalogOption
from .data.catalog import CollectionConfig, catalog_collections, catalog_names, is_catalog_file
from .data.model import DataError

log = logging.getLogger(__name__)

CHOICE_FILE = "catalog-choice.json"
# Titles of the built-in catalogs (engine/data/catalogs.json); a catalogs file is titled by its name.
TITLES = {
    "demo": "Demo (synthetic scenes, on this computer)",
    "earth-search": "Earth Search (Sentinel-2 on AWS)",
}


# what reading a catalogs file that is not JSON, or not catalogs, raises
UNREADABLE = (DataError, ValueError, KeyError, TypeError, AttributeError)


class CatalogRefused(ValueError):
    """A catalog the engine cannot use; the message says what is wrong and what to use instead."""


def catalog_name(catalog: str) -> str:
    """How the engine names a catalog: a built-in name as it is, a catalogs file by its absolute path (so
    that workers elsewhere, or a later working folder, read the same file)."""
    name = catalog.strip()
    return str(Path(name).expanduser().resolve()) if is_catalog_file(name) else name


def checked_catalog(catalog: str) -> str:
    """The catalog as the engine will name it (a file: its absolute path), once its collections read.
    Raises CatalogRefused naming the problem and the built-in names."""
    name = catalog_name(catalog)
    built_in = ", ".join(catalog_names())
    if not name:
        raise CatalogRefused(f"No catalog given: use one of {built_in}, or the path to a catalogs JSON file.")
    if is_catalog_file(name):
        path = Path(name)
        if not path.is_file():
            raise CatalogRefused(
                f"The catalogs file {path} does not exist: give the path of an existing catalogs JSON file "
                f"(relative paths start at the engine's working folder {Path.cwd()}), or use one of {built_in}."
            )
    elif name not in catalog_names():
        raise CatalogRefused(
            f"Unknown catalog {name!r}: use one of {built_in}, or the path to a catalogs JSON file."
        )
    try:
        collections = catalog_collections(name)
    except UNREADABLE as exc:
        raise CatalogRefused(
            f"The catalogs file {name} cannot be used: {exc.__class__.__name__}: {exc}. It must be a JSON object "
            "of data collections, each with a kind (static, folder or stac-api); see docs/data.md."
        ) from None
    if not collections:
        raise CatalogRefused(f"The catalog {name} names no data collection: add one (see docs/data.md).")
    return name


def catalog_option(catalog: str) -> CatalogOption:
    collections = catalog_collections(catalog)
    title = TITLES.get(catalog) or f"Catalogs file {Path(catalog).name}"
    return CatalogOption(catalog, title, all(is_on_this_computer(c) for c in collections.values()))


def is_on_this_computer(collection: CollectionConfig) -> bool:
    """A static catalog or folder with a local path; an API, S3 or HTTP needs a network."""
    return collection.kind != "stac-api" and "://" not in collection.href


class CatalogChoice:
    """The catalog of requests created from now on; thread-safe, persisted in the engine's data folder."""

    def __init__(self, data_dir: Path, configured: str):
        self.path = data_dir / CHOICE_FILE
        self.configured = catalog_name(configured)  # TILEWISE_CATALOG (or demo)
        self._lock = threading.Lock()
        self._current = self.configured
        self._switched = False
        self._restore()

    @property
    def current(self) -> str:
        with self._lock:
            return self._current

    @property
    def source(self) -> str:
        """`env`: TILEWISE_CATALOG (or its default) rules; `switched`: the API chose another one."""
        with self._lock:
            return "switched" if self._switched else "env"

    def available(self) -> list[CatalogOption]:
        """The built-in catalogs, then TILEWISE_CATALOG's and the current one when they are catalogs files (a
        file that no longer reads is left out: switching to it would be refused, saying why)."""
        options = []
        for name in dict.fromkeys([*catalog_names(), self.configured, self.current]):
            try:
                options.append(catalog_option(name))
            except UNREADABLE as exc:
                log.warning("Catalog %s is not offered: %s", name, exc)
        return options

    def switch(self, catalog: str) -> str:
        """Make `catalog` the one of new requests and keep it for restarts; returns its name as stored."""
        name = checked_catalog(catalog)
        with self._lock:
            if name == self.configured:
                self.path.unlink(missing_ok=True)  # back to what TILEWISE_CATALOG says
            else:
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps({"catalog": name, "replaces": self.configured}))
                temporary.replace(self.path)  # atomic: a crash leaves the old choice or the new one
            self._current, self._switched = name, name != self.configured
        log.info("Catalog of new requests: %s", name)
        return name

    def _restore(self) -> None:
        if not self.path.is_file():
            return
        try:
            saved = json.loads(self.path.read_text())
            catalog, replaces = str(saved["catalog"]), str(saved["replaces"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "Ignoring %s (%s): the catalog is TILEWISE_CATALOG's, %s", self.path, exc, self.configured
            )
            return
        if replaces != self.configured:
            log.warning(
                "TILEWISE_CATALOG changed from %s to %s since the catalog was switched to %s: using %s",
                replaces, self.configured, catalog, self.configured,
            )  # fmt: skip
            self.path.unlink(missing_ok=True)
            return
        try:
            self._current = checked_catalog(catalog)
        except CatalogRefused as exc:
            log.warning("The switched catalog is no longer usable (%s): using %s", exc, self.configured)
            return
        self._switched = True
