"""A linted JSON document: its text, parsed data, detected kind, shared facts and lazy positions.

A document goes through three stages. *Pending*: known by its path only (`Document.pending`), read
when the engine gets to it (`load`), so that one document is parsed at a time. *Loaded*: text and
parsed data are there for the document rules. *Released* (`release`): the parsed data and the
facts derived from it are dropped, except the facts the project rules declared they need, and a
file read from disk drops its text too (positions read it again). Reading the parsed data of a
pending or released document raises `DocumentReleased`: a rule that needs it must say so.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rb_lint.core.findings import Hit, LoadProblem, Part
from rb_lint.core.memo import Memo
from rb_lint.io.jsonpos import LineIndex, Locator
from rb_lint.models.kinds import UNKNOWN

Stage = Literal["pending", "loaded", "released"]


class DocumentReleased(RuntimeError):
    """The parsed data of a document that is not loaded was asked for: a project rule or a run-wide
    fact must declare the per-document facts it needs (`@rule(..., needs=...)`) instead."""


@dataclass(eq=False)
class Document:
    path: Path
    display_path: str
    source: str | None  # the text; None for a large file read by streaming (re-read on demand)
    _data: Any = field(default=None, repr=False)
    parsed: bool = False
    kind: str = UNKNOWN
    load_problems: list[LoadProblem] = field(default_factory=list)
    memo: Memo = field(default_factory=Memo)  # facts rules share, computed once per document
    # The text can be read again from `path` (a file linted from disk, not an in-memory document).
    rereadable: bool = False
    # The parsed data outlives the document's turn: run-wide facts (the run's taxonomy) read it
    # whenever they are first asked. Only for small documents (taxonomies).
    pinned: bool = False
    stage: Stage = "loaded"
    _reader: Callable[[], Document] | None = field(default=None, repr=False)
    _locator_cache: Locator | None = field(default=None, repr=False)

    @classmethod
    def pending(cls, path: Path, display_path: str, reader: Callable[[], Document]) -> Document:
        """A document that `load()` reads with `reader` when its turn comes."""
        return cls(path, display_path, None, stage="pending", _reader=reader)

    @property
    def data(self) -> Any:
        if self.stage != "loaded" and not self.pinned:
            raise DocumentReleased(
                f"{self.display_path}: the parsed data was asked for while the document is "
                f"{self.stage}: declare the per-document fact that is needed (`needs=`)"
            )
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    @property
    def directory(self) -> Path:
        return self.path.parent

    def load(self) -> None:
        """Read a pending document (a loaded or released one stays as it is)."""
        if self.stage != "pending" or self._reader is None:
            return
        read = self._reader()
        self.source, self._data, self.parsed, self.kind = read.source, read._data, read.parsed, read.kind
        self.load_problems, self.rereadable, self.pinned = read.load_problems, read.rereadable, read.pinned
        self.stage = "loaded"

    def unload(self) -> None:
        """Back to pending: a document read early (to find the taxonomies) is read again in its turn."""
        if self._reader is None:
            return
        self.source, self._data, self.parsed, self.kind = None, None, False, UNKNOWN
        self.load_problems, self.memo, self._locator_cache = [], Memo(), None
        self.pinned, self.stage = False, "pending"

    def release(self) -> None:
        """Drop the parsed data and what rules derived from it (a large file's objects are
        several times its size), except the facts asked for in `memo.keeping()`; a file on disk
        drops its text too (positions read it again)."""
        if not self.pinned:
            self._data = None
            self.memo.clear()
        self.stage = "released"
        self.forget_text()

    def forget_text(self) -> None:
        """Drop the text of a released file that can be read again (after its positions are known)."""
        if self.rereadable and self.stage == "released":
            self.source, self._locator_cache = None, None

    @property
    def text(self) -> str:
        """The text positions are computed on; a streamed file is read again only when needed."""
        if self.source is not None:
            return self.source
        text = decode_for_positions(self.path.read_bytes())
        if not (self.rereadable and self.stage == "released"):
            self.source = text  # a released file is read again each time rather than kept
        return text

    def _locator(self, text: str) -> Locator:
        if self._locator_cache is not None:
            return self._locator_cache
        locator = Locator(text)
        if self.source is not None:
            self._locator_cache = locator
        return locator

    def positions(self, hits: Iterable[Hit]) -> dict[int, tuple[int, int]]:
        """Line and column of each hit, keyed by ``id(hit)``, computed in one pass over the text."""
        hits = list(hits)
        if not hits:
            return {}
        if self.source is None and all(_at_start(h) for h in hits):
            return self._start_positions(hits)  # a 200 MB file need not be read again for 1:1
        text = self.text
        offsets = self._offsets(text, {(h.pointer, h.at) for h in hits if h.offset is None})
        hit_offsets = {}
        for hit in hits:  # a pointer that is not in the document gets no position: the engine says so
            offset = hit.offset if hit.offset is not None else offsets.get((hit.pointer, hit.at))
            if offset is not None:
                hit_offsets[id(hit)] = offset
        lines = LineIndex(text).positions(hit_offsets.values())
        return {key: lines[_clamp(text, off)] for key, off in hit_offsets.items()}

    def line_columns(self, requests: Iterable[tuple[str, Part]]) -> dict[tuple[str, Part], tuple[int, int]]:
        """Line and column of pointers (e.g. to cite another occurrence in a message)."""
        requests = set(requests)
        if not requests or not self.parsed:
            return {}
        text = self.text
        offsets = self._offsets(text, requests)
        lines = LineIndex(text).positions(offsets.values())
        return {request: lines[_clamp(text, off)] for request, off in offsets.items()}

    def offsets(self, requests: Iterable[tuple[str, Part]]) -> dict[tuple[str, Part], int]:
        requests = set(requests)
        if not requests or not self.parsed:
            return {}
        return self._offsets(self.text, requests)

    def _offsets(self, text: str, requests: set[tuple[str, Part]]) -> dict[tuple[str, Part], int]:
        if not requests or not self.parsed:
            return {}
        return self._locator(text).offsets(requests)

    def _start_positions(self, hits: list[Hit]) -> dict[int, tuple[int, int]]:
        with self.path.open("rb") as handle:
            head = decode_for_positions(handle.read(64 * 1024))
        root = len(head) - len(head.lstrip(" \t\r\n"))
        lines = LineIndex(head).positions([0, root])
        return {id(h): lines[0 if h.offset == 0 else root] for h in hits}


def _clamp(text: str, offset: int) -> int:
    return max(0, min(offset, len(text)))


def _at_start(hit: Hit) -> bool:
    return hit.offset == 0 or (hit.offset is None and hit.pointer == "" and hit.at == "value")


def decode_for_positions(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    return raw.decode("utf-8", errors="replace")
