"""RB617 cut-out-erases-instance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import SEGMENTATION, lines_of
from rb_lint.facts.datagym_shapes import Ring, Shape, overlaps, shapes
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB617",
    "cut-out-erases-instance",
    Severity.WARNING,
    "A cut-out overlaps another instance of the same class, which the bitmap export erases.",
    kinds=(DATAGYM,),
)
def cut_out_erases_instance(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A cut-out of one segmentation overlaps the outer ring of another instance of the same
    class in the same task. The finding is at the cut-out and names the other instance's line.

    Why: DataGym renders a class's segmentation bitmap by filling the outer rings of all its
    instances in the task, then erasing all their cut-outs. Such a cut-out therefore erases part
    of the other instance from the exported mask, although the JSON shows it whole.

    Failing:
        "road": [{"image_segmentation": [[outer 0..100], [cut-out 40..60]]},
                 {"image_segmentation": [[outer 45..55 (inside the cut-out)]]}]
    Fixed:
        make the second instance part of the first's cut-out, or shrink the cut-out
    """
    by_class: dict[tuple[str, str], list[Shape]] = defaultdict(list)
    for shape in shapes(doc):
        if shape.geometry.type == SEGMENTATION:
            by_class[(shape.geometry.task_pointer, shape.geometry.class_name)].append(shape)
    erasing: list[tuple[str, int, Ring, Shape]] = []
    for same_class in by_class.values():
        if len(same_class) < 2:
            continue
        for shape in same_class:
            for index, ring in enumerate(shape.rings[1:], start=1):
                victim = _erased(ring, shape, same_class)
                if victim is not None:
                    erasing.append((shape.geometry.class_name, index, ring, victim))
    lines = lines_of(doc, (victim.geometry.pointer for _n, _i, _r, victim in erasing))
    for name, index, ring, victim in erasing:
        yield Hit(
            f"cut-out ring {index} of this `{name}` segmentation overlaps another `{name}` "
            f"instance (line {lines[victim.geometry.pointer]}): DataGym's bitmap export erases "
            "every cut-out of a class from all its instances, so that instance loses area in "
            "the mask; shrink the cut-out or merge the instances",
            ring.pointer,
        )


def _erased(ring: Ring, owner: Shape, same_class: list[Shape]) -> Shape | None:
    """The first other instance whose outer ring the cut-out `ring` overlaps."""
    if ring.polygon is None:
        return None
    for other in same_class:
        if other is not owner and other.outer is not None and overlaps(ring.polygon, other.outer):
            return other
    return None
