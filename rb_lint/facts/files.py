"""What is on disk at the local paths documents name and rb-lint reads (masks, images, DICOM files).

Each path is asked of the filesystem once per run (`local_file`, `os.stat` only), and never raises:
a missing file, a directory, a FIFO or device (never opened: reading it could block or never end), a
symlink loop, a name longer than the filesystem allows; in a confined run (`Options.confine`), a
path whose real path is outside the root is not even stat'ed (`FileState.OUTSIDE`).
`lfs_pointer_file` tells a Git LFS pointer (a checkout without `git lfs pull`: its content is
unknown, as for a remote file), opening only small regular files, and only when asked.
`read_files` lists, per document, which local files the mask, geometry and DICOM facts read, with
the pointer of the path string that names each.
Extraction only: the rules judge (RB009 for LFS pointers, RB301 for masks that cannot be read).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.formats import maskpaths, walk
from rb_lint.formats.dicom import is_dicom_item, is_dicom_segmentation
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused, join_pointer
from rb_lint.io.loading import file_type, is_lfs_pointer
from rb_lint.models.kinds import TASK_KINDS

NIFTI_SUFFIXES = (".nii", ".nii.gz")
NAME_MAX = 255  # bytes in a file or folder name on common file systems (ext4, APFS, NTFS: 255)
LFS_POINTER_MAX = 1024  # a Git LFS pointer is smaller (`is_lfs_pointer` decides from these bytes)


class FileState(Enum):
    REGULAR = "regular"  # a regular file (maybe a Git LFS pointer: `lfs_pointer_file` tells)
    MISSING = "missing"  # nothing there (or a dangling symlink)
    DIRECTORY = "directory"
    SPECIAL = "special"  # a FIFO, device or socket: never opened
    LOOP = "loop"  # a symlink loop
    NAME_TOO_LONG = "name-too-long"  # a component over the filesystem's limit (ENAMETOOLONG)
    NO_PERMISSION = "no-permission"  # exists, but cannot be read
    ERROR = "error"  # another error of the filesystem (`detail` is its text)
    # A confined run (`Options.confine`): the real path is outside the root. Never looked at (its
    # existence would tell a client about the server's files); counted as present, never read.
    OUTSIDE = "outside-root"


@dataclass(frozen=True, slots=True)  # one per local path of the run, kept for the whole run
class LocalFile:
    path: Path
    state: FileState
    size: int = 0
    detail: str = ""  # SPECIAL: what it is ("a FIFO (named pipe)"); ERROR: the system's text

    @property
    def regular(self) -> bool:
        """A regular file that may be read."""
        return self.state is FileState.REGULAR

    @property
    def present(self) -> bool:
        """Something is at the path (a file, a directory, a FIFO...)."""
        return self.state not in (FileState.MISSING, FileState.LOOP, FileState.NAME_TOO_LONG)


@dataclass(frozen=True, slots=True)
class NamedFile:
    """A local path string of a document that names a file rb-lint reads."""

    series_pointer: str  # the series' pointer (the shared string of `walk.all_series`)
    key: str  # `items` or `segmentations`
    index: int | None  # its place in a list; None for the field's one string
    written: str  # the string as written
    path: Path

    @property
    def pointer(self) -> str:
        """The JSON pointer of the path string (made when asked: a list names 100,000s of files)."""
        if self.index is None:
            return join_pointer(self.series_pointer, self.key)
        return join_pointer(self.series_pointer, self.key, self.index)


def local_file(ctx: Context, path: Path) -> LocalFile:
    """What is at `path` (asked of the filesystem once per run and path; nothing is opened). In a
    confined run, a path whose real path is outside the root is `OUTSIDE`, without a `stat`."""
    if ctx.options.confine and outside_root(ctx, path):
        return LocalFile(path, FileState.OUTSIDE)
    return ctx.memo(inspect_path, path)


def outside_root(ctx: Context, path: Path) -> bool:
    """Whether the real path of `path` (every symbolic link resolved) is outside the run's root
    (once per run and path). Resolving reads links only; nothing is opened."""
    return ctx.memo(_outside, path, ctx.root)


def _outside(path: Path, root: Path) -> bool:
    try:
        real, real_root = os.path.realpath(path), os.path.realpath(root)
    except (OSError, ValueError):  # a NUL byte: no file the OS could open
        return False
    return not (real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep))


def lfs_pointer_file(ctx: Context, path: Path) -> bool:
    """Whether `path` is a Git LFS pointer (once per run and path; only a regular file under
    `LFS_POINTER_MAX` bytes is opened, and only when a rule needs to know)."""
    found = local_file(ctx, path)
    return found.regular and found.size < LFS_POINTER_MAX and ctx.memo(_starts_as_pointer, path)


def content_here(ctx: Context, path: Path) -> bool:
    """A regular file whose content is here: not a Git LFS pointer (what the scanners may read)."""
    found = local_file(ctx, path)  # asked once (`lfs_pointer_file` would ask again): per mask path
    return found.regular and not (found.size < LFS_POINTER_MAX and ctx.memo(_starts_as_pointer, path))


def content_elsewhere(ctx: Context, path: Path) -> bool:
    """Nothing readable is at `path`, or only a Git LFS pointer: the file is not local (nor is a
    file a confined run may not read)."""
    found = local_file(ctx, path)
    return found.state is FileState.OUTSIDE or not found.present or lfs_pointer_file(ctx, path)


def _starts_as_pointer(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return is_lfs_pointer(handle.read(LFS_POINTER_MAX))
    except OSError:
        return False


def inspect_path(path: Path) -> LocalFile:
    """What is at `path`, symlinks followed, from `os.stat` alone; never raises."""
    try:
        info = os.stat(path)
    except OSError as error:
        return _failed(path, error)
    if stat.S_ISDIR(info.st_mode):
        return LocalFile(path, FileState.DIRECTORY)
    if not stat.S_ISREG(info.st_mode):
        return LocalFile(path, FileState.SPECIAL, detail=file_type(info.st_mode))
    if not os.access(path, os.R_OK):
        return LocalFile(path, FileState.NO_PERMISSION, info.st_size)
    return LocalFile(path, FileState.REGULAR, info.st_size)


_STATES = {
    errno.ENOENT: FileState.MISSING,
    errno.ENOTDIR: FileState.MISSING,
    errno.ELOOP: FileState.LOOP,
    errno.ENAMETOOLONG: FileState.NAME_TOO_LONG,
    errno.EACCES: FileState.NO_PERMISSION,
    errno.EPERM: FileState.NO_PERMISSION,
}


def _failed(path: Path, error: OSError) -> LocalFile:
    state = _STATES.get(error.errno or 0, FileState.ERROR)
    if state is FileState.MISSING and _has_long_name(path):
        state = FileState.NAME_TOO_LONG  # a folder on the way is missing, but the name could never exist
    # The system's text is shared: 100,000 missing masks say the same "No such file or directory".
    return LocalFile(path, state, detail=sys.intern(error.strerror or str(error)))


def _has_long_name(path: Path) -> bool:
    """Whether a component of the path is longer than a file or folder name can be."""
    # A character is 4 bytes at most: only a name of over NAME_MAX // 4 characters is encoded.
    return any(len(part) > NAME_MAX // 4 and len(os.fsencode(part)) > NAME_MAX for part in path.parts)


def read_files(doc: Document, ctx: Context) -> list[NamedFile]:
    """The local files of the document that rb-lint reads, in document order (once per document):
    NIfTI and `.dcm` segmentations, the image of a series whose `items` is one NIfTI file, and the
    items of a DICOM series. Each path string once, where it is first named (a list of 100,000
    tasks names the same few hundred masks over and over)."""
    return doc.memo(_read_files, doc, ctx.root)


def _read_files(doc: Document, root: Path) -> list[NamedFile]:
    if doc.kind not in TASK_KINDS:
        return []
    every_series = walk.all_series(doc)
    with collector_paused():  # objects per local path, no cycles (see `collector_paused`)
        return _files_of(doc, root, every_series)


def _files_of(doc: Document, root: Path, every_series: walk.Pairs[walk.Series]) -> list[NamedFile]:
    found: dict[str, NamedFile] = {}  # by the string as written, in the order first named
    is_remote, common = maskpaths.is_remote, maskpaths.COMMON_SCHEMES  # the common ones without a call
    table = maskpaths.resolutions(doc, root)  # taken once, not asked of the memo per path
    pointers, values = every_series.pointers, every_series.values
    for place in walk.local_path_series(doc)[0]:  # a remote file is read by nobody
        pointer, series = pointers[place], values[place]
        items = series.get("items")
        if not (isinstance(items, str) and (items.startswith(common) or is_remote(items))):  # read by nobody
            names = walk.as_list(items)
            nifti_image = len(names) == 1 and isinstance(names[0], str) and _nifti(names[0])
            if nifti_image or (bool(names) and all(isinstance(n, str) and is_dicom_item(n) for n in names)):
                _named(found, table, doc, root, pointer, "items", items, _any)
        segmentations = series.get("segmentations")
        if segmentations is not None and not (
            isinstance(segmentations, str) and (segmentations.startswith(common) or is_remote(segmentations))
        ):
            _named(found, table, doc, root, pointer, "segmentations", segmentations, _segmentation_file)
    return list(found.values())


def _any(_written: str) -> bool:
    return True


def _segmentation_file(written: str) -> bool:
    return _nifti(written) or is_dicom_segmentation(written)


def _named(
    found: dict[str, NamedFile],
    table: dict[str, maskpaths.Resolution],
    doc: Document,
    root: Path,
    pointer: str,
    key: str,
    raw: object,
    wanted: Callable[[str], bool],
) -> None:
    """Add the strings of a field that name a file rb-lint reads, unless named before, to `found`."""
    for index, written in enumerate(walk.as_list(raw)):
        if not isinstance(written, str) or written in found or not written:
            continue
        if maskpaths.is_remote(written) or not wanted(written):
            continue  # a remote file is read by nobody: its local facts are not resolved
        where, path, _escapes, _real = maskpaths.locate_in(table, doc, written, root)
        if where == maskpaths.LOCAL and path is not None:
            found[written] = NamedFile(pointer, key, None if isinstance(raw, str) else index, written, path)


def _nifti(written: str) -> bool:
    return written.lower().endswith(NIFTI_SUFFIXES)
