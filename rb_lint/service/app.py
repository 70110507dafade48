"""The ASGI application: `create_app(settings)` mounts the API, the jobs (engineer J's router),
the limits and metrics (J's middleware), the token check, CORS and the browser page."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rb_lint import __version__
from rb_lint.core.context import RunObserver
from rb_lint.core.engine import Report
from rb_lint.service import jobs_api, limits, metrics, problems
from rb_lint.service.asgi import call_timed
from rb_lint.service.auth import TokenMiddleware
from rb_lint.service.bundle import Bundle, DocumentsBody, PathsBody, read_bundle, remove_empty_root
from rb_lint.service.linting import MEDIA_TYPES, lint_bundle, negotiate_format, render_report
from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings

SETTINGS_VARIABLE = "RB_LINT_SERVE_SETTINGS"  # JSON settings for `app_from_environment` (workers)
STATIC = Path(str(files("rb_lint.service") / "static"))
log = logging.getLogger("rb_lint.service")

DESCRIPTION = """\
rb-lint as a service: the same engine as `rb-lint check`, over HTTP.

`POST /v1/lint` takes a bundle in one of three bodies and answers the report (JSON by default, the
schema and fingerprints of `rb-lint check --format json`; SARIF, JUnit, text or JSON lines by
`?format=` or `Accept`):

* `application/json` `{"documents": {"items/a.json": "<text>"}, "config": {...}, "taxonomy": ...}`.
  A document given as a **string** is linted as it is: lines and columns are exact. A document given
  as a **JSON value** is linted as its canonical serialisation, `json.dumps(value, indent=2)` (two
  spaces), so lines and columns refer to that text.
* `multipart/form-data`: repeated `files` parts whose filenames are their bundle paths
  (`items/a.json`, `masks/p1.nii.gz`), and optional `config` (JSON text), `taxonomy` (a bundle path),
  `kind`, `select` and `ignore` (comma-separated) fields.
* `application/json` `{"paths": ["items/a.json"]}`: files under a `--root` of the server
  (`root-name:path` when it has several).

Errors are `application/problem+json` (RFC 9457). Uploads are written to a private temporary
folder removed after the request; nothing outside the bundle (or the root) is ever read.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On shutdown, cancel the jobs and remove their bundles (and the in-memory bundles' folder)."""
    yield
    await run_in_threadpool(app.state.jobs.shutdown)
    remove_empty_root()


def create_app(settings: ServeSettings) -> FastAPI:
    """The service, configured by `settings` (never by a client)."""
    app = FastAPI(
        title="rb-lint",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    store = jobs_api.install(app, settings)  # POST/GET/DELETE /v1/jobs (app.state.jobs)
    _add_api(app, settings)
    _add_service_routes(app, store)
    _add_page(app)
    _add_middleware(app, settings)
    return app


def _add_middleware(app: FastAPI, settings: ServeSettings) -> None:
    """Added innermost first: limits, CORS, the token, metrics (which counts every answer, refusals
    included), then the catch-all outside everything."""
    limits.install(app, settings)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Location", "Retry-After"],
        )
    if settings.token:
        app.add_middleware(TokenMiddleware, token=settings.token)
    metrics.install(app, settings)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.access_log:
        _log_to_stderr()
        app.add_middleware(AccessLogMiddleware)
    app.add_middleware(CatchAllMiddleware)


def _log_to_stderr() -> None:
    """Our own log lines (`rb-lint: ...`) on stderr, INFO and above."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("rb-lint: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.INFO)


PAGE_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeadersMiddleware:
    """`nosniff` on every answer; on the page and its files also a strict content security policy
    (the page loads nothing from elsewhere and runs no inline script) and no framing. `/docs` is
    FastAPI's Swagger page, which loads its scripts from a CDN: it keeps its own headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        page = path == "/" or path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if page:
                    headers.extend(PAGE_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLogMiddleware:
    """One line a request: method, route template (never the path a client wrote, which may name
    a file), status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def finished(status: int, seconds: float) -> None:
            log.info("%s %s %d %.1fms", scope.get("method"), _route(scope), status, seconds * 1000)

        await call_timed(self.app, scope, receive, send, finished)


class CatchAllMiddleware:
    """A bug anywhere (a middleware included) answers a 500 problem and logs one line (the
    exception's type); unlike Starlette's own error middleware it re-raises nothing, so no
    traceback, which may quote data, reaches the server log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            log.error("internal error on %s %s: %s", scope.get("method"), _route(scope), type(error).__name__)
            if not started:
                await problems.problem(500, "internal error (the server log names its type)")(
                    scope, receive, send
                )


def _route(scope: Scope) -> str:
    """The route template of a request (`/v1/jobs/{job_id}`), or `-` when none matched."""
    route = scope.get("route")
    return str(getattr(route, "path", "-"))


# --- the API ----------------------------------------------------------------------------------


def _lint_openapi() -> dict[str, Any]:
    documents = DocumentsBody.model_json_schema(ref_template="#/components/schemas/{model}")
    paths = PathsBody.model_json_schema(ref_template="#/components/schemas/{model}")
    multipart = {
        "type": "object",
        "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "config": {"type": "string", "description": "[tool.rb-lint] keys as a JSON object"},
            "taxonomy": {"type": "string", "description": "the taxonomy's bundle path"},
            "kind": {"type": "string"},
            "select": {"type": "string", "description": "comma-separated rule codes or prefixes"},
            "ignore": {"type": "string", "description": "comma-separated rule codes or prefixes"},
        },
        "required": ["files"],
    }
    report = {"description": "The report", "content": {media: {} for media in set(MEDIA_TYPES.values())}}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"oneOf": [documents, paths]}},
                "multipart/form-data": {"schema": multipart},
            },
        },
        "parameters": [
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": list(MEDIA_TYPES)},
                "description": "The report format (else the Accept header; default json).",
            }
        ],
        "responses": {"200": report},
    }


def _add_api(app: FastAPI, settings: ServeSettings) -> None:
    @app.post("/v1/lint", tags=["lint"], summary="Lint a bundle", openapi_extra=_lint_openapi())
    async def lint(request: Request) -> Response:
        """Lint documents (and the masks they reference) and answer the report. Small inputs
        only: big ones go to `POST /v1/jobs`."""
        fmt = negotiate_format(request)  # 406 before the body is read
        bundle = await read_bundle(request, settings, in_memory=True)
        body, media = await lint_in_thread(
            bundle, settings, fmt, observer=_observer(request), record=_recorder(request)
        )
        return Response(content=body, media_type=media)

    @app.get("/v1/rules", tags=["rules"], summary="Every rule")
    async def rules() -> list[dict[str, str]]:
        """Every rule: code, name, default severity, summary and family."""
        from rb_lint.rules import FAMILIES

        listed = [_rule_summary(rule, family) for family, found in FAMILIES.items() for rule in found]
        return sorted(listed, key=lambda item: item["code"])

    @app.get("/v1/rules/{code}", tags=["rules"], summary="A rule's documentation")
    async def rule(code: str) -> dict[str, Any]:
        """A rule's documentation (by code or name): `text` as `rb-lint rule CODE` prints it,
        and its sections (What, Why, Failing, Fixed)."""
        from rb_lint.rules import FAMILIES, find_rule

        found = find_rule(code)
        if found is None:
            raise ProblemError(404, "no such rule (GET /v1/rules lists them)")
        family = next(name for name, rules in FAMILIES.items() if found in rules)
        text = f"{found.code} {found.name} [{found.severity}]\n\n{found.summary}\n\n{found.doc}\n"
        return {
            **_rule_summary(found, family),
            "kinds": sorted(found.kinds),
            "scope": found.scope,
            "sections": found.sections,
            "text": text,
        }

    @app.get("/v1/schemas", tags=["schemas"], summary="The document kinds with a JSON schema")
    async def schemas() -> list[str]:
        from rb_lint.models.schemas import SCHEMAS

        return sorted(SCHEMAS)

    @app.get("/v1/schemas/{name}", tags=["schemas"], summary="A document kind's JSON schema")
    async def schema(name: str) -> Response:
        """The JSON Schema of a document kind, as `rb-lint schema NAME` prints it."""
        from rb_lint.models.kind_names import KIND_ALIASES
        from rb_lint.models.schemas import SCHEMAS, render

        found = SCHEMAS.get(KIND_ALIASES.get(name, name))
        if found is None:
            raise ProblemError(404, f"no such schema: use one of {', '.join(sorted(SCHEMAS))}")
        return Response(render(found), media_type="application/schema+json")


def _rule_summary(rule: Any, family: str) -> dict[str, str]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": str(rule.severity),
        "summary": rule.summary,
        "family": family,
    }


def _observer(request: Request) -> RunObserver | None:
    """The run's observer the limits middleware gives (the per-request timeout cancels through it)."""
    observer = getattr(request.state, "observer", None)
    return observer if observer is not None else None


def _recorder(request: Request) -> Callable[[Report], None]:
    """Counts a report's findings in the app's metrics (findings by rule)."""
    app = request.app
    return lambda report: metrics.count_findings(app, report)


async def lint_in_thread(
    bundle: Bundle,
    settings: ServeSettings,
    fmt: str,
    observer: RunObserver | None = None,
    record: Callable[[Report], None] | None = None,
) -> tuple[str, str]:
    """Lint and render `bundle` in a worker thread (never on the event loop); the bundle is
    removed when done, even if the client went away meanwhile (the thread removes it)."""
    started = False

    def work() -> tuple[str, str]:
        nonlocal started
        started = True
        try:
            report = lint_bundle(bundle, settings, observer)
            if record is not None:
                record(report)
            return render_report(report, bundle, fmt)
        finally:
            bundle.cleanup()

    try:
        return await run_in_threadpool(work)
    finally:
        if not started:  # cancelled before the thread ran
            bundle.cleanup()


# --- health and the page ----------------------------------------------------------------------


def _add_service_routes(app: FastAPI, store: Any) -> None:
    @app.get("/healthz", tags=["service"], summary="The server is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], summary="The server accepts work")
    async def readyz() -> JSONResponse:
        ready = _accepting(store)
        body = {"status": "ready" if ready else "busy"}
        return JSONResponse(body, status_code=200 if ready else 503)


def _accepting(store: Any) -> bool:
    if store is None:
        return True
    accepting = getattr(store, "accepting", None)
    return bool(accepting()) if callable(accepting) else True


def _add_page(app: FastAPI) -> None:
    """The browser page (`/`) and its files (`/static/*`), from the package."""

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        index = STATIC / "index.html"
        if not index.is_file():
            raise ProblemError(404, "the page is not installed")
        return FileResponse(index, media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")


# --- several worker processes -----------------------------------------------------------------


def settings_to_environment(settings: ServeSettings) -> str:
    """The settings as JSON for `SETTINGS_VARIABLE` (uvicorn's worker processes import the app)."""
    values = {name: getattr(settings, name) for name in settings.__dataclass_fields__}
    values["roots"] = [str(root) for root in settings.roots]
    values["cors_origins"] = list(settings.cors_origins)
    values["remote_roots"] = list(settings.remote_roots)
    values["jobs_dir"] = None if settings.jobs_dir is None else str(settings.jobs_dir)
    values["token"] = None  # the token travels in RB_LINT_TOKEN, never in another variable
    return json.dumps(values)


def app_from_environment() -> FastAPI:
    """The app a uvicorn worker process builds (`rb_lint.service.app:app_from_environment`,
    a factory): settings from `SETTINGS_VARIABLE`, the token from RB_LINT_TOKEN."""
    from rb_lint.service.settings import token_from_environment

    values = json.loads(os.environ.get(SETTINGS_VARIABLE, "{}"))
    values["roots"] = tuple(Path(root) for root in values.get("roots", ()))
    values["remote_roots"] = tuple(values.get("remote_roots", ()))
    values["cors_origins"] = tuple(values.get("cors_origins", ()))
    jobs_dir = values.get("jobs_dir")
    values["jobs_dir"] = None if jobs_dir is None else Path(jobs_dir)
    values["token"] = token_from_environment()
    return create_app(ServeSettings(**values))
