"""RB603 duplicate-class-name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import LabelClassEntry, label_class_entries, lines_of
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB603",
    "duplicate-class-name",
    Severity.WARNING,
    "Two label classes share a `class_name`.",
    kinds=(DATAGYM,),
)
def duplicate_class_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two `label_classes` entries have the same `class_name`. The finding is at the repeat and
    names the first. (The list is flattened from the label configuration's tree, so a nested class
    may legitimately repeat a name, e.g. `color` under two geometries.)

    Why: Labels refer to classes by name only, so the two cannot be told apart in the export: a
    `color` value cannot be read as the one or the other class.

    Failing:
        [{"class_name": "color", "classification_type": "select"},
         {"class_name": "color", "classification_type": "checklist"}]
    Fixed:
        [{"class_name": "car_color", "classification_type": "select"},
         {"class_name": "bus_color", "classification_type": "checklist"}]
    """
    first: dict[str, LabelClassEntry] = {}
    repeats: list[tuple[str, LabelClassEntry, LabelClassEntry]] = []
    for item in label_class_entries(doc):
        name = item.entry.get("class_name")
        if not isinstance(name, str):
            continue
        if name in first:
            repeats.append((name, item, first[name]))
        else:
            first[name] = item
    lines = lines_of(doc, (join_pointer(other.pointer, "class_name") for _n, _i, other in repeats))
    for name, item, other in repeats:
        line = lines[join_pointer(other.pointer, "class_name")]
        yield Hit(
            f"class name `{name}` ({_describe(item.entry)}) is also defined at line {line} "
            f"({_describe(other.entry)}): labels name classes only by `class_name`, so the two "
            "are indistinguishable in the export; give them distinct export keys if they are "
            "different classes",
            join_pointer(item.pointer, "class_name"),
            key=f"class:{name}",
        )


def _describe(entry: dict[str, Any]) -> str:
    kind = entry.get("geometry_type", entry.get("classification_type"))
    return f"{kind}" if isinstance(kind, str) else "no type"
