"""QgsTasks of the plugin (the one core module that imports QGIS).

Rules (qgis-notes §4c): the caller keeps a Python reference to each task until
it ends; `run()` touches no layer or widget and never raises (the error is kept
and reported from `finished()`, which runs on the main thread).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Optional

import shapely
from qgis.core import QgsTask

from .area import AreaError, AreaOfInterest
from .crs import CrsError
from .grids import GridError, TileSelection, tiles_for_area

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TilingRequest:
    """What the grid preview needs, copied out of QGIS before the task starts."""

    geometries: tuple[shapely.Geometry, ...]
    crs: str
    grid_id: int
    resolution: float
    buffer_x: int
    buffer_y: int
    max_tiles: int


@dataclass
class TilingResult:
    area: AreaOfInterest
    selection: TileSelection
    footprint_wkb: list[bytes]  # prepared off the main thread for fast layer building


class TileEnumerationTask(QgsTask):
    """Lists the tiles of a grid for an area in the background."""

    def __init__(self, request: TilingRequest, on_done: Callable[[TileEnumerationTask], None]):
        super().__init__(f"Tilewise: tiles of grid {request.grid_id}", QgsTask.CanCancel)
        self.request = request
        self.result: Optional[TilingResult] = None
        self.error: Optional[str] = None
        self._on_done = on_done

    def run(self) -> bool:
        try:
            area = AreaOfInterest.from_geometries(self.request.geometries, self.request.crs)
            self.setProgress(20)
            if self.isCanceled():
                return False
            selection = tiles_for_area(
                area,
                self.request.grid_id,
                self.request.resolution,
                self.request.buffer_x,
                self.request.buffer_y,
                self.request.max_tiles,
            )
            self.setProgress(80)
            if self.isCanceled():
                return False
            wkb = shapely.to_wkb([t.footprint for t in selection.tiles]).tolist()
            self.result = TilingResult(area, selection, wkb)
            return True
        except (AreaError, GridError, CrsError) as exc:
            self.error = str(exc)
        except Exception as exc:  # report, never crash QGIS from a worker thread
            log.exception("Tile enumeration failed")
            self.error = f"Listing the tiles failed unexpectedly: {exc}"
        return False

    def finished(self, result: bool) -> None:
        self._on_done(self)
