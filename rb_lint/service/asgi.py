"""What the service's ASGI middlewares share: answering a request while watching its status."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def call_timed(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, finished: Callable[[int, float], None]
) -> None:
    """`app` on the request, then `finished(status, seconds)`, even when it raised (status 500:
    the catch-all outside answers that)."""
    start = time.perf_counter()
    status = 500

    async def watched(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    try:
        await app(scope, receive, watched)
    finally:
        finished(status, time.perf_counter() - start)
