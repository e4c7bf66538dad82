"""HTTP to a deployment: timeouts everywhere, retries with backoff and jitter, typed errors (Qt-free).

Retried: 429 (honouring Retry-After, in milliseconds on Sentinel Hub and CDSE), 5xx, connection errors and
timeouts, and, when asked, a 404 (a v2 request is not readable for a moment after its creation, reference
§1.8). Every wait is a `Cancel.wait`, so a cancelled call returns promptly. Errors carry the service's
`message` and `code` and name the deployment; no secret ever reaches one.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import requests

from .deployments import Deployment
from .version import VERSION

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
MAX_RETRY_AFTER_S = 300.0  # a longer Retry-After is waited out by the next poll, not by this call


class Cancel:
    """A cancellation flag that sleeping retries wake up on (QgsTask.cancel sets it)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when cancelled meanwhile."""
        return self._event.wait(max(0.0, seconds))


class ServiceError(Exception):
    """A call that failed; `str()` is the whole user-facing message."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class AuthError(ServiceError):
    """The client id or secret was refused, or the token is not accepted."""


class ForbiddenError(ServiceError):
    """403: the account may not do this (Batch needs an enterprise or Copernicus Service account)."""


class NotFoundError(ServiceError):
    pass


class ConflictError(ServiceError):
    """409: the job's status does not allow the action."""


class BadRequestError(ServiceError):
    """400: the request is wrong; the message is the service's, which says what."""


class RateLimitError(ServiceError):
    pass


class ServerError(ServiceError):
    pass


class ConnectionFailure(ServiceError):
    """The deployment did not answer (unreachable, refused, timed out)."""


class BadResponse(ServiceError):
    """The deployment answered something that is not what the API returns."""


class Cancelled(ServiceError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    not_found_delays_s: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)  # the v2 404-after-create

    def backoff(self, attempt: int) -> float:
        """Exponential with full jitter (attempt 0 is the first retry)."""
        return random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


def service_message(response: requests.Response) -> tuple[str, Optional[str]]:
    """The `error.message` and `error.code` of Sentinel Hub's error body, or the raw text."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return (text[:300] or response.reason or f"HTTP {response.status_code}"), None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("reason") or body), error.get("code")
    if isinstance(body, dict) and ("error_description" in body or "error" in body):  # OAuth errors
        return str(body.get("error_description") or body.get("error")), str(body.get("error"))
    return json.dumps(body)[:300], None


DEFAULT_POLICY = RetryPolicy()


class HttpSession:
    """One requests.Session per deployment (connection reuse); `token` supplies the bearer token."""

    def __init__(
        self,
        deployment: Deployment,
        token: Optional[Callable[[bool], str]] = None,
        proxies: Optional[dict] = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ):
        self.deployment = deployment
        self.policy = policy
        self.timeout = timeout
        self._token = token  # token(refresh: bool) -> str
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"Tilewise-QGIS-plugin/{VERSION}"
        if proxies:
            self.session.proxies.update(proxies)

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: Optional[dict] = None,
        data: Any = None,
        headers: Optional[dict] = None,
        authenticated: bool = True,
        retry_not_found: bool = False,
        cancel: Optional[Cancel] = None,
    ) -> requests.Response:
        cancel = cancel or Cancel()
        refreshed = False
        not_found = 0
        attempt = 0
        while True:
            if cancel.is_set:
                raise Cancelled("Cancelled.")
            call_headers = dict(headers or {})
            if authenticated and self._token is not None:
                call_headers["Authorization"] = f"Bearer {self._token(False)}"
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json_body,
                    params=params,
                    data=data,
                    headers=call_headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt + 1 >= self.policy.attempts:
                    raise ConnectionFailure(
                        f"{self.deployment.name} did not answer at {_origin(url)} "
                        f"({_reason(exc)}): check the URL, your network and proxy settings, or try again later."
                    ) from None
                self._sleep(self.policy.backoff(attempt), cancel)
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and authenticated and self._token is not None and not refreshed:
                refreshed = True  # the token may have expired early: one fresh token, then give up
                self._token(True)
                continue
            if status == 404 and retry_not_found and not_found < len(self.policy.not_found_delays_s):
                self._sleep(self.policy.not_found_delays_s[not_found], cancel)
                not_found += 1
                continue
            if (status == 429 or status >= 500) and attempt + 1 < self.policy.attempts:
                self._sleep(self._retry_after(response) or self.policy.backoff(attempt), cancel)
                attempt += 1
                continue
            if status >= 400:
                raise self._error(response)
            return response

    def close(self) -> None:
        self.session.close()

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise BadResponse(
                f"{self.deployment.name} answered {url} with something that is not JSON "
                f"({response.headers.get('content-type', 'no content type')}): is {self.deployment.base_url} "
                "really a Sentinel Hub API?",
                response.status_code,
            ) from None

    def _retry_after(self, response: requests.Response) -> Optional[float]:
        raw = response.headers.get("Retry-After")
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            return None
        seconds = value / 1000.0 if self.deployment.retry_after_ms else value
        return min(seconds, MAX_RETRY_AFTER_S)

    @staticmethod
    def _sleep(seconds: float, cancel: Cancel) -> None:
        if cancel.wait(seconds):
            raise Cancelled("Cancelled.")

    def _error(self, response: requests.Response) -> ServiceError:
        message, code = service_message(response)
        status = response.status_code
        where = self.deployment.name
        if status == 401:
            return AuthError(f"{where} refused the credentials: {message}", status, code)
        if status == 403:
            return ForbiddenError(
                f"{where} does not allow this for your account: {message}. The Batch API needs an enterprise "
                "Sentinel Hub account or a Copernicus Service account on CDSE.",
                status,
                code,
            )
        if status == 404:
            return NotFoundError(f"{where}: {message}", status, code)
        if status == 409:
            return ConflictError(f"{where}: {message}", status, code)
        if status == 429:
            return RateLimitError(
                f"{where} is limiting requests: {message}. Try again in a minute.", status, code
            )
        if status >= 500:
            return ServerError(f"{where} failed ({status}): {message}. Try again later.", status, code)
        return BadRequestError(f"{where}: {message}", status, code)


def _reason(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Temporary failure in name resolution"):
        if marker in text:
            return marker.lower()
    return exc.__class__.__name__


def _origin(url: str) -> str:
    """scheme://host[:port] of the URL actually requested (the token URL may be on another host)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url
