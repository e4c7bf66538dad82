"""Process API route (`POST /api/v1/process`): previews as sentinelhub-py's SentinelHubRequest asks for them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ..errors import bad_request
from ..preview import FORMATS, TAR, render_preview
from .deps import require_token, services

router = APIRouter(prefix="/api/v1", tags=["process"], dependencies=[Depends(require_token)])
MEDIA_TYPES = (*FORMATS, TAR)  # one response in its own format, several in a tar


@router.post(
    "/process",
    summary="Render a small area now (Process API): GeoTIFF, PNG, JPEG, userdata JSON, or a tar of several",
    response_class=Response,
    responses={200: {"content": {media_type: {} for media_type in MEDIA_TYPES}}},
)
async def process(request: Request) -> Response:
    body = await process_body(request)
    # V8 (with its time limit) and GDAL block: they run on the thread pool, never on the event loop
    rendered = await run_in_threadpool(
        render_preview, body, services(request).settings, request.headers.get("accept")
    )
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"x-processingunits-spent": f"{rendered.processing_units:.6g}"},
    )


async def process_body(request: Request) -> dict:
    """The request as JSON, or multipart with a `request` part (JSON) and an `evalscript` part, as Sentinel Hub."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        raw = form.get("request")
        if raw is None:
            raise bad_request(
                "The multipart body needs a 'request' part holding the JSON request.", "request"
            )
        body = _json_object(raw if isinstance(raw, str) else (await raw.read()).decode(errors="replace"))
        evalscript = form.get("evalscript")
        if evalscript is not None:
            body["evalscript"] = (
                evalscript
                if isinstance(evalscript, str)
                else (await evalscript.read()).decode(errors="replace")
            )
        return body
    raw_body = await request.body()
    if not raw_body:
        raise bad_request("The request body is empty: send the Process API request as JSON.")
    return _json_object(raw_body.decode(errors="replace"))


def _json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad_request(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object with input, output and evalscript.")
    return body
