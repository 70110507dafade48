"""RB612 degenerate-rectangle."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import coordinate_objects, export, is_number
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB612",
    "degenerate-rectangle",
    Severity.ERROR,
    "A rectangle has zero (or negative) size.",
    kinds=(DATAGYM,),
)
def degenerate_rectangle(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A rectangle is its top-left corner plus `w` and `h` in pixels. Reported: a `w` or `h`
    of zero or less. DataGym truncates sizes to whole pixels, so a box narrower than one pixel is
    exported with `w: 0`.

    Why: A zero-size box covers nothing: detectors trained on it get an empty target, and IoU
    divides by zero.

    Failing:
        "bus": [{"rectangle": [{"x": 120, "y": 80, "w": 0, "h": 45}], "classifications": {}}]
    Fixed:
        "bus": [{"rectangle": [{"x": 120, "y": 80, "w": 64, "h": 45}], "classifications": {}}]
    """
    for geometry in export(doc).geometries:
        if geometry.type != "rectangle":
            continue
        for path, box in coordinate_objects(geometry.coords):
            side = next((k for k in ("w", "h") if is_number(box.get(k)) and box[k] <= 0), None)
            if side is not None:
                yield Hit(
                    f"rectangle of class `{geometry.class_name}` has `{side}: "
                    f"{box[side]}`: a box of zero size covers nothing; redraw it or delete "
                    "it",
                    geometry.at(path, side),
                )
