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
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal

# Which part of the JSON at a pointer is meant: the value, its key, or the first of repeated keys.
Part = Literal["value", "key", "first-key"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DELIMITERS = frozenset(" \t\n\r,]}")
_MAX_SHARED_STRINGS = 100_000
_MAX_SHARED_MAPS = 10_000
_MAX_SHARED_MAP_SIZE = 64  # pairs: a larger map is rarely repeated whole
_FREEZE_FROM = 100_000  # objects made while paused: below it, freezing saves next to nothing
_scan_value = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]


def escape_token(token: str | int) -> str:
    token = str(token)
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def join_pointer(pointer: str, *tokens: str | int) -> str:
    # Facts make a pointer per path string of large documents: one token is the common case.
    if len(tokens) == 1:
        return f"{pointer}/{escape_token(tokens[0])}"
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
    one call (the streaming reader makes one call per task). Equal label maps are shared too (see
    `_shared_map`): a project's segmentMap (`{"1": "Liver", "2": "Spleen"}`) is repeated in
    every series, and a million of them would otherwise cost more than the linter's own facts.
    """

    def __init__(self) -> None:
        self.objects_with_duplicates: list[tuple[dict[str, Any], list[str]]] = []
        self.non_finite_literals: list[str] = []
        self.huge_integers: dict[int, tuple[float, str]] = {}  # id -> (the value, kept alive; literal)
        self._strings: dict[str, str] = {}
        self._maps: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

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
        elif pairs and pairs[0][0].isdigit():  # (inline: most objects' first key is a name)
            return self._shared_map(pairs, obj)
        return obj

    def _shared_map(self, pairs: list[tuple[str, Any]], obj: dict[str, Any]) -> dict[str, Any]:
        """A map from integer ids to names, as a segmentMap (`{"1": "Liver"}`), stands for all its
        equal copies: nothing holds such a map by identity, and nothing changes a parsed tree.
        Only string values: equal tuples of other scalars may differ in type (`1 == 1.0 == true`).
        Task and series objects never qualify: identity tells equal copies of those apart."""
        if len(pairs) > _MAX_SHARED_MAP_SIZE:
            return obj
        for key, value in pairs:
            if type(value) is not str or not key.isdigit():
                return obj
        maps, content = self._maps, tuple(pairs)
        shared = maps.get(content)
        if shared is not None:
            return shared
        if len(maps) >= _MAX_SHARED_MAPS:
            maps.clear()  # maps that are all different would only grow the table: start afresh
        maps[content] = obj
        return obj

    def constant(self, literal: str) -> float:
        self.non_finite_literals.append(literal)
        return float(literal)

    def integer(self, literal: str) -> int | float:
        """An integer literal; one too long for `int()` (over 4,300 digits, a ValueError that
        would also stop Python's json and so the RedBrick SDK) becomes an infinite float, reported
        as a non-finite value."""
        try:
            return int(literal)
        except ValueError:
            value = float(literal)  # ±inf: far beyond any float
            self.huge_integers[id(value)] = (value, f"{literal[:12]}…({len(literal.lstrip('-'))} digits)")
            return value


@contextmanager
def collector_paused() -> Iterator[None]:
    """Parsing allocates millions of objects and no cycles: a cyclic GC pass there only costs time
    (about half of json.loads on large files). Afterwards the tree is frozen out of later passes.

    Facts that make an object per task or per path of a large document (no cycles either) use it
    too: otherwise each full pass scans them again, while they live, however many there are. Frozen
    objects are still freed when the document is released (their counts drop to zero).

    Only a block that made many objects freezes: `gc.freeze()` takes every tracked object, young
    garbage cycles included, which reach the oldest generation once thawed, bypassing the count
    that triggers full passes. A long-lived process (the service) linting small documents would
    pile them up; their generations handle them as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] >= _FREEZE_FROM:
            gc.freeze()
        if was_enabled:
            gc.enable()


def parse_json(text: str) -> ParsedJSON | SyntaxProblem:
    anomalies = _Anomalies()
    try:
        with collector_paused():
            try:
                data = json.loads(text, object_pairs_hook=anomalies.pairs, parse_constant=anomalies.constant)
            except json.JSONDecodeError:
                raise
            except ValueError:  # an integer too long for int(): parse again, reading integers safely
                anomalies = _Anomalies()
                data = json.loads(
                    text,
                    object_pairs_hook=anomalies.pairs,
                    parse_constant=anomalies.constant,
                    parse_int=anomalies.integer,
                )
    except json.JSONDecodeError as error:
        return _describe_syntax_error(text, error)
    except RecursionError:
        return SyntaxProblem("JSON is nested too deeply to be read", 0)
    except ValueError as error:
        return SyntaxProblem(f"invalid JSON: {error}", 0)
    return _finish(data, anomalies)


def _finish(data: Any, anomalies: _Anomalies) -> ParsedJSON:
    parsed = ParsedJSON(data)
    if anomalies.objects_with_duplicates or anomalies.non_finite_literals or anomalies.huge_integers:
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
        with collector_paused():
            data = _stream_elements(iter(chunks), scan)
    except (_NeedsWholeText, RecursionError):
        return None
    except ValueError:  # an integer too long for int(): the whole-text parse reads it safely
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
    huge = anomalies.huge_integers
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
            marked = huge.get(id(value))
            literal = marked[1] if marked is not None and marked[0] is value else _literal(value)
            parsed.non_finite.append((pointer, literal))
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
        found: dict[tuple[str, Part], int] = {}
        start = _skip_whitespace(self.text, 0)
        if not trie:  # only the root: no need to scan past its start
            return {("", "value"): start} if ("", "value") in wanted else {}
        # Invalid JSON past some point ends the walk: what was found so far is kept.
        with suppress(IndexError, ValueError, StopIteration):
            _walk(self.text, start, wanted, trie, found)
        return found


def _skip_whitespace(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _walk(
    text: str,
    pos: int,
    wanted: set[tuple[str, Part]],
    trie: dict[str, Any],
    found: dict[tuple[str, Part], int],
) -> None:
    """One pass of the locator: descend only into containers on a requested path; skip every
    other value with the C scanner. Open containers are kept on an explicit stack (of frames
    `[is_object, pointer, trie node, index of the member being read or -1]`), so the depth of the
    JSON costs no Python recursion. One loop with local names: a list of 500,000 tasks with
    100,000 reported paths takes a few hundred thousand steps."""
    space = _WHITESPACE.match
    scan, scan_string = _scan_value, _scan_string
    blank = " \t\n\r"
    total = len(wanted)
    # Objects some of whose keys (not values) are asked for: only there is every member's pointer made.
    key_parents = {pointer[: pointer.rfind("/")] for pointer, part in wanted if part != "value" and pointer}
    if ("", "value") in wanted:
        found[("", "value")] = pos
    opener = text[pos]
    if opener not in "{[":
        return
    stack: list[list[Any]] = [[opener == "{", "", trie, -1]]
    pos += 1
    while stack:
        frame = stack[-1]
        is_object, pointer, node, index = frame
        if text[pos] in blank:
            pos = space(text, pos).end()  # type: ignore[union-attr]
        closer = "}" if is_object else "]"
        if index >= 0:
            # Top-level elements are complete here (later duplicate keys cannot follow), so a big
            # file need not be scanned past the last element anything was asked of.
            if not pointer and len(stack) == 1 and len(found) == total:
                return
            if text[pos] == closer:
                stack.pop()
                pos += 1
                continue
            pos = space(text, pos + 1).end()  # type: ignore[union-attr]  # past ','
        elif text[pos] == closer:
            stack.pop()
            pos += 1
            continue
        index += 1
        frame[3] = index
        if is_object:
            key_start = pos
            key, pos = scan_string(text, pos + 1)
            child_node = node.get(key)
            if child_node is None and pointer not in key_parents:
                pos = space(text, space(text, pos).end() + 1).end()  # type: ignore[union-attr]  # past ':'
                try:
                    pos = scan(text, pos)[1]
                except (StopIteration, ValueError):
                    pos += 1
                continue
            child = join_pointer(pointer, key)
            if (child, "first-key") in wanted and (child, "first-key") not in found:
                found[(child, "first-key")] = key_start
            if (child, "key") in wanted:
                found[(child, "key")] = key_start  # a later duplicate wins, as in json.loads
            pos = space(text, space(text, pos).end() + 1).end()  # type: ignore[union-attr]  # past ':'
        else:
            child_node = node.get(str(index))
            if child_node is None:
                try:
                    pos = scan(text, pos)[1]
                except (StopIteration, ValueError):
                    pos += 1
                continue
            child = f"{pointer}/{index}"
        if child_node is None:
            try:
                pos = scan(text, pos)[1]
            except (StopIteration, ValueError):
                pos += 1
            continue
        if (child, "value") in wanted:
            found[(child, "value")] = pos
        opener = text[pos]
        if child_node and opener in "{[":
            stack.append([opener == "{", child, child_node, -1])
            pos += 1
        else:
            try:
                pos = scan(text, pos)[1]
            except (StopIteration, ValueError):
                pos += 1


class LineIndex:
    """1-based line and column (in Unicode code points) of character offsets.

    Line breaks are those JSON text is written with: LF, CRLF and a lone CR (classic Mac OS).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._has_cr = "\r" in text

    def positions(self, offsets: Iterable[int]) -> dict[int, tuple[int, int]]:
        text = self.text
        result: dict[int, tuple[int, int]] = {}
        line, counted_to, line_start = 1, 0, 0
        for offset in sorted(set(offsets)):
            offset = max(0, min(offset, len(text)))
            breaks = self._breaks(counted_to, offset)
            if breaks:
                line += breaks
                end = offset - 1 if _inside_crlf(text, offset) else offset  # a CR whose LF is ahead
                line_start = max(text.rfind("\n", counted_to, end), text.rfind("\r", counted_to, end)) + 1
            counted_to = offset
            result[offset] = (line, offset - line_start + 1)
        return result

    def _breaks(self, start: int, end: int) -> int:
        """Line breaks that end in text[start:end] (a CRLF counts once, at its LF)."""
        text = self.text
        if start >= end:
            return 0
        if not self._has_cr:
            return text.count("\n", start, end)
        count = text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)
        if _inside_crlf(text, end):
            count -= 1  # its CR is counted, its LF is not yet: the break ends after `end`
        return count


def _inside_crlf(text: str, offset: int) -> bool:
    """Whether `offset` falls between the CR and the LF of a CRLF."""
    return 0 < offset < len(text) and text[offset] == "\n" and text[offset - 1] == "\r"
