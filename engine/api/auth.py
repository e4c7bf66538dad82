"""OAuth2 client-credentials token endpoint, at Sentinel Hub's old and new paths."""

from __future__ import annotations

import base64
from typing import Optional

from fastapi import APIRouter, Request

from .deps import services

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


@router.post("/oauth/token", summary="Get an access token (client credentials)")
async def oauth_token(request: Request) -> dict:
    return await _issue(request)


@router.post("/auth/realms/main/protocol/openid-connect/token", summary="Get an access token (Keycloak path)")
async def openid_token(request: Request) -> dict:
    return await _issue(request)
