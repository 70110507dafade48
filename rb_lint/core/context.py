"""What rules may consult besides the document: configuration, the other documents, run-wide facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rb_lint.core.config import Config, LoadedConfig
from rb_lint.core.memo import Memo
from rb_lint.core.target import Target


@dataclass
class Options:
    """Run-time choices that are not configuration (they come from the command line or the API)."""

    taxonomy: Path | None = None
    jobs: int | None = None
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
