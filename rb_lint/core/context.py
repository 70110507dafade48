"""What rules may consult besides the document: configuration, the other documents, run-wide facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rb_lint.core.config import Config, LoadedConfig
from rb_lint.core.memo import Memo
from rb_lint.core.target import Target


class RunCancelled(BaseException):
    """Raised by a `RunObserver` to stop a run (a cancelled or timed-out service job). A
    BaseException, like KeyboardInterrupt, so no rule's error handling turns it into a finding."""


class RunObserver(Protocol):
    """Told of a run's progress (a service's job status); either call may raise `RunCancelled`."""

    def document_done(self, nbytes: int) -> None:
        """A document's rules ran; `nbytes` is its size."""

    def mask_scanned(self, nbytes: int) -> None:
        """A mask was scanned (or taken from the cache); `nbytes` is its size."""


@dataclass
class Options:
    """Run-time choices that are not configuration (they come from the command line or the API)."""

    taxonomy: Path | None = None
    jobs: int | None = None
    executor: str | None = None  # --executor: "local" or "dask" (wins over the config's masks.executor)
    scheduler: str | None = None  # --scheduler: a Dask scheduler's address (implies the dask executor)
    use_cache: bool = True
    cache_dir: Path | None = None  # --cache-dir: wins over RB_LINT_CACHE_DIR and the config
    progress: bool = False
    verbose: bool = False  # internal errors carry their traceback
    storage: str | None = None  # --storage URL: the items' storage (wins over the config's `default`)
    label_storage: str | None = None  # --label-storage URL: the segmentations' (wins over `labels`)
    remote: bool = False  # --remote: fetch full URLs even without a storage mapping
    # Files whose deletion is staged (`lint(removed=...)`), absolute: they were local, so the
    # documents naming them are direct-upload lists.
    removed: frozenset[Path] = frozenset()
    # A service's safety: no file whose real path is outside the root is opened, read or scanned.
    confine: bool = False
    observer: RunObserver | None = None  # progress, and the way to cancel a run


@dataclass
class Context:
    loaded: LoadedConfig
    # Every document of the run, in order. They are read one at a time: while document rules run,
    # the others are pending or released (their parsed data raises), except taxonomies, read first.
    documents: Sequence[Target] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    memo: Memo = field(default_factory=Memo)  # facts about the whole run, computed once

    @property
    def config(self) -> Config:
        return self.loaded.config

    @property
    def root(self) -> Path:
        return self.loaded.root
