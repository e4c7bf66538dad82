"""OAuth2 client-credentials token endpoint, at Sentinel Hub's old and new paths."""

from __future__ import annotations

import base64
from typing import Optional

from fastapi import APIRouter, Request

from .deps import Tokens
from .schemas import COMMON_ERRORS, ERROR, AccessToken

router = APIRouter(tags=["auth"])


# The form is read here rather than declared with Form(): credentials may come as HTTP Basic auth instead, a
# wrong Basic header counts as a wrong secret (throttled), and every refusal has the engine's error body.
# (A docstring here would become the operations' description in the OpenAPI document.)
async def issue_token(request: Request, tokens: Tokens) -> dict:
    form = await request.form()
    client_id: Optional[str] = form.get("client_id")
    client_secret: Optional[str] = form.get("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):  # client credentials in HTTP Basic auth (RFC 6749 §2.3.1)
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id = client_secret = None
    # behind a reverse proxy on this machine, uvicorn takes the client's address from X-Forwarded-For
    address = request.client.host if request.client else "unknown"
    return tokens.issue(form.get("grant_type"), client_id, client_secret, address)


# The form the token endpoints read themselves (credentials may also come as HTTP Basic auth).
TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    }
}
TOKEN_RESPONSES: dict = {
    200: {"model": AccessToken},
    **{status: COMMON_ERRORS[status] for status in (400, 413, 500)},
    401: {**ERROR, "description": "Unknown client id or wrong secret."},
    429: {
        **ERROR,
        "description": "Too many wrong secrets from this address: wait as long as Retry-After says.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    },
}


# Sentinel Hub's old path and its Keycloak path; the route names make the operationIds
for path, name, summary in (
    ("/oauth/token", "oauth_token", "Get an access token (client credentials)"),
    (
        "/auth/realms/main/protocol/openid-connect/token",
        "openid_token",
        "Get an access token (Keycloak path)",
    ),
):
    router.add_api_route(
        path,
        issue_token,
        methods=["POST"],
        name=name,
        summary=summary,
        responses=TOKEN_RESPONSES,
        openapi_extra=TOKEN_FORM,
    )
