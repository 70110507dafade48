"""RB701 box-outside-image."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import NORM_TOLERANCE, labels_of, norm_points, number, show
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

_AXES = (("xNorm", "wNorm", "right", "width"), ("yNorm", "hNorm", "bottom", "height"))


@rule(
    "RB701",
    "box-outside-image",
    Severity.ERROR,
    "A bounding box runs past the image's right or bottom edge (`x + wNorm > 1` or `y + hNorm > 1`).",
    kinds=TASK_KINDS,
)
def box_outside_image(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A bounding box stays inside the image: `pointTopLeft.xNorm + wNorm <= 1` and
    `pointTopLeft.yNorm + hNorm <= 1` (tolerance 1e-6). Reported at `wNorm` or `hNorm`. Boxes whose
    corner is already off the image (RB700) or whose size is not positive (RB702) are left to those
    rules.

    Why: `wNorm` and `hNorm` are the box's width and height normalised by the image's, measured from
    the top-left corner; a sum over 1 is a box that extends beyond the image. The box's area, its
    statistics and any crop made from it include pixels that do not exist; it usually means the size
    was written in another unit, or the box was not clipped when the image was cropped.

    Failing:
        {"pointTopLeft": {"xNorm": 0.8, "yNorm": 0.1}, "wNorm": 0.3, "hNorm": 0.2, "category": "Car"}
    Fixed:
        {"pointTopLeft": {"xNorm": 0.8, "yNorm": 0.1}, "wNorm": 0.2, "hNorm": 0.2, "category": "Car"}
    """
    for label in labels_of(doc, "boundingBoxes"):
        corners = norm_points(label)
        if not corners:
            continue
        corner = corners[0]
        for (axis, size_key, edge, word), start in zip(_AXES, (corner.x, corner.y), strict=True):
            size = number(label.data.get(size_key))
            if start is None or size is None or size <= 0:
                continue
            if not -NORM_TOLERANCE <= start <= 1 + NORM_TOLERANCE:
                continue
            end = start + size
            if end > 1 + NORM_TOLERANCE:
                yield Hit(
                    f"the box runs past the {edge} edge of the image: `pointTopLeft.{axis}` + `{size_key}` "
                    f"= {show(start)} + {show(size)} = {show(end)}, over 1 (sizes are normalised by the "
                    f"image {word}); make `{size_key}` at most {show(max(0.0, 1 - start))}, or check that "
                    "the box belongs to this image",
                    label.at(size_key),
                )
