"""Checks at creation, and the analysis of a batch request: its tiles and its cost.

At creation everything that needs no remote call is checked (grid, resolution,
area, tile cap, evalscript, collections, responses, output path), so a client
gets a 400 straight away. Analysis then lists the tiles, estimates the cost and
checks that the output location is writable; a failure there leaves the request
FAILED with the reason in `error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import shapely
import shapely.geometry

from ..core.area import AreaError, AreaOfInterest
from ..core.batch_models import (
    JSON,
    TIFF,
    USERDATA,
    BatchRequestSpec,
    PayloadError,
)
from ..core.costs import assumed_samples, estimate_batch_cost
from ..core.crs import CrsError
from ..core.evalscript.setup import band_problem
from ..core.grids import GridError, GridTile, TooManyTilesError, tiles_for_area
from ..core.output_paths import OutputPathError, TilePathTemplate, manifest_url
from ..core.statuses import V1, V2
from .artefacts import put_artefact, write_feature_manifest
from .config import Settings
from .credentials import delivery_credentials, features_credentials
from .data import UnknownCollectionError, collection_bands
from .errors import ApiError, bad_request
from .evalscript import EvalscriptError, ScriptCancelled, ScriptSetup, compile_script
from .features import FeatureError, read_features
from .output.delivery import DeliveryError, delivery_for
from .output.writer import CogParameterError, CogParameters
from .scheduler import AnalysisResult
from .store import RequestRecord, TileRecord
from .tile_work import EngineContext, TileJob

OUTPUT_FIELD = {V1: "output.defaultTilePath", V2: "output.delivery.s3.url"}
GRID_FIELD = {V1: "tilingGrid", V2: "input"}


class AnalysisError(Exception):
    """Analysis failed; the message goes into the request's `error`. `transient`: the storage could not
    be reached, so the analysis may succeed later (the scheduler tries it again)."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class CheckedRequest:
    spec: BatchRequestSpec
    script: ScriptSetup
    area: Optional[AreaOfInterest]  # None: a v2 GeoPackage job without bounds
    template: TilePathTemplate


class Analyser:
    def __init__(self, settings: Settings, current_catalog: Optional[Callable[[], str]] = None):
        self.settings = settings
        # the catalog of requests created now (engine/catalog_choice.py); each request keeps its own
        self.current_catalog = current_catalog or (lambda: settings.catalog)

    def catalog_of(self, record: RequestRecord) -> str:
        return record.catalog or self.current_catalog()  # None: stored by an engine that did not keep it

    # --- creation ----------------------------------------------------------------------------------------

    def check_new(
        self, api_version: int, spec: BatchRequestSpec, catalog: Optional[str] = None
    ) -> Optional[int]:
        """Everything checkable without a remote call, against `catalog` (default: the current one); returns
        the number of tiles (None: known after analysis, for GeoPackage input). Raises a 400 ApiError."""
        try:
            checked = self._check(api_version, spec, catalog or self.current_catalog())
        except ScriptCancelled as exc:
            raise ApiError(503, exc.message, "COMMON_EXCEPTION") from None
        if spec.tiling_grid is None:
            return None
        try:
            selection = tiles_for_area(
                checked.area,
                spec.tiling_grid.id,
                spec.tiling_grid.resolution,
                spec.tiling_grid.buffer_x,
                spec.tiling_grid.buffer_y,
                self.settings.max_tiles,
            )
        except TooManyTilesError as exc:
            raise bad_request(
                f"{exc} This engine's limit is TILEWISE_MAX_TILES={self.settings.max_tiles}.",
                GRID_FIELD[api_version],
            ) from None
        except GridError as exc:
            raise bad_request(str(exc), GRID_FIELD[api_version]) from None
        return len(selection)

    def _check(self, api_version: int, spec: BatchRequestSpec, catalog: str) -> CheckedRequest:
        request = spec.process_request
        try:
            area = area_of(spec) if spec.process_request.bounds is not None or spec.features is None else None
        except (AreaError, CrsError, PayloadError) as exc:
            raise bad_request(str(exc), "processRequest.input.bounds") from None
        try:
            script = compile_script(request.evalscript, self.settings.check_limits)
        except ScriptCancelled:
            raise  # the engine is stopping: not the request's fault
        except EvalscriptError as exc:
            raise bad_request(f"The evalscript is not valid: {exc}", "processRequest.evalscript") from None
        if len(request.data) != 1:
            raise bad_request(
                "This engine processes one data collection per request (no data fusion): give exactly one entry "
                "in processRequest.input.data.",
                "processRequest.input.data",
            )
        for index, data in enumerate(request.data):
            try:
                available = collection_bands(catalog, data.type)
            except UnknownCollectionError as exc:
                raise bad_request(str(exc), f"processRequest.input.data[{index}].type") from None
            problem = band_problem(script.bands, data.type, available)
            if problem:
                raise bad_request(problem, "processRequest.evalscript")
        self._check_responses(spec, script)
        try:
            template = TilePathTemplate.parse(spec.output.path, [r.identifier for r in request.responses])
            delivery_for(template.root_url, self.settings.outputs, self.settings.s3_endpoint_url, None)
        except (OutputPathError, DeliveryError) as exc:
            raise bad_request(str(exc), OUTPUT_FIELD[api_version]) from None
        if spec.output.cog_output:
            try:
                CogParameters.parse(spec.output.cog_parameters)
            except CogParameterError as exc:
                raise bad_request(str(exc), "output.cogParameters") from None
        return CheckedRequest(spec, script, area, template)

    @staticmethod
    def _check_responses(spec: BatchRequestSpec, script: ScriptSetup) -> None:
        outputs = {o.id for o in script.outputs}
        for index, response in enumerate(spec.process_request.responses):
            where = f"processRequest.output.responses[{index}]"
            if response.identifier == USERDATA:
                if response.format != JSON:
                    raise bad_request(f"The userdata response must have format {JSON}.", where)
                continue
            if response.identifier not in outputs:
                raise bad_request(
                    f"Response {response.identifier!r} is not an output of the evalscript: its setup() defines "
                    f"{', '.join(sorted(outputs))}.",
                    where,
                )
            if response.format != TIFF:
                raise bad_request(
                    f"Batch outputs are GeoTIFFs: set the format of {response.identifier!r} to {TIFF}.", where
                )
            if spec.output.cog_output and script.output(response.identifier).sample_type == "INT8":
                # Sentinel Hub refuses INT8 COG batch outputs (reference §4); so does this engine, to match.
                raise bad_request(
                    f"Output {response.identifier!r} is INT8, which Batch COG output does not allow: use another "
                    "sampleType or cogOutput false.",
                    where,
                )

    # --- analysis ----------------------------------------------------------------------------------------

    def analyse(self, record: RequestRecord) -> AnalysisResult:
        try:
            spec = record.batch_request()
            checked = self._check(record.api_version, spec, self.catalog_of(record))
        except (ApiError, PayloadError) as exc:
            raise AnalysisError(getattr(exc, "message", str(exc))) from None
        warnings = list(checked.area.warnings) if checked.area is not None else []
        tile_width = tile_height = None
        if spec.tiling_grid is not None:
            grid = spec.tiling_grid
            try:
                selection = tiles_for_area(
                    checked.area,
                    grid.id,
                    grid.resolution,
                    grid.buffer_x,
                    grid.buffer_y,
                    self.settings.max_tiles,
                )
            except GridError as exc:
                raise AnalysisError(str(exc)) from None
            tiles = [tile_record(record.id, tile) for tile in selection.tiles]
            sizes = [(t.buffered_width, t.buffered_height) for t in selection.tiles]
            tile_width = tile_height = selection.tile_width
            warnings += selection.warnings
        else:
            try:
                tiles = read_features(
                    record.id,
                    spec.features,
                    self.settings.outputs,
                    self.settings.s3_endpoint_url,
                    features_credentials(record, spec),
                    checked.area.geometry if checked.area is not None else None,
                    self.settings.max_tiles,
                )
            except FeatureError as exc:
                raise AnalysisError(str(exc)) from None
            sizes = [(t.width, t.height) for t in tiles]
        try:
            delivery = delivery_for(
                checked.template.root_url,
                self.settings.outputs,
                self.settings.s3_endpoint_url,
                delivery_credentials(record, spec),
            )
            delivery.check_writable(checked.template.root_url)
            if record.api_version == V2:
                put_artefact(
                    delivery,
                    manifest_url(spec.output.path, record.id),
                    lambda path: write_feature_manifest(
                        path, record.id, spec, tiles, self.raster_of(record, spec)
                    ),
                )
        except DeliveryError as exc:
            raise AnalysisError(f"The output location cannot be written: {exc}", exc.transient) from None
        data = spec.process_request.data[0]
        if data.time_from is not None and data.time_to is not None:
            samples = assumed_samples(checked.script.mosaicking, data.time_from, data.time_to)
        else:
            samples = 1
        estimate = estimate_batch_cost(
            sizes, checked.script.bands, [o.sample_type for o in checked.script.outputs], samples
        )
        return AnalysisResult(
            tiles=tiles,
            value_estimate=round(estimate.value_estimate, 4),
            tile_width=tile_width,
            tile_height=tile_height,
            warnings=warnings,
        )

    @staticmethod
    def publish_request(artefacts):
        """v2 creation: the request JSON goes to the bucket, or the create is a 400 with the storage error."""

        def publish(record: RequestRecord) -> None:
            try:
                artefacts.publish_request(record)
            except DeliveryError as exc:
                raise bad_request(f"The output location cannot be written: {exc}", OUTPUT_FIELD[V2]) from None

        return publish

    def raster_of(self, record: RequestRecord, request: BatchRequestSpec):
        """(buffered bounds, (width, height)) of a tile's output raster."""

        def raster(tile: TileRecord) -> tuple:
            job = self._tile_job(record, request, None, tile, False)
            return job.buffered_bounds, job.raster_size

        return raster

    # --- tile jobs ---------------------------------------------------------------------------------------

    def tile_jobs(self, record: RequestRecord, tiles: Sequence[tuple[TileRecord, bool]]) -> list[TileJob]:
        """The work of each (tile, resume) of a request, the request read once for all of them."""
        request = record.batch_request()
        credentials = delivery_credentials(record, request)
        return [self._tile_job(record, request, credentials, tile, resume) for tile, resume in tiles]

    def _tile_job(
        self,
        record: RequestRecord,
        request: BatchRequestSpec,
        credentials: Optional[dict],
        tile: TileRecord,
        resume: bool,
    ) -> TileJob:
        grid = request.tiling_grid  # None: a GeoPackage feature, which has its own size
        size = (tile.width, tile.height) if tile.width and tile.height else None
        x0, y0, x1, y1 = tile.bounds
        return TileJob(
            request_id=record.id,
            tile_id=tile.id,
            tile_name=tile.name,
            epsg=tile.epsg,
            bounds=tile.bounds,
            resolution=grid.resolution if grid else (x1 - x0) / size[0],
            buffer_x=grid.buffer_x if grid else 0,
            buffer_y=grid.buffer_y if grid else 0,
            process_request=request.process_request,
            output=request.output,
            engine=EngineContext(
                catalog=self.catalog_of(record),
                output_root=str(self.settings.outputs),
                s3_endpoint_url=self.settings.s3_endpoint_url,
                limits=self.settings.script_limits,
                compression=self.settings.gtiff_compression,
            ),
            credentials=credentials,
            resume=resume,
            size=size,
        )


def area_of(spec: BatchRequestSpec) -> AreaOfInterest:
    bounds = spec.process_request.bounds
    if bounds is None:
        raise PayloadError("processRequest.input.bounds is missing.", "processRequest.input.bounds")
    if bounds.geometry is not None:
        geometry = shapely.geometry.shape(bounds.geometry)
        if bounds.bbox is not None:
            geometry = geometry.intersection(shapely.box(*bounds.bbox))
    else:
        geometry = shapely.box(*bounds.bbox)
    return AreaOfInterest.from_geometries([geometry], bounds.epsg_crs)


def tile_record(request_id: str, tile: GridTile) -> TileRecord:
    return TileRecord(
        request_id=request_id,
        id=tile.id,
        name=tile.name,
        epsg=tile.epsg,
        bounds=tile.bounds,
        geometry=shapely.geometry.mapping(tile.footprint),
    )
