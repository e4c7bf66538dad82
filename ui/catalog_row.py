"""The settings dialog's "Catalog" row: which catalog a local Tilewise engine's new jobs read, and switching it.

Reading and switching run in `ClientCallTask`s (no HTTP here); the client is made on the main thread, where QGIS
may ask for its master password. The row is disabled, with the reason beside it, for a deployment that is not a
Tilewise engine on this computer, without stored credentials, or while the engine does not answer.
"""

from __future__ import annotations

from typing import Callable, Optional

from qgis.core import QgsApplication
from qgis.PyQt import sip
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ..core.client import BatchClient
from ..core.connections import CredentialsError, is_local_engine
from ..core.deployments import Deployment, DeploymentError
from ..core.engine_catalog import CatalogOption, EngineCatalog
from ..core.http import Cancel, NotFoundError
from ..core.tasks import ClientCallTask
from .form_rows import plain_label
from .i18n import tr
from .messages import with_hint
from .theme import text_style

ClientFor = Callable[[Deployment], BatchClient]  # may raise CredentialsError or DeploymentError


def option_label(option: CatalogOption) -> str:
    return option.title if option.offline else tr("{title} (needs internet)").format(title=option.title)


class CatalogRow(QWidget):
    """`switched(deployment id, EngineCatalog)` after a switch; `finished(ok)` after each switch ends."""

    switched = pyqtSignal(str, object)
    finished = pyqtSignal(bool)

    def __init__(self, client_for: ClientFor, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.client_for = client_for
        self.deployment: Optional[Deployment] = None
        self.catalog: Optional[EngineCatalog] = None  # as the engine last said
        self.task: Optional[ClientCallTask] = None  # the running read or switch (kept until it ends)
        self.note_kind = ""  # "", "info", "progress", "success" or "error" (what note shows)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.combo = QComboBox(self)
        self.combo.setToolTip(
            tr(
                "Where the engine's new jobs and previews find their scenes; jobs already created keep theirs."
            )
        )
        self.switch_button = QPushButton(tr("Switch"), self)
        self.switch_button.setAutoDefault(False)
        self.switch_button.setToolTip(tr("Switch the engine to the chosen catalog now (OK does too)."))
        row.addWidget(self.combo, 1)
        row.addWidget(self.switch_button)
        column.addLayout(row)
        self.note = plain_label("", self)
        column.addWidget(self.note)
        self.combo.currentIndexChanged.connect(self._choice_changed)
        self.switch_button.clicked.connect(self.switch)
        self._enable(False)

    # --- reading ------------------------------------------------------------------------------------------

    def show_for(self, deployment: Optional[Deployment]) -> None:
        """Read the engine's catalogs (a local engine with credentials), or say why the row is off. The same
        deployment, already read, is kept as it is (the dialog shows it again after each save)."""
        if deployment is not None and deployment == self.deployment and (self.catalog or self.task):
            return
        self.cancel()
        self.deployment, self.catalog = deployment, None
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.blockSignals(False)
        self._enable(False)
        if deployment is None or not is_local_engine(deployment):
            self._say(tr("Only a Tilewise engine on this computer has a catalog to switch here."))
            return
        self._run(
            tr("reading the catalogs of {name}").format(name=deployment.name),
            lambda client, cancel: client.engine_catalog(cancel),
            tr("Reading the engine's catalogs…"),
        )

    def pending(self) -> Optional[str]:
        """The catalog chosen in the combo when it is not the engine's current one."""
        chosen = self.combo.currentData()
        return chosen if self.catalog is not None and chosen and chosen != self.catalog.current else None

    # --- switching ----------------------------------------------------------------------------------------

    def switch(self) -> bool:
        """Switch the engine to the chosen catalog in a task; False when there is nothing to switch."""
        chosen = self.pending()
        if chosen is None or self.deployment is None or self.task is not None:
            return False
        self._run(
            tr("switching the catalog of {name}").format(name=self.deployment.name),
            lambda client, cancel: client.switch_engine_catalog(chosen, cancel),
            tr("Switching the engine to {title}…").format(title=option_label(self.catalog.option(chosen))),
        )
        return self.task is not None

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    # --- tasks --------------------------------------------------------------------------------------------

    def _run(
        self, description: str, call: Callable[[BatchClient, Cancel], EngineCatalog], progress: str
    ) -> None:
        deployment = self.deployment
        switching = self.catalog is not None
        try:
            client = self.client_for(deployment)
        except (CredentialsError, DeploymentError):
            self._say(tr("Save the engine's client id and secret first: the catalog is read with them."))
            return

        def function(cancel: Cancel) -> EngineCatalog:
            try:
                return call(client, cancel)
            finally:
                client.close()

        self.task = ClientCallTask(
            description, function, lambda task: self._done(task, deployment, switching)
        )
        self._enable(False)
        self._say(progress, "progress")
        QgsApplication.taskManager().addTask(self.task)

    def _done(self, task: ClientCallTask, deployment: Deployment, switching: bool) -> None:
        if sip.isdeleted(self) or task is not self.task:
            return  # the dialog closed, or another deployment was chosen meanwhile
        self.task = None
        if task.error is not None:
            self._failed(task, switching)
        else:
            self._fill(task.result)
            if switching:
                self._say(
                    tr(
                        "The engine now gives new jobs {title}. Jobs created before keep their catalog."
                    ).format(title=option_label(task.result.option(task.result.current))),
                    "success",
                )
                self.switched.emit(deployment.id, task.result)
        if switching:
            self.finished.emit(task.error is None)

    def _failed(self, task: ClientCallTask, switching: bool) -> None:
        if task.error == "Cancelled.":
            self._say(tr("The catalog call was cancelled."))
            return
        if switching:  # the engine refused: the list stays, with the reason
            self._enable(True)
            self._say(tr("The engine kept its catalog: {error}").format(error=task.error), "error")
        elif isinstance(task.exception, NotFoundError):
            self._say(
                tr(
                    "This engine cannot switch catalogs (an older version): update it, or set TILEWISE_CATALOG."
                ),
                "error",
            )
        else:
            self._say(
                tr("The engine is not reachable, so its catalog cannot be read: {error}").format(
                    error=with_hint(task)
                ),
                "error",
            )

    def _fill(self, catalog: EngineCatalog) -> None:
        self.catalog = catalog
        self.combo.blockSignals(True)
        self.combo.clear()
        for option in catalog.available:
            self.combo.addItem(option_label(option), option.id)
            self.combo.setItemData(self.combo.count() - 1, option.id, Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(max(self.combo.findData(catalog.current), 0))
        self.combo.blockSignals(False)
        self._enable(True)
        self._choice_changed()

    def _choice_changed(self, *_: object) -> None:
        if self.catalog is None:
            return
        self.switch_button.setEnabled(self.pending() is not None)
        chosen = self.pending()
        if chosen is not None:
            self._say(tr("Switch (or OK) to give the engine's new jobs this catalog."))
            return
        current = option_label(self.catalog.option(self.catalog.current))
        text = (
            tr("New jobs read {title}, switched here (the engine's TILEWISE_CATALOG is set aside).")
            if self.catalog.switched
            else tr("New jobs read {title}, as the engine was started (TILEWISE_CATALOG).")
        )
        self._say(text.format(title=current))

    def _enable(self, enabled: bool) -> None:
        self.combo.setEnabled(enabled)
        self.switch_button.setEnabled(enabled and self.pending() is not None)

    def _say(self, text: str, kind: str = "info") -> None:
        self.note_kind = kind
        self.note.setText(text)
        self.note.setStyleSheet(text_style(kind) if kind in ("error", "success") else "")


__all__ = ["CatalogRow", "option_label"]
