"""RB605 duplicate-media-name."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import lines_of, repeated_task_values
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB605",
    "duplicate-media-name",
    Severity.WARNING,
    "Two tasks have the same external media name.",
    kinds=(DATAGYM,),
)
def duplicate_media_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two tasks share `external_media_ID` (older exports: `external_image_ID`), the image's
    file name. DataGym allows it (two datasets may hold `img_001.jpg`).

    Why: Tools that save masks or look images up by file name overwrite one with the other.

    Failing:
        {"external_media_ID": "img_001.jpg", ...}, {"external_media_ID": "img_001.jpg", ...}
    Fixed:
        {"external_media_ID": "day1/img_001.jpg", ...}, {"external_media_ID": "day2/img_001.jpg", ...}
    """
    repeats = repeated_task_values(doc, "external_media_ID", "external_image_ID")
    lines = lines_of(doc, (repeat.first for repeat in repeats))
    for repeat in repeats:
        yield Hit(
            f"media name `{repeat.value}` is also used by the task at line {lines[repeat.first]}: "
            "tools that work by file name overwrite one with the other; rename one image in "
            "DataGym",
            repeat.pointer,
            key=f"external_media_ID:{repeat.value}",
        )
