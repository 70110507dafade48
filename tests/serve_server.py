"""The real `rb-lint serve`, started by tests on a free loopback port and stopped after them.

    with running_server("--root", str(data), token="s3cret") as server:
        with server.client() as http:
            http.post("/v1/lint", json={...})

The server is `python -m rb_lint serve --port 0 ...` in a subprocess: the URL is read from the
line it prints on stderr once listening (bounded by `START_TIMEOUT`); the rest of stderr is kept
(`server.log()`), so tests can check what it logged. Stopping is bounded too (terminate, then kill).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_TIMEOUT = 30.0  # seconds for the server to print its URL
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 60.0
URL_LINE = re.compile(r"^rb-lint: serving on (http://\S+)$")


@dataclass
class Server:
    """A running server: its base URL, its process, and what it wrote on stderr so far."""

    url: str
    process: subprocess.Popen[str]
    token: str | None = None
    lines: list[str] = field(default_factory=list)

    def client(self, *, token: str | None = None, authorized: bool = True, **kwargs: object) -> httpx.Client:
        """An httpx client for this server, sending the token (or `token`) unless `authorized=False`."""
        headers: dict[str, str] = {}
        chosen = token if token is not None else self.token
        if authorized and chosen is not None:
            headers["Authorization"] = f"Bearer {chosen}"
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return httpx.Client(base_url=self.url, headers=headers, **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        """Everything the server wrote on stderr so far."""
        return "".join(self.lines)


@contextmanager
def running_server(
    *args: str,
    token: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Run `rb-lint serve --port 0 ARGS...` on 127.0.0.1 for the duration of the block. `token`
    is passed in RB_LINT_TOKEN (as an operator should), never on the command line."""
    environment = {key: value for key, value in os.environ.items() if key != "RB_LINT_TOKEN"}
    environment.update(env or {})
    if token is not None:
        environment["RB_LINT_TOKEN"] = token
    process = subprocess.Popen(
        [sys.executable, "-m", "rb_lint", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=cwd,
    )
    lines: list[str] = []
    urls: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_drain, args=(process, lines, urls), daemon=True)
    reader.start()
    try:
        try:
            url = urls.get(timeout=START_TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"rb-lint serve did not start: {''.join(lines)[-2000:]}") from None
        yield Server(url, process, token, lines)
    finally:
        stop(process)
        reader.join(timeout=STOP_TIMEOUT)


def _drain(process: subprocess.Popen[str], lines: list[str], urls: queue.Queue[str]) -> None:
    """Read stderr to its end (so the server never blocks on a full pipe), announcing the URL."""
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        match = URL_LINE.match(line.strip())
        if match:
            urls.put(match.group(1))


def stop(process: subprocess.Popen[str]) -> None:
    """Terminate the server (SIGTERM: uvicorn shuts down), then kill it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
