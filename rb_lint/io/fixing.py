"""Applying fixes to JSON files: in memory first, pass after pass, then written atomically.

The file's bytes are read once (`snapshot`), checked against the text the fixes were resolved on
(`Fix.basis`), edited in memory (`apply_pass`), and written back (`write_fixed`) only if the file
on disk is still what was read: to a temporary file in the same folder, renamed over it, with the
file's permissions. Nothing outside the edited spans changes: the text is decoded strictly and
encoded back, so every other byte is the same. Only JSON documents are edited, never a mask.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rb_lint.core.findings import Finding
from rb_lint.core.fixes import Fix, apply_edits, compatible
from rb_lint.io.discovery import is_mask_path
from rb_lint.io.jsonpos import SyntaxProblem, parse_json

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class NotFixable(Exception):
    """A file that is left alone: the message says why."""


@dataclass
class Snapshot:
    """A file as read before fixing: its bytes and what `stat` said of them."""

    path: Path  # the real path (a symlink is written through, not replaced)
    raw: bytes
    identity: tuple[int, int, int]  # inode, size, mtime: a change since shows there
    mode: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def snapshot(path: Path) -> Snapshot:
    """Read a JSON file to fix; `NotFixable` says why not (a mask, not a regular file, unreadable)."""
    real = Path(os.path.realpath(path))
    if is_mask_path(real) or not real.name.lower().endswith(".json"):
        raise NotFixable("not a JSON document (only .json files are fixed, never a mask)")
    try:
        info = os.stat(real)
        if not stat.S_ISREG(info.st_mode):
            raise NotFixable("not a regular file")
        raw = real.read_bytes()
    except OSError as error:
        raise NotFixable(f"cannot read it: {error.strerror or error}") from None
    return Snapshot(real, raw, _identity(info), stat.S_IMODE(info.st_mode))


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass
class Pass:
    """What one pass did to a text: the new text and the findings whose fix it applied."""

    text: str
    applied: list[Finding] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)  # a fix that would break the file


def wanted_fixes(findings: Iterable[Finding], unsafe: bool) -> list[Finding]:
    """The findings whose fix is applied: safe ones, and unsafe ones when asked."""
    return [f for f in findings if f.fix is not None and f.fix.edits and (f.fix.safe or unsafe)]


def apply_pass(text: str, findings: list[Finding]) -> Pass:
    """Apply the fixes of ``findings`` that do not overlap, safe ones first (the others wait for
    the next pass). If the fixes together break what each alone would not (a key added twice,
    JSON that no longer parses), only the first is applied; a fix that alone breaks the file is
    refused."""
    fixes = {id(f.fix): f for f in findings if f.fix is not None}
    safe_first = sorted(fixes.values(), key=lambda f: not (f.fix is not None and f.fix.safe))
    taken, _waiting = compatible(f.fix for f in safe_first if f.fix is not None)
    if not taken:
        return Pass(text)
    before = _soundness(text)
    fixed = apply_edits(text, (edit for fix in taken for edit in fix.edits))
    if len(taken) > 1 and _worse(before, _soundness(fixed)):
        taken = taken[:1]
        fixed = apply_edits(text, taken[0].edits)
    if _worse(before, _soundness(fixed)):
        return Pass(text, refused=[fixes[id(taken[0])]])
    return Pass(fixed, applied=[fixes[id(fix)] for fix in taken])


def _soundness(text: str) -> tuple[bool, int]:
    """Whether the text parses, and how many duplicate keys it has."""
    parsed = parse_json(text.removeprefix("\ufeff"))
    if isinstance(parsed, SyntaxProblem):
        return (False, 0)
    return (True, len(parsed.duplicate_keys))


def _worse(before: tuple[bool, int], after: tuple[bool, int]) -> bool:
    parsed_before, duplicates_before = before
    parsed_after, duplicates_after = after
    return (parsed_before and not parsed_after) or (parsed_after and duplicates_after > duplicates_before)


def decoded(shot: Snapshot) -> str:
    """The file's text with a BOM kept as U+FEFF (the offsets of fixes index into it)."""
    try:
        return shot.raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotFixable("not valid UTF-8") from None


def check_basis(shot: Snapshot, fixes: Iterable[Fix]) -> None:
    """The fixes were resolved on this very content (not on an older or newer version)."""
    if any(fix.basis and fix.basis != shot.digest for fix in fixes):
        raise NotFixable("it changed on disk since it was read; left alone")


def write_fixed(shot: Snapshot, text: str) -> None:
    """Replace the file with ``text`` atomically, unless it changed on disk since `snapshot`."""
    folder = shot.path.parent
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{shot.path.name}.", suffix=".rbfix")
    except OSError as error:
        raise NotFixable(f"cannot write in {folder}: {error.strerror or error}") from None
    try:
        with open(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(temporary, shot.mode)
        if _changed(shot):
            raise NotFixable("it changed on disk since it was read; left alone")
        os.replace(temporary, shot.path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise NotFixable(f"cannot write it: {error.strerror or error}") from None
        raise


def _changed(shot: Snapshot) -> bool:
    try:
        info = os.stat(shot.path)
        return _identity(info) != shot.identity or shot.path.read_bytes() != shot.raw
    except OSError:
        return True


def unified_diff(display_path: str, before: str, after: str) -> str:
    """The change as `diff -u` shows it (line endings as they are in the file)."""
    lines = difflib.unified_diff(
        _lines(before), _lines(after), fromfile=f"a/{display_path}", tofile=f"b/{display_path}"
    )
    return "".join(
        line if line.endswith(("\n", "\r")) else f"{line}\n\\ No newline at end of file\n" for line in lines
    )


def _lines(text: str) -> list[str]:
    """Lines with their breaks: only LF, CRLF and CR break a line (JSON strings may hold U+2028)."""
    return _LINE.findall(text)
