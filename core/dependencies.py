"""Python packages the plugin needs inside QGIS's own Python, and how to get them."""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Optional

MINIMUM_SHAPELY = (2, 0)
MINIMUM_MINI_RACER = (0, 14)  # the version the plugin and the engine are tested with (requirements.txt)
SHAPELY_HINT = (
    "Install shapely 2 for QGIS's Python: on Debian 13 or newer (Ubuntu 24.04 or newer) run "
    "`sudo apt install python3-shapely`; on Debian 12 run "
    "`python3 -m pip install --user --break-system-packages 'shapely>=2,<2.2'`; "
    "on Windows open the OSGeo4W Shell and run `python -m pip install 'shapely>=2'`. Then restart QGIS."
)
MINI_RACER_HINT = (
    "Install mini-racer (V8, which reads evalscripts) for QGIS's Python: on Debian or Ubuntu run "
    "`python3 -m pip install --user --break-system-packages 'mini-racer>=0.14'`; "
    "on Windows open the OSGeo4W Shell and run `python -m pip install 'mini-racer>=0.14'`. Then restart QGIS."
)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def shapely_problem() -> Optional[str]:
    try:
        shapely = importlib.import_module("shapely")
    except ImportError:
        return "shapely is not installed"
    if _version(shapely.__version__) < MINIMUM_SHAPELY:
        return f"shapely {shapely.__version__} is too old (Tilewise needs 2.0 or newer)"
    return None


def mini_racer_problem(failure: Optional[Exception] = None) -> Optional[str]:
    """Why V8 (which reads evalscripts) is unusable; `failure`: V8 did not start although it imports."""
    try:
        importlib.import_module("py_mini_racer")
    except ImportError:
        return "mini-racer is not installed"
    except Exception as exc:  # a native library that does not load
        return f"mini-racer does not load ({exc})"
    try:
        version = importlib.metadata.version("mini-racer")
    except importlib.metadata.PackageNotFoundError:  # importable without its metadata (copied in): no version
        version = None
    if version is not None and _version(version) < MINIMUM_MINI_RACER:
        return f"mini-racer {version} is too old (Tilewise needs 0.14 or newer)"
    if failure is not None:
        return f"mini-racer does not start ({failure})"
    return None


def missing_dependencies() -> list[str]:
    """Human-readable problems with the plugin's Python dependencies (empty when all is well)."""
    return [problem for problem in (shapely_problem(), mini_racer_problem()) if problem]


def install_message(problems: list[str]) -> str:
    """The problems and how to fix each, for the message bar."""
    hints = [SHAPELY_HINT if problem.startswith("shapely") else MINI_RACER_HINT for problem in problems]
    return "; ".join(problems) + ". " + " ".join(dict.fromkeys(hints))
