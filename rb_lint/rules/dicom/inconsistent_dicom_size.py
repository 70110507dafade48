"""RB802 inconsistent-dicom-size."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_series
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB802",
    "inconsistent-dicom-size",
    Severity.ERROR,
    "A series' DICOM instances differ in Rows or Columns.",
    kinds=TASK_KINDS,
)
def inconsistent_dicom_size(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The local DICOM instances of one series do not all have the same Rows (0028,0010) and
    Columns (0028,0011). The first instance with both is the reference; each instance of another
    size is reported at its item.

    Why: A volume has one in-plane size: the platform cannot stack slices of 512 x 512 and
    256 x 256 pixels into one series (the upload fails or the slices are resampled and shifted), and
    a mask of shape (Columns, Rows, instances) fits at most one of them.

    Failing:
        "items": ["ct/001.dcm", "ct/002.dcm", "scout.dcm"]   (scout.dcm: 1024 x 512)
    Fixed:
        "items": ["ct/001.dcm", "ct/002.dcm"]
    """
    for series in dicom_series(doc, ctx):
        sized = [(f, h) for f, h in series.headers if h.rows is not None and h.columns is not None]
        if not sized:
            continue
        first, reference = sized[0]
        for file, header in sized[1:]:
            if (header.rows, header.columns) != (reference.rows, reference.columns):
                yield Hit(
                    f"`{file.written}` is {header.columns} x {header.rows} pixels (Columns x Rows), but "
                    f"the series' first instance `{first.written}` is {reference.columns} x "
                    f"{reference.rows}: the instances do not form one volume",
                    file.pointer,
                )
