"""Batch Processing API v2 routes (`/api/v2/batch`), as sentinelhub-py 3.12's BatchProcessClient calls them.

v2 has no tile endpoints, no cancel, delete or restartpartial: progress is `completionPercentage` and the
execution database the engine writes to the request's bucket (engine/artefacts.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ...core.batch_models import PayloadError, parse_v2_create, strip_v2_secrets
from ..batch_service import V2
from ..store import JobStore, RequestRecord, RequestStatus, TileStatus
from .actions import Action, add_action_routes
from .deps import Batch, BatchBody, Store, as_payload_error, require_token
from .grids import add_grid_routes
from .listing import RequestListQuery, page_json
from .schemas import (
    COMMON_ERRORS,
    CONFLICT,
    NOT_FOUND,
    BatchProcessRequestUpdatePayload,
    BatchV2ProcessRequest,
    BatchV2ProcessTask,
    V2TaskList,
    request_body,
)

router = APIRouter(
    prefix="/api/v2/batch", tags=["batch v2"], dependencies=[Depends(require_token)], responses=COMMON_ERRORS
)
ENGINE_ACCOUNT = "tilewise-local"  # domainAccountId / projectId: one local account


def task_json(record: RequestRecord, store: JobStore) -> dict:
    """A BatchV2ProcessTask as Sentinel Hub returns it; the request comes back without its S3 keys."""
    counts = store.tile_counts(record.id) if record.tile_count is not None else {}
    total = sum(counts.values())
    finished = counts.get(TileStatus.PROCESSED, 0) + counts.get(TileStatus.FAILED, 0)
    if record.status == RequestStatus.DONE:
        completion = 100.0
    else:
        completion = round(100.0 * finished / total, 2) if total else 0.0
    cost = record.cost_pu if record.status == RequestStatus.DONE else store.processed_cost(record.id)
    body = {
        "id": record.id,
        "request": record.payload,
        "domainAccountId": ENGINE_ACCOUNT,
        "projectId": ENGINE_ACCOUNT,
        "status": record.status.value,
        "userAction": record.user_action,
        "userActionUpdated": record.user_action_updated,
        "created": record.created,
        "lastUpdated": record.last_updated,
        "completionPercentage": completion,
        "costPU": round(cost, 6),
    }
    if record.error:
        body["error"] = record.error
    if record.stopped_reason:
        body["stoppedStatusReason"] = record.stopped_reason
    # Extensions (not in Sentinel Hub's schema): the feature count once analysed, and what the engine noticed.
    if record.tile_count is not None:
        body["featureCount"] = record.tile_count
    if record.value_estimate is not None:
        body["valueEstimate"] = record.value_estimate
    if record.warnings:
        body["warnings"] = record.warnings
    return body


@router.post(
    "/process",
    status_code=201,
    summary="Create a batch request (JSON or multipart)",
    responses={201: {"model": BatchV2ProcessTask}},
    openapi_extra=request_body(BatchV2ProcessRequest),
)
async def create_request(batch: Batch, store: Store, body: BatchBody) -> dict:
    try:
        spec = parse_v2_create(body)
    except PayloadError as exc:
        raise as_payload_error(exc) from None
    payload, secrets = strip_v2_secrets(body)
    # validation runs the evalscript in V8, and the request JSON goes to the bucket: off the event loop
    record = await run_in_threadpool(batch.create, V2, spec, payload, secrets or None)
    return task_json(record, store)


@router.get("/process", summary="List batch requests", responses={200: {"model": V2TaskList}})
def list_requests(request: Request, batch: Batch, store: Store, query: RequestListQuery) -> dict:
    page = query.page(batch, V2)
    return page_json(request, page, [task_json(r, store) for r in page.items])


@router.get(
    "/process/{request_id}",
    summary="Get a batch request",
    responses={200: {"model": BatchV2ProcessTask}, **NOT_FOUND},
)
def get_request(batch: Batch, store: Store, request_id: str) -> dict:
    return task_json(batch.get(request_id, V2), store)


@router.put(
    "/process/{request_id}",
    summary="Update a batch request's description",
    responses={200: {"model": BatchV2ProcessTask}, **NOT_FOUND, **CONFLICT},
    openapi_extra=request_body(BatchProcessRequestUpdatePayload, multipart=False),
)
def update_request(batch: Batch, store: Store, request_id: str, body: BatchBody) -> dict:
    record = batch.update_description(request_id, body.get("description"), V2)
    return task_json(record, store)


add_action_routes(
    router,
    (
        Action("analyse", "analyse", "Analyse: list the features, write the manifest", V2),
        Action("start", "start", "Start (or carry on after a stop)", V2),
        Action("stop", "stop", "Stop: no new features start"),
    ),
)
add_grid_routes(router)
