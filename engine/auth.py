"""OAuth2 client-credentials tokens: signed (HS256 JWT), so they survive an engine restart.

The signing key lives in the data dir (mode 0600). Tokens carry `exp`; a client
refreshes it the usual way when it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Optional

from .errors import ApiError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self, key_file: Path, client_id: str, client_secret: str, lifetime_s: int):
        self._client_id = client_id
        self._client_secret = client_secret
        self._lifetime_s = lifetime_s
        self._key = self._load_or_create_key(key_file)

    @staticmethod
    def _load_or_create_key(key_file: Path) -> bytes:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return key_file.read_bytes()

    def issue(
        self, grant_type: Optional[str], client_id: Optional[str], client_secret: Optional[str]
    ) -> dict:
        if grant_type != "client_credentials":
            raise ApiError(400, "grant_type must be client_credentials.", "OAUTH_ERROR")
        valid_id = hmac.compare_digest((client_id or "").encode(), self._client_id.encode())
        valid_secret = hmac.compare_digest((client_secret or "").encode(), self._client_secret.encode())
        if not (valid_id and valid_secret):
            raise ApiError(401, "Invalid client credentials: check the client id and secret.", "OAUTH_ERROR")
        now = int(time.time())
        claims = {
            "sub": self._client_id,
            "iat": now,
            "exp": now + self._lifetime_s,
            "jti": secrets.token_hex(8),
        }
        return {
            "access_token": self._sign(claims),
            "token_type": "Bearer",
            "expires_in": self._lifetime_s,
            "expires_at": claims["exp"],
        }

    def _sign(self, claims: dict) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(self, token: str) -> dict:
        """The token's claims, or ApiError 401."""
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(payload))
        except (ValueError, json.JSONDecodeError):
            raise ApiError(
                401, "Invalid token: request a new one from the token endpoint.", "COMMON_UNAUTHORIZED"
            ) from None
        if claims.get("exp", 0) < time.time():
            raise ApiError(
                401,
                "The token has expired: request a new one from the token endpoint.",
                "COMMON_UNAUTHORIZED",
            )
        return claims
