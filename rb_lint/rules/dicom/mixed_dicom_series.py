"""RB801 mixed-dicom-series."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_series
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB801",
    "mixed-dicom-series",
    Severity.ERROR,
    "A series' DICOM instances belong to more than one DICOM series (SeriesInstanceUID).",
    kinds=TASK_KINDS,
)
def mixed_dicom_series(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The local DICOM instances of one series do not all have the same SeriesInstanceUID
    (0020,000E). The first instance that has one is the reference; each instance of another
    series is reported at its item.

    Why: The platform stacks a series' items into one volume. Instances of another acquisition
    (a second CT phase, a localizer, the next patient's scan) make a volume with slices that do not
    belong together: wrong order, wrong spacing, labels drawn on the wrong anatomy.

    Failing:
        "items": ["arterial/001.dcm", "arterial/002.dcm", "venous/001.dcm"]
    Fixed:
        "series": [{"name": "arterial", "items": ["arterial/001.dcm", "arterial/002.dcm"]},
                   {"name": "venous", "items": ["venous/001.dcm"]}]
    """
    for series in dicom_series(doc, ctx):
        with_uid = [(f, h) for f, h in series.headers if h.series_instance_uid is not None]
        if not with_uid:
            continue
        first, reference = with_uid[0]
        for file, header in with_uid[1:]:
            if header.series_instance_uid != reference.series_instance_uid:
                yield Hit(
                    f"`{file.written}` belongs to DICOM series `{header.series_instance_uid}`, but the "
                    f"series' first instance `{first.written}` to `{reference.series_instance_uid}`: the "
                    "items mix two acquisitions, which the platform stacks into one broken volume; "
                    "give each DICOM series its own series",
                    file.pointer,
                )
