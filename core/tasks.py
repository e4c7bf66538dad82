"""QgsTasks of the plugin (the one core module that imports QGIS).

Rules (qgis-notes §4c): the caller keeps a Python reference to each task until
it ends; `run()` touches no layer or widget and never raises (the error is kept
and reported from `finished()`, which runs on the main thread).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import quote

import shapely
from qgis.core import QgsFeature, QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from .area import AreaError, AreaOfInterest
from .crs import CrsError
from .grids import GridError, TileSelection, tiles_for_area
from .http import Cancel, Cancelled, ConnectionFailure, RateLimitError, ServerError, ServiceError
from .monitor import JobWatcher
from .storage import StorageError
from .tile_features import tile_features

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
    features: list[QgsFeature]  # the tile layer's, made off the main thread (core/tile_features.py)


class TileEnumerationTask(QgsTask):
    """Lists the tiles of a grid for an area in the background."""

    def __init__(self, request: TilingRequest, on_done: Callable[[TileEnumerationTask], None]):
        super().__init__(f"Tilewise: tiles of grid {request.grid_id}", QgsTask.Flag.CanCancel)
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
            self.result = TilingResult(area, selection, tile_features(selection.tiles, wkb, "PREVIEW"))
            return True
        except (AreaError, GridError, CrsError) as exc:
            self.error = str(exc)
        except Exception as exc:  # report, never crash QGIS from a worker thread
            log.exception("Tile enumeration failed")
            self.error = f"Listing the tiles failed unexpectedly: {exc}"
        return False

    def finished(self, result: bool) -> None:
        report_done(self, self._on_done)


# --- Batch API calls --------------------------------------------------------------------------------------


class CancellableTask(QgsTask):
    """A task whose work follows `cancel_token` (set by `cancel()`, whichever thread cancels); it sets `result`
    or `error`, and `on_done(task)` runs on the main thread when it ends."""

    def __init__(self, description: str, on_done: Callable):
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.result: object = None
        self.error: Optional[str] = None
        self.cancel_token = Cancel()
        self._on_done = on_done

    def cancel(self) -> None:
        self.cancel_token.set()
        super().cancel()

    def finished(self, result: bool) -> None:
        report_done(self, self._on_done)


class ClientCallTask(CancellableTask):
    """One client call (`function(cancel)`) off the main thread; `on_done(task)` runs on the main thread with
    `result` or `error` set. Cancelling returns at once: the call's thread is left to finish on its own (an
    HTTP read cannot be interrupted) and its result is dropped."""

    def __init__(
        self,
        description: str,
        function: Callable[[Cancel], object],
        on_done: Callable[[ClientCallTask], None],
    ):
        super().__init__(f"Tilewise: {description}", on_done)
        self.function = function
        self.exception: Optional[BaseException] = None  # the error itself, for the UI's fix hints

    def run(self) -> bool:
        outcome: dict = {}

        def call() -> None:
            try:
                outcome["result"] = self.function(self.cancel_token)
            except Exception as exc:  # handed to the main thread as a message
                outcome["error"] = exc

        worker = threading.Thread(target=call, name="tilewise-call", daemon=True)
        worker.start()
        while worker.is_alive():
            if self.cancel_token.wait(0.05) or self.isCanceled():
                self.cancel_token.set()
                self.error = "Cancelled."
                return False
        if "error" in outcome:
            exc = outcome["error"]
            self.exception = exc
            self.error = str(exc) if isinstance(exc, ServiceError) else f"{exc.__class__.__name__}: {exc}"
            if not isinstance(exc, ServiceError):
                log.error("Tilewise call failed: %s", self.error)
            return False
        self.result = outcome.get("result")
        return True


class JobMonitorTask(QgsTask):
    """Polls a job until it reaches a terminal status, with cancellable sleeps that adapt to activity.

    Signals (queued to the main thread): `jobChanged(BatchJob)`, `tilesChanged(list[Tile], bool full)`,
    `failed(str)` on an error that ends the watch: the job deleted elsewhere, refused credentials, or the
    service or bucket unreachable for longer than `transient_errors` polls (`transient` is then True: the
    caller may watch again later)."""

    jobChanged = pyqtSignal(object)
    tilesChanged = pyqtSignal(object, bool)
    failed = pyqtSignal(str)

    def __init__(self, watcher: JobWatcher, transient_errors: int = 5):
        super().__init__(f"Tilewise: watching job {watcher.job_id}", QgsTask.Flag.CanCancel)
        self.watcher = watcher
        self.cancel_token = Cancel()
        self.transient_errors = transient_errors
        self.error: Optional[str] = None
        self.transient = False  # the last failure was the network, the service or the bucket, not the job

    def cancel(self) -> None:
        self.cancel_token.set()
        super().cancel()

    def run(self) -> bool:
        failures = 0
        while not self.isCanceled():
            try:
                update = self.watcher.poll(self.cancel_token)
                failures = 0
            except Cancelled:
                return False
            except (ConnectionFailure, ServerError, RateLimitError, StorageError) as exc:
                failures += (
                    1  # the network, the service or the bucket hiccups: keep watching, a little slower
                )
                if failures > self.transient_errors:
                    self.error = str(exc)
                    self.transient = True
                    self.failed.emit(self.error)
                    return False
                if self.cancel_token.wait(self.watcher.max_interval_s):
                    return False
                continue
            except ServiceError as exc:
                self.error = str(exc)
                self.failed.emit(self.error)
                return False
            if update.job_changed:
                self.jobChanged.emit(update.job)
            if update.tiles:
                self.tilesChanged.emit(update.tiles, update.full)
            if update.job.tile_count and update.job.completion is not None:
                self.setProgress(update.job.completion)
            if update.job.is_terminal:
                return True
            if self.cancel_token.wait(self.watcher.interval_s):
                return False
        return False


def report_done(task: QgsTask, on_done: Callable[[QgsTask], None]) -> None:
    """Hand a finished task to its owner. An exception escaping a Qt virtual method aborts QGIS (PyQt's
    rule), and the owner may be gone (a dock closed while its task ran): log it instead."""
    try:
        on_done(task)
    except Exception:
        log.exception("Tilewise: handling the end of “%s” failed", task.description())


def qgis_proxies() -> dict:
    """QGIS's proxy settings (Settings → Options → Network) for requests; empty when no proxy is set."""
    from qgis.core import QgsSettings

    settings = QgsSettings()
    if not settings.value("proxy/proxyEnabled", False, type=bool):
        return {}
    host = settings.value("proxy/proxyHost", "", type=str)
    port = settings.value("proxy/proxyPort", "", type=str)
    if not host:
        return {}
    user = settings.value("proxy/proxyUser", "", type=str)
    password = settings.value("proxy/proxyPassword", "", type=str)
    credentials = f"{quote(user)}:{quote(password)}@" if user else ""
    url = f"http://{credentials}{host}{':' + port if port else ''}"
    return {"http": url, "https": url}
