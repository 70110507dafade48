"""What a Taxonomy V2 file defines, entry by entry, for its own consistency rules (RB420-RB426).

Unlike `rb_lint.formats.taxonomy_index`, which indexes the run's taxonomy for look-ups and skips
what it cannot use, this lists every JSON object as written, with its pointer: object types,
classify lists, attributes and options, so each rule can judge repeats and shapes itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from rb_lint.formats.taxonomy_index import CLASSIFY_KEYS, is_legacy_taxonomy, render_category
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer


class Entry(NamedTuple):
    pointer: str
    data: dict[str, Any]


@dataclass(frozen=True)
class AttributeGroup:
    """One list of attributes: a classify list (`classify_key`) or an object type's `attributes`."""

    classify_key: str | None
    object_type: Entry | None
    attributes: list[Entry]


@dataclass(frozen=True)
class TaxonomyFile:
    object_types: list[Entry]
    classify: dict[str, list[Entry]]  # by classify key, in CLASSIFY_KEYS order
    attribute_groups: list[AttributeGroup]  # the classify lists, then each object type's attributes

    def all_attributes(self) -> Iterator[Entry]:
        for group in self.attribute_groups:
            yield from group.attributes


def taxonomy_file(doc: Document) -> TaxonomyFile | None:
    """The entries of a Taxonomy V2 document (None for V1 or anything but a JSON object)."""
    return doc.memo(_taxonomy_file, doc)


def _taxonomy_file(doc: Document) -> TaxonomyFile | None:
    data = doc.data
    if not isinstance(data, dict) or is_legacy_taxonomy(data):
        return None
    object_types = entries(data.get("objectTypes"), "/objectTypes")
    classify = {key: entries(data.get(key), f"/{key}") for key in CLASSIFY_KEYS}
    groups = [AttributeGroup(key, None, attributes) for key, attributes in classify.items()]
    groups += [
        AttributeGroup(
            None, entry, entries(entry.data.get("attributes"), join_pointer(entry.pointer, "attributes"))
        )
        for entry in object_types
    ]
    return TaxonomyFile(object_types, classify, groups)


def entries(raw: Any, pointer: str) -> list[Entry]:
    """The JSON objects of a list, with their pointers (anything else is skipped)."""
    if not isinstance(raw, list):
        return []
    return [Entry(join_pointer(pointer, i), item) for i, item in enumerate(raw) if isinstance(item, dict)]


def strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def display(object_type: dict[str, Any]) -> str:
    """How an object type is spelled in tasks: its category, or its full path when nested."""
    category = object_type.get("category")
    parents = strings(object_type.get("parents"))
    if not isinstance(category, str):
        return "?"
    return render_category([*parents, category]) if parents else category


def line_of(doc: Document, pointer: str) -> int:
    """The line a pointer's value starts on (to cite a first occurrence)."""
    return doc.line_columns([(pointer, "value")]).get((pointer, "value"), (1, 1))[0]


def free_ids(used: Iterable[int]) -> Iterator[int]:
    """Ids above every used one, for suggestions."""
    taken = set(used)
    candidate = max(taken, default=-1) + 1
    while True:
        yield candidate
        candidate += 1
