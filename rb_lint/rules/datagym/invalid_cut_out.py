"""RB616 invalid-cut-out."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import SEGMENTATION
from rb_lint.facts.datagym_shapes import EnvelopeIndex, covers, overlaps, shapes
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB616",
    "invalid-cut-out",
    Severity.ERROR,
    "A segmentation cut-out lies outside its outer ring or overlaps another cut-out.",
    kinds=(DATAGYM,),
)
def invalid_cut_out(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: In a segmentation, ring 0 is the outer boundary and every further ring is a cut-out
    (hole). A cut-out must lie inside the outer ring, and cut-outs may not overlap each other.
    (Rings that are not simple are left to RB615; when GEOS cannot decide, nothing is reported.)

    Why: Otherwise the shape is not a valid polygon with holes, and what is cut out depends on
    the tool that rasterises or converts it.

    Failing:
        "image_segmentation": [[outer ring 0..100], [hole 20..40], [hole 30..50]]
    Fixed:
        "image_segmentation": [[outer ring 0..100], [hole 20..40], [hole 50..70]]
    """
    for shape in shapes(doc):
        outer = shape.outer
        if shape.geometry.type != SEGMENTATION or outer is None:
            continue
        name = shape.geometry.class_name
        holes = [
            (i, r.pointer, r.polygon) for i, r in enumerate(shape.rings) if i > 0 and r.polygon is not None
        ]
        index_of_holes = EnvelopeIndex([hole for _i, _p, hole in holes])
        for position, (index, pointer, hole) in enumerate(holes):
            if covers(outer, hole) is False:
                yield Hit(
                    f"cut-out ring {index} of segmentation `{name}` is not inside its outer "
                    "ring: a cut-out removes area from the shape; move it inside, or make "
                    "it a separate object",
                    pointer,
                )
                continue
            # The first earlier cut-out sharing an area; only those whose bounding boxes meet can.
            candidates = (holes[k] for k in index_of_holes.earlier(position))
            earlier = next((i for i, _p, other in candidates if overlaps(hole, other)), None)
            if earlier is not None:
                yield Hit(
                    f"cut-out ring {index} of segmentation `{name}` overlaps cut-out ring "
                    f"{earlier}: merge the two cut-outs into one ring",
                    pointer,
                )
