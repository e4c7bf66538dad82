"""The settings dialog in headless QGIS, against a live local engine: deployments added and removed, credentials
in QgsAuthManager (never in QgsSettings), the connection test in a QgsTask, the API version and the choice of
deployment."""

from __future__ import annotations

import time

import pytest
from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsSettings
from qgis.PyQt.QtCore import QSettings, Qt
from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QMessageBox
from testkit import TEST_CLIENT_ID, TEST_CLIENT_SECRET, free_port

from tilewise.core.auth import ClientCredentials
from tilewise.core.client import BatchClient
from tilewise.core.connections import ConnectionStore
from tilewise.core.deployments import BUILTIN, custom_deployment
from tilewise.core.statuses import V1, V2
from tilewise.ui.settings_dialog import LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, SettingsDialog
from tilewise.ui.theme import text_colour

from .conftest import wait_until

WRONG_SECRET = "not-the-secret-9d27"


@pytest.fixture(scope="module")
def engine_grid_ids(engine) -> list:
    with BatchClient(
        custom_deployment("reference", engine.url), ClientCredentials(TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    ) as client:
        return sorted(g["id"] for g in client.tiling_grids())


@pytest.fixture(autouse=True)
def auth_configs(qgis_app):
    """The auth configurations a test creates are removed afterwards."""
    manager = QgsApplication.authManager()
    before = set(manager.configIds())
    yield manager
    for auth_id in set(manager.configIds()) - before:
        manager.removeAuthenticationConfig(auth_id)


@pytest.fixture
def settings_file(tmp_path):
    return tmp_path / "settings.ini"


@pytest.fixture
def store(settings_file) -> ConnectionStore:
    return ConnectionStore(QgsSettings(str(settings_file), QSettings.Format.IniFormat))


@pytest.fixture
def open_dialog(store):
    dialogs = []

    def make(**kwargs) -> SettingsDialog:
        dialog = SettingsDialog(store, **kwargs)
        dialog.show()
        dialogs.append(dialog)
        return dialog

    yield make
    for dialog in dialogs:
        dialog.reject()  # cancels a running test
        wait_until(lambda d=dialog: d.task is None, timeout=20)
        dialog.deleteLater()


def add_through_dialog(
    dialog: SettingsDialog, name: str, url: str, client_id="", secret="", token_url=""
) -> None:
    dialog.add_button.click()
    dialog.name_edit.setText(name)
    dialog.url_edit.setText(url)
    dialog.token_url_edit.setText(token_url)
    dialog.client_id_edit.setText(client_id)
    dialog.secret_edit.setText(secret)
    dialog.save_button.click()


def list_ids(dialog: SettingsDialog) -> list:
    return [
        dialog.deployment_list.item(r).data(Qt.ItemDataRole.UserRole)
        for r in range(dialog.deployment_list.count())
    ]


def run_test(dialog: SettingsDialog, timeout: float = 60) -> str:
    dialog.test_connection()
    wait_until(lambda: dialog.last_test is not None, timeout=timeout)
    return dialog.status_label.text()


def basic_config(auth_id: str) -> QgsAuthMethodConfig:
    manager = QgsApplication.authManager()
    result = manager.loadAuthenticationConfig(auth_id, QgsAuthMethodConfig(), True)
    loaded, config = result if isinstance(result, tuple) else (result, None)
    assert loaded and config is not None
    return config


def settings_text(store: ConnectionStore, settings_file) -> tuple[dict, str]:
    store.settings.sync()
    values = {key: str(store.settings.value(key)) for key in store.settings.allKeys()}
    return values, settings_file.read_text(encoding="utf-8")


# --- the list ---------------------------------------------------------------------------------------------


def test_lists_the_built_in_deployments_then_the_users_and_marks_the_one_in_use(open_dialog, store):
    custom = store.add_custom("Lab engine", "http://192.0.2.10:8765")
    store.set_current("cdse")
    dialog = open_dialog()
    assert list_ids(dialog) == [d.id for d in BUILTIN] + [custom.id]
    current = dialog.deployment_list.item(list_ids(dialog).index("cdse"))
    assert current.font().bold() and "in use" in current.text()
    assert dialog.deployment_list.currentItem() is current  # opens on the current one
    others = [dialog.deployment_list.item(r) for r in range(dialog.deployment_list.count()) if r != 3]
    assert not any(item.font().bold() for item in others)
    assert dialog.minimumWidth() >= 600 and dialog.windowTitle()


def test_a_built_in_deployment_is_read_only_and_offers_only_its_versions(open_dialog):
    dialog = open_dialog(select="sentinel-hub-eu")
    assert dialog.name_edit.text() == "Sentinel Hub (EU, Frankfurt)"
    assert dialog.url_edit.text() == "https://services.sentinel-hub.com"
    assert dialog.token_url_edit.text().endswith("/openid-connect/token")
    assert all(e.isReadOnly() for e in (dialog.name_edit, dialog.url_edit, dialog.token_url_edit))
    assert [dialog.version_combo.itemData(i) for i in range(dialog.version_combo.count())] == [V2, V1]
    assert not dialog.remove_button.isEnabled()
    assert dialog.local_hint.isHidden()


def test_the_local_engine_hint_and_its_defaults(open_dialog):
    dialog = open_dialog(select="local-engine")
    assert not dialog.local_hint.isHidden()
    assert "tilewise" in dialog.local_hint.text() and "TILEWISE_CLIENT_ID" in dialog.local_hint.text()
    dialog.fill_local_button.click()
    assert dialog.client_id_edit.text() == LOCAL_CLIENT_ID == "tilewise"
    assert dialog.secret_edit.text() == LOCAL_CLIENT_SECRET == "tilewise-local-secret"


# --- credentials ------------------------------------------------------------------------------------------


def test_credentials_go_to_the_auth_database_and_never_to_the_settings(
    open_dialog, store, settings_file, engine, auth_configs
):
    dialog = open_dialog()
    add_through_dialog(dialog, "Test engine", engine.url, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    assert dialog.status_kind == "success", dialog.status_label.text()
    deployment = store.custom_deployments()[0]
    assert deployment.base_url == engine.url and dialog.selected_id() == deployment.id

    auth_id = store.auth_id(deployment.id)
    assert auth_id in auth_configs.configIds()
    config = basic_config(auth_id)
    assert config.method() == "Basic"
    assert config.config("username") == TEST_CLIENT_ID and config.config("password") == TEST_CLIENT_SECRET

    values, text = settings_text(store, settings_file)
    assert values and all(TEST_CLIENT_SECRET not in value for value in values.values())
    assert TEST_CLIENT_SECRET not in text and auth_id in text
    # the form shows the client id, never the secret, and says where the secret is
    assert dialog.client_id_edit.text() == TEST_CLIENT_ID and dialog.secret_edit.text() == ""
    assert "authentication database" in dialog.secret_edit.placeholderText()
    shown = [
        dialog.status_label.text(),
        dialog.credentials_label.text(),
        dialog.secret_edit.placeholderText(),
    ]
    assert not any(TEST_CLIENT_SECRET in s for s in shown)


def test_a_blank_secret_on_save_keeps_the_stored_one_and_changes_only_the_client_id(open_dialog, store):
    deployment = store.add_custom("Lab engine", "http://192.0.2.10:8765")
    store.save_credentials(deployment.id, "first-id", "kept-secret")
    dialog = open_dialog(select=deployment.id)
    assert dialog.client_id_edit.text() == "first-id" and dialog.secret_edit.text() == ""
    dialog.client_id_edit.setText("second-id")
    dialog.save_button.click()
    assert dialog.status_kind == "success"
    assert store.credentials(deployment.id) == ClientCredentials("second-id", "kept-secret")
    assert store.credentials(deployment.id).client_secret == "kept-secret"

    dialog.save_button.click()  # nothing typed at all: nothing changes
    assert store.credentials(deployment.id).client_secret == "kept-secret"


def test_a_secret_without_stored_credentials_needs_both_fields(open_dialog, store):
    dialog = open_dialog(select="sentinel-hub-eu")
    dialog.client_id_edit.setText("an-id")
    dialog.save_button.click()
    assert dialog.status_kind == "error" and "secret" in dialog.status_label.text()
    assert not store.has_credentials("sentinel-hub-eu") and dialog.client_id_edit.text() == "an-id"


def test_forget_removes_the_credentials(open_dialog, store, auth_configs):
    auth_id = store.save_credentials("sentinel-hub-eu", "an-id", "a-secret")
    dialog = open_dialog(select="sentinel-hub-eu")
    assert dialog.forget_button.isEnabled()
    dialog.forget_button.click()
    assert not store.has_credentials("sentinel-hub-eu") and auth_id not in auth_configs.configIds()
    assert dialog.client_id_edit.text() == "" and not dialog.forget_button.isEnabled()
    assert "authentication database" not in dialog.secret_edit.placeholderText()


# --- testing the connection -------------------------------------------------------------------------------


def test_the_connection_test_succeeds_against_the_live_engine(open_dialog, store, engine, engine_grid_ids):
    deployment = store.add_custom("Test engine", engine.url)
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    dialog = open_dialog(select=deployment.id)
    dialog.test_connection()
    assert not dialog.test_button.isEnabled() and dialog.status_kind == "progress"
    wait_until(lambda: dialog.last_test is not None)
    text = dialog.status_label.text()
    assert dialog.status_kind == "success", text
    assert text.startswith("Connected to Test engine (Batch API v2): token received, ")
    assert f"{len(engine_grid_ids)} tiling grids (ids {', '.join(map(str, engine_grid_ids))})" in text
    assert dialog.test_button.isEnabled() and dialog.last_test.error is None

    dialog.version_combo.setCurrentIndex(dialog.version_combo.findData(V1))
    assert "(Batch API v1)" in run_test(dialog)


def test_unsaved_typed_credentials_are_the_ones_tested(open_dialog, store, engine, engine_grid_ids):
    dialog = open_dialog()
    add_through_dialog(dialog, "Test engine", engine.url)  # no credentials yet
    dialog.client_id_edit.setText(TEST_CLIENT_ID)
    dialog.secret_edit.setText(TEST_CLIENT_SECRET)
    assert "token received" in run_test(dialog)
    assert not store.has_credentials(dialog.selected_id())  # tested, not saved


def test_a_wrong_secret_names_the_client_id_but_never_the_secret(open_dialog, store, engine):
    deployment = store.add_custom("Test engine", engine.url)
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)  # right ones stored...
    dialog = open_dialog(select=deployment.id)
    dialog.secret_edit.setText(WRONG_SECRET)  # ...a wrong one typed, not saved: that one is tested
    text = run_test(dialog)
    assert dialog.status_kind == "error" and text_colour("error") in dialog.status_label.styleSheet()
    assert "Test engine refused the client id 'tilewise-tests'" in text, text
    assert WRONG_SECRET not in text and TEST_CLIENT_SECRET not in text
    assert WRONG_SECRET not in dialog.last_test.error
    assert store.credentials(deployment.id).client_secret == TEST_CLIENT_SECRET  # nothing saved


def test_a_closed_port_gives_a_clear_connection_error(open_dialog, store):
    url = f"http://127.0.0.1:{free_port()}"
    deployment = store.add_custom("Nowhere", url)
    store.save_credentials(deployment.id, "an-id", "a-secret")
    dialog = open_dialog(select=deployment.id)
    started = time.monotonic()
    text = run_test(dialog, timeout=30)
    assert time.monotonic() - started < 10  # a connection test gives up quickly
    assert dialog.status_kind == "error"
    assert text.startswith(f"Nowhere did not answer at {url} (connection refused)"), text
    assert "a-secret" not in text


def test_testing_without_credentials_says_what_to_enter(open_dialog):
    dialog = open_dialog(select="local-engine")
    dialog.test_connection()
    assert dialog.task is None and dialog.status_kind == "error"
    assert "client id and secret" in dialog.status_label.text()
    assert "Fill in local defaults" in dialog.status_label.text()


def test_closing_the_dialog_cancels_the_test(open_dialog, store, slow_server):
    deployment = store.add_custom("Slow", slow_server)
    store.save_credentials(deployment.id, "an-id", "a-secret")
    dialog = open_dialog(select=deployment.id)
    dialog.test_connection()
    task = dialog.task
    wait_until(lambda: task.status() == task.Running, timeout=10)
    started = time.monotonic()
    dialog.close()
    wait_until(lambda: dialog.last_test is not None, timeout=10)
    assert time.monotonic() - started < 2
    assert dialog.last_test is task and task.error == "Cancelled." and dialog.task is None


# --- adding, editing, removing ----------------------------------------------------------------------------


def test_a_bad_url_shows_the_error_and_keeps_what_was_typed(open_dialog, store):
    dialog = open_dialog()
    add_through_dialog(dialog, "Mine", "ftp//engine", "an-id", "a-secret", "http://x/token")
    assert dialog.status_kind == "error" and "is not a service URL" in dialog.status_label.text()
    assert (dialog.name_edit.text(), dialog.url_edit.text(), dialog.token_url_edit.text()) == (
        "Mine",
        "ftp//engine",
        "http://x/token",
    )
    assert dialog.client_id_edit.text() == "an-id" and dialog.secret_edit.text() == "a-secret"
    assert "a-secret" not in dialog.status_label.text()
    assert store.custom_deployments() == []

    dialog.url_edit.setText("https://services.sentinel-hub.com")  # a built-in URL is refused too
    dialog.save_button.click()
    assert dialog.status_kind == "error" and "already in the list" in dialog.status_label.text()
    assert store.custom_deployments() == [] and dialog.name_edit.text() == "Mine"

    dialog.url_edit.setText("http://192.0.2.10:8765")
    dialog.save_button.click()
    assert dialog.status_kind == "success" and [d.name for d in store.custom_deployments()] == ["Mine"]
    assert store.credentials(dialog.selected_id()) == ClientCredentials("an-id", "a-secret")


def test_editing_a_custom_url_moves_its_credentials(open_dialog, store, auth_configs):
    old = store.add_custom("Lab engine", "http://192.0.2.10:8765")
    old_auth = store.save_credentials(old.id, "lab-id", "lab-secret")
    store.set_current(old.id)
    dialog = open_dialog(select=old.id)
    changed = []
    dialog.deploymentChanged.connect(changed.append)
    assert not dialog.name_edit.isReadOnly() and dialog.token_url_edit.text() == ""  # the default token URL
    dialog.url_edit.setText("http://192.0.2.11:8765")
    dialog.save_button.click()
    assert dialog.status_kind == "success", dialog.status_label.text()
    (new,) = store.custom_deployments()
    assert new.base_url == "http://192.0.2.11:8765" and new.token_url.startswith("http://192.0.2.11:8765/")
    assert store.credentials(new.id) == ClientCredentials("lab-id", "lab-secret")
    assert old_auth not in auth_configs.configIds() and store.current_id() == new.id == changed[-1]


def test_removing_a_custom_deployment_removes_its_credentials(open_dialog, store, auth_configs, monkeypatch):
    deployment = store.add_custom("Lab engine", "http://192.0.2.10:8765")
    auth_id = store.save_credentials(deployment.id, "lab-id", "lab-secret")
    dialog = open_dialog(select=deployment.id)
    assert dialog.remove_button.isEnabled()

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.No)
    dialog.remove_button.click()
    assert store.custom_deployments() == [deployment] and auth_id in auth_configs.configIds()

    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Yes
    )
    dialog.remove_button.click()
    assert "Lab engine" in asked[0]
    assert store.custom_deployments() == [] and deployment.id not in list_ids(dialog)
    assert auth_id not in auth_configs.configIds() and not store.auth_id(deployment.id)


# --- version and choice -----------------------------------------------------------------------------------


def test_the_api_version_choice_persists(open_dialog, store):
    dialog = open_dialog(select="cdse")
    assert dialog.version_combo.currentData() == V2
    dialog.version_combo.setCurrentIndex(dialog.version_combo.findData(V1))
    assert store.api_version("cdse") == V1
    reopened = open_dialog(select="cdse")
    assert reopened.version_combo.currentData() == V1
    assert ConnectionStore(store.settings).api_version("sentinel-hub-eu") == V2


def test_use_this_deployment_and_ok_set_the_current_one_and_emit(open_dialog, store):
    dialog = open_dialog(select="sentinel-hub-us-west")
    changed = []
    dialog.deploymentChanged.connect(changed.append)
    dialog.use_button.click()
    assert changed == ["sentinel-hub-us-west"] and store.current_id() == "sentinel-hub-us-west"
    item = dialog.deployment_list.currentItem()
    assert item.data(Qt.ItemDataRole.UserRole) == "sentinel-hub-us-west" and item.font().bold()
    assert dialog.isVisible()

    dialog.select("cdse")
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    assert changed == ["sentinel-hub-us-west", "cdse"] and store.current_id() == "cdse"
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_ok_saves_typed_credentials_first_and_stays_open_on_an_error(open_dialog, store):
    dialog = open_dialog(select="cdse")
    changed = []
    dialog.deploymentChanged.connect(changed.append)
    dialog.secret_edit.setText("a-secret")  # no client id
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and changed == [] and dialog.status_kind == "error"
    dialog.client_id_edit.setText("an-id")
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible() and changed == ["cdse"]
    assert store.credentials("cdse") == ClientCredentials("an-id", "a-secret")


# --- proxy ------------------------------------------------------------------------------------------------


def test_the_proxy_line_shows_host_and_port_but_no_password(open_dialog):
    settings = QgsSettings()  # qgis_proxies() reads QGIS's own settings
    try:
        assert open_dialog().proxy_label.text() == "No proxy (Settings → Options → Network)"
        settings.setValue("proxy/proxyEnabled", True)
        settings.setValue("proxy/proxyHost", "proxy.example")
        settings.setValue("proxy/proxyPort", "3128")
        settings.setValue("proxy/proxyUser", "me")
        settings.setValue("proxy/proxyPassword", "proxy-p@ss")
        text = open_dialog().proxy_label.text()
        assert text == "Using QGIS's proxy proxy.example:3128"
        assert "p@ss" not in text and "p%40ss" not in text
    finally:
        for key in ("Enabled", "Host", "Port", "User", "Password"):
            settings.remove(f"proxy/proxy{key}")
