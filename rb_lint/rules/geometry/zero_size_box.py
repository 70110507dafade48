"""RB702 zero-size-box."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import labels_of, number, show
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

_SIZES = (("wNorm", "width"), ("hNorm", "height"))


@rule(
    "RB702",
    "zero-size-box",
    Severity.ERROR,
    "A bounding box's `wNorm` or `hNorm` is zero or negative.",
    kinds=TASK_KINDS,
)
def zero_size_box(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A bounding box's `wNorm` and `hNorm` are greater than 0. Each size that is zero or negative
    is reported.

    Why: A box is its top-left corner (`pointTopLeft`) plus a width and height normalised by the
    image's: a zero size is a box with no area (a line or a point), and a negative one means the
    corner is not the top-left one, which the platform does not expect. Neither marks an object, and
    IoU, area and crops are undefined for them.

    Failing:
        {"pointTopLeft": {"xNorm": 0.4, "yNorm": 0.3}, "wNorm": 0, "hNorm": 0.2, "category": "Car"}
    Fixed:
        {"pointTopLeft": {"xNorm": 0.4, "yNorm": 0.3}, "wNorm": 0.1, "hNorm": 0.2, "category": "Car"}
    """
    for label in labels_of(doc, "boundingBoxes"):
        for key, word in _SIZES:
            size = number(label.data.get(key))
            if size is None or size > 0:
                continue
            fix = (
                "give the box its size, or delete it"
                if size == 0
                else "make `pointTopLeft` the top-left corner and the size positive"
            )
            yield Hit(
                f"`{key}` = {show(size)}: a bounding box needs a positive {word} (normalised by the image "
                f"{word}), otherwise it has no area; {fix}",
                label.at(key),
            )
