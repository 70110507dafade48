"""RB424 invalid-default-value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import entries, taxonomy_file
from rb_lint.formats.taxonomy_index import json_int
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule(
    "RB424",
    "invalid-default-value",
    Severity.ERROR,
    "An attribute's `defaultValue` does not fit its attrType or options.",
    kinds=[TAXONOMY],
)
def invalid_default_value(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: `defaultValue` pre-fills an attribute in the annotation tool. For SELECT it is one of
    the attribute's optionIds, for MULTISELECT an optionId or a list of them, for BOOL a boolean
    and for TEXT a string (the SDK types it `str | bool | int | list[int]`).

    Why: The platform does not check that the optionIds exist: a default that does not fit
    pre-fills every new label with a value the attribute cannot hold, or with nothing.

    Failing:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0, "defaultValue": 7,
         "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 1}]}
    Fixed:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0, "defaultValue": 0, "options": [...]}
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    for pointer, attribute in taxonomy.all_attributes():
        value = attribute.get("defaultValue")
        if value is None:
            continue
        problem = _default_problem(attribute, value)
        if problem is not None:
            message, element = problem
            target = join_pointer(pointer, "defaultValue")
            yield Hit(message, target if element is None else join_pointer(target, element))


def _default_problem(attribute: dict[str, Any], value: Any) -> tuple[str, int | None] | None:
    """What is wrong with a defaultValue, and at which element (None: the value itself)."""
    kind, name = attribute.get("attrType"), attribute.get("name", "?")
    options = [o for _p, o in entries(attribute.get("options"), "")]
    by_id = {i: o.get("name") for o in options if (i := json_int(o.get("optionId"))) is not None}
    if kind == "BOOL" and not isinstance(value, bool):
        return f"`{name}` is a BOOL attribute: its defaultValue is true or false", None
    if kind == "TEXT" and not isinstance(value, str):
        return f"`{name}` is a TEXT attribute: its defaultValue is a string", None
    if kind not in ("SELECT", "MULTISELECT"):
        return None
    if isinstance(value, str):
        ids = [i for i, n in by_id.items() if n == value]
        hint = f": write {ids[0]} for `{value}`" if ids else ""
        return f"the defaultValue of `{name}` is an optionId, not an option name{hint}", None
    if isinstance(value, bool):
        return f"the defaultValue of `{name}` is an optionId, not a boolean", None
    if kind == "SELECT" and isinstance(value, list):
        return f"`{name}` is a SELECT attribute: its defaultValue is one optionId", None
    for index, option_id in enumerate(value if isinstance(value, list) else [value]):
        if json_int(option_id) is not None and option_id not in by_id:
            known = ", ".join(f"{i} `{n}`" for i, n in by_id.items()) or "none"
            return (
                f"defaultValue {option_id} is not an optionId of `{name}` (its options: {known})",
                index if isinstance(value, list) else None,
            )
    return None
