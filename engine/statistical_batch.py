"""Batch statistical requests over the job store: the checks at creation, the analysis (groups of nearby
features, the cost estimate, the results folder) and the jobs the scheduler sends to the executor.

A request lives in the store like a batch request (kind `STATISTICAL`), its feature groups as its tiles: the
scheduler, the executors (process pool or Dask), stop/restart and recovery after a kill are the batch ones.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import shapely
import shapely.geometry

from ..core.batch_models import PayloadError
from ..core.batch_models.statistical import BatchStatisticalRequest, parse_batch_statistical
from ..core.costs import assumed_samples, input_band_factor, output_factor, request_pu
from ..core.statuses import STATISTICAL, RequestStatus
from .analysis import AnalysisError
from .config import Settings
from .credentials import statistical_credentials
from .data import UnknownCollectionError
from .errors import ApiError, bad_request
from .evalscript import EvalscriptError, ScriptCancelled, ScriptSetup, compile_script
from .features import FeatureError
from .output.delivery import DeliveryError, delivery_for
from .processor import wgs84_bbox
from .scheduler import AnalysisResult
from .statistical_features import group_bounds, group_features, pixel_size, read_statistical_features
from .statistical_work import FeatureGroupJob
from .statistics import STATISTICAL_SAMPLE_TYPE, Calculations, check_statistical_script
from .store import JobStore, RequestRecord, TileRecord
from .tile_work import EngineContext

FEATURES_FIELD = "input.features.s3.url"


def results_url(request: BatchStatisticalRequest, request_id: str) -> str:
    """Where a request's per-feature JSONs go: `<output.s3.url>/<requestId>` (reference §1.4)."""
    return f"{request.output_url.rstrip('/')}/{request_id}"


class StatisticalRequests:
    def __init__(self, settings: Settings, store: JobStore, current_catalog: Callable[[], str]):
        self.settings = settings
        self.store = store
        self.current_catalog = current_catalog

    # --- creation ----------------------------------------------------------------------------------------

    def create(
        self, request: BatchStatisticalRequest, payload: dict, secrets: Optional[dict]
    ) -> RequestRecord:
        """Checks what needs no evaluation (the script's outputs and bands, the calculations, the GeoPackage),
        then stores the request with its polygons; raises a 400 ApiError saying what to fix."""
        catalog = self.current_catalog()
        self._check_script(request, catalog)
        record = RequestRecord(
            id=RequestRecord.new_id(),
            api_version=STATISTICAL,
            status=RequestStatus.CREATED,
            payload=payload,
            secrets=secrets,
            catalog=catalog,
        )
        features_keys, _ = statistical_credentials(record, request)
        try:
            layer = read_statistical_features(
                request.features_url,
                self.settings.outputs,
                self.settings.s3_endpoint_url,
                features_keys,
                self.settings.max_statistical_features,
            )
        except FeatureError as exc:
            raise bad_request(str(exc), FEATURES_FIELD) from None
        self.store.add_statistical_request(record, layer.epsg, layer.features)
        return record

    def _check_script(self, request: BatchStatisticalRequest, catalog: str) -> ScriptSetup:
        if len(request.data) != 1:
            raise bad_request(
                "Give exactly one entry in input.data (no data fusion in this engine).", "input.data"
            )
        calculations = Calculations(request.calculations)
        calculations.check()
        try:
            setup = compile_script(
                request.aggregation.evalscript, self.settings.script_limits, STATISTICAL_SAMPLE_TYPE
            )
            check_statistical_script(setup, request.data[0].type, catalog, calculations)
        except EvalscriptError as exc:
            raise bad_request(str(exc), "aggregation.evalscript") from None
        except UnknownCollectionError as exc:
            raise bad_request(str(exc), "input.data[0].type") from None
        except ScriptCancelled as exc:
            raise ApiError(503, exc.message, "COMMON_EXCEPTION") from None
        return setup

    # --- analysis ----------------------------------------------------------------------------------------

    def analyse(self, record: RequestRecord) -> AnalysisResult:
        """Groups of nearby features become the request's tiles; the results folder must be writable."""
        try:
            request = parse_batch_statistical(record.payload, strict=False)
            setup = self._check_script(request, record.catalog or self.current_catalog())
        except (ApiError, PayloadError) as exc:
            raise AnalysisError(getattr(exc, "message", str(exc))) from None
        _, output_keys = statistical_credentials(record, request)
        url = results_url(request, record.id)
        try:
            delivery_for(
                url, self.settings.outputs, self.settings.s3_endpoint_url, output_keys
            ).check_writable(url)
        except DeliveryError as exc:
            raise AnalysisError(f"The output location cannot be written: {exc}", exc.transient) from None
        aggregation = request.aggregation
        epsg = self.store.statistical_epsg(record.id)
        groups = group_features(
            self.store.statistical_features(record.id), aggregation.resx, aggregation.resy
        )
        self.store.group_statistical_features(
            record.id, {feature.fid: number for number, members in groups.items() for feature in members}
        )
        tiles = []
        for number, members in groups.items():
            bounds = group_bounds(members, aggregation.resx, aggregation.resy)
            width, height = pixel_size(bounds, aggregation.resx, aggregation.resy)
            first, last = members[0].fid, members[-1].fid
            tiles.append(
                TileRecord(
                    request_id=record.id,
                    id=number,
                    name=f"features {first}" if first == last else f"{len(members)} features, {first}…{last}",
                    epsg=epsg,
                    bounds=bounds,
                    geometry=shapely.geometry.mapping(shapely.box(*wgs84_bbox(epsg, bounds))),
                    width=width,
                    height=height,
                )
            )
        return AnalysisResult(
            tiles=tiles,
            value_estimate=round(self._estimate(request, setup, tiles), 4),
            tile_width=None,
            tile_height=None,
            warnings=[],
        )

    @staticmethod
    def _estimate(request: BatchStatisticalRequest, setup: ScriptSetup, tiles: Sequence[TileRecord]) -> float:
        """PU at the Statistical API's rate: every group evaluated once per interval (no batch discount)."""
        band_factor = input_band_factor(setup.bands)
        out_factor = output_factor(o.sample_type for o in setup.outputs)
        total = 0.0
        for start, end in request.aggregation.intervals():
            samples = assumed_samples(setup.mosaicking, start, end)
            total += sum(request_pu(t.width, t.height, band_factor, out_factor, samples) for t in tiles)
        return total

    # --- jobs --------------------------------------------------------------------------------------------

    def group_jobs(
        self, record: RequestRecord, tiles: Sequence[tuple[TileRecord, bool]]
    ) -> list[FeatureGroupJob]:
        request = parse_batch_statistical(record.payload, strict=False)
        _, output_keys = statistical_credentials(record, request)
        engine = EngineContext(
            catalog=record.catalog or self.current_catalog(),
            output_root=str(self.settings.outputs),
            s3_endpoint_url=self.settings.s3_endpoint_url,
            limits=self.settings.script_limits,
        )
        return [
            FeatureGroupJob(
                request_id=record.id,
                tile_id=tile.id,
                epsg=tile.epsg,
                bounds=tile.bounds,
                features=tuple(self.store.statistical_features(record.id, tile.id)),
                data=request.data[0],
                aggregation=request.aggregation,
                calculations=request.calculations,
                results_url=results_url(request, record.id),
                engine=engine,
                credentials=output_keys,
                resume=resume,
            )
            for tile, resume in tiles
        ]
