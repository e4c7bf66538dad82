"""Python packages the plugin needs inside QGIS's own Python, and how to get them."""

from __future__ import annotations

import importlib

MINIMUM_SHAPELY = (2, 0)
INSTALL_HINT = (
    "Install shapely 2 for QGIS's Python: on Debian 13 or newer (Ubuntu 24.04 or newer) run "
    "`sudo apt install python3-shapely`; on Debian 12 run "
    "`python3 -m pip install --user --break-system-packages 'shapely>=2,<2.2'`; "
    "on Windows open the OSGeo4W Shell and run `python -m pip install 'shapely>=2'`. Then restart QGIS."
)


def missing_dependencies() -> list[str]:
    """Human-readable problems with the plugin's Python dependencies (empty when all is well)."""
    problems = []
    try:
        shapely = importlib.import_module("shapely")
    except ImportError:
        problems.append("shapely is not installed")
    else:
        version = tuple(int(part) for part in shapely.__version__.split(".")[:2] if part.isdigit())
        if version < MINIMUM_SHAPELY:
            problems.append(f"shapely {shapely.__version__} is too old (Tilewise needs 2.0 or newer)")
    return problems
