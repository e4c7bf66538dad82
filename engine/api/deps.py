"""Route dependencies: the engine's services and the bearer-token check."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Optional

from fastapi import Query, Request

from ...core.batch_models import PayloadError
from ..batch_service import SORTS
from ..errors import bad_request, unauthorized


def services(request: Request):
    return request.app.state.services


def require_token(request: Request) -> dict:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized()
    return request.app.state.services.tokens.verify(token.strip())


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


def as_payload_error(exc: PayloadError):
    return bad_request(str(exc), exc.field)


# How a list is sorted
Sort = Annotated[
    Optional[Literal[SORTS]],  # a tuple subscript lists each value
    Query(description="Default created:desc."),
]
# A list's page size: at least 1; larger than the list's page limit means the limit.
Count = Annotated[
    Optional[int], Query(ge=1, le=2**31 - 1, description="Items per page (capped by the engine).")
]
