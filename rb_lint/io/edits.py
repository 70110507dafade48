"""Fix plans addressed by JSON pointer, resolved into text edits on the document's own text.

A rule offers ``RenameKey(pointer, "segmentMap")``, ``ReplaceValue(pointer, "Glioma")``,
``RemoveMember(pointer)`` or ``MoveMember(pointer, into)``; the engine resolves it (`resolve`)
when the finding is made: the member's spans are found with the locator and the C scanner, and
the edits touch those spans only. Inserted text copies the style of its neighbours (the separator
between members, the indentation, the line ending), so a file keeps its formatting.

Offsets are into the file's text with a BOM kept as U+FEFF (see `rb_lint.core.fixes`). A plan that
no longer applies (the pointer is gone, the new key already exists) resolves to None.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property

from rb_lint.core.findings import Part
from rb_lint.core.fixes import Edit, Fix
from rb_lint.core.memo import Memo
from rb_lint.core.target import Target
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import split_pointer

# The reader reports a byte-order mark as this code (`rb_lint.io.loading`): offsets then shift by one.
BOM_CODE = "RB004"
_BLANK = re.compile(r"[ \t\r\n]*")
_INDENT = re.compile(r"[ \t]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_scan_value = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Member:
    """One `"key": value` of an object, by offsets into the BOM-less text."""

    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class ObjectSpan:
    """An object's braces and members."""

    start: int  # its `{`
    end: int  # after its `}`
    members: tuple[Member, ...]

    def member(self, key: str) -> Member | None:
        found = self.members_named(key)
        return found[-1] if found else None  # a later duplicate wins, as in json.loads

    def members_named(self, key: str) -> list[Member]:
        return [m for m in self.members if m.key == key]


class Source:
    """A document's text as plans see it: where pointers are, and the BOM offset shift."""

    def __init__(self, text: str, bom: bool) -> None:
        self.text = text
        self.shift = 1 if bom else 0
        self._bom = bom

    @cached_property
    def basis(self) -> str:
        import hashlib  # OpenSSL's library loads only when a fix is planned

        raw = ("\ufeff" if self._bom else "").encode("utf-8") + self.text.encode("utf-8", "surrogatepass")
        return hashlib.sha256(raw).hexdigest()

    def offset(self, pointer: str, part: Part = "value") -> int | None:
        """Where a pointer's value (or key) is: found by descending along the pointer only, through
        the top-level array's elements found once (50,000 tasks with a fix each cost one pass)."""
        tokens = split_pointer(pointer)
        if part != "value":
            parent = self._descend(tokens[:-1])
            obj = None if parent is None else scan_object(self.text, parent)
            found = None if obj is None or not tokens else obj.members_named(tokens[-1])
            return (found[0] if part == "first-key" else found[-1]).key_start if found else None
        return self._descend(tokens)

    def _descend(self, tokens: list[str]) -> int | None:
        text = self.text
        pos: int | None = _BLANK.match(text).end()  # type: ignore[union-attr]
        for depth, token in enumerate(tokens):
            if pos is None or pos >= len(text):
                return None
            if text[pos] == "{":
                obj = scan_object(text, pos)
                member = None if obj is None else obj.member(token)
                pos = None if member is None else member.value_start
            elif text[pos] == "[" and token.isdigit():
                spans = self._elements if depth == 0 else scan_array(text, pos)
                pos = spans[int(token)][0] if spans is not None and int(token) < len(spans) else None
            else:
                return None
        return pos

    @cached_property
    def _elements(self) -> list[tuple[int, int]] | None:
        """The spans of the top-level array's elements, found once."""
        return scan_array(self.text, _BLANK.match(self.text).end())  # type: ignore[union-attr]

    def object_at(self, pointer: str) -> ObjectSpan | None:
        start = self.offset(pointer)
        if start is None or self.text[start : start + 1] != "{":
            return None
        return scan_object(self.text, start)

    def edit(self, start: int, end: int, content: str) -> Edit:
        """An edit in the file's coordinates (past the BOM)."""
        return Edit(start + self.shift, end + self.shift, content)

    def fix(self, title: str, edits: list[Edit], safe: bool) -> Fix:
        return Fix(title, tuple(edits), safe, self.basis)


def document_source(doc: Target) -> Source | None:
    """The text of a document, and whether it began with a BOM (None for a target that is no
    `Document`: it has no text)."""
    if not isinstance(doc, Document):
        return None
    bom = any(problem.code == BOM_CODE for problem in doc.load_problems)
    return Source(doc.text, bom)


def source_of(doc: Target, memo: Memo) -> Source | None:
    return memo(document_source, doc)


def scan_object(text: str, start: int) -> ObjectSpan | None:
    """The members of the object whose `{` is at ``start`` (None if it is not well formed)."""
    members: list[Member] = []
    try:
        pos = _BLANK.match(text, start + 1).end()  # type: ignore[union-attr]
        if text[pos] == "}":
            return ObjectSpan(start, pos + 1, ())
        while True:
            key, key_end = _scan_string(text, pos + 1)
            colon = _BLANK.match(text, key_end).end()  # type: ignore[union-attr]
            if text[colon] != ":":
                return None
            value_start = _BLANK.match(text, colon + 1).end()  # type: ignore[union-attr]
            value_end = _scan_value(text, value_start)[1]
            members.append(Member(key, pos, key_end, value_start, value_end))
            pos = _BLANK.match(text, value_end).end()  # type: ignore[union-attr]
            if text[pos] == "}":
                return ObjectSpan(start, pos + 1, tuple(members))
            if text[pos] != ",":
                return None
            pos = _BLANK.match(text, pos + 1).end()  # type: ignore[union-attr]
    except (IndexError, ValueError, StopIteration):
        return None


def scan_array(text: str, start: int) -> list[tuple[int, int]] | None:
    """The spans of the elements of the array whose `[` is at ``start`` (None if not well formed)."""
    spans: list[tuple[int, int]] = []
    try:
        if text[start] != "[":
            return None
        pos = _BLANK.match(text, start + 1).end()  # type: ignore[union-attr]
        while text[pos] != "]":
            end = _scan_value(text, pos)[1]
            spans.append((pos, end))
            pos = _BLANK.match(text, end).end()  # type: ignore[union-attr]
            if text[pos] == ",":
                pos = _BLANK.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif text[pos] != "]":
                return None
    except (IndexError, ValueError, StopIteration):
        return None
    return spans


def removal_span(obj: ObjectSpan, keys: set[str]) -> list[tuple[int, int]]:
    """Spans that remove the members named ``keys`` with their commas, and nothing else: after a
    kept member, from its end; otherwise up to the next kept member's key; all: the inside."""
    members = obj.members
    if all(m.key in keys for m in members):
        return [(obj.start + 1, obj.end - 1)] if members else []
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(members):
        if members[index].key not in keys:
            index += 1
            continue
        last = index
        while last + 1 < len(members) and members[last + 1].key in keys:
            last += 1
        if index > 0:
            spans.append((members[index - 1].value_end, members[last].value_end))
        else:
            spans.append((members[index].key_start, members[last + 1].key_start))
        index = last + 1
    return spans


def insertion_after(text: str, obj: ObjectSpan, after: Member, key: str, value: str) -> tuple[int, str]:
    """Where and what to insert to add `"key": value` right after the member ``after``, written as
    the object's members are: the same separator between members and around the colon."""
    members = obj.members
    position = members.index(after)
    if len(members) > 1:  # the separator between two members: this one and the next, or the last two
        first, second = (after, members[position + 1]) if position + 1 < len(members) else members[-2:]
        separator = text[text.index(",", first.value_end) + 1 : second.key_start]
    else:
        separator = text[obj.start + 1 : members[0].key_start] or " "
    colon = text[after.key_end : after.value_start]
    return after.value_end, f",{separator}{json.dumps(key, ensure_ascii=False)}{colon}{value}"


def indentation(text: str, offset: int) -> str:
    """The blanks that begin the line holding ``offset``."""
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return _INDENT.match(text, line_start).group()  # type: ignore[union-attr]


def reindented(value: str, old: str, new: str) -> str:
    """A multi-line value moved from a line indented ``old`` to one indented ``new``: its inner
    lines move by the same amount (JSON strings hold no raw line break, so every break is layout)."""
    if new.startswith(old):
        extra = new[len(old) :]
        return _LINE_BREAK.sub(lambda m: m.group() + extra, value)
    if old.startswith(new):
        fewer = len(old) - len(new)
        return re.sub(rf"(\r\n|\r|\n)[ \t]{{0,{fewer}}}", lambda m: m.group(1), value)
    return value


def parent_and_key(pointer: str) -> tuple[str, str]:
    tokens = split_pointer(pointer)
    head = pointer[: pointer.rfind("/")]
    return head, tokens[-1] if tokens else ""


@dataclass(frozen=True)
class RenameKey:
    """Rename the key at ``pointer`` to ``new`` (unless the object already has a key ``new``)."""

    pointer: str
    new: str
    safe: bool = True

    def resolve(self, doc: Target, memo: Memo) -> Fix | None:
        source = source_of(doc, memo)
        parent, key = parent_and_key(self.pointer)
        obj = None if source is None else source.object_at(parent)
        if source is None or obj is None or obj.member(self.new) is not None:
            return None
        member = obj.member(key)
        if member is None:
            return None
        edit = source.edit(member.key_start, member.key_end, json.dumps(self.new, ensure_ascii=False))
        return source.fix(f"Rename `{key}` to `{self.new}`", [edit], self.safe)


@dataclass(frozen=True)
class ReplaceValue:
    """Replace the value at ``pointer`` with ``value`` (any JSON value, written compactly)."""

    pointer: str
    value: object
    safe: bool = False

    def resolve(self, doc: Target, memo: Memo) -> Fix | None:
        source = source_of(doc, memo)
        start = None if source is None else source.offset(self.pointer)
        if source is None or start is None:
            return None
        try:
            end = _scan_value(source.text, start)[1]
        except (StopIteration, ValueError):
            return None
        new = json.dumps(self.value, ensure_ascii=False)
        title = f"Replace `{source.text[start:end]}` with `{new}`"
        return source.fix(title, [source.edit(start, end, new)], self.safe)


@dataclass(frozen=True)
class RemoveMember:
    """Remove the member at ``pointer`` from its object, with its comma."""

    pointer: str
    safe: bool = False

    def resolve(self, doc: Target, memo: Memo) -> Fix | None:
        source = source_of(doc, memo)
        parent, key = parent_and_key(self.pointer)
        obj = None if source is None else source.object_at(parent)
        if source is None or obj is None or obj.member(key) is None:
            return None
        edits = [source.edit(start, end, "") for start, end in removal_span(obj, {key})]
        return source.fix(f"Remove `{key}`", edits, self.safe)


@dataclass(frozen=True)
class MoveMember:
    """Move the member at ``pointer`` into the object at ``into``, right after its member ``after``
    (or last), unless that object has the key already. Its value keeps its text, re-indented."""

    pointer: str
    into: str
    after: str | None = None
    safe: bool = True

    def resolve(self, doc: Target, memo: Memo) -> Fix | None:
        source = source_of(doc, memo)
        parent, key = parent_and_key(self.pointer)
        origin = None if source is None else source.object_at(parent)
        target = None if source is None else source.object_at(self.into)
        if source is None or origin is None or target is None or not target.members:
            return None
        member = origin.member(key)
        anchor = target.member(self.after) if self.after is not None else target.members[-1]
        if member is None or anchor is None or target.member(key) is not None:
            return None
        text = source.text
        value = reindented(
            text[member.value_start : member.value_end],
            indentation(text, member.key_start),
            indentation(text, anchor.key_start),
        )
        at, inserted = insertion_after(text, target, anchor, key, value)
        edits = [source.edit(start, end, "") for start, end in removal_span(origin, {key})]
        edits.append(source.edit(at, at, inserted))
        return source.fix(f"Move `{key}` to `{self.into or '/'}`", edits, self.safe)


@dataclass(frozen=True)
class RemoveBom:
    """Remove the byte-order mark at the start of the file."""

    def resolve(self, doc: Target, memo: Memo) -> Fix | None:
        source = source_of(doc, memo)
        if source is None or not source.shift:
            return None
        return source.fix("Remove the byte-order mark", [Edit(0, 1, "")], True)


@dataclass(frozen=True)
class RemoveTrailingCommas:
    """Remove every comma that comes right before a `]` or `}` (a trailing comma means nothing in
    the JavaScript it is a habit of, and is a syntax error in JSON)."""

    def resolve(self, doc: Target, memo: Memo) -> Fix | None:
        source = source_of(doc, memo)
        commas = [] if source is None else trailing_commas(source.text)
        if source is None or not commas:
            return None
        title = "Remove the trailing comma" if len(commas) == 1 else f"Remove {len(commas)} trailing commas"
        return source.fix(title, [source.edit(at, at + 1, "") for at in commas], True)


_TOKEN = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"|,[ \t\r\n]*[\]}]|[^",]+|,', re.DOTALL)


def trailing_commas(text: str) -> list[int]:
    """Offsets of the commas right before a `]` or `}`, outside strings. The scan stops at a string
    that is not closed on its line: past it, what is inside a string is unknown."""
    found: list[int] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # an unclosed string
            break
        token = match.group()
        if len(token) > 1 and token[0] == ",":
            found.append(pos)
        pos = match.end()
    return found
