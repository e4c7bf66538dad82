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
