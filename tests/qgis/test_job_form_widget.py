"""The job form widget restores a form saved under the dock's old QgsSettings keys, saves it back under the
same keys, and reads it into a JobDraft (S3 keys asked for only when a v2 job writes to S3 with them)."""

from __future__ import annotations

from datetime import date

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QDate

from tilewise.core.connections import S3Keys
from tilewise.core.form_settings import SETTINGS_PREFIX
from tilewise.core.job_form import FormInvalid
from tilewise.core.statuses import V1, V2
from tilewise.ui.job_form_widget import JobFormWidget

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
