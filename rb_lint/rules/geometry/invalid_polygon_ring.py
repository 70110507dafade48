"""RB705 invalid-polygon-ring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import labels_of, norm_points
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB705",
    "invalid-polygon-ring",
    Severity.ERROR,
    "A polygon's edges cross each other, or its points enclose no area.",
    kinds=TASK_KINDS,
)
def invalid_polygon_ring(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A polygon's `points`, joined in order and closed from the last point back to the first, form
    a simple ring: no two edges cross (a "bow-tie"), and the points do not all lie on one line (zero
    area). Checked with shapely (GEOS) on the normalised coordinates (which scale x and y, and so keep
    crossings and collinearity). Polygons with fewer than 3 vertices (RB704) or with a coordinate that
    is not a number are left to other rules.

    Why: Area, IoU, masks and the platform's statistics are undefined for such rings: even-odd filling
    drops a lobe of a bow-tie, nonzero filling counts it twice, and GIS libraries and COCO converters
    reject the polygon. A crossing usually means two points were swapped.

    Failing:
        "points": [{"xNorm": 0.1, "yNorm": 0.1}, {"xNorm": 0.5, "yNorm": 0.5},
                   {"xNorm": 0.5, "yNorm": 0.1}, {"xNorm": 0.1, "yNorm": 0.5}]
    Fixed:
        "points": [{"xNorm": 0.1, "yNorm": 0.1}, {"xNorm": 0.5, "yNorm": 0.1},
                   {"xNorm": 0.5, "yNorm": 0.5}, {"xNorm": 0.1, "yNorm": 0.5}]
    """
    for label in labels_of(doc, "polygons"):
        raw = label.data.get("points")
        points = norm_points(label)
        if not isinstance(raw, list) or len(points) != len(raw):
            continue
        xy = [(p.x, p.y) for p in points if p.x is not None and p.y is not None]
        if len(xy) != len(raw):
            continue
        if len(xy) > 1 and xy[0] == xy[-1]:
            xy.pop()  # an explicitly closed ring
        if len(xy) < 3:
            continue
        defect = "has zero area (fewer than 3 distinct points)" if len(set(xy)) < 3 else _defect(xy)
        if defect is not None:
            yield Hit(
                f"this polygon {defect}: such a ring has no well-defined area and rasterises "
                "unpredictably; reorder or redraw its points so that its edges do not cross and it "
                "encloses an area",
                label.at("points"),
            )


def _defect(xy: list[tuple[float, float]]) -> str | None:
    """What is wrong with the ring, or None when it is simple (or GEOS cannot tell)."""
    import numpy as np
    import shapely
    from shapely.errors import GEOSException

    try:
        with np.errstate(all="ignore"):
            ring: Any = shapely.linearrings(np.asarray(xy, dtype=float))
            if shapely.area(shapely.convex_hull(ring)) == 0:
                return "has zero area (all its points lie on one line)"
            if not shapely.is_simple(ring):
                return "crosses itself"
    except (GEOSException, ValueError):
        return None
    return None
