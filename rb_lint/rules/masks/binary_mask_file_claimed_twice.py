"""RB307 binary-mask-file-claimed-twice."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB307",
    "binary-mask-file-claimed-twice",
    Severity.ERROR,
    "Two binary-mask entries name the same file.",
    kinds=TASK_KINDS,
)
def binary_mask_file_claimed_twice(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: With `binaryMask: true`, two `segmentMap` entries name the same file in `mask`.

    Why: With `binaryMask: true` a file is one instance: every non-zero voxel of it is that
    instance. The SDK refuses a file named by two entries (`Binary mask upload only supports
    single instance per file`) and the series is not imported.

    Failing:
        "1": {"category": "Liver", "mask": "organs.nii.gz"},
        "2": {"category": "Spleen", "mask": "organs.nii.gz"}
    Fixed:
        "1": {"category": "Liver", "mask": "liver.nii.gz"},
        "2": {"category": "Spleen", "mask": "spleen.nii.gz"}
    """
    for series in document_masks(doc, ctx).binary:
        first: dict[str, str] = {}
        for entry in series.entries:
            for mask in entry.masks:
                if mask.written in first:
                    yield Hit(
                        f"`{mask.written}` is already the mask of instance id "
                        f"`{first[mask.written]}`: with `binaryMask` the platform takes one "
                        "instance per file and rejects the series (`Binary mask upload only "
                        "supports single instance per file`); give each instance its own file",
                        mask.pointer,
                        key=series.key(f"id {entry.key} {mask.tail}"),
                    )
                else:
                    first[mask.written] = entry.key
