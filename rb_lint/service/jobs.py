"""Lint jobs: bundles linted in the background by a bounded pool of threads (`POST /v1/jobs`).

A job is `queued`, `running`, then `done`, `failed` or `cancelled`. Its progress comes from the
library through `Options.observer` (`document_done`, `mask_scanned`); the same observer stops a
cancelled run by raising `RunCancelled`.

Several server processes (`--workers`) answer for the same jobs, so a job lives in files, never
only in the memory of the process that accepted it: the server makes one private folder (0700,
`rb-lint-jobs-*` in the temporary directory) before its workers start and removes it when it stops.
The folder names the process that made it (`.owner`) and each worker process (`.process-<pid>`):
a server killed with SIGKILL leaves its folder behind, and the next server of the same user
removes it once all those processes are gone (`remove_stale_jobs_folders`).
Each job has a folder there, named by its id (random, and checked before any path is built):
`state.json` (replaced atomically: written to a temporary file, then `os.replace`), the report
once it is done (`report.json`, written before the state says `done`: one serialised form, with
what rendering reads from the bundle's files read at the run's end; each format is rendered when
asked for, by whichever process answers, and a few recent bodies are kept in its memory), and a
`cancel` marker another process may leave. The job runs in the process that accepted it, on that
process's pool (`settings.job_workers` threads); that process alone writes the state while the job is
queued or running, and notices a cancel marker at the run's next progress callback (a queued job
never starts). A job whose process died is reported `failed`.

At most `max_jobs` jobs are kept over all processes (counted under a file lock); a finished job is
forgotten `job_ttl` seconds after it finished: swept, a few folders at a time, by whichever process
answers a jobs request. A job's bundle folder is removed as soon as its run ends (reports never
read the files again).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import re
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from rb_lint.core.context import RunCancelled
from rb_lint.core.engine import Report
from rb_lint.service.bundle import Bundle
from rb_lint.service.linting import lint_bundle, render_stored, stored_report
from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings
from rb_lint.service.stale import pid_namespace, process_alive, remove_if

State = Literal["queued", "running", "done", "failed", "cancelled"]
STATES: tuple[State, ...] = ("queued", "running", "done", "failed", "cancelled")
FINISHED: frozenset[State] = frozenset({"done", "failed", "cancelled"})
SHUTDOWN_WAIT = 5.0  # seconds each job worker gets to stop when the server stops
RETRY_AFTER_FULL = 5  # seconds a client waits before submitting again to a full store
JOBS_PREFIX = "rb-lint-jobs-"  # the jobs folder (never `rb-lint-serve-`: those are bundles)
ID_BYTES = 18  # 144 random bits: 24 URL-safe characters
JOB_ID = re.compile(r"[A-Za-z0-9_-]{24}")  # what `secrets.token_urlsafe(ID_BYTES)` makes, only that
STATE_FILE = "state.json"
CANCEL_FILE = "cancel"
REPORT_FILE = "report.json"  # `stored_report`'s JSON, never a format's body
LOCK_FILE = ".lock"  # not a job id: no id has a dot
OWNER_FILE = ".owner"  # {"pid", "namespace"} of the process that made the folder
PROCESS_PREFIX = ".process-"  # + the pid of each `--workers` process using the folder
PID = re.compile(r"[1-9][0-9]{0,9}")
PROGRESS_INTERVAL = 0.2  # seconds between two progress writes of a running job
SWEEP_BATCH = 32  # job folders a sweep looks at (all of them only when the store is full)
RENDERED_BODIES = 16  # report bodies a process keeps (the last asked for), at most
RENDERED_BYTES = 32 * 1024 * 1024  # and at most this many bytes of them (a bigger one is not kept)
NOT_FOUND = "no such job (unknown, or expired)"
OWNER_GONE = "the server process running the job stopped before it finished: submit it again"
log = logging.getLogger("rb_lint.service")

# What a job runs: `lint_bundle(bundle, settings, observer)` (a parameter of `JobStore`).
LintFunction = Callable[[Bundle, ServeSettings, Any], Report]
# Told of every job that ends, in the process that ended it: (its state, its report when done).
FinishCallback = Callable[[State, Report | None], None]


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
        self._progressed()
        if self._cancelled.is_set():
            raise RunCancelled

    def _progressed(self) -> None:
        """Called after each count, before the cancel flag is read (a job's observer writes its
        progress and looks for a cancel marker here)."""


class JobObserver(CancellableObserver):
    """A job's observer: writes the progress (at most every `PROGRESS_INTERVAL` seconds) and
    cancels the run when another process left the job's cancel marker."""

    def __init__(self, marker: Path, write_progress: Callable[[], None]) -> None:
        super().__init__()
        self._marker = marker
        self._write_progress = write_progress
        self._written = 0.0

    def counts(self) -> tuple[int, int, int]:
        with self._lock:
            return self.documents_done, self.masks_scanned, self.bytes_scanned

    def _progressed(self) -> None:
        now = time.monotonic()
        if now - self._written >= PROGRESS_INTERVAL:
            self._written = now
            self._write_progress()
        if not self.cancelled and self._marker.exists():
            self.cancel()


@dataclass
class JobRecord:
    """A job as its `state.json` holds it (any process reads it)."""

    id: str
    pid: int  # the process that runs it
    state: State
    created: float
    started: float | None = None
    finished: float | None = None
    progress: dict[str, int] = field(default_factory=dict)
    problem: dict[str, Any] | None = None  # status, title, detail, extra of a failed job
    cancelling: bool = False  # read from the cancel marker, never stored

    def expires(self, ttl: float) -> float | None:
        return None if self.finished is None else self.finished + ttl

    def expired(self, ttl: float, now: float) -> bool:
        return self.finished is not None and self.finished + ttl <= now

    def status(self, ttl: float) -> dict[str, Any]:
        """The job as `GET /v1/jobs/{id}` answers it."""
        body: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "progress": dict(self.progress),
            "created": _timestamp(self.created),
            "started": _timestamp(self.started),
            "finished": _timestamp(self.finished),
            "expires": _timestamp(self.expires(ttl)),
            "report": f"/v1/jobs/{self.id}/report",
        }
        if self.state == "running" and self.cancelling:
            body["cancelling"] = True
        if self.problem is not None:
            body["problem"] = {"status": self.problem["status"], "title": self.problem["title"]}
            if self.problem.get("detail"):
                body["problem"]["detail"] = self.problem["detail"]
        return body

    def error(self) -> ProblemError | None:
        """The problem a failed job's run met, as it answers it."""
        if self.problem is None:
            return None
        problem = self.problem
        return ProblemError(
            int(problem["status"]),
            str(problem.get("detail", "")),
            title=problem.get("title"),
            extra=problem.get("extra"),
        )

    def to_json(self) -> str:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "cancelling"}
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        values = json.loads(text)
        if not isinstance(values, dict) or values.get("state") not in STATES:
            raise ValueError("not a job state")
        values.pop("cancelling", None)
        return cls(**values)


def _timestamp(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return (
        datetime.fromtimestamp(seconds, timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _problem_fields(error: ProblemError) -> dict[str, Any]:
    return {"status": error.status, "title": error.title, "detail": error.detail, "extra": error.extra}


def make_jobs_folder() -> Path:
    """A new private folder (0700) for the jobs of one server, in the temporary directory, naming
    the process that makes it (its `OWNER_FILE`). The stale folders of killed servers go first
    (`remove_stale_jobs_folders`)."""
    remove_stale_jobs_folders()
    folder = Path(os.path.realpath(tempfile.mkdtemp(prefix=JOBS_PREFIX)))
    os.chmod(folder, 0o700)
    owner = {"pid": os.getpid(), "namespace": pid_namespace()}
    _write_atomically(folder / OWNER_FILE, json.dumps(owner))  # whole or absent: never a cut pid
    return folder


def register_process(folder: Path) -> None:
    """Name this process in a jobs folder it uses but did not make (a `--workers` process): the
    folder is not stale while it runs, even when the server process that made it was killed."""
    try:
        descriptor = os.open(
            folder / f"{PROCESS_PREFIX}{os.getpid()}", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600
        )
    except FileNotFoundError:  # removed under it: jobs answer 404 as when it goes while serving
        return
    os.close(descriptor)


def remove_stale_jobs_folders(directory: Path | None = None) -> list[Path]:
    """Remove the jobs folders in `directory` (default: the temporary directory) that servers of
    this user left when killed (SIGKILL: no shutdown ran): a real folder (never a link) of this
    user, whose `OWNER_FILE` names a process of this PID namespace that is gone, and every
    process registered in it gone too. Anything else stays: what cannot be proved stale (another
    user's, an unreadable owner, a live process) is never removed. Returns the folders removed."""
    if sys.platform == "win32":  # pragma: no cover - no jobs folder is shared there
        return []
    parent = directory or Path(tempfile.gettempdir())
    try:
        names = [name for name in os.listdir(parent) if name.startswith(JOBS_PREFIX)]
    except OSError:
        return []
    return remove_if(_stale, [parent / name for name in names])


def _stale(folder: Path) -> bool:
    """Whether `folder` is provably a jobs folder of this user whose every process is gone."""
    try:
        info = os.lstat(folder)
        names = os.listdir(folder) if stat.S_ISDIR(info.st_mode) else []
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    owner = _owner(folder / OWNER_FILE)
    if owner is None or process_alive(owner):
        return False
    for name in names:
        if name.startswith(PROCESS_PREFIX):
            pid = name[len(PROCESS_PREFIX) :]
            if not PID.fullmatch(pid) or process_alive(int(pid)):
                return False
    return True


def _owner(path: Path) -> int | None:
    """The pid an `OWNER_FILE` names: a small regular file of this user, written by a process of
    this PID namespace; None when anything about it is not so."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_size > 4096:
            return None
        owner = json.loads(os.read(descriptor, 4096))
    except (OSError, ValueError):
        return None
    finally:
        os.close(descriptor)
    if not isinstance(owner, dict) or owner.get("namespace") != pid_namespace():
        return None
    pid = owner.get("pid")
    return pid if type(pid) is int and pid > 0 else None


def remove_jobs_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


if sys.platform != "win32":
    import fcntl

    def _lock_file(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)

else:  # pragma: no cover - one process only there (uvicorn's workers need fork-safe sockets)

    def _lock_file(descriptor: int) -> None:
        del descriptor


class RenderedBodies:
    """The report bodies a process rendered last, by (job id, format): at most `count` of them,
    holding at most `limit` bytes (a job's report never changes once it is done)."""

    def __init__(self, count: int, limit: int) -> None:
        self._count = count
        self._limit = limit
        self._bodies: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[bytes, str] | None:
        with self._lock:
            found = self._bodies.get(key)
            if found is not None:
                self._bodies.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], answer: tuple[bytes, str]) -> None:
        size = len(answer[0])
        if size > self._limit:
            return
        with self._lock:
            self._drop(key)
            self._bodies[key] = answer
            self._bytes += size
            while len(self._bodies) > self._count or self._bytes > self._limit:
                self._drop(next(iter(self._bodies)))

    def forget(self, job_id: str) -> None:
        """Drop a forgotten job's bodies."""
        with self._lock:
            for key in [key for key in self._bodies if key[0] == job_id]:
                self._drop(key)

    def _drop(self, key: tuple[str, str]) -> None:
        dropped = self._bodies.pop(key, None)
        if dropped is not None:
            self._bytes -= len(dropped[0])


@dataclass
class _LocalJob:
    """A job this process runs: its bundle and observer (queued or running)."""

    record: JobRecord
    bundle: Bundle
    observer: JobObserver
    write_lock: threading.Lock = field(default_factory=threading.Lock)


class JobStore:
    """The jobs of one server, over all its processes: each process has a `JobStore` on the same
    folder (`settings.jobs_dir`; without one the store makes its own, removed at shutdown) and
    runs the jobs it accepted on a pool of `settings.job_workers` daemon threads."""

    def __init__(
        self,
        settings: ServeSettings,
        lint: LintFunction = lint_bundle,
        on_finish: FinishCallback | None = None,
    ) -> None:
        self.settings = settings
        self._folder = settings.jobs_dir
        if self._folder is not None:
            register_process(self._folder)
        self._lint = lint
        self._on_finish = on_finish
        # This process's threads (the file lock serves processes); held while a job's state is read
        # and judged, and while its run writes its last state and leaves `_local`.
        self._lock = threading.RLock()
        self._local: dict[str, _LocalJob] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._closed = False
        self._cursor = 0  # where the next sweep starts, in the sorted job folders
        self._rendered = RenderedBodies(RENDERED_BODIES, RENDERED_BYTES)

    @property
    def folder(self) -> Path:
        """The jobs folder (made with the first job when the server gave none)."""
        if self._folder is None:
            with self._lock:
                if self._folder is None:
                    self._folder = make_jobs_folder()
                    atexit.register(remove_jobs_folder, self._folder)
        return self._folder

    @contextmanager
    def _locked(self, *, make: bool = False) -> Iterator[bool]:
        """Every process's store, exclusively: for counting, creating, cancelling and removing.
        Yields whether the folder exists (a store that makes its own does so only when `make`:
        until its first job there is nothing to read)."""
        with self._lock:
            if self._folder is None and not make:
                yield False
                return
            descriptor = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                _lock_file(descriptor)  # released when closed
                yield True
            finally:
                os.close(descriptor)

    # --- submitting ---------------------------------------------------------------------------

    def check_room(self) -> None:
        """503 (with `Retry-After`) when no job can be accepted now; called before a body is read."""
        with self._locked() as made:
            if self._closed:
                raise self._full()
            if made:
                self._make_room_locked()

    def accepting(self) -> bool:
        """Whether a job would be accepted now (`/readyz`)."""
        try:
            self.check_room()
        except ProblemError:
            return False
        return True

    def submit(self, bundle: Bundle) -> JobRecord:
        """Queue `bundle`; the store owns it from now on (it removes the bundle's folder). Raises a
        503 `ProblemError` when the store is full (the bundle is removed then too)."""
        try:
            with self._locked(make=True):  # in `_local` before any reader judges it (`_owner_alive`)
                self._make_room_locked()
                record = self._create_locked(bundle)
                self._local[record.id] = self._local_job(record, bundle)
                self._start_workers_locked()
        except BaseException:
            bundle.cleanup()
            raise
        self._queue.put(record.id)
        return record

    def _local_job(self, record: JobRecord, bundle: Bundle) -> _LocalJob:
        def write_progress() -> None:
            self._write_progress(job)

        job = _LocalJob(record, bundle, JobObserver(self._path(record.id, CANCEL_FILE), write_progress))
        return job

    def _make_room_locked(self) -> None:
        self._sweep_locked()
        if self._closed:
            raise self._full()
        if len(self._job_ids()) >= self.settings.max_jobs:
            self._sweep_locked(everything=True)  # bounded by the limit itself
            if len(self._job_ids()) >= self.settings.max_jobs:
                raise self._full()

    def _create_locked(self, bundle: Bundle) -> JobRecord:
        """The job's folder, made whole under a temporary name, then renamed to its id (so a job
        folder always holds a state)."""
        record = JobRecord(
            id=secrets.token_urlsafe(ID_BYTES), pid=os.getpid(), state="queued", created=time.time()
        )
        record.progress = _progress((0, 0, 0), bundle)
        draft = Path(tempfile.mkdtemp(prefix=".new-", dir=self.folder))
        _write_atomically(draft / STATE_FILE, record.to_json())
        os.rename(draft, self.folder / record.id)
        return record

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

    def get(self, job_id: str) -> JobRecord:
        """The job, or a 404 `ProblemError` (malformed, unknown, or expired). A job whose process
        died is `failed` from now on."""
        with self._locked() as made:
            if not made:
                raise ProblemError(404, NOT_FOUND)
            self._sweep_locked()
            return self._current_locked(job_id)

    def report(self, job_id: str, fmt: str) -> tuple[bytes, str]:
        """(the report of a `done` job in format `fmt`, its media type); the job's problem when it
        failed, 409 before it is done, 404 unknown or expired."""
        record = self.get(job_id)
        error = record.error() if record.state == "failed" else None
        if error is not None:
            raise error
        if record.state != "done":
            raise ProblemError(409, f"the job is {record.state}: its report exists once it is done")
        cached = self._rendered.get((job_id, fmt))
        if cached is not None:
            return cached
        try:
            text = self._path(job_id, REPORT_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:  # forgotten or expired since
            raise ProblemError(404, NOT_FOUND) from None
        try:
            body, media_type = render_stored(text, fmt)
        except ValueError as error:  # a bug (only this server writes the folder): the log says what
            log.error("job report unreadable: %s", error)
            raise ProblemError(500, "internal error (the server log names its type)") from None
        answer = body.encode("utf-8"), media_type
        self._rendered.put((job_id, fmt), answer)
        return answer

    def cancel(self, job_id: str) -> JobRecord | None:
        """Cancel a queued or running job (a running one stops at its next document or mask, in
        whichever process runs it); forget a finished one (None then)."""
        with self._locked() as made:
            if not made:
                raise ProblemError(404, NOT_FOUND)
            self._sweep_locked()
            record = self._current_locked(job_id)
            if record.state in FINISHED:
                remove_jobs_folder(self.folder / job_id)
                self._rendered.forget(job_id)
                return None
            _write_atomically(self._path(job_id, CANCEL_FILE), "")
            record.cancelling = True
            if record.state == "queued":  # never starts: the process holding it skips it
                record = self._finish_locked(record, "cancelled")
        local = self._local.get(job_id)
        if local is not None:
            local.observer.cancel()
            if record.state == "cancelled":
                self._forget_local(job_id)
        if record.state == "cancelled":
            self._notify("cancelled", None)
        return record

    def counts(self) -> dict[State, int]:
        """How many jobs are in each state (metrics), over all processes."""
        counts = dict.fromkeys(STATES, 0)
        with self._locked() as made:
            if not made:
                return counts
            self._sweep_locked()
            for job_id in self._job_ids():
                record = self._read(job_id)
                if record is not None:
                    counts[self._settled_locked(record).state] += 1
        return counts

    def sweep(self) -> None:
        """Forget some of the jobs that expired."""
        with self._locked() as made:
            if made:
                self._sweep_locked()

    def _current_locked(self, job_id: str) -> JobRecord:
        record = self._read(job_id) if JOB_ID.fullmatch(job_id) else None
        if record is None or record.expired(self.settings.job_ttl, time.time()):
            if record is not None:
                remove_jobs_folder(self.folder / job_id)
            raise ProblemError(404, NOT_FOUND)
        record.cancelling = self._path(job_id, CANCEL_FILE).exists()
        return self._settled_locked(record)

    def _settled_locked(self, record: JobRecord) -> JobRecord:
        """`record`, or `failed` (and so written) when the process running it is gone."""
        if record.state in FINISHED or self._owner_alive(record):
            return record
        return self._finish_locked(record, "failed", ProblemError(500, OWNER_GONE))

    def _owner_alive(self, record: JobRecord) -> bool:
        if record.pid == os.getpid():
            return record.id in self._local  # else an earlier process had the same pid
        return process_alive(record.pid)

    def _finish_locked(
        self, record: JobRecord, state: State, problem: ProblemError | None = None
    ) -> JobRecord:
        """Write a job that ends outside its run (cancelled while queued, its process gone)."""
        record.state = state
        record.finished = time.time()
        record.problem = _problem_fields(problem) if problem is not None else None
        _write_atomically(self._path(record.id, STATE_FILE), record.to_json())
        return record

    def _sweep_locked(self, *, everything: bool = False) -> None:
        """Remove up to `SWEEP_BATCH` expired (or unreadable) job folders, going round the folder
        from sweep to sweep; and drop the queued jobs of this process cancelled by another."""
        names = self._job_ids()
        if names and not everything:
            start = self._cursor % len(names)
            names = (names[start:] + names[:start])[:SWEEP_BATCH]
            self._cursor = start + len(names)
        now = time.time()
        for job_id in names:
            record = self._read(job_id)
            if record is None or record.expired(self.settings.job_ttl, now):
                remove_jobs_folder(self.folder / job_id)
        for draft in self.folder.glob(".new-*"):  # made and renamed under this lock: a crash left it
            remove_jobs_folder(draft)
        for job_id in [i for i, job in self._local.items() if job.record.state == "queued"]:
            record = self._read(job_id)
            if record is None or record.state != "queued":
                self._forget_local(job_id)

    def _job_ids(self) -> list[str]:
        if self._folder is None:
            return []
        try:
            return sorted(name for name in os.listdir(self._folder) if JOB_ID.fullmatch(name))
        except FileNotFoundError:  # the server removed the folder: it is stopping
            return []

    def _read(self, job_id: str) -> JobRecord | None:
        try:
            return JobRecord.from_json(self._path(job_id, STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None

    def _path(self, job_id: str, name: str) -> Path:
        if not JOB_ID.fullmatch(job_id):  # never a path from anything else
            raise ProblemError(404, NOT_FOUND)
        return self.folder / job_id / name

    def shutdown(self) -> None:
        """Cancel this process's jobs and remove their bundles (the server is stopping)."""
        with self._lock:
            self._closed = True
            jobs = list(self._local.values())
        for job in jobs:
            job.observer.cancel()
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout=SHUTDOWN_WAIT)
        for job in jobs:  # a run still inside one big mask: its files go anyway (idempotent)
            job.bundle.cleanup()
        if self._folder is not None and self.settings.jobs_dir is None:
            remove_jobs_folder(self._folder)

    def _forget_local(self, job_id: str) -> None:
        with self._lock:
            job = self._local.pop(job_id, None)
        if job is not None:
            job.bundle.cleanup()

    # --- running ------------------------------------------------------------------------------

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            job = self._local.get(job_id)
            if job is not None and self._start(job):
                self._run(job)

    def _start(self, job: _LocalJob) -> bool:
        """Mark a queued job running, unless it was cancelled (or the server stops) meanwhile."""
        with self._locked(make=True):
            record = self._read(job.record.id)
            if record is None or record.state != "queued":
                self._forget_local(job.record.id)
                return False
            if self._closed or self._path(job.record.id, CANCEL_FILE).exists():
                self._finish_locked(record, "cancelled")
                self._forget_local(job.record.id)
                self._notify("cancelled", None)
                return False
            job.record.state = "running"
            job.record.started = time.time()
            self._write_record(job)
        return True

    def _run(self, job: _LocalJob) -> None:
        state: State = "failed"
        report: Report | None = None
        problem: ProblemError | None = None
        try:
            report = self._lint(job.bundle, self.settings, job.observer)
            self._write_report(job, report)
            state = "done"
        except RunCancelled:
            state = "cancelled"
        except ProblemError as error:
            problem = error
        except Exception as error:  # a bug: one log line with its type, nothing the client sent
            log.error("job failed: %s", type(error).__name__)
            problem = ProblemError(500, "internal error (the server log names its type)")
        finally:
            job.bundle.cleanup()  # before the state says so: a finished job holds no files
            job.record.state = state
            job.record.finished = time.time()
            job.record.problem = _problem_fields(problem) if problem is not None else None
            with self._lock:  # no reader judges the job between these two (`_owner_alive`)
                self._write_record(job)
                self._local.pop(job.record.id, None)
            self._notify(state, report)

    def _write_report(self, job: _LocalJob, report: Report) -> None:
        """The report, stored while the bundle's files are there, before the state says `done`
        (any process renders it from the file when asked)."""
        _write_atomically(self._path(job.record.id, REPORT_FILE), stored_report(report, job.bundle))

    def _write_progress(self, job: _LocalJob) -> None:
        if job.record.state == "running":
            self._write_record(job)

    def _write_record(self, job: _LocalJob) -> None:
        """The state of a job this process runs (only it writes while the job is queued or running)."""
        with job.write_lock:
            job.record.progress = _progress(job.observer.counts(), job.bundle)
            with suppress(FileNotFoundError):  # the server is stopping and removed the folder
                _write_atomically(self._path(job.record.id, STATE_FILE), job.record.to_json())

    def _notify(self, state: State, report: Report | None) -> None:
        if self._on_finish is None:
            return
        try:
            self._on_finish(state, report)
        except Exception as error:  # metrics must never break a job
            log.error("job callback failed: %s", type(error).__name__)


def _progress(counts: tuple[int, int, int], bundle: Bundle) -> dict[str, int]:
    documents, masks, nbytes = counts
    return {
        "documents_done": documents,
        "documents_total": len(bundle.paths),
        "masks_scanned": masks,
        "bytes_scanned": nbytes,
        "files_total": bundle.files,
        "bytes_total": bundle.bytes,
    }


def _write_atomically(path: Path, text: str) -> None:
    """Write `path` whole or not at all, as readers in other processes see it."""
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
