"""RB306 binary-mask-entry-unmatched."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.formats import maskpaths
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB306",
    "binary-mask-entry-unmatched",
    Severity.ERROR,
    "A binary-mask entry's `mask` is not one of the series' `segmentations`.",
    kinds=TASK_KINDS,
)
def binary_mask_entry_unmatched(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: With `binaryMask: true`, a `segmentMap` entry names no `mask` file, or its `mask` is not
    exactly one of the series' `segmentations` strings (`./seg-1.nii.gz` is not `seg-1.nii.gz`).

    Why: With `binaryMask: true` each entry names its file in `mask`, and the SDK matches it to the
    series' `segmentations` by exact string: an entry without `mask`, or whose `mask` is not one
    of the strings, gets no voxels.

    Failing:
        "segmentations": ["masks/liver.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "./masks/liver.nii.gz"}}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "mask": "masks/liver.nii.gz"}}
    """
    for series in document_masks(doc, ctx).binary:
        strings = series.segmentation_strings
        for entry in series.entries:
            if not entry.masks:
                yield Hit(
                    f"instance id `{entry.key}` names no `mask` file, but the series has "
                    "`binaryMask: true`: the platform cannot tell which file holds it; add "
                    '`"mask"` with one of the `segmentations` paths',
                    join_pointer(series.pointer, "segmentMap", entry.key),
                    at="key",
                    key=series.key(f"id {entry.key}"),
                )
                continue
            for mask in entry.masks:
                if mask.written in strings:
                    continue
                hint = _same_file(doc, ctx, mask.written, strings)
                yield Hit(
                    f"`mask` `{mask.written}` of instance id `{entry.key}` is not one of this "
                    "series' `segmentations` strings: the platform matches them by exact "
                    f"string, so the instance gets no voxels{hint}",
                    mask.pointer,
                    key=series.key(f"id {entry.key} {mask.tail}"),
                )


def _same_file(doc: Document, ctx: Context, mask: str, strings: list[str]) -> str:
    """A suggestion when the `mask` names the same file as one of the strings, written otherwise."""
    where, path, _ = maskpaths.resolve(doc, mask, ctx.root)
    for candidate in strings:
        if where == maskpaths.LOCAL and maskpaths.resolve(doc, candidate, ctx.root)[1] == path:
            return f"; write it exactly as `{candidate}`"
    same_name = [c for c in strings if c.rsplit("/", 1)[-1] == mask.rsplit("/", 1)[-1]]
    return f"; did you mean `{same_name[0]}`?" if same_name else ""
