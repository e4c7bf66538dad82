"""A limit on request bodies, applied before any route reads one (an ASGI middleware).

A client announcing a larger body gets 413 at once; one sending more than it announced, or sending chunks
without a length, is stopped when the limit is crossed, so the engine never holds more than the limit.
"""

from __future__ import annotations

import json

from ..errors import ApiError


def body_too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this engine accepts ({max_bytes // 2**20} MiB): send a smaller request "
        "(simplify the geometry, shorten the description), or raise TILEWISE_MAX_BODY_MB.",
        "COMMON_BAD_PAYLOAD",
    )


class BodySizeLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if announced.isdigit() and int(announced) > self.max_bytes:
            await _send_error(send, body_too_large(self.max_bytes))
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise body_too_large(self.max_bytes)  # answered by the app's ApiError handler
            return message

        await self.app(scope, limited_receive, send)


async def _send_error(send, error: ApiError) -> None:
    body = json.dumps(error.body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
