"""Reading JSON files into documents: streaming for large arrays, load problems, kind detection."""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rb_lint.core.findings import Hit, LoadProblem
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import ParsedJSON, SyntaxProblem, join_pointer, parse_json, parse_json_array_stream
from rb_lint.models.kinds import (
    DATAGYM,
    EXPORT_ONLY_KEYS,
    ITEMS_LIST,
    TASK_KEYS,
    TASKS_EXPORT,
    TAXONOMY,
    TAXONOMY_KEYS,
    UNKNOWN,
)

# Above this size a top-level array is parsed element by element without holding its text.
STREAMING_THRESHOLD = 16 * 1024 * 1024
_CHUNK_CHARS = 4 * 1024 * 1024


def _text_chunks(path: Path) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()  # strict: bad bytes end the stream
    with path.open("rb") as handle:
        head = handle.read(len(codecs.BOM_UTF8))
        if head != codecs.BOM_UTF8:
            yield decoder.decode(head)
        while block := handle.read(_CHUNK_CHARS):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)


def _read_streaming(path: Path, display_path: str, kind: str | None) -> Document | None:
    """A large, well-formed top-level array; None means: read it whole (to describe a problem)."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
                return None
        parsed = parse_json_array_stream(_text_chunks(path))
    except (OSError, UnicodeDecodeError):
        return None
    if parsed is None:
        return None
    doc = Document(path, display_path, None, rereadable=True)
    return _accept(doc, parsed, kind)


def read_document(path: Path, display_path: str, kind: str | None = None) -> Document:
    """Read a file from disk; an unreadable file becomes a document with one load problem."""
    try:
        if regular_file_size(path) > STREAMING_THRESHOLD:
            streamed = _read_streaming(path, display_path, kind)
            if streamed is not None:
                return streamed
        raw = path.read_bytes()  # checked: a regular file
    except OSError as error:
        doc = Document(path, display_path, "")
        doc.load_problems.append(
            LoadProblem("RB008", Hit(f"cannot read the file: {reason(error)}", offset=0))
        )
        return doc
    doc = document_from_bytes(raw, path, display_path, kind)
    doc.rereadable = True
    return doc


def pending_document(path: Path, display_path: str, kind: str | None = None) -> Document:
    """A file to be read when the engine gets to it (`Document.load`), not before."""
    return Document.pending(path, display_path, lambda: read_document(path, display_path, kind))


def may_hold_object(path: Path) -> bool:
    """Whether a file's JSON may be an object (a taxonomy is one; task lists are arrays), from its
    first bytes: an unreadable, empty or non-JSON file says yes (reading it tells more)."""
    try:
        regular_file_size(path)
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return True
    head = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    return not head.startswith(b"[")


def regular_file_size(path: Path) -> int:
    """The size of a regular file (symlinks followed), checked BEFORE anything opens it: a FIFO would
    block the read forever and a device (`/dev/zero`) never ends. Anything else raises `OSError`."""
    info = os.stat(path)  # a symlink loop raises OSError(ELOOP)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, f"not a regular file: {file_type(info.st_mode)}")
    return info.st_size


def read_regular_file(path: Path) -> bytes:
    """`path.read_bytes()` for a regular file only (see `regular_file_size`): never hangs on a FIFO
    nor reads a device without end."""
    regular_file_size(path)
    return path.read_bytes()


def file_type(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "an unknown kind of file"


def reason(error: OSError) -> str:
    """An `OSError` in words: a symlink loop says so; other errors give the system's text."""
    if error.errno == errno.ELOOP:
        return "symlink loop (the link points back to itself)"
    return error.strerror or str(error)


LFS_POINTER_PREFIXES = (
    b"version https://git-lfs.github.com/spec/",
    b"version https://hawser.github.com/spec/",
)


def is_lfs_pointer(raw: bytes) -> bool:
    """Git LFS pointer files are small text files starting with the spec's version line."""
    return len(raw) < 1024 and raw.startswith(LFS_POINTER_PREFIXES)


def document_from_bytes(raw: bytes, path: Path, display_path: str, kind: str | None = None) -> Document:
    if is_lfs_pointer(raw):  # a checkout without `git lfs pull`: there is no JSON to lint
        doc = Document(path, display_path, raw.decode("utf-8", errors="replace"))
        doc.load_problems.append(
            LoadProblem(
                "RB009",
                Hit(
                    "this is a Git LFS pointer, not the JSON itself (its content was not fetched): run "
                    "`git lfs pull` to lint it; skipped",
                    offset=0,
                ),
            )
        )
        return doc
    problems: list[LoadProblem] = []
    if raw.startswith(codecs.BOM_UTF8):
        from rb_lint.io.edits import RemoveBom  # the fix plans: only for a document that needs one

        problems.append(
            LoadProblem(
                "RB004",
                Hit(
                    "file starts with a UTF-8 byte-order mark, which json.load and the RedBrick CLI reject: "
                    "save the file as UTF-8 without BOM",
                    offset=0,
                    fix=RemoveBom(),
                ),
            )
        )
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        text = raw.decode("utf-8", errors="replace")
        good_prefix = raw[: error.start].decode("utf-8", errors="replace")
        problems.append(
            LoadProblem(
                "RB005",
                Hit(
                    f"invalid UTF-8 byte 0x{raw[error.start]:02x}: JSON must be UTF-8; re-encode the file "
                    "(e.g. `iconv -f latin1 -t utf-8`)",
                    offset=len(good_prefix),
                ),
            )
        )
        doc = Document(path, display_path, text, load_problems=problems)
        return doc
    del raw
    return document_from_text(text, path, display_path, kind, problems)


def document_from_text(
    text: str,
    path: Path,
    display_path: str,
    kind: str | None = None,
    problems: list[LoadProblem] | None = None,
) -> Document:
    doc = Document(path, display_path, text, load_problems=list(problems or []))
    if not text.strip():
        doc.load_problems.append(
            LoadProblem(
                "RB006",
                Hit(
                    "file is empty: an items list is a JSON array of tasks (`[]` when there are none)",
                    offset=0,
                ),
            )
        )
        return doc
    result = parse_json(text)
    if isinstance(result, SyntaxProblem):
        comma = text[result.offset : result.offset + 1] == ","  # a trailing comma: the fix removes them all
        from rb_lint.io.edits import RemoveTrailingCommas  # the fix plans: only for a broken document

        fix = RemoveTrailingCommas() if comma else None
        doc.load_problems.append(LoadProblem("RB001", Hit(result.message, offset=result.offset, fix=fix)))
        return doc
    return _accept(doc, result, kind)


def _accept(doc: Document, parsed: ParsedJSON, kind: str | None) -> Document:
    """A document whose JSON parsed: note what parsing hid, keep the data, detect the kind."""
    _note_anomalies(doc, parsed)
    doc.data, doc.parsed = parsed.data, True
    doc.kind = kind or detect_kind(parsed.data)
    # A taxonomy is small, and the run's taxonomy is built from it whenever first asked for (by
    # any document's rules, or a project rule): its parsed data is kept for the whole run.
    doc.pinned = doc.kind == TAXONOMY or looks_like_taxonomy(parsed.data)
    return doc


def looks_like_taxonomy(data: Any) -> bool:
    """A JSON object with a taxonomy's top-level keys (whatever kind it is linted as)."""
    return isinstance(data, dict) and bool(TAXONOMY_KEYS & data.keys())


def _note_anomalies(doc: Document, parsed: ParsedJSON) -> None:
    for pointer, key in parsed.duplicate_keys:
        child = join_pointer(pointer, key)
        doc.load_problems.append(
            LoadProblem(
                "RB002",
                Hit(
                    f"duplicate key `{key}`: JSON readers keep only the last value and silently drop the "
                    "earlier one; merge the entries or rename one",
                    pointer=child,
                    at="key",
                ),
            )
        )
    for pointer, literal in parsed.non_finite:
        doc.load_problems.append(
            LoadProblem(
                "RB003",
                Hit(
                    f"`{literal}` is not valid JSON (strict parsers and the platform reject it): use a "
                    "finite number or null",
                    pointer=pointer,
                ),
            )
        )


def detect_kind(data: Any) -> str:
    """Which format a parsed document is, from its content alone."""
    if isinstance(data, dict):
        if TAXONOMY_KEYS & data.keys():
            return TAXONOMY
        if "name" in data and ("series" in data or "consensusTasks" in data):
            return ITEMS_LIST  # one task not wrapped in an array: RB100 says so
        return UNKNOWN
    if not isinstance(data, list):
        return UNKNOWN
    if not data:
        return ITEMS_LIST
    first = data[0]
    if isinstance(first, dict) and "label_classes" in first:
        return DATAGYM
    # `isdisjoint`, not a set per task: a list of 500,000 tasks is looked through to its end.
    objects = [item for item in data if isinstance(item, dict)]
    if not objects or all(TASK_KEYS.isdisjoint(obj) for obj in objects):
        return UNKNOWN
    if not all(EXPORT_ONLY_KEYS.isdisjoint(obj) for obj in objects):
        return TASKS_EXPORT
    return ITEMS_LIST
