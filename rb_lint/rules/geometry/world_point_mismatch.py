"""RB707 world-point-mismatch."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import VOXEL_WORLD_PAIRS, labels_of, show, show_point, voxel_point, world_point
from rb_lint.facts.grid import series_grid
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB707",
    "world-point-mismatch",
    Severity.ERROR,
    "A world point (`absolutePoint...`) is not where the image's affine puts its voxel point.",
    kinds=TASK_KINDS,
)
def world_point_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Where a 3-D label has both a voxel point and its world point — `point` / `absolutePoint`
    (3-D landmarks), `point1` / `absolutePoint1`, `point2` / `absolutePoint2`, `vertex` /
    `absoluteVertex` (measurements, cuboids) — the series' affine maps the voxel point to the world
    point within one voxel diagonal. Convention: the affine maps (i, j, k, 1) — column, row, slice —
    to DICOM patient coordinates in mm, LPS (x to the patient's left, y to the back, z to the head),
    as world points are computed from the DICOM Image Plane Module. It is `imageHeaders.affine`
    (or, without it, `direction` x `spacing` + `origin`, as the SDK builds it), else the affine of the
    series' local NIfTI image converted from NIfTI's RAS to LPS (x and y change sign). Series without
    an affine are not checked.

    Why: The two points are two records of one position. When they disagree by more than a voxel, one
    of them was edited or converted alone (a flipped axis, a RAS/LPS mix-up, points copied from
    another series), and code that uses the world point (registration, reports in mm) and code that
    uses the voxel point (masks, crops) put the label in different places.

    Failing:
        (identity affine)
        {"point": {"i": 10, "j": 20, "k": 3}, "absolutePoint": {"x": 80, "y": 20, "z": 3}, ...}
    Fixed:
        {"point": {"i": 10, "j": 20, "k": 3}, "absolutePoint": {"x": 10, "y": 20, "z": 3}, ...}
    """
    for label in labels_of(doc, *VOXEL_WORLD_PAIRS):
        grid = series_grid(doc, ctx, label.series_pointer)
        tolerance = None if grid is None else grid.voxel_diagonal
        if grid is None or tolerance is None:
            continue
        for voxel_key, world_key in VOXEL_WORLD_PAIRS[label.kind]:
            voxel, world = voxel_point(label, voxel_key), world_point(label, world_key)
            expected = None if voxel is None else grid.to_world(voxel.xyz)
            if world is None or voxel is None or expected is None:
                continue
            distance = math.dist(expected, world.xyz)
            if not distance > tolerance * (1 + 1e-9):
                continue
            yield Hit(
                f"`{world_key}` {show_point(world.xyz)} is {show(distance)} mm from where the affine of "
                f"{grid.source} puts `{voxel_key}` {show_point(voxel.xyz)}: {show_point(expected)} "
                f"(LPS, mm), more than one voxel diagonal ({show(tolerance)} mm); one of the two points "
                f"is wrong: correct the voxel point, or recompute `{world_key}` from it",
                world.pointer,
            )
