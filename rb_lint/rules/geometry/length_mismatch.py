"""RB708 length-mismatch."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import Label, labels_of, number, show, subtract, voxel_point, world_point
from rb_lint.facts.grid import series_grid
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

_ABSOLUTE, _RELATIVE = 0.1, 0.01  # mm, and a fraction of the length


@rule(
    "RB708",
    "length-mismatch",
    Severity.WARNING,
    "A length measurement's `length` is not the distance between its points.",
    kinds=TASK_KINDS,
)
def length_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A length measurement's `length` (millimetres) is the distance between its points: between
    `absolutePoint1` and `absolutePoint2` when both are there (tolerance 0.1 mm + 1%), else between
    `point1` and `point2` through the series' affine or spacing (see RB707 for the grid; tolerance one
    voxel diagonal + 1%, because voxel points are whole voxels). Without world points and without a
    grid it is not checked.

    Why: RedBrick computes `length` from the points; a value that does not match them was edited or
    converted alone — typically a length in voxels or in centimetres, or points moved afterwards.
    Analyses read `length` directly (tumour diameters, RECIST), so a wrong one goes unnoticed into
    results.

    Failing:
        {"type": "length", "absolutePoint1": {"x": 0, "y": 0, "z": 0},
         "absolutePoint2": {"x": 4, "y": 0, "z": 0}, "length": 40, ...}
    Fixed:
        {"type": "length", "absolutePoint1": {"x": 0, "y": 0, "z": 0},
         "absolutePoint2": {"x": 4, "y": 0, "z": 0}, "length": 4, ...}
    """
    for label in labels_of(doc, "measurements"):
        length = number(label.data.get("length"))
        if label.data.get("type") == "angle" or length is None:
            continue
        found = _expected(doc, ctx, label)
        if found is None:
            continue
        expected, tolerance, basis = found
        if abs(length - expected) <= tolerance + _RELATIVE * expected:
            continue
        yield Hit(
            f"`length` = {show(length)} mm, but {basis} are {show(expected)} mm apart: `length` is the "
            f"distance between the measurement's points in millimetres; set it to {show(expected)}, or "
            "correct the points",
            label.at("length"),
        )


def _expected(doc: Document, ctx: Context, label: Label) -> tuple[float, float, str] | None:
    """The distance of the points, the absolute tolerance, and which points were used."""
    first, second = world_point(label, "absolutePoint1"), world_point(label, "absolutePoint2")
    if first is not None and second is not None:
        distance = math.dist(first.xyz, second.xyz)
        if not math.isfinite(distance):
            return None
        return distance, _ABSOLUTE, "`absolutePoint1` and `absolutePoint2`"
    grid = series_grid(doc, ctx, label.series_pointer)
    one, two = voxel_point(label, "point1"), voxel_point(label, "point2")
    if grid is None or grid.voxel_diagonal is None or one is None or two is None:
        return None
    vector = grid.to_millimetres(subtract(two.xyz, one.xyz))
    if vector is None or not math.isfinite(distance := math.hypot(*vector)):
        return None
    return distance, grid.voxel_diagonal, f"`point1` and `point2` (through the grid of {grid.source})"
