"""RB805 dicom-slice-gap."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_series, slice_stack
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

GAP_FACTOR = 1.5  # a spacing this many times the median is a gap


@rule(
    "RB805",
    "dicom-slice-gap",
    Severity.WARNING,
    "A DICOM series has a gap in its slice positions (a missing instance).",
    kinds=TASK_KINDS,
)
def dicom_slice_gap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Sorted by their position along the slice normal (ImagePositionPatient projected on the
    cross product of the row and column cosines of ImageOrientationPatient), two neighbouring
    instances of a series are more than 1.5 times the median spacing apart. Reported at the
    instance after the gap. Checked for series of three or more local single-frame instances that
    have one size, orientation and pixel spacing (RB802 and RB803 report the others).

    Why: A gap usually means an instance is missing from `items` (a file not copied, a slice
    filtered out). The platform builds a volume with uniform spacing from the instances it gets,
    so everything beyond the gap is displaced, and a mask or label made on the complete series
    does not fit.

    Failing:
        "items": ["ct/001.dcm", "ct/002.dcm", "ct/004.dcm"]   (z = 0, 5, 15 mm)
    Fixed:
        "items": ["ct/001.dcm", "ct/002.dcm", "ct/003.dcm", "ct/004.dcm"]
    """
    for series in dicom_series(doc, ctx):
        stack = slice_stack(doc, ctx, series)
        if stack is None or stack.slice_spacing is None or len(stack.ordered) < 3:
            continue
        median = stack.slice_spacing
        for (before, a), (after, b) in itertools.pairwise(stack.ordered):
            gap = b - a
            if gap <= GAP_FACTOR * median:
                continue
            missing = max(1, round(gap / median) - 1)
            yield Hit(
                f"`{after.written}` is {gap:.4g} mm from the slice before it (`{before.written}`, at "
                f"{a:.4g} mm along the slice normal; this one at {b:.4g} mm), where the series' slices "
                f"are {median:.4g} mm apart: about {missing} instance{'s are' if missing > 1 else ' is'} "
                "missing, and the volume the platform builds is displaced beyond the gap",
                after.pointer,
            )
