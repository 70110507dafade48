"""Where the segmentation files a document names are: local (resolved), remote, or outside the root.

Paths are relative to the directory of the JSON file that names them, as the RedBrick CLI reads
them; for a tasks.json that is the export folder.
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
LOCAL = "local"
REMOTE = "remote"


@dataclass(frozen=True)
class MaskRef:
    """One path string in a series' `segmentations` (or a segmentMap entry's `mask`)."""

    doc: Document
    series_pointer: str
    pointer: str  # the JSON pointer of the path string
    written: str  # the string as written in the JSON
    where: str  # LOCAL or REMOTE
    path: Path | None  # the resolved local path (None when remote)
    escapes_root: bool  # a local path outside the linted root (`..`, or absolute elsewhere)


def is_remote(written: str) -> bool:
    return bool(_REMOTE.match(written)) and not written.lower().startswith("file://")


def resolve(doc: Document, written: str, root: Path) -> tuple[str, Path | None, bool]:
    if is_remote(written):
        return REMOTE, None, False
    text = written[len("file://") :] if written.lower().startswith("file://") else written
    candidate = Path(text)
    path = candidate if candidate.is_absolute() else doc.directory / candidate
    resolved = Path(_normalise(path))
    try:
        resolved.relative_to(_normalise(root))
        escapes = False
    except ValueError:
        escapes = True
    return LOCAL, resolved, escapes


def _normalise(path: Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def segmentation_refs(doc: Document, root: Path) -> Iterator[MaskRef]:
    """Every `segmentations` path of every series (consensus annotators' and super truth's too)."""
    if doc.kind not in TASK_KINDS:
        return
    for series_pointer, series in walk.all_series(doc):
        raw = series.get("segmentations")
        for index, written in enumerate(walk.as_list(raw)):
            if isinstance(written, str) and written:
                pointer = walk.element_pointer(series_pointer, "segmentations", raw, index)
                yield _ref(doc, series_pointer, pointer, written, root)


def entry_mask_refs(doc: Document, root: Path) -> Iterator[MaskRef]:
    """Every segmentMap entry's `mask` path, or each path of a list `mask` (binary-mask uploads)."""
    if doc.kind not in TASK_KINDS:
        return
    for series_pointer, series in walk.all_series(doc):
        for instance, entry in walk.segment_map(series).items():
            raw = entry.get("mask") if isinstance(entry, dict) else None
            entry_pointer = join_pointer(series_pointer, "segmentMap", instance)
            for index, mask in enumerate(walk.as_list(raw)):
                if isinstance(mask, str) and mask:
                    pointer = walk.element_pointer(entry_pointer, "mask", raw, index)
                    yield _ref(doc, series_pointer, pointer, mask, root)


def _ref(doc: Document, series_pointer: str, pointer: str, written: str, root: Path) -> MaskRef:
    where, path, escapes = resolve(doc, written, root)
    return MaskRef(doc, series_pointer, pointer, written, where, path, escapes)
