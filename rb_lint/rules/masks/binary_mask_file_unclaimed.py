"""RB308 binary-mask-file-unclaimed."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB308",
    "binary-mask-file-unclaimed",
    Severity.WARNING,
    "A binary-mask series has a file that no segmentMap entry names.",
    kinds=TASK_KINDS,
)
def binary_mask_file_unclaimed(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: With `binaryMask: true`, a segmentation file that no `segmentMap` entry names in its
    `mask`.

    Why: Such a file is not what it seems: the SDK passes the raw values of the series' first file
    through unmapped (view-only labels), and silently ignores any other unclaimed file.

    Failing:
        "segmentations": ["liver.nii.gz", "spleen.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"},
                       "2": {"category": "Spleen", "mask": "spleen.nii.gz"}}
    """
    for series in document_masks(doc, ctx).binary:
        claimed = {mask.written for entry in series.entries for mask in entry.masks}
        for index, ref in enumerate(series.refs):
            if ref.written in claimed:
                continue
            fate = (
                "as the series' first file, its raw values are imported unmapped, as view-only labels"
                if index == 0
                else "the platform silently ignores it"
            )
            yield Hit(
                f"no `segmentMap` entry names `{ref.written}` in its `mask`: {fate}; add an "
                'entry with `"mask"` for it, or remove it from `segmentations`',
                ref.pointer,
                key=series.key(ref.written),
            )
