"""The service's settings: what `rb-lint serve` was started with (never what a client sends)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
TOKEN_VARIABLE = "RB_LINT_TOKEN"


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # server processes (uvicorn workers)
    roots: tuple[Path, ...] = ()  # server-side data that `{"paths": [...]}` may name
    token: str | None = None  # bearer token; None: no authentication
    max_body: int = 100 * MB  # request body bytes (413 beyond)
    max_files: int = 10_000  # files in one bundle (413 beyond)
    max_concurrency: int | None = None  # lint requests at once (429 beyond); None: twice the workers
    max_uncompressed_bytes: int = 4 * 1024**3  # voxel data a mask header may promise (as the CLI's)
    request_timeout: float = 60.0  # seconds a synchronous lint may take (then 503, the run cancelled)
    job_workers: int = 1  # jobs linted at once
    max_jobs: int = 100  # jobs kept (queued, running or finished and not expired)
    job_ttl: float = 3600.0  # seconds a finished job's report is kept
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are given
    # Remote prefixes `{"paths": [...]}` may name objects under (normalised, ending with "/"):
    # a server setting, so clients never pick a URL outside them.
    remote_roots: tuple[str, ...] = ()
    access_log: bool = False  # one line a request: method, route template, status, duration (no content)
    # The jobs' private folder, shared by the server's processes: made by `server.run` before its
    # workers start (None: a `JobStore` makes its own, for an app built without the server).
    jobs_dir: Path | None = None

    @property
    def concurrency(self) -> int:
        return self.max_concurrency if self.max_concurrency is not None else 2 * max(self.workers, 1)


def token_from_environment() -> str | None:
    return os.environ.get(TOKEN_VARIABLE) or None
