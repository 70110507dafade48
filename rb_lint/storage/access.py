"""`Stores`: one fsspec filesystem per (scheme, bucket), bounded retries with backoff, request
counting, bulk existence (`listing`) and streamed reads.

Backends are imported lazily, one module per scheme (`s3`, `gcs`, `azure`, `http`), each exposing
`EXTRA`, `filesystem(bucket, settings)`, `fs_path(url)`, `version_of(info)` and `classify(error)`;
optionally `instrument(fs, count)` (count real HTTP requests; else each call is counted here),
`info(fs, path)` (one HEAD), `fetch_range(fs, path, start, end, settings)` (one ranged GET),
`list_page(fs, bucket, prefix, start_after, limit)` (one paged listing request) and
`open_stream(fs, path, start, settings)` (one streaming GET from an offset). Nothing here imports
fsspec or a provider package at module level."""

from __future__ import annotations

import contextlib
import errno
import functools
import importlib
import io
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, BinaryIO, TypeVar, cast

from rb_lint.storage.faults import (
    FATAL,
    Fault,
    MissingExtra,
    StorageError,
    StorageProblem,
    chain,
    classify,
    classify_one,
    problem,
    retryable,
)
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import ObjectUrl, parse_url

T = TypeVar("T")

BACKENDS = {"s3": "s3", "gs": "gcs", "az": "azure", "http": "http", "https": "http"}


@dataclass(frozen=True, slots=True)
class RemoteObject:
    """What is at a URL."""

    url: str
    exists: bool
    size: int = 0
    version: str = ""  # ETag / generation / version id: the cache key uses it (with url and size)
    problem: StorageProblem | None = None  # existence could not be told (then exists is False)


class NotThere(FileNotFoundError):
    """The object (not the bucket) does not exist. Its text never names the URL."""

    def __init__(self) -> None:
        super().__init__(errno.ENOENT, "it is no longer in its storage")


@dataclass(frozen=True, slots=True)
class Store:
    """A filesystem for one bucket/container/host, and the backend that made it."""

    scheme: str
    bucket: str
    fs: Any  # fsspec.AbstractFileSystem (untyped)
    backend: ModuleType
    counted: bool  # the backend counts its own HTTP requests


class Stores:
    """One per run; thread-safe. Holds one fsspec filesystem per (scheme, bucket-or-host)."""

    def __init__(self, settings: StorageSettings | None = None) -> None:
        self.settings = settings or StorageSettings()
        self._lock = threading.Lock()
        self._making = threading.Lock()
        self._stores: dict[tuple[str, str], Store] = {}
        self._counts: Counter[str] = Counter()

    # -- requests ------------------------------------------------------------------------------
    def count(self, kind: str, amount: int = 1) -> None:
        """Record `amount` requests of `kind` ("list", "head", "get" or an operation's name)."""
        with self._lock:
            self._counts[kind] += amount

    def requests(self, kind: str | None = None) -> int:
        """How many requests were made (of one kind: "list", "head", "get"), retries included."""
        with self._lock:
            return self._counts[kind] if kind is not None else sum(self._counts.values())

    # -- filesystems ---------------------------------------------------------------------------
    def backend(self, scheme: str) -> ModuleType:
        name = BACKENDS.get(scheme)
        if name is None:
            raise StorageError(problem(Fault.ERROR, f"unsupported scheme {scheme}"))
        return importlib.import_module(f"rb_lint.storage.{name}")

    def store(self, url: ObjectUrl) -> Store:
        """The filesystem for the URL's bucket (made on first use). Raises MissingExtra when the
        scheme's extra is not installed."""
        key = (url.scheme, url.bucket)
        with self._lock:
            found = self._stores.get(key)
        if found is not None:
            return found
        with self._making:  # one filesystem per bucket, made once (no network: cheap)
            with self._lock:
                found = self._stores.get(key)
            if found is not None:
                return found
            backend = self.backend(url.scheme)
            try:
                fs = backend.filesystem(url.bucket, self.settings)
            except ImportError as error:
                raise MissingExtra(url.scheme, str(getattr(backend, "EXTRA", url.scheme))) from error
            instrument = getattr(backend, "instrument", None)
            counted = bool(instrument(fs, self.count)) if callable(instrument) else False
            made = Store(url.scheme, url.bucket, fs, backend, counted)
            with self._lock:
                self._stores[key] = made
            return made

    def fs_path(self, store: Store, url: ObjectUrl) -> str:
        if url.scheme == "https" and self.settings.http_scheme:
            url = ObjectUrl(self.settings.http_scheme, url.bucket, url.key)
        return str(store.backend.fs_path(url))

    def timeout_kw(self, store: Store) -> dict[str, float]:
        """A backstop on an async filesystem's call (fsspec's `sync(timeout=)`): the per-request
        timeouts of the backend fire first; this bounds anything they do not cover."""
        if getattr(store.fs, "async_impl", False):
            return {"timeout": self.settings.timeout * 2 + 5}
        return {}

    # -- calls ---------------------------------------------------------------------------------
    def call(self, store: Store, kind: str, action: Callable[[], T]) -> T:
        """`action()` with bounded retries and exponential backoff on throttling, timeouts and
        resets. Raises StorageError (a safe problem) or NotThere (the object does not exist)."""
        attempt = 0
        while True:
            attempt += 1
            if not store.counted:
                self.count(kind)
            try:
                return action()
            except StorageError:
                raise
            except MissingExtra:
                raise
            except Exception as error:  # every failure becomes a safe problem
                found = self.problem_of(store, error)
            if found is None:
                raise NotThere()
            if not retryable(found) or attempt > self.settings.retries:
                raise StorageError(found)
            time.sleep(self.settings.delay(attempt))

    def problem_of(self, store: Store, error: BaseException) -> StorageProblem | None:
        """The safe problem of an error; None when it only says the object is not there."""
        specific = getattr(store.backend, "classify", None)
        for link in chain(error):
            found = specific(link) if callable(specific) else None
            if found is None:
                found = classify_one(link)
            if found is not None:
                return cast(StorageProblem, found)
        if isinstance(error, FileNotFoundError):
            return None
        return classify(error)

    # -- what is there -------------------------------------------------------------------------
    def exist(self, urls: Sequence[str]) -> dict[str, RemoteObject]:
        """BULK existence: listings per bucket (paged, ~1 request per 1,000 keys), a HEAD per
        object only where the store cannot list (http). A failed listing gives every URL of its
        bucket the problem. Keys of the result are the URLs as given."""
        from rb_lint.storage.listing import exist_all

        found: dict[str, RemoteObject] = exist_all(self, urls)
        return found

    def info(self, url: str) -> RemoteObject:
        """One object's existence, size and version (one HEAD)."""
        parsed = parse_url(url)
        if parsed is None:
            return RemoteObject(url, False, problem=problem(Fault.ERROR, "not a supported URL"))
        try:
            store = self.store(parsed)
            path = self.fs_path(store, parsed)
            head, extra = getattr(store.backend, "info", None), self.timeout_kw(store)
            if callable(head):
                found = self.call(store, "head", lambda: head(store.fs, path, **extra))
            else:
                found = self.call(store, "head", lambda: store.fs.info(path, **extra))
        except NotThere:
            return RemoteObject(url, False)
        except StorageError as error:
            return RemoteObject(url, False, problem=error.problem)
        return object_of(url, store, found)

    # -- reading -------------------------------------------------------------------------------
    def open(self, url: str, size: int | None = None) -> BinaryIO:
        """A forward reader of the object with bounded read-ahead (`settings.block_size`): ranged
        GETs (resumed after a failure, with retries) or, on http(s), one streaming GET resumed
        with a Range header. No whole-file cache, no temporary file. Raises StorageError, or
        FileNotFoundError when the object is not there. `size` (from `exist`) saves a HEAD."""
        parsed = parse_url(url)
        if parsed is None:
            raise StorageError(problem(Fault.ERROR, "not a supported URL"))
        store = self.store(parsed)
        if size is None:
            found = self.info(url)
            if found.problem is not None:
                raise StorageError(found.problem)
            if not found.exists:
                raise NotThere()
            size = found.size
        raw = _Reader(self, store, self.fs_path(store, parsed), size)
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=max(1 << 16, self.settings.block_size)))


def object_of(url: str, store: Store, info: Mapping[str, Any]) -> RemoteObject:
    if str(info.get("type", "file")) == "directory":
        return RemoteObject(url, False)
    size = info.get("size")
    version = store.backend.version_of(info)
    return RemoteObject(url, True, int(size) if isinstance(size, int) else 0, str(version or ""))


class _Reader(io.RawIOBase):
    """Ranged reads of `block_size` (or what is asked, when more), each retried; on http(s) one
    streaming GET, reopened from the offset reached after a failure."""

    def __init__(self, stores: Stores, store: Store, path: str, size: int) -> None:
        super().__init__()
        self.stores, self.store, self.path, self.size = stores, store, path, size
        self.position = 0
        self.pending = b""
        self.stream: Any = None
        self.streaming = callable(getattr(store.backend, "open_stream", None))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self.pending:
            if self.position >= self.size and not (self.streaming and self.size == 0):
                return 0
            self.pending = self._stream_read(len(view)) if self.streaming else self._ranged(len(view))
            if not self.pending:
                return 0
        count = min(len(view), len(self.pending))
        view[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        self.position += count
        return count

    def _ranged(self, wanted: int) -> bytes:
        start = self.position
        end = min(self.size, start + max(wanted, self.stores.settings.block_size))
        fs, path, extra = self.store.fs, self.path, self.stores.timeout_kw(self.store)
        fetch = getattr(self.store.backend, "fetch_range", None)
        if callable(fetch):
            settings = self.stores.settings
            data = self.stores.call(self.store, "get", lambda: fetch(fs, path, start, end, settings))
        else:
            data = self.stores.call(
                self.store, "get", lambda: fs.cat_file(path, start=start, end=end, **extra)
            )
        if not isinstance(data, (bytes, bytearray)):
            raise StorageError(problem(Fault.ERROR, "the storage gave no bytes"))
        if len(data) > end - start:  # a server that ignores Range: this block only
            data = data[start:end] if len(data) == self.size and start else data[: end - start]
        if not data and start < self.size:
            raise StorageError(problem(Fault.RESET, "the object ended early"))
        return bytes(data)

    def _stream_read(self, wanted: int) -> bytes:
        """Read from the streaming GET; on a failure, retry by reopening at the current offset."""
        size = max(wanted, 1 << 16)
        open_stream = self.store.backend.open_stream
        attempt = 0
        while True:
            try:
                if self.stream is None:
                    self.stream = self.stores.call(
                        self.store,
                        "get",
                        functools.partial(
                            open_stream, self.store.fs, self.path, self.position, self.stores.settings
                        ),
                    )
                data = self.stream.read(size)
                return bytes(data)
            except (StorageError, NotThere):
                self._close_stream()
                raise
            except Exception as error:  # a failure mid-stream
                self._close_stream()
                found = self.stores.problem_of(self.store, error) or problem(Fault.RESET, "object vanished")
                attempt += 1
                if not retryable(found) or attempt > self.stores.settings.retries:
                    raise StorageError(found) from None
                time.sleep(self.stores.settings.delay(attempt))

    def _close_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(Exception):  # closing a broken stream
                stream.close()

    def close(self) -> None:
        self._close_stream()
        super().close()


def unusable(objects: Iterable[RemoteObject]) -> StorageProblem | None:
    """The problem when the storage is unusable as a whole: there were objects to tell and every
    one of them failed with no credentials or access denied (the CLI then exits 2)."""
    first: StorageProblem | None = None
    for item in objects:
        if item.problem is None or item.problem.fault not in FATAL:
            return None
        first = first or item.problem
    return first


def storage_usable(objects: Iterable[RemoteObject]) -> bool:
    return unusable(objects) is None
