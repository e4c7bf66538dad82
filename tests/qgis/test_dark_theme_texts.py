"""The error and success texts of the connection bar, the settings dialog and the evalscript editor take their
colour from the palette (ui/theme.py): on a dark theme ("Night Mapping") they stay legible, at least 4.5:1."""

from __future__ import annotations

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QSettings
from qgis.PyQt.QtGui import QColor, QGuiApplication, QPalette

from tilewise.core.connections import ConnectionStore
from tilewise.ui.connection_bar import ConnectionBar
from tilewise.ui.evalscript_editor import EvalscriptEditor
from tilewise.ui.settings_dialog import SettingsDialog
from tilewise.ui.theme import contrast_ratio, text_colour


@pytest.fixture()
def dark_palette(qgis_app):
    saved = QGuiApplication.palette()
    dark = QPalette(saved)
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.Base, "#1e1e1e"),
                         (QPalette.ColorRole.WindowText, "#eeeeee"), (QPalette.ColorRole.Text, "#eeeeee")):  # fmt: skip
        dark.setColor(role, QColor(colour))
    QGuiApplication.setPalette(dark)
    yield dark
    QGuiApplication.setPalette(saved)


@pytest.fixture()
def store(tmp_path) -> ConnectionStore:
    return ConnectionStore(QgsSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def legible(kind: str, style: str, palette: QPalette) -> bool:
    colour = text_colour(kind, palette)
    window = palette.color(QPalette.ColorRole.Window)
    return colour in style and contrast_ratio(QColor(colour), window) >= 4.5


def test_the_connection_bar_says_no_credentials_legibly_on_a_dark_theme(dark_palette, store):
    bar = ConnectionBar(store, run=lambda *args: None)
    try:
        bar.reload_deployments()  # the fresh store has no credentials: an error line
        assert bar.client is None and bar.client_problem
        assert legible("error", bar.connection_label.styleSheet(), dark_palette)
    finally:
        bar.deleteLater()


def test_the_settings_dialog_status_is_legible_on_a_dark_theme(dark_palette, store):
    dialog = SettingsDialog(store)
    try:
        dialog.secret_edit.setText("a secret without its client id")
        assert not dialog.save()
        assert dialog.status_kind == "error"
        assert legible("error", dialog.status_label.styleSheet(), dark_palette)
        dialog.client_id_edit.setText("a client id")
        assert dialog.save()
        assert dialog.status_kind == "success"
        assert legible("success", dialog.status_label.styleSheet(), dark_palette)
        dialog.forget_credentials()
    finally:
        dialog.reject()
        dialog.deleteLater()


def test_the_evalscript_editor_shows_a_problem_legibly_on_a_dark_theme(dark_palette, tmp_path):
    editor = EvalscriptEditor(tmp_path)
    try:
        editor.show_problem("Unexpected token", 3)
        assert editor.status_label.text() == "Line 3: Unexpected token"
        assert legible("error", editor.status_label.styleSheet(), dark_palette)
    finally:
        editor.unload()
