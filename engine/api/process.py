"""Process API route (`POST /api/v1/process`): previews as sentinelhub-py's SentinelHubRequest asks for them."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Optional

from fastapi import Header, Response
from starlette.concurrency import run_in_threadpool

from ..preview import FORMATS, TAR, render_preview
from .deps import Catalogs, EngineSettings, ProcessBody, protected_router
from .schemas import ProcessRequest, request_body

router = protected_router("/api/v1", "process")
MEDIA_TYPES = (*FORMATS, TAR)  # one response in its own format, several in a tar


@router.post(
    "/process",
    summary="Render a small area now (Process API): GeoTIFF, PNG, JPEG, userdata JSON, or a tar of several",
    response_class=Response,
    responses={200: {"content": {media_type: {} for media_type in MEDIA_TYPES}}},
    openapi_extra=request_body(ProcessRequest),
)
async def process(
    settings: EngineSettings,
    catalogs: Catalogs,
    body: ProcessBody,
    accept: Annotated[Optional[str], Header(include_in_schema=False)] = None,
) -> Response:
    # V8 (with its time limit) and GDAL block: they run on the thread pool, never on the event loop
    current = replace(settings, catalog=catalogs.current)  # what the engine's catalog switch chose
    rendered = await run_in_threadpool(render_preview, body, current, accept)
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"x-processingunits-spent": f"{rendered.processing_units:.6g}"},
    )
