"""RedBrick label geometry as the RB7xx rules read it: the labels of every series, their numbers and points.

Extraction only: where each label, point and coordinate is and its value; the rules judge. Anything of
the wrong type (a string for a number, NaN, a number too large for a float, a point that is not an
object) reads as None and is skipped, because the structure rules report it.

Label coordinates (redbrick-sdk 2.35.4, `redbrick/types/task.py`): 2-D points are `{xNorm, yNorm}`,
normalised by the image width and height, origin top-left; voxel points are `{i, j, k}` (column, row,
slice); world points are `{x, y, z}` in patient coordinates (see `rb_lint.facts.grid`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer

Vec3 = tuple[float, float, float]

# Every series list that holds labels (objects with `category`), in the SDK's order.
LABEL_LISTS = (
    "landmarks",
    "landmarks3d",
    "measurements",
    "ellipses",
    "boundingBoxes",
    "cuboids",
    "polygons",
    "polylines",
    "classifications",
)
# 2-D labels: the key of their Point2D, or of their list of Point2D (`points`).
POINT_KEYS = {"landmarks": "point", "boundingBoxes": "pointTopLeft", "ellipses": "pointCenter"}
POINT_LISTS = ("polygons", "polylines")
NOUNS = {
    "landmarks": "landmark",
    "landmarks3d": "3-D landmark",
    "measurements": "measurement",
    "ellipses": "ellipse",
    "boundingBoxes": "bounding box",
    "cuboids": "cuboid",
    "polygons": "polygon",
    "polylines": "polyline",
    "classifications": "classification",
}
# 3-D labels: each voxel point and the world point the platform computes from it.
VOXEL_WORLD_PAIRS = {
    "landmarks3d": (("point", "absolutePoint"),),
    "measurements": (
        ("point1", "absolutePoint1"),
        ("point2", "absolutePoint2"),
        ("vertex", "absoluteVertex"),
    ),
    "cuboids": (("point1", "absolutePoint1"), ("point2", "absolutePoint2")),
}
VOXEL_AXES = ("i", "j", "k")
WORLD_AXES = ("x", "y", "z")
# Normalised coordinates may exceed [0, 1] by this much (float rounding of the exporter).
NORM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Label:
    """One label object of a series' label list."""

    series_pointer: str
    kind: str  # its list in the series: "boundingBoxes", "measurements", ...
    pointer: str
    data: dict[str, Any]

    @property
    def noun(self) -> str:
        return NOUNS[self.kind]

    def at(self, *tokens: str | int) -> str:
        return join_pointer(self.pointer, *tokens)


@dataclass(frozen=True)
class NormPoint:
    """A Point2D: its pointer and its coordinates (None when not a usable number)."""

    pointer: str
    x: float | None
    y: float | None


@dataclass(frozen=True)
class Point3:
    """A voxel or world point whose three coordinates are usable numbers."""

    pointer: str
    xyz: Vec3


_LABEL_KEYS = frozenset(LABEL_LISTS)


def labels(doc: Document) -> list[Label]:
    """Every label object of every series (consensus annotators' and super truth's too)."""
    return doc.memo(_labels, doc)


def _labels(doc: Document) -> list[Label]:
    found = []
    for series_pointer, series in walk.all_series(doc):
        if series.keys().isdisjoint(_LABEL_KEYS):  # most series of an items list have no labels
            continue
        for kind in LABEL_LISTS:
            entries = series.get(kind)
            for position, entry in enumerate(entries if isinstance(entries, list) else []):
                if isinstance(entry, dict):
                    pointer = join_pointer(series_pointer, kind, position)
                    found.append(Label(series_pointer, kind, pointer, entry))
    return found


def labels_of(doc: Document, *kinds: str) -> list[Label]:
    return [label for label in labels(doc) if label.kind in kinds]


def number(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else (booleans, strings, NaN, infinities,
    integers too large for a float)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return None
    return None


def index(value: object) -> int | None:
    """A JSON integer (an index); None for anything else, floats included."""
    return value if type(value) is int else None


def norm_point(pointer: str, value: object) -> NormPoint | None:
    if not isinstance(value, dict):
        return None
    return NormPoint(pointer, number(value.get("xNorm")), number(value.get("yNorm")))


def norm_points(label: Label) -> list[NormPoint]:
    """The 2-D points of a landmark, box (top-left), ellipse (centre), polygon or polyline."""
    if label.kind in POINT_KEYS:
        key = POINT_KEYS[label.kind]
        point = norm_point(label.at(key), label.data.get(key))
        return [] if point is None else [point]
    points = label.data.get("points") if label.kind in POINT_LISTS else None
    if not isinstance(points, list):
        return []
    found = (norm_point(label.at("points", n), value) for n, value in enumerate(points))
    return [point for point in found if point is not None]


def point3(label: Label, key: str, axes: tuple[str, str, str]) -> Point3 | None:
    """The voxel (`VOXEL_AXES`) or world (`WORLD_AXES`) point at `key`, when all three are numbers."""
    value = label.data.get(key)
    if not isinstance(value, dict):
        return None
    a, b, c = (number(value.get(axis)) for axis in axes)
    if a is None or b is None or c is None:
        return None
    return Point3(label.at(key), (a, b, c))


def voxel_point(label: Label, key: str) -> Point3 | None:
    return point3(label, key, VOXEL_AXES)


def world_point(label: Label, key: str) -> Point3 | None:
    return point3(label, key, WORLD_AXES)


def video(label: Label) -> dict[str, Any]:
    """The label's `video` object (frames of a video, slices of a volume); {} when absent."""
    value = label.data.get("video")
    return value if isinstance(value, dict) else {}


def subtract(a: Vec3, b: Vec3) -> Vec3:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def show(value: float) -> str:
    """A number as written in messages: at most six significant digits, no trailing `.0`."""
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def show_point(xyz: Vec3) -> str:
    return "(" + ", ".join(show(v) for v in xyz) + ")"


def show_index(value: int) -> str:
    """An integer index as written in messages (an absurdly long one is shortened)."""
    return str(value) if abs(value) < 10**15 else ("-" if value < 0 else "") + "a huge number"
