"""RB803 inconsistent-dicom-orientation."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import ORIENTATION_TOLERANCE, dicom_series, same_orientation
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB803",
    "inconsistent-dicom-orientation",
    Severity.ERROR,
    "A series' DICOM instances differ in ImageOrientationPatient.",
    kinds=TASK_KINDS,
)
def inconsistent_dicom_orientation(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The local DICOM instances of one series do not all have the same ImageOrientationPatient
    (0020,0037), the direction cosines of their rows and columns, within 0.001 per cosine. The first
    instance with an orientation is the reference; each instance oriented otherwise is reported at
    its item.

    Why: A volume's slices are parallel. Instances with another orientation (an axial series mixed
    with sagittal reformats, a localizer) cannot be stacked: the platform's volume, its 3-D labels
    and any mask built on it are wrong.

    Failing:
        "items": ["axial/001.dcm", "axial/002.dcm", "sagittal/001.dcm"]
    Fixed:
        "items": ["axial/001.dcm", "axial/002.dcm"]
    """
    for series in dicom_series(doc, ctx):
        oriented = [(f, h) for f, h in series.headers if h.orientation is not None]
        if not oriented:
            continue
        first, reference = oriented[0]
        for file, header in oriented[1:]:
            if not same_orientation(header, reference):
                yield Hit(
                    f"`{file.written}` has ImageOrientationPatient {_show(header.orientation)}, but the "
                    f"series' first instance `{first.written}` has {_show(reference.orientation)} "
                    f"(tolerance {ORIENTATION_TOLERANCE:g}): its slice is not parallel to the others, "
                    "and the instances do not form one volume",
                    file.pointer,
                )


def _show(values: tuple[float, ...] | None) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values or ()) + "]"
