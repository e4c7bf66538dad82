"""A finished job's outputs on the map: one raster layer per tile and output, opened in place (GDAL /vsis3/ with
the bucket's own options, or the local file), mosaics (VRTs), and downloads in a QgsTask.

Layer tree: the job's group (“Tilewise job <short id> — <description>”, found by the job id it carries) >
“Outputs” > one group per output id > the mosaics first, then one layer per tile named after it. Only the
mosaics are switched on: per-tile layers are added unchecked in a collapsed group, so that dozens of tiles
neither fill the layer tree nor draw twice under their mosaic; the user ticks the ones to look at.

Opening is cheap on the main thread: each layer is created with a style set before its data source, so QGIS
skips the default stretch it computes on opening (an exact read of any file up to 500 × 500 px). With the
outputs described off the main thread (core.outputs.prepare_outputs or describe_outputs, in a task) no pixel is
read here at all; without, the style comes from approximate statistics on a sample. Every tile of an output
shares one stretch, so a value has one colour across tiles.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Optional, Sequence

from qgis.core import (
    Qgis,
    QgsColorRampShader,
    QgsContrastEnhancement,
    QgsDataProvider,
    QgsGradientColorRamp,
    QgsGradientStop,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMultiBandColorRenderer,
    QgsProject,
    QgsRasterLayer,
    QgsRasterRenderer,
    QgsRasterShader,
    QgsRectangle,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)
from qgis.PyQt.QtGui import QColor

from ..core.jobs import BatchJob
from ..core.mosaics import Mosaic
from ..core.outputs import (
    LayerStyle,
    OutputFile,
    RasterInfo,
    Results,
    download,
    gdal_source,
    merged_ranges,
    style_for,
    unreadable_message,
)
from ..core.storage import S3Access, StorageError
from ..core.tasks import CancellableTask
from .i18n import tr
from .job_groups import JOB_PROPERTY, job_group
from .layer_roles import OUTPUT, mark_tilewise_layer
from .qgis_compat import STAT_MAX, STAT_MIN, band_statistics

log = logging.getLogger(__name__)

OUTPUTS_GROUP = "Outputs"
OUTPUT_PROPERTY = "tilewise/output_id"  # on the output groups and layers
URL_PROPERTY = "tilewise/url"  # on output layers: the object they show (s3://… or file://…)
KIND_PROPERTY = "tilewise/kind"  # "tile" or "mosaic"
# Pixels sampled for statistics when a layer opens undescribed: QGIS reads exactly up to twice as many, and
# uses GDAL's approximate statistics beyond (QgsGdalProvider::bandStatistics).
SAMPLE_SIZE = 65_536

_DATA_TYPES = {
    "Byte": Qgis.DataType.Byte,
    "UInt16": Qgis.DataType.UInt16,
    "Int16": Qgis.DataType.Int16,
    "UInt32": Qgis.DataType.UInt32,
    "Int32": Qgis.DataType.Int32,
    "Float32": Qgis.DataType.Float32,
    "Float64": Qgis.DataType.Float64,
}
_FALLBACK_RAMPS = {  # when QGIS's default style lacks the ramp
    "RdYlGn": ("#d7191c", "#1a9641", [(0.25, "#fdae61"), (0.5, "#ffffbf"), (0.75, "#a6d96a")]),
    "Viridis": ("#440154", "#fde725", [(0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962")]),
}


# --- groups ----------------------------------------------------------------------------------------------


def _is_group(node) -> bool:
    return isinstance(node, QgsLayerTreeGroup)


def output_group(job: BatchJob, output_id: str, project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    """The job's group > Outputs > `output_id` (each created when missing)."""
    outputs = _child_group(job_group(job, project), OUTPUTS_GROUP)
    group = _child_group(outputs, output_id)
    group.setCustomProperty(OUTPUT_PROPERTY, output_id)
    return group


def _child_group(parent: QgsLayerTreeGroup, name: str) -> QgsLayerTreeGroup:
    for child in parent.children():
        if _is_group(child) and child.name() == name:
            return child
    return parent.addGroup(name)


# --- styles ----------------------------------------------------------------------------------------------


def color_ramp(name: str):
    ramp = QgsStyle.defaultStyle().colorRamp(name)
    if ramp is not None:
        return ramp
    first, last, stops = _FALLBACK_RAMPS.get(name, _FALLBACK_RAMPS["Viridis"])
    return QgsGradientColorRamp(
        QColor(first), QColor(last), False, [QgsGradientStop(p, QColor(c)) for p, c in stops]
    )


def renderer_for(style: LayerStyle, data_type: str, provider=None) -> QgsRasterRenderer:
    """A QGIS renderer for a LayerStyle (`provider` may be None: the renderer is wired to it when set)."""
    if style.kind == "rgb":
        renderer = QgsMultiBandColorRenderer(provider, 1, 2, 3)
        if style.band_ranges:
            qgis_type = _DATA_TYPES.get(data_type, Qgis.DataType.Float32)
            enhancements = []
            for low, high in style.band_ranges:
                enhancement = QgsContrastEnhancement(qgis_type)
                enhancement.setContrastEnhancementAlgorithm(
                    QgsContrastEnhancement.ContrastEnhancementAlgorithm.StretchToMinimumMaximum
                )
                enhancement.setMinimumValue(low)
                enhancement.setMaximumValue(high)
                enhancements.append(enhancement)
            renderer.setRedContrastEnhancement(enhancements[0])
            renderer.setGreenContrastEnhancement(enhancements[1])
            renderer.setBlueContrastEnhancement(enhancements[2])
        if style.alpha_band:
            renderer.setAlphaBand(style.alpha_band)
        return renderer
    function = QgsColorRampShader(style.minimum, style.maximum, color_ramp(style.ramp))
    function.setColorRampType(QgsColorRampShader.Type.Interpolated)
    function.setClassificationMode(QgsColorRampShader.ClassificationMode.Continuous)
    function.classifyColorRamp(5, -1)  # at the ramp's own stops: no pixel read
    shader = QgsRasterShader(style.minimum, style.maximum)
    shader.setRasterShaderFunction(function)
    renderer = QgsSingleBandPseudoColorRenderer(provider, 1, shader)
    renderer.setClassificationMin(style.minimum)
    renderer.setClassificationMax(style.maximum)
    return renderer


def style_output_layer(
    layer: QgsRasterLayer,
    raster: Optional[RasterInfo] = None,
    ranges: Optional[Sequence[Optional[tuple[float, float]]]] = None,
) -> None:
    """The default look of an output (core.outputs.style_for): 8-bit multi-band as RGB with a 0/255 4th band as
    alpha; a single band as a stretched pseudocolour, RdYlGn for a -1..1 index, Viridis otherwise. From
    `raster` (described off the main thread) when given, else from sampled_raster_info(layer); `ranges`
    replaces the raster's own (one stretch shared by all tiles of an output)."""
    if raster is None:
        raster = sampled_raster_info(layer)
    layer.setRenderer(renderer_for(style_for(raster, ranges), raster.data_type, layer.dataProvider()))
    layer.triggerRepaint()


def sampled_raster_info(layer: QgsRasterLayer) -> RasterInfo:
    """RasterInfo of an open layer from its provider: approximate statistics on SAMPLE_SIZE pixels (GDAL's
    approximate statistics on anything larger than twice that: overviews, or a sample of blocks; never a full
    read of a big file) and a sampled histogram of band 4 for the alpha test. The provider caches them."""
    provider = layer.dataProvider()
    count = layer.bandCount()
    data_type = next(
        (name for name, value in _DATA_TYPES.items() if value == provider.dataType(1)), "Float32"
    )
    ranges: list[Optional[tuple[float, float]]] = []
    sampled = [1] if count < 3 else ([] if data_type == "Byte" else [1, 2, 3])
    for band in range(1, (1 if count < 3 else 3) + 1):
        if band not in sampled:
            ranges.append(None)
            continue
        stats = band_statistics(provider, band, STAT_MIN | STAT_MAX, QgsRectangle(), SAMPLE_SIZE)
        low, high = stats.minimumValue, stats.maximumValue
        # (the GDAL provider leaves elementCount at 0: what was gathered, and finite, says it worked)
        valid = bool(int(stats.statsGathered)) and abs(low) < 1e38 and abs(high) < 1e38 and low <= high
        ranges.append((low, high) if valid else None)
    alpha = None
    if count == 4 and data_type == "Byte":
        histogram = provider.histogram(4, 256, -0.5, 255.5, QgsRectangle(), SAMPLE_SIZE)
        counts = list(histogram.histogramVector)
        if len(counts) == 256 and counts[255] > 0 and not any(counts[1:255]):
            alpha = 4
    extent = layer.extent()
    return RasterInfo(
        width=layer.width(),
        height=layer.height(),
        bands=count,
        data_type=data_type,
        epsg=layer.crs().postgisSrid() or None,
        bounds=(extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()),
        ranges=tuple(ranges),
        alpha_band=alpha,
    )


def open_raster_layer(
    source: str,
    name: str,
    raster: Optional[RasterInfo] = None,
    ranges: Optional[Sequence[Optional[tuple[float, float]]]] = None,
    project: Optional[QgsProject] = None,
) -> QgsRasterLayer:
    """A styled raster layer on `source` (may be invalid: check isValid()).

    The renderer is set before the data source: QGIS keeps a layer's style across a change of source and then
    skips the default stretch it would otherwise compute (an exact full read of any file up to 500 × 500 px,
    on this thread). With `raster` known, no pixel is read here at all; without, style_output_layer samples."""
    from osgeo import gdal

    if source.startswith("/vsi"):
        gdal.VSICurlPartialClearCache(source)  # the object may have changed, or gone, since GDAL last saw it
    layer = QgsRasterLayer()
    style = style_for(raster, ranges) if raster is not None else LayerStyle("pseudocolor", "Viridis")
    layer.setRenderer(renderer_for(style, raster.data_type if raster is not None else "Float32"))
    options = QgsDataProvider.ProviderOptions()
    if project is not None:
        options.transformContext = project.transformContext()
    layer.setDataSource(source, name, "gdal", options)
    if layer.isValid() and raster is None:
        style_output_layer(layer, None, ranges)
    return layer


def _layer_error(layer: QgsRasterLayer) -> str:
    error = layer.error()
    # layer.error().summary() crashed on a valid layer with an empty error (qgis-notes §4a): ask first
    return "" if error.isEmpty() else error.summary().strip().rstrip(":")


# --- layers ----------------------------------------------------------------------------------------------


def add_output_layers(
    job: BatchJob,
    outputs: Sequence[OutputFile],
    access: S3Access | None,
    project: Optional[QgsProject] = None,
) -> Results:
    """Add a layer per output (named after its tile) under the job's group > Outputs > output id, opened in place.
    Outputs already shown there are left alone (so newly finished tiles can be added as they arrive). Returns
    the new layers; `problems` names each output that could not be opened and why (a deleted object is said
    to be deleted) while the others open. Outputs described off the main thread (`raster` set) open without
    reading pixels and share one stretch per output id."""
    project = project or QgsProject.instance()
    ranges = {
        output_id: merged_ranges(
            o.raster for o in outputs if o.output_id == output_id and o.raster is not None
        )
        for output_id in {o.output_id for o in outputs}
    }
    shown = _shown_urls(job, project)
    problems: list[str] = []
    opened: dict[str, list[QgsRasterLayer]] = {}
    sampled: dict[str, RasterInfo] = {}  # layer id: what style_output_layer read of an undescribed output
    for output in sorted(outputs, key=lambda o: (o.output_id, o.tile_name, o.url)):
        if output.url in shown:
            continue
        try:
            source = gdal_source(access, output.url)
        except StorageError as exc:
            problems.append(
                tr("Tile {tile}, output {output}: {error}").format(
                    tile=output.tile_name, output=output.output_id, error=exc
                )
            )
            continue
        layer = open_raster_layer(
            source, output.tile_name, output.raster, ranges[output.output_id] or None, project
        )
        if not layer.isValid():
            problems.append(unreadable_message(access, output, _layer_error(layer)))
            continue
        layer.setCustomProperty(JOB_PROPERTY, job.id)
        layer.setCustomProperty(OUTPUT_PROPERTY, output.output_id)
        layer.setCustomProperty(URL_PROPERTY, output.url)
        layer.setCustomProperty(KIND_PROPERTY, "tile")
        mark_tilewise_layer(layer, OUTPUT)
        opened.setdefault(output.output_id, []).append(layer)
        if output.raster is None:
            sampled[layer.id()] = sampled_raster_info(layer)  # the provider's cached statistics: no new read
        shown.add(output.url)
    for output_id, group_layers in opened.items():  # one stretch per output for the undescribed ones too
        mine = [sampled[layer.id()] for layer in group_layers if layer.id() in sampled]
        if len(mine) > 1:
            described = [o.raster for o in outputs if o.output_id == output_id and o.raster is not None]
            shared = merged_ranges(described + mine)
            for layer in group_layers:
                if layer.id() in sampled:
                    style_output_layer(layer, sampled[layer.id()], shared)
    layers = [layer for group in opened.values() for layer in group]
    if layers:
        project.addMapLayers(layers, False)  # one signal for all: the legend is built once
        for output_id, group_layers in opened.items():
            group = output_group(job, output_id, project)
            nodes = [QgsLayerTreeLayer(layer) for layer in group_layers]
            for node in nodes:
                node.setItemVisibilityChecked(False)
            group.insertChildNodes(-1, nodes)
            group.setExpanded(False)
    for problem in problems:
        log.warning("Tilewise: %s", problem)
    return Results(layers, problems)


def _shown_urls(job: BatchJob, project: QgsProject) -> set[str]:
    urls = set()
    for layer in project.mapLayers().values():
        if layer.customProperty(JOB_PROPERTY) == job.id and layer.customProperty(KIND_PROPERTY) == "tile":
            urls.add(layer.customProperty(URL_PROPERTY))
    return urls


def mosaic_layer_name(mosaic: Mosaic) -> str:
    return tr("{output} mosaic (EPSG:{epsg})").format(output=mosaic.output_id, epsg=mosaic.epsg)


def add_mosaic_layers(
    job: BatchJob, mosaics: Sequence[Mosaic], project: Optional[QgsProject] = None
) -> Results:
    """A layer per mosaic (“<output> mosaic (EPSG:<code>)”) at the top of its output's group; a mosaic shown
    before from the same file is replaced (it may hold more tiles now). Styled from the tiles' ranges, so
    opening reads no pixel. `problems` names each mosaic that could not be opened."""
    project = project or QgsProject.instance()
    layers, problems = [], []
    for mosaic in mosaics:
        source = str(mosaic.path)
        for layer in list(project.mapLayers().values()):
            if layer.customProperty(KIND_PROPERTY) == "mosaic" and layer.source() == source:
                project.removeMapLayer(layer.id())
        layer = open_raster_layer(source, mosaic_layer_name(mosaic), mosaic.raster, None, project)
        if not layer.isValid():
            detail = _layer_error(layer)
            problems.append(
                tr("The {output} mosaic (EPSG:{epsg}) cannot be opened from {path}{detail}.").format(
                    output=mosaic.output_id,
                    epsg=mosaic.epsg,
                    path=mosaic.path,
                    detail=f": {detail}" if detail else "",
                )
            )
            continue
        layer.setCustomProperty(JOB_PROPERTY, job.id)
        layer.setCustomProperty(OUTPUT_PROPERTY, mosaic.output_id)
        layer.setCustomProperty(KIND_PROPERTY, "mosaic")
        mark_tilewise_layer(layer, OUTPUT)
        project.addMapLayer(layer, False)
        group = output_group(job, mosaic.output_id, project)
        position = sum(1 for child in group.children() if _is_mosaic_node(child))
        group.insertLayer(position, layer)
        layers.append(layer)
    return Results(layers, problems)


def _is_mosaic_node(node) -> bool:
    return (
        isinstance(node, QgsLayerTreeLayer)
        and node.layer() is not None
        and (node.layer().customProperty(KIND_PROPERTY) == "mosaic")
    )


# --- downloads -------------------------------------------------------------------------------------------


class DownloadTask(CancellableTask):
    """Copies outputs to a local folder off the main thread (core.outputs.download: resumable, a few files at
    a time). Progress goes to QGIS's task manager; cancelling stops between files. `on_done(task)` runs on the
    main thread with `result` (Results of the paths, with `problems`; also set after a cancel: what was
    copied) and `error` (a message; "Cancelled." after a cancel)."""

    def __init__(
        self,
        outputs: Sequence[OutputFile],
        folder: Path,
        access: S3Access | None,
        on_done: Callable[[DownloadTask], None],
        description: Optional[str] = None,
    ):
        super().__init__(
            description or tr("Tilewise: downloading %Ln output(s)", None, len(outputs)), on_done
        )
        self.outputs = list(outputs)
        self.folder = Path(folder)
        self.access = access
        self.result: Optional[Results] = None

    def run(self) -> bool:
        try:
            self.result = download(
                self.outputs, self.folder, self.access, self.setProgress, self.cancel_token
            )
        except StorageError as exc:
            self.error = str(exc)
            return False
        except Exception as exc:  # reported, never raised from a worker thread
            log.exception("Tilewise download failed")
            self.error = tr("Downloading failed unexpectedly: {error}").format(
                error=f"{exc.__class__.__name__}: {exc}"
            )
            return False
        if self.result.cancelled or self.isCanceled():
            self.error = "Cancelled."
            return False
        return True

    def finished(self, result: bool) -> None:
        if not result and self.error is None:  # cancelled before it started
            self.error = "Cancelled."
        super().finished(result)
