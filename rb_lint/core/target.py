"""What the engine needs of a linted document (`rb_lint.io.document.Document` is the one implementation)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from rb_lint.core.findings import Hit, LoadProblem, Part
from rb_lint.core.memo import Memo


class Target(Protocol):
    path: Path
    display_path: str
    kind: str
    parsed: bool
    data: Any
    load_problems: list[LoadProblem]
    memo: Memo

    def positions(self, hits: Iterable[Hit]) -> dict[int, tuple[int, int]]: ...

    def line_columns(
        self, requests: Iterable[tuple[str, Part]]
    ) -> dict[tuple[str, Part], tuple[int, int]]: ...

    def load(self) -> None: ...

    def release(self) -> None: ...

    def forget_text(self) -> None: ...
