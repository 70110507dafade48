"""RB319 mask-values-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_by_result
from rb_lint.facts.masks import listed
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB319",
    "mask-values-out-of-range",
    Severity.ERROR,
    "A mask holds negative values or values above 65535.",
    kinds=TASK_KINDS,
)
def mask_values_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask holds negative values or values above 65535. Image intensities (a CT's negative
    Hounsfield units) in a segmentation path are a common cause.

    Why: Instance ids are 1..65535: the platform casts labels to uint16, so -1 wraps to 65535 and
    65536 to 0 (erasing the voxel), silently.

    Failing:
        seg.nii.gz holding -1, 0, 1
    Fixed:
        seg.nii.gz holding 0, 1, 2
    """
    for result, uses in scanned_by_result(doc, ctx):
        values = result.values
        if values is None or not (values.negative or values.above):
            continue
        parts = []
        if values.negative:
            parts.append(f"negative values (e.g. {listed(values.negative, 5)})")
        if values.above:
            parts.append(f"values above 65535 (e.g. {listed(values.above, 5)})")
        yield from uses.hits(
            f"holds {' and '.join(parts)}: the platform casts labels to "
            "uint16 and they wrap around silently; labels must be 0..65535 (is this an image "
            "rather than a mask?)"
        )
