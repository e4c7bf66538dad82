"""ui/qgis_compat.py gives the same behaviour on every QGIS of the matrix (3.22, 3.40, 3.44)."""

from __future__ import annotations

import numpy as np
from osgeo import gdal
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsPalLayerSettings,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.gui import QgsGui, QgsMapLayerAction
from qgis.PyQt.QtCore import QAbstractTableModel, QModelIndex, Qt
from qgis.PyQt.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from tilewise.ui.qgis_compat import (
    LABEL_OVER_POINT,
    STAT_MAX,
    STAT_MIN,
    LayerAction,
    band_statistics,
    field,
    item_alignment,
    layer_abstract,
    set_layer_abstract,
)

gdal.UseExceptions()


def test_fields_have_the_kind_asked_for():
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "fields", "memory")
    kinds = {"an_int": "int", "a_big_int": "int64", "a_double": "double", "a_string": "string"}
    layer.dataProvider().addAttributes([field(name, kind) for name, kind in kinds.items()])
    layer.updateFields()
    names = {f.name(): f.typeName().lower() for f in layer.fields()}
    assert names["an_int"].startswith("int") and names["a_big_int"] in ("int8", "integer64", "longlong")
    assert names["a_double"] in ("double", "real") and names["a_string"] == "string"


def test_labels_are_placed_over_the_point():
    settings = QgsPalLayerSettings()
    settings.placement = LABEL_OVER_POINT  # a TypeError on QGIS 3.30+ with the old unscoped name
    assert settings.placement == LABEL_OVER_POINT


def test_item_views_read_the_alignment_back():
    class Model(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: B008, N802
            return 1

        def columnCount(self, parent=QModelIndex()):  # noqa: B008, N802
            return 1

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return item_alignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return "1.0" if role == Qt.ItemDataRole.DisplayRole else None

    model = Model()
    option = QStyleOptionViewItem()
    QStyledItemDelegate().initStyleOption(option, model.index(0, 0))
    assert option.displayAlignment & Qt.AlignmentFlag.AlignRight
    assert option.displayAlignment & Qt.AlignmentFlag.AlignVCenter


def test_a_layer_abstract_round_trips():
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "abstract", "memory")
    set_layer_abstract(layer, "Last known state.")
    assert layer_abstract(layer) == "Last known state."


def test_band_statistics_take_the_min_and_max_flags(tmp_path):
    path = str(tmp_path / "band.tif")
    dataset = gdal.GetDriverByName("GTiff").Create(path, 10, 10, 1, gdal.GDT_Float32)
    dataset.SetGeoTransform((0, 1, 0, 10, 0, -1))
    dataset.GetRasterBand(1).WriteArray(np.linspace(-3, 7, 100, dtype=np.float32).reshape(10, 10))
    dataset = None
    layer = QgsRasterLayer(path, "band")
    stats = band_statistics(layer.dataProvider(), 1, STAT_MIN | STAT_MAX)
    assert (stats.minimumValue, stats.maximumValue) == (-3.0, 7.0)


def test_a_layer_action_is_offered_where_it_applies_and_runs_for_the_feature():
    ran = []

    class Action(LayerAction):
        def applies_to(self, layer):
            return layer is not None and layer.name() == "mine"

        def run_for_feature(self, layer, feature):
            ran.append((layer.name(), feature.id()))

    action = Action("Test action", None, QgsMapLayerAction.Target.SingleFeature)
    registry = QgsGui.mapLayerActionRegistry()
    registry.addMapLayerAction(action)
    try:
        mine = QgsVectorLayer("Point?crs=EPSG:4326", "mine", "memory")
        other = QgsVectorLayer("Point?crs=EPSG:4326", "other", "memory")
        # QGIS asks canRunUsingLayer with a context from 3.30: this call aborted QGIS with a 1-argument override
        assert action in registry.mapLayerActions(mine)
        assert action not in registry.mapLayerActions(other)
        feature = QgsFeature(mine.fields())
        feature.setGeometry(QgsGeometry.fromWkt("POINT (1 2)"))
        mine.dataProvider().addFeatures([feature])
        action.trigger(mine, next(mine.getFeatures()))
        assert ran == [("mine", 1)]
    finally:
        registry.removeMapLayerAction(action)
