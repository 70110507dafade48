"""RB109 pngmask-without-binarymask."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import series_census
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB109",
    "pngmask-without-binarymask",
    Severity.ERROR,
    "`pngMask` requires `binaryMask`.",
    kinds=TASK_KINDS,
)
def pngmask_without_binarymask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A series sets `pngMask: true` without `binaryMask: true`.

    Why: PNG masks are binary by construction; the platform only reads them with
    `binaryMask: true`.

    Failing:
        {"items": "x.png", "segmentations": ["a.png"], "pngMask": true, "segmentMap": ...}
    Fixed:
        {"items": "x.png", "segmentations": ["a.png"], "pngMask": true, "binaryMask": true, ...}
    """
    for pointer, series in series_census(doc).png:
        if series.get("pngMask") is True and series.get("binaryMask") is not True:
            yield Hit(
                "`pngMask: true` needs `binaryMask: true`: PNG masks are read as binary masks only",
                join_pointer(pointer, "pngMask"),
                at="key",
            )
