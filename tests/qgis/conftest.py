"""Helpers for headless QGIS tests (QT_QPA_PLATFORM=offscreen, pytest-qgis)."""

from __future__ import annotations

import time

import pytest
from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QCoreApplication

# The tutorial's two polygons (CRS84): the entire crop-field area and the test sub-area.
TUTORIAL_ENTIRE_AREA = (
    "MULTIPOLYGON(((-119.2089 36.1383,-119.1323 36.0980,-119.1282 35.9869,-119.2264 35.9532,"
    "-119.3263 35.9822,-119.3488 36.0899,-119.2089 36.1383)))"
)
TUTORIAL_TEST_SUB_AREA = (
    "MULTIPOLYGON(((-119.2778 36.0806,-119.2776 36.04,-119.2135 36.04,-119.21409 36.0806,-119.2778 36.0806)))"
)


MASTER_PASSWORD = "tilewise-test-master-password"


@pytest.fixture(scope="session", autouse=True)
def auth_master_password(qgis_app):
    """Unlock the test run's own authentication database (tests/conftest.py points QGIS at a fresh one)."""
    manager = QgsApplication.authManager()
    assert manager.setMasterPassword(MASTER_PASSWORD, True), "could not unlock the test auth database"
    return manager


@pytest.fixture(scope="session", autouse=True)
def project_connection_check(qgis_app):
    """pytest-qgis's own teardown disconnects QgsProject.instance().legendLayersAdded from processEvents and
    errors when the connection is gone (seen once in a full run, not reproduced since): say so, and restore
    it so that the session's real results stand."""
    yield
    import sys

    project = QgsProject.instance()
    try:
        project.legendLayersAdded.disconnect(qgis_app.processEvents)
    except TypeError:
        print("warning: QgsProject.legendLayersAdded had lost pytest-qgis's connection", file=sys.stderr)
    project.legendLayersAdded.connect(qgis_app.processEvents)


@pytest.fixture(scope="module")
def engine(small_catalog, s3_server, tmp_path_factory):
    """A live engine per test module: 1 worker, the small catalog, delivery to the local S3 server."""
    from testkit import local_engine

    server = local_engine(tmp_path_factory.mktemp("engine"), small_catalog, s3_server, 1).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bucket(s3_server) -> str:
    """An empty bucket per test module on the local S3 server."""
    return s3_server.new_bucket()


@pytest.fixture
def slow_server():
    """A server on 127.0.0.1 that answers every request (an empty 200) after five seconds."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            time.sleep(5)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def wait_until(predicate, timeout: float = 60.0) -> None:
    """Run the Qt event loop until predicate() is true (tasks finish through it)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        QCoreApplication.processEvents()
        time.sleep(0.005)


def polygon_layer(
    wkts: list[str], crs: str = "EPSG:4326", name: str = "areas", geometry: str = "MultiPolygon"
):
    layer = QgsVectorLayer(f"{geometry}?crs={crs}&field=name:string", name, "memory")
    features = []
    for index, wkt in enumerate(wkts):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        feature.setAttributes([f"feature {index}"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    QgsProject.instance().addMapLayer(layer)
    return layer


@pytest.fixture
def tutorial_layer(qgis_new_project, qgis_iface):
    layer = polygon_layer([TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA], name="california_crop_fields")
    qgis_iface.setActiveLayer(layer)
    return layer


@pytest.fixture()
def plugin_iface(qgis_iface, monkeypatch):
    """pytest-qgis's QgisInterface with what the plugin's initGui and unload call that the stand-in lacks: the
    Raster menu, Settings → Keyboard Shortcuts' registry (`qgis_iface.shortcut_actions`) and Help → Plugins (a
    real QMenu)."""
    from qgis.PyQt.QtWidgets import QMenu

    raster_menu: list = []
    shortcut_actions: list = []
    help_menu = QMenu("Plugins")
    monkeypatch.setattr(qgis_iface, "removeDockWidget", lambda dock: None, raising=False)
    monkeypatch.setattr(
        qgis_iface, "addPluginToRasterMenu", lambda m, a: raster_menu.append(a), raising=False
    )
    monkeypatch.setattr(
        qgis_iface, "removePluginRasterMenu", lambda m, a: raster_menu.remove(a), raising=False
    )
    monkeypatch.setattr(
        qgis_iface,
        "registerMainWindowAction",
        lambda a, key: shortcut_actions.append(a) or True,
        raising=False,
    )
    monkeypatch.setattr(
        qgis_iface, "unregisterMainWindowAction", lambda a: shortcut_actions.remove(a) or True, raising=False
    )
    monkeypatch.setattr(qgis_iface, "pluginHelpMenu", lambda: help_menu, raising=False)
    monkeypatch.setattr(qgis_iface, "raster_menu", raster_menu, raising=False)
    monkeypatch.setattr(qgis_iface, "shortcut_actions", shortcut_actions, raising=False)
    yield qgis_iface
    help_menu.deleteLater()


@pytest.fixture()
def english_plurals(qgis_app):
    """QGIS in US English as the plugin loads it: the English plurals (i18n/tilewise_en.qm, `make
    translations`) and the locale's number format; both removed afterwards."""
    from qgis.PyQt.QtCore import QLocale

    from tilewise.ui.i18n import I18N_DIR, load_translator

    saved = QLocale()
    QLocale.setDefault(QLocale("en_US"))
    translator = load_translator("en_US")
    assert translator is not None, f"no English plurals in {I18N_DIR}: run `make translations`"
    yield translator
    QCoreApplication.removeTranslator(translator)
    QLocale.setDefault(saved)


@pytest.fixture
def undo_after():
    """undo_after(thing, undo) → thing: undo(thing) runs when the test ends, the newest first."""
    undos = []

    def register(thing, undo):
        undos.append((thing, undo))
        return thing

    yield register
    for thing, undo in reversed(undos):
        undo(thing)
