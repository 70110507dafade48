"""RB301 mask-file-missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import file_exists
from rb_lint.facts.masks import document_masks
from rb_lint.formats import maskpaths
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB301",
    "mask-file-missing",
    Severity.ERROR,
    "A segmentation file does not exist or cannot be read.",
    kinds=TASK_KINDS,
)
def mask_file_missing(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A local path in `segmentations` names no readable file: nothing is there, or a directory
    or another non-regular file, or a file that cannot be read. Paths are relative to the directory
    of the JSON file that names them, as the RedBrick CLI reads them (for a tasks.json, the export
    folder).

    Why: The SDK rejects the whole series (`Files do not exist`), so none of its annotations are
    uploaded; a path written relative to the dataset root instead of the JSON file is the usual
    cause.

    Failing:
        labels/items.json:
        {"items": "ct.nii.gz", "segmentations": "labels/seg.nii.gz", "segmentMap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    for series in document_masks(doc, ctx).local:
        for ref in series.refs:
            if ref.where != maskpaths.LOCAL or ref.path is None:
                continue
            problem = _missing(ctx, ref.path)
            if problem:
                yield Hit(
                    f"segmentation file `{ref.written}` {problem}", ref.pointer, key=series.key(ref.written)
                )


def _missing(ctx: Context, path: Path) -> str | None:
    if file_exists(ctx, path):
        return None if os.access(path, os.R_OK) else "cannot be read (permission denied)"
    if path.is_dir():
        return "is a directory, not a mask file"
    if path.exists():
        return "is not a regular file"
    return f"does not exist (looked for `{path}`; paths are relative to the directory of this JSON file)"
