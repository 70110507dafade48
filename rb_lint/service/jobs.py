"""Lint jobs: bundles linted in the background by a bounded pool of threads (`POST /v1/jobs`).

A job is `queued`, `running`, then `done`, `failed` or `cancelled`. Its progress comes from the
library through `Options.observer` (`document_done`, `mask_scanned`); the same observer stops a
cancelled run by raising `RunCancelled`. At most `max_jobs` jobs are kept; a finished job is
forgotten `job_ttl` seconds after it finished (swept whenever the store is used). A job's
bundle folder is removed as soon as its run ends (reports never read the files again).
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from rb_lint.core.context import RunCancelled
from rb_lint.core.engine import Report
from rb_lint.service.bundle import Bundle
from rb_lint.service.linting import lint_bundle
from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings

State = Literal["queued", "running", "done", "failed", "cancelled"]
STATES: tuple[State, ...] = ("queued", "running", "done", "failed", "cancelled")
FINISHED: frozenset[State] = frozenset({"done", "failed", "cancelled"})
SHUTDOWN_WAIT = 5.0  # seconds each job worker gets to stop when the server stops
RETRY_AFTER_FULL = 5  # seconds a client waits before submitting again to a full store
log = logging.getLogger("rb_lint.service")

# What a job runs: `lint_bundle(bundle, settings, observer)` (a parameter of `JobStore`).
LintFunction = Callable[[Bundle, ServeSettings, Any], Report]


class CancellableObserver:
    """A `RunObserver` that counts what the library reports and raises `RunCancelled` once
    `cancel()` was called (from another thread: the flag is a `threading.Event`)."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self.documents_done = 0
        self.masks_scanned = 0
        self.bytes_scanned = 0

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def document_done(self, nbytes: int) -> None:
        self._count(documents=1, nbytes=nbytes)

    def mask_scanned(self, nbytes: int) -> None:
        self._count(masks=1, nbytes=nbytes)

    def _count(self, *, documents: int = 0, masks: int = 0, nbytes: int) -> None:
        with self._lock:
            self.documents_done += documents
            self.masks_scanned += masks
            self.bytes_scanned += max(nbytes, 0)
        if self._cancelled.is_set():
            raise RunCancelled


@dataclass
class Job:
    """One submitted bundle and what became of it."""

    id: str
    bundle: Bundle
    created: float = field(default_factory=time.time)
    state: State = "queued"
    started: float | None = None
    finished: float | None = None
    report: Report | None = None
    problem: ProblemError | None = None
    observer: CancellableObserver = field(default_factory=CancellableObserver)
    on_finish: Callable[[Job], None] | None = None

    def expires(self, ttl: float) -> float | None:
        return None if self.finished is None else self.finished + ttl

    def status(self, ttl: float) -> dict[str, Any]:
        """The job as `GET /v1/jobs/{id}` answers it."""
        body: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "progress": self.progress(),
            "created": _timestamp(self.created),
            "started": _timestamp(self.started),
            "finished": _timestamp(self.finished),
            "expires": _timestamp(self.expires(ttl)),
            "report": f"/v1/jobs/{self.id}/report",
        }
        if self.state == "running" and self.observer.cancelled:
            body["cancelling"] = True
        if self.problem is not None:
            body["problem"] = {"status": self.problem.status, "title": self.problem.title}
            if self.problem.detail:
                body["problem"]["detail"] = self.problem.detail
        return body

    def progress(self) -> dict[str, int]:
        observer = self.observer
        return {
            "documents_done": observer.documents_done,
            "documents_total": len(self.bundle.paths),
            "masks_scanned": observer.masks_scanned,
            "bytes_scanned": observer.bytes_scanned,
            "files_total": self.bundle.files,
            "bytes_total": self.bundle.bytes,
        }


def _timestamp(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return (
        datetime.fromtimestamp(seconds, timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class JobStore:
    """The jobs of one app: a bounded pool of `settings.job_workers` daemon threads, at most
    `settings.max_jobs` jobs kept, finished ones forgotten after `settings.job_ttl` seconds."""

    def __init__(self, settings: ServeSettings, lint: LintFunction = lint_bundle) -> None:
        self.settings = settings
        self._lint = lint
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._closed = False

    # --- submitting ---------------------------------------------------------------------------

    def check_room(self) -> None:
        """503 (with `Retry-After`) when no job can be accepted now; called before a body is read."""
        with self._lock:
            self._sweep_locked()
            if self._closed or len(self._jobs) >= self.settings.max_jobs:
                raise self._full()

    def accepting(self) -> bool:
        """Whether a job would be accepted now (`/readyz`)."""
        try:
            self.check_room()
        except ProblemError:
            return False
        return True

    def submit(self, bundle: Bundle, on_finish: Callable[[Job], None] | None = None) -> Job:
        """Queue `bundle`; the store owns it from now on (it removes the bundle's folder). Raises a
        503 `ProblemError` when the store is full (the bundle is removed then too)."""
        with self._lock:
            self._sweep_locked()
            if self._closed or len(self._jobs) >= self.settings.max_jobs:
                bundle.cleanup()
                raise self._full()
            job = Job(id=secrets.token_urlsafe(18), bundle=bundle, on_finish=on_finish)
            self._jobs[job.id] = job
            self._start_workers_locked()
        self._queue.put(job)
        return job

    def _full(self) -> ProblemError:
        return ProblemError(
            503,
            f"the server keeps at most {self.settings.max_jobs} jobs; retry later",
            headers={"Retry-After": str(RETRY_AFTER_FULL)},
        )

    def _start_workers_locked(self) -> None:
        while len(self._workers) < max(self.settings.job_workers, 1):
            worker = threading.Thread(
                target=self._work, name=f"rb-lint-job-{len(self._workers)}", daemon=True
            )
            self._workers.append(worker)
            worker.start()

    # --- looking up and cancelling ------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job, or a 404 `ProblemError` (unknown, or expired)."""
        with self._lock:
            self._sweep_locked()
            job = self._jobs.get(job_id)
        if job is None:
            raise ProblemError(404, "no such job (unknown, or expired)")
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job (a running one stops at its next document or mask);
        forget a finished one (None then)."""
        with self._lock:
            self._sweep_locked()
            job = self._jobs.get(job_id)
            if job is None:
                raise ProblemError(404, "no such job (unknown, or expired)")
            job.observer.cancel()
            if job.state == "queued":
                self._finish_locked(job, "cancelled")
            elif job.state in FINISHED:
                del self._jobs[job_id]
                return None
        self._notify(job)
        return job

    def counts(self) -> dict[State, int]:
        """How many jobs are in each state (metrics)."""
        with self._lock:
            self._sweep_locked()
            counts = dict.fromkeys(STATES, 0)
            for job in self._jobs.values():
                counts[job.state] += 1
        return counts

    def sweep(self) -> None:
        """Forget the jobs that expired."""
        with self._lock:
            self._sweep_locked()

    def _sweep_locked(self) -> None:
        now = time.time()
        ttl = self.settings.job_ttl
        for job_id in [
            i for i, j in self._jobs.items() if j.finished is not None and j.finished + ttl <= now
        ]:
            del self._jobs[job_id]

    def shutdown(self) -> None:
        """Cancel every job and remove their folders (the server is stopping)."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
            for job in jobs:
                job.observer.cancel()
                if job.state == "queued":
                    self._finish_locked(job, "cancelled")
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout=SHUTDOWN_WAIT)
        for job in jobs:  # a run still inside one big mask: its files go anyway (idempotent)
            job.bundle.cleanup()

    # --- running ------------------------------------------------------------------------------

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            with self._lock:
                if job.state != "queued":  # cancelled while it waited
                    continue
                job.state = "running"
                job.started = time.time()
            self._run(job)

    def _run(self, job: Job) -> None:
        state: State = "failed"
        try:
            job.report = self._lint(job.bundle, self.settings, job.observer)
            state = "done"
        except RunCancelled:
            state = "cancelled"
        except ProblemError as error:
            job.problem = error
        except Exception as error:  # a bug: one log line with its type, nothing the client sent
            log.error("job failed: %s", type(error).__name__)
            job.problem = ProblemError(500, "internal error (the server log names its type)")
        finally:
            job.bundle.cleanup()  # before the state says so: a finished job holds no files
            with self._lock:
                self._finish_locked(job, state)
            self._notify(job)

    @staticmethod
    def _finish_locked(job: Job, state: State) -> None:
        if job.state == "queued":
            job.bundle.cleanup()  # a queued job's folder is small work; the worker never sees it
        job.state = state
        job.finished = time.time()

    @staticmethod
    def _notify(job: Job) -> None:
        if job.on_finish is not None and job.state in FINISHED:
            try:
                job.on_finish(job)
            except Exception as error:  # metrics must never break a job
                log.error("job callback failed: %s", type(error).__name__)
