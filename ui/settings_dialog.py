"""Tilewise settings: choose or add a deployment, enter its credentials and test the connection.

The deployments and their credentials live in `core.connections.ConnectionStore` (QgsSettings for the list,
QGIS's authentication database for the client id and secret). The secret field is never filled with a
stored secret, and no secret reaches a label, a tooltip, a log or an error message. The connection test runs
in a `ClientCallTask`, as do the local engine's catalog row's calls (`ui/catalog_row.py`); this module makes no
HTTP call of its own.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from qgis.core import QgsApplication
from qgis.gui import QgsPasswordLineEdit
from qgis.PyQt import sip
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..core.auth import ClientCredentials
from ..core.client import BatchClient
from ..core.connections import ConnectionStore, CredentialsError, is_local_engine
from ..core.deployments import Deployment, DeploymentError, custom_deployment
from ..core.http import Cancel, RetryPolicy
from ..core.statuses import V1, V2
from ..core.tasks import ClientCallTask, qgis_proxies
from .catalog_row import CatalogRow
from .form_rows import form_box, plain_label
from .i18n import tr
from .theme import text_style

# The engine's own defaults (engine/config.py, docs/engine.md): public, documented, for a laptop only.
LOCAL_CLIENT_ID = "tilewise"
LOCAL_CLIENT_SECRET = "tilewise-local-secret"

# A connection test answers quickly: a few tries instead of the client's patient default.
TEST_POLICY = RetryPolicy(attempts=3, base_delay_s=0.5, max_delay_s=2.0)


class SettingsDialog(QDialog):
    """Deployments on the left; the selected one's URLs, API version and credentials on the right."""

    deploymentChanged = pyqtSignal(str)  # the id of the deployment chosen with "Use this deployment" (or OK)
    catalogSwitched = pyqtSignal(str)  # the id of a local engine deployment whose catalog was switched

    def __init__(
        self, store: ConnectionStore, parent: Optional[QWidget] = None, select: Optional[str] = None
    ):
        super().__init__(parent)
        self.store = store
        self.task: Optional[ClientCallTask] = None  # the running connection test (kept until it ends)
        self.last_test: Optional[ClientCallTask] = None  # the last finished one
        self.status_kind = ""  # "", "info", "progress", "success" or "error" (what status_label shows)
        self._loaded: Optional[Deployment] = None  # the deployment shown on the right (None while adding)
        self._adding = False
        self._loading = False
        self._stored_client_id = ""
        self._test_target = ("", 0)
        self._accept_after_switch = False
        self.setWindowTitle(tr("Tilewise settings"))
        self.setMinimumSize(820, 520)
        self.resize(960, 700)
        self._build()
        self._refresh_list(select or store.current_id())
        self.refresh_proxy_line()

    # --- building ---------------------------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)

        left = QWidget(splitter)
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(QLabel(tr("Deployments"), left))
        self.deployment_list = QListWidget(left)
        self.deployment_list.setMinimumWidth(220)
        self.deployment_list.setToolTip(tr("Where Tilewise sends batch jobs; the one in use is in bold."))
        left_column.addWidget(self.deployment_list)
        list_buttons = QHBoxLayout()
        self.add_button = QPushButton(tr("Add…"), left)
        self.add_button.setToolTip(
            tr("Add a deployment: a Tilewise engine on another computer, or another service.")
        )
        self.remove_button = QPushButton(tr("Remove"), left)
        self.remove_button.setToolTip(
            tr("Remove the selected deployment you added, with its stored credentials.")
        )
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        list_buttons.addStretch(1)
        left_column.addLayout(list_buttons)

        scroll = QScrollArea(splitter)  # the form scrolls rather than squeezes in a small window
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        right = QWidget(scroll)
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(6, 0, 0, 0)
        self.title_label = QLabel(right)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        right_column.addWidget(self.title_label)

        self.name_edit = QLineEdit(right)
        self.url_edit = QLineEdit(right)
        self.url_edit.setPlaceholderText(tr("https://host or http://host:8765"))
        self.token_url_edit = QLineEdit(right)
        self.version_combo = QComboBox(right)
        self.version_combo.setToolTip(
            tr("The Batch Processing API version to use with this deployment (only the versions it offers).")
        )
        rows = [(tr("Name"), self.name_edit), (tr("Base URL"), self.url_edit),
                (tr("Token URL"), self.token_url_edit), (tr("Batch API"), self.version_combo)]  # fmt: skip
        right_column.addWidget(form_box(tr("Deployment"), rows, right)[0])

        self.client_id_edit = QLineEdit(right)
        self.client_id_edit.setToolTip(tr("The OAuth client id of your account on this deployment."))
        self.secret_edit = QgsPasswordLineEdit(right)
        self.secret_edit.setToolTip(
            tr(
                "The client secret. It is kept encrypted in QGIS's authentication database, never in the settings "
                "or the project, and never shown again."
            )
        )
        self.credentials_label = plain_label("", right)
        self.local_hint = plain_label(
            tr(
                "A Tilewise engine's default client is “{client_id}” with the secret “{secret}”, unless it was "
                "started with TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET."
            ).format(client_id=LOCAL_CLIENT_ID, secret=LOCAL_CLIENT_SECRET),
            right,
        )
        self.fill_local_button = QPushButton(tr("Fill in local defaults"), right)
        self.fill_local_button.setToolTip(
            tr("Type the engine's default client id and secret in the form (then Save).")
        )
        credential_buttons = QHBoxLayout()
        self.save_button = QPushButton(tr("Save"), right)
        self.forget_button = QPushButton(tr("Forget"), right)
        self.forget_button.setToolTip(tr("Remove this deployment's client id and secret from QGIS."))
        credential_buttons.addWidget(self.save_button)
        credential_buttons.addWidget(self.forget_button)
        credential_buttons.addStretch(1)
        credential_buttons.addWidget(self.fill_local_button)
        rows = [(tr("Client id"), self.client_id_edit), (tr("Client secret"), self.secret_edit),
                ("", self.credentials_label), ("", self.local_hint), credential_buttons]  # fmt: skip
        right_column.addWidget(form_box(tr("Credentials (OAuth client)"), rows, right)[0])

        connection_box = QGroupBox(tr("Connection"), right)
        connection_column = QVBoxLayout(connection_box)
        test_row = QHBoxLayout()
        self.test_button = QPushButton(tr("Test connection"), connection_box)
        self.test_button.setToolTip(
            tr("Ask for a token and list the tiling grids, with the credentials in the form (saved or not).")
        )
        test_row.addWidget(self.test_button)
        self.proxy_label = plain_label("", connection_box)
        self.proxy_label.setToolTip(tr("Tilewise uses the proxy set in QGIS (Settings → Options → Network)."))
        test_row.addWidget(self.proxy_label, 1)
        connection_column.addLayout(test_row)
        # a local engine's catalog, here rather than in a box of its own: the dialog fits a 1280 × 800 screen
        self.catalog_row = CatalogRow(lambda d: self.store.client(d.id, policy=TEST_POLICY), connection_box)
        catalog_form = QFormLayout()
        catalog_form.addRow(tr("Engine catalog"), self.catalog_row)
        connection_column.addLayout(catalog_form)
        right_column.addWidget(connection_box)

        self.status_label = plain_label("", right)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right_column.addWidget(self.status_label)
        right_column.addStretch(1)

        scroll.setWidget(right)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 620])

        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.use_button = self.button_box.addButton(
            tr("Use this deployment"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.use_button.setToolTip(
            tr("Send Tilewise's jobs to the selected deployment (OK does too, and closes).")
        )
        self.button_box.button(QDialogButtonBox.StandardButton.Ok).setToolTip(
            tr("Save what the form holds, use the selected deployment and close.")
        )
        for button in (self.add_button, self.remove_button, self.save_button, self.forget_button,
                       self.fill_local_button, self.test_button, self.use_button):  # fmt: skip
            button.setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.button_box)

        self.deployment_list.currentItemChanged.connect(self._selection_changed)
        self.add_button.clicked.connect(self.start_adding)
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_button.clicked.connect(self.save)
        self.forget_button.clicked.connect(self.forget_credentials)
        self.fill_local_button.clicked.connect(self.fill_local_defaults)
        self.test_button.clicked.connect(self.test_connection)
        self.use_button.clicked.connect(self.use_selected)
        self.version_combo.currentIndexChanged.connect(self._version_changed)
        self.catalog_row.switched.connect(
            lambda deployment_id, _catalog: self.catalogSwitched.emit(deployment_id)
        )
        self.catalog_row.finished.connect(self._catalog_switch_finished)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

    # --- the list ---------------------------------------------------------------------------------------

    def _refresh_list(self, select_id: Optional[str] = None) -> None:
        current_id = self.store.current_id()
        self.deployment_list.blockSignals(True)
        self.deployment_list.clear()
        for deployment in self.store.deployments():
            in_use = deployment.id == current_id
            item = QListWidgetItem(
                tr("{name}  (in use)").format(name=deployment.name) if in_use else deployment.name
            )
            item.setData(Qt.ItemDataRole.UserRole, deployment.id)
            origin = tr("{url} (built in)") if deployment.builtin else tr("{url} (added by you)")
            item.setToolTip(origin.format(url=deployment.base_url))
            if in_use:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.deployment_list.addItem(item)
        row = self._row_of(select_id) if select_id else -1
        if row < 0:
            row = max(self._row_of(current_id), 0)
        self.deployment_list.setCurrentRow(row)
        self.deployment_list.blockSignals(False)
        self._selection_changed()

    def _row_of(self, deployment_id: Optional[str]) -> int:
        for row in range(self.deployment_list.count()):
            if self.deployment_list.item(row).data(Qt.ItemDataRole.UserRole) == deployment_id:
                return row
        return -1

    def selected_id(self) -> Optional[str]:
        item = self.deployment_list.currentItem()
        return None if self._adding or item is None else item.data(Qt.ItemDataRole.UserRole)

    def select(self, deployment_id: str) -> None:
        """Show a deployment on the right (as a click in the list does)."""
        row = self._row_of(deployment_id)
        if row < 0:
            raise DeploymentError(tr("No deployment {id} is in the list.").format(id=repr(deployment_id)))
        self.deployment_list.blockSignals(True)
        self.deployment_list.setCurrentRow(row)
        self.deployment_list.blockSignals(False)
        self._selection_changed()

    def _selection_changed(self, *_: object) -> None:
        item = self.deployment_list.currentItem()
        if item is None:
            return
        try:
            deployment = self.store.deployment(item.data(Qt.ItemDataRole.UserRole))
        except DeploymentError as exc:
            self._status(str(exc), "error")
            return
        self._adding = False
        self._show(deployment)

    # --- the form ---------------------------------------------------------------------------------------

    def _show(self, deployment: Deployment) -> None:
        self._loading = True
        self._loaded = deployment
        self.title_label.setText(deployment.name)
        editable = not deployment.builtin
        self.name_edit.setText(deployment.name)
        self.url_edit.setText(deployment.base_url)
        default_token = _default_token_url(deployment.base_url)
        self.token_url_edit.setText(
            "" if editable and deployment.token_url == default_token else deployment.token_url
        )
        self.token_url_edit.setPlaceholderText(
            tr("Default: {url}").format(url=default_token) if editable else ""
        )
        for edit in (self.name_edit, self.url_edit, self.token_url_edit):
            edit.setReadOnly(not editable)
            edit.setToolTip(
                tr("Built-in deployments cannot be changed; add your own with “Add…”.")
                if not editable
                else tr("Change it and Save; stored credentials move with the deployment.")
            )
        self.token_url_edit.setToolTip(
            self.token_url_edit.toolTip()
            + ("" if not editable else " " + tr("Leave the token URL blank for the base URL's usual one."))
        )
        self._fill_versions(deployment.api_versions, self.store.api_version(deployment.id))
        self.secret_edit.clear()
        self._stored_client_id = ""
        has_credentials = self.store.has_credentials(deployment.id)
        status = ("", "")
        if has_credentials:
            try:
                self._stored_client_id = self.store.client_id(deployment.id)
            except CredentialsError as exc:
                status = (str(exc), "error")
        self.client_id_edit.setText(self._stored_client_id)
        self._show_credentials_state(has_credentials)
        local = is_local_engine(deployment)
        self.local_hint.setVisible(local)
        self.fill_local_button.setVisible(local)
        self.save_button.setText(tr("Save"))
        self.save_button.setToolTip(
            tr(
                "Save the credentials in QGIS's authentication database (a blank secret keeps the stored one)."
            )
            if deployment.builtin
            else tr(
                "Save the credentials in QGIS's authentication database (a blank secret keeps the stored one), "
                "and the name and URLs."
            )
        )
        self.remove_button.setEnabled(not deployment.builtin)
        self.use_button.setEnabled(True)
        self.catalog_row.show_for(deployment)
        self._status(*status)
        self._loading = False

    def _fill_versions(self, versions: tuple[int, ...], chosen: int) -> None:
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for version in versions:
            default = version == versions[0] and len(versions) > 1
            label = tr("v{version} (default)") if default else tr("v{version}")
            self.version_combo.addItem(label.format(version=version), version)
        self.version_combo.setCurrentIndex(max(self.version_combo.findData(chosen), 0))
        self.version_combo.blockSignals(False)

    def _show_credentials_state(self, stored: bool) -> None:
        self.secret_edit.setPlaceholderText(
            tr("Stored in QGIS's authentication database") if stored else tr("Client secret")
        )
        self.credentials_label.setText(
            tr(
                "The client id and secret are stored in QGIS's authentication database: leave the secret blank "
                "to keep it."
            )
            if stored
            else tr("No credentials are stored for this deployment.")
        )
        self.forget_button.setEnabled(stored)

    def start_adding(self) -> None:
        """Empty the form for a new deployment; Save adds it (see ConnectionStore.add_custom)."""
        self._adding = True
        self._loaded = None
        self._loading = True
        self.deployment_list.blockSignals(True)
        self.deployment_list.setCurrentRow(-1)
        self.deployment_list.clearSelection()
        self.deployment_list.blockSignals(False)
        self.title_label.setText(tr("New deployment"))
        for edit in (
            self.name_edit,
            self.url_edit,
            self.token_url_edit,
            self.client_id_edit,
            self.secret_edit,
        ):
            edit.clear()
        for edit in (self.name_edit, self.url_edit, self.token_url_edit):
            edit.setReadOnly(False)
        self.name_edit.setToolTip(tr("A name of your choice, e.g. “Engine on the lab server”."))
        self.url_edit.setToolTip(
            tr("The service's base URL, e.g. http://192.168.1.20:8765 for a Tilewise engine.")
        )
        self.token_url_edit.setToolTip(tr("Only when the OAuth token URL is not the base URL's usual one."))
        self.token_url_edit.setPlaceholderText(
            tr("Optional: <base URL>/auth/realms/main/protocol/openid-connect/token")
        )
        self._fill_versions((V2, V1), V2)
        self._stored_client_id = ""
        self._show_credentials_state(False)
        self.credentials_label.setText(tr("Optional now: you can add the credentials later."))
        self.local_hint.setVisible(True)
        self.fill_local_button.setVisible(True)
        self.save_button.setText(tr("Add deployment"))
        self.save_button.setToolTip(tr("Add the deployment (and store the credentials, when given)."))
        self.remove_button.setEnabled(False)
        self.use_button.setEnabled(False)
        self.catalog_row.show_for(None)
        self._status(tr("Enter a name and the base URL, then “Add deployment”."), "info")
        self._loading = False
        self.name_edit.setFocus()

    def fill_local_defaults(self) -> None:
        self.client_id_edit.setText(LOCAL_CLIENT_ID)
        self.secret_edit.setText(LOCAL_CLIENT_SECRET)
        self._status(tr("The engine's default client is in the form: Save to keep it."), "info")

    def _form_deployment(self) -> Deployment:
        """The deployment as the form describes it (a built-in one as it is; may raise DeploymentError)."""
        if self._loaded is not None and self._loaded.builtin:
            return self._loaded
        if self._loaded is None and not self._adding:
            raise DeploymentError(tr("Select a deployment in the list, or add one."))
        base = self._loaded
        return custom_deployment(
            self.name_edit.text(),
            self.url_edit.text(),
            self.token_url_edit.text().strip() or None,
            base.api_versions if base else (V2, V1),
            base.retry_after_ms if base else False,
        )

    def _deployment_edited(self) -> bool:
        if self._adding:
            return any(e.text().strip() for e in (self.name_edit, self.url_edit, self.token_url_edit))
        loaded = self._loaded
        if loaded is None or loaded.builtin:
            return False
        try:
            form = self._form_deployment()
        except DeploymentError:
            return True
        return (form.name, form.base_url, form.token_url) != (loaded.name, loaded.base_url, loaded.token_url)

    def has_unsaved_changes(self) -> bool:
        return (
            self._deployment_edited()
            or bool(self.secret_edit.text())
            or self.client_id_edit.text().strip() != self._stored_client_id
        )

    # --- saving -----------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Add or update the deployment, then store the credentials. False (and the reason shown) when not."""
        client_id = self.client_id_edit.text().strip()
        secret = self.secret_edit.text()
        stored = self._loaded is not None and self.store.has_credentials(self._loaded.id)
        try:
            if secret and not client_id:
                raise CredentialsError(tr("Enter the client id that goes with the secret."))
            if not secret and client_id and not stored:
                raise CredentialsError(tr("Enter the client secret too: QGIS stores both together."))
            if not secret and not client_id and stored:
                raise CredentialsError(
                    tr("Enter the client id, or use “Forget” to remove the stored credentials.")
                )
            was_adding = self._adding
            deployment = self._save_deployment()
        except (DeploymentError, CredentialsError) as exc:
            self._status(str(exc), "error")  # the form keeps what was typed
            return False
        try:
            self.store.set_api_version(deployment.id, self.version_combo.currentData())
            credentials_saved = self._save_credentials(deployment, client_id, secret)
        except (DeploymentError, CredentialsError) as exc:
            self._refresh_list(deployment.id)
            self.client_id_edit.setText(client_id)
            self.secret_edit.setText(secret)
            self._status(str(exc), "error")
            return False
        self._refresh_list(deployment.id)
        if credentials_saved:
            text = (
                tr("Added {name}: the credentials are in QGIS's authentication database.")
                if was_adding
                else tr("Saved {name}: the credentials are in QGIS's authentication database.")
            )
            self._status(text.format(name=deployment.name), "success")
        elif self.store.has_credentials(deployment.id):
            text = tr("Added {name}.") if was_adding else tr("Saved {name}.")
            self._status(text.format(name=deployment.name), "success")
        else:
            text = (
                tr("Added {name}; no credentials are stored for it yet.")
                if was_adding
                else tr("Saved {name}; no credentials are stored for it yet.")
            )
            self._status(text.format(name=deployment.name), "info")
        return True

    def _save_deployment(self) -> Deployment:
        if self._adding:
            form = self._form_deployment()
            self._refuse_duplicate(form, None)
            return self.store.add_custom(form.name, form.base_url, self.token_url_edit.text().strip() or None)
        old = self._loaded
        if old is None:
            raise DeploymentError(tr("Select a deployment in the list, or add one."))
        if old.builtin or not self._deployment_edited():
            return old
        form = self._form_deployment()
        self._refuse_duplicate(form, old.id)
        new = self.store.add_custom(form.name, form.base_url, self.token_url_edit.text().strip() or None)
        if new.id != old.id:  # a new URL is a new id: move the credentials and the choice with it
            credentials = self.store.credentials(old.id) if self.store.has_credentials(old.id) else None
            if credentials is not None:
                self.store.save_credentials(new.id, credentials.client_id, credentials.client_secret)
            was_current = self.store.current_id() == old.id
            self.store.remove_custom(old.id)
            self._loaded = new
            if was_current:
                self.store.set_current(new.id)
                self.deploymentChanged.emit(new.id)
        return new

    def _refuse_duplicate(self, form: Deployment, own_id: Optional[str]) -> None:
        for other in self.store.custom_deployments():
            if other.id == form.id and other.id != own_id:
                raise DeploymentError(
                    tr("{url} is already in the list as “{name}”: select it there to change it.").format(
                        url=form.base_url, name=other.name
                    )
                )

    def _save_credentials(self, deployment: Deployment, client_id: str, secret: str) -> bool:
        if secret:
            self.store.save_credentials(deployment.id, client_id, secret)
            return True
        if client_id and self.store.has_credentials(deployment.id):
            stored = self.store.credentials(deployment.id)
            if stored is not None and stored.client_id != client_id:  # a new client id, the same secret
                self.store.save_credentials(deployment.id, client_id, stored.client_secret)
                return True
        return False

    def forget_credentials(self) -> None:
        deployment = self._loaded
        if deployment is None:
            return
        self.store.forget_credentials(deployment.id)
        self._show(deployment)
        self._status(
            tr("The credentials of {name} are removed from QGIS.").format(name=deployment.name), "info"
        )

    def remove_selected(self) -> None:
        deployment = self._loaded
        if deployment is None or deployment.builtin or self._adding:
            return
        answer = QMessageBox.question(
            self,
            tr("Remove deployment"),
            tr("Remove “{name}” ({url}) and its stored credentials?").format(
                name=deployment.name, url=deployment.base_url
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        was_current = self.store.current_id() == deployment.id
        self.store.remove_custom(deployment.id)
        self._refresh_list(self.store.current_id())
        self._status(tr("Removed {name}.").format(name=deployment.name), "info")
        if was_current:
            self.deploymentChanged.emit(self.store.current_id())

    def _version_changed(self, *_: object) -> None:
        if self._loading or self._adding or self._loaded is None:
            return
        version = self.version_combo.currentData()
        try:
            self.store.set_api_version(self._loaded.id, version)
        except DeploymentError as exc:
            self._status(str(exc), "error")
            return
        self._status(
            tr("{name} will be used through the Batch API v{version}.").format(
                name=self._loaded.name, version=version
            ),
            "info",
        )

    # --- choosing ---------------------------------------------------------------------------------------

    def use_selected(self) -> bool:
        """Save what the form holds (when changed), then make the selected deployment the one in use."""
        if self.has_unsaved_changes() and not self.save():
            return False
        deployment_id = self.selected_id()
        if deployment_id is None:
            return False
        self.store.set_current(deployment_id)
        self._refresh_list(deployment_id)
        self._status(
            tr("Tilewise now uses {name}.").format(name=self.store.deployment(deployment_id).name), "success"
        )
        self.deploymentChanged.emit(deployment_id)
        return True

    def accept(self) -> None:
        if self._adding and not self.has_unsaved_changes():
            super().accept()  # "Add…" then nothing typed: nothing to keep
            return
        if not self.use_selected():
            return
        if self.catalog_row.switch():  # a catalog chosen but not switched yet: OK closes once it is
            self._accept_after_switch = True
            self.button_box.setEnabled(False)
            return
        super().accept()

    def _catalog_switch_finished(self, ok: bool) -> None:
        if not self._accept_after_switch:
            return
        self._accept_after_switch = False
        self.button_box.setEnabled(True)
        if ok:
            super().accept()  # a refusal keeps the dialog open with the engine's reason under the row

    def done(self, result: int) -> None:
        """Closing the dialog (OK, Cancel, Escape, the window's close button) cancels a running test or a
        catalog read (a switch already sent stays done: the engine has it)."""
        if self.task is not None:
            self.task.cancel()
        self.catalog_row.cancel()
        super().done(result)

    # --- testing ----------------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Ask for a token and list the tiling grids in a ClientCallTask, with the form's credentials."""
        if self.task is not None:
            return
        self.refresh_proxy_line()
        try:
            deployment = self._form_deployment()
            version = int(self.version_combo.currentData() or deployment.default_version)
            credentials = self._test_credentials(deployment)
            client = BatchClient(deployment, credentials, version, proxies=qgis_proxies(), policy=TEST_POLICY)
        except (DeploymentError, CredentialsError) as exc:
            self._status(str(exc), "error")
            return

        def call(cancel: Cancel) -> list:
            try:
                client.tokens()
                return client.tiling_grids(cancel)
            finally:
                client.close()

        self.last_test = None
        self._test_target = (deployment.name, version)  # what the outcome is about
        self.task = ClientCallTask(
            tr("testing the connection to {name}").format(name=deployment.name), call, self._test_done
        )
        self.test_button.setEnabled(False)
        self._status(
            tr("Connecting to {name} (Batch API v{version})…").format(name=deployment.name, version=version),
            "progress",
        )
        QgsApplication.taskManager().addTask(self.task)

    def _test_credentials(self, deployment: Deployment) -> ClientCredentials:
        """What the form holds: a typed secret wins; otherwise the stored secret (with the client id typed)."""
        client_id = self.client_id_edit.text().strip()
        secret = self.secret_edit.text()
        if secret:
            if not client_id:
                raise CredentialsError(tr("Enter the client id that goes with the secret."))
            return ClientCredentials(client_id, secret)
        stored_id = self._loaded.id if self._loaded is not None else None
        stored = (
            self.store.credentials(stored_id) if stored_id and self.store.has_credentials(stored_id) else None
        )
        if stored is None:
            text = (
                tr(
                    "Enter the client id and secret for {name} first (a Tilewise engine: try “Fill in local "
                    "defaults”)."
                )  # fmt: skip
                if is_local_engine(deployment)
                else tr("Enter the client id and secret for {name} first.")
            )
            raise CredentialsError(text.format(name=deployment.name))
        return ClientCredentials(client_id or stored.client_id, stored.client_secret)

    def _test_done(self, task: ClientCallTask) -> None:
        self.task = None
        self.last_test = task
        if sip.isdeleted(self) or sip.isdeleted(self.test_button):
            return
        self.test_button.setEnabled(True)
        name, version = self._test_target
        if task.error is None:
            grids = task.result or []
            ids = ", ".join(str(i) for i in sorted((g.get("id") for g in grids), key=_sort_key))
            count = (tr("1 tiling grid") if len(grids) == 1 else tr("{n} tiling grids")).format(n=len(grids))
            text = (
                tr("Connected to {name} (Batch API v{version}): token received, {count} (ids {ids}).")
                if ids
                else tr("Connected to {name} (Batch API v{version}): token received, {count}.")
            )
            self._status(text.format(name=name, version=version, count=count, ids=ids), "success")
        elif task.error == "Cancelled.":
            self._status(tr("The connection test was cancelled."), "info")
        else:
            self._status(task.error, "error")

    def refresh_proxy_line(self) -> None:
        self.proxy_label.setText(proxy_description(qgis_proxies()))

    # --- status -----------------------------------------------------------------------------------------

    def _status(self, text: str, kind: str = "info") -> None:
        self.status_kind = kind if text else ""
        self.status_label.setText(text)
        self.status_label.setStyleSheet(text_style(kind) if kind in ("error", "success") else "")


def proxy_description(proxies: dict) -> str:
    """One line about QGIS's proxy, with its host and port only (never a user name or password)."""
    url = (proxies.get("https") or proxies.get("http")) if proxies else None
    if not url:
        return tr("No proxy (Settings → Options → Network)")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    return (
        tr("Using QGIS's proxy {host}:{port}").format(host=host, port=port)
        if port
        else tr("Using QGIS's proxy {host}").format(host=host)
    )


def _default_token_url(base_url: str) -> str:
    try:
        return custom_deployment("-", base_url).token_url
    except DeploymentError:
        return ""


def _sort_key(value: object) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


__all__ = ["LOCAL_CLIENT_ID", "LOCAL_CLIENT_SECRET", "SettingsDialog", "proxy_description"]
