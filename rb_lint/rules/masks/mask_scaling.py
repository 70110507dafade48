"""RB318 mask-scaling."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import readable_header, scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB318",
    "mask-scaling",
    Severity.WARNING,
    "A mask's scl_slope/scl_inter is not the identity.",
    kinds=TASK_KINDS,
)
def mask_scaling(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask's `scl_slope`/`scl_inter` rescale its stored values: the slope is neither 1 nor
    "none" (0 or NaN), or the intercept is not 0.

    Why: The platform applies the scaling on upload but not on export, so labels change in a round
    trip, and rb-lint (like most label tools) checks the stored values. Labels need no scaling:
    set slope 1 and intercept 0 (or slope 0/NaN, which means none).

    Failing:
        seg.nii.gz with scl_slope 2.0, scl_inter 0.0
    Fixed:
        seg.nii.gz with scl_slope 1.0, scl_inter 0.0 (or NaN)
    """
    for result, uses in scanned_by_result(doc, ctx):
        header = readable_header(result)
        if header is None or not header.scaled:
            continue
        yield from uses.hits(
            f"has scl_slope {header.scl_slope:g} and scl_inter "
            f"{header.scl_inter:g}: the platform applies them on upload but not on export, "
            "and rb-lint checks the stored values; save the labels unscaled (slope 1, "
            "intercept 0)"
        )
