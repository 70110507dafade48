"""A run's observer (`Options.observer`): told of each document and each mask scanned, and able to
stop the run by raising `RunCancelled` (a service's cancelled or timed-out job), which `lint()`
propagates, leaving no worker process and no cache temporary file behind."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import write
from storage_servers import HttpServer
from test_nifti_support import nifti_bytes, save

from rb_lint.api import lint
from rb_lint.core.context import Options, RunCancelled

pytest_plugins = ["storage_servers"]  # its `http_server` fixture

MASKS_PER_DOCUMENT = 6


class Recorder:
    """Records what it is told; raises RunCancelled at the n-th call of the chosen kind."""

    def __init__(self, cancel_on: str | None = None, after: int = 1) -> None:
        self.documents: list[int] = []
        self.masks: list[int] = []
        self.cancel_on, self.after = cancel_on, after
        self.workers = 0  # the most scan worker processes seen alive while told of a mask

    def document_done(self, nbytes: int) -> None:
        self.documents.append(nbytes)
        self._maybe_cancel("document", len(self.documents))

    def mask_scanned(self, nbytes: int) -> None:
        self.masks.append(nbytes)
        self.workers = max(self.workers, len(multiprocessing.active_children()))
        self._maybe_cancel("mask", len(self.masks))

    def _maybe_cancel(self, kind: str, count: int) -> None:
        if self.cancel_on == kind and count >= self.after:
            raise RunCancelled


def cube(value: int, size: int = 24) -> Any:
    data = np.zeros((size, size, size), dtype=np.uint8)
    data[1 : value + 2, 1, 1] = 1
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two items lists, each naming its own masks (different sizes, so sizes can be told apart)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "rb-lint.toml").write_text("")
    for document in ("a", "b"):
        tasks = []
        for index in range(MASKS_PER_DOCUMENT):
            name = f"{document}{index}"
            save(root / "masks" / f"{name}.nii.gz", cube(index, size=16 + index))
            series = {
                "items": f"{name}.nii.gz",
                "segmentations": f"masks/{name}.nii.gz",
                "segmentMap": {"1": "L"},
            }
            tasks.append({"name": name, "series": [series]})
        write(root / f"{document}.json", tasks)
    return root


def children() -> set[int]:
    """Processes whose parent is this one, from /proc (no psutil)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.add(int(entry))
    return found


def settled(new_processes: Callable[[], set[Any]], seconds: float = 20) -> set[Any]:
    """What `new_processes` returns once it is empty, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while (found := new_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def leftovers(cache: Path) -> list[str]:
    return sorted(str(p) for p in cache.rglob("*") if p.name.startswith(".tmp") or p.name.endswith(".part"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_observer_hears_of_every_document_and_every_mask(project: Path, jobs: int) -> None:
    observer = Recorder()
    options = Options(use_cache=False, jobs=jobs, observer=observer)  # jobs given: workers even for small
    report = lint([project], options=options, display_root=project)
    assert report.errors == []
    assert observer.documents == [(project / name).stat().st_size for name in ("a.json", "b.json")]
    sizes = sorted(p.stat().st_size for p in (project / "masks").iterdir())
    assert sorted(observer.masks) == sizes and len(sizes) == 2 * MASKS_PER_DOCUMENT
    assert (observer.workers > 0) == (jobs > 1)  # jobs=2: scanned in worker processes


@pytest.mark.parametrize(("cancel_on", "jobs"), [("mask", 1), ("mask", 2), ("document", 1), ("document", 2)])
def test_raising_run_cancelled_stops_the_run_and_leaves_nothing_behind(
    project: Path, tmp_path: Path, cancel_on: str, jobs: int
) -> None:
    cache = tmp_path / "cache"
    before, before_pool = children(), set(multiprocessing.active_children())
    observer = Recorder(cancel_on=cancel_on, after=1)
    options = Options(use_cache=True, cache_dir=cache, jobs=jobs, observer=observer)
    with pytest.raises(RunCancelled):
        lint([project], options=options, display_root=project)
    # Stopped at once: the first document's batch at most, never the second document's masks.
    assert len(observer.documents) <= 1
    assert len(observer.masks) <= MASKS_PER_DOCUMENT
    # Killed workers are reaped within moments (a loaded machine may take a while); a leaked,
    # idle worker would wait on its queue for ever.
    assert settled(lambda: set(multiprocessing.active_children()) - before_pool) == set()
    assert settled(lambda: children() - before) == set()
    assert leftovers(cache) == []
    # The run can be made again, whole, in the same process (nothing half-set was left).
    again = Recorder()
    lint([project], options=Options(use_cache=True, cache_dir=cache, jobs=jobs, observer=again))
    assert len(again.documents) == 2
    assert leftovers(cache) == []


def test_remote_masks_are_told_to_the_observer_too(tmp_path: Path, http_server: HttpServer) -> None:
    masks = {f"p/{index}.nii.gz": nifti_bytes(cube(index, size=8 + index)) for index in range(3)}
    http_server.files.update(masks)
    tasks = [
        {
            "name": f"t{i}",
            "series": [
                {"items": "ct.nii.gz", "segmentations": http_server.url(key), "segmentMap": {"1": "L"}}
            ],
        }
        for i, key in enumerate(masks)
    ]
    write(tmp_path / "items.json", tasks)
    (tmp_path / "rb-lint.toml").write_text("")
    observer = Recorder()
    lint([tmp_path / "items.json"], options=Options(use_cache=False, remote=True, observer=observer))
    assert sorted(observer.masks) == sorted(len(data) for data in masks.values())
    cancelled = Recorder(cancel_on="mask")
    with pytest.raises(RunCancelled):
        lint([tmp_path / "items.json"], options=Options(use_cache=False, remote=True, observer=cancelled))
    assert cancelled.documents == []
