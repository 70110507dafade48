"""The service's limits on the real server: body size (413, declared or streamed, answered before
the rest is read), files per bundle (413), lint requests at once (429 with `Retry-After`), and
the synchronous lint's time (503 pointing at /v1/jobs, the run cancelled, its files removed)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from serve_server import Server, running_server
from test_serve_jobs import bundle_folders, items_part, slow_files

MAX_BODY = 2000
MAX_FILES = 3
SOCKET_TIMEOUT = 30.0
TRIES = 200  # bounded waits for the server to see a held request
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    args = ["--max-body", str(MAX_BODY), "--max-files", str(MAX_FILES), "--max-concurrency", "1"]
    with running_server(*args) as running:
        yield running


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def connect(server: Server) -> socket.socket:
    parts = urlsplit(server.url)
    assert parts.hostname == "127.0.0.1" and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT)


def head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer_of(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer on `sock` (read until the server closes it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)
    }
    return int(status_line.split()[1]), headers, body


def documents(count: int) -> dict[str, object]:
    return {"documents": {f"d{index}.json": "[]" for index in range(count)}}


def test_a_declared_body_over_max_body_is_413_before_a_byte_of_it_is_sent(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(head("/v1/lint", "Content-Length: 100000000"))  # and no body at all
        status, headers, body = answer_of(sock)
    assert status == 413 and headers["content-type"] == PROBLEM
    assert "--max-body" in json.loads(body)["detail"]


def test_a_streamed_body_over_max_body_is_413_without_reading_the_rest(server: Server) -> None:
    with connect(server) as sock:
        chunk = b"[" + b" " * (MAX_BODY + 500)
        sock.sendall(
            head("/v1/lint", "Transfer-Encoding: chunked") + b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        )
        status, headers, _ = answer_of(sock)  # the body never ends: the answer comes anyway
    assert status == 413 and headers["content-type"] == PROBLEM


def test_bodies_over_max_body_are_413_through_a_client(http: httpx.Client) -> None:
    declared = http.post("/v1/lint", json=documents(1) | {"padding": "x" * MAX_BODY})
    json_type = {"Content-Type": "application/json"}
    streamed = http.post("/v1/jobs", content=iter([b"{", b" " * MAX_BODY, b"}"]), headers=json_type)
    for answer in (declared, streamed):
        assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM


def test_more_files_than_max_files_is_413(http: httpx.Client) -> None:
    assert http.post("/v1/lint", json=documents(MAX_FILES)).status_code == 200
    assert http.post("/v1/lint", json=documents(MAX_FILES + 1)).status_code == 413
    parts = [items_part([], f"d{index}.json") for index in range(MAX_FILES + 1)]
    for path in ("/v1/lint", "/v1/jobs"):
        answer = http.post(path, files=parts)
        assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM
        assert "files" in answer.json()["detail"]


def test_lint_requests_beyond_max_concurrency_are_429_with_retry_after(
    server: Server, http: httpx.Client
) -> None:
    with connect(server) as held:
        held.sendall(head("/v1/lint", "Content-Length: 1000") + b"{")  # the body is still coming
        busy = None
        for _ in range(TRIES):
            answer = http.post("/v1/lint", json=documents(1))
            if answer.status_code == 429:
                busy = answer
                break
            time.sleep(0.05)
        assert busy is not None, "the held request never took the only slot"
        assert busy.headers["content-type"] == PROBLEM and int(busy.headers["retry-after"]) >= 1
        assert http.post("/v1/jobs", json=documents(1)).status_code == 429
        assert http.get("/healthz").status_code == 200  # only lint requests are limited
    for _ in range(TRIES):  # the held connection closed: its slot is free again
        if http.post("/v1/lint", json=documents(1)).status_code == 200:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the slot was never freed")


def test_a_synchronous_lint_over_the_request_timeout_is_cancelled_and_503(tmp_path: Path) -> None:
    with running_server("--request-timeout", "1", env={"TMPDIR": str(tmp_path)}) as server:
        with server.client() as http:
            started = time.monotonic()
            answer = http.post("/v1/lint", files=slow_files())
            took = time.monotonic() - started
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == PROBLEM and int(answer.headers["retry-after"]) >= 1
            assert "/v1/jobs" in answer.json()["detail"]
            assert bundle_folders(tmp_path) == []
            assert http.post("/v1/lint", json=documents(1)).status_code == 200  # the server goes on
        print(f"503 after {took:.1f} s")  # the run alone would take ~20 s
        assert "Traceback" not in server.log()
