"""Remote mask scans: each object streamed through `rb_lint.nifti.scan.scan_stream` (no temporary
copy, the scanner's bounded memory plus one read-ahead block per mask in flight) -- or, when it is
small (up to `SMALL_FILE_BYTES`, 4 MiB), read in one request and scanned from memory, exactly as
`rb_lint.nifti.batch` treats a small local file -- in threads
(network-bound), at most `jobs` in flight; results cached by URL, version and size, so a re-run
does not fetch an unchanged object again.

A fault (before or in the middle of the stream) becomes the result's UNREADABLE problem with the
fault's safe reason: never an exception, never a credential or a signed query string."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from rb_lint.nifti.batch import SMALL_FILE_BYTES
from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.scan import DEFAULT_MAX_BYTES, UNREADABLE, Problem, ScanResult, scan_file, scan_stream
from rb_lint.storage.access import RemoteObject, Stores
from rb_lint.storage.faults import StorageError
from rb_lint.storage.urls import parse_url, unsigned


def remote_digest(item: RemoteObject) -> str:
    """The cache key of a remote object: its URL (a signed URL's signature left out), its version
    (ETag / generation / version id) and its size. Empty when the store gave no version."""
    if not item.version:
        return ""
    hasher = hashlib.blake2b(digest_size=32, person=b"remote")
    hasher.update(
        f"remote\0{unsigned(item.url)}\0{item.version}\0{item.size}".encode("utf-8", "surrogatepass")
    )
    return hasher.hexdigest()


def result_name(url: str) -> str:
    """The name a result carries (its `.nii`/`.nii.gz` ending is judged): the URL without an
    http(s) query string."""
    parsed = parse_url(url)
    if parsed is None or parsed.scheme not in ("http", "https"):
        return url
    return url.split("?", 1)[0]


def scan_remote(
    stores: Stores,
    objects: Sequence[RemoteObject],
    max_bytes: int = DEFAULT_MAX_BYTES,
    cache: MaskCache | None = None,
    jobs: int | None = None,
) -> dict[str, ScanResult]:
    """Scan the objects (keys of the result: their URLs as given). An object that does not exist
    or whose existence could not be told gets the UNREADABLE problem saying so."""
    if cache is not None and cache.open() is not None:
        cache = None  # the folder may not be used (the caller says why, once)
    workers = max(1, min(jobs or stores.settings.concurrency, len(objects) or 1))
    if workers == 1 or len(objects) <= 1:
        return {item.url: scan_one(stores, item, max_bytes, cache) for item in objects}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rb-lint-remote") as pool:
        results = pool.map(lambda item: scan_one(stores, item, max_bytes, cache), objects)
        return {item.url: result for item, result in zip(objects, results, strict=True)}


def scan_one(stores: Stores, item: RemoteObject, max_bytes: int, cache: MaskCache | None) -> ScanResult:
    """One object: the cached result, else a streamed scan (stored when cacheable)."""
    answered = answered_here(item, cache)
    if answered is not None:
        return answered
    name = result_name(item.url)
    try:
        handle = stores.open(item.url, size=item.size)
    except StorageError as error:
        return _unreadable(name, item.size, error.problem.reason)
    except FileNotFoundError:
        return _unreadable(name, item.size, "it is no longer in its storage")
    try:
        if 0 < item.size <= SMALL_FILE_BYTES:  # as a local small file: read whole, scanned from memory
            result = _scan_small(name, handle, item.size, max_bytes)
        else:
            result = scan_stream(name, handle, item.size or None, max_bytes)  # 0: not told (http)
    finally:
        with contextlib.suppress(OSError):  # a broken stream: its problem is already in the result
            handle.close()
    store_result(cache, item, result)
    return result


def answered_here(item: RemoteObject, cache: MaskCache | None) -> ScanResult | None:
    """The result known without reading the object: its existence could not be told, it is not
    there, or the cache holds it (a Dask run's client answers these before sending the rest)."""
    name = result_name(item.url)
    if item.problem is not None:
        return _unreadable(name, item.size, item.problem.reason)
    if not item.exists:
        return _unreadable(name, 0, "it is not in its storage")
    digest = remote_digest(item) if cache is not None else ""
    return cache.load(digest, name) if cache is not None and digest else None


def store_result(cache: MaskCache | None, item: RemoteObject, result: ScanResult) -> None:
    """Into the cache, when the object has a version and the result may be kept."""
    digest = remote_digest(item) if cache is not None else ""
    if cache is not None and digest and result.cacheable:
        cache.store(digest, result)


def _scan_small(name: str, handle: BinaryIO, size: int, max_bytes: int) -> ScanResult:
    """A small object (at most `SMALL_FILE_BYTES`, as `rb_lint.nifti.batch` reads small local
    files): its bytes in one request, then `scan_file` from memory, the cheaper scan."""
    data = bytearray()
    try:
        while len(data) < size:
            block = handle.read(size - len(data))
            if not block:
                break
            data += block
    except OSError as error:
        return _unreadable(name, size, error.strerror or "reading it failed")
    return scan_file(name, max_bytes, content=bytes(data))


def _unreadable(name: str, size: int, reason: str) -> ScanResult:
    return ScanResult(name, size=size, problems=[Problem(UNREADABLE, f"reading it failed: {reason}")])
