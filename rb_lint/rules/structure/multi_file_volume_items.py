"""RB110 multi-file-volume-items."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import item_extension, series_census
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

SINGLE_FILE_EXTENSIONS = frozenset({"nii", "nrrd", "mp4", "avi"})


@rule(
    "RB110",
    "multi-file-volume-items",
    Severity.ERROR,
    "NIfTI, NRRD and video items must be a single file.",
    kinds=TASK_KINDS,
)
def multi_file_volume_items(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A series lists several files in `items`, and one of them is a NIfTI, NRRD or video file.

    Why: A NIfTI, NRRD or video series is one file: listing several in one series' `items` is
    rejected by the platform (only DICOM and image series are built from several files).

    Failing:
        {"items": ["t1.nii.gz", "t2.nii.gz"]}
    Fixed:
        [{"name": "t1", "items": "t1.nii.gz"}, {"name": "t2", "items": "t2.nii.gz"}]  (two series)
    """
    for pointer, series in series_census(doc).item_lists:
        items = series.get("items")
        if not isinstance(items, list) or len(items) < 2:
            continue
        for index, item in enumerate(items):
            if isinstance(item, str) and item_extension(item) in SINGLE_FILE_EXTENSIONS:
                yield Hit(
                    f"`{item}` is a single-file volume, but this series lists {len(items)} "
                    "items: put each NIfTI/NRRD/video file in a series of its own",
                    join_pointer(pointer, "items", index),
                )
                break
