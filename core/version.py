"""The one version number of Tilewise (plugin and engine), read from `metadata.txt`, the file QGIS's Plugin
Manager reads. Qt-free: the engine reports it too."""

from __future__ import annotations

from configparser import ConfigParser
from pathlib import Path

METADATA = Path(__file__).resolve().parent.parent / "metadata.txt"


def _read_version(metadata: Path = METADATA) -> str:
    parser = ConfigParser(interpolation=None)
    if not parser.read(metadata, encoding="utf-8") or not parser.has_option("general", "version"):
        raise RuntimeError(
            f"{metadata} has no [general] version: the plugin folder is incomplete, reinstall it."
        )
    return parser.get("general", "version").strip()


VERSION = _read_version()
