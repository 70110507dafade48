"""Where the segmentation files a document names are: local (resolved), remote, or outside the root.

Paths are relative to the directory of the JSON file that names them, as the RedBrick CLI reads
them; for a tasks.json that is the export folder. A path names the file the operating system opens:
symbolic links are followed before `..` is applied (`dirlink/../m.nii.gz` is `m.nii.gz` next to
the link's target, not next to the link), and whether it is inside the root is judged on the real
path, every link resolved (`os.path.realpath`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

# s3://, gs://, http(s)://, az://, abfs(s)://, wasb(s)://, and Azure blob URLs.
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)", re.IGNORECASE)
COMMON_SCHEMES = ("s3://", "gs://", "https://", "http://", "az://")
LOCAL = "local"
REMOTE = "remote"


@dataclass(frozen=True, slots=True)  # a list of 500,000 tasks has a million of these
class MaskRef:
    """One path string in a series' `segmentations` (or a segmentMap entry's `mask`)."""

    doc: Document
    series_pointer: str
    # The JSON pointer of the path string; None for a series' one `segmentations` string, whose
    # pointer (`<series>/segmentations`) is made when asked: a million series keep no million copies.
    own_pointer: str | None
    written: str  # the string as written in the JSON
    where: str  # LOCAL or REMOTE
    path: Path | None  # the local file the OS opens, normalised (None when remote)
    escapes_root: bool  # its real path is outside the linted root (`..`, absolute, or a symlink)
    real: Path | None = None  # the local path with every symbolic link resolved

    @property
    def pointer(self) -> str:
        """The JSON pointer of the path string."""
        if self.own_pointer is None:
            return self.series_pointer + "/segmentations"
        return self.own_pointer


def is_remote(written: str) -> bool:
    if written.startswith(COMMON_SCHEMES):  # most URLs of a large list
        return True
    end = written.find("://")
    if end < 0:  # most local paths: no regular expression needed
        return False
    scheme = written[:end]
    if scheme.isalnum() and scheme.isascii() and scheme[0].isalpha():  # `s3`, `gs`, `https`: no regex
        return scheme.lower() != "file"
    return _REMOTE.match(written) is not None and written[:7].lower() != "file://"


def resolve(doc: Document, written: str, root: Path) -> tuple[str, Path | None, bool]:
    """(LOCAL or REMOTE, the file the OS opens, whether its real path is outside the root)."""
    where, path, escapes, _real = locate(doc, written, root)
    return where, path, escapes


def locate(doc: Document, written: str, root: Path) -> tuple[str, Path | None, bool, Path | None]:
    """`resolve`, and the real path (every symbolic link resolved) of a local file."""
    return locate_in(resolutions(doc, root), doc, written, root)


def resolutions(doc: Document, root: Path) -> dict[str, Resolution]:
    """The local path strings of a document resolved so far (once per document and string): a loop
    over a document's series takes it once rather than asking the memo per path."""
    return doc.memo(_resolutions, doc, root)


def _resolutions(doc: Document, root: Path) -> dict[str, Resolution]:
    return {}


def locate_in(
    table: dict[str, Resolution], doc: Document, written: str, root: Path
) -> tuple[str, Path | None, bool, Path | None]:
    """`locate`, with the document's `resolutions` already in hand."""
    found = table.get(written)
    if found is None:
        if is_remote(written):
            return REMOTE, None, False, None  # nothing is asked of the file system
        found = table[written] = _located(doc, written, root)
    return LOCAL, found.path, found.escapes_root, found.real


@dataclass(frozen=True, slots=True)
class _Located:
    path: Path
    escapes_root: bool
    real: Path


Resolution = _Located  # what `resolutions` holds per local path string


def _located(doc: Document, written: str, root: Path) -> _Located:
    """Where a local path string leads, once per document and string (a list names the same mask
    in several places; `read_files` and `segmentation_refs` ask for the same strings). String
    operations only: a `Path` is made once, for the result."""
    base = doc.memo(_base, doc, root)
    text = written[len("file://") :] if written[: len("file://")].lower() == "file://" else written
    joined = text if os.path.isabs(text) else os.path.join(base.folder, text)
    lexical = _normalise(joined)
    real = _real_file(doc, joined)
    if real is None:  # not a path the OS can open (a NUL byte): judged as written
        real = lexical
    # Normalising `a/link/../b` to `a/b` is wrong when `link` is a symbolic link: the OS opens
    # `b` next to the link's target. Keep the readable form only when it names the same file.
    path = lexical
    if _climbs(joined) and _real(doc, lexical) != real:
        path = real
    shown = Path(path)
    return _Located(shown, not _is_within(real, base.real_root), shown if real == path else Path(real))


@dataclass(frozen=True, slots=True)
class _Base:
    folder: str  # the document's directory, absolute: relative paths are joined to it
    real_root: str  # the linted root, every symbolic link resolved


def _base(doc: Document, root: Path) -> _Base:
    return _Base(os.path.abspath(doc.directory), _real(doc, str(root)) or _normalise(root))


def _climbs(path: str) -> bool:
    """Whether a path has a `..` component."""
    if ".." not in path:
        return False
    if os.altsep:
        path = path.replace(os.altsep, os.sep)
    return ".." in path.split(os.sep)


def _normalise(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _real(doc: Document, path: str) -> str | None:
    """`os.path.realpath`, once per document and path (None for a path with a NUL byte)."""
    return doc.memo(_realpath, path)


def _realpath(path: str) -> str | None:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return None


def _real_file(doc: Document, path: str) -> str | None:
    """The real path of a file: its directory's real path is asked of the file system once per
    document (a list of 100,000 masks in a few folders), the file itself is one `lstat`."""
    head, tail = os.path.split(path)
    if not head or tail in ("", ".", ".."):
        return _realpath(path)
    directory = _real(doc, head)
    if directory is None:
        return None
    found = os.path.join(directory, tail)
    return _realpath(found) if os.path.islink(found) else found


def segmentation_refs(doc: Document, root: Path) -> Iterator[MaskRef]:
    """Every `segmentations` path of every series (consensus annotators' and super truth's too)."""
    if doc.kind not in TASK_KINDS:
        return
    table = resolutions(doc, root)
    for series_pointer, series in walk.all_series(doc):
        yield from series_segmentation_refs(doc, series_pointer, series, root, table)


def series_segmentation_refs(
    doc: Document,
    series_pointer: str,
    series: walk.Series,
    root: Path,
    table: dict[str, Resolution] | None = None,
) -> tuple[MaskRef, ...]:
    """The `segmentations` paths of one series, in order (`table`: the document's `resolutions`)."""
    if table is None:
        table = resolutions(doc, root)
    raw = series.get("segmentations")
    if type(raw) is str:  # the common case, without a list and an index
        return (_ref(table, doc, series_pointer, None, raw, root),) if raw else ()
    return tuple(
        _ref(
            table,
            doc,
            series_pointer,
            walk.element_pointer(series_pointer, "segmentations", raw, index),
            written,
            root,
        )
        for index, written in enumerate(walk.as_list(raw))
        if isinstance(written, str) and written
    )


def entry_mask_refs(doc: Document, root: Path) -> Iterator[MaskRef]:
    """Every segmentMap entry's `mask` path, or each path of a list `mask` (binary-mask uploads)."""
    if doc.kind not in TASK_KINDS:
        return
    table = resolutions(doc, root)
    for series_pointer, series in walk.all_series(doc):
        for instance, entry in walk.segment_map(series).items():
            raw = entry.get("mask") if isinstance(entry, dict) else None
            entry_pointer = join_pointer(series_pointer, "segmentMap", instance)
            for index, mask in enumerate(walk.as_list(raw)):
                if isinstance(mask, str) and mask:
                    pointer = walk.element_pointer(entry_pointer, "mask", raw, index)
                    yield _ref(table, doc, series_pointer, pointer, mask, root)


def _ref(
    table: dict[str, Resolution],
    doc: Document,
    series_pointer: str,
    pointer: str | None,
    written: str,
    root: Path,
) -> MaskRef:
    where, path, escapes, real = locate_in(table, doc, written, root)
    return MaskRef(doc, series_pointer, pointer, written, where, path, escapes, real)
