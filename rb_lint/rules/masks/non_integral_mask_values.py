"""RB317 non-integral-mask-values."""

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
    "RB317",
    "non-integral-mask-values",
    Severity.ERROR,
    "A mask holds fractional, NaN or infinite values.",
    kinds=TASK_KINDS,
)
def non_integral_mask_values(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask holds fractional, NaN or infinite values. Values are the raw stored ones (before
    scl_slope/scl_inter, see RB318).

    Why: Labels are whole numbers. The platform rounds fractional values (0.5 becomes 0, 1.5
    becomes 2: round half to even) and casts NaN and infinities to undefined values, so an
    interpolated or resampled mask changes its labels on upload.

    Failing:
        seg.nii.gz holding 0.0, 0.49, 1.0, NaN   (resampled with linear interpolation)
    Fixed:
        seg.nii.gz holding 0, 1   (resampled with nearest-neighbour interpolation)
    """
    for result, uses in scanned_by_result(doc, ctx):
        values = result.values
        if values is None or not (values.non_integral or values.non_finite):
            continue
        parts = []
        if values.non_integral:
            parts.append(f"fractional values (e.g. {listed(values.non_integral, 5)})")
        if values.non_finite:
            parts.append(f"non-finite values ({', '.join(values.non_finite)})")
        yield from uses.hits(
            f"holds {' and '.join(parts)}: the platform rounds labels "
            "to whole numbers and NaN/inf become arbitrary labels; resample with "
            "nearest-neighbour interpolation and store integer labels"
        )
