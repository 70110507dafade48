"""RB613 null-coordinate."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import coordinate_objects, export
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB613",
    "null-coordinate",
    Severity.ERROR,
    "A coordinate is null (negative or unset on export).",
    kinds=(DATAGYM,),
)
def null_coordinate(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A coordinate (`x`, `y`, `w` or `h`) is `null`. DataGym writes a negative or unset
    coordinate as `null` (a vertex dragged above or left of the image), and nulls all four values
    of such a rectangle.

    Why: The vertex is lost: the geometry cannot be drawn as annotated. Fix it in DataGym and
    export again, or drop the vertex.

    Failing:
        "car": [{"polygon": [{"x": null, "y": null}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                 "classifications": {}}]
    Fixed:
        "car": [{"polygon": [{"x": 0, "y": 410}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                 "classifications": {}}]
    """
    for geometry in export(doc).geometries:
        for path, point in coordinate_objects(geometry.coords):
            if None not in point.values():
                continue
            null = next((k for k in ("x", "y", "w", "h") if k in point and point[k] is None), None)
            if null is not None:
                yield Hit(
                    f"`{null}` is null in this `{geometry.class_name}` geometry: DataGym "
                    "writes negative or unset coordinates as null, so the position is "
                    "lost; fix the vertex in DataGym (inside the image) and export again",
                    geometry.at(path, null),
                )
