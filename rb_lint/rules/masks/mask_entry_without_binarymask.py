"""RB310 mask-entry-without-binarymask."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB310",
    "mask-entry-without-binarymask",
    Severity.WARNING,
    "A segmentMap entry has `mask` but the series is not `binaryMask`.",
    kinds=TASK_KINDS,
)
def mask_entry_without_binarymask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A `segmentMap` entry has `mask`, but its series has no `binaryMask: true`.

    Why: The SDK reads an entry's `mask` only when the series has `binaryMask: true`. Without it,
    `mask` is ignored and the values of every file are mapped through `segmentMap`, which is
    rarely what a file-per-instance layout means.

    Failing:
        "segmentations": ["liver.nii.gz"],
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    Fixed:
        "segmentations": ["liver.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    """
    for series in document_masks(doc, ctx).with_masks:
        if series.binary:
            continue
        for entry in series.entries:
            if isinstance(entry.value, dict) and "mask" in entry.value:
                yield Hit(
                    "`mask` is read only with `binaryMask: true` on the series: without it "
                    "the platform ignores `mask` and maps the values of every file through "
                    '`segmentMap`; add `"binaryMask": true` or remove `mask`',
                    join_pointer(series.pointer, "segmentMap", entry.key, "mask"),
                    at="key",
                    key=series.key(f"id {entry.key} mask"),
                )
