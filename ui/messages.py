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
from .i18n import tr


def with_hint(task: ClientCallTask) -> str:
    """The service's message, and what the user can do about it."""
    error = task.exception
    message = task.error or tr("unknown error")
    hint = ""
    if isinstance(error, AuthError):
        hint = tr("Check the client id and secret in the Tilewise settings (⚙).")
    elif isinstance(error, ForbiddenError):
        hint = tr("Your account may lack access to this: check its plan or the collection's permissions.")
    elif isinstance(error, ConnectionFailure):
        hint = tr("Check the deployment's URL and your network or proxy (Settings → Options → Network); for "
                  "the local engine, run `make engine` or `make run`.")  # fmt: skip
    elif isinstance(error, RateLimitError):
        hint = tr("The service asks to slow down: try again in a minute.")
    elif isinstance(error, ServerError):
        hint = tr("The service had a problem: try again later.")
    elif isinstance(error, ConflictError):
        hint = tr("The job's status does not allow this now: refresh the Jobs tab.")
    elif isinstance(error, NotFoundError):
        hint = tr("The job may have been deleted: refresh the Jobs tab.")
    return f"{message} {hint}".strip()
