"""Where a finding is in the editor's text: character offsets to LSP positions, and token spans.

rb-lint reports 1-based lines and columns counted in code points of the text without its byte-order
mark; fix edits are code-point offsets into the text as read, a BOM kept as U+FEFF at offset 0. An
LSP client counts columns in the negotiated encoding's code units (UTF-16 unless it offered
another), in its own text, which holds the BOM when the file had one and the editor kept it. Line
breaks are LF, CRLF and a lone CR, as in JSON and in the protocol.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import Any

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
BOM = "\ufeff"
_BREAK = re.compile(r"\r\n|\r|\n")
_DELIMITERS = frozenset(" \t\r\n,:]}[{")
_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]


def code_units(text: str, encoding: str = UTF16) -> int:
    """How many code units `text` is in the client's position encoding."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


class LineMap:
    """Line starts of a text, to turn character offsets into (line, character) and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        starts += [match.end() for match in _BREAK.finditer(text)]
        self.starts = starts

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def line_end(self, line: int) -> int:
        """The offset of the line's break (or the end of the text)."""
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        while end > self.starts[line] and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def position(self, offset: int, encoding: str = UTF16) -> tuple[int, int]:
        """The 0-based (line, character) of an offset, the character in `encoding`'s code units."""
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start = self.starts[line]
        return line, code_units(self.text[start:offset], encoding)

    def offset(self, line: int, character: int, encoding: str = UTF16) -> int:
        """The offset of a client position (clamped to the line, as the protocol asks)."""
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[max(line, 0)], self.line_end(max(line, 0))
        units = 0
        for index in range(start, end):
            if units >= character:
                return index
            units += code_units(self.text[index], encoding)
        return end


def finding_offset(lines: LineMap, line: int, column: int) -> int:
    """The offset in the editor's text of rb-lint's 1-based line and column (BOM-less, code points)."""
    bom = 1 if lines.text.startswith(BOM) else 0
    index = max(0, min(line - 1, len(lines.starts) - 1))
    start = lines.starts[index] + (bom if index == 0 else 0)
    return min(start + max(column - 1, 0), lines.line_end(index))


def token_end(text: str, start: int) -> int:
    """Where the JSON token at `start` ends: a string, number or literal whole; a container whole when
    it fits on its line, else its opening bracket only; otherwise the run of non-delimiters."""
    if start >= len(text) or text[start] in "\r\n":
        return start
    try:
        end = _scan_once(text, start)[1]
    except (StopIteration, ValueError, RecursionError):
        end = start
    else:
        if text[start] in "{[" and ("\n" in text[start:end] or "\r" in text[start:end]):
            return start + 1
        return int(end)
    while end < len(text) and text[end] not in _DELIMITERS:
        end += 1
    return max(end, start + 1)
