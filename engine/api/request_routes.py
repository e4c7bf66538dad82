"""The request routes v1 and v2 declare alike: create, list, get, update, and the actions (analyse, start,
cancel, stop …: a POST without a body, 204 once done, 404 or 409 if not). Each API passes its own models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from fastapi import APIRouter, Response
from pydantic import BaseModel

from .deps import Batch
from .schemas import CONFLICT, NOT_FOUND, BatchProcessRequestUpdatePayload, request_body


def create_route(router: APIRouter, answer: type[BaseModel], body: type[BaseModel]):
    return router.post(
        "/process",
        status_code=201,
        summary="Create a batch request (JSON or multipart)",
        responses={201: {"model": answer}},
        openapi_extra=request_body(body),
    )


def list_route(router: APIRouter, answer: type[BaseModel]):
    return router.get("/process", summary="List batch requests", responses={200: {"model": answer}})


def get_route(router: APIRouter, answer: type[BaseModel]):
    return router.get(
        "/process/{request_id}",
        summary="Get a batch request",
        responses={200: {"model": answer}, **NOT_FOUND},
    )


def update_route(router: APIRouter, answer: type[BaseModel]):
    return router.put(
        "/process/{request_id}",
        summary="Update a batch request's description",
        responses={200: {"model": answer}, **NOT_FOUND, **CONFLICT},
        openapi_extra=request_body(BatchProcessRequestUpdatePayload, multipart=False),
    )


@dataclass(frozen=True)
class Action:
    path: str  # after /process/{request_id}/
    method: str  # the BatchService method, called with the request id; "<method>_request" names the route
    summary: str
    api_version: Optional[int] = None  # passed on to the methods that serve both versions


def add_action_routes(router: APIRouter, actions: tuple[Action, ...]) -> None:
    for action in actions:
        router.add_api_route(
            f"/process/{{request_id}}/{action.path}",
            _endpoint(action),
            methods=["POST"],
            status_code=204,
            responses={**NOT_FOUND, **CONFLICT},
            summary=action.summary,
            name=f"{action.method}_request",  # the operationId is made of it
        )


def _endpoint(action: Action):
    def endpoint(batch: Batch, request_id: str) -> Response:
        method = getattr(batch, action.method)
        if action.api_version is None:
            method(request_id)
        else:
            method(request_id, api_version=action.api_version)
        return Response(status_code=204)

    return endpoint
