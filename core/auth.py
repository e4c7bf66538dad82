"""OAuth2 client credentials (reference §1.10): one token per deployment and client, cached and refreshed
before it expires, requested at most once per `min_interval_s` (token requests are rate limited).

The secret is handed in by the caller (the UI reads it from QgsAuthManager); it is never logged, never in an
error message and not in the repr.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from .http import AuthError, BadResponse, HttpSession, ServiceError

REFRESH_BEFORE_S = 120.0  # as sentinelhub-py: a token with less left than this is renewed


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str = field(repr=False)


class TokenSource:
    def __init__(self, http: HttpSession, credentials: ClientCredentials, min_interval_s: float = 2.0):
        self._http = http
        self._credentials = credentials
        self._min_interval_s = min_interval_s
        self._token: Optional[str] = None
        self._refresh_at = 0.0
        self._last_request = -1e9
        self._lock = threading.Lock()
        self.requests = 0  # token requests made (tests and benchmarks read it)

    def __call__(self, refresh: bool = False) -> str:
        with self._lock:
            if refresh or self._token is None or time.monotonic() > self._refresh_at:
                self._fetch()
            return self._token

    def _fetch(self) -> None:
        wait = self._last_request + self._min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()
        self.requests += 1
        deployment = self._http.deployment
        if not self._credentials.client_id or not self._credentials.client_secret:
            raise AuthError(
                f"No client id or secret for {deployment.name}: add them in the Tilewise settings."
            )
        try:
            body = self._http.json(
                "POST",
                deployment.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._credentials.client_id,
                    "client_secret": self._credentials.client_secret,
                },
                authenticated=False,
            )
        except ServiceError as exc:
            if exc.status in (400, 401):
                raise AuthError(
                    f"{deployment.name} refused the client id {self._credentials.client_id!r} or its secret "
                    f"({exc.code or exc.status}): check both in the Tilewise settings for this deployment.",
                    exc.status,
                    exc.code,
                ) from None
            raise
        if not isinstance(body, dict) or not body.get("access_token"):
            raise BadResponse(f"{deployment.name} answered the token request without an access token.")
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 300)
        self._refresh_at = time.monotonic() + lifetime - min(REFRESH_BEFORE_S, lifetime / 2)
