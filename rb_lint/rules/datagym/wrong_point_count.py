"""RB611 wrong-point-count."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import SEGMENTATION, Geometry, article, export, vertex_count
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM

MIN_POINTS = {"line": 2, "polygon": 3}


@rule(
    "RB611",
    "wrong-point-count",
    Severity.ERROR,
    "Too few (or too many) points for the geometry type.",
    kinds=(DATAGYM,),
)
def wrong_point_count(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A point is exactly one `{x, y}`; a line has at least 2 points; a polygon at least 3 (a
    closing point that repeats the first does not count); a rectangle is exactly one
    `{x, y, w, h}`; a segmentation has at least one ring, each of at least 3 points.

    Why: DataGym exports degenerate geometries unchanged; they have no area or length and break
    converters.

    Failing:
        "car": [{"polygon": [{"x": 57, "y": 412}, {"x": 54, "y": 463}], "classifications": {}}]
    Fixed:
        "car": [{"polygon": [{"x": 57, "y": 412}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                 "classifications": {}}]
    """
    for geometry in export(doc).geometries:
        if geometry.type is not None and isinstance(geometry.coords, list):
            yield from _count_problems(geometry)


def _count_problems(geometry: Geometry) -> Iterator[Hit]:
    kind, coords, name = geometry.type, geometry.coords, geometry.class_name
    if kind in ("point", "rectangle") and len(coords) != 1:
        shape = "`{x, y}`" if kind == "point" else "`{x, y, w, h}`"
        yield Hit(
            f"{article(str(kind))} of class `{name}` is exactly one {shape}, but this one has "
            f"{len(coords)}: keep one (or make one object per {kind})",
            geometry.coords_pointer,
        )
    elif kind in MIN_POINTS and vertex_count(coords) < MIN_POINTS[kind]:
        yield Hit(
            f"{kind} of class `{name}` has {vertex_count(coords)} point(s): a {kind} "
            f"needs at least {MIN_POINTS[kind]}; add points or delete the object",
            geometry.coords_pointer,
        )
    elif kind == SEGMENTATION:
        if not coords:
            yield Hit(
                f"segmentation of class `{name}` has no ring: add the outer ring "
                '`[[{"x": ..., "y": ...}, ...]]` or delete the object',
                geometry.coords_pointer,
            )
        for index, ring in enumerate(coords):
            if isinstance(ring, list) and vertex_count(ring) < 3:
                role = "outer ring" if index == 0 else f"cut-out ring {index}"
                yield Hit(
                    f"{role} of segmentation `{name}` has {vertex_count(ring)} point(s): a "
                    "ring needs at least 3; add points or remove the ring",
                    join_pointer(geometry.coords_pointer, index),
                )
