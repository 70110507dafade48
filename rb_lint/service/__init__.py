"""The validation service (`rb-lint serve`): HTTP API, jobs, limits, metrics and the browser page.

A layer above `rb_lint.api` (and `docs`, `starter`) and below `rb_lint.cli`: it lints with the
library, never a subprocess. FastAPI, Starlette, uvicorn and prometheus_client are imported only
here (the `serve` extra). `create_app(settings)` builds the ASGI app; `serve(settings)` runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rb_lint.service.settings import ServeSettings

__all__ = ["create_app", "serve"]


def create_app(settings: ServeSettings) -> Any:
    """The ASGI app (FastAPI) for `settings`."""
    from rb_lint.service.app import create_app as build

    return build(settings)


def serve(settings: ServeSettings, on_listening: Any = None) -> None:
    """Run the service until interrupted (see `rb_lint.service.server`)."""
    from rb_lint.service.server import run

    run(settings, on_listening)
