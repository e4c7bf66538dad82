"""The plugin loads in QGIS, adds its button and dock, and unloads cleanly."""

import importlib
from configparser import ConfigParser
from pathlib import Path

import tilewise
from tilewise.ui.dock import TilewiseDock


def test_metadata_declares_every_mandatory_field():
    metadata = ConfigParser()
    metadata.read(Path(tilewise.__file__).with_name("metadata.txt"))
    general = metadata["general"]
    for key in (
        "name",
        "qgisMinimumVersion",
        "description",
        "about",
        "version",
        "author",
        "email",
        "repository",
    ):
        assert general.get(key), key
    assert general["name"] == "Tilewise"
    assert general["qgisMinimumVersion"] == "3.22"
    assert (Path(tilewise.__file__).parent / general["icon"]).is_file()


def test_plugin_loads_opens_its_dock_and_unloads(qgis_iface, monkeypatch):
    # pytest-qgis's stand-in for QGIS's interface lacks the remove* methods.
    removed = []
    monkeypatch.setattr(qgis_iface, "removeDockWidget", removed.append, raising=False)
    monkeypatch.setattr(qgis_iface, "removePluginMenu", lambda menu, action: None, raising=False)
    plugin = importlib.import_module("tilewise").classFactory(qgis_iface)
    plugin.initGui()
    assert plugin.action is not None and plugin.action.toolTip().startswith("Tilewise")
    plugin.action.setChecked(True)
    assert isinstance(plugin.dock, TilewiseDock)
    dock = plugin.dock
    assert dock.grid_combo.count() == 6
    plugin.action.setChecked(False)
    assert not dock.isVisible()
    plugin.unload()
    assert removed == [dock]
    assert plugin.dock is None and plugin.action is None


def test_quitting_qgis_keeps_the_dock_open_for_the_next_start(qgis_iface, monkeypatch):
    from qgis.core import QgsSettings

    from tilewise.plugin import DOCK_VISIBLE_KEY

    monkeypatch.setattr(qgis_iface, "removeDockWidget", lambda dock: None, raising=False)
    monkeypatch.setattr(qgis_iface, "removePluginMenu", lambda menu, action: None, raising=False)
    plugin = importlib.import_module("tilewise").classFactory(qgis_iface)
    plugin.initGui()
    window = qgis_iface.mainWindow()
    window.show()
    try:
        plugin.action.setChecked(True)
        plugin.dock.show()
        assert QgsSettings().value(DOCK_VISIBLE_KEY, False, type=bool)
        window.hide()  # QGIS closing: its window goes, and every dock with it
        assert not plugin.dock.isVisible()
        assert QgsSettings().value(DOCK_VISIBLE_KEY, False, type=bool)
        window.show()
        plugin.dock.close()  # the user closes the dock: remembered
        assert not QgsSettings().value(DOCK_VISIBLE_KEY, True, type=bool)
    finally:
        window.hide()
        plugin.unload()
        QgsSettings().remove(DOCK_VISIBLE_KEY)
