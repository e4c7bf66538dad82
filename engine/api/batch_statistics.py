"""Batch Statistical API routes (`/api/v1/statistics/batch`), as sentinelhub-py 3.12's SentinelHubBatchStatistical
calls them: create (201), list, get, status, and the actions analyse, start, stop (204; `cancel` is the old
name of stop). Reference: ../shared/reference/batch-statistical-zarr-byoc.md §1.1, §1.5.
"""

from __future__ import annotations

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from ...core.batch_models.statistical import parse_batch_statistical, strip_statistical_secrets
from ...core.statuses import STATISTICAL, RequestStatus
from ..store import JobStore, RequestRecord
from .deps import Batch, Statistical, StatisticalBody, Store, parsed, protected_router
from .listing import RequestListQuery, page_json
from .schemas import (
    CONFLICT,
    NOT_FOUND,
    BatchStatisticalRequest,
    BatchStatisticsTask,
    BatchStatisticsTaskList,
    BatchStatisticsTaskStatus,
    request_body,
)
from .v2 import ENGINE_ACCOUNT, progress

router = protected_router("/api/v1/statistics/batch", "batch statistical")


def status_json(record: RequestRecord, store: JobStore) -> dict:
    """`BatchStatisticsTaskStatusDto`, with `costPU` spelled as the real service and sentinelhub-py do."""
    completion, cost = progress(record, store)
    if record.status != RequestStatus.DONE:  # sentinelhub-py's monitor waits for 100, never for a status
        completion = min(completion, 99.0)
    body = {
        "id": record.id,
        "status": record.status.value,
        "completionPercentage": completion,
        "costPU": round(cost, 6),
        "created": record.created,
        "lastUpdated": record.last_updated,
    }
    if record.error:
        body["error"] = record.error
    if record.stopped_reason:
        body["stoppedStatusReason"] = record.stopped_reason
    return body


def task_json(record: RequestRecord, store: JobStore) -> dict:
    """`BatchStatisticsTaskDto`: the status and the request as created, without its S3 keys."""
    body = {
        **status_json(record, store),
        "request": record.payload,
        "userAction": record.user_action,
        "userActionUpdated": record.user_action_updated,
        "domainAccountId": ENGINE_ACCOUNT,
        "featureCount": store.statistical_feature_count(record.id),
    }
    if record.value_estimate is not None:
        body["valueEstimate"] = record.value_estimate
    return body


@router.post(
    "",
    status_code=201,
    summary="Create a batch statistical request (JSON or multipart)",
    responses={201: {"model": BatchStatisticsTask}},
    openapi_extra=request_body(BatchStatisticalRequest),
)
async def create_request(statistical: Statistical, store: Store, body: StatisticalBody) -> dict:
    request = parsed(parse_batch_statistical, body)
    payload, secrets = strip_statistical_secrets(body)
    # reading the GeoPackage and compiling the script block: off the event loop
    record = await run_in_threadpool(statistical.create, request, payload, secrets or None)
    return task_json(record, store)


@router.get(
    "", summary="List batch statistical requests", responses={200: {"model": BatchStatisticsTaskList}}
)
def list_requests(request: Request, batch: Batch, store: Store, query: RequestListQuery) -> dict:
    page = query.page(batch, STATISTICAL)
    return page_json(request, page, [task_json(r, store) for r in page.items])


@router.get(
    "/{request_id}",
    summary="Get a batch statistical request",
    responses={200: {"model": BatchStatisticsTask}, **NOT_FOUND},
)
def get_request(batch: Batch, store: Store, request_id: str) -> dict:
    return task_json(batch.get(request_id, STATISTICAL), store)


@router.get(
    "/{request_id}/status",
    summary="Get the status of a batch statistical request",
    responses={200: {"model": BatchStatisticsTaskStatus}, **NOT_FOUND},
)
def get_status(batch: Batch, store: Store, request_id: str) -> dict:
    return status_json(batch.get(request_id, STATISTICAL), store)


def _action(path: str, method: str, summary: str) -> None:
    def endpoint(batch: Batch, request_id: str) -> Response:
        getattr(batch, method)(request_id, api_version=STATISTICAL)
        return Response(status_code=204)

    router.add_api_route(
        f"/{{request_id}}/{path}",
        endpoint,
        methods=["POST"],
        status_code=204,
        responses={**NOT_FOUND, **CONFLICT},
        summary=summary,
        name=f"{path}_statistical_request",
    )


_action("analyse", "analyse", "Analyse: check the script and the results folder, group the features")
_action("start", "start", "Start (or carry on after a stop)")
_action("stop", "stop", "Stop: no new feature groups start")
_action("cancel", "stop", "Stop (the old name of the action, which sentinelhub-py's cancel_job still calls)")
