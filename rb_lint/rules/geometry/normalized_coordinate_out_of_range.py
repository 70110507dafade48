"""RB700 normalized-coordinate-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import NORM_TOLERANCE, labels, norm_points, show
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB700",
    "normalized-coordinate-out-of-range",
    Severity.ERROR,
    "A 2-D label's `xNorm` or `yNorm` is outside [0, 1]: the point is off the image.",
    kinds=TASK_KINDS,
)
def normalized_coordinate_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every `xNorm` and `yNorm` of a 2-D label lies in [0, 1] (with a tolerance of 1e-6): a
    landmark's `point`, the vertices of polygons and polylines (`points`), a bounding box's
    `pointTopLeft` and an ellipse's `pointCenter`. Reported once per label, at its first coordinate
    outside, with the number of others.

    Why: RedBrick's 2-D coordinates are normalised by the image width (x) and height (y), origin at the
    top-left: 0 and 1 are the image's edges. A value outside is a point off the image: the label was
    made for another image, or written in pixels. The platform draws it where the image is not, and
    converters clip or drop it.

    Failing:
        "landmarks": [{"point": {"xNorm": 1.4, "yNorm": 0.5}, "category": "Nodule"}]
    Fixed:
        "landmarks": [{"point": {"xNorm": 0.7, "yNorm": 0.5}, "category": "Nodule"}]
    """
    for label in labels(doc):
        outside = [
            (join_pointer(point.pointer, axis), axis, value)
            for point in norm_points(label)
            for axis, value in (("xNorm", point.x), ("yNorm", point.y))
            if value is not None and not -NORM_TOLERANCE <= value <= 1 + NORM_TOLERANCE
        ]
        if not outside:
            continue
        pointer, axis, value = outside[0]
        more = f" ({len(outside) - 1} more of its coordinates are outside too)" if len(outside) > 1 else ""
        side = "width" if axis == "xNorm" else "height"
        fix = (
            f"it looks like pixels: divide by the image {side}"
            if value >= 2
            else "move the point onto the image, or check that the label belongs to this image"
        )
        yield Hit(
            f"`{axis}` = {show(value)} is outside [0, 1]{more}: 2-D coordinates are normalised by the "
            f"image {side} (0 and 1 are its edges), so this {label.noun} lies off the image; {fix}",
            pointer,
        )
