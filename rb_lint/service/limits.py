"""The service's limits, one ASGI middleware enforcing them before the app reads a body:

- body size: a `Content-Length` over `max_body` gets 413 before a byte is read; a body that
  streams more (chunked, or a lying length) gets 413 as soon as the limit is crossed, the rest
  left unread;
- concurrency: `POST /v1/lint` and `POST /v1/jobs` beyond `settings.concurrency` at once get 429
  with `Retry-After`;
- time: a `POST /v1/lint` gets a cancellable run observer (`request.state.observer`, which the
  route passes to the library). At `request_timeout` the observer is cancelled, the run stops at
  its next document or mask by raising `RunCancelled`, and the answer is a 503 problem pointing
  at `/v1/jobs`.

The file count (`max_files`) is checked where bundles are read (`bundle.read_bundle`, 413), the
voxel and mask-size limits by the library (`masks.max-uncompressed-bytes`, capped by the server).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rb_lint.core.context import RunCancelled
from rb_lint.service.jobs import CancellableObserver
from rb_lint.service.problems import ProblemError, problem
from rb_lint.service.settings import ServeSettings

LINT = ("POST", "/v1/lint")
LIMITED_ROUTES = frozenset({LINT, ("POST", "/v1/jobs")})
RETRY_AFTER_BUSY = 1  # seconds: a lint request usually ends within one


class BodyTooLarge(ProblemError):
    """The request body crossed `max_body` while it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes (`--max-body`)")


@dataclass
class LimitState:
    """What the limits count now (`app.state.limits`; the metrics read `lints`)."""

    limited: int = 0  # limited requests being answered (touched on the event loop only)
    lints: int = 0  # of which `POST /v1/lint`


class LimitsMiddleware:
    """Body size (413), concurrency (429) and the synchronous lint's time (503)."""

    def __init__(self, app: ASGIApp, settings: ServeSettings, state: LimitState) -> None:
        self.app = app
        self.settings = settings
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.settings.max_body:
            await _answer(BodyTooLarge(self.settings.max_body), scope, send)
            return
        route = (scope["method"], scope["path"].rstrip("/"))
        if route not in LIMITED_ROUTES:
            await self._guarded(scope, receive, send)
            return
        concurrency = max(self.settings.concurrency, 1)
        if self.state.limited >= concurrency:
            detail = f"more than {concurrency} lint requests at once (`--max-concurrency`); retry later"
            await _answer(
                ProblemError(429, detail, headers={"Retry-After": str(RETRY_AFTER_BUSY)}), scope, send
            )
            return
        lint = route == LINT
        self.state.limited += 1
        self.state.lints += lint
        try:
            await self._guarded(scope, receive, send, timed=lint)
        finally:
            self.state.limited -= 1
            self.state.lints -= lint

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, *, timed: bool = False) -> None:
        """Run the app with a `receive` that raises `BodyTooLarge` past the limit and, when
        `timed`, an observer cancelled at the deadline; answer 413 or 503 ourselves when that
        escapes the app before it started a response."""
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.settings.max_body:
                    raise BodyTooLarge(self.settings.max_body)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        timer = None
        if timed:
            observer = CancellableObserver()
            scope["state"] = {**scope.get("state", {}), "observer": observer}
            timer = asyncio.get_running_loop().call_later(self.settings.request_timeout, observer.cancel)
        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as error:
            if started:
                raise
            await _answer(error, scope, send)
        except RunCancelled:
            if started:
                raise
            await _answer(self._timed_out(), scope, send)
        finally:
            if timer is not None:
                timer.cancel()

    def _timed_out(self) -> ProblemError:
        return ProblemError(
            503,
            f"linting took longer than {self.settings.request_timeout:g} s (`--request-timeout`): "
            "submit big inputs to POST /v1/jobs and poll the job",
            headers={"Retry-After": str(RETRY_AFTER_BUSY)},
        )


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(error: ProblemError, scope: Scope, send: Send) -> None:
    """Answer `error` without reading (more of) the body; the connection is not kept."""

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    response = problem(error.status, error.detail, headers={**error.headers, "Connection": "close"})
    await response(scope, no_body, send)


def install(app: FastAPI, settings: ServeSettings) -> LimitState:
    """Add the limits to `app` (`app.state.limits` counts what runs)."""
    state = LimitState()
    app.state.limits = state
    app.add_middleware(LimitsMiddleware, settings=settings, state=state)
    return state
