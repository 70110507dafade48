"""RFC 9457 problem details: every error the service answers, and the handlers that make sure no
traceback (nor anything the client sent) ever reaches a client or the log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("rb_lint.service")


class ProblemError(Exception):
    """An error answered as a problem-details document. `detail` must never quote document content."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        type: str = "about:blank",
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or _title(status))
        self.status = status
        self.title = title or _title(status)
        self.detail = detail
        self.headers = dict(headers or {})
        self.type = type
        self.extra = dict(extra or {})  # more members (RFC 9457 extensions), e.g. `errors`


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(error: ProblemError) -> JSONResponse:
    """The problem-details response of `error`."""
    body: dict[str, Any] = {"type": error.type, "title": error.title, "status": error.status}
    if error.detail:
        body["detail"] = error.detail
    body.update(error.extra)
    return JSONResponse(body, status_code=error.status, headers=error.headers, media_type=PROBLEM_JSON)


def problem(status: int, detail: str = "", **kwargs: Any) -> JSONResponse:
    """A problem-details response (a shortcut for middleware that cannot raise)."""
    return problem_response(ProblemError(status, detail, **kwargs))


async def _on_problem(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    return problem_response(error)


async def _on_http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = (
        error.detail if isinstance(error.detail, str) and error.detail != _title(error.status_code) else ""
    )
    return problem_response(ProblemError(error.status_code, detail, headers=error.headers))


async def _on_validation(_request: Request, error: Exception) -> JSONResponse:
    """A request that does not match the API: where, and what was expected (never the value sent)."""
    assert isinstance(error, RequestValidationError)
    places = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()))
        places.append(f"{where}: {item.get('msg', 'invalid')}")
    return problem_response(ProblemError(422, "; ".join(places) or "the request is not valid"))


async def _on_bug(request: Request, error: Exception) -> JSONResponse:
    """A bug: one log line naming the route and the exception type, nothing the client sent."""
    route = request.scope.get("route")
    template = getattr(route, "path", "?")
    log.error("internal error on %s %s: %s", request.method, template, type(error).__name__)
    return problem_response(ProblemError(500, "internal error (the server log names its type)"))


def install(app: FastAPI) -> None:
    """Answer every error as problem details."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Exception, _on_bug)
