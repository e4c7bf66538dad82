"""The plugin speaks QGIS's language: the translator for QGIS's locale is installed before the dock is built
and removed on unload; the dock's action can get a keyboard shortcut; the user guide opens as HTML from the
dock's Help button and from Help → Plugins."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, Qt, QUrl
from qgis.PyQt.QtGui import QDesktopServices

import tilewise
from tilewise.ui import user_guide
from tilewise.ui.i18n import load_translator, qgis_locale, tr

PLUGIN_DIR = Path(tilewise.__file__).resolve().parent
GERMAN = PLUGIN_DIR / "i18n" / "tilewise_de.qm"


@pytest.fixture()
def locale():
    """Sets QGIS's user-interface language as Settings → Options → General does, and restores it."""
    settings = QgsSettings()
    saved = {key: settings.value(key) for key in ("locale/overrideFlag", "locale/userLocale")}

    def choose(language: str) -> None:
        settings.setValue("locale/overrideFlag", True)
        settings.setValue("locale/userLocale", language)

    yield choose
    for key, value in saved.items():
        if value is None:
            settings.remove(key)
        else:
            settings.setValue(key, value)


@pytest.fixture()
def plugin(plugin_iface, undo_after):
    def start():
        instance = importlib.import_module("tilewise").classFactory(plugin_iface)
        instance.initGui()
        return undo_after(instance, lambda loaded: loaded.unload())

    return start


def test_with_qgis_in_german_the_dock_speaks_german_until_the_plugin_unloads(locale, plugin):
    assert GERMAN.exists(), "the German translation is not compiled: run `make translations`"
    locale("de_DE")
    assert qgis_locale() == "de_DE"
    tilewise_plugin = plugin()
    assert tilewise_plugin.translator is not None
    assert tilewise_plugin.action.toolTip() == (
        "Tilewise: Stapelverarbeitung großer Gebiete (Sentinel Hub Batch API)"
    )
    tilewise_plugin.action.setChecked(True)
    bar = tilewise_plugin.dock.connection
    assert bar.help_button.toolTip() == "Das Tilewise-Benutzerhandbuch öffnen"
    assert bar.settings_button.toolTip() == "Bereitstellungen und Zugangsdaten …"
    assert tilewise_plugin.help_action.text() == "Tilewise-Benutzerhandbuch"
    tilewise_plugin.unload()
    assert tilewise_plugin.translator is None
    assert tr("Open the Tilewise user guide") == "Open the Tilewise user guide"


def test_with_qgis_in_english_the_dock_stays_english(locale, plugin):
    locale("en_US")
    tilewise_plugin = plugin()
    assert tilewise_plugin.translator is not None  # English is the source: only its plurals are loaded
    tilewise_plugin.action.setChecked(True)
    assert tilewise_plugin.dock.connection.help_button.toolTip() == "Open the Tilewise user guide"


def test_the_dock_action_can_get_a_keyboard_shortcut_and_lives_in_the_raster_menu(plugin_iface, plugin):
    tilewise_plugin = plugin()
    assert plugin_iface.shortcut_actions == [tilewise_plugin.action]
    assert plugin_iface.raster_menu == [tilewise_plugin.action]  # metadata.txt: category=Raster
    tilewise_plugin.unload()
    assert plugin_iface.shortcut_actions == [] and plugin_iface.raster_menu == []


def test_help_plugins_has_the_user_guide_until_the_plugin_unloads(plugin_iface, plugin):
    tilewise_plugin = plugin()
    entries = [a for a in plugin_iface.pluginHelpMenu().actions() if a.objectName() == "TilewiseHelpAction"]
    assert entries == [tilewise_plugin.help_action]
    tilewise_plugin.unload()
    assert not [a for a in plugin_iface.pluginHelpMenu().actions() if a.objectName() == "TilewiseHelpAction"]


def test_the_help_button_and_the_help_menu_open_the_built_html_guide(plugin, monkeypatch):
    assert user_guide.HELP_PAGE == PLUGIN_DIR / "help" / "index.html"
    assert user_guide.HELP_PAGE.exists(), "the help is not built: run `make translations`"
    assert "<h1" in user_guide.HELP_PAGE.read_text(encoding="utf-8")
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    tilewise_plugin = plugin()
    tilewise_plugin.action.setChecked(True)
    tilewise_plugin.dock.connection.help_button.click()
    tilewise_plugin.help_action.trigger()
    assert opened == [QUrl.fromLocalFile(str(user_guide.HELP_PAGE))] * 2


def test_without_the_built_html_the_hosted_guide_opens(tmp_path):
    assert user_guide.user_guide_url(tmp_path / "index.html") == QUrl(user_guide.HOSTED_GUIDE)


@pytest.fixture()
def speak():
    """speak("de_DE"): the plugin's translator for that locale installed and its number format QLocale's default
    (as QGIS sets it); both undone afterwards."""
    saved, installed = QLocale(), []

    def install(locale: str) -> None:
        QLocale.setDefault(QLocale(locale))
        translator = load_translator(locale)
        assert translator is not None, f"no translation for {locale} is compiled: run `make translations`"
        installed.append(translator)

    yield install
    for translator in installed:
        QCoreApplication.removeTranslator(translator)
    QLocale.setDefault(saved)


def test_in_english_a_count_reads_as_english_with_a_thousands_separator(speak):
    speak("en_US")
    assert tr("%Ln tile(s)", None, 1) == "1 tile"
    assert tr("%Ln tile(s)", None, 1234) == "1,234 tiles"
    assert tr("%Ln job(s)", None, 0) == "0 jobs"


def test_a_language_without_a_translation_gets_english_plurals(speak):
    speak("fr_FR")  # and QGIS's "C" locale alike: the plugin speaks English there
    assert tr("%Ln tile(s)", None, 2) == "2 tiles"
    assert tr("Preview cancelled.") == "Preview cancelled."


def test_without_the_english_plurals_the_source_shows():
    assert tr("%Ln tile(s)", None, 2).endswith(" tile(s)")


def test_in_german_a_count_reads_as_german(speak):
    speak("de_DE")
    assert tr("%Ln tile(s)", None, 1) == "1 Kachel"
    assert tr("%Ln tile(s)", None, 1234) == "1.234 Kacheln"


def test_the_jobs_tab_headers_follow_a_translator_installed_after_the_import(speak, qgis_app):
    from tilewise.ui.jobs_panel import COLUMN_COUNT, JobsTableModel

    model = JobsTableModel()
    english = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(COLUMN_COUNT)]
    assert english[0] == "Created"
    speak("de_DE")
    german = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(COLUMN_COUNT)]
    assert german[0] == "Erstellt" and german != english


def test_every_jobs_tab_action_text_of_core_has_its_tr_literal():
    from tilewise.core.job_actions import Action, label_of
    from tilewise.ui.action_texts import translated_texts

    english = {
        text for v in (1, 2) for a in Action for text in (label_of(a, v).label, label_of(a, v).tooltip)
    }
    assert sorted(english - set(translated_texts())) == []


def test_the_jobs_tab_action_buttons_speak_german(speak):
    from tilewise.core.job_actions import Action
    from tilewise.ui.action_texts import action_text

    speak("de_DE")
    assert action_text(Action.STOP, 2).label == "Anhalten"
    assert action_text(Action.STOP, 1).label == "Abbrechen"
    assert (
        action_text(Action.DOWNLOAD, 2).tooltip
        == "Die gelieferten GeoTIFFs in einen lokalen Ordner kopieren."
    )
