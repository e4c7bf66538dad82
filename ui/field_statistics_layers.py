"""A field statistics run's results in the project: the results GeoPackage's `fields` layer (the user's polygons
with the latest mean of each output band) styled graduated by a latest mean, and its `statistics` table as a
non-spatial layer, together in a group of their own under "Tilewise field statistics".

The colours follow the index: a diverging ramp centred on 0 for water indices (NDWI: water above 0, land below),
red to green for vegetation (NDVI) and anything else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from qgis.core import (
    QgsClassificationEqualInterval,
    QgsGraduatedSymbolRenderer,
    QgsLayerTreeGroup,
    QgsProject,
    QgsRendererRange,
    QgsSymbol,
    QgsVectorLayer,
)

from .i18n import tr
from .layer_roles import OUTPUT, mark_tilewise_layer
from .output_layers import color_ramp

FIELD_STATISTICS_GROUP = "Tilewise field statistics"
RESULTS_PROPERTY = "tilewise/field_statistics"  # on the run's group and layers: the results GeoPackage's path
FIELDS_LAYER, STATISTICS_TABLE = "fields", "statistics"
MEAN_SUFFIX = "_mean"
CLASSES = 7
WATER_CLASSES = 8  # even: 0 is a class boundary
VEGETATION_RAMP = "RdYlGn"  # low (bare soil, water) red, dense vegetation green
DIVERGING_RAMP = "RdBu"  # land red, water blue; symmetric around 0
WATER_HINTS = ("ndwi", "mndwi", "water")


@dataclass(frozen=True)
class ResultsLayers:
    fields: QgsVectorLayer
    statistics: QgsVectorLayer
    group: QgsLayerTreeGroup


def mean_columns(layer: QgsVectorLayer) -> list[str]:
    """The `<output>_<band>_mean` columns of a results `fields` layer, in the layer's order."""
    return [field.name() for field in layer.fields() if field.name().endswith(MEAN_SUFFIX)]


def is_water_index(column: str) -> bool:
    return any(hint in column.lower() for hint in WATER_HINTS)


def graduated_renderer(layer: QgsVectorLayer, column: str) -> QgsGraduatedSymbolRenderer:
    """Equal intervals over the column's values on a red to green ramp; for a water index, equal intervals
    symmetric around 0 on a diverging ramp, so that 0 (the water line) is where the colours turn."""
    if is_water_index(column):
        renderer = QgsGraduatedSymbolRenderer(column, symmetric_ranges(layer, column))
        renderer.updateColorRamp(color_ramp(DIVERGING_RAMP))
        return renderer
    renderer = QgsGraduatedSymbolRenderer(column)
    renderer.setSourceSymbol(QgsSymbol.defaultSymbol(layer.geometryType()))
    renderer.setClassificationMethod(QgsClassificationEqualInterval())
    renderer.updateClasses(layer, CLASSES)
    renderer.updateColorRamp(color_ramp(VEGETATION_RAMP))
    return renderer


def symmetric_ranges(layer: QgsVectorLayer, column: str) -> list[QgsRendererRange]:
    """WATER_CLASSES equal classes from -m to m, m the largest |value| (half of them each side of 0)."""
    index = layer.fields().indexOf(column)
    values = [float(v) for v in (layer.minimumValue(index), layer.maximumValue(index)) if v is not None]
    reach = max((abs(v) for v in values), default=0.0) or 1.0
    step = 2 * reach / WATER_CLASSES
    ranges = []
    for number in range(WATER_CLASSES):
        lower, upper = -reach + number * step, -reach + (number + 1) * step
        symbol = QgsSymbol.defaultSymbol(layer.geometryType())
        ranges.append(QgsRendererRange(lower, upper, symbol, f"{lower:.3g} – {upper:.3g}"))
    return ranges


def style_fields_layer(layer: QgsVectorLayer, column: Optional[str] = None) -> Optional[str]:
    """Style the layer graduated by `column` (by default its first latest-mean column); the column used, or None
    when the layer has no mean (every field failed): it keeps QGIS's default symbol then."""
    column = column or next(iter(mean_columns(layer)), None)
    if column is None:
        return None
    layer.setRenderer(graduated_renderer(layer, column))
    layer.triggerRepaint()
    return column


def results_group(title: str, path: Path, project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    """ "Tilewise field statistics" > `title`: one group per results file (found again by its path)."""
    root = (project or QgsProject.instance()).layerTreeRoot()
    parent = root.findGroup(FIELD_STATISTICS_GROUP) or root.insertGroup(0, FIELD_STATISTICS_GROUP)
    for child in parent.children():
        if isinstance(child, QgsLayerTreeGroup) and child.customProperty(RESULTS_PROPERTY) == str(path):
            return child
    group = parent.insertGroup(0, title)
    group.setCustomProperty(RESULTS_PROPERTY, str(path))
    return group


def open_results_layer(path: Path, table: str, name: str) -> QgsVectorLayer:
    layer = QgsVectorLayer(f"{path}|layername={table}", name, "ogr")
    if not layer.isValid():
        raise ValueError(
            tr(
                "The results file {path} has no readable “{table}” layer: run the field statistics again."
            ).format(path=path, table=table)
        )
    mark_tilewise_layer(layer, OUTPUT)
    layer.setCustomProperty(RESULTS_PROPERTY, str(path))
    return layer


def add_results_layers(
    path: Path, title: str, column: Optional[str] = None, project: Optional[QgsProject] = None
) -> ResultsLayers:
    """Add the results GeoPackage's fields (styled) and statistics table to the project, in the run's group;
    layers of the same file added before are replaced, not doubled."""
    project = project or QgsProject.instance()
    fields = open_results_layer(path, FIELDS_LAYER, tr("Fields: {title}").format(title=title))
    statistics = open_results_layer(path, STATISTICS_TABLE, tr("Statistics: {title}").format(title=title))
    style_fields_layer(fields, column)
    group = results_group(title, path, project)
    for node in group.findLayers():
        project.removeMapLayer(node.layerId())
    project.addMapLayers([fields, statistics], False)
    group.insertLayer(0, statistics)
    group.insertLayer(0, fields)
    return ResultsLayers(fields, statistics, group)


__all__ = [
    "FIELD_STATISTICS_GROUP",
    "ResultsLayers",
    "add_results_layers",
    "graduated_renderer",
    "is_water_index",
    "mean_columns",
    "style_fields_layer",
]
