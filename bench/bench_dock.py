"""How long the QGIS event loop stalls while the dock drives a whole job (target: never more than 100 ms).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_dock.py      # needs `make demo-data`

A live engine (2 workers, demo catalog, local S3 server) and a headless QGIS. A 5 ms QTimer on the main thread
measures every gap between its ticks while the real TilewiseDock goes through: construction (credentials
from QgsAuthManager), three evalscript presets read, the tile preview of the tutorial's whole area, a Process
API preview of one tile and of the map extent, create → analyse → confirmation dialog → start, the Jobs tab
(refresh, a search, the next page), and a 5,000-tile preview (a large area). The longest gap per phase is the
longest the user could have waited for QGIS to respond.
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
from qgis.gui import QgsMapCanvas  # noqa: E402
from qgis.PyQt.QtCore import QCoreApplication, QDate, QObject, QSettings, QTimer, pyqtSignal  # noqa: E402
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, local_engine, moto_server  # noqa: E402

from tilewise.core.connections import ConnectionStore  # noqa: E402
from tilewise.core.statuses import V1  # noqa: E402
from tilewise.ui.dock import TilewiseDock  # noqa: E402

ENTIRE_AREA = (
    "MULTIPOLYGON(((-119.2089 36.1383,-119.1323 36.0980,-119.1282 35.9869,-119.2264 35.9532,"
    "-119.3263 35.9822,-119.3488 36.0899,-119.2089 36.1383)))"
)
SUB_AREA = "POLYGON((-119.2778 36.0806,-119.2776 36.04,-119.2135 36.04,-119.21409 36.0806,-119.2778 36.0806))"
LARGE_AREA = "POLYGON((-123 34,-116 34,-116 40,-123 40,-123 34))"  # about 5,000 tiles of grid 1 at 10 m
TICK_MS = 5


class StallMeter:
    """Gaps between the ticks of a 5 ms timer on the main thread, attributed to the current phase."""

    def __init__(self):
        self.phase = "idle"
        self.gaps: dict[str, list[float]] = {}
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.setdefault(self.phase, []).append((now - self._last) * 1000)
        self._last = now

    def start(self, phase: str) -> None:
        self._tick()
        self.phase = phase

    def run(self) -> None:
        self._last = time.perf_counter()
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


class MessageBar:
    def __init__(self):
        self.messages: list[str] = []

    def pushMessage(self, title, text, level=0, duration=0):  # noqa: N802 (QGIS API)
        self.messages.append(text)


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
    iface = Iface(canvas)
    store = ConnectionStore(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    deployment = store.add_custom("Bench engine", engine.url)
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    store.set_current(deployment.id)
    store.set_api_version(deployment.id, V1)
    area = layer_of([ENTIRE_AREA, SUB_AREA], "california")
    iface.setActiveLayer(area)

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

    meter.start("preview tiles (whole area)")
    tiles = []
    dock.previewFinished.connect(tiles.append)
    dock.start_preview()
    wait(lambda: tiles)
    tile_count = len(dock.selection)

    previews = []
    dock.rasterPreviewFinished.connect(previews.append)
    meter.start("preview one tile (Process API)")
    dock.preview_tile()
    wait(lambda: previews)
    meter.start("preview map extent (Process API)")
    canvas.setExtent(QgsRectangle(-119.2778, 36.04, -119.2135, 36.0806))
    dock.preview_map_extent()
    wait(lambda: len(previews) == 2)
    assert all(p is not None for p in previews), iface.bar.messages

    stages = []
    dock.jobStageChanged.connect(lambda stage, job: stages.append((stage, job)))
    meter.start("create and analyse")
    dock.form.area_label.setText("")
    area.selectByIds([2])
    dock.create_job()
    wait(lambda: any(s in ("analysed", "failed", "invalid") for s, _ in stages))
    assert stages[-1][0] == "analysed", iface.bar.messages
    meter.start("confirm and start")
    wait(lambda: dock.start_dialog is not None and dock.start_dialog.isVisible())
    dock.start_dialog.start_button.click()
    wait(lambda: any(s == "started" for s, _ in stages))

    meter.start("jobs tab: refresh, search, next page")
    panel = dock.jobs_panel
    dock.tabs.setCurrentIndex(1)
    panel.refresh()
    wait(lambda: not panel.is_loading())
    if panel.has_more():
        panel.load_more()
        wait(lambda: not panel.is_loading())
    for text in ("bench", ""):  # the search waits for a pause in typing, then asks the service
        panel.search_edit.setText(text)
        pause = time.monotonic() + 0.6
        wait(lambda pause=pause: time.monotonic() > pause and not panel.is_loading())

    meter.start("preview tiles (5,000-tile area)")
    big = layer_of([LARGE_AREA], "large")
    dock.area.choose_layer(big)  # the user picks the large area in the form
    dock.form.max_tiles.setValue(100_000)
    tiles.clear()
    dock.start_preview()
    wait(lambda: tiles)
    big_count = len(dock.selection)
    meter.start("done")
    dock.unload()

    print(f"Engine {engine.url}, demo catalog; whole area {tile_count} tiles; large area {big_count:,} tiles")
    print(f"{'phase':40} {'ticks':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    worst = 0.0
    for phase, gaps in meter.gaps.items():
        if phase in ("idle", "done") or not gaps:
            continue
        ordered = sorted(gaps)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        worst = max(worst, ordered[-1])
        print(f"{phase:40} {len(gaps):6d} {statistics.median(gaps):7.1f} {p99:7.1f} {ordered[-1]:7.1f}")
    print(f"Longest stall of the event loop: {worst:.1f} ms (target: under 100 ms)")


if __name__ == "__main__":
    main()
