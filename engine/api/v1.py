"""Batch Processing API v1 routes (`/api/v1/batch`), as sentinelhub-py 3.9's SentinelHubBatch calls them."""

from __future__ import annotations

from typing import Annotated, Optional
from uuid import UUID

from fastapi import Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...core.batch_models import crs_url, parse_v1_create
from ...core.statuses import V1
from ..batch_service import Page
from ..errors import bad_request
from ..store import RequestRecord, TileRecord
from .deps import Batch, BatchBody, parsed, protected_router
from .grids import add_grid_routes
from .listing import Count, RequestListQuery, page_json
from .request_routes import Action, add_action_routes, create_route, get_route, list_route, update_route
from .schemas import (
    CONFLICT,
    NOT_FOUND,
    BatchProcessRequestCreate,
    BatchTile,
    BatchV1Request,
    TileList,
    V1RequestList,
)

router = protected_router("/api/v1/batch", "batch v1")
# tile ids are SQLite integers (64-bit, signed)
TileId = Annotated[int, Path(ge=0, le=2**63 - 1, description="The tile's id (BatchTile.id)")]
ENGINE_USER = "tilewise-local"


def request_json(record: RequestRecord) -> dict:
    """A v1 BatchProcessRequest as Sentinel Hub returns it (secrets are never stored in the payload)."""
    payload = record.payload
    body = {
        "id": record.id,
        "userId": ENGINE_USER,
        "created": record.created,
        "processRequest": payload.get("processRequest", {}),
        "tilingGrid": payload.get("tilingGrid", {}),
        "description": record.description,
        "status": record.status.value,
        "userAction": record.user_action,
        "userActionUpdated": record.user_action_updated,
        "tileCount": record.tile_count or 0,
    }
    for key in ("output", "bucketName"):
        if payload.get(key) is not None:
            body[key] = payload[key]
    if record.value_estimate is not None:
        body["valueEstimate"] = record.value_estimate
    if record.tile_width is not None:
        body["tileWidthPx"] = record.tile_width
        body["tileHeightPx"] = record.tile_height
    if record.error:
        body["error"] = record.error
    # Extensions (not in Sentinel Hub's schema): what this engine measured and noticed.
    body["costPU"] = round(record.cost_pu, 6)
    if record.warnings:
        body["warnings"] = record.warnings
    return body


def tile_json(tile: TileRecord) -> dict:
    x0, y0, x1, y1 = tile.bounds
    crs_member = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{tile.epsg}"}}
    body = {
        "id": tile.id,
        "requestId": tile.request_id,
        "name": tile.name,
        # as Sentinel Hub: the tile polygon (without buffer) in the tile's own CRS, named in a crs member
        "geometry": {
            "type": "Polygon",
            "crs": crs_member,
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
        },
        # sentinelhub-py's BatchSplitter reads the origin as the tile's upper-left corner.
        "origin": {
            "type": "Point",
            "coordinates": [x0, y1],
            "crs": crs_member,
        },
        "crs": crs_url(tile.epsg),
        "status": tile.status.value,
        "cost": round(tile.cost, 6),
        "attempts": tile.attempts,
        "lastUpdated": tile.updated,
    }
    if tile.error:
        body["failureReason"] = tile.error  # extension: why the tile failed
    return body


# --- requests ----------------------------------------------------------------------------------------


@create_route(router, BatchV1Request, BatchProcessRequestCreate)
async def create_request(batch: Batch, body: BatchBody) -> dict:
    spec = parsed(parse_v1_create, body)
    # validation runs the evalscript in V8, which must not block (or run on) the event loop
    record = await run_in_threadpool(batch.create, V1, spec, body, None)
    return request_json(record)


@list_route(router, V1RequestList)
def list_requests(
    request: Request,
    batch: Batch,
    query: RequestListQuery,
    collectionId: Annotated[
        Optional[UUID], Query(description="Requests that write to this batch collection: none here.")
    ] = None,
) -> dict:
    page = query.page(batch, V1)
    if collectionId is not None:  # this engine has no batch collections, so no request writes to one
        page = Page([], page.offset, page.count, False)
    return page_json(request, page, [request_json(r) for r in page.items])


@get_route(router, BatchV1Request)
def get_request(batch: Batch, request_id: str) -> dict:
    return request_json(batch.get(request_id))


@update_route(router, BatchV1Request)
def update_request(batch: Batch, request_id: str, body: BatchBody) -> dict:
    output = body.get("output")
    if output is not None and not isinstance(output, dict):
        raise bad_request("output must be a JSON object (only description can change here).", "output")
    if output and (output.get("collectionId") or output.get("createCollection")):
        raise bad_request(
            "Batch collections are not supported by this engine: only description can change.", "output"
        )
    return request_json(batch.update_description(request_id, body.get("description")))


@router.delete(
    "/process/{request_id}",
    status_code=204,
    summary="Delete a batch request",
    responses={**NOT_FOUND, **CONFLICT},
)
def delete_request(batch: Batch, request_id: str) -> Response:
    batch.delete(request_id)
    return Response(status_code=204)


add_action_routes(
    router,
    (
        Action("analyse", "analyse", "Analyse: list the tiles and estimate the cost"),
        Action("start", "start", "Start processing (analyses first when needed)"),
        Action("cancel", "cancel", "Cancel: no new tiles start; finished outputs stay"),
        Action(
            "restartpartial",
            "restart_partial",
            "Put the FAILED tiles of a PARTIAL request back to PENDING and process them",
        ),
    ),
)


# --- tiles -------------------------------------------------------------------------------------------


@router.get(
    "/process/{request_id}/tiles",
    summary="List the tiles of a request",
    responses={200: {"model": TileList}, **NOT_FOUND},
)
def list_tiles(
    request: Request,
    batch: Batch,
    request_id: str,
    status: Optional[str] = None,
    viewtoken: Optional[str] = None,
    count: Count = None,
) -> dict:
    page = batch.tiles(request_id, status, viewtoken, count)
    return page_json(request, page, [tile_json(t) for t in page.items])


@router.get(
    "/process/{request_id}/tiles/{tile_id}",
    summary="Get one tile",
    responses={200: {"model": BatchTile}, **NOT_FOUND},
)
def get_tile(batch: Batch, request_id: str, tile_id: TileId) -> dict:
    return tile_json(batch.tile(request_id, tile_id))


@router.post(
    "/process/{request_id}/tiles/{tile_id}/restart",
    status_code=204,
    summary="Reprocess one FAILED tile (deprecated on Sentinel Hub, kept here)",
    responses={**NOT_FOUND, **CONFLICT},
)
def restart_tile(batch: Batch, request_id: str, tile_id: TileId) -> Response:
    batch.reprocess_tile(request_id, tile_id)
    return Response(status_code=204)


add_grid_routes(router)
