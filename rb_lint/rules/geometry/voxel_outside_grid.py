"""RB706 voxel-outside-grid."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import VOXEL_AXES, VOXEL_WORLD_PAIRS, labels_of, show, voxel_point
from rb_lint.facts.grid import series_grid
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

_WORDS = {"i": "column", "j": "row", "k": "slice"}
_TOLERANCE = 1e-6


@rule(
    "RB706",
    "voxel-outside-grid",
    Severity.ERROR,
    "A voxel point (`i`, `j`, `k`) lies outside the series' image grid.",
    kinds=TASK_KINDS,
)
def voxel_outside_grid(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every voxel point of a 3-D label — a 3-D landmark's `point`, a measurement's `point1`,
    `point2` and `vertex`, a cuboid's `point1` and `point2` — lies inside the series' grid: `i` (the
    column) in 0..columns-1, `j` (the row) in 0..rows-1, `k` (the slice) in 0..slices-1. Voxel centres
    sit at whole indices, so a point may be half a voxel beyond them (-0.5 <= i <= columns - 0.5). The
    grid is the series' `imageHeaders.dimensions` (columns, rows, slices), else the header of its image
    when `items` is one local NIfTI file (its first three axes). Series without a known grid are not
    checked. Reported once per point, at its first coordinate outside.

    Why: A point outside the grid is on no voxel of the image: the label was made on another series
    (a different slice count), or `i`, `j` and `k` were swapped (`i` is the column, not the row) or
    come from another tool's convention. The platform cannot show the label where it belongs, and
    its statistics and measurements are wrong.

    Failing:
        (a 512 x 512 x 12 series)
        "landmarks3d": [{"point": {"i": 200, "j": 310, "k": 40}, "category": "Nodule"}]
    Fixed:
        "landmarks3d": [{"point": {"i": 200, "j": 310, "k": 4}, "category": "Nodule"}]
    """
    for label in labels_of(doc, *VOXEL_WORLD_PAIRS):
        grid = series_grid(doc, ctx, label.series_pointer)
        if grid is None:
            continue
        for voxel_key, _world_key in VOXEL_WORLD_PAIRS[label.kind]:
            point = voxel_point(label, voxel_key)
            if point is None:
                continue
            outside = [
                (axis, value, size)
                for axis, value, size in zip(VOXEL_AXES, point.xyz, grid.dimensions, strict=True)
                if not -0.5 - _TOLERANCE <= value <= size - 0.5 + _TOLERANCE
            ]
            if not outside:
                continue
            axis, value, size = outside[0]
            others = "".join(f", and `{a}` = {show(v)} too" for a, v, _s in outside[1:])
            columns, rows, slices = grid.dimensions
            yield Hit(
                f"`{voxel_key}.{axis}` = {show(value)} is outside the image grid{others}: the series has "
                f"{size} {_WORDS[axis]}{'s' if size != 1 else ''} ({axis} from 0 to {size - 1}; grid "
                f"{columns} x {rows} x {slices} from {grid.source}); the label belongs to another "
                "series, or its i, j, k are swapped (i is the column, j the row, k the slice)",
                join_pointer(point.pointer, axis),
            )
