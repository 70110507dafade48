"""RB601 invalid-class-type-keys."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import label_class_entries
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB601",
    "invalid-class-type-keys",
    Severity.ERROR,
    "A label class needs exactly one of `geometry_type` and `classification_type`.",
    kinds=(DATAGYM,),
)
def invalid_class_type_keys(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Each `label_classes` entry is `{class_name, geometry_type}` (point, line, polygon,
    rectangle) or `{class_name, classification_type}` (select, checklist, freetext,
    image_segmentation, or the legacy radio). Reported: an entry with neither key, or with both.
    (`image_segmentation` is a geometry, but DataGym writes it as a `classification_type`.)

    Why: With neither, nothing says how the class's labels are to be read; with both, the class is
    ambiguous: its labels cannot be checked or imported as one type.

    Failing:
        {"class_name": "car", "geometry_type": "polygon", "classification_type": "select"}
    Fixed:
        {"class_name": "car", "geometry_type": "polygon"}
    """
    for item in label_class_entries(doc):
        entry = item.entry
        name = entry.get("class_name")
        label = f"class `{name}`" if isinstance(name, str) else "this label class"
        if "geometry_type" in entry and "classification_type" in entry:
            yield Hit(
                f"{label} has both `geometry_type` and `classification_type`: a class is "
                "either a geometry or a classification; remove one",
                join_pointer(item.pointer, "classification_type"),
                at="key",
            )
        elif "geometry_type" not in entry and "classification_type" not in entry:
            yield Hit(
                f"{label} has neither `geometry_type` nor `classification_type`: add "
                '`"geometry_type": "polygon"` (point, line, polygon, rectangle) or '
                '`"classification_type": "select"` (select, checklist, freetext, '
                "image_segmentation)",
                item.pointer,
            )
