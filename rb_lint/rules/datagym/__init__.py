"""RB6xx: DataGym label exports: label classes, tasks, class references, geometry validity.

The structure rules (RB101-RB104) validate each element against `rb_lint.models.datagym`; these
rules check what a schema cannot express. The export is read once per document into an
`_Export` (classes, tasks, geometries, classification trees) that every rule shares.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from typing_extensions import TypeIs

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.common import json_type
from rb_lint.models.datagym import (
    CLASS_NAME_PATTERN,
    CLASSIFICATION_TYPES,
    GEOMETRY_TYPES,
    geometry_shape,
)
from rb_lint.models.kinds import DATAGYM

if TYPE_CHECKING:  # numpy and shapely load on first use: `rb-lint check` starts faster without them
    import numpy as np
    from shapely.geometry import Polygon

ERROR, WARNING = Severity.ERROR, Severity.WARNING
KINDS = (DATAGYM,)

SEGMENTATION = "image_segmentation"
GEOMETRY_CLASS_TYPES = (*GEOMETRY_TYPES, SEGMENTATION)
COORDINATE_KEYS = (*GEOMETRY_CLASS_TYPES, "geometry")  # "geometry": the documentation's spelling
SHAPE_OF = {"point": "points", "line": "points", "polygon": "points", "rectangle": "rectangle",
            SEGMENTATION: "rings"}
SINGLE_ANSWER_TYPES = ("select", "radio", "freetext")
MIN_POINTS = {"line": 2, "polygon": 3}
_CLASS_NAME = re.compile(CLASS_NAME_PATTERN)
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_ -]")
_REASON_AT = re.compile(r"\[(\S+) (\S+)\]")
_INTERIORS_OVERLAP = "2********"

Kind = Literal["geometry", "classification"]


# --- the export, read once ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClassDef:
    """One `label_classes` entry with a usable type."""

    name: str
    type: str
    pointer: str

    @property
    def kind(self) -> Kind:
        return "geometry" if self.type in GEOMETRY_CLASS_TYPES else "classification"


@dataclass(frozen=True)
class Ref:
    """A key that names a class: in `labels`, `nested_geometries` or a classification tree."""

    pointer: str
    name: str
    kind: Kind


@dataclass
class Geometry:
    pointer: str
    class_name: str
    task_pointer: str
    obj: dict[str, Any]
    depth: int  # 0 for `labels`, 1 for `nested_geometries`, ...
    keys: list[str] = field(default_factory=list)  # the coordinate keys present
    type: str | None = None  # the geometry type the coordinates are checked as

    @property
    def key(self) -> str | None:
        return self.keys[0] if self.keys else None

    @property
    def coords(self) -> Any:
        return self.obj.get(self.key) if self.key else None

    @property
    def coords_pointer(self) -> str:
        return join_pointer(self.pointer, self.key or "")


@dataclass
class Tree:
    """The values of one classification: `"name": [value, {child: [...]}, ...]`."""

    pointer: str
    name: str
    values: Any


@dataclass
class _Export:
    classes: dict[str, list[ClassDef]] | None  # None: no readable `label_classes`
    tasks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    geometries: list[Geometry] = field(default_factory=list)
    trees: list[Tree] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)

    def types_of(self, name: str) -> set[str]:
        return {c.type for c in (self.classes or {}).get(name, [])}


def _export(doc: Document) -> _Export:
    return doc.memo(_read_export, doc.data if isinstance(doc.data, list) else [])


def _read_export(data: list[Any]) -> _Export:
    header = data[0] if data and isinstance(data[0], dict) else {}
    export = _Export(_read_classes(header.get("label_classes")))
    for index, element in enumerate(data):
        if isinstance(element, dict) and "label_classes" not in element:
            pointer = join_pointer("", index)
            export.tasks.append((pointer, element))
            _read_task(export, pointer, element)
    for geometry in export.geometries:
        _resolve_type(export, geometry)
    return export


def _read_classes(entries: Any) -> dict[str, list[ClassDef]] | None:
    if not isinstance(entries, list):
        return None
    classes: dict[str, list[ClassDef]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            continue
        kind = _class_type(entry)
        if kind is not None:
            name = entry["class_name"]
            classes[name].append(ClassDef(name, kind, join_pointer("/0/label_classes", index)))
    return dict(classes)


def _class_type(entry: dict[str, Any]) -> str | None:
    geometry, classification = entry.get("geometry_type"), entry.get("classification_type")
    if geometry in GEOMETRY_TYPES:
        return str(geometry)
    return str(classification) if classification in CLASSIFICATION_TYPES else None


def _read_task(export: _Export, pointer: str, task: dict[str, Any]) -> None:
    _read_trees(export, join_pointer(pointer, "global_classifications"),
                task.get("global_classifications"))
    _read_geometries(export, join_pointer(pointer, "labels"), task.get("labels"), pointer, 0)


def _read_geometries(export: _Export, pointer: str, labels: Any, task_pointer: str,
                     depth: int) -> None:
    if not isinstance(labels, dict):
        return
    for name, objects in labels.items():
        class_pointer = join_pointer(pointer, name)
        export.refs.append(Ref(class_pointer, name, "geometry"))
        if not isinstance(objects, list):
            continue
        for index, obj in enumerate(objects):
            if not isinstance(obj, dict):
                continue
            object_pointer = join_pointer(class_pointer, index)
            keys = [k for k in COORDINATE_KEYS if k in obj]
            export.geometries.append(Geometry(object_pointer, name, task_pointer, obj, depth, keys))
            _read_trees(export, join_pointer(object_pointer, "classifications"),
                        obj.get("classifications"))
            _read_geometries(export, join_pointer(object_pointer, "nested_geometries"),
                             obj.get("nested_geometries"), task_pointer, depth + 1)


def _read_trees(export: _Export, pointer: str, classifications: Any) -> None:
    if not isinstance(classifications, dict):
        return
    for name, values in classifications.items():
        values_pointer = join_pointer(pointer, name)
        export.refs.append(Ref(values_pointer, name, "classification"))
        export.trees.append(Tree(values_pointer, name, values))
        if isinstance(values, list):
            for index, entry in enumerate(values):
                _read_trees(export, join_pointer(values_pointer, index), entry)


def _resolve_type(export: _Export, geometry: Geometry) -> None:
    """Check coordinates as the key says; under `geometry`, as the class says if it fits."""
    key = geometry.key
    if key is None:
        return
    if key != "geometry":
        geometry.type = key
        return
    shape = geometry_shape(geometry.coords)
    fitting = [t for t in export.types_of(geometry.class_name)
               if t in SHAPE_OF and (SHAPE_OF[t] == shape or geometry.coords == [])]
    if len(fitting) == 1:
        geometry.type = fitting[0]
    elif shape == "rings":
        geometry.type = SEGMENTATION
    elif shape == "rectangle":
        geometry.type = "rectangle"


# --- small helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Citing:
    """A hit whose message names the line of another place: `before` + line + `after`."""

    cited: str  # pointer of the place whose line is named
    before: str
    after: str
    pointer: str
    key: str | None = None


def _with_lines(doc: Document, pending: list[_Citing]) -> Iterator[Hit]:
    """Hits citing other places, every cited line found in one pass over the text."""
    if not pending:
        return
    lines = doc.line_columns({(c.cited, "value") for c in pending})
    for citing in pending:
        line = lines.get((citing.cited, "value"), (1, 1))[0]
        yield Hit(f"{citing.before}{line}{citing.after}", citing.pointer, key=citing.key)


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _type_words(types: set[str]) -> str:
    return " / ".join(sorted(t.replace("_", " ") for t in types))


def _coordinate_objects(coords: Any) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
    """Every `{x, y}` / `{x, y, w, h}` object of a coordinate array, flat or in rings, with its
    index path (pointers are built only for findings: exports hold millions of points)."""
    if not isinstance(coords, list):
        return
    for index, item in enumerate(coords):
        if isinstance(item, dict):
            yield (index,), item
        elif isinstance(item, list):
            for inner, point in enumerate(item):
                if isinstance(point, dict):
                    yield (index, inner), point


def _at(geometry: Geometry, path: tuple[int, ...], key: str) -> str:
    return join_pointer(geometry.coords_pointer, *path, key)


def _number(value: Any) -> TypeIs[int | float]:
    return type(value) in (int, float) and math.isfinite(value)  # not bool, not null


def _xy(points: Any) -> np.ndarray[Any, Any] | None:
    """A ring's vertices as an (n, 2) array, or None when any is unusable (null, missing, not a
    number: other rules say so)."""
    if not isinstance(points, list):
        return None
    try:
        flat = [value for point in points for value in (point["x"], point["y"])]
    except (TypeError, KeyError, IndexError):
        return None
    if not all(type(value) is int or type(value) is float for value in flat):
        return None
    import numpy as np

    xy = np.asarray(flat, dtype=float).reshape(-1, 2)
    return xy if np.isfinite(xy).all() else None


def _vertex_count(points: list[Any]) -> int:
    """Vertices of a ring; a closing point that repeats the first is not one more."""
    if len(points) > 1 and points[0] == points[-1]:
        return len(points) - 1
    return len(points)


def _rings(geometry: Geometry) -> list[tuple[str, Any]]:
    """The rings of a polygon (one) or a segmentation (outer ring first), with pointers."""
    coords = geometry.coords
    if not isinstance(coords, list):
        return []
    if geometry.type == "polygon":
        return [(geometry.coords_pointer, coords)]
    if geometry.type == SEGMENTATION:
        return [(join_pointer(geometry.coords_pointer, i), ring) for i, ring in enumerate(coords)]
    return []


# --- shapes, built once per document -----------------------------------------------------------


@dataclass
class Ring:
    pointer: str
    polygon: Polygon | None  # None when the ring is unusable or invalid
    problem: str | None  # why it is invalid (RB615)


@dataclass
class Shape:
    geometry: Geometry
    rings: list[Ring]

    @property
    def outer(self) -> Polygon | None:
        return self.rings[0].polygon if self.rings else None


def _shapes(doc: Document) -> list[Shape]:
    return doc.memo(_build_shapes, doc)


def _build_shapes(doc: Document) -> list[Shape]:
    return [Shape(g, [_ring(p, points) for p, points in _rings(g)])
            for g in _export(doc).geometries if g.type in ("polygon", SEGMENTATION)]


def _ring(pointer: str, points: Any) -> Ring:
    xy = _xy(points) if isinstance(points, list) and _vertex_count(points) >= 3 else None
    if xy is None:
        return Ring(pointer, None, None)  # too few or unusable points: RB611 / RB613
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
                return Ring(pointer, None, "has zero area (all its points lie on one line)")
            return Ring(pointer, None, _crossing(polygon))
    except (GEOSException, ValueError):
        return Ring(pointer, None, None)


def _quiet() -> Any:
    """Huge coordinates overflow inside GEOS; the answer is still usable, the warning is noise."""
    import numpy as np

    return np.errstate(all="ignore")


def _crossing(polygon: Polygon) -> str:
    import shapely

    match = _REASON_AT.search(shapely.is_valid_reason(polygon) or "")
    if match is None:
        return "crosses itself"
    return f"crosses itself at ({_show_number(match[1])}, {_show_number(match[2])})"


def _show_number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def _covers(outer: Polygon, inner: Polygon) -> bool:
    from shapely.errors import GEOSException

    try:
        with _quiet():
            return bool(outer.covers(inner))
    except GEOSException:
        return True  # undecidable: say nothing


def _overlap(a: Polygon, b: Polygon) -> bool:
    from shapely.errors import GEOSException

    try:
        with _quiet():
            return bool(a.relate_pattern(b, _INTERIORS_OVERLAP))
    except GEOSException:
        return False


# --- label classes -----------------------------------------------------------------------------


def _label_class_entries(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    header = doc.data[0] if isinstance(doc.data, list) and doc.data else None
    entries = header.get("label_classes") if isinstance(header, dict) else None
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield join_pointer("/0/label_classes", index), entry


@rule("RB600", "invalid-export-element", ERROR,
      "An export element is neither the leading `label_classes` object nor a task object.",
      kinds=KINDS)
def invalid_export_element(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A DataGym export is a JSON array: element 0 is `{"label_classes": [...]}`, every further
    element is one task object. A string or number among the tasks, or a second `label_classes`
    object (two exports concatenated), is not something DataGym writes, and readers that take
    element 0 as the configuration and the rest as tasks mis-read it.

    Failing:
        [{"label_classes": [...]}, {"internal_media_ID": "a1", ...}, {"label_classes": [...]}]
    Fixed:
        [{"label_classes": [...]}, {"internal_media_ID": "a1", ...}]
    """
    if not isinstance(doc.data, list):
        return
    for index, element in enumerate(doc.data):
        pointer = join_pointer("", index)
        if index == 0 and not (isinstance(element, dict) and "label_classes" in element):
            yield Hit("element 0 of a DataGym export must be the `{\"label_classes\": [...]}` "
                      "object: add it (the label configuration) before the tasks", pointer)
        elif not isinstance(element, dict):
            yield Hit(f"element {index} is {_a(json_type(element) or 'value')}, not a task "
                      "object: remove it", pointer)
        elif index > 0 and "label_classes" in element:
            yield Hit(f"element {index} is a second `label_classes` object (two exports joined?): "
                      "an export has one, as element 0; split the file", pointer)


@rule("RB601", "invalid-class-type-keys", ERROR,
      "A label class needs exactly one of `geometry_type` and `classification_type`.",
      kinds=KINDS)
def invalid_class_type_keys(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Each `label_classes` entry is `{class_name, geometry_type}` (point, line, polygon,
    rectangle) or `{class_name, classification_type}` (select, checklist, freetext,
    image_segmentation, or the legacy radio). With neither, nothing says how the class's labels
    are to be read; with both, the class is ambiguous. (`image_segmentation` is a geometry, but
    DataGym writes it as a `classification_type`.)

    Failing:
        {"class_name": "car", "geometry_type": "polygon", "classification_type": "select"}
    Fixed:
        {"class_name": "car", "geometry_type": "polygon"}
    """
    for pointer, entry in _label_class_entries(doc):
        name = entry.get("class_name")
        label = f"class `{name}`" if isinstance(name, str) else "this label class"
        if "geometry_type" in entry and "classification_type" in entry:
            yield Hit(f"{label} has both `geometry_type` and `classification_type`: a class is "
                      "either a geometry or a classification; remove one",
                      join_pointer(pointer, "classification_type"), at="key")
        elif "geometry_type" not in entry and "classification_type" not in entry:
            yield Hit(f"{label} has neither `geometry_type` nor `classification_type`: add "
                      "`\"geometry_type\": \"polygon\"` (point, line, polygon, rectangle) or "
                      "`\"classification_type\": \"select\"` (select, checklist, freetext, "
                      "image_segmentation)", pointer)


@rule("RB602", "invalid-class-name", ERROR,
      "A class name must be 1-56 characters of letters, digits, `_`, `-` and space.", kinds=KINDS)
def invalid_class_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    DataGym export keys (`class_name`) are 1 to 56 characters of `a-z`, `A-Z`, `0-9`, `_`, `-`
    and space: the label configuration rejects anything else, and the database column holds 56
    characters. A name outside that set was not written by DataGym, and it will not import back.

    Failing:
        {"class_name": "voiture/légère", "geometry_type": "polygon"}
    Fixed:
        {"class_name": "voiture_legere", "geometry_type": "polygon"}
    """
    for pointer, entry in _label_class_entries(doc):
        name = entry.get("class_name")
        if not isinstance(name, str) or _CLASS_NAME.match(name):
            continue
        if not name:
            problem = "is empty"
        elif len(name) > 56:
            problem = f"has {len(name)} characters (at most 56)"
        else:
            bad = ", ".join(f"`{c}`" for c in dict.fromkeys(_INVALID_NAME_CHARS.findall(name)))
            problem = f"contains {bad}"
        yield Hit(f"class name `{name}` {problem}: DataGym class names are 1-56 characters of "
                  "letters, digits, `_`, `-` and space; rename the class (and its label keys)",
                  join_pointer(pointer, "class_name"))


@rule("RB603", "duplicate-class-name", WARNING, "Two label classes share a `class_name`.",
      kinds=KINDS)
def duplicate_class_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Two `label_classes` entries have the same `class_name`. The list is flattened from the label
    configuration's tree, so a nested class may legitimately repeat a name (e.g. `color` under two
    geometries) - but labels refer to classes by name only, so the two cannot be told apart in the
    export. The finding is at the repeat and names the first.

    Failing:
        [{"class_name": "color", "classification_type": "select"},
         {"class_name": "color", "classification_type": "checklist"}]
    Fixed:
        [{"class_name": "car_color", "classification_type": "select"},
         {"class_name": "bus_color", "classification_type": "checklist"}]
    """
    first: dict[str, tuple[str, dict[str, Any]]] = {}
    pending = []
    for pointer, entry in _label_class_entries(doc):
        name = entry.get("class_name")
        if not isinstance(name, str):
            continue
        if name not in first:
            first[name] = (pointer, entry)
            continue
        other_pointer, other = first[name]
        pending.append(_Citing(
            join_pointer(other_pointer, "class_name"),
            f"class name `{name}` ({_describe_class(entry)}) is also defined at line ",
            f" ({_describe_class(other)}): labels name classes only by `class_name`, so the two "
            "are indistinguishable in the export; give them distinct export keys if they are "
            "different classes", join_pointer(pointer, "class_name"), f"class:{name}"))
    yield from _with_lines(doc, pending)


def _describe_class(entry: dict[str, Any]) -> str:
    kind = entry.get("geometry_type", entry.get("classification_type"))
    return f"{kind}" if isinstance(kind, str) else "no type"


# --- tasks -------------------------------------------------------------------------------------


def _task_field(task: dict[str, Any], media_key: str, image_key: str) -> tuple[str, Any]:
    key = media_key if media_key in task else image_key
    return key, task.get(key)


@rule("RB604", "duplicate-media-id", ERROR, "Two tasks have the same internal media id.",
      kinds=KINDS)
def duplicate_media_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Two tasks share `internal_media_ID` (older exports: `internal_image_ID`). DataGym exports
    one task per media, and its API addresses images by that id, so a repeat means tasks were
    duplicated or two exports merged: readers keyed by the id keep only one of them.

    Failing:
        [{"label_classes": []}, {"internal_media_ID": "a1", ...}, {"internal_media_ID": "a1", ...}]
    Fixed:
        [{"label_classes": []}, {"internal_media_ID": "a1", ...}, {"internal_media_ID": "b2", ...}]
    """
    yield from _repeats(doc, "internal_media_ID", "internal_image_ID", "internal id",
                        "readers keyed by the id keep one task only; remove the duplicate task")


@rule("RB605", "duplicate-media-name", WARNING, "Two tasks have the same external media name.",
      kinds=KINDS)
def duplicate_media_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Two tasks share `external_media_ID` (older exports: `external_image_ID`), the image's file
    name. DataGym allows it (two datasets may hold `img_001.jpg`), but tools that save masks or
    look images up by file name overwrite one with the other.

    Failing:
        {"external_media_ID": "img_001.jpg", ...}, {"external_media_ID": "img_001.jpg", ...}
    Fixed:
        {"external_media_ID": "day1/img_001.jpg", ...}, {"external_media_ID": "day2/img_001.jpg", ...}
    """
    yield from _repeats(doc, "external_media_ID", "external_image_ID", "media name",
                        "tools that work by file name overwrite one with the other; rename one "
                        "image in DataGym")


def _repeats(doc: Document, media_key: str, image_key: str, what: str,
             consequence: str) -> Iterator[Hit]:
    first: dict[str, str] = {}
    pending = []
    for pointer, task in _export(doc).tasks:
        key, value = _task_field(task, media_key, image_key)
        if not isinstance(value, str):
            continue
        value_pointer = join_pointer(pointer, key)
        if value not in first:
            first[value] = value_pointer
            continue
        pending.append(_Citing(first[value], f"{what} `{value}` is also used by the task at line ",
                               f": {consequence}", value_pointer, f"{media_key}:{value}"))
    yield from _with_lines(doc, pending)


@rule("RB606", "labels-on-skipped-task", WARNING, "A skipped task carries labels.", kinds=KINDS)
def labels_on_skipped_task(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A task with `status: "skipped"` has labels. DataGym exports skipped tasks with whatever was
    drawn before the labeler skipped the image - unfinished and unreviewed work that is usually
    not meant for training. Filter tasks on `status`, or finish the task in DataGym.

    Failing:
        {"status": "skipped", "labels": {"car": [{"polygon": [...], "classifications": {}}]}}
    Fixed:
        {"status": "completed", "labels": {"car": [{"polygon": [...], "classifications": {}}]}}
    """
    for pointer, task in _export(doc).tasks:
        labels = task.get("labels")
        if task.get("status") != "skipped" or not isinstance(labels, dict):
            continue
        count = sum(len(objects) for objects in labels.values() if isinstance(objects, list))
        if count:
            yield Hit(f"this task is skipped but has {count} labelled object(s): a skipped "
                      "task's labels are unfinished work; drop them when training, or complete "
                      "the task in DataGym", join_pointer(pointer, "labels"), at="key")


# --- references --------------------------------------------------------------------------------


@rule("RB607", "undefined-class", ERROR, "A label or classification names no defined class.",
      kinds=KINDS)
def undefined_class(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Every key of `labels`, `nested_geometries`, `global_classifications` and `classifications`
    (and of nested classification objects) is a `class_name` from `label_classes`. A key that is
    not there (a typo, a class deleted from the configuration, a hand-edited file) cannot be
    mapped to a class, and importers drop it.

    Failing:
        {"label_classes": [{"class_name": "car", "geometry_type": "polygon"}]}, ...
        "labels": {"cars": [...]}
    Fixed:
        "labels": {"car": [...]}
    """
    export = _export(doc)
    if export.classes is None:
        return
    known = list(export.classes)
    for ref in export.refs:
        if ref.name in export.classes:
            continue
        hint = _closest(ref.name, known)
        where = "labels" if ref.kind == "geometry" else "classifications"
        yield Hit(f"`{ref.name}` is not a class of `label_classes`: {where} are keyed by "
                  f"`class_name`; {hint}", ref.pointer, at="key")


def _closest(name: str, known: list[str]) -> str:
    match = closest_name(name, known, cutoff=0.75)
    if match is not None:
        return f"did you mean `{match}`?"
    return "add the class to the label configuration or remove these labels"


@rule("RB608", "wrong-class-kind", ERROR,
      "A geometry class used as a classification, or the reverse.", kinds=KINDS)
def wrong_class_kind(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `labels` and `nested_geometries` hold geometry classes (point, line, polygon, rectangle,
    image_segmentation); `global_classifications` and `classifications` hold classification
    classes (select, checklist, freetext, radio). A key of the wrong kind means the class's type
    changed in the configuration or the file was edited: its values cannot be read as that type.

    Failing:
        {"class_name": "weather", "classification_type": "select"}, ...
        "labels": {"weather": [{"rectangle": [...], "classifications": {}}]}
    Fixed:
        "global_classifications": {"weather": ["sunny"]}
    """
    export = _export(doc)
    if export.classes is None:
        return
    for ref in export.refs:
        defs = export.classes.get(ref.name)
        if not defs or any(d.kind == ref.kind for d in defs):
            continue
        types = _type_words({d.type for d in defs})
        if ref.kind == "geometry":
            yield Hit(f"`{ref.name}` is {_a(types)} classification, not a geometry class: move "
                      "its values to `classifications` / `global_classifications`",
                      ref.pointer, at="key")
        else:
            yield Hit(f"`{ref.name}` is {_a(types)} geometry class, not a classification: "
                      "geometries belong in `labels` or `nested_geometries`",
                      ref.pointer, at="key")


@rule("RB609", "geometry-key-mismatch", ERROR,
      "A labelled object's coordinate key is missing, doubled, or not its class's type.",
      kinds=KINDS)
def geometry_key_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Each labelled object holds its coordinates under one key. DataGym's exporter names the key
    after the class's type (`"polygon": [...]` for a polygon class, `"image_segmentation":
    [[...]]` for a segmentation); its documentation shows `"geometry": [...]` instead, and rb-lint
    accepts both. An object with no coordinates, with two coordinate keys, with a key of another
    type (`rectangle` under a polygon class), or whose `geometry` has the wrong layout cannot be
    read as its class.

    Failing:
        {"class_name": "car", "geometry_type": "polygon"}, ...
        "car": [{"rectangle": [{"x": 10, "y": 10, "w": 5, "h": 5}], "classifications": {}}]
    Fixed:
        "car": [{"polygon": [{"x": 10, "y": 10}, {"x": 15, "y": 10}, {"x": 15, "y": 15}],
                 "classifications": {}}]
    """
    export = _export(doc)
    for geometry in export.geometries:
        types = export.types_of(geometry.class_name) & set(GEOMETRY_CLASS_TYPES)
        hit = _key_problem(geometry, types)
        if hit is not None:
            yield hit


def _key_problem(geometry: Geometry, types: set[str]) -> Hit | None:
    name = geometry.class_name
    if geometry.key is None:
        expected = (f"`\"{sorted(types)[0]}\": [...]`" if len(types) == 1 else
                    "one of `point`, `line`, `polygon`, `rectangle`, `image_segmentation`")
        return Hit(f"this `{name}` object has no coordinates: add {expected}", geometry.pointer)
    if len(geometry.keys) > 1:
        second = geometry.keys[1]
        return Hit(f"this `{name}` object has both `{geometry.key}` and `{second}`: an object "
                   "holds one set of coordinates; remove one",
                   join_pointer(geometry.pointer, second), at="key")
    if not types:
        return None  # unknown class: RB607 / RB608
    if geometry.key != "geometry":
        if geometry.key in types:
            return None
        return Hit(f"`{geometry.key}` coordinates under class `{name}`, which is "
                   f"{_a(_type_words(types))} class: DataGym writes `{sorted(types)[0]}` for it; "
                   "fix the class or the coordinates", geometry.coords_pointer, at="key")
    shape = geometry_shape(geometry.coords)
    if geometry.coords == [] or any(SHAPE_OF[t] == shape for t in types):
        return None
    layouts = {"points": "points", "rectangle": "a rectangle", "rings": "rings"}
    wanted = " or ".join(sorted({layouts[SHAPE_OF[t]] for t in types}))
    return Hit(f"`geometry` of class `{name}` ({_type_words(types)}) holds "
               f"{layouts.get(shape or '', 'something else')}, not {wanted}: write the "
               "coordinates in the class's layout", geometry.coords_pointer)


@rule("RB610", "nested-geometry-too-deep", ERROR,
      "Geometries nest one level deep only.", kinds=KINDS)
def nested_geometry_too_deep(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    DataGym nests geometries one level deep: a top-level object may hold `nested_geometries`,
    a nested one may not (the exporter writes the key only on top-level objects). Deeper
    geometries were not written by DataGym and importers ignore them.

    Failing:
        "car": [{"polygon": [...], "classifications": {}, "nested_geometries": {
            "wheel": [{"point": [...], "classifications": {}, "nested_geometries": {
                "bolt": [...]}}]}}]
    Fixed:
        "car": [{"polygon": [...], "classifications": {}, "nested_geometries": {
            "wheel": [...], "bolt": [...]}}]
    """
    for geometry in _export(doc).geometries:
        nested = geometry.obj.get("nested_geometries")
        if geometry.depth >= 1 and isinstance(nested, dict) and nested:
            yield Hit(f"`nested_geometries` inside a nested `{geometry.class_name}` object: "
                      "DataGym nests geometries one level only; move these objects up to the "
                      "top-level object's `nested_geometries`",
                      join_pointer(geometry.pointer, "nested_geometries"), at="key")


# --- geometry ----------------------------------------------------------------------------------


@rule("RB611", "wrong-point-count", ERROR,
      "Too few (or too many) points for the geometry type.", kinds=KINDS)
def wrong_point_count(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A point is exactly one `{x, y}`; a line has at least 2 points; a polygon at least 3 (a
    closing point that repeats the first does not count); a rectangle is exactly one
    `{x, y, w, h}`; a segmentation has at least one ring, each of at least 3 points. DataGym
    exports degenerate geometries unchanged; they have no area or length and break converters.

    Failing:
        "car": [{"polygon": [{"x": 57, "y": 412}, {"x": 54, "y": 463}], "classifications": {}}]
    Fixed:
        "car": [{"polygon": [{"x": 57, "y": 412}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                 "classifications": {}}]
    """
    for geometry in _export(doc).geometries:
        if geometry.type is not None and isinstance(geometry.coords, list):
            yield from _count_problems(geometry)


def _count_problems(geometry: Geometry) -> Iterator[Hit]:
    kind, coords, name = geometry.type, geometry.coords, geometry.class_name
    if kind in ("point", "rectangle") and len(coords) != 1:
        shape = "`{x, y}`" if kind == "point" else "`{x, y, w, h}`"
        yield Hit(f"{_a(str(kind))} of class `{name}` is exactly one {shape}, but this one has "
                  f"{len(coords)}: keep one (or make one object per {kind})",
                  geometry.coords_pointer)
    elif kind in MIN_POINTS and _vertex_count(coords) < MIN_POINTS[kind]:
        yield Hit(f"{kind} of class `{name}` has {_vertex_count(coords)} point(s): a {kind} "
                  f"needs at least {MIN_POINTS[kind]}; add points or delete the object",
                  geometry.coords_pointer)
    elif kind == SEGMENTATION:
        if not coords:
            yield Hit(f"segmentation of class `{name}` has no ring: add the outer ring "
                      "`[[{\"x\": ..., \"y\": ...}, ...]]` or delete the object",
                      geometry.coords_pointer)
        for index, ring in enumerate(coords):
            if isinstance(ring, list) and _vertex_count(ring) < 3:
                role = "outer ring" if index == 0 else f"cut-out ring {index}"
                yield Hit(f"{role} of segmentation `{name}` has {_vertex_count(ring)} point(s): a "
                          "ring needs at least 3; add points or remove the ring",
                          join_pointer(geometry.coords_pointer, index))


@rule("RB612", "degenerate-rectangle", ERROR, "A rectangle has zero (or negative) size.",
      kinds=KINDS)
def degenerate_rectangle(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A rectangle is its top-left corner plus `w` and `h` in pixels; DataGym truncates sizes to
    whole pixels, so a box narrower than one pixel is exported with `w: 0`. A zero-size box
    covers nothing: detectors trained on it get an empty target, and IoU divides by zero.

    Failing:
        "bus": [{"rectangle": [{"x": 120, "y": 80, "w": 0, "h": 45}], "classifications": {}}]
    Fixed:
        "bus": [{"rectangle": [{"x": 120, "y": 80, "w": 64, "h": 45}], "classifications": {}}]
    """
    for geometry in _export(doc).geometries:
        if geometry.type != "rectangle":
            continue
        for path, box in _coordinate_objects(geometry.coords):
            side = next((k for k in ("w", "h") if _number(box.get(k)) and box[k] <= 0), None)
            if side is not None:
                yield Hit(f"rectangle of class `{geometry.class_name}` has `{side}: "
                          f"{box[side]}`: a box of zero size covers nothing; redraw it or delete "
                          "it", _at(geometry, path, side))


@rule("RB613", "null-coordinate", ERROR, "A coordinate is null (negative or unset on export).",
      kinds=KINDS)
def null_coordinate(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    DataGym writes a negative or unset coordinate as `null` (a vertex dragged above or left of
    the image), and nulls all four values of such a rectangle. The vertex is lost: the geometry
    cannot be drawn as annotated. Fix it in DataGym and export again, or drop the vertex.

    Failing:
        "car": [{"polygon": [{"x": null, "y": null}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                 "classifications": {}}]
    Fixed:
        "car": [{"polygon": [{"x": 0, "y": 410}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                 "classifications": {}}]
    """
    for geometry in _export(doc).geometries:
        for path, point in _coordinate_objects(geometry.coords):
            if None not in point.values():
                continue
            null = next((k for k in ("x", "y", "w", "h") if k in point and point[k] is None), None)
            if null is not None:
                yield Hit(f"`{null}` is null in this `{geometry.class_name}` geometry: DataGym "
                          "writes negative or unset coordinates as null, so the position is "
                          "lost; fix the vertex in DataGym (inside the image) and export again",
                          _at(geometry, path, null))


@rule("RB614", "non-integer-coordinate", WARNING, "A coordinate has a fractional part.",
      kinds=KINDS)
def non_integer_coordinate(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    DataGym exports whole pixels (it truncates its internal values). A fractional coordinate
    means the file was written or edited by another tool, and code that indexes pixels with the
    values (or expects DataGym's integers) breaks or rounds differently. Reported once per
    object, at its first fractional value.

    Failing:
        "person": [{"point": [{"x": 312.5, "y": 80}], "classifications": {}}]
    Fixed:
        "person": [{"point": [{"x": 312, "y": 80}], "classifications": {}}]
    """
    for geometry in _export(doc).geometries:
        bad = [(path, key, value)
               for path, point in _coordinate_objects(geometry.coords)
               for key, value in point.items()
               if type(value) is float and not value.is_integer() and math.isfinite(value)]
        if bad:
            path, key, value = bad[0]
            more = f" ({len(bad)} fractional values in this object)" if len(bad) > 1 else ""
            yield Hit(f"coordinate {value} of this `{geometry.class_name}` geometry is not a whole "
                      f"pixel{more}: DataGym exports integers; truncate the values as DataGym "
                      "does", _at(geometry, path, key))


@rule("RB615", "invalid-ring", ERROR,
      "A polygon or segmentation ring crosses itself or has no area.", kinds=KINDS)
def invalid_ring(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A polygon, and each ring of a segmentation, must be a simple ring: its edges may not cross
    (a "bow-tie") and it must enclose an area. DataGym exports such rings unchanged, but area,
    IoU and rasterisation are undefined for them (even-odd filling drops a lobe of a bow-tie,
    GIS libraries reject the polygon). Checked with shapely (GEOS).

    Failing:
        "road": [{"image_segmentation": [[{"x": 0, "y": 0}, {"x": 100, "y": 100},
                                          {"x": 100, "y": 0}, {"x": 0, "y": 100}]]}]
    Fixed:
        "road": [{"image_segmentation": [[{"x": 0, "y": 0}, {"x": 100, "y": 0},
                                          {"x": 100, "y": 100}, {"x": 0, "y": 100}]]}]
    """
    for shape in _shapes(doc):
        for index, ring in enumerate(shape.rings):
            if ring.problem is None:
                continue
            name = shape.geometry.class_name
            what = (f"polygon `{name}`" if shape.geometry.type == "polygon" else
                    f"{'outer ring' if index == 0 else f'cut-out ring {index}'} of segmentation "
                    f"`{name}`")
            yield Hit(f"{what} {ring.problem}: such a ring has no well-defined area and "
                      "rasterises unpredictably; redraw it so its edges do not cross", ring.pointer)


@rule("RB616", "invalid-cut-out", ERROR,
      "A segmentation cut-out lies outside its outer ring or overlaps another cut-out.",
      kinds=KINDS)
def invalid_cut_out(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    In a segmentation, ring 0 is the outer boundary and every further ring is a cut-out (hole).
    A cut-out must lie inside the outer ring, and cut-outs may not overlap each other: otherwise
    the shape is not a valid polygon with holes, and what is cut out depends on the tool.

    Failing:
        "image_segmentation": [[outer ring 0..100], [hole 20..40], [hole 30..50]]
    Fixed:
        "image_segmentation": [[outer ring 0..100], [hole 20..40], [hole 50..70]]
    """
    for shape in _shapes(doc):
        outer = shape.outer
        if shape.geometry.type != SEGMENTATION or outer is None:
            continue
        name = shape.geometry.class_name
        holes = [(i, r.pointer, r.polygon) for i, r in enumerate(shape.rings)
                 if i > 0 and r.polygon is not None]
        for position, (index, pointer, hole) in enumerate(holes):
            if not _covers(outer, hole):
                yield Hit(f"cut-out ring {index} of segmentation `{name}` is not inside its outer "
                          "ring: a cut-out removes area from the shape; move it inside, or make "
                          "it a separate object", pointer)
                continue
            earlier = next((i for i, _p, other in holes[:position] if _overlap(hole, other)), None)
            if earlier is not None:
                yield Hit(f"cut-out ring {index} of segmentation `{name}` overlaps cut-out ring "
                          f"{earlier}: merge the two cut-outs into one ring", pointer)


@rule("RB617", "cut-out-erases-instance", WARNING,
      "A cut-out overlaps another instance of the same class, which the bitmap export erases.",
      kinds=KINDS)
def cut_out_erases_instance(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    DataGym renders a class's segmentation bitmap by filling the outer rings of all its instances
    in the task, then erasing all their cut-outs. A cut-out of one instance that overlaps another
    instance of the same class therefore erases part of that other instance from the exported
    mask, although the JSON shows it whole.

    Failing:
        "road": [{"image_segmentation": [[outer 0..100], [cut-out 40..60]]},
                 {"image_segmentation": [[outer 45..55 (inside the cut-out)]]}]
    Fixed:
        make the second instance part of the first's cut-out, or shrink the cut-out
    """
    by_class: dict[tuple[str, str], list[Shape]] = defaultdict(list)
    for shape in _shapes(doc):
        if shape.geometry.type == SEGMENTATION:
            by_class[(shape.geometry.task_pointer, shape.geometry.class_name)].append(shape)
    pending = []
    for shapes in by_class.values():
        if len(shapes) < 2:
            continue
        for shape in shapes:
            name = shape.geometry.class_name
            for index, ring in enumerate(shape.rings[1:], start=1):
                victim = _erased(ring, shape, shapes)
                if victim is not None:
                    pending.append(_Citing(
                        victim.geometry.pointer,
                        f"cut-out ring {index} of this `{name}` segmentation overlaps another "
                        f"`{name}` instance (line ",
                        "): DataGym's bitmap export erases every cut-out of a class from all its "
                        "instances, so that instance loses area in the mask; shrink the cut-out "
                        "or merge the instances", ring.pointer))
    yield from _with_lines(doc, pending)


def _erased(ring: Ring, owner: Shape, shapes: list[Shape]) -> Shape | None:
    if ring.polygon is None:
        return None
    for other in shapes:
        if other is not owner and other.outer is not None and _overlap(ring.polygon, other.outer):
            return other
    return None


@rule("RB618", "coordinate-out-of-bounds", ERROR,
      "A coordinate lies outside the configured image size.", kinds=KINDS)
def coordinate_out_of_bounds(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With `image-width` / `image-height` set in `[tool.rb-lint.datagym]` (the export carries no
    image size), every coordinate must lie within the image: 0 <= x <= width, 0 <= y <= height,
    and a rectangle's `x + w` / `y + h` too. Outside points are usually a mix-up of images or a
    scaled copy of the labels. Reported once per object, at its first offending value.

    Failing (image-width = 1920):
        "bus": [{"rectangle": [{"x": 1900, "y": 80, "w": 64, "h": 45}], "classifications": {}}]
    Fixed:
        "bus": [{"rectangle": [{"x": 1850, "y": 80, "w": 64, "h": 45}], "classifications": {}}]
    """
    settings = ctx.config.datagym
    limits = {"x": settings.image_width, "y": settings.image_height}
    if limits["x"] is None and limits["y"] is None:
        return
    for geometry in _export(doc).geometries:
        bad = list(_outside(geometry, limits))
        if bad:
            pointer, message = bad[0]
            more = f" ({len(bad)} values of this object are outside)" if len(bad) > 1 else ""
            yield Hit(f"{message}{more}: the coordinates do not belong to this image size; "
                      "check the image or the configured size", pointer)


def _outside(geometry: Geometry, limits: dict[str, int | None]) -> Iterator[tuple[str, str]]:
    sizes = {"x": ("w", "width"), "y": ("h", "height")}
    for path, point in _coordinate_objects(geometry.coords):
        for axis, (size_key, word) in sizes.items():
            limit, raw = limits[axis], point.get(axis)
            if limit is None or not _number(raw):
                continue
            value, extent = float(raw), point.get(size_key)
            end = value + extent if _number(extent) else value
            if value < 0 or value > limit:
                yield (_at(geometry, path, axis),
                       f"`{axis}` = {raw} is outside the image {word} {limit} "
                       f"(class `{geometry.class_name}`)")
            elif end > limit:
                yield (_at(geometry, path, size_key),
                       f"`{axis}` + `{size_key}` = {_show_number(str(end))} is beyond the image "
                       f"{word} {limit} (class `{geometry.class_name}`)")


# --- classifications ---------------------------------------------------------------------------


@rule("RB619", "malformed-classification", ERROR,
      "A classification's values are not `[value, ..., {child: [...]}, ...]`.", kinds=KINDS)
def malformed_classification(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A classification is written `"class": [value, ..., {child: [...]}, ...]`: its answers first
    (one for select and freetext, one or more for a checklist, `[null]` when unanswered), then
    one object per nested classification. An empty list, answers after a nested object, several
    answers to a single-answer class, or `null` beside answers is not what DataGym writes and
    is read inconsistently.

    Failing:
        "weather": [{"daytime": ["day"]}, "sunny"]
    Fixed:
        "weather": ["sunny", {"daytime": ["day"]}]
    """
    export = _export(doc)
    for tree in export.trees:
        if isinstance(tree.values, list):
            problem = _values_problem(tree, export.types_of(tree.name))
            if problem is not None:
                yield problem


def _values_problem(tree: Tree, types: set[str]) -> Hit | None:
    name, values = tree.name, tree.values
    if not values:
        return Hit(f"`{name}` has no value: DataGym writes `[null]` for an unanswered "
                   "classification; answer it or write `[null]`", tree.pointer)
    answers = [(i, v) for i, v in enumerate(values) if not isinstance(v, dict)]
    first_child = next((i for i, v in enumerate(values) if isinstance(v, dict)), len(values))
    late = next((i for i, _v in answers if i > first_child), None)
    if late is not None:
        return Hit(f"an answer of `{name}` follows a nested classification: write the answers "
                   "first, then the `{child: [...]}` objects", join_pointer(tree.pointer, late))
    if len(answers) > 1 and any(v is None for _i, v in answers):
        index = next(i for i, v in answers if v is None)
        return Hit(f"`{name}` has `null` beside answers: `null` means unanswered; remove it",
                   join_pointer(tree.pointer, index))
    if len(answers) > 1 and types and types <= set(SINGLE_ANSWER_TYPES):
        return Hit(f"`{name}` is {_a(_type_words(types))} classification with {len(answers)} "
                   "answers: it takes one; keep one (or make the class a checklist)",
                   join_pointer(tree.pointer, answers[1][0]))
    empty = next((i for i, v in enumerate(values) if v == {}), None)
    if empty is not None:
        return Hit(f"empty nested object in `{name}`: write `{{\"child\": [...]}}` or remove it",
                   join_pointer(tree.pointer, empty))
    return None


@rule("RB620", "unanswered-required-classification", ERROR,
      "A classification configured as required is unanswered (`[null]`).", kinds=KINDS)
def unanswered_required_classification(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    DataGym writes `[null]` for a select left unanswered or a checklist with nothing checked, even
    when the label configuration marks the classification as required (e.g. after a review that
    skipped it). The export does not say which classes are required - neither does DataGym's
    label-configuration file - so list them in `[tool.rb-lint.datagym] required-classes`.

    Failing (required-classes = ["car_type"]):
        "classifications": {"car_type": [null]}
    Fixed:
        "classifications": {"car_type": ["sedan"]}
    """
    required = set(ctx.config.datagym.required_classes)
    if not required:
        return
    for tree in _export(doc).trees:
        values = tree.values
        if tree.name not in required or not isinstance(values, list):
            continue
        answers = [v for v in values if not isinstance(v, dict)]
        if answers and all(v is None for v in answers):
            yield Hit(f"`{tree.name}` is a required classification but unanswered (`[null]`): "
                      "answer it in DataGym and export again", tree.pointer)


RULES = [
    invalid_export_element, invalid_class_type_keys, invalid_class_name, duplicate_class_name,
    duplicate_media_id, duplicate_media_name, labels_on_skipped_task, undefined_class,
    wrong_class_kind, geometry_key_mismatch, nested_geometry_too_deep, wrong_point_count,
    degenerate_rectangle, null_coordinate, non_integer_coordinate, invalid_ring, invalid_cut_out,
    cut_out_erases_instance, coordinate_out_of_bounds, malformed_classification,
    unanswered_required_classification,
]
