"""Temporary folders the plugin makes in one QGIS session (previews, job layers of an unsaved project, the
monitor's downloads), and their removal when the plugin unloads (Qt-free: the project is read through the
few methods it is called with).

The rule: a folder this session made is removed at unload unless a layer of the project still reads from it
and either QGIS stays open (the plugin is reloaded or disabled: the layer is still on the map) or the project
is saved to a file (it may point there when opened again; we never delete what a saved project uses).
Folders of earlier sessions are never touched: they may belong to another QGIS running now.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterable

_made: list[Path] = []


def session_folder(prefix: str) -> Path:
    """A new temporary folder (`<prefix>…` under the system's temp folder), remembered for `remove_unused`."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    _made.append(folder)
    return folder


def made_this_session() -> list[Path]:
    return [folder for folder in _made if folder.exists()]


def in_use(folder: Path, sources: Iterable[str]) -> bool:
    """Whether one of the layer sources (a path, or a path with `|layername=…` and the like) is in the folder."""
    prefixes = {str(folder) + "/", str(folder.resolve()) + "/"}
    return any(any(prefix in source.replace("\\", "/") for prefix in prefixes) for source in sources)


def remove_unused(sources: Iterable[str], project_saved: bool, closing: bool) -> list[Path]:
    """Remove this session's folders that nothing needs any more (the rule above); returns those removed."""
    sources = list(sources)
    removed = []
    for folder in made_this_session():
        if in_use(folder, sources) and (project_saved or not closing):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
            _made.remove(folder)
    return removed


def remove_for_project(project, closing: bool) -> list[Path]:
    """`remove_unused` for a QgsProject: its layers' sources, saved when it has a file name."""
    sources = [layer.source() for layer in project.mapLayers().values()]
    return remove_unused(sources, bool(project.fileName()), closing)


__all__ = ["in_use", "made_this_session", "remove_for_project", "remove_unused", "session_folder"]
