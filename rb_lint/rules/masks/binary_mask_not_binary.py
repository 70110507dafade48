"""RB309 binary-mask-not-binary."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_masks
from rb_lint.facts.masks import document_masks, listed
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB309",
    "binary-mask-not-binary",
    Severity.ERROR,
    "A file of a binary-mask series holds several non-zero values.",
    kinds=TASK_KINDS,
)
def binary_mask_not_binary(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: With `binaryMask: true`, a segmentation file holds two or more different non-zero values.

    Why: With `binaryMask: true`, every non-zero voxel of a file becomes the one instance that
    names the file, so a file holding several labels (1, 2, ...) silently merges them into one.

    Failing:
        organs.nii.gz holds 0, 1, 2:
        "segmentations": ["organs.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "organs.nii.gz"}}
    Fixed:
        one file per instance, or no binaryMask:
        "segmentations": ["organs.nii.gz"], "segmentMap": {"1": "Liver", "2": "Spleen"}
    """
    for series in document_masks(doc, ctx).binary:
        owner = {mask.written: entry.key for entry in series.entries for mask in entry.masks}
        for mask in scanned_masks(ctx, series):
            ref, values = mask.ref, mask.result.values
            nonzero = values.nonzero if values else []
            if len(nonzero) < 2:
                continue
            merged = f"instance `{owner[ref.written]}`" if ref.written in owner else "one instance"
            yield Hit(
                f"`{ref.written}` holds {len(nonzero)} different non-zero values "
                f"({listed(nonzero)}), but with `binaryMask: true` all of them become "
                f"{merged}: split the file into one file per value, or drop `binaryMask` "
                "and map the values in `segmentMap`",
                ref.pointer,
                key=series.key(ref.written),
            )
