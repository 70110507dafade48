"""RB609 geometry-key-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import GEOMETRY_CLASS_TYPES, SHAPE_OF, Geometry, article, export, type_words
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.datagym import geometry_shape
from rb_lint.models.kinds import DATAGYM

_LAYOUTS = {"points": "points", "rectangle": "a rectangle", "rings": "rings"}


@rule(
    "RB609",
    "geometry-key-mismatch",
    Severity.ERROR,
    "A labelled object's coordinate key is missing, doubled, or not its class's type.",
    kinds=(DATAGYM,),
)
def geometry_key_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Each labelled object holds its coordinates under one key. DataGym's exporter names the
    key after the class's type (`"polygon": [...]` for a polygon class, `"image_segmentation":
    [[...]]` for a segmentation); its documentation shows `"geometry": [...]` instead, and rb-lint
    accepts both. Reported: an object with no coordinates, with two coordinate keys, with a key of
    another type (`rectangle` under a polygon class), or whose `geometry` has the wrong layout.

    Why: Such an object cannot be read as its class: importers and converters pick the coordinates
    by the class's type, so they find none, or read a rectangle as a polygon.

    Failing:
        {"class_name": "car", "geometry_type": "polygon"}, ...
        "car": [{"rectangle": [{"x": 10, "y": 10, "w": 5, "h": 5}], "classifications": {}}]
    Fixed:
        "car": [{"polygon": [{"x": 10, "y": 10}, {"x": 15, "y": 10}, {"x": 15, "y": 15}],
                 "classifications": {}}]
    """
    found = export(doc)
    for geometry in found.geometries:
        hit = _key_problem(geometry, found.types_of(geometry.class_name) & set(GEOMETRY_CLASS_TYPES))
        if hit is not None:
            yield hit


def _key_problem(geometry: Geometry, types: set[str]) -> Hit | None:
    name = geometry.class_name
    if geometry.key is None:
        expected = (
            f'`"{sorted(types)[0]}": [...]`'
            if len(types) == 1
            else "one of `point`, `line`, `polygon`, `rectangle`, `image_segmentation`"
        )
        return Hit(f"this `{name}` object has no coordinates: add {expected}", geometry.pointer)
    if len(geometry.keys) > 1:
        second = geometry.keys[1]
        return Hit(
            f"this `{name}` object has both `{geometry.key}` and `{second}`: an object "
            "holds one set of coordinates; remove one",
            join_pointer(geometry.pointer, second),
            at="key",
        )
    if not types:
        return None  # unknown class: RB607 / RB608
    if geometry.key != "geometry":
        if geometry.key in types:
            return None
        return Hit(
            f"`{geometry.key}` coordinates under class `{name}`, which is "
            f"{article(type_words(types))} class: DataGym writes `{sorted(types)[0]}` for it; "
            "fix the class or the coordinates",
            geometry.coords_pointer,
            at="key",
        )
    shape = geometry_shape(geometry.coords)
    if geometry.coords == [] or any(SHAPE_OF[t] == shape for t in types):
        return None
    wanted = " or ".join(sorted({_LAYOUTS[SHAPE_OF[t]] for t in types}))
    return Hit(
        f"`geometry` of class `{name}` ({type_words(types)}) holds "
        f"{_LAYOUTS.get(shape or '', 'something else')}, not {wanted}: write the "
        "coordinates in the class's layout",
        geometry.coords_pointer,
    )
