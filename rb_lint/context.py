"""What rules may consult besides the document: configuration, the other documents, shared state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rb_lint.config import Config, LoadedConfig
from rb_lint.documents import Document


@dataclass
class Options:
    """Run-time choices that are not configuration (they come from the command line or the API)."""

    taxonomy: Path | None = None
    jobs: int | None = None
    use_cache: bool = True
    progress: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    loaded: LoadedConfig
    documents: list[Document] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    shared: dict[str, Any] = field(default_factory=dict)  # results rules compute once and share

    @property
    def config(self) -> Config:
        return self.loaded.config

    @property
    def root(self) -> Path:
        return self.loaded.root
