"""The sentinelhub-py batch tutorial, end to end and headless, through the plugin's `core/` (for `make demo`).

    .venv/bin/python scripts/demo.py [--out demo-output] [--engine-url URL]

Against the local Tilewise engine (started here through scripts/engine_service.py on the demo catalog, or the
one that already answers on TILEWISE_PORT, or the one at --engine-url), with core/ only (no widget):

1. a true-colour Process API preview of the tutorial's area (preview-true-colour.tif) and the tutorial's NDVI
   script on its test sub-area (preview-ndvi.tif);
2. the batch job (API v2, tiles delivered to a folder under the engine's output root, grid 1 at 10 m with a
   50 px buffer, Sentinel-2 L1C, July 2023): created, analysed (tile count and PU estimate, the engine's and
   core/costs.py's), started and watched with core.monitor.JobWatcher until it ends;
3. its outputs listed and described (core.outputs.prepare_outputs), copied to <out>/outputs/, and the NDVI
   mosaic built (core.mosaics.build_mosaics) as <out>/mosaics/NDVI_EPSG<code>.vrt;
4. demo-map.png (1600 x 1200) rendered by QGIS without a display: the true-colour preview and the NDVI mosaic
   side by side, with the job's tiles coloured by their final status (core.tile_status.STATUS_STYLES);
5. summary.txt: job id, API version, tiles, PU estimates, statuses, times and the files written.

Exit code 0 only when the job ended DONE and every file exists; otherwise the failure is printed (and put in
summary.txt) and the exit code is 1; whatever was written before stays. An engine this script started is
stopped at the end, whatever happened; one it found running is left running.

The engine's client id and secret are TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET (as for the engine), or
the engine's defaults. TILEWISE_PORT, TILEWISE_DATA_DIR, TILEWISE_DEMO_CATALOG… configure the engine started
here (see scripts/engine_service.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import engine_service  # noqa: E402  (scripts/engine_service.py)

from tilewise.core import submission  # noqa: E402
from tilewise.core.area import AreaOfInterest  # noqa: E402
from tilewise.core.auth import ClientCredentials  # noqa: E402
from tilewise.core.batch_models import TilingGridSpec  # noqa: E402
from tilewise.core.client import BatchClient  # noqa: E402
from tilewise.core.costs import batch_charge  # noqa: E402
from tilewise.core.crs import WGS84  # noqa: E402
from tilewise.core.deployments import custom_deployment  # noqa: E402
from tilewise.core.http import Cancel, ServiceError  # noqa: E402
from tilewise.core.job_form import FormInvalid, JobDraft, check_draft, preview_request  # noqa: E402
from tilewise.core.jobs import BatchJob, Tile  # noqa: E402
from tilewise.core.monitor import JobWatcher, bucket_tiles  # noqa: E402
from tilewise.core.mosaics import build_mosaics  # noqa: E402
from tilewise.core.outputs import download, prepare_outputs  # noqa: E402
from tilewise.core.statuses import V2  # noqa: E402
from tilewise.core.storage import S3Access, StorageError  # noqa: E402
from tilewise.core.tile_status import STATUS_STYLES  # noqa: E402
from tilewise.core.v2_progress import v2_tiles  # noqa: E402
from tilewise.ui.qgis_compat import LABEL_OVER_POINT  # noqa: E402

AREA_FILE = REPO / "resources" / "sample" / "california_crop_fields.geojson"  # the tutorial's SHAPE
EVALSCRIPTS = REPO / "resources" / "evalscripts"
TRUE_COLOUR_SCRIPT = EVALSCRIPTS / "01_true_colour.js"
NDVI_SCRIPT = EVALSCRIPTS / "04_ndvi_interpolation_tutorial.js"  # the tutorial's, as published
TIME_FROM, TIME_TO = date(2023, 7, 1), date(2023, 7, 30)
GRID = TilingGridSpec(id=1, resolution=10.0, buffer_x=50, buffer_y=50)  # the tutorial's grid and buffer
JOB_COLLECTION = "sentinel-2-l1c"  # as the tutorial's batch request
TRUE_COLOUR_COLLECTION = "sentinel-2-l2a"  # as the tutorial's true-colour image
TRUE_COLOUR_RESOLUTION_M = 20.0
NDVI_PREVIEW_RESOLUTION_M = 10.0  # bbox_to_dimensions(test_bbox, 10)
NDVI_OUTPUT = "NDVI"
DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET = "tilewise", "tilewise-local-secret"  # the engine's defaults
MAP_SIZE = (1600, 1200)
ANALYSIS_TIMEOUT_S = 300
JOB_TIMEOUT_S = 1800


class DemoFailed(RuntimeError):
    """A step that failed; the message says which and why."""


def log(message: str) -> None:
    print(message, flush=True)


# --- the engine ------------------------------------------------------------------------------------------


class Engine:
    """The engine the demo talks to: started here (and stopped at the end), found running, or given."""

    def __init__(self, url: Optional[str]):
        self.given_url = url.rstrip("/") if url else None
        self.service: Optional[engine_service.Service] = None
        self.owner = f"demo-{os.getpid()}"
        self.outcome = "given"  # given, started, reused

    @property
    def url(self) -> str:
        return self.given_url or self.service.url

    def __enter__(self) -> Engine:
        if self.given_url:
            return self
        try:
            self.service = engine_service.service_from_env()
            self.outcome = engine_service.start(self.service, wait=True, timeout=120, owner=self.owner)
        except engine_service.ServiceError as exc:
            tail = engine_service.log_tail(self.service) if self.service else ""
            raise DemoFailed(f"the engine could not be started: {exc}\n{tail}") from None
        what = "started" if self.outcome == "started" else "reusing the engine that answers"
        log(f"engine: {what} on {self.url} (log: {self.service.log_path})")
        return self

    def __exit__(self, *exc) -> None:
        if self.service is not None and self.outcome == "started":
            engine_service.stop(self.service, self.owner)
            log("engine: stopped")

    def credentials(self) -> ClientCredentials:
        env = self.service.env if self.service is not None else os.environ
        return ClientCredentials(
            env.get("TILEWISE_CLIENT_ID") or DEFAULT_CLIENT_ID,
            env.get("TILEWISE_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET,
        )


# --- the demo --------------------------------------------------------------------------------------------


class Demo:
    def __init__(self, out: Path, engine: Engine):
        self.out = out
        self.engine = engine
        self.started = time.monotonic()
        self.summary: dict[str, object] = {}
        self.files: dict[str, Path] = {}
        self.job: Optional[BatchJob] = None
        self.tiles: list[Tile] = []
        self.scratch = Path(tempfile.mkdtemp(prefix="tilewise-demo-"))
        self.client: Optional[BatchClient] = None

    # --- plumbing

    def step(self, name: str, function: Callable[[], None]) -> None:
        log(f"\n== {name}")
        began = time.monotonic()
        try:
            function()
        except DemoFailed:
            raise
        except FormInvalid as exc:
            raise DemoFailed(f"{name}: the job form refused it: {exc}") from None
        except (ServiceError, StorageError) as exc:
            raise DemoFailed(f"{name}: {exc.__class__.__name__}: {exc}") from None
        except Exception as exc:
            traceback.print_exc()
            raise DemoFailed(f"{name}: {exc.__class__.__name__}: {exc}") from None
        log(f"   ({time.monotonic() - began:.1f} s)")

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def draft(self, script: Path, collection: str, output_url: str = "") -> JobDraft:
        return JobDraft(
            evalscript=script.read_text(),
            time_from=TIME_FROM,
            time_to=TIME_TO,
            grid=GRID,
            output_url=output_url,
            collection=collection,
            description="Tilewise demo: the batch tutorial's NDVI job, July 2023",
        )

    # --- steps

    def connect(self) -> None:
        url = self.engine.url
        deployment = custom_deployment(
            "Tilewise engine (demo)", url, f"{url}/auth/realms/main/protocol/openid-connect/token"
        )
        self.client = BatchClient(deployment, self.engine.credentials(), V2)
        status = self.client.engine_status()
        if not status or not status.get("outputRoot"):
            raise DemoFailed(f"{url} is not a Tilewise engine with a folder output root: {status!r}")
        self.output_root = Path(status["outputRoot"])
        self.workers = status.get("workers")
        self.summary["engine"] = (
            f"{url} (version {status.get('version', '?')}, catalog {status.get('catalog', '?')}, "
            f"{self.workers or '?'} worker(s); {self.engine.outcome})"
        )
        log(f"engine {url}: version {status.get('version', '?')}, catalog {status.get('catalog', '?')}, "
            f"{self.workers or '?'} worker(s), output root {self.output_root}")  # fmt: skip

    def load_area(self) -> None:
        features = json.loads(AREA_FILE.read_text())["features"]
        import shapely.geometry

        shapes = {f["properties"]["name"]: shapely.geometry.shape(f["geometry"]) for f in features}
        self.area = AreaOfInterest.from_wgs84(shapes["Entire area"])
        self.sub_area = AreaOfInterest.from_wgs84(shapes["Test sub-area"])
        log(f"area: {AREA_FILE.relative_to(REPO)}: {self.area.area_km2():.1f} km², test sub-area "
            f"{self.sub_area.area_km2():.1f} km²")  # fmt: skip

    def preview(self, script: Path, collection: str, area: AreaOfInterest, resolution: float,
                output_id: Optional[str], name: str) -> None:  # fmt: skip
        draft = self.draft(script, collection)
        info = check_draft(draft, V2, True, need_output=False)
        bbox = area.bounds
        width, height = pixels(bbox, resolution)
        request = preview_request(draft, info, bbox, None, width, height, output_id)
        began = time.monotonic()
        result = self.client.preview(request)
        path = self.out / name
        path.write_bytes(result.content)
        described = describe_file(path)
        log(f"{name}: {request.width} x {request.height} px, {result.media_type}, {len(result.content):,} bytes, "
            f"{time.monotonic() - began:.1f} s; {described}")  # fmt: skip
        self.files[name] = path

    def previews(self) -> None:
        self.preview(TRUE_COLOUR_SCRIPT, TRUE_COLOUR_COLLECTION, self.area, TRUE_COLOUR_RESOLUTION_M, None,
                     "preview-true-colour.tif")  # fmt: skip
        self.preview(NDVI_SCRIPT, JOB_COLLECTION, self.sub_area, NDVI_PREVIEW_RESOLUTION_M, NDVI_OUTPUT,
                     "preview-ndvi.tif")  # fmt: skip

    def create_and_analyse(self) -> None:
        folder = self.output_root / "demo"
        draft = self.draft(NDVI_SCRIPT, JOB_COLLECTION, folder.as_uri())
        prepared = submission.prepare(draft, [self.area.geometry], WGS84, V2, True)
        selection, ours = prepared.selection, prepared.estimate
        self.selection = selection
        log(f"our tiles: {len(selection.tiles)} of grid {GRID.id} at {GRID.resolution:g} m, buffer "
            f"{GRID.buffer_x} px: {', '.join(t.name for t in selection.tiles)}")  # fmt: skip
        log(f"our estimate (core/costs.py): {ours.value_estimate:,.1f} PU as an analysis reports it "
            f"({ours.samples} samples/pixel, B = {ours.band_factor:.2f}, F = {ours.output_factor:g}); "
            f"expected charge {ours.expected_charge:,.1f} PU")  # fmt: skip
        job = submission.create(self.client, prepared)
        log(f"created: job {job.id} ({job.status}), tiles to {job.output_url}/<requestId>/…")
        self.job = job
        self.summary.update(job_id=job.id, api=f"v{job.api_version}", output_url=job.output_url or "")
        try:
            job = submission.analyse(self.client, job, timeout_s=ANALYSIS_TIMEOUT_S, poll_s=0.5)
        except TimeoutError as exc:
            raise DemoFailed(f"the analysis did not end: {exc}") from None
        self.job = job
        try:
            submission.estimate(job, prepared, self.client.deployment.name)
        except submission.AnalysisFailed as exc:
            raise DemoFailed(str(exc)) from None
        service = job.value_estimate
        log(f"analysed: {job.tile_count} tiles; the engine's estimate "
            + (f"{service:,.1f} PU (expected charge {batch_charge(service).expected:,.1f} PU)" if service is not None
               else "(none)"))  # fmt: skip
        self.summary.update(
            tiles=job.tile_count,
            our_tiles=len(selection.tiles),
            service_estimate=service,
            service_charge=batch_charge(service).expected if service is not None else None,
            our_estimate=ours.value_estimate,
            our_charge=ours.expected_charge,
        )
        if job.tile_count != len(selection.tiles):
            log(f"   note: the engine counts {job.tile_count} tiles, core/grids.py {len(selection.tiles)}")

    def run_job(self) -> None:
        job = self.job
        watcher = JobWatcher(self.client, job.id, bucket_tiles(S3Access(), self.scratch), 1.0, 5.0)
        self.client.start(job.id)
        began = time.monotonic()
        log(f"started job {job.id}")
        last_line = ""
        while True:
            update = watcher.poll()
            job = update.job
            counts = Counter(t.status for t in watcher.tiles.values())
            line = f"{job.status} {job.completion or 0:.0f}% " + ", ".join(
                f"{status} {counts[status]}" for status in sorted(counts)
            )
            if line != last_line:
                log(f"[{time.monotonic() - began:6.1f} s] {line}")
                last_line = line
            if job.is_terminal:
                break
            if time.monotonic() - began > JOB_TIMEOUT_S:
                raise DemoFailed(f"job {job.id} is still {job.status} after {JOB_TIMEOUT_S} s")
            time.sleep(watcher.interval_s)
        wall = time.monotonic() - began
        self.job = job
        self.tiles = self.final_tiles(job)
        counts = Counter(t.status for t in self.tiles)
        tiles = job.tile_count or len(self.tiles) or 1
        self.summary.update(
            status=job.status,
            job_error=job.error or "",
            status_counts=dict(sorted(counts.items())),
            processing_s=wall,
            per_tile_s=wall / tiles,
            cost_pu=job.cost_pu,
            watcher_requests=watcher.requests,
        )
        log(f"job {job.id} ended {job.status} after {wall:.1f} s: {wall / tiles:.1f} s per tile "
            f"({tiles} tiles, {self.workers or '?'} worker(s)), {job.cost_pu or 0:,.1f} PU processed"
            + (f"; error: {job.error}" if job.error else ""))  # fmt: skip
        if job.status != "DONE":
            raise DemoFailed(f"job {job.id} ended {job.status}: {job.error or 'no reason given'}")
        if counts.get("DONE", 0) != len(self.tiles):
            log(f"   note: not every tile is DONE: {dict(counts)}")

    def final_tiles(self, job: BatchJob) -> list[Tile]:
        """The features' final statuses: the execution database is written once more when the job ends."""
        deadline = time.monotonic() + 30
        while True:
            tiles = v2_tiles(S3Access(), job, self.scratch)
            if all(t.status != "PENDING" for t in tiles) or time.monotonic() > deadline:
                return tiles
            time.sleep(1)

    def outputs(self) -> None:
        job = self.job
        described = prepare_outputs(S3Access(), job, self.tiles)
        for problem in described.problems:
            log(f"   problem: {problem}")
        if not described:
            raise DemoFailed(f"job {job.id} delivered no output under {job.output_url}")
        for output in described:
            raster = output.raster
            ranges = ", ".join(f"{r[0]:g}..{r[1]:g}" if r else "-" for r in raster.ranges)
            log(f"{output.tile_name:<12} {output.output_id:<10} {raster.width} x {raster.height} px, "
                f"{raster.bands} band(s) {raster.data_type}, EPSG:{raster.epsg}, range {ranges}")  # fmt: skip
        copies = download(described, self.out / "outputs", S3Access(), lambda _p: None, Cancel())
        if copies.problems:
            raise DemoFailed("outputs could not be copied: " + " ".join(copies.problems))
        log(f"copied {len(copies)} files to {self.out / 'outputs'}")
        # The mosaics read the copies, so that demo-output/ stands on its own.
        local = [replace(o, url=path.resolve().as_uri()) for o, path in zip(described, copies)]
        ndvi = [o for o in local if o.output_id == NDVI_OUTPUT]
        zones = Counter(o.epsg for o in ndvi)
        target = zones.most_common(1)[0][0] if len(zones) > 1 else None
        mosaics = build_mosaics(ndvi, self.out / "mosaics", None, target)
        for problem in mosaics.problems:
            log(f"   problem: {problem}")
        if not mosaics:
            raise DemoFailed("the NDVI mosaic could not be built: " + " ".join(mosaics.problems))
        self.mosaic = mosaics[0]
        self.files["mosaic"] = self.mosaic.path
        info = self.mosaic.raster
        log(f"NDVI mosaic: {self.mosaic.path} ({info.width} x {info.height} px, {info.bands} bands, "
            f"EPSG:{self.mosaic.epsg}, {len(self.mosaic.tiles)} tiles)")  # fmt: skip
        sizes = sum(o.size or 0 for o in described)
        self.summary.update(outputs=len(described), output_bytes=sizes, outputs_folder=self.out / "outputs")

    def map(self) -> None:
        path = self.out / "demo-map.png"
        render_map(
            path,
            self.files["preview-true-colour.tif"],
            self.mosaic.path,
            self.tiles,
            self.area,
            f"Tilewise demo: job {self.job.id}, {self.job.status}, {len(self.tiles)} tiles of grid {GRID.id} "
            f"(Sentinel-2 L1C, {TIME_FROM:%d}–{TIME_TO:%d %B %Y})",
        )
        self.files["demo-map.png"] = path
        log(f"map: {path}")

    # --- the summary

    def write_summary(self, failure: str = "") -> Path:
        s = self.summary

        def pu(value) -> str:
            return f"{value:,.1f} PU" if isinstance(value, (int, float)) else "-"

        lines = [
            "Tilewise demo: the sentinelhub-py batch tutorial through the plugin's core/",
            f"result: {'FAILED: ' + failure if failure else 'OK'}",
            f"engine: {s.get('engine', '-')}",
            f"job id: {s.get('job_id', '-')}",
            f"API version: {s.get('api', '-')}",
            f"output location: {s.get('output_url', '-')}",
            f"tile count: {s.get('tiles', '-')} (core/grids.py: {s.get('our_tiles', '-')}; grid {GRID.id}, "
            f"{GRID.resolution:g} m, buffer {GRID.buffer_x} px)",
            f"PU estimate (service): {pu(s.get('service_estimate'))}; expected charge "
            f"{pu(s.get('service_charge'))}",
            f"PU estimate (ours, core/costs.py): {pu(s.get('our_estimate'))}; expected charge "
            f"{pu(s.get('our_charge'))}",
            f"job status: {s.get('status', '-')}" + (f" ({s['job_error']})" if s.get("job_error") else ""),
            "tile statuses: "
            + (", ".join(f"{k} {v}" for k, v in s["status_counts"].items()) if "status_counts" in s else "-"),
            f"processing wall time: {_seconds(s.get('processing_s'))}; per tile {_seconds(s.get('per_tile_s'))} "
            f"(wall time / tiles, {getattr(self, 'workers', None) or '?'} engine worker(s))",
            f"PU processed: {pu(s.get('cost_pu'))}",
            f"outputs: {s.get('outputs', '-')} files, {s.get('output_bytes', 0) / 1e6:.1f} MB, copied to "
            f"{s.get('outputs_folder', '-')}",
            f"total wall time: {self.elapsed():.1f} s",
            "files:",
        ]
        for name, path in self.files.items():
            lines.append(f"  {name}: {path}" + ("" if path.exists() else " (MISSING)"))
        path = self.out / "summary.txt"
        path.write_text("\n".join(lines) + "\n")
        self.files.setdefault("summary.txt", path)
        return path


def _seconds(value) -> str:
    return f"{value:.1f} s" if isinstance(value, (int, float)) else "-"


def pixels(bbox: tuple[float, float, float, float], resolution: float) -> tuple[int, int]:
    """A lon/lat box's size in pixels of about `resolution` metres (as sentinelhub's bbox_to_dimensions)."""
    west, south, east, north = bbox
    metres_per_degree = 111_320.0
    mid = math.radians((south + north) / 2)
    width = (east - west) * metres_per_degree * math.cos(mid) / resolution
    height = (north - south) * metres_per_degree / resolution
    return max(1, round(width)), max(1, round(height))


def describe_file(path: Path) -> str:
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    if dataset is None:
        raise DemoFailed(f"{path.name} is not a raster GDAL can read")
    band = dataset.GetRasterBand(1)
    return (f"{dataset.RasterXSize} x {dataset.RasterYSize} px, {dataset.RasterCount} band(s) "
            f"{gdal.GetDataTypeName(band.DataType)}")  # fmt: skip


# --- the map ---------------------------------------------------------------------------------------------


def ndvi_stretch(path: Path) -> tuple[float, float]:
    """The 2–98 % range of band 1 of the mosaic (0 is no data in the tutorial's UInt16 NDVI)."""
    import numpy
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    scale = max(1, max(dataset.RasterXSize, dataset.RasterYSize) // 1000)
    values = dataset.GetRasterBand(1).ReadAsArray(
        buf_xsize=dataset.RasterXSize // scale, buf_ysize=dataset.RasterYSize // scale
    )
    valid = values[values > 0]
    if valid.size == 0:
        raise DemoFailed(f"the NDVI mosaic {path} has no valid pixel")
    low, high = numpy.percentile(valid, [2, 98])
    return float(low), float(max(high, low + 1))


def render_map(
    path: Path,
    true_colour: Path,
    mosaic: Path,
    tiles: list[Tile],
    area: AreaOfInterest,
    title: str,
) -> None:
    """Two maps side by side (the true-colour preview; the NDVI mosaic), the job's tiles on both."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsColorRampShader,
        QgsContrastEnhancement,
        QgsCoordinateReferenceSystem,
        QgsFeature,
        QgsFillSymbol,
        QgsGeometry,
        QgsMapRendererCustomPainterJob,
        QgsMapSettings,
        QgsMultiBandColorRenderer,
        QgsPalLayerSettings,
        QgsRasterLayer,
        QgsRasterRange,
        QgsRasterShader,
        QgsRectangle,
        QgsRendererCategory,
        QgsSingleBandPseudoColorRenderer,
        QgsStyle,
        QgsTextFormat,
        QgsVectorLayer,
        QgsVectorLayerSimpleLabeling,
    )
    from qgis.PyQt.QtCore import QPointF, QRectF, QSize, Qt
    from qgis.PyQt.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPen

    from tilewise.core.crs import transform_geometry

    epsgs = Counter(t.epsg for t in tiles if t.epsg)
    if not epsgs:
        raise DemoFailed("the job's tiles have no CRS: nothing to draw them in")
    epsg = epsgs.most_common(1)[0][0]
    crs = QgsCoordinateReferenceSystem(f"EPSG:{epsg}")

    # The tiles, in the map's CRS, by status: a layer of fills (under the preview) and one of outlines (over
    # it), so that the preview stays visible inside the tiles.
    import shapely.geometry

    shapes = []
    for tile in tiles:
        if not tile.footprint:
            continue
        shape = shapely.geometry.shape(tile.footprint)
        if tile.epsg and tile.epsg != epsg:
            shape = transform_geometry(shape, f"EPSG:{tile.epsg}", f"EPSG:{epsg}")
        shapes.append((tile, shape))
    if not shapes:
        raise DemoFailed("no tile footprint to draw")

    def tile_layer(filled: bool) -> QgsVectorLayer:
        layer = QgsVectorLayer(
            f"Polygon?crs=EPSG:{epsg}&field=name:string&field=status:string", "tiles", "memory"
        )
        features = []
        for tile, shape in shapes:
            feature = QgsFeature(layer.fields())
            feature.setGeometry(QgsGeometry.fromWkt(shape.wkt))
            feature.setAttributes([tile.name, tile.status])
            features.append(feature)
        layer.dataProvider().addFeatures(features)
        layer.updateExtents()
        categories = []
        for style in STATUS_STYLES:
            symbol = QgsFillSymbol.createSimple(
                {
                    "color": style.fill if filled else "0,0,0,0",
                    "outline_color": "0,0,0,0" if filled else style.outline,
                    "outline_width": "1.0",
                }
            )
            categories.append(QgsRendererCategory(style.status, symbol, style.label))
        layer.setRenderer(QgsCategorizedSymbolRenderer("status", categories))
        return layer

    fills, outlines = tile_layer(filled=True), tile_layer(filled=False)

    labels = QgsPalLayerSettings()
    labels.fieldName = "name"
    text = QgsTextFormat()
    text.setFont(QFont("DejaVu Sans", 9))
    text.setSize(9)
    text.buffer().setEnabled(True)
    text.buffer().setSize(1)
    labels.setFormat(text)
    labels.placement = LABEL_OVER_POINT

    area_layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "area", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromWkt(area.normalized().wkt))
    area_layer.dataProvider().addFeatures([feature])
    area_layer.renderer().setSymbol(
        QgsFillSymbol.createSimple(
            {
                "color": "0,0,0,0",
                "outline_color": "0,0,0,255",
                "outline_width": "0.8",
                "outline_style": "dash",
            }
        )
    )

    # The true-colour preview: 8-bit RGB with an alpha band, shown as it is.
    rgb = QgsRasterLayer(str(true_colour), "true colour", "gdal")
    if not rgb.isValid():
        raise DemoFailed(f"QGIS cannot open {true_colour}")
    colour = QgsMultiBandColorRenderer(rgb.dataProvider(), 1, 2, 3)
    for band, setter in ((1, colour.setRedContrastEnhancement), (2, colour.setGreenContrastEnhancement),
                         (3, colour.setBlueContrastEnhancement)):  # fmt: skip
        enhancement = QgsContrastEnhancement(rgb.dataProvider().dataType(band))
        enhancement.setContrastEnhancementAlgorithm(
            QgsContrastEnhancement.ContrastEnhancementAlgorithm.NoEnhancement
        )
        setter(enhancement)
    if rgb.bandCount() >= 4:
        colour.setAlphaBand(4)
    rgb.setRenderer(colour)

    # The NDVI mosaic: band 1 (the tutorial's UInt16 NDVI × 10000 + 10000), RdYlGn over its 2–98 %.
    ndvi = QgsRasterLayer(str(mosaic), "NDVI mosaic", "gdal")
    if not ndvi.isValid():
        raise DemoFailed(f"QGIS cannot open {mosaic}")
    ndvi.dataProvider().setUserNoDataValue(1, [QgsRasterRange(0, 0)])
    low, high = ndvi_stretch(mosaic)
    ramp = QgsStyle.defaultStyle().colorRamp("RdYlGn")
    shader_function = QgsColorRampShader(low, high, ramp, QgsColorRampShader.Type.Interpolated)
    shader_function.classifyColorRamp(11, -1, QgsRectangle(), None)
    shader = QgsRasterShader(low, high)
    shader.setRasterShaderFunction(shader_function)
    ndvi.setRenderer(QgsSingleBandPseudoColorRenderer(ndvi.dataProvider(), 1, shader))

    extent = outlines.extent()
    extent.grow(max(extent.width(), extent.height()) * 0.03)
    width, height = MAP_SIZE
    header, footer, gap = 56, 110, 12
    panel = QSize((width - 3 * gap) // 2, height - header - footer)

    def render(layers: list) -> QImage:
        settings = QgsMapSettings()
        settings.setDestinationCrs(crs)
        settings.setOutputSize(panel)
        settings.setExtent(extent)
        settings.setBackgroundColor(QColor(235, 235, 235))
        settings.setLayers(layers)
        settings.setFlag(QgsMapSettings.Flag.Antialiasing, True)
        image = QImage(panel, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(235, 235, 235))
        painter = QPainter(image)
        job = QgsMapRendererCustomPainterJob(settings, painter)
        job.start()
        job.waitForFinished()
        painter.end()
        errors = job.errors()
        if errors:
            raise DemoFailed("QGIS could not render the map: " + "; ".join(e.message for e in errors))
        return image

    # Panel 1: the true colour over the tiles' status fills, their outlines and names on top; panel 2: the
    # NDVI mosaic (which covers every tile) with the tiles' outlines.
    outlines.setLabeling(QgsVectorLayerSimpleLabeling(labels))
    outlines.setLabelsEnabled(True)
    left = render([outlines, area_layer, rgb, fills])
    outlines.setLabelsEnabled(False)
    right = render([outlines, area_layer, ndvi])

    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(20, 20, 20))
    painter.setFont(QFont("DejaVu Sans", 15, QFont.Weight.Bold))
    painter.drawText(
        QRectF(gap, 6, width - 2 * gap, 28), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title
    )
    painter.setFont(QFont("DejaVu Sans", 11))
    top = header
    for index, (picture, caption) in enumerate(
        (
            (left, "True-colour preview (Process API, Sentinel-2 L2A) and the job's tiles by status"),
            (right, f"NDVI mosaic, band 1 (UInt16 NDVI×10000+10000), RdYlGn {low:.0f}–{high:.0f}"),
        )
    ):
        x = gap + index * (panel.width() + gap)
        painter.drawText(
            QRectF(x, top - 22, panel.width(), 20),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            caption,
        )
        painter.drawImage(QPointF(x, top), picture)
        painter.setPen(QColor(120, 120, 120))
        painter.drawRect(QRectF(x, top, panel.width(), panel.height()))
        painter.setPen(QColor(20, 20, 20))

    # Legend: the statuses present, the area, the NDVI ramp.
    y = top + panel.height() + 16
    x = gap
    present = Counter(t.status for t in tiles)
    for style in STATUS_STYLES:
        if style.status not in present:
            continue
        fill = QColor(*map(int, style.fill.split(",")))
        outline = QColor(*map(int, style.outline.split(",")))
        painter.setPen(outline)
        painter.setBrush(fill)
        painter.drawRect(QRectF(x, y, 28, 18))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QColor(20, 20, 20))
        label = f"{style.label}: {present[style.status]} tile(s)"
        painter.drawText(
            QRectF(x + 36, y - 2, 260, 22), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label
        )
        x += 300
    pen = painter.pen()
    painter.setPen(QPen(QColor(0, 0, 0), 2, Qt.PenStyle.DashLine))
    painter.drawLine(QPointF(x, y + 9), QPointF(x + 28, y + 9))
    painter.setPen(pen)
    painter.drawText(
        QRectF(x + 36, y - 2, 300, 22),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        "the tutorial's area",
    )

    bar = QRectF(gap * 2 + panel.width(), y, panel.width() * 0.6, 18)
    gradient = QLinearGradient(bar.topLeft(), bar.topRight())
    for step in range(11):
        gradient.setColorAt(step / 10, ramp.color(step / 10))
    painter.fillRect(bar, gradient)
    painter.drawRect(bar)
    painter.setFont(QFont("DejaVu Sans", 10))
    for fraction in (0.0, 0.5, 1.0):
        value = low + fraction * (high - low)
        ndvi_value = (value - 10000) / 10000
        painter.drawText(
            QRectF(bar.left() + fraction * bar.width() - 110, bar.bottom() + 4, 220, 20),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            f"{value:.0f} (NDVI {ndvi_value:.2f})",
        )
    painter.setFont(QFont("DejaVu Sans", 9))
    painter.setPen(QColor(90, 90, 90))
    painter.drawText(
        QRectF(gap, height - 26, width - 2 * gap, 20),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        f"EPSG:{epsg}. Synthetic demo data (make demo-data), rendered by QGIS headless (scripts/demo.py).",
    )
    painter.end()
    if not image.save(str(path), "PNG"):
        raise DemoFailed(f"the map could not be saved to {path}")


# --- main ------------------------------------------------------------------------------------------------


def start_qgis():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    return app


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "demo-output", help="output folder (demo-output)")
    parser.add_argument("--engine-url", help="an engine that runs already (none is started or stopped)")
    args = parser.parse_args(argv)
    out = args.out.expanduser().absolute()
    out.mkdir(parents=True, exist_ok=True)
    # A failed run must not leave an earlier run's files looking new.
    for stale in ("summary.txt", "demo-map.png", "preview-true-colour.tif", "preview-ndvi.tif"):
        (out / stale).unlink(missing_ok=True)

    app = start_qgis()  # noqa: F841  (kept alive until the end)
    began = time.monotonic()
    engine = Engine(args.engine_url)
    demo = Demo(out, engine)
    failure = ""
    try:
        with engine:
            demo.step("0a. the tutorial's area", demo.load_area)
            demo.step("0b. connect to the engine", demo.connect)
            demo.step("1. previews (Process API)", demo.previews)
            demo.step("2a. create and analyse the batch job", demo.create_and_analyse)
            demo.step("2b. start and monitor the job", demo.run_job)
            demo.step("3. outputs and NDVI mosaic", demo.outputs)
            demo.step("4. map (QGIS, headless)", demo.map)
    except DemoFailed as exc:
        failure = str(exc)
    except KeyboardInterrupt:
        failure = "interrupted"
    finally:
        if demo.client is not None:
            demo.client.close()
    summary = demo.write_summary(failure)
    missing = [name for name, path in demo.files.items() if not path.exists()]
    if not failure and missing:
        failure = "missing files: " + ", ".join(missing)
        summary = demo.write_summary(failure)
    log("\n" + summary.read_text())
    if failure:
        print(f"demo: FAILED: {failure}", file=sys.stderr)
        return 1
    log(f"demo: OK in {time.monotonic() - began:.1f} s; everything is in {out}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
