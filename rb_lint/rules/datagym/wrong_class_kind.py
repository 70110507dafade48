"""RB608 wrong-class-kind."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import article, export, type_words
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB608",
    "wrong-class-kind",
    Severity.ERROR,
    "A geometry class used as a classification, or the reverse.",
    kinds=(DATAGYM,),
)
def wrong_class_kind(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: `labels` and `nested_geometries` hold geometry classes (point, line, polygon, rectangle,
    image_segmentation); `global_classifications` and `classifications` hold classification
    classes (select, checklist, freetext, radio). Reported: a key naming a class of the other kind.

    Why: A key of the wrong kind means the class's type changed in the configuration or the file
    was edited: its values cannot be read as that type, and importers drop or misread them.

    Failing:
        {"class_name": "weather", "classification_type": "select"}, ...
        "labels": {"weather": [{"rectangle": [...], "classifications": {}}]}
    Fixed:
        "global_classifications": {"weather": ["sunny"]}
    """
    found = export(doc)
    if found.classes is None:
        return
    for ref in found.refs:
        defs = found.classes.get(ref.name)
        if not defs or any(d.kind == ref.kind for d in defs):
            continue
        types = type_words({d.type for d in defs})
        if ref.kind == "geometry":
            yield Hit(
                f"`{ref.name}` is {article(types)} classification, not a geometry class: move "
                "its values to `classifications` / `global_classifications`",
                ref.pointer,
                at="key",
            )
        else:
            yield Hit(
                f"`{ref.name}` is {article(types)} geometry class, not a classification: "
                "geometries belong in `labels` or `nested_geometries`",
                ref.pointer,
                at="key",
            )
