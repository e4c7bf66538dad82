"""API errors with Sentinel Hub's error body: {"error": {"status", "reason", "message", "code"}}."""

from __future__ import annotations

from http import HTTPStatus
from typing import Optional


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        errors: Optional[dict] = None,
        headers: Optional[dict[str, str]] = None,  # e.g. Retry-After with a 429
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors
        self.headers = headers

    def body(self) -> dict:
        error = {
            "status": self.status,
            "reason": HTTPStatus(self.status).phrase,
            "message": self.message,
            "code": self.code,
        }
        if self.errors:
            error["errors"] = self.errors
        return {"error": error}


def bad_request(message: str, field: str = "") -> ApiError:
    return ApiError(400, message, "COMMON_BAD_PAYLOAD", {"parameter": field} if field else None)


def not_found(message: str) -> ApiError:
    return ApiError(404, message, "COMMON_NOT_FOUND")


def conflict(message: str) -> ApiError:
    return ApiError(409, message, "COMMON_BAD_PAYLOAD")


def unauthorized(message: str = "Unauthorized: send a valid bearer token (POST /oauth/token).") -> ApiError:
    return ApiError(401, message, "COMMON_UNAUTHORIZED")
