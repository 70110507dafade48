"""Bulk existence: one paged listing per bucket instead of a request per object.

Where the backend offers `list_page` (S3's ListObjectsV2 with StartAfter), the wanted keys are
sorted and each listing request starts just before the first key not yet told: a page tells every
wanted key up to its last key, so dense keys cost one request per 1,000 and sparse ones at most one
per key (never a listing of unrelated objects far from any wanted key). Ranges of
10,000 keys are listed side by side (each ends where its last key is told). Other listable stores are
listed under the keys' common folder (`find`); http(s) gets one HEAD per object. Groups run in a
bounded thread pool."""

from __future__ import annotations

import functools
import posixpath
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from rb_lint.storage.access import NotThere, RemoteObject, Store, Stores, object_of
from rb_lint.storage.faults import Fault, StorageError, StorageProblem, problem
from rb_lint.storage.urls import ObjectUrl, parse_url

HEAD_LIMIT = 2  # a listable store with at most this many wanted keys: HEADs are cheaper
PAGE = 1000
SPLIT = 10 * PAGE  # keys per listing job: ranges of keys are listed side by side, ten pages each

Found = dict[str, RemoteObject]
Item = tuple[str, ObjectUrl]


def exist_all(stores: Stores, urls: Sequence[str]) -> Found:
    results: Found = {}
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for text in urls:
        parsed = parse_url(text)
        if parsed is None:
            results[text] = RemoteObject(text, False, problem=problem(Fault.ERROR, "not a supported URL"))
        elif not parsed.key or parsed.key.endswith("/"):
            results[text] = RemoteObject(text, False)  # a bucket or a folder is not an object
        else:
            groups[(parsed.scheme, parsed.bucket)].append((text, parsed))
    jobs: list[Callable[[], Found]] = []
    for items in groups.values():
        store = stores.store(items[0][1])  # MissingExtra propagates: the run cannot go on
        jobs.extend(_jobs(stores, store, items))
    results.update(_run(jobs, stores))
    return results


def _run(jobs: list[Callable[[], Found]], stores: Stores) -> Found:
    """The jobs' results, at most `settings.concurrency` at a time."""
    results: Found = {}
    if len(jobs) == 1:
        results.update(jobs[0]())
    elif jobs:
        with ThreadPoolExecutor(max_workers=max(1, min(stores.settings.concurrency, len(jobs)))) as pool:
            for found in pool.map(lambda job: job(), jobs):
                results.update(found)
    return results


def _jobs(stores: Stores, store: Store, items: list[Item]) -> list[Callable[[], Found]]:
    backend = store.backend
    if callable(getattr(backend, "list_page", None)):  # a listing costs what a HEAD does, tells more
        ordered = sorted(items, key=lambda item: item[1].key)
        chunks = [ordered[start : start + SPLIT] for start in range(0, len(ordered), SPLIT)]
        return [functools.partial(_paged, stores, store, chunk) for chunk in chunks]
    if len(items) > HEAD_LIMIT and getattr(backend, "LISTABLE", True):
        return [lambda: _found(stores, store, items)]
    return [functools.partial(_head, stores, text) for text, _ in items]


def _head(stores: Stores, text: str) -> Found:
    return {text: stores.info(text)}


def common_folder(keys: Sequence[str]) -> str:
    """The longest folder prefix ("a/b/", or "") shared by every key."""
    shared = posixpath.commonprefix(list(keys))
    return shared[: shared.rfind("/") + 1]


def before(key: str) -> str:
    """A StartAfter for `key`: a string just below it (no real key lies between them), so the
    page starts with `key` or whatever follows it."""
    lower = ord(key[-1]) - 1
    if lower < 0 or 0xD800 <= lower <= 0xDFFF or len(key.encode("utf-8", "surrogatepass")) > 1000:
        return key[:-1]
    return key[:-1] + chr(lower) + "\U0010ffff"


def _paged(stores: Stores, store: Store, items: list[Item]) -> Found:
    wanted: dict[str, list[str]] = defaultdict(list)
    for text, parsed in items:
        wanted[parsed.key].append(text)
    keys = sorted(wanted)
    prefix = common_folder(keys)
    seen: dict[str, tuple[int, str]] = {}
    heads: list[str] = []
    failure: StorageProblem | None = None
    extra = stores.timeout_kw(store)
    index, last = 0, ""
    while index < len(keys):
        start_after = max(before(keys[index]), last)
        try:
            page = functools.partial(
                store.backend.list_page, store.fs, store.bucket, prefix, start_after, PAGE, **extra
            )
            entries, truncated = stores.call(store, "list", page)
        except StorageError as error:
            if error.problem.fault is Fault.DENIED:  # may read objects but not list them: HEADs
                heads = [text for key in keys[index:] for text in wanted[key]]
                keys = keys[:index]
            else:
                failure = error.problem
            break
        except NotThere:
            failure = problem(Fault.NOT_FOUND_BUCKET)
            break
        for key, size, version in entries:
            if key in wanted:
                seen[key] = (size, version)
        if not truncated or not entries:
            break
        last = entries[-1][0]
        while index < len(keys) and keys[index] <= last:
            index += 1
    results: Found = _run([functools.partial(_head, stores, text) for text in heads], stores)
    for position, key in enumerate(keys):
        for text in wanted[key]:
            if key in seen:
                size, version = seen[key]
                results[text] = RemoteObject(text, True, size, version)
            elif failure is not None and position >= index:
                results[text] = RemoteObject(text, False, problem=failure)
            else:
                results[text] = RemoteObject(text, False)
    return results


def _found(stores: Stores, store: Store, items: list[Item]) -> Found:
    """A listable store without `list_page`: one recursive listing of the keys' common folder."""
    paths = {text: stores.fs_path(store, parsed) for text, parsed in items}
    folder = common_folder(list(paths.values())).rstrip("/")
    extra = stores.timeout_kw(store)
    try:
        listed = stores.call(store, "list", lambda: store.fs.find(folder, detail=True, **extra))
    except StorageError as error:
        return {text: RemoteObject(text, False, problem=error.problem) for text in paths}
    except NotThere:
        listed = {}
    entries = {str(name).rstrip("/"): info for name, info in dict(listed).items()}
    results: Found = {}
    for text, path in paths.items():
        info = entries.get(path)
        results[text] = object_of(text, store, info) if info is not None else RemoteObject(text, False)
    if not any(found.exists for found in results.values()):
        missing = _bucket_problem(stores, store)
        if missing is not None:
            return {text: RemoteObject(text, False, problem=missing) for text in paths}
    return results


def _bucket_problem(stores: Stores, store: Store) -> StorageProblem | None:
    """When nothing was found: is the bucket itself missing or closed?"""
    extra = stores.timeout_kw(store)
    try:
        stores.call(store, "head", lambda: store.fs.info(store.bucket, **extra))
    except StorageError as error:
        return error.problem
    except NotThere:
        return problem(Fault.NOT_FOUND_BUCKET)
    return None
