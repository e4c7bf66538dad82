"""What differs between the QGIS versions Tilewise runs on, in one place.

Tilewise runs on QGIS 3.22 to 3.44 (Qt5) and is written for QGIS 4 (Qt6). Each difference below is detected
from what the running QGIS has, never from a version number, and names the release it changed in; the rest of
the plugin imports these names instead of branching on versions. `scripts/check_qt6.py` lets this module alone
name APIs that exist in only some versions.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from qgis.core import (
    Qgis,
    QgsFeature,
    QgsField,
    QgsMapLayer,
    QgsMapLayerProxyModel,
    QgsPalLayerSettings,
    QgsRasterBandStats,
    QgsRasterDataProvider,
    QgsRectangle,
    QgsWkbTypes,
)
from qgis.gui import QgsMapLayerAction
from qgis.PyQt.QtCore import QT_VERSION_STR, QMetaType, QObject, QVariant

QT6 = int(QT_VERSION_STR.split(".")[0]) >= 6

# QGIS 3.26 moved label placements to Qgis.LabelPlacement. From 3.30 the old unscoped name
# QgsPalLayerSettings.OverPoint is a *point position* (Qgis.LabelPredefinedPointPosition), which the placement
# property refuses with a TypeError (seen on 3.40).
LABEL_OVER_POINT = (
    Qgis.LabelPlacement.OverPoint
    if hasattr(Qgis, "LabelPlacement")
    else QgsPalLayerSettings.Placement.OverPoint
)


# Field types: QGIS 3.38 takes QMetaType.Type and deprecates QVariant.Type, which Qt6 no longer has.
def _field_takes_qmetatype() -> bool:
    try:
        QgsField("probe", QMetaType.Type.QString)
    except TypeError:
        return False
    return True


if _field_takes_qmetatype():
    FIELD_TYPES: dict[str, Any] = {
        "int": QMetaType.Type.Int,
        "int64": QMetaType.Type.LongLong,
        "double": QMetaType.Type.Double,
        "string": QMetaType.Type.QString,
    }
else:  # QGIS < 3.38
    FIELD_TYPES = {
        "int": QVariant.Int,
        "int64": QVariant.LongLong,
        "double": QVariant.Double,
        "string": QVariant.String,
    }


# QGIS 3.30 moved geometry types to Qgis.GeometryType, 3.34 layer filters to Qgis.LayerFilter; QGIS 4 has only
# the new names.
POLYGON_GEOMETRY = (
    Qgis.GeometryType.Polygon if hasattr(Qgis, "GeometryType") else QgsWkbTypes.GeometryType.PolygonGeometry
)
POLYGON_LAYER_FILTER = (
    Qgis.LayerFilter.PolygonLayer
    if hasattr(Qgis, "LayerFilter")
    else QgsMapLayerProxyModel.Filter.PolygonLayer
)


def field(name: str, kind: str) -> QgsField:
    """A field of `kind` (int, int64, double or string) that every QGIS version reads the same way."""
    return QgsField(name, FIELD_TYPES[kind])


# QGIS 3.36 takes band statistics as Qgis.RasterBandStatistic and deprecates (3.40) the int form.
if hasattr(Qgis, "RasterBandStatistic"):
    STAT_MIN, STAT_MAX = Qgis.RasterBandStatistic.Min, Qgis.RasterBandStatistic.Max
else:
    STAT_MIN, STAT_MAX = QgsRasterBandStats.Stats.Min, QgsRasterBandStats.Stats.Max


def band_statistics(
    provider: QgsRasterDataProvider,
    band: int,
    stats: Any,
    extent: Optional[QgsRectangle] = None,
    sample: int = 0,
) -> QgsRasterBandStats:
    """provider.bandStatistics with the Qgis.RasterBandStatistic flags where QGIS has them.

    On QGIS 3.40-3.44 built on PyQt5, sip tries the deprecated `int stats` overload first and every flags value
    converts to int, so even the right call warns of deprecation (seen on 3.40.6 and 3.44.15); that warning,
    and only it, is silenced here. On Qt6 the flags are not ints and the current overload is the one called."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "QgsRasterInterface.bandStatistics", DeprecationWarning)
        return provider.bandStatistics(band, stats, extent or QgsRectangle(), sample)


def set_layer_abstract(layer: QgsMapLayer, text: str) -> None:
    """The layer's abstract (shown in the layer tree's tooltip): in its server properties from QGIS 3.38."""
    properties = layer.serverProperties()
    if hasattr(properties, "setAbstract"):
        properties.setAbstract(text)
    else:
        layer.setAbstract(text)


def layer_abstract(layer: QgsMapLayer) -> str:
    properties = layer.serverProperties()
    return properties.abstract() if hasattr(properties, "abstract") else layer.abstract()


def item_alignment(flags: Any) -> Any:
    """TextAlignmentRole data: Qt5's item views read an int (a flags value reads as 0), Qt6's read the flags
    (PyQt6 flags have no int())."""
    return flags if QT6 else int(flags)


class LayerAction(QgsMapLayerAction):
    """A QgsMapLayerAction whose subclasses say where it applies (`applies_to(layer)`) and what it does for a
    feature (`run_for_feature(layer, feature)`).

    QGIS 3.30 added a context to both: it calls canRunUsingLayer(layer, context) for every layer a user
    identifies (an override taking only the layer aborts the whole of QGIS there), and triggers actions with
    triggerForFeature(layer, feature, context), which emits triggeredForFeatureV2 (triggeredForFeature is
    deprecated)."""

    def __init__(self, name: str, parent: Optional[QObject], targets: Any) -> None:
        super().__init__(name, parent, targets)
        signal = getattr(self, "triggeredForFeatureV2", None) or self.triggeredForFeature
        signal.connect(self._on_triggered_for_feature)

    def canRunUsingLayer(self, layer: Optional[QgsMapLayer], context: Any = None) -> bool:  # noqa: N802
        return self.applies_to(layer)

    def applies_to(self, layer: Optional[QgsMapLayer]) -> bool:
        raise NotImplementedError

    def run_for_feature(self, layer: QgsMapLayer, feature: QgsFeature) -> None:
        raise NotImplementedError

    def trigger(self, layer: QgsMapLayer, feature: QgsFeature) -> None:
        """What QGIS does when the user picks the action on a feature (identify results, attribute table)."""
        if _ACTION_CONTEXT is None:
            self.triggerForFeature(layer, feature)
        else:
            self.triggerForFeature(layer, feature, _ACTION_CONTEXT())

    def _on_triggered_for_feature(self, layer: QgsMapLayer, feature: QgsFeature, *context: Any) -> None:
        self.run_for_feature(layer, feature)


try:  # QGIS 3.30
    from qgis.gui import QgsMapLayerActionContext as _ACTION_CONTEXT
except ImportError:
    _ACTION_CONTEXT = None
