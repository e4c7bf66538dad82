"""Tilewise QGIS plugin: toolbar button, Raster-menu entry (the metadata's category), Help → Plugins entry,
the translator for QGIS's language, and the dock."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProject, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, Qt, QTranslator
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .core.scratch_folders import remove_for_project
from .ui.i18n import load_translator, qgis_locale, tr

PLUGIN_DIR = Path(__file__).resolve().parent
MENU = "&Tilewise"
LOG_TAG = "Tilewise"
DOCK_VISIBLE_KEY = "tilewise/dock_visible"


class QgsMessageLogHandler(logging.Handler):
    """Sends the `tilewise` Python logger to QGIS's Log Messages panel."""

    LEVELS = {
        logging.DEBUG: Qgis.MessageLevel.Info,
        logging.INFO: Qgis.MessageLevel.Info,
        logging.WARNING: Qgis.MessageLevel.Warning,
        logging.ERROR: Qgis.MessageLevel.Critical,
        logging.CRITICAL: Qgis.MessageLevel.Critical,
    }

    def emit(self, record: logging.LogRecord) -> None:
        QgsMessageLog.logMessage(
            self.format(record), LOG_TAG, self.LEVELS.get(record.levelno, Qgis.MessageLevel.Info)
        )


class TilewisePlugin:
    def __init__(self, iface):
        self.iface = iface
        self.action: Optional[QAction] = None
        self.help_action: Optional[QAction] = None
        self.translator: Optional[QTranslator] = None
        self.dock = None
        self.provider = None  # the Processing provider (processing_provider/)
        self._log_handler = QgsMessageLogHandler()
        self._logger = logging.getLogger(__package__ or "tilewise")

    def initProcessing(self) -> None:  # noqa: N802 (QGIS API)
        """The Processing provider: QGIS calls this for plugins with hasProcessingProvider=yes (also in
        qgis_process, without initGui); initGui calls it too. Idempotent."""
        self._install_translator()
        if self.provider is not None:
            return
        from .core.dependencies import missing_dependencies

        problems = missing_dependencies()
        if problems:
            self._logger.error("Tilewise Processing algorithms are unavailable: %s", "; ".join(problems))
            return
        from .processing_provider import TilewiseProvider

        self.provider = TilewiseProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 (QGIS API)
        # No network or heavy work here: QGIS start-up must stay instant.
        self._logger.addHandler(self._log_handler)
        self._logger.setLevel(logging.INFO)
        from .core.dependencies import install_message, missing_dependencies

        problems = missing_dependencies()
        self.initProcessing()  # installs the translator first: every text below is translated
        self.action = QAction(
            QIcon(str(PLUGIN_DIR / "resources" / "icon.svg")),
            "Tilewise",
            self.iface.mainWindow(),
        )
        self.action.setObjectName("TilewiseDockAction")
        self.action.setCheckable(True)
        self.action.setToolTip(tr("Tilewise: batch processing of large areas (Sentinel Hub Batch API)"))
        self.action.toggled.connect(self._toggle_dock)
        self.iface.addToolBarIcon(self.action)
        # category=Raster in metadata.txt: the entry lives where the Plugin Manager files the plugin
        self.iface.addPluginToRasterMenu(MENU, self.action)
        # Settings → Keyboard Shortcuts lists it, so users can give the dock a shortcut
        self.iface.registerMainWindowAction(self.action, "")
        self._add_help_entry()
        if problems:
            message = install_message(problems)
            self.action.setEnabled(False)
            self.action.setToolTip(tr("Tilewise is disabled: {message}").format(message=message))
            self.iface.messageBar().pushMessage(
                "Tilewise", message, level=Qgis.MessageLevel.Critical, duration=0
            )
            self._logger.error(message)
        elif QgsSettings().value(DOCK_VISIBLE_KEY, False, type=bool):
            self.action.setChecked(True)

    def _install_translator(self) -> None:
        """QGIS's language, before any widget or algorithm reads a text; once (initProcessing may run first)."""
        if self.translator is None:
            self.translator = load_translator(qgis_locale())

    def _add_help_entry(self) -> None:
        """Help → Plugins → Tilewise: the user guide, as the dock's Help button opens it."""
        from .ui.user_guide import open_user_guide

        self.help_action = QAction(
            QIcon(str(PLUGIN_DIR / "resources" / "icon.svg")),
            tr("Tilewise user guide"),
            self.iface.mainWindow(),
        )
        self.help_action.setObjectName("TilewiseHelpAction")
        self.help_action.triggered.connect(open_user_guide)
        self.iface.pluginHelpMenu().addAction(self.help_action)

    def _toggle_dock(self, visible: bool) -> None:
        if self.dock is None:
            from .ui.dock import TilewiseDock

            self.dock = TilewiseDock(self.iface, self.iface.mainWindow())
            self.dock.visibilityChanged.connect(self._dock_visibility_changed)
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.setVisible(visible)

    def _dock_visibility_changed(self, visible: bool) -> None:
        main_window = self.iface.mainWindow()
        if not visible and main_window is not None and not main_window.isVisible():
            return  # QGIS is closing and hides every dock: keep the user's choice for the next start
        QgsSettings().setValue(DOCK_VISIBLE_KEY, visible)
        if self.action is not None and self.action.isChecked() != visible:
            self.action.setChecked(visible)

    def unload(self) -> None:
        if self.dock is not None:
            self.dock.unload()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if self.help_action is not None:
            self.iface.pluginHelpMenu().removeAction(self.help_action)
            self.help_action.deleteLater()
            self.help_action = None
        main_window = self.iface.mainWindow() if self.iface is not None else None  # None: qgis_process
        closing = main_window is None or not main_window.isVisible()  # hidden: QGIS is closing
        remove_for_project(QgsProject.instance(), closing)  # the rule: core/scratch_folders.py
        if self.action is not None:
            self.iface.unregisterMainWindowAction(self.action)
            self.iface.removePluginRasterMenu(MENU, self.action)
            self.iface.removeToolBarIcon(self.action)
            self.action.deleteLater()
            self.action = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        self._logger.removeHandler(self._log_handler)
        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None
