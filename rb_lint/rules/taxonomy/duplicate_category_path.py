"""RB421 duplicate-category-path."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import display, line_of, strings, taxonomy_file
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule(
    "RB421",
    "duplicate-category-path",
    Severity.ERROR,
    "Two object types share the same parents and category.",
    kinds=[TAXONOMY],
)
def duplicate_category_path(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A category name may repeat under different parents, but one (parents, category) path
    must name one object type.

    Why: Tasks refer to object types by that path, so a second one can never be chosen (rb-lint
    resolves the path to the first).

    Failing:
        {"category": "Liver", "parents": ["Abdomen"], "classId": 5, "labelType": "SEGMENTATION"},
        {"category": "Liver", "parents": ["Abdomen"], "classId": 9, "labelType": "BBOX"}
    Fixed:
        ..., {"category": "Liver box", "parents": ["Abdomen"], "classId": 9, "labelType": "BBOX"}
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    first: dict[tuple[str, ...], str] = {}
    for pointer, object_type in taxonomy.object_types:
        category = object_type.get("category")
        if not isinstance(category, str):
            continue
        path = (*strings(object_type.get("parents")), category)
        if path not in first:
            first[path] = pointer
            continue
        yield Hit(
            f"object type `{display(object_type)}` is already defined (line "
            f"{line_of(doc, first[path])}): tasks name object types by their path, so this "
            "one can never be chosen; rename it or merge the two",
            join_pointer(pointer, "category"),
            key=f"path:{display(object_type)}",
        )
