"""The top of the dock: which deployment and Batch API version, the client for them, and (for a Tilewise engine)
the engine's status. No network here but through the dock's tasks; settings and credentials through the
ConnectionStore."""

from __future__ import annotations

from typing import Callable, Optional

from qgis.core import QgsApplication, QgsSettings
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ..core.client import BatchClient
from ..core.connections import ConnectionStore, CredentialsError, is_local_engine
from ..core.deployments import Deployment, DeploymentError
from ..core.http import Cancel
from ..core.tasks import ClientCallTask
from .i18n import tr
from .messages import with_hint
from .theme import text_style
from .user_guide import open_user_guide

ENGINE_S3_ENDPOINT_KEY = (
    "tilewise/engine_s3_endpoint/"  # + deployment id: the engine's S3 endpoint, last read
)

RunTask = Callable[[str, str, Callable[[Cancel], object], Callable[[ClientCallTask], None]], object]


class ConnectionBar(QWidget):
    """`clientChanged(client or None, deployment)` after each choice (the previous client is closed after);
    `engineStatusRead(dict)` when a Tilewise engine's status arrives. `run(purpose, description, function,
    on_done)` starts the dock's tasks."""

    clientChanged = pyqtSignal(object, object)
    engineStatusRead = pyqtSignal(dict)

    def __init__(self, store: ConnectionStore, run: RunTask, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.store = store
        self.run = run
        self.client: Optional[BatchClient] = None
        self.client_problem: Optional[str] = None
        self.engine_status: Optional[dict] = None
        self.settings_dialog = None
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.deployment_combo = QComboBox(self)
        self.deployment_combo.setToolTip(tr("Where batch jobs run."))
        self.version_combo = QComboBox(self)
        self.version_combo.setToolTip(tr("Batch API version: v2 is current; v1 has per-tile actions."))
        self.settings_button = tool_button("/mActionOptions.svg", tr("Deployments and credentials…"), self)
        self.help_button = tool_button("/mActionHelpContents.svg", tr("Open the Tilewise user guide"), self)
        row.addWidget(self.deployment_combo, 1)
        for widget in (self.version_combo, self.settings_button, self.help_button):
            row.addWidget(widget)
        column.addLayout(row)
        self.connection_label = QLabel(self)
        self.connection_label.setWordWrap(True)
        column.addWidget(self.connection_label)
        self.deployment_combo.currentIndexChanged.connect(self._deployment_chosen)
        self.version_combo.currentIndexChanged.connect(self._version_chosen)
        self.settings_button.clicked.connect(self.open_settings)
        self.help_button.clicked.connect(open_user_guide)

    def deployment(self) -> Deployment:
        return self.store.deployment(self.deployment_combo.currentData())

    def api_version(self) -> int:
        return self.version_combo.currentData() or self.deployment().default_version

    def reload_deployments(self, select: Optional[str] = None) -> None:
        select = select or self.store.current_id()
        self.deployment_combo.blockSignals(True)
        self.deployment_combo.clear()
        for deployment in self.store.deployments():
            self.deployment_combo.addItem(deployment.name, deployment.id)
        self.deployment_combo.setCurrentIndex(max(0, self.deployment_combo.findData(select)))
        self.deployment_combo.blockSignals(False)
        self._deployment_chosen()

    def _deployment_chosen(self, *_args) -> None:
        deployment_id = self.deployment_combo.currentData()
        if not deployment_id:
            return
        self.store.set_current(deployment_id)
        deployment = self.store.deployment(deployment_id)
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for version in deployment.api_versions:
            self.version_combo.addItem(tr("API v{version}").format(version=version), version)
        self.version_combo.setCurrentIndex(
            max(0, self.version_combo.findData(self.store.api_version(deployment_id)))
        )
        self.version_combo.blockSignals(False)
        self.connect_client()

    def _version_chosen(self, *_args) -> None:
        version = self.version_combo.currentData()
        if version:
            self.store.set_api_version(self.deployment_combo.currentData(), version)
            self.connect_client()

    def connect_client(self) -> None:
        """A client for the chosen deployment and version (no network here; calls happen in tasks)."""
        previous = self.client
        self.client, self.client_problem, self.engine_status = None, None, None
        deployment, version = self.deployment(), self.api_version()
        try:
            if not self.store.has_credentials(deployment.id):
                raise CredentialsError(
                    tr(
                        "No credentials for {name}: add your client id and secret in the settings (⚙)."
                    ).format(name=deployment.name)
                )
            self.client = self.store.client(deployment.id, version)
        except (CredentialsError, DeploymentError) as exc:
            self.client_problem = str(exc)
            self.say(self.client_problem, error=True)
        else:
            self._read_engine_status(deployment)
        self.clientChanged.emit(self.client, deployment)
        if previous is not None:
            previous.close()

    def refresh_engine_status(self, deployment_id: str) -> None:
        """Read the engine's status again when it is the deployment in use (its catalog was switched)."""
        if self.client is not None and self.client.deployment.id == deployment_id:
            self._read_engine_status(self.client.deployment)

    def _read_engine_status(self, deployment: Deployment) -> None:
        self.say(tr("{name}, Batch API v{version}").format(name=deployment.name, version=self.api_version()))
        if is_local_engine(deployment) and self.client is not None:
            self.run(
                "engine", tr("reading the engine's status"), self.client.engine_status, self._status_read
            )

    def _status_read(self, task: ClientCallTask) -> None:
        if not isinstance(task.result, dict):
            if task.error:
                self.say(f"{self.connection_label.text()}: {with_hint(task)}", error=True)
            return
        status = self.engine_status = task.result
        if self.client is not None:  # known before the status is read again (a project reopened at start)
            QgsSettings().setValue(
                ENGINE_S3_ENDPOINT_KEY + self.client.deployment.id, str(status.get("s3EndpointUrl") or "")
            )
        self.connection_label.setText(
            tr("{connection}: engine {version} on the {catalog} catalog, {workers} worker(s)").format(
                connection=self.connection_label.text(),
                version=status.get("version", ""),
                catalog=(
                    tr("{catalog} (switched)").format(catalog=status.get("catalog"))
                    if status.get("catalogSource") == "switched"
                    else status.get("catalog", "?")
                ),
                workers=status.get("workers", "?"),
            )
        )
        self.engineStatusRead.emit(status)

    def s3_endpoint(self, deployment_id: str) -> Optional[str]:
        """A Tilewise engine's S3 endpoint: read now for the current deployment, else as last read."""
        if (
            self.engine_status is not None
            and self.client is not None
            and self.client.deployment.id == deployment_id
        ):
            return self.engine_status.get("s3EndpointUrl") or None
        return QgsSettings().value(ENGINE_S3_ENDPOINT_KEY + deployment_id, "", type=str) or None

    def say(self, text: str, error: bool = False) -> None:
        self.connection_label.setStyleSheet(text_style("error") if error else "")
        self.connection_label.setText(text)

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.store, self, select=self.deployment_combo.currentData())
        dialog.deploymentChanged.connect(lambda deployment_id: self.reload_deployments(deployment_id))
        dialog.catalogSwitched.connect(self.refresh_engine_status)
        dialog.finished.connect(lambda _result: self.reload_deployments(self.store.current_id()))
        self.settings_dialog = dialog
        dialog.open()

    def close_client(self) -> None:
        if self.client is not None:
            self.client.close()


def tool_button(icon: str, tip: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setIcon(QgsApplication.getThemeIcon(icon))
    button.setToolTip(tip)
    return button


__all__ = ["ENGINE_S3_ENDPOINT_KEY", "ConnectionBar", "open_user_guide"]
