"""Route dependencies, typed: the engine's services, the bearer-token check, request bodies and list queries.

A route names what it needs (`batch: Batch`, `body: BatchBody`); tests swap a service with
`app.dependency_overrides[batch_service] = ...`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Callable, Optional, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ...core.batch_models import PayloadError
from ..auth import TokenIssuer
from ..batch_service import BatchService
from ..catalog_choice import CatalogChoice
from ..config import Settings
from ..errors import bad_request, unauthorized
from ..scheduler import Scheduler
from ..statistical_batch import StatisticalRequests
from ..store import JobStore
from .schemas import COMMON_ERRORS

T = TypeVar("T")

# --- services (built once by engine/app.py:build_services, kept on app.state) ------------------------------


def batch_service(request: Request) -> BatchService:
    return request.app.state.services.batch


def job_store(request: Request) -> JobStore:
    return request.app.state.services.store


def token_issuer(request: Request) -> TokenIssuer:
    return request.app.state.services.tokens


def engine_settings(request: Request) -> Settings:
    return request.app.state.services.settings


def tile_scheduler(request: Request) -> Scheduler:
    return request.app.state.services.scheduler


def catalog_choice(request: Request) -> CatalogChoice:
    return request.app.state.services.catalogs


def statistical_requests(request: Request) -> StatisticalRequests:
    return request.app.state.services.statistical


Batch = Annotated[BatchService, Depends(batch_service)]
Statistical = Annotated[StatisticalRequests, Depends(statistical_requests)]
Store = Annotated[JobStore, Depends(job_store)]
Tokens = Annotated[TokenIssuer, Depends(token_issuer)]
EngineSettings = Annotated[Settings, Depends(engine_settings)]
TileScheduler = Annotated[Scheduler, Depends(tile_scheduler)]
Catalogs = Annotated[CatalogChoice, Depends(catalog_choice)]

# --- bearer tokens -------------------------------------------------------------------------------------------

# auto_error=False: a missing or non-bearer header gets the engine's own 401 body, not FastAPI's
bearer = HTTPBearer(auto_error=False, description="A token from POST /oauth/token (client credentials).")


def require_token(
    tokens: Tokens, credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)]
) -> dict:
    """The token's claims, or 401 (a route or router lists it in `dependencies`)."""
    if credentials is None:
        raise unauthorized()
    return tokens.verify(credentials.credentials)


def protected_router(prefix: str, tag: str) -> APIRouter:
    """A router whose every route needs a token and documents the common error answers."""
    return APIRouter(
        prefix=prefix, tags=[tag], dependencies=[Depends(require_token)], responses=COMMON_ERRORS
    )


# --- request bodies -----------------------------------------------------------------------------------------


async def json_or_multipart(request: Request, evalscript_in: Optional[str] = "processRequest") -> dict:
    """A request body as JSON, or as multipart with a `request` JSON part and an `evalscript` part.

    The evalscript part goes into `body[evalscript_in]` (batch requests), or the body itself (None:
    Process API requests)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        raw = form.get("request")
        if raw is None:
            raise bad_request(
                "The multipart body needs a 'request' part holding the JSON request.", "request"
            )
        text = raw if isinstance(raw, str) else (await raw.read()).decode(errors="replace")
        body = _parse_json(text)
        evalscript = form.get("evalscript")
        if evalscript is not None:
            script = (
                evalscript
                if isinstance(evalscript, str)
                else (await evalscript.read()).decode(errors="replace")
            )
            (body.setdefault(evalscript_in, {}) if evalscript_in else body)["evalscript"] = script
        return body
    raw_body = await request.body()
    if not raw_body:
        raise bad_request("The request body is empty: send the request as JSON.")
    return _parse_json(raw_body.decode(errors="replace"))


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number (JSON has no NaN or Infinity): send a finite number")


def _parse_json(text: str) -> Any:
    try:
        body = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise bad_request(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except ValueError as exc:  # NaN, Infinity, -Infinity (Python's json reads them; JSON has none)
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise bad_request("The request body is not valid JSON: it is nested too deeply.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def parsed(parse: Callable[[dict], T], body: dict) -> T:
    """`parse(body)`; a PayloadError is answered 400, naming the field at fault."""
    try:
        return parse(body)
    except PayloadError as exc:
        raise bad_request(str(exc), exc.field) from None


async def batch_body(request: Request) -> dict:
    """A batch request body; a multipart evalscript part goes into its processRequest."""
    return await json_or_multipart(request)


async def statistical_body(request: Request) -> dict:
    """A batch statistical request body; a multipart evalscript part goes into its aggregation."""
    return await json_or_multipart(request, evalscript_in="aggregation")


async def process_body(request: Request) -> dict:
    """A Process API request body; a multipart evalscript part goes into the body itself."""
    return await json_or_multipart(request, evalscript_in=None)


BatchBody = Annotated[dict, Depends(batch_body)]
ProcessBody = Annotated[dict, Depends(process_body)]
StatisticalBody = Annotated[dict, Depends(statistical_body)]
