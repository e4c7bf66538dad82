"""The plugin loads in QGIS, adds its button and dock, and unloads cleanly."""

import importlib
import importlib.util
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
    assert general["qgisMaximumVersion"] == "4.99"
    assert general.getboolean("supportsQt6")
    assert (Path(tilewise.__file__).parent / general["icon"]).is_file()


def test_the_plugin_manager_offers_it_from_qgis_3_22_to_qgis_4_and_refuses_older_releases():
    # The Plugin Manager's own rule (pyplugin_installer.version_compare.isCompatible) on metadata.txt: a QGIS
    # below qgisMinimumVersion never installs or loads the plugin, so it never meets code it cannot run.
    from qgis.core import Qgis, QgsApplication

    path = Path(QgsApplication.pkgDataPath()) / "python" / "pyplugin_installer" / "version_compare.py"
    spec = importlib.util.spec_from_file_location("version_compare", path)
    version_compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(version_compare)
    metadata = ConfigParser()
    metadata.read(Path(tilewise.__file__).with_name("metadata.txt"))
    general = metadata["general"]

    def offered(qgis_version: str) -> bool:
        return version_compare.isCompatible(
            qgis_version, general["qgisMinimumVersion"], general["qgisMaximumVersion"]
        )

    for version in ("3.22.0", "3.22.16", "3.34.0", "3.40.6", "3.44.15", "4.0.0", "4.4.1", Qgis.QGIS_VERSION):
        assert offered(version), version
    for version in ("3.16.14", "3.20.3", "5.0.0"):
        assert not offered(version), version


def test_plugin_loads_opens_its_dock_and_unloads(plugin_iface, monkeypatch):
    # pytest-qgis's stand-in for QGIS's interface lacks the remove* methods (plugin_iface adds the others).
    removed = []
    monkeypatch.setattr(plugin_iface, "removeDockWidget", removed.append, raising=False)
    plugin = importlib.import_module("tilewise").classFactory(plugin_iface)
    plugin.initGui()
    assert plugin.action is not None and plugin.action.toolTip().startswith("Tilewise")
    plugin.action.setChecked(True)
    assert isinstance(plugin.dock, TilewiseDock)
    dock = plugin.dock
    assert dock.form.grid_combo.count() == 6
    plugin.action.setChecked(False)
    assert not dock.isVisible()
    plugin.unload()
    assert removed == [dock]
    assert plugin.dock is None and plugin.action is None


def test_quitting_qgis_keeps_the_dock_open_for_the_next_start(plugin_iface):
    from qgis.core import QgsSettings

    from tilewise.plugin import DOCK_VISIBLE_KEY

    plugin = importlib.import_module("tilewise").classFactory(plugin_iface)
    plugin.initGui()
    window = plugin_iface.mainWindow()
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
