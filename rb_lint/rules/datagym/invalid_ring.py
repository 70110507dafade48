"""RB615 invalid-ring."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import show_number
from rb_lint.facts.datagym_shapes import RingDefect, shapes
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB615",
    "invalid-ring",
    Severity.ERROR,
    "A polygon or segmentation ring crosses itself or has no area.",
    kinds=(DATAGYM,),
)
def invalid_ring(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A polygon, and each ring of a segmentation, must be a simple ring: its edges may not
    cross (a "bow-tie") and it must enclose an area. Checked with shapely (GEOS); rings with too
    few or unusable points are left to RB611 and RB613.

    Why: DataGym exports such rings unchanged, but area, IoU and rasterisation are undefined for
    them (even-odd filling drops a lobe of a bow-tie, GIS libraries reject the polygon).

    Failing:
        "road": [{"image_segmentation": [[{"x": 0, "y": 0}, {"x": 100, "y": 100},
                                          {"x": 100, "y": 0}, {"x": 0, "y": 100}]]}]
    Fixed:
        "road": [{"image_segmentation": [[{"x": 0, "y": 0}, {"x": 100, "y": 0},
                                          {"x": 100, "y": 100}, {"x": 0, "y": 100}]]}]
    """
    for shape in shapes(doc):
        for index, ring in enumerate(shape.rings):
            if ring.defect is None:
                continue
            name = shape.geometry.class_name
            what = (
                f"polygon `{name}`"
                if shape.geometry.type == "polygon"
                else f"{'outer ring' if index == 0 else f'cut-out ring {index}'} of segmentation `{name}`"
            )
            yield Hit(
                f"{what} {_problem(ring.defect)}: such a ring has no well-defined area and "
                "rasterises unpredictably; redraw it so its edges do not cross",
                ring.pointer,
            )


def _problem(defect: RingDefect) -> str:
    if defect.collinear:
        return "has zero area (all its points lie on one line)"
    if defect.crossing is None:
        return "crosses itself"
    x, y = defect.crossing
    return f"crosses itself at ({show_number(x)}, {show_number(y)})"
