"""RB709 angle-mismatch."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import Label, Vec3, labels_of, number, show, subtract, voxel_point, world_point
from rb_lint.facts.grid import series_grid
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

_TOLERANCE = 0.5  # degrees
_WORLD = ("absolutePoint1", "absoluteVertex", "absolutePoint2")


@rule(
    "RB709",
    "angle-mismatch",
    Severity.WARNING,
    "An angle measurement's `angle` is not the angle its points make at `vertex` (in degrees).",
    kinds=TASK_KINDS,
)
def angle_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: An angle measurement's `angle` is the angle, in degrees (0-180), between the arms from
    `vertex` to `point1` and from `vertex` to `point2`: computed from `absolutePoint1`,
    `absoluteVertex` and `absolutePoint2` when all are there (tolerance 0.5 degrees), else from the
    voxel points through the series' affine or spacing (see RB707), with a tolerance widened by how
    far whole-voxel rounding can turn each arm. Without world points and without a grid it is not
    checked.

    Why: RedBrick computes `angle` from the points (the SDK exports it in degrees); a value that does
    not match was edited or converted alone — often radians instead of degrees, or the supplement
    (180 - angle). Analyses read `angle` directly (Cobb angles, joint angles), so a wrong one goes
    unnoticed into results.

    Failing:
        {"type": "angle", "absolutePoint1": {"x": 10, "y": 0, "z": 0}, "absoluteVertex": {"x": 0, "y": 0,
         "z": 0}, "absolutePoint2": {"x": 0, "y": 10, "z": 0}, "angle": 1.5708, ...}
    Fixed:
        {"type": "angle", ..., "angle": 90, ...}
    """
    for label in labels_of(doc, "measurements"):
        angle = number(label.data.get("angle"))
        if label.data.get("type") == "length" or angle is None:
            continue
        found = _expected(doc, ctx, label)
        if found is None:
            continue
        expected, tolerance, basis = found
        if abs(angle - expected) <= tolerance:
            continue
        hint = " (it looks like radians)" if abs(angle - math.radians(expected)) < 0.01 else ""
        yield Hit(
            f"`angle` = {show(angle)}{hint}, but {basis} make an angle of {show(expected)} degrees at the "
            f"vertex: `angle` is in degrees; set it to {show(expected)}, or correct the points",
            label.at("angle"),
        )


def _expected(doc: Document, ctx: Context, label: Label) -> tuple[float, float, str] | None:
    """The angle of the points in degrees, the tolerance, and which points were used."""
    world = [world_point(label, key) for key in _WORLD]
    if all(point is not None for point in world):
        one, vertex, two = (point.xyz for point in world if point is not None)
        arms = subtract(one, vertex), subtract(two, vertex)
        return _angle(*arms, 0.0, _TOLERANCE, "`absolutePoint1`, `absoluteVertex` and `absolutePoint2`")
    grid = series_grid(doc, ctx, label.series_pointer)
    voxels = [voxel_point(label, key) for key in ("point1", "vertex", "point2")]
    if grid is None or grid.voxel_diagonal is None or not all(p is not None for p in voxels):
        return None
    one, vertex, two = (point.xyz for point in voxels if point is not None)
    first, second = grid.to_millimetres(subtract(one, vertex)), grid.to_millimetres(subtract(two, vertex))
    if first is None or second is None:
        return None
    return _angle(first, second, grid.voxel_diagonal, _TOLERANCE, "`point1`, `vertex` and `point2`")


def _angle(a: Vec3, b: Vec3, blur: float, tolerance: float, basis: str) -> tuple[float, float, str] | None:
    """The angle between two arms, and the tolerance widened by `blur` mm of uncertainty per arm."""
    lengths = math.hypot(*a), math.hypot(*b)
    if not all(math.isfinite(n) and n > 0 for n in lengths):
        return None
    u, v = (tuple(c / n for c in arm) for arm, n in zip((a, b), lengths, strict=True))  # no overflow
    cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    degrees = math.degrees(math.atan2(math.hypot(*cross), u[0] * v[0] + u[1] * v[1] + u[2] * v[2]))
    if not math.isfinite(degrees):
        return None
    widened = tolerance + sum(math.degrees(math.asin(min(1.0, blur / n))) for n in lengths)
    return degrees, widened, basis
