"""RB610 nested-geometry-too-deep."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import export
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB610",
    "nested-geometry-too-deep",
    Severity.ERROR,
    "Geometries nest one level deep only.",
    kinds=(DATAGYM,),
)
def nested_geometry_too_deep(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: DataGym nests geometries one level deep: a top-level object may hold
    `nested_geometries`, a nested one may not (the exporter writes the key only on top-level
    objects). Reported: a non-empty `nested_geometries` inside a nested object.

    Why: Deeper geometries were not written by DataGym and importers ignore them: those labels
    are silently lost.

    Failing:
        "car": [{"polygon": [...], "classifications": {}, "nested_geometries": {
            "wheel": [{"point": [...], "classifications": {}, "nested_geometries": {
                "bolt": [...]}}]}}]
    Fixed:
        "car": [{"polygon": [...], "classifications": {}, "nested_geometries": {
            "wheel": [...], "bolt": [...]}}]
    """
    for geometry in export(doc).geometries:
        nested = geometry.obj.get("nested_geometries")
        if geometry.depth >= 1 and isinstance(nested, dict) and nested:
            yield Hit(
                f"`nested_geometries` inside a nested `{geometry.class_name}` object: "
                "DataGym nests geometries one level only; move these objects up to the "
                "top-level object's `nested_geometries`",
                join_pointer(geometry.pointer, "nested_geometries"),
                at="key",
            )
