"""Fixes: text edits a rule offers with a finding, applied to the file's text and nothing else.

A fix is never a re-serialisation: each `Edit` replaces one span of the original text, so
indentation, key order, line endings and everything outside the spans stay byte-identical.

Offsets are character offsets (Unicode code points) into the document's text exactly as read from
its bytes: UTF-8 decoded strictly, a byte-order mark kept as U+FEFF at offset 0. So in a file that
starts with a BOM, every offset is one more than in the BOM-less text the positions (line, column)
are computed on; an LSP client that holds the editor's text uses the offsets as they are when that
text keeps the BOM (`document_from_bytes(text.encode())` reports it then), and the editor's text
is the file's text otherwise.

A rule does not compute offsets: it offers a `FixPlan` (for instance "rename the key at this
pointer", `rb_lint.io.edits`), which the engine resolves against the document's text when the
finding is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rb_lint.core.memo import Memo
    from rb_lint.core.target import Target


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``content`` (an insertion when start == end)."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    """Edits that repair one finding. ``safe``: the meaning of the file cannot change (a BOM, a
    trailing comma, a key's spelling); unsafe fixes change what is uploaded (a category, which
    series a mapping belongs to, dropped entries) and are applied only on request.

    ``basis`` is the SHA-256 (hex) of the bytes the offsets index into, so that a fix is never
    applied to a file that changed since it was read ("" when unknown)."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool
    basis: str = field(default="", compare=False)


class FixPlan(Protocol):
    """A fix as a rule describes it: resolved by the engine into a `Fix` against the document's
    text (None when it no longer applies). ``memo`` is shared by the plans of one document while
    they are resolved (the text, where pointers are), then dropped."""

    def resolve(self, doc: Target, memo: Memo) -> Fix | None: ...


class OverlappingEdits(ValueError):
    """Two edits of one application overlap."""


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with ``edits`` applied: they must not overlap (two insertions at one offset do not
    overlap, and are applied in the order given). Edits need not be given sorted."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    pieces: list[str] = []
    done = 0
    for edit in ordered:
        if edit.start < done or edit.end < edit.start or edit.end > len(text):
            raise OverlappingEdits(f"edit {edit.start}..{edit.end} overlaps another or leaves the text")
        pieces += [text[done : edit.start], edit.content]
        done = edit.end
    pieces.append(text[done:])
    return "".join(pieces)


def compatible(fixes: Iterable[Fix]) -> tuple[list[Fix], list[Fix]]:
    """Fixes that can be applied together, in the order given, and those that must wait for the
    next pass because an edit of theirs overlaps one already taken."""
    taken: list[Fix] = []
    waiting: list[Fix] = []
    spans: list[tuple[int, int]] = []
    for fix in fixes:
        if any(_conflict(edit, spans) for edit in fix.edits):
            waiting.append(fix)
        else:
            taken.append(fix)
            spans += [(edit.start, edit.end) for edit in fix.edits]
    return taken, waiting


def _conflict(edit: Edit, spans: Sequence[tuple[int, int]]) -> bool:
    # Spans that only touch are independent, except two insertions at one offset (their order).
    return any(
        (edit.start < end and start < edit.end) or (edit.start == edit.end == start == end)
        for start, end in spans
    )
