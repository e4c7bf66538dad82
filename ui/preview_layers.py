"""Process API previews on the map: a temporary GeoTIFF as a raster layer with a style that suits it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Optional

from qgis.core import (
    Qgis,
    QgsColorRampShader,
    QgsProject,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

from ..core.scratch_folders import session_folder
from .i18n import tr
from .layer_roles import RASTER_PREVIEW, mark_tilewise_layer
from .qgis_compat import STAT_MAX, STAT_MIN, band_statistics, set_layer_abstract
from .tile_layer import add_to_group

PREVIEW_GROUP = "Tilewise previews"
_FOLDER: Optional[Path] = None


def preview_folder() -> Path:
    """One temporary folder per QGIS session (the files live as long as their layers may)."""
    global _FOLDER
    if _FOLDER is None or not _FOLDER.is_dir():  # made again after an unload removed it
        _FOLDER = session_folder("tilewise-previews-")
    return _FOLDER


def preview_names(script: str, output_id: str, where: str, time_from: str, time_to: str) -> tuple[str, str]:
    """A name short enough for the layer tree (“NDVI · map extent”, “true colour (mask) · tile 33UVP_3_7”) and
    the whole description for the layer's abstract, which the layer tree shows as its tooltip."""
    what = f"{script} ({output_id})" if output_id else script
    description = tr(
        "Process API preview of {script}, output {output}, on the {where}, {start} to {end}"
    ).format(script=script, output=output_id or tr("the first"), where=where, start=time_from, end=time_to)
    return f"{what} · {where}", description


def add_preview_layer(
    content: bytes, name: str, description: str = "", project: Optional[QgsProject] = None
) -> QgsRasterLayer:
    """Write the GeoTIFF and add it at the top of the previews group, `description` as its abstract; raises
    ValueError if GDAL cannot read it."""
    path = preview_folder() / f"preview-{uuid.uuid4().hex[:12]}.tif"
    path.write_bytes(content)
    layer = QgsRasterLayer(str(path), name, "gdal")
    if not layer.isValid():
        path.unlink(missing_ok=True)
        details = (
            layer.error().summary() if not layer.error().isEmpty() else ""
        )  # 3.22: summary() of none crashes
        raise ValueError(
            tr("The preview is not a raster QGIS can read: {details}").format(
                details=details or tr("no details")
            )
        )
    if description:
        set_layer_abstract(layer, description)
    style_preview(layer)
    mark_tilewise_layer(layer, RASTER_PREVIEW)
    add_to_group(layer, PREVIEW_GROUP, project)
    return layer


def style_preview(layer: QgsRasterLayer) -> None:
    """8-bit RGB(A): true colour with its alpha band; one float band (NDVI…): a stretched pseudocolour."""
    provider = layer.dataProvider()
    bands = layer.bandCount()
    data_type = provider.dataType(1)
    if bands in (3, 4) and data_type == Qgis.DataType.Byte:
        renderer = layer.renderer()
        if bands == 4 and band_statistics(provider, 4, STAT_MAX).maximumValue > 1:
            renderer.setAlphaBand(4)  # 0/255 transparency; a 0/1 mask would hide everything
        return
    # Anything else (one index, a value and its mask, one band per date…): band 1 as a stretched pseudocolour;
    # the user picks another band in the layer's properties. Statistics from a sample, not a full read.
    stats = band_statistics(provider, 1, STAT_MIN | STAT_MAX, layer.extent(), 250_000)
    low, high = stats.minimumValue, stats.maximumValue
    if not (low < high):
        low, high = low - 1, high + 1
    if low >= -1.0 and high <= 1.0:  # a normalised index: use its natural range, centred on zero
        low, high = -1.0, 1.0
    ramp = QgsStyle.defaultStyle().colorRamp("RdYlGn")
    shader_function = QgsColorRampShader(low, high, ramp)
    shader_function.setColorRampType(QgsColorRampShader.Type.Interpolated)
    shader_function.classifyColorRamp(7, -1)
    shader = QgsRasterShader(low, high)
    shader.setRasterShaderFunction(shader_function)
    renderer = QgsSingleBandPseudoColorRenderer(provider, 1, shader)
    renderer.setClassificationMin(low)
    renderer.setClassificationMax(high)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
