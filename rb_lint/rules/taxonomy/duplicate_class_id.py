"""RB420 duplicate-class-id."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import Entry, display, free_ids, line_of, taxonomy_file
from rb_lint.formats.taxonomy_index import json_int
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule("RB420", "duplicate-class-id", Severity.ERROR, "Two object types share a classId.", kinds=[TAXONOMY])
def duplicate_class_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every object type needs its own `classId` (0-based). The finding is at the repeat and
    names the first.

    Why: Masks, semantic exports (value classId + 1) and integer categories identify an object
    type by it; the platform's taxonomy checks only that the key exists.

    Failing:
        {"category": "Edema", "classId": 3, ...}, {"category": "Necrosis", "classId": 3, ...}
    Fixed:
        {"category": "Edema", "classId": 3, ...}, {"category": "Necrosis", "classId": 4, ...}
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    entries = [(entry, json_int(entry.data.get("classId"))) for entry in taxonomy.object_types]
    free = free_ids(c for _e, c in entries if c is not None)
    first: dict[int, Entry] = {}
    for entry, class_id in entries:
        if class_id is None:
            continue
        if class_id not in first:
            first[class_id] = entry
            continue
        other = first[class_id]
        yield Hit(
            f"classId {class_id} is already used by `{display(other.data)}` (line "
            f"{line_of(doc, other.pointer)}): masks, semantic exports and integer categories "
            f"identify an object type by its classId; give this one a free classId, e.g. "
            f"{next(free)}",
            join_pointer(entry.pointer, "classId"),
            key=f"classId:{class_id}:{display(entry.data)}",
        )
