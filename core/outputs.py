"""A finished job's outputs: which GeoTIFFs it delivered, how GDAL reaches them, what they hold, and copies
in a local folder (Qt-free; GDAL via osgeo). Mosaics of them are in core/mosaics.py.

Everything here may run off the main thread (a QgsTask): listing, describing (parallel GDAL reads of each
file's header and of a sample of its blocks) and downloading. `ui/output_layers.py` then
turns the results into layers on the main thread without reading any pixel.

Problems with single files (a deleted object, an unreadable file) do not stop the rest: every function
returns a `Results` list that carries one message per file it had to leave out in `problems`. Errors that
concern everything (refused credentials, a missing bucket) are raised as `StorageError`.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence
from urllib.parse import urlsplit

from .http import Cancel
from .jobs import BatchJob, Tile
from .output_paths import OutputLocation, fill_template, output_template
from .s3 import ObjectNotFound, S3Access, StorageError, apply_gdal_options, gdal_path, split_s3_url
from .statuses import V2
from .storage import download as download_object
from .storage import exists, job_outputs
from .tile_status import FINISHED

RASTER_EXTENSIONS = (".tif", ".tiff")
DESCRIBE_WORKERS = 8  # parallel GDAL readers: each mostly waits on the network
DOWNLOAD_WORKERS = 4
INDEX_RANGE = (-1.0001, 1.0001)  # values within it, in a float band: a normalised index (NDVI, NDWI...)


class Results(list):
    """A list (of outputs, mosaics, paths or layers) with what had to be left out: `problems`, one message per
    file, each naming the tile, the output and the URL; `cancelled` when the work stopped early."""

    def __init__(self, items: Iterable = (), problems: Iterable[str] = (), cancelled: bool = False):
        super().__init__(items)
        self.problems: list[str] = list(problems)
        self.cancelled = cancelled


@dataclass(frozen=True)
class RasterInfo:
    """What a raster holds, read from its header and a sample of its blocks (never the whole file)."""

    width: int
    height: int
    bands: int
    data_type: str  # GDAL's name: Byte, UInt16, Int16, Float32...
    epsg: Optional[int]
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy in the raster's CRS
    nodata: Optional[float] = None
    # Approximate (min, max) of the bands the style needs (band 1, or bands 1-3 of a multi-byte image);
    # None for a band with no valid pixel in the sample (or not sampled).
    ranges: tuple[Optional[tuple[float, float]], ...] = ()
    alpha_band: Optional[int] = None  # 4 when an 8-bit image's 4th band holds only 0 and 255


@dataclass(frozen=True)
class OutputFile:
    """One delivered GeoTIFF: a tile's output."""

    tile_name: str
    output_id: str
    url: str  # s3://bucket/key or file:///path
    epsg: Optional[int] = None  # when known (from the tile), else read from the file by describe_outputs
    size: Optional[int] = None  # bytes, from the listing
    raster: Optional[RasterInfo] = field(default=None, compare=False, repr=False)  # from describe_outputs


@dataclass(frozen=True)
class LayerStyle:
    """How an output looks by default (ui/output_layers.py makes it a QGIS renderer)."""

    kind: str  # "rgb" (bands 1-3) or "pseudocolor" (band 1)
    ramp: str = ""  # pseudocolor: "RdYlGn" for a normalised index, "Viridis" otherwise
    minimum: float = 0.0  # pseudocolor: the stretch
    maximum: float = 1.0
    # rgb: a (min, max) stretch per band; None for 8-bit bands shown as they are
    band_ranges: Optional[tuple[tuple[float, float], ...]] = None
    alpha_band: Optional[int] = None


# --- listing ---------------------------------------------------------------------------------------------


def raster_output_ids(job: BatchJob) -> list[str]:
    """The job's GeoTIFF responses (`userdata` and other JSON responses left out), in request order."""
    return job.request.raster_output_ids if job.request is not None else []


def list_outputs(access: S3Access | None, job: BatchJob, tiles: Sequence[Tile] = ()) -> Results:
    """The job's delivered GeoTIFFs (sorted by output, then tile), with the tiles' EPSG codes when `tiles` are
    given. `problems` names every finished tile (PROCESSED, DONE) whose output is not there (deleted?).
    Raises StorageError when the location cannot be listed at all."""
    stored = job_outputs(access or S3Access(), job)
    template = output_template(job.output_url) if job.output_url else ""
    by_name = {t.name: t for t in tiles}
    # v1 tile ids are the ones in <tileId>; v2 features (from the manifest) are numbered by the plugin
    by_id = {t.id: t for t in tiles} if job.api_version != V2 else {}
    expected = raster_output_ids(job)
    only = expected[0] if len(expected) == 1 else None
    found: list[OutputFile] = []
    for item in stored:
        if not item.url.lower().endswith(RASTER_EXTENSIONS):
            continue
        tile = by_name.get(item.tile_name or "") or (
            by_id.get(item.tile_id) if item.tile_id is not None else None
        )
        name = item.tile_name or (tile.name if tile else None)
        if name is None:
            name = str(item.tile_id) if item.tile_id is not None else _stem(item.url)
        output_id = item.output_id or only or "default"
        found.append(OutputFile(name, output_id, item.url, tile.epsg if tile else None, item.size))
    found.sort(key=lambda o: (o.output_id, o.tile_name, o.url))

    problems = []
    have = {(o.tile_name, o.output_id) for o in found}
    matchable = "<tileName>" in template or (bool(by_id) and "<tileId>" in template)
    for tile in tiles if matchable else ():
        if tile.status not in FINISHED:
            continue
        for output_id in expected:
            if (tile.name, output_id) not in have:
                where = _expected_url(job, tile, output_id)
                problems.append(
                    f"Tile {tile.name}: its {output_id} output is missing"
                    + (f" ({where})" if where else "")
                    + " although the tile finished: it was deleted or moved, or the job's output location "
                    "is not the one it wrote to. The other outputs open without it."
                )
    return Results(found, problems)


def _stem(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _expected_url(job: BatchJob, tile: Tile, output_id: str) -> Optional[str]:
    if not job.output_url:
        return None
    template = output_template(job.output_url)
    if job.api_version == V2 and "<tileId>" in template:
        return None
    return fill_template(template, OutputLocation(job.id, tile.name, tile.id, output_id, "tif"))


# --- GDAL ------------------------------------------------------------------------------------------------


def gdal_source(access: S3Access | None, url: str) -> str:
    """What GDAL (and a QGIS raster layer) opens for `url`: `/vsis3/bucket/key` with the bucket's options set
    for `access` (path-specific, so other buckets keep theirs), or the local path of a file:// URL."""
    if urlsplit(url).scheme.lower() == "s3":
        bucket, _ = split_s3_url(url)
        apply_gdal_options(access or S3Access(), bucket)
    return gdal_path(url)


class QuietGdal:
    """GDAL errors as return values, whatever gdal.UseExceptions() says, and no .aux.xml written or looked
    for next to the outputs (thread-local: other threads keep their settings)."""

    def __enter__(self):
        from osgeo import gdal

        gdal.PushErrorHandler("CPLQuietErrorHandler")
        gdal.ErrorReset()
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO")
        return self

    def __exit__(self, *exc):
        from osgeo import gdal

        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)
        gdal.PopErrorHandler()

    @staticmethod
    def last() -> str:
        from osgeo import gdal

        return (gdal.GetLastErrorMsg() or "").strip()


def gdal_call(function, *args, **kwargs):
    """function(*args), or None when GDAL fails (as an exception or as a None result)."""
    try:
        return function(*args, **kwargs)
    except RuntimeError:
        return None


def epsg_of(dataset) -> Optional[int]:
    srs = dataset.GetSpatialRef()
    if srs is None:
        return None
    srs.AutoIdentifyEPSG()
    code = srs.GetAuthorityCode(None)
    return int(code) if code and code.isdigit() else None


def describe_dataset(dataset) -> RasterInfo:
    """RasterInfo of an open GDAL dataset: its header, approximate ranges (overviews or a sample of blocks, as
    GDAL's approximate statistics read them) and the alpha test on a sample of band 4."""
    from osgeo import gdal

    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    width, height, count = dataset.RasterXSize, dataset.RasterYSize, dataset.RasterCount
    xs, ys = (x0, x0 + dx * width), (y0, y0 + dy * height)
    first = dataset.GetRasterBand(1)
    data_type = gdal.GetDataTypeName(first.DataType)
    nodata = first.GetNoDataValue()
    byte = data_type == "Byte"
    sampled = [1] if count < 3 else ([] if byte else [1, 2, 3])
    ranges: list[Optional[tuple[float, float]]] = []
    for index in range(1, (1 if count < 3 else 3) + 1):
        if index not in sampled:
            ranges.append(None)
            continue
        band = dataset.GetRasterBand(index)
        found = gdal_call(band.ComputeRasterMinMax, True, True)
        if found is None or not all(map(math.isfinite, found)):  # no valid pixel in the sample: read it all
            found = gdal_call(band.ComputeRasterMinMax, False, True)
        ranges.append(
            (float(found[0]), float(found[1])) if found and all(map(math.isfinite, found)) else None
        )
    alpha = None
    if count == 4 and byte:
        counts = gdal_call(dataset.GetRasterBand(4).GetHistogram, -0.5, 255.5, 256, 0, 1)
        if counts and counts[255] > 0 and not any(counts[1:255]):
            alpha = 4
    return RasterInfo(
        width=width,
        height=height,
        bands=count,
        data_type=data_type,
        epsg=epsg_of(dataset),
        bounds=(min(xs), min(ys), max(xs), max(ys)),
        nodata=float(nodata) if nodata is not None else None,
        ranges=tuple(ranges),
        alpha_band=alpha,
    )


def describe_raster(source: str) -> RasterInfo:
    """RasterInfo of the file GDAL opens at `source` (see describe_dataset); StorageError when it cannot."""
    from osgeo import gdal

    with QuietGdal() as errors:
        dataset = gdal_call(gdal.Open, source)
        if dataset is None:
            raise StorageError(errors.last() or "GDAL cannot open it")
        try:
            return describe_dataset(dataset)
        finally:
            dataset = None


def _run_bounded(
    items: Sequence,
    function: Callable,
    workers: int,
    stop: Callable[[], bool],
    on_done: Callable,
    name: str,
) -> bool:
    """function(item) for each item on `workers` threads, at most `workers` in flight, a new one started only
    while stop() is false (so stopping takes effect between items: those running finish). on_done(item,
    future) runs on the calling thread as each ends. True when every item ran."""
    queue = iter(items)
    started = 0
    with ThreadPoolExecutor(max(1, min(workers, len(items))), thread_name_prefix=name) as pool:
        pending: dict = {}

        def fill() -> None:
            nonlocal started
            while len(pending) < workers and not stop():
                item = next(queue, _END)
                if item is _END:
                    return
                pending[pool.submit(function, item)] = item
                started += 1

        fill()
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(pending.pop(future), future)
            fill()
    return started == len(items)


_END = object()


def describe_outputs(
    outputs: Sequence[OutputFile],
    access: S3Access | None,
    *,
    workers: int = DESCRIBE_WORKERS,
    cancel: Optional[Cancel] = None,
) -> Results:
    """The outputs with `raster` (and `epsg`, when it was unknown) read from each file, several files at a time;
    an output that cannot be read is left out with a message in `problems` saying why (a deleted object is
    named as such). Outputs already described are kept as they are."""
    todo = [o for o in outputs if o.raster is None]
    sources = {o.url: gdal_source(access, o.url) for o in todo}  # options set once, on this thread

    def one(output: OutputFile):
        try:
            return describe_raster(sources[output.url])
        except StorageError as exc:
            return exc
        except Exception as exc:  # GDAL failing on a damaged file: that file's problem, not everyone's
            return StorageError(f"{exc.__class__.__name__}: {exc}")

    described: dict[str, object] = {}
    cancelled = False
    if todo:
        finished = _run_bounded(
            todo,
            one,
            workers,
            lambda: cancel is not None and cancel.is_set,
            lambda output, future: described.__setitem__(output.url, future.result()),
            "tilewise-describe",
        )
        cancelled = not finished
    results, problems = [], []
    for output in outputs:
        if output.raster is not None:
            results.append(output)
            continue
        info = described.get(output.url)
        if info is None:
            continue  # cancelled before it was read
        if isinstance(info, StorageError):
            problems.append(unreadable_message(access, output, str(info)))
            continue
        results.append(replace(output, raster=info, epsg=output.epsg or info.epsg))
    return Results(results, problems, cancelled)


def prepare_outputs(
    access: S3Access | None, job: BatchJob, tiles: Sequence[Tile] = (), cancel: Optional[Cancel] = None
) -> Results:
    """list_outputs then describe_outputs, for a task to run before ui.output_layers.add_output_layers: the
    layers then open without reading a pixel on the main thread. `problems` holds both steps' messages."""
    listed = list_outputs(access, job, tiles)
    described = describe_outputs(listed, access, cancel=cancel)
    return Results(described, listed.problems + described.problems, described.cancelled)


def unreadable_message(access: S3Access | None, output: OutputFile, detail: str = "") -> str:
    """Why `output` cannot be opened, in words: a deleted object is named as such (one request to tell)."""
    try:
        gone = not exists(access or S3Access(), output.url)
    except StorageError as exc:
        return f"Tile {output.tile_name}, output {output.output_id}: cannot read {output.url}: {exc}"
    if gone:
        return (
            f"Tile {output.tile_name}, output {output.output_id}: {output.url} is not there any more (deleted "
            "from the bucket or folder after the job delivered it). The other outputs open without it."
        )
    scrubbed = (access.scrub(detail) if access else detail).strip()
    return (
        f"Tile {output.tile_name}, output {output.output_id}: GDAL cannot read {output.url}"
        + (f" ({scrubbed})" if scrubbed else "")
        + ": the file may be damaged or not a GeoTIFF."
    )


# --- styles ----------------------------------------------------------------------------------------------


def merged_ranges(infos: Iterable[RasterInfo]) -> tuple[Optional[tuple[float, float]], ...]:
    """The union of several rasters' ranges, band by band (one stretch for all tiles of an output, so that a
    value has the same colour on every tile)."""
    merged: list[Optional[tuple[float, float]]] = []
    for info in infos:
        for index, found in enumerate(info.ranges):
            if index >= len(merged):
                merged.append(found)
            elif found is not None:
                low, high = merged[index] or found
                merged[index] = (min(low, found[0]), max(high, found[1]))
    return tuple(merged)


def style_for(
    info: RasterInfo, ranges: Optional[Sequence[Optional[tuple[float, float]]]] = None
) -> LayerStyle:
    """The default look of a raster: 8-bit with 3+ bands as RGB (a 0/255 4th band as alpha); other multi-band
    images as RGB stretched band by band; everything else band 1 as a pseudocolour stretched over its range
    (`ranges`, or the raster's own): RdYlGn for a float index within -1..1, Viridis otherwise."""
    ranges = tuple(ranges if ranges is not None else info.ranges)
    if info.bands >= 3:
        if info.data_type == "Byte":
            return LayerStyle("rgb", alpha_band=info.alpha_band)
        stretch = tuple(_spread(ranges[i] if i < len(ranges) else None) for i in range(3))
        return LayerStyle("rgb", band_ranges=stretch)
    low, high = _spread(ranges[0] if ranges else None)
    index = info.data_type.startswith("Float") and INDEX_RANGE[0] <= low and high <= INDEX_RANGE[1]
    if ranges and ranges[0] is None and info.data_type.startswith("Float"):  # nothing valid: assume an index
        low, high, index = -1.0, 1.0, True
    return LayerStyle("pseudocolor", "RdYlGn" if index else "Viridis", low, high)


def _spread(found: Optional[tuple[float, float]]) -> tuple[float, float]:
    if found is None:
        return 0.0, 1.0
    low, high = found
    if not high > low:  # a constant band: centre a unit range on it
        return low - 0.5, high + 0.5
    return low, high


# --- mosaics ---------------------------------------------------------------------------------------------


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "output"


def local_target(folder: Path, output: OutputFile) -> Path:
    """Where download() puts an output: `<folder>/<tile name>/<output id>.<extension>`."""
    extension = (
        "." + output.url.rsplit(".", 1)[-1].lower() if "." in output.url.rsplit("/", 1)[-1] else ".tif"
    )
    return Path(folder) / safe_name(output.tile_name) / f"{safe_name(output.output_id)}{extension}"


def download(
    outputs: Sequence[OutputFile],
    folder: Path,
    access: S3Access | None,
    progress: Callable[[float], None],
    cancel: Cancel,
    *,
    workers: int = DOWNLOAD_WORKERS,
) -> Results:
    """Copy the outputs to `<folder>/<tile>/<output>.tif` (a few at a time), skipping files already there whole
    (same size as the object; a copy appears whole or not at all), so a second run resumes. `progress(0..100)`
    by bytes (by files when sizes are unknown), on the calling thread. `cancel` stops between files: files in
    flight finish, the rest wait for the next run (`cancelled` is set). A missing object is a problem and the
    others still come; any other storage error (refused credentials...) is raised."""
    folder = Path(folder)
    planned = [(o, local_target(folder, o)) for o in outputs]
    by_size = all(o.size is not None for o in outputs)
    weights = {o.url: float(o.size) if by_size else 1.0 for o in outputs}
    total = sum(weights.values()) or 1.0
    done_weight = 0.0
    paths: list[Path] = []
    problems: list[str] = []
    todo = []
    for output, target in planned:
        _remove_stale_partials(target)
        if target.is_file() and (output.size is None or target.stat().st_size == output.size):
            paths.append(target)
            done_weight += weights[output.url]
        else:
            todo.append((output, target))
    progress(100.0 * done_weight / total)
    failures: list[StorageError] = []

    def ended(item: tuple[OutputFile, Path], future) -> None:
        nonlocal done_weight
        output, _ = item
        done_weight += weights[output.url]
        try:
            paths.append(future.result())
        except ObjectNotFound:
            problems.append(
                f"Tile {output.tile_name}, output {output.output_id}: {output.url} is not there any more "
                "(deleted after the job delivered it); the other files were downloaded."
            )
        except StorageError as exc:
            failures.append(exc)
        progress(min(100.0, 100.0 * done_weight / total))

    finished = not todo or _run_bounded(
        todo,
        lambda item: download_object(access or S3Access(), item[0].url, item[1]),
        workers,
        lambda: cancel.is_set or bool(failures),
        ended,
        "tilewise-download",
    )
    if failures:
        raise failures[0]
    cancelled = not finished
    order = {t: i for i, (_, t) in enumerate(planned)}
    paths.sort(key=lambda p: order.get(p, len(order)))
    return Results(paths, problems, cancelled)


def _remove_stale_partials(target: Path) -> None:
    """A copy interrupted by a crash leaves `.<name>.<random>.partial` behind: clear it before resuming."""
    if target.parent.is_dir():
        for stale in target.parent.glob(f".{target.name}.*.partial"):
            stale.unlink(missing_ok=True)
