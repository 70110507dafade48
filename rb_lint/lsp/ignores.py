"""The "ignore this rule at this pointer" code action: a `pointer-ignores` entry written into the config.

The TOML is edited as text, minimally: a code added to an existing entry's one-line array, a line
added at the end of an existing `[pointer-ignores]` table (`[tool.rb-lint.pointer-ignores]` in
pyproject.toml), or the table appended to the file; every other byte stays as it was. Each candidate
is parsed back and accepted only when the only change to the parsed file is the new entry, so a
layout this cannot edit safely (an inline table, say) is an error the editor shows, never a broken
or altered config.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from rb_lint.core.globs import literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_NAME = "rb-lint.toml"
_SPECIAL_IN_POINTER = re.compile(r"([\\*?\[])")


class IgnoreError(Exception):
    """The entry cannot be written (a config layout this does not edit, an unreadable file)."""


def ignore_pattern(relative_path: str, pointer: str) -> str | None:
    """The `pointer-ignores` key matching exactly this file and this pointer (None when no key can:
    a file name with `#`, which separates the two, or a path outside the root)."""
    if "#" in relative_path or relative_path.startswith(("/", "../")) or not relative_path:
        return None
    escaped = "/".join(_SPECIAL_IN_POINTER.sub(r"\\\1", token) for token in pointer.split("/"))
    return f"/{literal(relative_path)}#{escaped}"


def add_pointer_ignore(config: Path | None, root: Path, pattern: str, code: str) -> Path:
    """Write `pattern = [code]` into the config (an `rb-lint.toml` in `root` when there is none)
    and return the file written."""
    path = config if config is not None else root / CONFIG_NAME
    try:
        raw = path.read_bytes() if path.exists() else b""
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IgnoreError(f"cannot read {path}: {error}") from None
    table = ("tool", "rb-lint", "pointer-ignores") if path.name == "pyproject.toml" else ("pointer-ignores",)
    edited = with_pointer_ignore(text, table, pattern, code)
    if edited != text:
        _write_atomically(path, edited.encode("utf-8"))
    return path


def with_pointer_ignore(text: str, table: tuple[str, ...], pattern: str, code: str) -> str:
    """`text` with `code` ignored at `pattern` in the table `table` (a minimal text edit)."""
    before = _parse(text)
    expected = copy.deepcopy(before)
    entries = _table(expected, table)
    if not isinstance(entries, dict):
        raise IgnoreError(f"`{'.'.join(table)}` is not a table")
    codes = entries.setdefault(pattern, [])
    if not isinstance(codes, list):
        raise IgnoreError(f"`{pattern}` in `{'.'.join(table)}` is not a list of codes")
    if code in codes:
        return text
    codes.append(code)
    for candidate in _candidates(text, table, pattern, code):
        try:
            if _parse(candidate) == expected:
                return candidate
        except IgnoreError:
            continue
    raise IgnoreError(
        f'could not add `{toml_string(pattern)} = ["{code}"]` under [{".".join(table)}] '
        "without changing anything else: add it by hand"
    )


def toml_string(value: str) -> str:
    """A TOML basic string (control characters, `"` and `\\` escaped)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _candidates(text: str, table: tuple[str, ...], pattern: str, code: str) -> list[str]:
    newline = "\r\n" if "\r\n" in text else "\n"
    entry = f'{toml_string(pattern)} = ["{code}"]'
    lines = text.splitlines(keepends=True)
    section = _section(lines, table)
    found: list[str] = []
    if section is not None:
        start, end = section
        found += _appended_to_entry(lines, start, end, pattern, code)
        last = max((i for i in range(start, end) if _is_content(lines[i])), default=start - 1)
        body = [*lines]
        if last >= 0 and not body[last].endswith(("\n", "\r")):
            body[last] += newline
        body.insert(last + 1, entry + newline)
        found.append("".join(body))
    tail = text if not text or text.endswith(("\n", "\r")) else text + newline
    gap = newline if tail.strip() else ""
    found.append(f"{tail}{gap}[{'.'.join(table)}]{newline}{entry}{newline}")
    return found


def _section(lines: list[str], table: tuple[str, ...]) -> tuple[int, int] | None:
    """The lines of the table's body: after its `[header]`, up to the next header."""
    parts = r"\s*\.\s*".join(rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')" for p in table)
    header = re.compile(rf"^\s*\[\s*{parts}\s*\]\s*(?:#.*)?$")
    start = next((i + 1 for i, line in enumerate(lines) if header.match(line.rstrip("\r\n"))), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    return start, end


def _appended_to_entry(lines: list[str], start: int, end: int, pattern: str, code: str) -> list[str]:
    """The texts with `code` added inside the one-line array of the entry `pattern`, one per `]`."""
    found = []
    for index in range(start, end):
        line = lines[index]
        try:
            alone = tomllib.loads(line)
        except tomllib.TOMLDecodeError:
            continue
        if pattern not in alone:
            continue
        for close in (m.start() for m in re.finditer(r"\]", line)):
            inside = line[:close].rstrip()
            joiner = "" if inside.endswith(("[", ",")) else ", "
            edited = f'{inside}{joiner}"{code}"{line[close:]}'
            found.append("".join([*lines[:index], edited, *lines[index + 1 :]]))
    return found


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _table(document: dict[str, Any], table: tuple[str, ...]) -> Any:
    node: Any = document
    for part in table:
        if not isinstance(node, dict):
            return None
        node = node.setdefault(part, {})
    return node


def _parse(text: str) -> dict[str, Any]:
    try:
        table: dict[str, Any] = tomllib.loads(text)  # Any when mypy targets 3.10 (tomli)
    except tomllib.TOMLDecodeError as error:
        raise IgnoreError(f"the config is not valid TOML: {error}") from None
    return table


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` (keeping its mode)."""
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # a new file: as editors make them
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise IgnoreError(f"cannot write {path}: {error}") from None
