"""Public http(s) objects through fsspec's HTTPFileSystem and aiohttp (the `http` extra).

No listing: existence is one HEAD per object. Reading is one streaming GET, resumed with a Range
header after a failure. No credentials are sent (a URL's `user:password@` is dropped by
`parse_url`); a signed URL's query string is sent but never shown. `settings.http_scheme` ("http")
rewrites https:// URLs for a loopback test server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rb_lint.storage.faults import Fault, StorageProblem, classify_one, from_status, problem
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import ObjectUrl

EXTRA = "http"
LISTABLE = False


class HTTPStatusError(Exception):
    """A response with an error status (its text is only the status: never the URL)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def filesystem(bucket: str, settings: StorageSettings) -> Any:
    import aiohttp
    from fsspec.implementations.http import HTTPFileSystem

    timeout = aiohttp.ClientTimeout(
        total=None, connect=settings.timeout, sock_connect=settings.timeout, sock_read=settings.timeout
    )
    return HTTPFileSystem(
        client_kwargs={
            "timeout": timeout,
            "trace_configs": [aiohttp.TraceConfig()],
            "auto_decompress": False,
        },
        skip_instance_cache=True,
        block_size=settings.block_size,
    )


def instrument(fs: Any, count: Callable[[str], None]) -> bool:
    """Count every request aiohttp starts (the session is made on first use, after this)."""

    async def on_start(_session: Any, _context: Any, params: Any) -> None:
        count({"HEAD": "head", "GET": "get"}.get(str(params.method), str(params.method).lower()))

    for trace in fs.client_kwargs.get("trace_configs", ()):
        trace.on_request_start.append(on_start)
        return True
    return False


def fs_path(url: ObjectUrl) -> str:
    return str(url)


def version_of(info: Mapping[str, Any]) -> str:
    for field in ("ETag", "Last-Modified", "Content-MD5"):
        value = info.get(field)
        if value:
            return str(value).strip('"')
    return ""


def classify(error: BaseException) -> StorageProblem | None:
    if isinstance(error, _NoResume):
        return resume_problem()
    if isinstance(error, HTTPStatusError):
        return None if error.status == 404 else from_status(error.status)
    return classify_one(error)


def info(fs: Any, path: str, **extra: Any) -> dict[str, Any]:
    """One HEAD (a GET whose body is not read when the server refuses HEAD)."""
    from fsspec.asyn import sync

    async def head() -> dict[str, Any]:
        session = await fs.set_session()
        for method in ("HEAD", "GET"):
            async with session.request(
                method, fs.encode_url(path), allow_redirects=True, headers={"Accept-Encoding": "identity"}
            ) as response:
                if method == "HEAD" and response.status in (405, 501):
                    continue
                _check(response.status)
                headers = response.headers
                length = headers.get("Content-Length")
                found: dict[str, Any] = {"name": path, "type": "file"}
                found["size"] = int(length) if length and length.isdigit() else None
                for field in ("ETag", "Last-Modified", "Content-MD5"):
                    if headers.get(field):
                        found[field] = headers[field]
                return found
        raise HTTPStatusError(405)

    result: dict[str, Any] = sync(fs.loop, head, **extra)
    return result


def _check(status: int) -> None:
    if status == 404 or status == 410:
        raise FileNotFoundError(2, "no such object")
    if status >= 400:
        raise HTTPStatusError(status)


def open_stream(fs: Any, path: str, start: int, settings: StorageSettings) -> Any:
    """One streaming GET from byte `start`; its `read(n)` returns up to n bytes, b"" at the end."""
    from fsspec.asyn import sync

    async def get() -> Any:
        session = await fs.set_session()
        headers = {"Accept-Encoding": "identity"}
        if start:
            headers["Range"] = f"bytes={start}-"
        response = await session.get(fs.encode_url(path), headers=headers, allow_redirects=True)
        if response.status >= 400 or (start and response.status != 206):
            status = response.status
            response.release()
            _check(status)
            raise _NoResume()
        return response

    backstop = settings.timeout * 2 + 5
    return _Stream(fs, sync(fs.loop, get, timeout=backstop), backstop)


class _NoResume(Exception):
    """The server answered a Range request with the whole object: the read cannot resume."""


class _Stream:
    def __init__(self, fs: Any, response: Any, backstop: float) -> None:
        self.fs, self.response, self.backstop = fs, response, backstop

    def read(self, size: int) -> bytes:
        from fsspec.asyn import sync

        data: bytes = sync(self.fs.loop, self.response.content.read, size, timeout=self.backstop)
        return data

    def close(self) -> None:
        self.fs.loop.call_soon_threadsafe(self.response.close)


def resume_problem() -> StorageProblem:
    return problem(Fault.RESET, "the server cannot resume a broken transfer")
