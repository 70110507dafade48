"""RB704 too-few-vertices."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import labels_of
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

_MINIMUM = {"polygons": (3, "polygon", "an area"), "polylines": (2, "polyline", "a length")}


@rule(
    "RB704",
    "too-few-vertices",
    Severity.ERROR,
    "A polygon has fewer than 3 vertices, or a polyline fewer than 2.",
    kinds=TASK_KINDS,
)
def too_few_vertices(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A polygon's `points` has at least 3 vertices and a polyline's at least 2. A polygon's last
    point that repeats its first (an explicitly closed ring) is not counted: RedBrick closes polygons
    itself. Lists with an entry that is not a point object are left to the structure rules.

    Why: A polygon with fewer than 3 vertices encloses nothing, and a polyline with fewer than 2 is a
    point: the platform cannot draw them as the shapes they claim to be, and area, length and IoU
    computations fail or return zero. Such labels are usually an aborted click or a conversion that
    lost points.

    Failing:
        "polygons": [{"points": [{"xNorm": 0.1, "yNorm": 0.1}, {"xNorm": 0.4, "yNorm": 0.2}],
                      "category": "Liver"}]
    Fixed:
        "polygons": [{"points": [{"xNorm": 0.1, "yNorm": 0.1}, {"xNorm": 0.4, "yNorm": 0.2},
                                 {"xNorm": 0.3, "yNorm": 0.5}], "category": "Liver"}]
    """
    for label in labels_of(doc, *_MINIMUM):
        points = label.data.get("points")
        if not isinstance(points, list) or not all(isinstance(point, dict) for point in points):
            continue  # the structure rules report what is not a point
        minimum, noun, extent = _MINIMUM[label.kind]
        count = len(points)
        closed = label.kind == "polygons" and count > 1 and points[0] == points[-1]
        if closed:
            count -= 1
        if count >= minimum:
            continue
        closing = " (its last point repeats the first and is not counted)" if closed else ""
        yield Hit(
            f"this {noun} has {count} {'vertex' if count == 1 else 'vertices'}{closing}, fewer than the "
            f"{minimum} needed for {extent}: add the missing points, or delete the label",
            label.at("points"),
        )
