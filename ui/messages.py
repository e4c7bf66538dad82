"""What the user reads when a call fails: the service's message, and what they can do about it."""

from __future__ import annotations

from ..core.http import (
    AuthError,
    ConflictError,
    ConnectionFailure,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from ..core.tasks import ClientCallTask


def with_hint(task: ClientCallTask) -> str:
    """The service's message, and what the user can do about it."""
    error = task.exception
    message = task.error or "unknown error"
    hint = ""
    if isinstance(error, AuthError):
        hint = "Check the client id and secret in the Tilewise settings (⚙)."
    elif isinstance(error, ForbiddenError):
        hint = "Your account may lack access to this: check its plan or the collection's permissions."
    elif isinstance(error, ConnectionFailure):
        hint = ("Check the deployment's URL and your network or proxy (Settings → Options → Network); for the "
                "local engine, run `make engine` or `make run`.")  # fmt: skip
    elif isinstance(error, RateLimitError):
        hint = "The service asks to slow down: try again in a minute."
    elif isinstance(error, ServerError):
        hint = "The service had a problem: try again later."
    elif isinstance(error, ConflictError):
        hint = "The job's status does not allow this now: refresh the Jobs tab."
    elif isinstance(error, NotFoundError):
        hint = "The job may have been deleted: refresh the Jobs tab."
    return f"{message} {hint}".strip()
