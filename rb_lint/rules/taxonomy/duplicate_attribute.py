"""RB422 duplicate-attribute."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import AttributeGroup, display, free_ids, line_of, taxonomy_file
from rb_lint.formats.taxonomy_index import json_int
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule(
    "RB422",
    "duplicate-attribute",
    Severity.ERROR,
    "Two attributes of one object type or classify list share an attrId or name.",
    kinds=[TAXONOMY],
)
def duplicate_attribute(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Within one object type's `attributes`, and within each of `studyClassify`,
    `seriesClassify` and `instanceClassify`, every attribute needs its own `attrId` and its own
    `name`. Attributes of different object types may reuse ids and names.

    Why: Labels in the V2 list form refer to an attribute by its `attrId`, labels in the
    `{name: value}` form by its `name`: with a repeat, such a value cannot say which attribute it
    is for.

    Failing:
        "attributes": [{"name": "Grade", "attrId": 0, ...}, {"name": "Enhancing", "attrId": 0, ...}]
    Fixed:
        "attributes": [{"name": "Grade", "attrId": 0, ...}, {"name": "Enhancing", "attrId": 1, ...}]
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    for group in taxonomy.attribute_groups:
        owner = _owner(group)
        free = free_ids(i for _p, a in group.attributes if (i := json_int(a.get("attrId"))) is not None)
        ids: dict[int, str] = {}
        names: dict[str, str] = {}
        for pointer, attribute in group.attributes:
            attr_id, name = json_int(attribute.get("attrId")), attribute.get("name")
            if attr_id is not None and attr_id in ids:
                yield Hit(
                    f"attrId {attr_id} is already used by `{ids[attr_id]}` of {owner}: "
                    "labels refer to attributes by attrId; give this one a free attrId, "
                    f"e.g. {next(free)}",
                    join_pointer(pointer, "attrId"),
                )
            elif attr_id is not None:
                ids[attr_id] = name if isinstance(name, str) else "?"
            if isinstance(name, str) and name in names:
                yield Hit(
                    f"attribute `{name}` of {owner} is defined twice (line "
                    f'{line_of(doc, names[name])}): labels written as `{{"{name}": ...}}` '
                    "cannot say which is meant; rename one",
                    join_pointer(pointer, "name"),
                )
            elif isinstance(name, str):
                names[name] = pointer


def _owner(group: AttributeGroup) -> str:
    if group.object_type is not None:
        return f"object type `{display(group.object_type.data)}`"
    return f"`{group.classify_key}`"
