"""The polygons and segmentation rings of a DataGym export as shapely shapes (RB615-RB617).

shapely and numpy are imported on first use, when a ring with enough usable points is checked:
`rb-lint check` starts faster without them, and exports without polygons never load them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rb_lint.facts.datagym import SEGMENTATION, Geometry, export, vertex_count
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer

if TYPE_CHECKING:
    import numpy as np
    from shapely import STRtree
    from shapely.geometry import Polygon

_REASON_AT = re.compile(r"\[(\S+) (\S+)\]")
_INTERIORS_OVERLAP = "2********"


@dataclass(frozen=True)
class RingDefect:
    """Why a ring with enough usable points is not a simple ring."""

    collinear: bool  # all its points lie on one line: no area
    crossing: tuple[str, str] | None  # else its edges cross: where, as GEOS wrote x and y (None: unsaid)


@dataclass(frozen=True)
class Ring:
    pointer: str
    polygon: Polygon | None  # None when the ring is unusable or not simple
    defect: RingDefect | None  # None when simple, or unusable (too few or unusable points)


@dataclass(frozen=True)
class Shape:
    """A polygon (one ring) or a segmentation (outer ring first, then its cut-outs)."""

    geometry: Geometry
    rings: list[Ring]

    @property
    def outer(self) -> Polygon | None:
        return self.rings[0].polygon if self.rings else None


def shapes(doc: Document) -> list[Shape]:
    """Every object read as a polygon or a segmentation, its rings built once per document."""
    return doc.memo(_build_shapes, doc)


def _build_shapes(doc: Document) -> list[Shape]:
    return [
        Shape(g, [_ring(p, points) for p, points in _rings(g)])
        for g in export(doc).geometries
        if g.type in ("polygon", SEGMENTATION)
    ]


def _rings(geometry: Geometry) -> list[tuple[str, Any]]:
    coords = geometry.coords
    if not isinstance(coords, list):
        return []
    if geometry.type == "polygon":
        return [(geometry.coords_pointer, coords)]
    return [(join_pointer(geometry.coords_pointer, i), ring) for i, ring in enumerate(coords)]


def _ring(pointer: str, points: Any) -> Ring:
    xy = _xy(points) if isinstance(points, list) and vertex_count(points) >= 3 else None
    if xy is None:
        return Ring(pointer, None, None)
    import shapely
    from shapely.errors import GEOSException

    try:
        with _quiet():
            ring = shapely.linearrings(xy)  # closed automatically when open
            polygon = shapely.polygons(ring)
            if shapely.is_simple(ring):
                return Ring(pointer, polygon, None)
            # A ring whose points are all on one line is not simple either.
            if shapely.area(shapely.convex_hull(polygon)) == 0:
                return Ring(pointer, None, RingDefect(collinear=True, crossing=None))
            match = _REASON_AT.search(shapely.is_valid_reason(polygon) or "")
            crossing = (match[1], match[2]) if match is not None else None
            return Ring(pointer, None, RingDefect(collinear=False, crossing=crossing))
    except (GEOSException, ValueError):
        return Ring(pointer, None, None)


def _xy(points: list[Any]) -> np.ndarray[Any, Any] | None:
    """A ring's vertices as an (n, 2) array, or None when any is unusable (null, missing, not a
    number)."""
    try:
        flat = [value for point in points for value in (point["x"], point["y"])]
    except (TypeError, KeyError, IndexError):
        return None
    if not all(type(value) is int or type(value) is float for value in flat):
        return None
    import numpy as np

    try:
        xy = np.asarray(flat, dtype=float).reshape(-1, 2)
    except OverflowError:  # an integer beyond 1.8e308: not a usable coordinate
        return None
    return xy if np.isfinite(xy).all() else None


def _quiet() -> Any:
    """Huge coordinates overflow inside GEOS; the answer is still usable, the warning is noise."""
    import numpy as np

    return np.errstate(all="ignore")


def covers(outer: Polygon, inner: Polygon) -> bool | None:
    """Whether `inner` lies within `outer` (boundaries may touch); None when GEOS cannot tell."""
    from shapely.errors import GEOSException

    try:
        with _quiet():
            return bool(outer.covers(inner))
    except GEOSException:
        return None


def overlaps(a: Polygon, b: Polygon) -> bool | None:
    """Whether the interiors of `a` and `b` share an area; None when GEOS cannot tell."""
    from shapely.errors import GEOSException

    try:
        with _quiet():
            return bool(a.relate_pattern(b, _INTERIORS_OVERLAP))
    except GEOSException:
        return None


class EnvelopeIndex:
    """Polygons in a shapely STRtree, to find the few whose bounding boxes meet a given one's:
    only those can share an area with it, so comparing each of n cut-outs with the others costs
    about n log n, not n * n (8,000 cut-outs took 93 s)."""

    def __init__(self, polygons: Sequence[Polygon]) -> None:
        import shapely

        self._polygons = list(polygons)
        with _quiet():
            self._tree: STRtree | None = shapely.STRtree(self._polygons) if len(polygons) > 1 else None

    def earlier(self, position: int) -> list[int]:
        """The positions before `position` whose bounding boxes meet that polygon's, in order."""
        if self._tree is None or position == 0:
            return []
        import numpy as np

        with _quiet():
            found = self._tree.query(self._polygons[position])
        return [int(i) for i in np.sort(found[found < position])]
