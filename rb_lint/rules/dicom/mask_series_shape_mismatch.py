"""RB806 mask-series-shape-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_series, mask_headers, volume_shape
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB806",
    "mask-series-shape-mismatch",
    Severity.ERROR,
    "A NIfTI mask's shape is not (Columns, Rows, number of instances) of its DICOM series.",
    kinds=TASK_KINDS,
)
def mask_series_shape_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The series' `items` are local DICOM instances of one size, and a local NIfTI mask in its
    `segmentations` does not have the shape (Columns, Rows, number of instances) — the layout of
    RedBrick's exporter, where the first axis `i` is the column, the second `j` the row and the
    third `k` the slice (a single multi-frame instance has one slice per frame). A mask of shape
    (Rows, Columns, N) is reported as transposed; one with the wrong number of slices says so.
    Only the mask's header is read.

    Why: Neither the SDK nor the platform compares a mask with its DICOM series before upload: a
    mask with one slice too few or too many is applied slice by slice from the first, so every
    label after the missing slice lands on the wrong image; a transposed mask (rows and columns
    swapped, as numpy's (row, column) order gives) is mirrored along the diagonal or rejected.

    Failing:
        "items": 40 instances of 512 x 256 (Columns x Rows), "segmentations": "seg.nii.gz" (512, 256, 39)
    Fixed:
        "segmentations": "seg.nii.gz" (512, 256, 40)
    """
    for series in dicom_series(doc, ctx):
        shape = volume_shape(series)
        if shape is None:
            continue
        columns, rows, slices = shape
        for mask in mask_headers(ctx, doc, series):
            if mask.header is None or mask.header.spatial_shape() == shape:
                continue
            got = mask.header.spatial_shape()
            expected = f"({columns}, {rows}, {slices})"
            if got == (rows, columns, slices):
                problem = (
                    f"is transposed: its shape is {got}, the series' is {expected} (Columns, Rows, "
                    "instances); the first axis is the column: swap the mask's first two axes"
                )
            elif got[:2] == (columns, rows):
                count = got[2] - slices
                problem = (
                    f"has {got[2]} slice{'s' if got[2] != 1 else ''} where the series has {slices} "
                    f"instance{'s' if slices != 1 else ''} ({_by(count)}): shape {got}, expected {expected}; "
                    "its labels land on the wrong slices"
                )
            else:
                problem = f"has shape {got}, but the series is {expected} (Columns, Rows, instances)"
            yield Hit(f"mask `{mask.written}` {problem}", mask.pointer)


def _by(count: int) -> str:
    if count in (-1, 1):
        return f"one slice {'short' if count < 0 else 'too many'}"
    return f"{abs(count)} slices {'short' if count < 0 else 'too many'}"
