"""Batch Processing API v2 routes (`/api/v2/batch`), as sentinelhub-py 3.12's BatchProcessClient calls them.

v2 has no tile endpoints, no cancel, delete or restartpartial: progress is `completionPercentage` and the
execution database the engine writes to the request's bucket (engine/artefacts.py).
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ...core.batch_models import parse_v2_create, strip_v2_secrets
from ...core.statuses import V2, RequestStatus
from ...core.tile_status import TileStatus
from ..store import JobStore, RequestRecord
from .deps import Batch, BatchBody, Store, parsed, protected_router
from .grids import add_grid_routes
from .listing import RequestListQuery, page_json
from .request_routes import Action, add_action_routes, create_route, get_route, list_route, update_route
from .schemas import (
    BatchV2ProcessRequest,
    BatchV2ProcessTask,
    V2TaskList,
)

router = protected_router("/api/v2/batch", "batch v2")
ENGINE_ACCOUNT = "tilewise-local"  # domainAccountId / projectId: one local account


def progress(record: RequestRecord, store: JobStore) -> tuple[float, float]:
    """(completionPercentage, costPU so far): 100 and the final cost once DONE, else from the finished tiles."""
    if record.status == RequestStatus.DONE:
        return 100.0, record.cost_pu
    counts = store.tile_counts(record.id) if record.tile_count is not None else {}
    total = sum(counts.values())
    finished = counts.get(TileStatus.PROCESSED, 0) + counts.get(TileStatus.FAILED, 0)
    return (round(100.0 * finished / total, 2) if total else 0.0), store.processed_cost(record.id)


def task_json(record: RequestRecord, store: JobStore) -> dict:
    """A BatchV2ProcessTask as Sentinel Hub returns it; the request comes back without its S3 keys."""
    completion, cost = progress(record, store)
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


@create_route(router, BatchV2ProcessTask, BatchV2ProcessRequest)
async def create_request(batch: Batch, store: Store, body: BatchBody) -> dict:
    spec = parsed(parse_v2_create, body)
    payload, secrets = strip_v2_secrets(body)
    # validation runs the evalscript in V8, and the request JSON goes to the bucket: off the event loop
    record = await run_in_threadpool(batch.create, V2, spec, payload, secrets or None)
    return task_json(record, store)


@list_route(router, V2TaskList)
def list_requests(request: Request, batch: Batch, store: Store, query: RequestListQuery) -> dict:
    page = query.page(batch, V2)
    return page_json(request, page, [task_json(r, store) for r in page.items])


@get_route(router, BatchV2ProcessTask)
def get_request(batch: Batch, store: Store, request_id: str) -> dict:
    return task_json(batch.get(request_id, V2), store)


@update_route(router, BatchV2ProcessTask)
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
