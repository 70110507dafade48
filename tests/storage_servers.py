"""Loopback servers for the storage tests (no internet): moto's S3 server, a plain HTTP server for
https-style public items, and a fault-injection proxy in front of either.

- `S3Server`: moto's `ThreadedMotoServer` on 127.0.0.1 and a free port. moto runs in this process:
  `backend()` is its in-process S3 backend (a fast bulk put for big listings).
- `HttpServer`: serves `files` (path -> bytes) with HEAD, GET, Range and ETag; counts requests.
- `FaultProxy`: forwards to an upstream server; rules make it answer an error status (with an
  S3-style XML error body) N times or forever, drop the connection mid-body, or stall.

Pytest fixtures: `s3_server` (module scope), `s3_env` (credentials for moto in the environment,
nothing from the developer's own AWS setup), `http_server`, `proxy_for` (a factory). Every server
is stopped by its fixture; every wait is bounded."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-value"}
CLEARED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)
STOP_WAIT = 10.0


# -- moto S3 -------------------------------------------------------------------------------------
class S3Server:
    """moto's S3 server on loopback; `endpoint` is its URL."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.port = port

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def bucket(self, name: str, objects: dict[str, bytes] | None = None) -> Any:
        client = self.client()
        client.create_bucket(Bucket=name)
        for key, body in (objects or {}).items():
            client.put_object(Bucket=name, Key=key, Body=body)
        return client

    @staticmethod
    def backend() -> Any:
        """moto's in-process S3 backend (the server thread shares it)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]

    def bulk_put(self, bucket: str, keys: list[str], body: bytes = b"x") -> None:
        """Many small objects straight into the backend (no HTTP request per object)."""
        backend = self.backend()
        for key in keys:
            backend.put_object(bucket, key, body)

    def reset(self) -> None:
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        stopper = threading.Thread(target=self.server.stop, daemon=True)
        stopper.start()
        stopper.join(STOP_WAIT)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch, s3_server: S3Server, tmp_path: Any) -> S3Server:
    """Credentials for moto in the environment (botocore's standard chain reads them), no config
    files, no proxies; moto's state reset."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s3_server.reset()
    return s3_server


# -- plain HTTP ----------------------------------------------------------------------------------
class HttpServer:
    """Serves `files` (path without leading "/" -> bytes) on loopback with HEAD, GET (Range) and
    ETag. `requests` lists (method, path) of every request."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                with outer.lock:
                    outer.requests.append((self.command, self.path))
                path = self.path.split("?", 1)[0].lstrip("/")
                data = outer.files.get(path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start, end, status = 0, len(data), 200
                wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if wanted:
                    start = int(wanted.group(1))
                    end = min(len(data), int(wanted.group(2)) + 1) if wanted.group(2) else len(data)
                    status = 206
                self.send_response(status)
                self.send_header("Content-Length", str(max(0, end - start)))
                self.send_header("ETag", '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"')
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
                self.end_headers()
                if body:
                    self.wfile.write(data[start:end])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for seen, _ in self.requests if seen == method)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(STOP_WAIT)


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    server = HttpServer()
    try:
        yield server
    finally:
        server.stop()


# -- fault injection -----------------------------------------------------------------------------
@dataclass
class Rule:
    """What to do to requests matching `match(method, path)`: `times` of them (None: all)."""

    kind: str  # "status" | "drop" | "stall"
    times: int | None = 1
    match: Callable[[str, str], bool] = lambda method, path: True
    status: int = 503
    code: str = "SlowDown"
    seconds: float = 30.0  # "stall": how long to hold the request (until the proxy stops)
    applied: int = 0


@dataclass
class FaultProxy:
    """An HTTP proxy on loopback in front of `upstream` ("127.0.0.1:port"). Requests are forwarded
    as they are (Host header and signature included); rules inject faults."""

    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)  # whether each request carried Authorization
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 60

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.handle(self)

            do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def add(
        self,
        kind: str,
        times: int | None = 1,
        match: Callable[[str, str], bool] | None = None,
        **options: Any,
    ) -> Rule:
        rule = Rule(kind, times, match or (lambda method, path: True), **options)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def count(self, method: str | None = None) -> int:
        with self.lock:
            return sum(1 for seen, _ in self.seen if method is None or seen == method)

    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self.lock:
            self.seen.append((method, path))
            for rule in self.rules:
                if (rule.times is None or rule.applied < rule.times) and rule.match(method, path):
                    rule.applied += 1
                    return rule
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.signed.append(bool(handler.headers.get("Authorization")))
        rule = self._rule_for(method, path)
        if rule is not None and rule.kind == "status":
            error = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{rule.code}</Code>'
                f"<Message>injected</Message><RequestId>proxy</RequestId></Error>"
            ).encode()
            handler.send_response(rule.status)
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", str(len(error)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(error)
            return
        if rule is not None and rule.kind == "stall":
            self.stopping.wait(rule.seconds)
            handler.close_connection = True
            return
        upstream = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            headers = {name: value for name, value in handler.headers.items() if name.lower() != "connection"}
            upstream.request(method, path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        handler.send_response(response.status)
        dropped = ("connection", "transfer-encoding", "server", "date")
        for name, value in response.getheaders():
            if name.lower() not in dropped and (method == "HEAD" or name.lower() != "content-length"):
                handler.send_header(name, value)
        if method != "HEAD":
            handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if method == "HEAD":
            return
        if rule is not None and rule.kind == "drop":
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.wfile.write(data)

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(STOP_WAIT)


@pytest.fixture(name="proxy_for")
def proxy_for_fixture() -> Iterator[Callable[[str], FaultProxy]]:
    """A factory: `proxy_for("http://127.0.0.1:port")` → a FaultProxy in front of that server."""
    made: list[FaultProxy] = []

    def make(endpoint: str) -> FaultProxy:
        proxy = FaultProxy(endpoint.split("://", 1)[-1].rstrip("/"))
        made.append(proxy)
        return proxy

    try:
        yield make
    finally:
        for proxy in made:
            proxy.stop()


def wait_until(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()
