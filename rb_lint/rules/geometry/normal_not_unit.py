"""RB710 normal-not-unit."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import labels_of, number, show
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

_TOLERANCE = 1e-3


@rule(
    "RB710",
    "normal-not-unit",
    Severity.WARNING,
    "A measurement's `normal` is not a unit vector.",
    kinds=TASK_KINDS,
)
def normal_not_unit(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A measurement's `normal` — three numbers — has length 1 (tolerance 1e-3). Values that are not
    three numbers are left to the structure rules.

    Why: `normal` is the unit normal of the (possibly oblique) plane the measurement was drawn on:
    `[0, 0, 1]` for an axial slice. A vector of another length (or the zero vector) is not a normal
    the viewer can orient a plane with, and code that projects onto it scales every result by its
    length. Usually it was typed by hand or copied from a non-normalised cross product.

    Failing:
        {"type": "length", ..., "normal": [0, 0, 2]}
    Fixed:
        {"type": "length", ..., "normal": [0, 0, 1]}
    """
    for label in labels_of(doc, "measurements"):
        raw = label.data.get("normal")
        if not isinstance(raw, list) or len(raw) != 3:
            continue
        values = [number(value) for value in raw]
        x, y, z = values
        if x is None or y is None or z is None:
            continue
        length = math.hypot(x, y, z)
        if abs(length - 1) <= _TOLERANCE:
            continue
        fix = (
            "it is the zero vector: use the plane's normal ([0, 0, 1] for an axial slice)"
            if length == 0
            else f"divide it by its length: [{', '.join(show(v / length) for v in (x, y, z))}]"
        )
        yield Hit(
            f"`normal` has length {show(length)}, not 1: it must be the unit normal of the measurement's "
            f"plane; {fix}",
            label.at("normal"),
        )
