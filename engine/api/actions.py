"""Request actions (analyse, start, cancel, stop …): a POST without a body, 204 once done, 404 or 409 if not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from fastapi import APIRouter, Response

from .deps import Batch
from .schemas import CONFLICT, NOT_FOUND


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
