"""JSON with positions: parse at C speed, find line and column only for pointers that are reported.

`parse_json` uses the standard library's C scanner and records what it would silently lose
(duplicate keys, NaN and Infinity). `Locator` answers "where is /12/series/0/name?" by walking the
text along the requested pointers only, skipping every other value with the C scanner, so a
200 MB file costs nothing extra until something in it is reported.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rb_lint.findings import Part

_WHITESPACE = re.compile(r"[ \t\n\r]*")
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
    """Hooks for the C scanner that note what the json module would otherwise hide."""

    def __init__(self) -> None:
        self.objects_with_duplicates: list[tuple[dict[str, Any], list[str]]] = []
        self.non_finite_literals: list[str] = []

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            repeated = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            self.objects_with_duplicates.append((obj, repeated))
        return obj

    def constant(self, literal: str) -> float:
        self.non_finite_literals.append(literal)
        return float(literal)


def parse_json(text: str) -> ParsedJSON | SyntaxProblem:
    anomalies = _Anomalies()
    try:
        data = json.loads(text, object_pairs_hook=anomalies.pairs, parse_constant=anomalies.constant)
    except json.JSONDecodeError as error:
        return _describe_syntax_error(text, error)
    except RecursionError:
        return SyntaxProblem("JSON is nested too deeply to be read", 0)
    parsed = ParsedJSON(data)
    if anomalies.objects_with_duplicates or anomalies.non_finite_literals:
        _point_at_anomalies(parsed, anomalies)
    return parsed


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
        return SyntaxProblem("string is never closed: add the closing `\"`", pos)
    if error.msg == "Extra data":
        return SyntaxProblem(
            "unexpected content after the end of the JSON value: a file holds one value; "
            "wrap several in an array",
            pos,
        )
    if error.msg.startswith("Expecting property name"):
        return SyntaxProblem(
            f"expected a key in double quotes, found `{text[pos]}`: JSON keys are double-quoted "
            "strings",
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
        trie: dict[str, Any] = {}
        wanted = set(requests)
        for pointer, _part in wanted:
            node = trie
            for token in split_pointer(pointer):
                node = node.setdefault(token, {})
        found: dict[tuple[str, Part], int] = {}
        start = self._skip_whitespace(0)
        try:
            self._walk(start, "", trie, wanted, found)
        except _AllFound:
            pass
        except (IndexError, ValueError, StopIteration):
            pass  # the text is not valid JSON past this point: keep what was found
        return found

    def _skip_whitespace(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def _walk(
        self,
        pos: int,
        pointer: str,
        trie: dict[str, Any],
        wanted: set[tuple[str, Part]],
        found: dict[tuple[str, Part], int],
    ) -> int:
        """Note the offsets wanted at or below `pointer` (its value starts at `pos`); return its end."""
        if (pointer, "value") in wanted:
            found[(pointer, "value")] = pos
        if not trie:
            return self._skip_value(pos)
        opener = self.text[pos]
        if opener == "{":
            return self._walk_object(pos, pointer, trie, wanted, found)
        if opener == "[":
            return self._walk_array(pos, pointer, trie, wanted, found)
        return self._skip_value(pos)

    def _walk_object(
        self,
        pos: int,
        pointer: str,
        trie: dict[str, Any],
        wanted: set[tuple[str, Part]],
        found: dict[tuple[str, Part], int],
    ) -> int:
        text = self.text
        pos = self._skip_whitespace(pos + 1)
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
            pos = self._skip_whitespace(self._skip_whitespace(pos) + 1)  # past ':'
            if key in trie:
                pos = self._walk(pos, child, trie[key], wanted, found)
            else:
                pos = self._skip_value(pos)
            pos = self._skip_whitespace(pos)
            if text[pos] == "}":
                return pos + 1
            pos = self._skip_whitespace(pos + 1)  # past ','

    def _walk_array(
        self,
        pos: int,
        pointer: str,
        trie: dict[str, Any],
        wanted: set[tuple[str, Part]],
        found: dict[tuple[str, Part], int],
    ) -> int:
        text = self.text
        pos = self._skip_whitespace(pos + 1)
        if text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            token = str(index)
            if token in trie:
                pos = self._walk(pos, join_pointer(pointer, index), trie[token], wanted, found)
                # Top-level elements are complete here (later duplicate keys cannot follow), so
                # a big file need not be scanned past the last element anything was asked of.
                if not pointer and len(found) == len(wanted):
                    raise _AllFound
            else:
                pos = self._skip_value(pos)
            pos = self._skip_whitespace(pos)
            if text[pos] == "]":
                return pos + 1
            pos = self._skip_whitespace(pos + 1)
            index += 1

    def _skip_value(self, pos: int) -> int:
        try:
            return int(_scan_value(self.text, pos)[1])
        except (StopIteration, ValueError):
            return pos + 1


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
