"""A linted JSON document: its text, parsed data, detected kind, and lazy positions."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from rb_lint.findings import Hit, Part
from rb_lint.jsonpos import (
    LineIndex,
    Locator,
    ParsedJSON,
    SyntaxProblem,
    join_pointer,
    parse_json,
    parse_json_array_stream,
)

ITEMS_LIST = "items-list"
TASKS_EXPORT = "tasks-export"
TAXONOMY = "taxonomy"
DATAGYM = "datagym"
UNKNOWN = "unknown"
KINDS = (ITEMS_LIST, TASKS_EXPORT, TAXONOMY, DATAGYM)
TASK_KINDS = (ITEMS_LIST, TASKS_EXPORT)

# Keys the platform writes on export and never needs on upload.
EXPORT_ONLY_KEYS = frozenset(
    {"taskId", "currentStageName", "createdBy", "createdAt", "updatedBy", "updatedAt", "status",
     "consensus", "consensusTasks", "consensusScore", "superTruth"}
)
TASK_KEYS = frozenset({"name", "series", "items"}) | EXPORT_ONLY_KEYS
TAXONOMY_KEYS = frozenset({"objectTypes", "studyClassify", "seriesClassify", "instanceClassify",
                           "isNew", "categories"})


@dataclass
class LoadProblem:
    """A problem found while reading a file, before any rule runs (codes of the parsing family)."""

    code: str
    hit: Hit


@dataclass(eq=False)
class Document:
    path: Path
    display_path: str
    source: str | None  # the text; None for a large file read by streaming (re-read on demand)
    data: Any = None
    parsed: bool = False
    kind: str = UNKNOWN
    load_problems: list[LoadProblem] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # derived data rules share (e.g. issues)

    @property
    def directory(self) -> Path:
        return self.path.parent

    def release(self) -> None:
        """Drop the parsed data and what rules derived from it (a large file's objects are
        several times its size); positions need only the text."""
        self.data = None
        self.cache.clear()

    @property
    def text(self) -> str:
        """The text positions are computed on; a streamed file is read again only when needed."""
        if self.source is None:
            self.source = _decode_for_positions(self.path.read_bytes())
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
        hit_offsets = {
            id(h): h.offset if h.offset is not None else offsets.get((h.pointer, h.at), 0)
            for h in hits
        }
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
            head = _decode_for_positions(handle.read(64 * 1024))
        root = len(head) - len(head.lstrip(" \t\r\n"))
        lines = LineIndex(head).positions([0, root])
        return {id(h): lines[0 if h.offset == 0 else root] for h in hits}

    def _clamp(self, offset: int) -> int:
        return max(0, min(offset, len(self.text)))


def _at_start(hit: Hit) -> bool:
    return hit.offset == 0 or (hit.offset is None and hit.pointer == "" and hit.at == "value")


# Above this size a top-level array is parsed element by element without holding its text.
STREAMING_THRESHOLD = 16 * 1024 * 1024
_CHUNK_CHARS = 4 * 1024 * 1024


def _decode_for_positions(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    return raw.decode("utf-8", errors="replace")


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
    doc = Document(path, display_path, None)
    return _accept(doc, parsed, kind)


def read_document(path: Path, display_path: str, kind: str | None = None) -> Document:
    """Read a file from disk; an unreadable file becomes a document with one load problem."""
    try:
        if path.is_file() and path.stat().st_size > STREAMING_THRESHOLD:
            streamed = _read_streaming(path, display_path, kind)
            if streamed is not None:
                return streamed
        raw = path.read_bytes()
    except OSError as error:
        doc = Document(path, display_path, "")
        reason = error.strerror or str(error)
        doc.load_problems.append(
            LoadProblem("RB008", Hit(f"cannot read the file: {reason}", offset=0))
        )
        return doc
    return document_from_bytes(raw, path, display_path, kind)


LFS_POINTER_PREFIXES = (b"version https://git-lfs.github.com/spec/", b"version https://hawser.github.com/spec/")


def is_lfs_pointer(raw: bytes) -> bool:
    """Git LFS pointer files are small text files starting with the spec's version line."""
    return len(raw) < 1024 and raw.startswith(LFS_POINTER_PREFIXES)


def document_from_bytes(
    raw: bytes, path: Path, display_path: str, kind: str | None = None
) -> Document:
    if is_lfs_pointer(raw):  # a checkout without `git lfs pull`: there is no JSON to lint
        doc = Document(path, display_path, raw.decode("utf-8", errors="replace"))
        doc.load_problems.append(LoadProblem("RB009", Hit(
            "this is a Git LFS pointer, not the JSON itself (its content was not fetched): run "
            "`git lfs pull` to lint it; skipped", offset=0)))
        return doc
    problems: list[LoadProblem] = []
    if raw.startswith(codecs.BOM_UTF8):
        problems.append(LoadProblem("RB004", Hit(
            "file starts with a UTF-8 byte-order mark, which json.load and the RedBrick CLI reject: "
            "save the file as UTF-8 without BOM", offset=0)))
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        text = raw.decode("utf-8", errors="replace")
        good_prefix = raw[: error.start].decode("utf-8", errors="replace")
        problems.append(LoadProblem("RB005", Hit(
            f"invalid UTF-8 byte 0x{raw[error.start]:02x}: JSON must be UTF-8; re-encode the file "
            "(e.g. `iconv -f latin1 -t utf-8`)", offset=len(good_prefix))))
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
        doc.load_problems.append(LoadProblem("RB006", Hit(
            "file is empty: an items list is a JSON array of tasks (`[]` when there are none)",
            offset=0)))
        return doc
    result = parse_json(text)
    if isinstance(result, SyntaxProblem):
        doc.load_problems.append(LoadProblem("RB001", Hit(result.message, offset=result.offset)))
        return doc
    return _accept(doc, result, kind)


def _accept(doc: Document, parsed: ParsedJSON, kind: str | None) -> Document:
    """A document whose JSON parsed: note what parsing hid, keep the data, detect the kind."""
    _note_anomalies(doc, parsed)
    doc.data, doc.parsed = parsed.data, True
    doc.kind = kind or detect_kind(parsed.data)
    return doc


def _note_anomalies(doc: Document, parsed: ParsedJSON) -> None:
    for pointer, key in parsed.duplicate_keys:
        child = join_pointer(pointer, key)
        doc.load_problems.append(LoadProblem("RB002", Hit(
            f"duplicate key `{key}`: JSON readers keep only the last value and silently drop the "
            "earlier one; merge the entries or rename one", pointer=child, at="key")))
    for pointer, literal in parsed.non_finite:
        doc.load_problems.append(LoadProblem("RB003", Hit(
            f"`{literal}` is not valid JSON (strict parsers and the platform reject it): use a "
            "finite number or null", pointer=pointer)))


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
    objects = [item for item in data if isinstance(item, dict)]
    if not objects or not any(TASK_KEYS & obj.keys() for obj in objects):
        return UNKNOWN
    if any(EXPORT_ONLY_KEYS & obj.keys() for obj in objects):
        return TASKS_EXPORT
    return ITEMS_LIST


def is_consensus_task(task: Any) -> bool:
    return isinstance(task, dict) and task.get("consensus") is True
