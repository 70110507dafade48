"""The optional bearer token: when the server has one, every `/v1/*` and `/metrics` request must
carry it (`Authorization: Bearer <token>`), compared in constant time. The page, its files, the
health checks and the API documentation stay open (the page asks for the token itself)."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from rb_lint.service.problems import problem

PROTECTED_PREFIXES = ("/v1/", "/metrics")


def needs_token(path: str) -> bool:
    """Whether a request path is behind the token."""
    return path == "/v1" or path == "/metrics" or path.startswith(PROTECTED_PREFIXES)


def token_matches(header: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries `token` (constant-time comparison)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8"))


class TokenMiddleware:
    """ASGI middleware answering 401 (problem details, `WWW-Authenticate: Bearer`) to a protected
    request without the right token, before anything of its body is read."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "OPTIONS" or not needs_token(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode("latin-1")
        if token_matches(header, self.token):
            await self.app(scope, receive, send)
            return
        response = problem(
            401,
            "send `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": 'Bearer realm="rb-lint"'},
        )
        await response(scope, receive, send)
