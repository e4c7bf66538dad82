"""Statistical API route (`POST /api/v1/statistics`): per-interval statistics as sentinelhub-py's SentinelHubStatistical asks."""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool

from ..statistics import compute_statistics
from .deps import Catalogs, EngineSettings, ProcessBody, protected_router
from .schemas import StatisticalRequest, StatisticalResponse, request_body

router = protected_router("/api/v1", "statistics")


@router.post(
    "/statistics",
    summary="Statistics of an evalscript's outputs over one area, per time interval (Statistical API)",
    response_model=StatisticalResponse,
    openapi_extra=request_body(StatisticalRequest, multipart=False),
)
async def statistics(settings: EngineSettings, catalogs: Catalogs, body: ProcessBody) -> dict:
    # V8 and GDAL block: they run on the thread pool, never on the event loop
    current = replace(settings, catalog=catalogs.current)
    return await run_in_threadpool(compute_statistics, body, current)
