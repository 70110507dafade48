"""A DataGym export, read once per document, for the RB6xx rules (`rb_lint.rules.datagym`).

What is there and where: the label classes, the tasks, every labelled object (with the type its
coordinates are read as), every classification and every key that names a class, each with its JSON
pointer. No judgements: the rules decide what is wrong. The shapely shapes of polygons and
segmentations are in `rb_lint.facts.datagym_shapes`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from typing_extensions import TypeIs

from rb_lint.core.findings import Part
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.datagym import CLASSIFICATION_TYPES, GEOMETRY_TYPES, geometry_shape

SEGMENTATION = "image_segmentation"
GEOMETRY_CLASS_TYPES = (*GEOMETRY_TYPES, SEGMENTATION)
COORDINATE_KEYS = (*GEOMETRY_CLASS_TYPES, "geometry")  # "geometry": the documentation's spelling
# The coordinate layout (`models.datagym.geometry_shape`) of each geometry class type.
SHAPE_OF = {
    "point": "points",
    "line": "points",
    "polygon": "points",
    "rectangle": "rectangle",
    SEGMENTATION: "rings",
}
LABEL_CLASSES = "/0/label_classes"

Kind = Literal["geometry", "classification"]


# --- label classes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelClassEntry:
    """One object of `label_classes`, whatever it holds."""

    pointer: str
    entry: dict[str, Any]


def label_class_entries(doc: Document) -> list[LabelClassEntry]:
    """The objects of element 0's `label_classes` (none when it is not an array)."""
    return doc.memo(_read_label_class_entries, doc)


def _read_label_class_entries(doc: Document) -> list[LabelClassEntry]:
    header = doc.data[0] if isinstance(doc.data, list) and doc.data else None
    entries = header.get("label_classes") if isinstance(header, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        LabelClassEntry(join_pointer(LABEL_CLASSES, index), entry)
        for index, entry in enumerate(entries)
        if isinstance(entry, dict)
    ]


@dataclass(frozen=True)
class ClassDef:
    """One `label_classes` entry with a string `class_name` and a usable type."""

    name: str
    type: str
    pointer: str

    @property
    def kind(self) -> Kind:
        return "geometry" if self.type in GEOMETRY_CLASS_TYPES else "classification"


def _class_type(entry: dict[str, Any]) -> str | None:
    geometry, classification = entry.get("geometry_type"), entry.get("classification_type")
    if geometry in GEOMETRY_TYPES:
        return str(geometry)
    return str(classification) if classification in CLASSIFICATION_TYPES else None


def _read_classes(doc: Document) -> dict[str, list[ClassDef]] | None:
    """The usable classes by name; None when there is no `label_classes` array."""
    header = doc.data[0] if isinstance(doc.data, list) and doc.data else None
    if not isinstance(header, dict) or not isinstance(header.get("label_classes"), list):
        return None
    classes: dict[str, list[ClassDef]] = defaultdict(list)
    for item in label_class_entries(doc):
        name, kind = item.entry.get("class_name"), _class_type(item.entry)
        if isinstance(name, str) and kind is not None:
            classes[name].append(ClassDef(name, kind, item.pointer))
    return dict(classes)


# --- tasks, labelled objects, classifications --------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A task object (an element that is an object without `label_classes`)."""

    pointer: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """A key that names a class: in `labels`, `nested_geometries` or a classification tree."""

    pointer: str
    name: str
    kind: Kind


@dataclass(frozen=True)
class Geometry:
    """One labelled object (an object in a `labels` or `nested_geometries` list)."""

    pointer: str
    class_name: str
    task_pointer: str
    obj: dict[str, Any]
    depth: int  # 0 for `labels`, 1 for `nested_geometries`, ...
    keys: tuple[str, ...]  # the coordinate keys present, in COORDINATE_KEYS order
    type: str | None  # the geometry type the coordinates are read as (None: not decidable)

    @property
    def key(self) -> str | None:
        return self.keys[0] if self.keys else None

    @property
    def coords(self) -> Any:
        return self.obj.get(self.key) if self.key else None

    @property
    def coords_pointer(self) -> str:
        return join_pointer(self.pointer, self.key or "")

    def at(self, path: tuple[int, ...], key: str) -> str:
        """The pointer of `key` in the coordinate object at `path` (see `coordinate_objects`)."""
        return join_pointer(self.coords_pointer, *path, key)


@dataclass(frozen=True)
class Tree:
    """The values of one classification: `"name": [value, {child: [...]}, ...]`."""

    pointer: str
    name: str
    values: Any


@dataclass
class Export:
    classes: dict[str, list[ClassDef]] | None  # None: no readable `label_classes`
    tasks: list[Task] = field(default_factory=list)
    geometries: list[Geometry] = field(default_factory=list)  # in document order, parents first
    trees: list[Tree] = field(default_factory=list)  # in document order, parents first
    refs: list[Ref] = field(default_factory=list)

    def types_of(self, name: str) -> set[str]:
        return {c.type for c in (self.classes or {}).get(name, [])}


def export(doc: Document) -> Export:
    """The export, read once per document."""
    return doc.memo(_read_export, doc)


def _read_export(doc: Document) -> Export:
    result = Export(_read_classes(doc))
    data = doc.data if isinstance(doc.data, list) else []
    for index, element in enumerate(data):
        if isinstance(element, dict) and "label_classes" not in element:
            pointer = join_pointer("", index)
            result.tasks.append(Task(pointer, element))
            _read_trees(
                result, join_pointer(pointer, "global_classifications"), element.get("global_classifications")
            )
            _read_geometries(result, join_pointer(pointer, "labels"), element.get("labels"), pointer, 0)
    return result


def _read_geometries(result: Export, pointer: str, labels: Any, task_pointer: str, depth: int) -> None:
    if not isinstance(labels, dict):
        return
    for name, objects in labels.items():
        class_pointer = join_pointer(pointer, name)
        result.refs.append(Ref(class_pointer, name, "geometry"))
        if not isinstance(objects, list):
            continue
        for index, obj in enumerate(objects):
            if not isinstance(obj, dict):
                continue
            object_pointer = join_pointer(class_pointer, index)
            keys = tuple(k for k in COORDINATE_KEYS if k in obj)
            kind = _coordinate_type(result, name, keys[0], obj[keys[0]]) if keys else None
            result.geometries.append(Geometry(object_pointer, name, task_pointer, obj, depth, keys, kind))
            _read_trees(result, join_pointer(object_pointer, "classifications"), obj.get("classifications"))
            _read_geometries(
                result,
                join_pointer(object_pointer, "nested_geometries"),
                obj.get("nested_geometries"),
                task_pointer,
                depth + 1,
            )


def _read_trees(result: Export, pointer: str, classifications: Any) -> None:
    if not isinstance(classifications, dict):
        return
    for name, values in classifications.items():
        values_pointer = join_pointer(pointer, name)
        result.refs.append(Ref(values_pointer, name, "classification"))
        result.trees.append(Tree(values_pointer, name, values))
        if isinstance(values, list):
            for index, entry in enumerate(values):
                _read_trees(result, join_pointer(values_pointer, index), entry)


def _coordinate_type(result: Export, class_name: str, key: str, coords: Any) -> str | None:
    """Coordinates are read as their key says; under `geometry`, as the class says if it fits."""
    if key != "geometry":
        return key
    shape = geometry_shape(coords)
    fitting = [
        t for t in result.types_of(class_name) if t in SHAPE_OF and (SHAPE_OF[t] == shape or coords == [])
    ]
    if len(fitting) == 1:
        return fitting[0]
    if shape == "rings":
        return SEGMENTATION
    return "rectangle" if shape == "rectangle" else None


@dataclass(frozen=True)
class Repeat:
    """A task value (a media id or name) that an earlier task has too."""

    value: str
    pointer: str  # this task's value
    first: str  # the first task's value


def repeated_task_values(doc: Document, media_key: str, image_key: str) -> list[Repeat]:
    """Repeats of a string task field, read from `media_key`, else from the legacy `image_key`."""
    first: dict[str, str] = {}
    repeats = []
    for task in export(doc).tasks:
        key = media_key if media_key in task.fields else image_key
        value = task.fields.get(key)
        if not isinstance(value, str):
            continue
        value_pointer = join_pointer(task.pointer, key)
        if value in first:
            repeats.append(Repeat(value, value_pointer, first[value]))
        else:
            first[value] = value_pointer
    return repeats


# --- coordinates -------------------------------------------------------------------------------


def coordinate_objects(coords: Any) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
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


def is_number(value: Any) -> TypeIs[int | float]:
    """A finite JSON number (not a boolean, not null) that a float holds: an integer beyond
    1.8e308 is not one (nothing can compute with it)."""
    if type(value) is int:
        try:
            float(value)
        except OverflowError:
            return False
        return True
    return type(value) is float and math.isfinite(value)


def vertex_count(points: list[Any]) -> int:
    """Vertices of a ring; a closing point that repeats the first is not one more."""
    if len(points) > 1 and points[0] == points[-1]:
        return len(points) - 1
    return len(points)


# --- citing places and wording shared by the rules' messages ------------------------------------


def lines_of(doc: Document, pointers: Iterable[str]) -> dict[str, int]:
    """The line of each pointer's value, all found in one pass over the text (line 1 if none)."""
    requests: set[tuple[str, Part]] = {(pointer, "value") for pointer in pointers}
    if not requests:
        return {}
    found = doc.line_columns(requests)
    return {pointer: found.get((pointer, part), (1, 1))[0] for pointer, part in requests}


def article(noun: str) -> str:
    """`noun` with its indefinite article."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def type_words(types: set[str]) -> str:
    """Class types as words: `image segmentation / polygon`."""
    return " / ".join(sorted(t.replace("_", " ") for t in types))


def show_number(text: str) -> str:
    """A number as written in messages: whole numbers without `.0`, others with one decimal."""
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return str(int(value)) if value.is_integer() else f"{value:.1f}"
