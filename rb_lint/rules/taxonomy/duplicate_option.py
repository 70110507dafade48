"""RB423 duplicate-option."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import entries, free_ids, taxonomy_file
from rb_lint.formats.taxonomy_index import json_int
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule(
    "RB423",
    "duplicate-option",
    Severity.ERROR,
    "Two options of one attribute share an optionId or name.",
    kinds=[TAXONOMY],
)
def duplicate_option(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The options of a SELECT or MULTISELECT attribute need distinct `optionId`s and distinct
    names.

    Why: The V2 list form and `defaultValue` choose an option by its `optionId`, the
    `{name: value}` form by its name: with a repeat, one of the two options can never be chosen
    and values cannot say which is meant.

    Failing:
        "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 0}]
    Fixed:
        "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 1}]
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    for attr_pointer, attribute in taxonomy.all_attributes():
        label = attribute.get("name", "?")
        options = entries(attribute.get("options"), join_pointer(attr_pointer, "options"))
        free = free_ids(i for _p, o in options if (i := json_int(o.get("optionId"))) is not None)
        ids: dict[int, str] = {}
        names: set[str] = set()
        for pointer, option in options:
            option_id, name = json_int(option.get("optionId")), option.get("name")
            if option_id is not None and option_id in ids:
                yield Hit(
                    f"optionId {option_id} of `{label}` is already used by option "
                    f"`{ids[option_id]}`: give this option a free optionId, e.g. "
                    f"{next(free)}",
                    join_pointer(pointer, "optionId"),
                )
            elif option_id is not None:
                ids[option_id] = name if isinstance(name, str) else "?"
            if isinstance(name, str) and name in names:
                yield Hit(
                    f"option `{name}` of `{label}` is defined twice: values name options, "
                    "so one of them can never be chosen; rename or remove it",
                    join_pointer(pointer, "name"),
                )
            elif isinstance(name, str):
                names.add(name)
