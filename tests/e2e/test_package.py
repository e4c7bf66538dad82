"""`make package` gives a zip that QGIS can install and run on its own."""

from __future__ import annotations

import os
import subprocess
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import tilewise

ROOT = Path(tilewise.__file__).resolve().parent
# The venv's own packages (shapely 2): the zip's QGIS runs Debian's Python, which has them only through the venv.
SITE_PACKAGES = sysconfig.get_paths()["purelib"]

LOAD_FROM_ZIP = textwrap.dedent(
    """
    import sys
    from qgis.core import QgsApplication
    from qgis.gui import QgsMapCanvas, QgsMessageBar
    from qgis.PyQt.QtCore import QObject, pyqtSignal
    from qgis.PyQt.QtWidgets import QMainWindow, QMenu

    app = QgsApplication([], True)
    app.initQgis()

    class Interface(QObject):
        # The part of QgisInterface the plugin uses, for a QGIS without its main window.
        currentLayerChanged = pyqtSignal(object)

        def __init__(self):
            super().__init__()
            self.window = QMainWindow()
            self.bar = QgsMessageBar()
            self.canvas = QgsMapCanvas()
            self.docks = []
            self.help_menu = QMenu()

        def mainWindow(self): return self.window
        def messageBar(self): return self.bar
        def mapCanvas(self): return self.canvas
        def activeLayer(self): return None
        def addToolBarIcon(self, action): pass
        def addPluginToRasterMenu(self, menu, action): pass
        def registerMainWindowAction(self, action, shortcut): return True
        def pluginHelpMenu(self): return self.help_menu
        def addDockWidget(self, area, dock): self.docks.append(dock)

    import qgis.utils
    qgis.utils.iface = Interface()
    qgis.utils.plugin_paths = [sys.argv[1]]
    sys.path.insert(0, sys.argv[1])
    qgis.utils.updateAvailablePlugins()
    assert qgis.utils.loadPlugin("tilewise"), "loadPlugin failed"
    assert qgis.utils.startPlugin("tilewise"), "startPlugin failed"
    import tilewise
    plugin = qgis.utils.plugins["tilewise"]
    plugin.action.setChecked(True)
    print("LOADED", tilewise.__file__, plugin.dock.form.grid_combo.count(), len(qgis.utils.iface.docks))
    """
)


def test_package_zip_installs_and_loads_without_the_checkout(tmp_path):
    subprocess.run(["make", "-s", "package"], cwd=ROOT, check=True, capture_output=True)
    version = next(
        line.split("=", 1)[1]
        for line in (ROOT / "metadata.txt").read_text().splitlines()
        if line.startswith("version=")
    )
    archive = ROOT / "dist" / f"tilewise-{version}.zip"
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        assert all(name.startswith("tilewise/") for name in names)
        assert "tilewise/metadata.txt" in names and "tilewise/core/grids.py" in names
        assert "tilewise/help/index.html" in names  # the dock's help button opens it
        assert "tilewise/help/images/01-dock-connected.png" in names
        assert "tilewise/i18n/tilewise_de.qm" in names
        assert "tilewise/resources/evalscripts/02_ndvi.js" in names
        assert not [n for n in names if n.startswith(("tilewise/tests", "tilewise/engine", "tilewise/bench"))]
        plugins = tmp_path / "plugins"
        bundle.extractall(plugins)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=SITE_PACKAGES, HOME=str(tmp_path))
    result = subprocess.run(
        ["/usr/bin/python3", "-c", LOAD_FROM_ZIP, str(plugins)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = [line for line in result.stdout.splitlines() if line.startswith("LOADED")]
    assert loaded and loaded[0].split()[1].startswith(str(plugins)), result.stdout
    assert loaded[0].split()[2:] == ["6", "1"]  # six grids offered, one dock added
