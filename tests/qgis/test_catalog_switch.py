"""The settings dialog's "Catalog" row against live local engines: the engine's catalogs listed with the current
one chosen, a switch by the button and by OK reaching the engine and the connection bar, the engine's refusal
shown under the row, and the row disabled (with the reason) for an engine that does not answer or a deployment
that is not a local engine."""

from __future__ import annotations

import json

import pytest
from qgis.core import QgsApplication, QgsSettings
from qgis.PyQt.QtCore import QSettings
from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, free_port

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.connections import ConnectionStore
from tilewise.core.deployments import custom_deployment
from tilewise.core.tasks import ClientCallTask
from tilewise.engine.data.catalog import CONFIG_FILE
from tilewise.ui.connection_bar import ConnectionBar
from tilewise.ui.settings_dialog import SettingsDialog

from .conftest import wait_until

BUILT_IN = {
    name: entry for name, entry in json.loads(CONFIG_FILE.read_text()).items() if not name.startswith("_")
}
NEEDS_INTERNET = {
    name for name, entry in BUILT_IN.items() if any(c.get("kind") == "stac-api" for c in entry.values())
}


def engine_catalog(engine) -> str:
    """The engine's catalog of new requests, asked without the plugin."""
    return engine.call("GET", "/api/v1/engine/catalog").json()["catalog"]


def engine_deployment(store, url: str, name: str = "Test engine"):
    deployment = store.add_custom(name, url)
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    return deployment


def row_ready(dialog) -> None:
    wait_until(lambda: dialog.catalog_row.task is None, timeout=30)


def choose(dialog, catalog: str) -> None:
    combo = dialog.catalog_row.combo
    combo.setCurrentIndex(combo.findData(catalog))


@pytest.fixture
def store(tmp_path):
    """Deployments in a settings file of the test's; their credentials leave the auth database after it."""
    store = ConnectionStore(QgsSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    yield store
    for deployment in store.custom_deployments():
        store.forget_credentials(deployment.id)


@pytest.fixture
def open_dialog(store):
    dialogs: list[SettingsDialog] = []

    def make(select: str) -> SettingsDialog:
        dialogs.append(SettingsDialog(store, select=select))
        dialogs[-1].show()
        return dialogs[-1]

    yield make
    for dialog in dialogs:
        dialog.reject()  # cancels a catalog read
        dialog.deleteLater()


@pytest.fixture
def engine(engine_factory, small_catalog):
    """An engine of its own per test: switching changes it."""
    return engine_factory(small_catalog)


def test_the_row_lists_the_engines_catalogs_marks_those_needing_internet_and_shows_the_current(
    open_dialog, store, engine
):
    deployment = engine_deployment(store, engine.url)
    dialog = open_dialog(select=deployment.id)
    row_ready(dialog)
    combo = dialog.catalog_row.combo
    assert combo.isEnabled() and dialog.catalog_row.note_kind == "info"
    entries = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert set(entries) == set(BUILT_IN)
    for name, text in entries.items():
        assert text.endswith("(needs internet)") == (name in NEEDS_INTERNET), text
    assert combo.currentData() == engine_catalog(engine) == "demo"
    assert not dialog.catalog_row.switch_button.isEnabled()  # nothing to switch yet
    assert "TILEWISE_CATALOG" in dialog.catalog_row.note.text()


def test_switch_then_ok_reach_the_engine_and_the_connection_bar_follows(open_dialog, store, engine, qgis_app):
    deployment = engine_deployment(store, engine.url)
    store.set_current(deployment.id)
    runs = []

    def run(purpose, description, function, on_done):
        task = ClientCallTask(description, function, on_done)
        runs.append(task)
        QgsApplication.taskManager().addTask(task)
        return task

    bar = ConnectionBar(store, run)
    bar.reload_deployments(deployment.id)
    wait_until(lambda: bar.engine_status is not None, timeout=30)
    assert "on the demo catalog" in bar.connection_label.text()

    bar.open_settings()
    dialog = bar.settings_dialog
    row_ready(dialog)
    choose(dialog, "earth-search")
    assert dialog.catalog_row.switch_button.isEnabled()
    dialog.catalog_row.switch_button.click()
    row_ready(dialog)
    assert dialog.catalog_row.note_kind == "success", dialog.catalog_row.note.text()
    assert engine_catalog(engine) == "earth-search"  # offline here: the switch is accepted all the same
    wait_until(lambda: "earth-search (switched)" in bar.connection_label.text(), timeout=30)

    choose(dialog, "demo")
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    wait_until(lambda: dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible(), timeout=30)
    assert engine_catalog(engine) == "demo"
    wait_until(lambda: bar.engine_status is not None and "on the demo catalog" in bar.connection_label.text())
    bar.close_client()


def test_a_catalog_the_engine_refuses_shows_its_reason_and_ok_keeps_the_dialog_open(
    open_dialog, store, engine_factory, small_catalog, tmp_path
):
    catalogs = tmp_path / "mine.json"
    catalogs.write_text(json.dumps({"sentinel-2-l2a": BUILT_IN["demo"]["sentinel-2-l2a"]}))
    engine = engine_factory(small_catalog, TILEWISE_CATALOG=str(catalogs))
    engine.call("PUT", "/api/v1/engine/catalog", json={"catalog": "demo"}).raise_for_status()
    deployment = engine_deployment(store, engine.url)
    dialog = open_dialog(select=deployment.id)
    row_ready(dialog)
    assert dialog.catalog_row.combo.findData(str(catalogs)) >= 0  # TILEWISE_CATALOG's file stays on offer
    catalogs.unlink()  # gone before the user switches back to it
    choose(dialog, str(catalogs))
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    row_ready(dialog)
    note = dialog.catalog_row.note.text()
    assert dialog.catalog_row.note_kind == "error" and "The engine kept its catalog" in note
    assert f"{catalogs} does not exist" in note, note
    assert dialog.isVisible() and dialog.button_box.isEnabled() and dialog.catalog_row.combo.isEnabled()
    assert engine_catalog(engine) == "demo"


def test_an_engine_that_does_not_answer_disables_the_row_saying_so(open_dialog, store):
    deployment = engine_deployment(store, f"http://127.0.0.1:{free_port()}", "Stopped engine")
    dialog = open_dialog(select=deployment.id)
    row_ready(dialog)
    note = dialog.catalog_row.note.text()
    assert not dialog.catalog_row.combo.isEnabled() and dialog.catalog_row.note_kind == "error"
    assert "The engine is not reachable" in note and "make run" in note, note


@pytest.mark.parametrize("deployment_id", ["sentinel-hub-eu", None])
def test_a_deployment_that_is_not_a_local_engine_has_the_row_disabled_with_the_reason(
    open_dialog, store, deployment_id
):
    deployment_id = deployment_id or store.add_custom("Lab engine", "http://192.0.2.10:8765").id
    dialog = open_dialog(select=deployment_id)
    assert dialog.catalog_row.task is None and not dialog.catalog_row.combo.isEnabled()
    assert "Only a Tilewise engine on this computer" in dialog.catalog_row.note.text()


def test_a_local_engine_without_credentials_says_to_save_them(open_dialog, store, engine):
    deployment = store.add_custom("Test engine", engine.url)
    dialog = open_dialog(select=deployment.id)
    assert dialog.catalog_row.task is None and not dialog.catalog_row.combo.isEnabled()
    assert "Save the engine's client id and secret first" in dialog.catalog_row.note.text()


def test_the_client_reads_and_switches_the_catalog(engine):
    deployment = custom_deployment("Test engine", engine.url)
    with BatchClient(deployment, ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET)) as client:
        before = client.engine_catalog()
        assert (before.current, before.switched) == ("demo", False)
        assert {o.id: o.offline for o in before.available} == {n: n not in NEEDS_INTERNET for n in BUILT_IN}
        after = client.switch_engine_catalog("earth-search")
        assert (after.current, after.switched) == ("earth-search", True)
    assert engine_catalog(engine) == "earth-search"
