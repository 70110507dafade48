"""JSON with positions: parse at C speed, find line and column only for pointers that are reported.

`parse_json` uses the standard library's C scanner and records what it would silently lose
(duplicate keys, NaN and Infinity). `Locator` answers "where is /12/series/0/name?" by walking the
text along the requested pointers only, skipping every other value with the C scanner, so a
200 MB file costs nothing extra until something in it is reported.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

# Which part of the JSON at a pointer is meant: the value, its key, or the first of repeated keys.
Part = Literal["value", "key", "first-key"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DELIMITERS = frozenset(" \t\n\r,]}")
_MAX_SHARED_STRINGS = 100_000
_scan_value = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]


def escape_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape_token(t) for t in tokens)


def split_pointer(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


@dataclass
class SyntaxProblem:
    message: str
    offset: int


@dataclass
class ParsedJSON:
    data: Any
    duplicate_keys: list[tuple[str, str]] = field(default_factory=list)  # (object pointer, key)
    non_finite: list[tuple[str, str]] = field(default_factory=list)  # (pointer, literal)


class _Anomalies:
    """Hooks for the C scanner that note what the json module would otherwise hide.

    The object hook also shares equal keys and short string values: exports repeat categories,
    emails, dates and stage names thousands of times, and the C scanner shares keys only within
    one call (the streaming reader makes one call per task).
    """

    def __init__(self) -> None:
        self.objects_with_duplicates: list[tuple[dict[str, Any], list[str]]] = []
        self.non_finite_literals: list[str] = []
        self._strings: dict[str, str] = {}

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        strings = self._strings
        if len(strings) > _MAX_SHARED_STRINGS:
            strings.clear()  # unique ids and names would only grow the table: start afresh
        obj = {}
        for key, value in pairs:
            if type(value) is str and len(value) <= 64:
                value = strings.setdefault(value, value)
            obj[strings.setdefault(key, key)] = value
        if len(obj) != len(pairs):
            seen: set[str] = set()
            repeated = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            self.objects_with_duplicates.append((obj, repeated))
        return obj

    def constant(self, literal: str) -> float:
        self.non_finite_literals.append(literal)
        return float(literal)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing allocates millions of objects and no cycles: a cyclic GC pass there only costs time
    (about half of json.loads on large files). Afterwards the tree is frozen out of later passes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def parse_json(text: str) -> ParsedJSON | SyntaxProblem:
    anomalies = _Anomalies()
    try:
        with _collector_paused():
            data = json.loads(text, object_pairs_hook=anomalies.pairs, parse_constant=anomalies.constant)
    except json.JSONDecodeError as error:
        return _describe_syntax_error(text, error)
    except RecursionError:
        return SyntaxProblem("JSON is nested too deeply to be read", 0)
    return _finish(data, anomalies)


def _finish(data: Any, anomalies: _Anomalies) -> ParsedJSON:
    parsed = ParsedJSON(data)
    if anomalies.objects_with_duplicates or anomalies.non_finite_literals:
        _point_at_anomalies(parsed, anomalies)
    return parsed


class _NeedsWholeText(Exception):
    """The streaming reader met something only a whole-text parse describes exactly."""


def parse_json_array_stream(chunks: Iterable[str]) -> ParsedJSON | None:
    """Parse a top-level JSON array element by element from text chunks, never holding the whole
    text (a 200 MB tasks.json then costs its objects, not objects plus text).

    Returns None when the text is not a well-formed top-level array: the caller then parses the
    whole text with `parse_json`, which describes the problem exactly.
    """
    anomalies = _Anomalies()
    decoder = json.JSONDecoder(object_pairs_hook=anomalies.pairs, parse_constant=anomalies.constant)
    scan = decoder.scan_once  # type: ignore[attr-defined]
    try:
        with _collector_paused():
            data = _stream_elements(iter(chunks), scan)
    except (_NeedsWholeText, RecursionError):
        return None
    return _finish(data, anomalies)


def _stream_elements(chunks: Iterator[str], scan: Any) -> list[Any]:
    buffer, pos, exhausted = "", 0, False

    def refill(at_least: int) -> bool:
        nonlocal buffer, pos, exhausted
        buffer, pos = buffer[pos:], 0
        wanted = max(at_least, len(buffer))
        added = 0
        while added < wanted and not exhausted:
            piece = next(chunks, None)
            if piece is None:
                exhausted = True
            else:
                buffer += piece
                added += len(piece)
        return added > 0

    def next_char() -> str:
        nonlocal pos
        while True:
            pos = _WHITESPACE.match(buffer, pos).end()  # type: ignore[union-attr]
            if pos < len(buffer):
                return buffer[pos]
            if not refill(1):
                return ""

    if next_char() != "[":
        raise _NeedsWholeText
    pos += 1
    elements: list[Any] = []
    if next_char() == "]":
        return _expect_end(elements, buffer, pos + 1, chunks)
    while True:
        while True:
            try:
                value, end = scan(buffer, pos)
                # A value may be cut short by the end of the buffer (`-0.` of `-0.5`): it is
                # complete only once a delimiter follows it, or the text has ended.
                if exhausted or (end < len(buffer) and buffer[end] in _DELIMITERS):
                    break
            except (StopIteration, json.JSONDecodeError):
                if exhausted:
                    raise _NeedsWholeText from None
            refill(len(buffer) - pos + 1)  # then retry; once exhausted, the retry is final
        elements.append(value)
        pos = end
        separator = next_char()
        pos += 1
        if separator == "]":
            return _expect_end(elements, buffer, pos, chunks)
        if separator != ",":
            raise _NeedsWholeText
        if next_char() == "]":
            raise _NeedsWholeText  # a trailing comma


def _expect_end(elements: list[Any], buffer: str, pos: int, chunks: Iterator[str]) -> list[Any]:
    rest = buffer[pos:] + "".join(chunks)
    if rest.strip(" \t\r\n"):
        raise _NeedsWholeText
    return elements


def _point_at_anomalies(parsed: ParsedJSON, anomalies: _Anomalies) -> None:
    # Rare path: one walk over the parsed tree maps the marked objects and values to pointers.
    wanted = {id(obj): keys for obj, keys in anomalies.objects_with_duplicates}
    stack: list[tuple[str, Any]] = [("", parsed.data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, dict):
            for key in wanted.get(id(value), ()):
                parsed.duplicate_keys.append((pointer, key))
            stack.extend((join_pointer(pointer, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((join_pointer(pointer, i), v) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            parsed.non_finite.append((pointer, _literal(value)))
    parsed.duplicate_keys.sort()
    parsed.non_finite.sort()


def _literal(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _describe_syntax_error(text: str, error: json.JSONDecodeError) -> SyntaxProblem:
    pos = error.pos
    before = text.rstrip(" \t\r\n") if pos >= len(text) else None
    if before is not None or (error.msg == "Expecting value" and not text[pos:].strip()):
        return SyntaxProblem(
            "the file ends before the JSON is complete (truncated?): close every open string, "
            "object and array",
            len(text.rstrip(" \t\r\n")),
        )
    comma = _trailing_comma(text, pos)
    if comma is not None:
        closer = text[pos]
        return SyntaxProblem(f"trailing comma before `{closer}`: remove the comma", comma)
    if error.msg.startswith("Unterminated string"):
        return SyntaxProblem('string is never closed: add the closing `"`', pos)
    if error.msg == "Extra data":
        return SyntaxProblem(
            "unexpected content after the end of the JSON value: a file holds one value; "
            "wrap several in an array",
            pos,
        )
    if error.msg.startswith("Expecting property name"):
        return SyntaxProblem(
            f"expected a key in double quotes, found `{text[pos]}`: JSON keys are double-quoted strings",
            pos,
        )
    if error.msg.startswith("Invalid control character"):
        return SyntaxProblem("raw control character inside a string: escape it (e.g. `\\n`)", pos)
    found = text[pos] if pos < len(text) else "end of file"
    return SyntaxProblem(f"invalid JSON: {error.msg.lower()} (found `{found}`)", pos)


def _trailing_comma(text: str, pos: int) -> int | None:
    if pos >= len(text) or text[pos] not in "]}":
        return None
    back = pos - 1
    while back >= 0 and text[back] in " \t\r\n":
        back -= 1
    return back if back >= 0 and text[back] == "," else None


class _AllFound(Exception):
    pass


class Locator:
    """Character offsets of JSON pointers in a document's text, found in one pass per batch."""

    def __init__(self, text: str) -> None:
        self.text = text

    def offsets(self, requests: Iterable[tuple[str, Part]]) -> dict[tuple[str, Part], int]:
        wanted = set(requests)
        trie: dict[str, Any] = {}
        for pointer, _part in wanted:
            node = trie
            for token in split_pointer(pointer):
                node = node.setdefault(token, {})
        walk = _Walk(self.text, wanted)
        start = walk.skip_whitespace(0)
        if not trie:  # only the root: no need to scan past its start
            return {("", "value"): start} if ("", "value") in wanted else {}
        try:
            walk.value(start, "", trie)
        except _AllFound:
            pass
        except (IndexError, ValueError, StopIteration):
            pass  # the text is not valid JSON past this point: keep what was found
        return walk.found


class _Walk:
    """One pass of the locator: descend only into containers on a requested path; skip every
    other value with the C scanner."""

    def __init__(self, text: str, wanted: set[tuple[str, Part]]) -> None:
        self.text = text
        self.wanted = wanted
        self.found: dict[tuple[str, Part], int] = {}

    def skip_whitespace(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def skip_value(self, pos: int) -> int:
        try:
            return int(_scan_value(self.text, pos)[1])
        except (StopIteration, ValueError):
            return pos + 1

    def value(self, pos: int, pointer: str, trie: dict[str, Any]) -> int:
        """Note the offsets wanted at or below `pointer` (its value starts at `pos`); return its end."""
        if (pointer, "value") in self.wanted:
            self.found[(pointer, "value")] = pos
        opener = self.text[pos]
        if trie and opener == "{":
            return self.members(pos, pointer, trie)
        if trie and opener == "[":
            return self.elements(pos, pointer, trie)
        return self.skip_value(pos)

    def members(self, pos: int, pointer: str, trie: dict[str, Any]) -> int:
        text, wanted, found = self.text, self.wanted, self.found
        pos = self.skip_whitespace(pos + 1)
        if text[pos] == "}":
            return pos + 1
        while True:
            key_start = pos
            key, pos = _scan_string(text, pos + 1)
            child = join_pointer(pointer, key)
            if (child, "first-key") in wanted and (child, "first-key") not in found:
                found[(child, "first-key")] = key_start
            if (child, "key") in wanted:
                found[(child, "key")] = key_start  # a later duplicate wins, as in json.loads
            pos = self.skip_whitespace(self.skip_whitespace(pos) + 1)  # past ':'
            pos = self.value(pos, child, trie[key]) if key in trie else self.skip_value(pos)
            pos = self.skip_whitespace(pos)
            if text[pos] == "}":
                return pos + 1
            pos = self.skip_whitespace(pos + 1)  # past ','

    def elements(self, pos: int, pointer: str, trie: dict[str, Any]) -> int:
        pos = self.skip_whitespace(pos + 1)
        if self.text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            token = str(index)
            if token in trie:
                pos = self.value(pos, f"{pointer}/{index}", trie[token])
                # Top-level elements are complete here (later duplicate keys cannot follow), so
                # a big file need not be scanned past the last element anything was asked of.
                if not pointer and len(self.found) == len(self.wanted):
                    raise _AllFound
            else:
                pos = self.skip_value(pos)
            pos = self.skip_whitespace(pos)
            if self.text[pos] == "]":
                return pos + 1
            pos = self.skip_whitespace(pos + 1)
            index += 1


class LineIndex:
    """1-based line and column (in Unicode code points) of character offsets."""

    def __init__(self, text: str) -> None:
        self.text = text

    def positions(self, offsets: Iterable[int]) -> dict[int, tuple[int, int]]:
        text = self.text
        result: dict[int, tuple[int, int]] = {}
        line, counted_to = 1, 0
        for offset in sorted(set(offsets)):
            offset = max(0, min(offset, len(text)))
            line += text.count("\n", counted_to, offset)
            counted_to = offset
            line_start = text.rfind("\n", 0, offset) + 1
            result[offset] = (line, offset - line_start + 1)
        return result
