"""RB607 undefined-class."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.facts.datagym import export
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB607",
    "undefined-class",
    Severity.ERROR,
    "A label or classification names no defined class.",
    kinds=(DATAGYM,),
)
def undefined_class(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every key of `labels`, `nested_geometries`, `global_classifications` and
    `classifications` (and of nested classification objects) must be a `class_name` from
    `label_classes`. Reported: a key that is not there (a typo, a class deleted from the
    configuration, a hand-edited file), with the closest defined name when there is one.

    Why: Such a key cannot be mapped to a class, and importers drop its labels.

    Failing:
        {"label_classes": [{"class_name": "car", "geometry_type": "polygon"}]}, ...
        "labels": {"cars": [...]}
    Fixed:
        "labels": {"car": [...]}
    """
    found = export(doc)
    if found.classes is None:
        return
    known = list(found.classes)
    for ref in found.refs:
        if ref.name in found.classes:
            continue
        hint = _closest(ref.name, known)
        where = "labels" if ref.kind == "geometry" else "classifications"
        yield Hit(
            f"`{ref.name}` is not a class of `label_classes`: {where} are keyed by `class_name`; {hint}",
            ref.pointer,
            at="key",
        )


def _closest(name: str, known: list[str]) -> str:
    match = closest_name(name, known, cutoff=0.75)
    if match is not None:
        return f"did you mean `{match}`?"
    return "add the class to the label configuration or remove these labels"
