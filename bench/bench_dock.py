"""How long the QGIS event loop stalls while the dock drives a whole job (target: never more than 100 ms).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_dock.py      # needs `make demo-data`

A live engine (2 workers, demo catalog, local S3 server) and a headless QGIS. A 5 ms QTimer on the main thread
measures every gap between its ticks while the real TilewiseDock, driven by its footer's buttons, goes
through: construction (credentials from QgsAuthManager), three evalscript presets read, the area picker's
outline of the tutorial's area, the tile preview of the whole area, a Process API preview of one tile and of
the map extent, create → analyse → confirmation dialog → start (the Jobs tab forward), the job run to its
end (its tile layer replacing the grid preview, the end-of-job notice in a real QgsMessageBar), the Jobs tab
(refresh, a search, the next page), the outline of a layer of 4,300 polygons, and a preview of about 4,300
tiles (a large area). The longest gap per phase is the longest the user could have waited for QGIS to respond.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_AUTH_DIR = tempfile.mkdtemp(prefix="tilewise-bench-auth-")
os.environ["QGIS_AUTH_DB_DIR_PATH"] = _AUTH_DIR  # read when QGIS starts: never the user's database

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)

APP = QgsApplication([], True)
APP.initQgis()

from bench_engine import CATALOG  # noqa: E402
from qgis.gui import QgsMapCanvas, QgsMessageBar  # noqa: E402
from qgis.PyQt.QtCore import QCoreApplication, QDate, QObject, QSettings, QTimer, pyqtSignal  # noqa: E402
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, local_engine, moto_server  # noqa: E402

from tilewise.core.connections import ConnectionStore  # noqa: E402
from tilewise.core.statuses import V1  # noqa: E402
from tilewise.ui.dock import TilewiseDock  # noqa: E402
from tilewise.ui.job_end_notice import notice_label  # noqa: E402
from tilewise.ui.tile_layer import GRID_PREVIEW_GROUP  # noqa: E402

ENTIRE_AREA = (
    "MULTIPOLYGON(((-119.2089 36.1383,-119.1323 36.0980,-119.1282 35.9869,-119.2264 35.9532,"
    "-119.3263 35.9822,-119.3488 36.0899,-119.2089 36.1383)))"
)
SUB_AREA = "POLYGON((-119.2778 36.0806,-119.2776 36.04,-119.2135 36.04,-119.21409 36.0806,-119.2778 36.0806))"
LARGE_AREA = "POLYGON((-123 34,-116 34,-116 40,-123 40,-123 34))"  # about 4,300 tiles of grid 1 at 10 m
PARCELS = (43, 100)  # columns × rows of small squares in LARGE_AREA: a 4,300-polygon layer to outline
TICK_MS = 5
LOAD_BEFORE = f"{os.getloadavg()[0]:.2f}"  # other work on the machine lengthens the gaps


class StallMeter:
    """Gaps between the ticks of a 5 ms timer on the main thread, attributed to the current phase; with each
    gap, the main thread's own CPU time in it (on a loaded machine a gap is also time spent waiting for a core:
    the CPU time is what the dock's code costs)."""

    def __init__(self):
        self.phase = "idle"
        self.gaps: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.setdefault(self.phase, []).append((now - self._last) * 1000)
        self.cpu.setdefault(self.phase, []).append((cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu

    def start(self, phase: str) -> None:
        self._tick()
        self.phase = phase

    def run(self) -> None:
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start()


class Iface(QObject):
    """What the dock uses of QGIS's interface."""

    currentLayerChanged = pyqtSignal(object)

    def __init__(self, canvas: QgsMapCanvas):
        super().__init__()
        self.canvas = canvas
        self.layer = None
        self.bar = MessageBar()

    def activeLayer(self):  # noqa: N802 (QGIS API)
        return self.layer

    def setActiveLayer(self, layer) -> None:  # noqa: N802 (QGIS API)
        self.layer = layer
        self.currentLayerChanged.emit(layer)

    def mapCanvas(self):  # noqa: N802 (QGIS API)
        return self.canvas

    def messageBar(self):  # noqa: N802 (QGIS API)
        return self.bar


class MessageBar(QgsMessageBar):
    """QGIS's message bar (the end-of-job notice is a real item with its buttons), its texts kept."""

    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def pushMessage(self, title, text, level=0, duration=0):  # noqa: N802 (QGIS API)
        self.messages.append(text)
        super().pushMessage(title, text, level, duration)


def wait(predicate, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the dock did not get there in time")
        QCoreApplication.processEvents()
        time.sleep(0.002)


def layer_of(wkts: list[str], name: str) -> QgsVectorLayer:
    layer = QgsVectorLayer("MultiPolygon?crs=EPSG:4326", name, "memory")
    features = []
    for wkt in wkts:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    QgsProject.instance().addMapLayer(layer)
    return layer


def parcels() -> list[str]:
    """Small squares filling LARGE_AREA, as a layer of many parcels would."""
    columns, rows = PARCELS
    width, height = 7 / columns, 6 / rows
    squares = []
    for column in range(columns):
        for row in range(rows):
            x, y = -123 + column * width, 34 + row * height
            w, h = width * 0.9, height * 0.9
            squares.append(f"POLYGON(({x} {y},{x + w} {y},{x + w} {y + h},{x} {y + h},{x} {y}))")
    return squares


def outline(dock, layer) -> None:
    """Choose `layer` in the picker and wait until its outline is on the canvas: the picker's refresh (it is
    debounced) done, the canvas drawn, and a moment for the outline's paint events."""
    dock.area.choose_layer(layer)
    wait(lambda: not dock.area.refresh_timer.isActive() and not dock.iface.mapCanvas().isDrawing())
    pause = time.monotonic() + 0.3
    wait(lambda: time.monotonic() > pause)
    assert dock.area.highlight.is_shown(), f"{layer.name()} is not outlined"


def main() -> None:
    if not (CATALOG / "catalog.json").exists():
        raise SystemExit(f"No demo catalog at {CATALOG}: run `make demo-data` first.")
    assert QgsApplication.authManager().setMasterPassword("bench-master-password", True)
    with tempfile.TemporaryDirectory(prefix="tilewise-bench-dock-") as tmp:
        servers = moto_server(Path(tmp) / "moto.log", {})
        s3 = next(servers)
        engine = local_engine(Path(tmp) / "engine", CATALOG, s3, 2).start()
        try:
            run(engine, s3.new_bucket(), Path(tmp))
        finally:
            engine.stop()
            next(servers, None)


def run(engine, bucket: str, tmp: Path) -> None:
    meter = StallMeter()
    meter.run()
    canvas = QgsMapCanvas()
    canvas.resize(800, 600)
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    canvas.setExtent(QgsRectangle(-119.4, 35.9, -119.1, 36.2))
    canvas.show()  # the area's outline is painted, as in QGIS
    iface = Iface(canvas)
    store = ConnectionStore(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    deployment = store.add_custom("Bench engine", engine.url)
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    store.set_current(deployment.id)
    store.set_api_version(deployment.id, V1)
    area = layer_of([ENTIRE_AREA, SUB_AREA], "california")
    iface.setActiveLayer(area)
    # the bench's own setup (the canvas's first paint of the area, the auth database written) settles first:
    # it is not the dock's, and would otherwise land in the first gap of "open the dock"
    settled = time.monotonic() + 0.5
    wait(lambda: time.monotonic() > settled and not canvas.isDrawing())

    meter.start("open the dock")
    dock = TilewiseDock(iface, store=store)
    dock.show()
    wait(lambda: dock.form.script_editor.info is not None and "engine" not in dock.runner.tasks)

    meter.start("read 3 presets")
    for name in ("NDVI", "NDWI", "NDVI interpolation (tutorial)"):
        dock.form.script_editor.select_preset(name)
        wait(lambda: dock.form.script_editor.task is None)
    dock.form.date_from.setDate(QDate(2023, 7, 1))
    dock.form.date_to.setDate(QDate(2023, 7, 30))
    dock.form.s3_url_edit.setText(f"s3://{bucket}/bench")
    dock.form.location_combo.setCurrentIndex(dock.form.location_combo.findData("s3"))

    meter.start("area picker: outline the whole area")
    outline(dock, area)

    footer = dock.form.footer
    meter.start("preview tiles (whole area)")
    tiles = []
    dock.previewFinished.connect(tiles.append)
    footer.preview_button.click()
    wait(lambda: tiles)
    tile_count = len(dock.selection)

    previews = []
    dock.rasterPreviewFinished.connect(previews.append)
    meter.start("preview one tile (Process API)")
    footer.preview_tile_button.click()
    wait(lambda: previews)
    meter.start("preview map extent (Process API)")
    canvas.setExtent(QgsRectangle(-119.2778, 36.04, -119.2135, 36.0806))
    footer.preview_extent_button.click()
    wait(lambda: len(previews) == 2)
    assert all(p is not None for p in previews), iface.bar.messages

    stages = []
    dock.jobStageChanged.connect(lambda stage, job: stages.append((stage, job)))
    ended = []
    dock.jobs.monitor.jobFinished.connect(ended.append)
    meter.start("create and analyse")
    area.selectByIds([2])  # the sub-area: "Selected features only"
    footer.create_button.click()
    wait(lambda: any(s in ("analysed", "failed", "invalid") for s, _ in stages))
    assert stages[-1][0] == "analysed", iface.bar.messages
    meter.start("confirm and start")
    wait(lambda: dock.start_dialog is not None and dock.start_dialog.isVisible())
    dock.start_dialog.start_button.click()
    wait(lambda: any(s == "started" for s, _ in stages))

    assert dock.tabs.currentWidget() is dock.jobs_panel, "Start did not bring the Jobs tab forward"

    meter.start("run the job: its tiles, grid preview removed, end notice")
    wait(lambda: ended and dock.jobs.last_notice is not None)
    assert QgsProject.instance().layerTreeRoot().findGroup(GRID_PREVIEW_GROUP) is None, "grid preview kept"
    notice = notice_label(dock.jobs.last_notice).toolTip()

    meter.start("jobs tab: refresh, search, next page")
    panel = dock.jobs_panel
    panel.refresh()
    wait(lambda: not panel.is_loading())
    if panel.has_more():
        panel.load_more()
        wait(lambda: not panel.is_loading())
    for text in ("bench", ""):  # the search waits for a pause in typing, then asks the service
        panel.search_edit.setText(text)
        pause = time.monotonic() + 0.6
        wait(lambda pause=pause: time.monotonic() > pause and not panel.is_loading())

    meter.start("idle")  # the bench's own layer of parcels, not the dock's work
    dock.tabs.setCurrentIndex(0)  # back to the form: the outline shows while the form does
    many = layer_of(parcels(), "parcels")
    canvas.setExtent(many.extent())
    wait(lambda: not canvas.isDrawing())
    meter.start(f"area picker: outline {many.featureCount():,} polygons")
    outline(dock, many)

    meter.start("preview tiles (large area)")
    big = layer_of([LARGE_AREA], "large")
    dock.area.choose_layer(big)  # the user picks the large area in the form
    dock.form.max_tiles.setValue(100_000)
    tiles.clear()
    footer.preview_button.click()
    wait(lambda: tiles)
    big_count = len(dock.selection)
    meter.start("done")
    dock.unload()

    print(f"Engine {engine.url}, demo catalog; whole area {tile_count} tiles; large area {big_count:,} tiles")
    print(f"Job {ended[0].id}: notice “{notice}”")
    print(
        f"Load average before the run: {LOAD_BEFORE}; after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} core(s)"
    )
    print(f"{'phase':56} {'ticks':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'max CPU ms':>10}")
    worst, worst_cpu = 0.0, 0.0
    for phase, gaps in meter.gaps.items():
        if phase in ("idle", "done") or not gaps:
            continue
        ordered = sorted(gaps)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        cpu = max(meter.cpu[phase])
        worst, worst_cpu = max(worst, ordered[-1]), max(worst_cpu, cpu)
        print(
            f"{phase:56} {len(gaps):6d} {statistics.median(gaps):7.1f} {p99:7.1f} {ordered[-1]:7.1f} {cpu:10.1f}"
        )
    print(f"Longest stall of the event loop: {worst:.1f} ms (target: under 100 ms)")
    print(f"Most main-thread CPU time in one gap: {worst_cpu:.1f} ms")


if __name__ == "__main__":
    main()
