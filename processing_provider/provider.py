"""The provider: the "Batch jobs" group of six algorithms and "Field statistics", sharing the plugin's ConnectionStore."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..core.version import VERSION
from ..ui.i18n import tr
from .common import StoreFactory

PROVIDER_ID = "tilewise"
ICON = Path(__file__).resolve().parent.parent / "resources" / "icon.svg"


class TilewiseProvider(QgsProcessingProvider):
    """`store_factory` makes the ConnectionStore the algorithms read deployments and credentials from (by default
    the QGIS profile's: `ConnectionStore()`); tests give one on their own settings file."""

    def __init__(self, store_factory: Optional[StoreFactory] = None):
        super().__init__()
        self.store_factory: Optional[Callable] = store_factory

    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return "Tilewise"

    def longName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Tilewise: Sentinel Hub Batch API jobs (Sentinel Hub, CDSE, a Tilewise engine)")

    def versionString(self) -> str:  # noqa: N802 (QGIS API)
        return VERSION

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def svgIconPath(self) -> str:  # noqa: N802 (QGIS API)
        return str(ICON)

    def loadAlgorithms(self) -> None:  # noqa: N802 (QGIS API)
        from .algorithms import ALGORITHMS
        from .field_statistics import FIELD_STATISTICS_ALGORITHMS

        for algorithm in (*ALGORITHMS, *FIELD_STATISTICS_ALGORITHMS):
            self.addAlgorithm(algorithm(self.store_factory))
