"""OAuth2 client-credentials token endpoint, at Sentinel Hub's old and new paths."""

from __future__ import annotations

import base64
from typing import Optional

from fastapi import APIRouter, Request

from .deps import services
from .schemas import COMMON_ERRORS, ERROR, AccessToken

router = APIRouter(tags=["auth"])


async def _issue(request: Request) -> dict:
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
    return services(request).tokens.issue(form.get("grant_type"), client_id, client_secret, address)


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


@router.post(
    "/oauth/token",
    summary="Get an access token (client credentials)",
    responses=TOKEN_RESPONSES,
    openapi_extra=TOKEN_FORM,
)
async def oauth_token(request: Request) -> dict:
    return await _issue(request)


@router.post(
    "/auth/realms/main/protocol/openid-connect/token",
    summary="Get an access token (Keycloak path)",
    responses=TOKEN_RESPONSES,
    openapi_extra=TOKEN_FORM,
)
async def openid_token(request: Request) -> dict:
    return await _issue(request)
