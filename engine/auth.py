"""OAuth2 client-credentials tokens: HS256 JWTs (PyJWT), so they survive an engine restart.

The signing key is derived from a random key in the data dir (mode 0600) and the client id and secret, so
a new client secret invalidates every token issued with the old one. Tokens carry `exp`; a client
refreshes it the usual way when it expires. Wrong client secrets are throttled per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import jwt

from .errors import ApiError

log = logging.getLogger(__name__)

FREE_FAILURES = 5  # wrong credentials an address may send before it has to wait
FAILURE_WINDOW_S = 600.0  # an address's failures are forgotten after this long without a new one
FIRST_WAIT_S = 1.0  # the wait after the FREE_FAILURES-th failure; it doubles with every further one
MAX_WAIT_S = 300.0
MAX_ADDRESSES = 10_000  # addresses remembered at once (memory bound); the least recently failed go first


@dataclass
class _Failures:
    count: int
    last: float
    blocked_until: float = 0.0


class FailedAttemptThrottle:
    """Slows down guessing of the client secret, per client address.

    An address may fail FREE_FAILURES times; after that it must wait before each attempt, FIRST_WAIT_S and
    then twice as long after every further failure (up to MAX_WAIT_S), and any attempt before then is
    answered 429 without looking at the credentials. A success forgets the address, so a client that
    knows its secret is never slowed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_addresses: int = MAX_ADDRESSES):
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: OrderedDict[str, _Failures] = OrderedDict()  # least recently failed first
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise 429 (with Retry-After) while `address` has to wait."""
        with self._lock:
            entry = self._failures.get(address)
            wait = entry.blocked_until - self._clock() if entry else 0.0
        if wait > 0:
            raise ApiError(
                429,
                f"Too many wrong client credentials from this address: try again in {math.ceil(wait)} s.",
                "RATE_LIMIT_EXCEEDED",
                headers={"Retry-After": str(math.ceil(wait))},
            )

    def failed(self, address: str) -> None:
        now = self._clock()
        with self._lock:
            entry = self._failures.pop(address, None)
            if entry is None or now - entry.last > FAILURE_WINDOW_S:
                entry = _Failures(0, now)
            entry.count += 1
            entry.last = now
            if entry.count >= FREE_FAILURES:
                doublings = min(entry.count - FREE_FAILURES, 20)  # 2**20 s is far past MAX_WAIT_S
                wait = min(FIRST_WAIT_S * 2**doublings, MAX_WAIT_S)
                entry.blocked_until = now + wait
                log.warning(
                    "%d wrong client credentials from %s: it must wait %.0f s", entry.count, address, wait
                )
            self._failures[address] = entry
            while len(self._failures) > self._max_addresses:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def __len__(self) -> int:
        return len(self._failures)


class TokenIssuer:
    def __init__(
        self,
        key_file: Path,
        client_id: str,
        client_secret: str,
        lifetime_s: int,
        throttle: Optional[FailedAttemptThrottle] = None,
    ):
        self._client_id = client_id
        self._client_secret = client_secret
        self._lifetime_s = lifetime_s
        self._key = self._signing_key(self._load_or_create_key(key_file), client_id, client_secret)
        self.throttle = throttle if throttle is not None else FailedAttemptThrottle()

    @staticmethod
    def _signing_key(file_key: bytes, client_id: str, client_secret: str) -> bytes:
        """The key file alone would keep old tokens valid after the secret is changed (say, after a leak):
        with the client in the key, a new secret refuses them. JSON keeps ("ab", "c") and ("a", "bc") apart."""
        client = json.dumps([client_id, client_secret]).encode()
        return hmac.new(file_key, client, hashlib.sha256).digest()

    @staticmethod
    def _load_or_create_key(key_file: Path) -> bytes:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return key_file.read_bytes()

    def issue(
        self,
        grant_type: Optional[str],
        client_id: Optional[str],
        client_secret: Optional[str],
        client_address: str = "unknown",
    ) -> dict:
        self.throttle.check(client_address)  # before the credentials: a guess while waiting tells nothing
        if grant_type != "client_credentials":
            raise ApiError(400, "grant_type must be client_credentials.", "OAUTH_ERROR")
        valid_id = hmac.compare_digest((client_id or "").encode(), self._client_id.encode())
        valid_secret = hmac.compare_digest((client_secret or "").encode(), self._client_secret.encode())
        if not (valid_id and valid_secret):
            self.throttle.failed(client_address)
            raise ApiError(401, "Invalid client credentials: check the client id and secret.", "OAUTH_ERROR")
        self.throttle.succeeded(client_address)
        now = int(time.time())
        claims = {
            "sub": self._client_id,
            "iat": now,
            "exp": now + self._lifetime_s,
            "jti": secrets.token_hex(8),
        }
        return {
            "access_token": jwt.encode(claims, self._key, algorithm="HS256"),
            "token_type": "Bearer",
            "expires_in": self._lifetime_s,
            "expires_at": claims["exp"],
        }

    def verify(self, token: str) -> dict:
        """The token's claims, or ApiError 401."""
        try:
            # the algorithm is ours to name, never the token's header (no "none", no other key type)
            return jwt.decode(token, self._key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise ApiError(
                401,
                "The token has expired: request a new one from the token endpoint.",
                "COMMON_UNAUTHORIZED",
            ) from None
        except jwt.InvalidTokenError:
            raise ApiError(
                401, "Invalid token: request a new one from the token endpoint.", "COMMON_UNAUTHORIZED"
            ) from None
