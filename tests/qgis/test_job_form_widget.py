"""The job form widget restores a form saved under the dock's old QgsSettings keys, saves it back under the
same keys, and reads it into a JobDraft (S3 keys asked for only when a v2 job writes to S3 with them); its rare
options wait under a collapsed "Advanced"; its problems stay legible in a dark theme."""

from __future__ import annotations

import re
from datetime import date

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QDate
from qgis.PyQt.QtGui import QColor, QPalette
from qgis.PyQt.QtWidgets import QApplication

from tilewise.core.connections import S3Keys
from tilewise.core.form_settings import SETTINGS_PREFIX
from tilewise.core.job_form import FieldProblem, FormInvalid
from tilewise.core.statuses import V1, V2
from tilewise.ui.job_form_widget import JobFormWidget
from tilewise.ui.theme import contrast_ratio

from .conftest import wait_until

OLD_FORM = {"grid": 0, "resolution": 20.0, "buffer_x": 4, "max_tiles": 900, "collection": "sentinel-2-l1c",
            "from": "2023-07-01", "to": "2023-07-30", "cloud": 30, "cog": True, "location": "s3",
            "s3_url": "s3://kept-bucket/folder", "s3_authcfg": "abc1234", "budget": 300.0, "preset": "NDVI"}  # fmt: skip


@pytest.fixture
def form(qgis_app):
    QgsSettings().remove("tilewise")
    for key, value in OLD_FORM.items():
        QgsSettings().setValue(SETTINGS_PREFIX + key, value)
    widget = JobFormWidget()
    widget.restore()
    wait_until(lambda: widget.script_editor.task is None and widget.script_editor.info is not None)
    yield widget
    widget.unload()
    widget.deleteLater()
    QgsSettings().remove("tilewise")


def test_an_old_form_restores_and_saves_under_the_same_keys(form):
    assert form.grid_combo.currentData() == 0 and form.resolution_combo.currentData() == 20.0
    assert form.buffer_x.value() == 4 and form.max_tiles.value() == 900
    assert form.collection_combo.currentText() == "sentinel-2-l1c"
    assert (form.date_from.date(), form.date_to.date()) == (QDate(2023, 7, 1), QDate(2023, 7, 30))
    assert form.cloud_spin.value() == 30 and form.format_combo.currentData() is True
    assert form.s3_url_edit.text() == "s3://kept-bucket/folder" and form.budget() == 300.0
    assert form.script_editor.preset_name() == "NDVI"
    form.date_from.setDate(QDate(2022, 1, 2))
    form.save()
    assert QgsSettings().value(SETTINGS_PREFIX + "from") == "2022-01-02"
    assert QgsSettings().value(SETTINGS_PREFIX + "s3_url") == "s3://kept-bucket/folder"


def test_the_draft_asks_for_s3_keys_only_for_a_v2_job(form, tmp_path):
    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QSettings

    from tilewise.core.connections import ConnectionStore

    store = ConnectionStore(QgsSettings(str(tmp_path / "connections.ini"), QSettings.Format.IniFormat))
    auth_id = store.save_s3_keys("form test", "AKIAUNUSED", "unused-secret")
    form.s3_auth.setConfigId(auth_id)
    asked = []

    def keys(auth_id: str):
        asked.append(auth_id)
        return S3Keys("AKIAFORM", "form-secret")

    form.set_api_version(V1)
    draft = form.draft(keys)
    assert asked == [] and draft.s3_access_key == ""
    assert (draft.time_from, draft.max_cloud_coverage, draft.cog) == (date(2023, 7, 1), 30.0, True)
    assert (draft.grid.id, draft.grid.resolution, draft.grid.buffer_x) == (0, 20.0, 4)
    form.set_api_version(V2)
    try:
        assert form.draft(keys).s3_access_key == "AKIAFORM" and asked == [auth_id]
        with pytest.raises(FormInvalid) as caught:
            form.draft(lambda _auth_id: None)
        assert caught.value.fields() == {"s3_keys"}
    finally:
        QgsApplication.authManager().removeAuthenticationConfig(auth_id)


def test_rare_options_wait_collapsed_under_advanced_and_are_still_saved_and_restored(form):
    rare = (form.buffer_x, form.buffer_y, form.max_tiles, form.overwrite_check, form.skip_existing_check,
            form.mosaicking_combo, form.s3_region_edit)  # fmt: skip
    assert all(form.advanced_box.isAncestorOf(widget) for widget in rare)
    assert form.advanced_box.isCollapsed()  # never opened: collapsed
    form.s3_region_edit.setText("eu-central-1")
    form.mosaicking_combo.setCurrentText("leastCC")
    form.buffer_y.setValue(7)
    form.advanced_box.setCollapsed(False)
    form.save()
    again = JobFormWidget()
    again.restore()
    try:
        assert not again.advanced_box.isCollapsed()  # the user opened it: it stays open
        assert (again.buffer_x.value(), again.buffer_y.value(), again.max_tiles.value()) == (4, 7, 900)
        assert again.s3_region_edit.text() == "eu-central-1"
        assert again.mosaicking_combo.currentText() == "leastCC"
        again.advanced_box.setCollapsed(True)
        again.save()
        assert QgsSettings().value(SETTINGS_PREFIX + "advanced_open", type=bool) is False
    finally:
        again.unload()
        again.deleteLater()


def test_the_s3_region_hides_with_the_other_s3_fields_for_a_local_folder(form):
    form.advanced_box.setCollapsed(False)
    form.show()
    form.location_combo.setCurrentIndex(form.location_combo.findData("folder"))
    assert form.s3_region_edit.isHidden() and form.advanced_form.labelForField(form.s3_region_edit).isHidden()
    form.location_combo.setCurrentIndex(form.location_combo.findData("s3"))
    assert not form.s3_region_edit.isHidden()
    assert not form.advanced_form.labelForField(form.s3_region_edit).isHidden()
    form.hide()


def dark_palette() -> QPalette:
    """QGIS's "Night Mapping" colours for a window, a field and their text."""
    colours = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#323232"), (QPalette.ColorRole.Base, "#232323"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Button, "#3c3c3c"), (QPalette.ColorRole.ButtonText, "#e6e6e6")):  # fmt: skip
        colours.setColor(role, QColor(colour))
    return colours


def style_colour(style: str, prefix: str = "color") -> QColor:
    match = re.search(rf"(?<![-\w]){prefix}: (#[0-9a-fA-F]{{6}})", style)
    assert match, style
    return QColor(match.group(1))


def test_problems_stay_legible_in_a_dark_theme(form):
    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    try:
        window = QApplication.palette().color(QPalette.ColorRole.Window)
        text = QApplication.palette().color(QPalette.ColorRole.Text)
        form.show_problems(
            [FieldProblem("collection", "Unknown collection."), FieldProblem("budget", "Too low.")]
        )
        error = style_colour(form.footer.problems_label.styleSheet())
        assert contrast_ratio(error, window) >= 4.5, error.name()
        field = form.collection_combo
        assert field in [widget for widget, _tip in form.marked.values()]
        assert not re.search(r"(?<![-\w])color:", field.styleSheet())  # the text colour is left to the theme
        field.ensurePolished()
        assert field.palette().color(QPalette.ColorRole.Text) == text  # the theme's own text…
        assert (
            contrast_ratio(style_colour(field.styleSheet(), "background"), text) >= 4.5
        )  # …legible on the tint
        form.footer.show_summary(12, 600.0, 500.0)  # over budget: in the error colour too
        assert contrast_ratio(style_colour(form.footer.summary_label.styleSheet()), window) >= 4.5
    finally:
        QApplication.setPalette(light)
    form.show_problems([FieldProblem("collection", "Unknown collection.")])  # light again: a dark red
    assert (
        contrast_ratio(
            style_colour(form.footer.problems_label.styleSheet()), light.color(QPalette.ColorRole.Window)
        )
        >= 4.5
    )
    form.collection_combo.ensurePolished()
    assert form.collection_combo.palette().color(QPalette.ColorRole.Text) == light.color(
        QPalette.ColorRole.Text
    )
