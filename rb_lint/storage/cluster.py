"""Remote mask scans on a Dask cluster (`--executor dask`): the workers open the URLs themselves.

The client has told which objects exist (with their sizes and versions) and consults its cache;
what is left goes to the workers as tasks of `RemoteObject`s (URL, size, version) and the
`StorageSettings` (endpoint, timeouts, retries: never a credential). Each worker opens the objects
with its own `Stores`, so with its own environment and its provider's credential chain, and scans
them exactly as `scanning.scan_one` does here (same readers, limits and fault messages); only the
small results come back. The client writes them into its cache. A task the cluster could not
finish is scanned here, as `scan_remote` would have.

The worker's side (`scan_objects`) imports only the storage layer and the scanner: no dask here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence

from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.scan import ScanResult
from rb_lint.storage.access import RemoteObject, Stores
from rb_lint.storage.scanning import answered_here, scan_remote, store_result
from rb_lint.storage.settings import StorageSettings

TASK_OBJECTS = 8  # objects per task: a few requests in flight per worker, results back in batches
# Objects of a task read at once: network-bound, but each holds its read-ahead (a small object, up
# to 4 MiB, whole), and a worker should stay near 100 MB.
WORKER_THREADS = 2


def scan_on_cluster(
    stores: Stores,
    objects: Sequence[RemoteObject],
    max_bytes: int,
    cache: MaskCache | None,
    scheduler: str | None,
    workers: int,
) -> dict[str, ScanResult]:
    """`scan_remote` on the cluster at `scheduler` (None: rb-lint's LocalCluster of `workers`
    processes). Keys: the objects' URLs, in their order. Raises ExecutorError when the cluster
    cannot be used."""
    from rb_lint.nifti import dask_executor

    if cache is not None and cache.open() is not None:
        cache = None  # the folder may not be used (the caller says why, once)
    results: dict[str, ScanResult] = {}
    sent: list[RemoteObject] = []
    for item in objects:
        here = answered_here(item, cache)
        if here is not None:
            results[item.url] = here
        else:
            sent.append(item)
    if sent:
        tasks = [sent[start : start + TASK_OBJECTS] for start in range(0, len(sent), TASK_OBJECTS)]

        def done(index: int, scanned: list[ScanResult] | None) -> None:
            if scanned is None:
                return  # the cluster could not: scanned here below
            for item, result in zip(tasks[index], scanned, strict=True):
                results[item.url] = result
                store_result(cache, item, result)

        task = functools.partial(scan_objects, max_bytes=max_bytes, settings=stores.settings)
        dask_executor.session(scheduler, workers).run(task, tasks, done)
        left = [item for item in sent if item.url not in results]
        results.update(scan_remote(stores, left, max_bytes, cache))
    return {item.url: results[item.url] for item in objects}


# -- on a worker ---------------------------------------------------------------------------------


def scan_objects(objects: list[RemoteObject], max_bytes: int, settings: StorageSettings) -> list[ScanResult]:
    """A task on a cluster worker: each object opened by this worker (its own credentials) and
    scanned as here; the results in the objects' order. No cache (the client's)."""
    stores = _worker_stores(settings)
    found = scan_remote(stores, objects, max_bytes, None, WORKER_THREADS)
    return [found[item.url] for item in objects]


_STORES: dict[StorageSettings, Stores] = {}  # a worker's filesystems, kept from task to task
_STORES_LOCK = threading.Lock()


def _worker_stores(settings: StorageSettings) -> Stores:
    with _STORES_LOCK:
        found = _STORES.get(settings)
        if found is None:
            found = _STORES[settings] = Stores(settings)
        return found
