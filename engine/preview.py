"""Process API previews: one synchronous request rendered in the API process (docs/engine.md#process-api).

Sentinel Hub users try an evalscript on a small area with the Process API before they run a batch
job. A preview goes through the same building blocks as a batch tile in `processor.py` (search,
samples, preProcessScenes, read, evaluate) on a grid the request describes (its bounds' CRS and
width/height or resx/resy), and each response is encoded as Sentinel Hub serves it: GeoTIFF, PNG,
JPEG or the userdata JSON; several responses come as a tar whose members sentinelhub-py decodes by
their names (`default.tif`, `userdata.json`).
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np
from osgeo import gdal, ogr

from ..core.batch_models import (
    JSON,
    TIFF,
    USERDATA,
    PayloadError,
    ProcessRequest,
    ResponseSpec,
    parse_process_request,
)
from ..core.costs import input_band_factor, output_factor, request_pu
from ..core.crs import CrsError, spatial_reference
from ..core.evalscript.setup import band_problem
from .config import Settings
from .data import DataError, DataSource, TargetGrid, UnknownCollectionError, collection_bands, open_source
from .errors import ApiError, bad_request
from .evalscript import EvalscriptError, EvalscriptRuntime, Limits, ScriptCancelled, ScriptSetup, TileResult
from .evalscript.convert import final_type
from .output.writer import CogParameters, RasterPlacement, TiffMetadata, write_geotiff, write_userdata
from .processor import SYNTHETIC, search_scenes, time_range, wgs84_bbox
from .samples import Mosaicking, Sample, SampleStack

gdal.UseExceptions()
ogr.UseExceptions()

MAX_SIDE = 2500  # pixels per side, as Sentinel Hub's Process API
DEFAULT_SIDE = 256  # Sentinel Hub's default width and height when the request gives no size
PNG = "image/png"
JPEG = "image/jpeg"
TAR = "application/x-tar"
FORMATS = (TIFF, PNG, JPEG, JSON)
# Tiled DEFLATE without a predictor: tifffile (what sentinelhub-py decodes with) cannot undo GDAL's
# floating-point predictor unless imagecodecs is installed, which sentinelhub does not require. The
# writer's COG options are its one way to leave the predictor out; no overviews, no COG is promised.
PLAIN_TIFF = CogParameters(overview_levels=(), block_x=256, block_y=256, use_predictor=False)


@dataclass(frozen=True)
class Rendered:
    """What the route sends back."""

    content: bytes
    media_type: str
    processing_units: float


# --- warm runtimes --------------------------------------------------------------------------------------


class WarmRuntime:
    """A compiled script kept in the pool; `use()` lends its runtime to one thread at a time."""

    def __init__(self, runtime: EvalscriptRuntime):
        self._runtime = runtime
        self._lock = threading.Lock()  # EvalscriptRuntime is not thread-safe
        self.evicted = False

    @property
    def setup(self) -> ScriptSetup:
        return self._runtime.setup  # fixed at compile time: no lock needed

    @contextmanager
    def use(self) -> Iterator[EvalscriptRuntime]:
        with self._lock:
            try:
                yield self._runtime
            finally:
                if self.evicted:  # dropped from the pool while lent out: its user closes it
                    self._runtime.close()

    def close_if_idle(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                self._runtime.close()
            finally:
                self._lock.release()


class RuntimePool:
    """A few warm V8 runtimes, one per script (LRU): iterating on a preview pays the compile once.

    Previews run on the API's thread pool; the lock of each runtime is held only while V8 runs
    (preProcessScenes, evaluate), not while the data is read, so previews of one script overlap.
    """

    def __init__(self, size: int = 4):
        self.size = size
        self._entries: OrderedDict[tuple[str, Limits, str], WarmRuntime] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, source: str, limits: Limits, default_sample_type: str = "AUTO") -> WarmRuntime:
        """The warm runtime of a script, compiled on first use (raises EvalscriptError); outputs without
        sampleType get `default_sample_type` (the Statistical API's is FLOAT32)."""
        key = (source, limits, default_sample_type)
        with self._lock:
            warm = self._entries.get(key)
            if warm is not None:
                self._entries.move_to_end(key)
                return warm
        fresh = WarmRuntime(
            EvalscriptRuntime(source, limits, default_sample_type)
        )  # compiles in V8, outside the pool lock
        with self._lock:
            warm = self._entries.get(key)
            if warm is not None:  # another request compiled the same script meanwhile
                return warm
            self._entries[key] = fresh
            while len(self._entries) > self.size:
                _, old = self._entries.popitem(last=False)
                old.evicted = True
                old.close_if_idle()
            return fresh


RUNTIMES = RuntimePool()


# --- the request ----------------------------------------------------------------------------------------


def render_preview(
    body: Any, settings: Settings, accept: Optional[str] = None, runtimes: RuntimePool = RUNTIMES
) -> Rendered:
    """A Process API request body → the response bytes. Raises ApiError with the reference error body."""
    try:
        request = parse_process_request(body, "request body", batch=False)
    except PayloadError as exc:
        raise bad_request(str(exc), exc.field) from None
    grid = output_grid(request)
    if len(request.data) != 1:
        raise bad_request(
            "This engine processes one data collection per request (no data fusion): give exactly one entry "
            "in input.data.",
            "input.data",
        )
    _check_formats(request.responses)
    limits = settings.script_limits
    try:
        warm = runtimes.get(request.evalscript, limits)
        setup = warm.setup
        _check_request(request, setup, settings)
        result, samples = evaluate_request(request, warm, grid, settings)
    except ScriptCancelled as exc:
        raise ApiError(503, exc.message, "COMMON_EXCEPTION") from None
    except EvalscriptError as exc:  # already the whole message, with the line and column
        raise bad_request(str(exc), "evalscript") from None
    except UnknownCollectionError as exc:
        raise bad_request(str(exc), "input.data[0].type") from None
    except DataError as exc:
        raise ApiError(500, f"Reading the data failed: {exc}", "COMMON_EXCEPTION") from None
    except ValueError as exc:  # the stack does not fit the script: an engine bug, not the user's
        raise ApiError(500, f"The engine could not evaluate the script: {exc}", "COMMON_EXCEPTION") from None
    synthetic = any(scene.properties.get(SYNTHETIC) for sample in samples for scene in sample.scenes)
    members = encode_responses(request.responses, result, grid, synthetic)
    sample_count = 1 if setup.mosaicking == Mosaicking.SIMPLE else max(1, len(samples))
    units = request_pu(
        grid.width,
        grid.height,
        input_band_factor(setup.bands),
        output_factor([o.sample_type for o in result.outputs.values()]),
        sample_count,
    )
    if len(members) == 1 and not wants_tar(accept):
        return Rendered(members[0][1], request.responses[0].format, units)
    return Rendered(tar_archive(members), TAR, units)


def wants_tar(accept: Optional[str]) -> bool:
    """Whether the Accept header asks for a tar (sentinelhub-py does for several responses)."""
    types = {part.split(";")[0].strip().lower() for part in (accept or "").split(",")}
    return bool(types & {TAR, "application/tar"})


# --- the grid -------------------------------------------------------------------------------------------


def output_grid(request: ProcessRequest) -> TargetGrid:
    """The raster the request asks for: in its bounds' CRS, over its bbox (or its geometry's bounds)."""
    bounds = request.bounds
    if bounds is None:
        raise bad_request(
            "input.bounds is missing: give the area as input.bounds.bbox [minX, minY, maxX, maxY] and/or "
            "input.bounds.geometry (GeoJSON), with properties.crs.",
            "input.bounds",
        )
    crs = bounds.epsg_crs
    epsg = 4326 if crs == "OGC:CRS84" else int(crs.split(":")[1])
    try:
        spatial_reference(epsg)
    except CrsError:
        raise bad_request(
            f"input.bounds.properties.crs names EPSG:{epsg}, which this engine does not know: use a valid EPSG "
            "code, e.g. http://www.opengis.net/def/crs/EPSG/0/32633.",
            "input.bounds.properties.crs",
        ) from None
    shape = _geometry(bounds.geometry) if bounds.geometry is not None else None  # bad GeoJSON: a 400 now
    box = bounds.bbox if bounds.bbox is not None else _envelope(shape)
    width, height = _size(request, box)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise bad_request(
            f"The output would be {width} × {height} px; the Process API renders at most {MAX_SIDE} px a side. "
            "Ask for a coarser resolution (output.resx/resy in CRS units) or a smaller width/height, or split the "
            "area (a batch job renders large areas).",
            "output",
        )
    return TargetGrid(epsg, tuple(float(v) for v in box), width, height)


def _geometry(geometry: dict) -> ogr.Geometry:
    try:
        shape = ogr.CreateGeometryFromJson(json.dumps(geometry))
    except RuntimeError as exc:
        raise bad_request(
            f"input.bounds.geometry is not a valid GeoJSON geometry: {str(exc).strip()}.",
            "input.bounds.geometry",
        ) from None
    if shape is None or shape.IsEmpty() or shape.GetArea() <= 0:
        raise bad_request(
            "input.bounds.geometry has no area: give a Polygon or MultiPolygon whose rings have at least 4 "
            "positions (the last equal to the first).",
            "input.bounds.geometry",
        )
    return shape


def _envelope(shape: ogr.Geometry) -> tuple[float, float, float, float]:
    min_x, max_x, min_y, max_y = shape.GetEnvelope()
    return (min_x, min_y, max_x, max_y)


def _size(request: ProcessRequest, box: tuple[float, float, float, float]) -> tuple[int, int]:
    span_x, span_y = box[2] - box[0], box[3] - box[1]
    by_size = request.width is not None or request.height is not None
    by_resolution = request.resx is not None or request.resy is not None
    if by_size and by_resolution:
        raise bad_request(
            "output gives both a size (width/height) and a resolution (resx/resy): give one of them.",
            "output",
        )
    if by_resolution:
        if request.resx is None or request.resy is None:
            raise bad_request("output needs both resx and resy (in units of the bounds' CRS).", "output")
        if request.resx <= 0 or request.resy <= 0:
            raise bad_request(
                f"output.resx and resy must be positive (got {request.resx:g}, {request.resy:g}).", "output"
            )
        return max(1, round(span_x / request.resx)), max(1, round(span_y / request.resy))
    if request.width is not None and request.height is not None:
        return request.width, request.height
    if request.width is not None:  # the other side keeps the area's aspect ratio
        return request.width, max(1, round(request.width * span_y / span_x))
    if request.height is not None:
        return max(1, round(request.height * span_x / span_y)), request.height
    return DEFAULT_SIDE, DEFAULT_SIDE


def geometry_mask(geometry: dict, grid: TargetGrid) -> np.ndarray:
    """1 where a pixel's centre is inside the geometry (GDAL's rasterize rule), else 0; (height, width)."""
    return polygon_mask(_geometry(geometry), grid)


def polygon_mask(shape: ogr.Geometry, grid: TargetGrid) -> np.ndarray:
    """`geometry_mask` of an OGR geometry in the grid's CRS."""
    srs = spatial_reference(grid.epsg)  # both in the bounds' CRS: GDAL then transforms nothing
    raster = gdal.GetDriverByName("MEM").Create("", grid.width, grid.height, 1, gdal.GDT_Byte)
    raster.SetGeoTransform(grid.geotransform)
    raster.SetSpatialRef(srs)
    source = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = source.CreateLayer("area", srs)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(shape)
    layer.CreateFeature(feature)
    gdal.RasterizeLayer(raster, [1], layer, burn_values=[1])
    return raster.GetRasterBand(1).ReadAsArray()


# --- checks before any pixel is read ---------------------------------------------------------------------


def _check_formats(responses: tuple[ResponseSpec, ...]) -> None:
    for index, response in enumerate(responses):
        if response.format not in FORMATS:
            raise bad_request(
                f"output.responses[{index}].format.type {response.format!r} is not a format this engine renders: "
                f"use {TIFF}, {PNG} or {JPEG} for rasters, or {JSON} for userdata.",
                f"output.responses[{index}].format.type",
            )


def _check_request(request: ProcessRequest, setup: ScriptSetup, settings: Settings) -> None:
    data = request.data[0]
    available = collection_bands(settings.catalog, data.type)  # UnknownCollectionError: a 400
    problem = band_problem(setup.bands, data.type, available)
    if problem:
        raise bad_request(problem, "evalscript")
    outputs = {o.id: o for o in setup.outputs}
    for index, response in enumerate(request.responses):
        where = f"output.responses[{index}]"
        if response.identifier == USERDATA:
            if response.format != JSON:
                raise bad_request(
                    f"The userdata response is JSON: set its format to {JSON} (got {response.format}).", where
                )
            continue
        output = outputs.get(response.identifier)
        if output is None:
            raise bad_request(
                f"Response {response.identifier!r} is not an output of the evalscript: its setup() defines "
                f"{', '.join(sorted(outputs)) or 'no output'} (and 'userdata' returns outputMetadata.userData). "
                "Use one of those identifiers or add the output to setup().",
                f"{where}.identifier",
            )
        bands = None if setup.has_update_output else output.bands  # updateOutput may change it
        check_image(response, final_type(output.sample_type), bands)


def check_image(response: ResponseSpec, sample_type: str, bands: Optional[int]) -> None:
    """Whether an output of this sample type and band count fits the response's format."""
    name = response.identifier
    if response.format == JSON:
        raise bad_request(
            f"Output {name!r} is a raster: ask for it as {TIFF}, {PNG} or {JPEG} ({JSON} is for userdata only).",
            "output.responses",
        )
    if bands is not None and bands < 1:
        raise bad_request(
            f"Output {name!r} has no bands, so there is no image to return: give it bands in setup() "
            "(or updateOutput), or leave it out of output.responses.",
            "output.responses",
        )
    if response.format == PNG:
        if sample_type not in ("UINT8", "UINT16"):
            raise bad_request(
                f"Output {name!r} is {sample_type}, which PNG cannot hold: set its sampleType to UINT8, UINT16 or "
                f"AUTO in setup(), or ask for {TIFF}.",
                "output.responses",
            )
        if bands is not None and bands > 4:
            raise bad_request(
                f"Output {name!r} has {bands} bands; PNG holds 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA): "
                f"return fewer bands, or ask for {TIFF}.",
                "output.responses",
            )
    if response.format == JPEG:
        if sample_type != "UINT8":
            raise bad_request(
                f"Output {name!r} is {sample_type}, which JPEG cannot hold: set its sampleType to UINT8 or AUTO "
                f"in setup(), or ask for {PNG} (UINT16) or {TIFF}.",
                "output.responses",
            )
        if bands is not None and bands not in (1, 3):
            raise bad_request(
                f"Output {name!r} has {bands} bands; JPEG holds 1 (grey) or 3 (RGB): return 1 or 3 bands, or ask "
                f"for {PNG} or {TIFF}.",
                "output.responses",
            )


# --- rendering ------------------------------------------------------------------------------------------


def evaluate_request(
    request: ProcessRequest, warm: WarmRuntime, grid: TargetGrid, settings: Settings
) -> tuple[TileResult, list[Sample]]:
    """search → samples → preProcessScenes → read → (clip to the geometry) → evaluate, as a batch tile."""
    source = open_source(settings.catalog, request.data[0].type, s3_endpoint_url=settings.s3_endpoint_url)
    return evaluate_on(source, request, warm, grid)


def evaluate_on(
    source: DataSource, request: ProcessRequest, warm: WarmRuntime, grid: TargetGrid
) -> tuple[TileResult, list[Sample]]:
    """`evaluate_request` on an open data source (a worker process has no Settings)."""
    setup = warm.setup
    data = request.data[0]
    time_from, time_to = time_range(data)
    scenes = search_scenes(source, data, wgs84_bbox(grid.epsg, grid.bounds))
    with warm.use() as runtime:
        samples = runtime.pre_process_scenes(source.samples(scenes, setup.mosaicking), time_from, time_to)
    stack = source.read(
        samples,
        {band: setup.units[band] for band in setup.bands if band != "dataMask"},
        grid,
        upsampling=data.upsampling,
        downsampling=data.downsampling,
        harmonize_values=data.harmonize_values,
    )
    if request.bounds is not None and request.bounds.geometry is not None:
        clip(stack, geometry_mask(request.bounds.geometry, grid))
    with warm.use() as runtime:
        return runtime.evaluate(stack, time_from=time_from, time_to=time_to), samples


def clip(stack: SampleStack, inside: np.ndarray) -> None:
    """Outside the geometry there is no data: dataMask 0 and every band 0, as on Sentinel Hub."""
    outside = inside == 0
    if not outside.any():
        return
    stack.blank(outside)


def encode_responses(
    responses: tuple[ResponseSpec, ...], result: TileResult, grid: TargetGrid, synthetic: bool
) -> list[tuple[str, bytes]]:
    """(member name, bytes) per response, named as sentinelhub-py expects them in a tar."""
    metadata = TiffMetadata(
        items={
            "TIFFTAG_SOFTWARE": "Tilewise engine (Process API)",
            "TIFFTAG_DATETIME": datetime.now(timezone.utc).strftime("%Y:%m:%d %H:%M:%S"),
        },
        synthetic=synthetic,
    )
    members = []
    with tempfile.TemporaryDirectory(prefix="tilewise-preview-") as scratch:
        for index, response in enumerate(responses):
            # a fixed scratch name (nothing the request says becomes a local path); the tar member keeps
            # the identifier, which sentinelhub-py decodes by
            path = Path(scratch) / f"response-{index}.{response.extension}"
            if response.identifier == USERDATA:
                _write_json(path, result.userdata, synthetic)
            else:
                raster = result.outputs[response.identifier]
                check_image(response, raster.sample_type, raster.data.shape[0])
                if response.format == TIFF:
                    _write_tiff(path, raster.data, raster.sample_type, raster.nodata_value, grid, metadata)
                else:
                    _write_picture(path, raster.data, response.format)
            members.append((f"{response.identifier}.{response.extension}", path.read_bytes()))
    return members


def _write_json(path: Path, userdata: Any, synthetic: bool) -> None:
    try:
        write_userdata(path, userdata, synthetic)
    except (TypeError, ValueError) as exc:
        raise bad_request(
            f"outputMetadata.userData cannot be written as JSON ({exc}): keep it to objects, arrays, strings and "
            "finite numbers (no NaN or Infinity).",
            "evalscript",
        ) from None


def _write_tiff(
    path: Path,
    data: np.ndarray,
    sample_type: str,
    nodata: Optional[float],
    grid: TargetGrid,
    metadata: TiffMetadata,
) -> None:
    placement = RasterPlacement(grid.epsg, grid.bounds[0], grid.bounds[3], *grid.resolution)
    write_geotiff(path, data, sample_type, nodata, placement, metadata, PLAIN_TIFF)


def _write_picture(path: Path, data: np.ndarray, media_type: str) -> None:
    """PNG or JPEG, without georeferencing (as Sentinel Hub's)."""
    bands, height, width = data.shape
    memory = gdal.GetDriverByName("MEM").Create(
        "", width, height, bands, gdal.GDT_UInt16 if data.dtype == np.uint16 else gdal.GDT_Byte
    )
    for index in range(bands):
        memory.GetRasterBand(index + 1).WriteArray(data[index])
    driver, options = ("PNG", ["ZLEVEL=6"]) if media_type == PNG else ("JPEG", ["QUALITY=90"])
    gdal.GetDriverByName(driver).CreateCopy(str(path), memory, strict=1, options=options)
    memory = None


def tar_archive(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(content), now, 0o644
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
