"""A linted JSON document: its text, parsed data, detected kind, shared facts and lazy positions."""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from rb_lint.core.findings import Hit, LoadProblem, Part
from rb_lint.core.memo import Memo
from rb_lint.io.jsonpos import LineIndex, Locator
from rb_lint.models.kinds import UNKNOWN


@dataclass(eq=False)
class Document:
    path: Path
    display_path: str
    source: str | None  # the text; None for a large file read by streaming (re-read on demand)
    data: Any = None
    parsed: bool = False
    kind: str = UNKNOWN
    load_problems: list[LoadProblem] = field(default_factory=list)
    memo: Memo = field(default_factory=Memo)  # facts rules share, computed once per document

    @property
    def directory(self) -> Path:
        return self.path.parent

    def release(self) -> None:
        """Drop the parsed data and what rules derived from it (a large file's objects are
        several times its size); positions need only the text."""
        self.data = None
        self.memo.clear()

    @property
    def text(self) -> str:
        """The text positions are computed on; a streamed file is read again only when needed."""
        if self.source is None:
            self.source = decode_for_positions(self.path.read_bytes())
        return self.source

    @cached_property
    def _locator(self) -> Locator:
        return Locator(self.text)

    def positions(self, hits: Iterable[Hit]) -> dict[int, tuple[int, int]]:
        """Line and column of each hit, keyed by ``id(hit)``, computed in one pass over the text."""
        hits = list(hits)
        if not hits:
            return {}
        if self.source is None and all(_at_start(h) for h in hits):
            return self._start_positions(hits)  # a 200 MB file need not be read again for 1:1
        offsets = self.offsets({(h.pointer, h.at) for h in hits if h.offset is None})
        hit_offsets = {}
        for hit in hits:  # a pointer that is not in the document gets no position: the engine says so
            offset = hit.offset if hit.offset is not None else offsets.get((hit.pointer, hit.at))
            if offset is not None:
                hit_offsets[id(hit)] = offset
        lines = LineIndex(self.text).positions(hit_offsets.values())
        return {key: lines[self._clamp(off)] for key, off in hit_offsets.items()}

    def line_columns(self, requests: Iterable[tuple[str, Part]]) -> dict[tuple[str, Part], tuple[int, int]]:
        """Line and column of pointers (e.g. to cite another occurrence in a message)."""
        offsets = self.offsets(requests)
        lines = LineIndex(self.text).positions(offsets.values())
        return {request: lines[self._clamp(off)] for request, off in offsets.items()}

    def offsets(self, requests: Iterable[tuple[str, Part]]) -> dict[tuple[str, Part], int]:
        requests = set(requests)
        if not requests or not self.parsed:
            return {}
        return self._locator.offsets(requests)

    def _start_positions(self, hits: list[Hit]) -> dict[int, tuple[int, int]]:
        with self.path.open("rb") as handle:
            head = decode_for_positions(handle.read(64 * 1024))
        root = len(head) - len(head.lstrip(" \t\r\n"))
        lines = LineIndex(head).positions([0, root])
        return {id(h): lines[0 if h.offset == 0 else root] for h in hits}

    def _clamp(self, offset: int) -> int:
        return max(0, min(offset, len(self.text)))


def _at_start(hit: Hit) -> bool:
    return hit.offset == 0 or (hit.offset is None and hit.pointer == "" and hit.at == "value")


def decode_for_positions(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    return raw.decode("utf-8", errors="replace")
