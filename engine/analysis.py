"""Checks at creation, and the analysis of a batch request: its tiles and its cost.

At creation everything that needs no remote call is checked (grid, resolution,
area, tile cap, evalscript, collections, responses, output path), so a client
gets a 400 straight away. Analysis then lists the tiles, estimates the cost and
checks that the output location is writable; a failure there leaves the request
FAILED with the reason in `error`.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
import shapely.geometry

from ..core.area import AreaError, AreaOfInterest
from ..core.batch_models import JSON, TIFF, USERDATA, BatchRequestSpec, PayloadError, parse_v1_create
from ..core.costs import assumed_samples, estimate_batch_cost
from ..core.crs import CrsError
from ..core.grids import GridError, GridTile, TooManyTilesError, tiles_for_area
from .config import Settings
from .data import UnknownCollectionError, collection_bands
from .errors import ApiError, bad_request
from .evalscript import EvalscriptError, ScriptSetup, compile_script
from .output.delivery import DeliveryError, delivery_for
from .output.paths import OutputPathError, TilePathTemplate
from .output.writer import CogParameterError, CogParameters
from .scheduler import AnalysisResult
from .store import RequestRecord, TileRecord
from .tasks import EngineContext, TileJob


class AnalysisError(Exception):
    """Analysis failed; the message goes into the request's `error`."""


@dataclass(frozen=True)
class CheckedRequest:
    spec: BatchRequestSpec
    script: ScriptSetup
    area: AreaOfInterest
    template: TilePathTemplate


class Analyser:
    def __init__(self, settings: Settings):
        self.settings = settings

    # --- creation ----------------------------------------------------------------------------------------

    def check_new(self, spec: BatchRequestSpec) -> int:
        """Everything checkable without a remote call; returns the number of tiles. Raises a 400 ApiError."""
        checked = self._check(spec)
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
                f"{exc} This engine's limit is TILEWISE_MAX_TILES={self.settings.max_tiles}.", "tilingGrid"
            ) from None
        except GridError as exc:
            raise bad_request(str(exc), "tilingGrid") from None
        return len(selection)

    def _check(self, spec: BatchRequestSpec) -> CheckedRequest:
        request = spec.process_request
        try:
            area = area_of(spec)
        except (AreaError, CrsError, PayloadError) as exc:
            raise bad_request(str(exc), "processRequest.input.bounds") from None
        try:
            script = compile_script(request.evalscript)
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
                available = collection_bands(self.settings.catalog, data.type)
            except UnknownCollectionError as exc:
                raise bad_request(str(exc), f"processRequest.input.data[{index}].type") from None
            missing = sorted(set(script.bands) - set(available) - {"dataMask"})
            if missing:
                raise bad_request(
                    f"The evalscript asks for {', '.join(missing)}, which {data.type} does not have: "
                    f"use bands among {', '.join(sorted(available))}.",
                    "processRequest.evalscript",
                )
        self._check_responses(spec, script)
        try:
            template = TilePathTemplate.parse(spec.output.path, [r.identifier for r in request.responses])
            delivery_for(template.root_url, self.settings.outputs, self.settings.s3_endpoint_url, None)
        except (OutputPathError, DeliveryError) as exc:
            raise bad_request(str(exc), "output.defaultTilePath") from None
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
            spec = parse_v1_create(record.payload)
            checked = self._check(spec)
        except (ApiError, PayloadError) as exc:
            raise AnalysisError(getattr(exc, "message", str(exc))) from None
        grid = spec.tiling_grid
        try:
            selection = tiles_for_area(
                checked.area, grid.id, grid.resolution, grid.buffer_x, grid.buffer_y, self.settings.max_tiles
            )
        except GridError as exc:
            raise AnalysisError(str(exc)) from None
        try:
            delivery = delivery_for(
                checked.template.root_url,
                self.settings.outputs,
                self.settings.s3_endpoint_url,
                record.secrets,
            )
            delivery.check_writable(checked.template.root_url)
        except DeliveryError as exc:
            raise AnalysisError(f"The output location cannot be written: {exc}") from None
        data = spec.process_request.data[0]
        if data.time_from is not None and data.time_to is not None:
            samples = assumed_samples(checked.script.mosaicking, data.time_from, data.time_to)
        else:
            samples = 1
        estimate = estimate_batch_cost(
            [(t.buffered_width, t.buffered_height) for t in selection.tiles],
            checked.script.bands,
            [o.sample_type for o in checked.script.outputs],
            samples,
        )
        tiles = [tile_record(record.id, tile) for tile in selection.tiles]
        return AnalysisResult(
            tiles=tiles,
            value_estimate=round(estimate.value_estimate, 4),
            tile_width=selection.tile_width,
            tile_height=selection.tile_width,
            warnings=[*checked.area.warnings, *selection.warnings],
        )

    # --- tile jobs ---------------------------------------------------------------------------------------

    def tile_job(self, record: RequestRecord, tile: TileRecord, resume: bool) -> TileJob:
        payload = record.payload
        grid = payload["tilingGrid"]
        output = payload.get("output") or {"defaultTilePath": f"s3://{payload['bucketName']}"}
        return TileJob(
            request_id=record.id,
            tile_id=tile.id,
            tile_name=tile.name,
            epsg=tile.epsg,
            bounds=tile.bounds,
            resolution=float(grid["resolution"]),
            buffer_x=int(grid.get("bufferX", 0)),
            buffer_y=int(grid.get("bufferY", 0)),
            process_request=payload["processRequest"],
            output={
                "path": output["defaultTilePath"],
                "overwrite": bool(output.get("overwrite", False)),
                "skipExisting": bool(output.get("skipExisting", False)),
                "cogOutput": bool(output.get("cogOutput", False)),
                "cogParameters": output.get("cogParameters") or {},
            },
            engine=EngineContext(
                catalog=self.settings.catalog,
                output_root=str(self.settings.outputs),
                s3_endpoint_url=self.settings.s3_endpoint_url,
                tile_time_limit_s=self.settings.tile_time_limit_s,
                script_heap_mb=self.settings.script_heap_mb,
            ),
            credentials=record.secrets,
            resume=resume,
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
