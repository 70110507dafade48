"""RB703 zero-radius-ellipse."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import labels_of, number, show
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB703",
    "zero-radius-ellipse",
    Severity.ERROR,
    "An ellipse's `xRadiusNorm` or `yRadiusNorm` is zero or negative.",
    kinds=TASK_KINDS,
)
def zero_radius_ellipse(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: An ellipse's radii `xRadiusNorm` and `yRadiusNorm` are greater than 0. Each radius that is
    zero or negative is reported.

    Why: The radii are half the ellipse's axes, normalised by the image size; the orientation is
    `rotationRad`, never a sign. A zero radius is an ellipse with no area (a segment or a point), a
    negative one is not an ellipse the platform can draw or measure: its area and statistics are
    meaningless.

    Failing:
        {"pointCenter": {"xNorm": 0.5, "yNorm": 0.5}, "xRadiusNorm": 0.1, "yRadiusNorm": -0.05,
         "rotationRad": 0, "category": "Cyst"}
    Fixed:
        {"pointCenter": {"xNorm": 0.5, "yNorm": 0.5}, "xRadiusNorm": 0.1, "yRadiusNorm": 0.05,
         "rotationRad": 0, "category": "Cyst"}
    """
    for label in labels_of(doc, "ellipses"):
        for key in ("xRadiusNorm", "yRadiusNorm"):
            radius = number(label.data.get(key))
            if radius is None or radius > 0:
                continue
            fix = "give it its radius, or delete the ellipse" if radius == 0 else "use its absolute value"
            yield Hit(
                f"`{key}` = {show(radius)}: an ellipse's radii must be positive (the orientation is "
                f"`rotationRad`), otherwise it has no area; {fix}",
                label.at(key),
            )
