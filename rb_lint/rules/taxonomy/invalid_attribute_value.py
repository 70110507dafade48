"""RB407 invalid-attribute-value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.facts.taxonomy import LISTED, listed, option_choices, task_references
from rb_lint.formats.taxonomy_index import Attribute, render_category
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB407",
    "invalid-attribute-value",
    Severity.ERROR,
    "An attribute value does not fit its attrType or options.",
    kinds=TASK_KINDS,
)
def invalid_attribute_value(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: An attribute value must match the attribute's `attrType`: BOOL true/false, TEXT a
    string, SELECT one option name, MULTISELECT a list of option names. In the V2 list form,
    `optionId` must be among the attribute's options (one for SELECT; BOOL and TEXT have none).

    Why: The RedBrick annotation tool offers exactly these choices: a value of another type, or
    an option the attribute does not have, cannot be shown as selected or edited by reviewers,
    and the export carries a value that no option of the taxonomy explains.

    Failing:
        "attributes": {"Grade": "High", "Enhancing": "yes"}
    Fixed:
        "attributes": {"Grade": "High grade", "Enhancing": true}
    """
    for ref in task_references(doc, ctx).attributes:
        attribute = ref.resolved
        if attribute is None:
            continue
        missing = [c for c in option_choices(ref, attribute) if c.option is None]
        if ref.option_id is not None:
            problem = _option_id_problem(attribute, ref.option_id)
            if problem is not None:
                yield Hit(problem, ref.pointer("optionId"), key=ref.key("optionId"))
            for choice in (c for c in missing if c.source == "optionId"):
                ids = ", ".join(f"{o.option_id} `{o.name}`" for o in attribute.options[:LISTED])
                yield Hit(
                    f"optionId {choice.written} is not an option of `{attribute.name}` (its "
                    f"options: {ids or 'none'})",
                    ref.pointer(*choice.tokens),
                    key=ref.key(*choice.tokens),
                )
        if ref.has_value:
            problem = _value_problem(attribute, ref.value)
            if problem is not None:
                yield Hit(problem, ref.pointer(*ref.value_tokens()), key=ref.key(*ref.value_tokens()))
            for choice in (c for c in missing if c.source == "value"):
                yield Hit(
                    _not_an_option(attribute, str(choice.written)),
                    ref.pointer(*choice.tokens),
                    key=ref.key(*choice.tokens),
                )


def _option_id_problem(attribute: Attribute, raw: Any) -> str | None:
    if attribute.attr_type in ("BOOL", "TEXT"):
        return (
            f"`{attribute.name}` is a {attribute.attr_type} attribute, which has no "
            "options: give its `value` instead of an `optionId`"
        )
    if attribute.attr_type == "SELECT" and isinstance(raw, list) and len(raw) != 1:
        return f"`{attribute.name}` is a SELECT attribute: it takes one optionId, not {len(raw)}"
    return None


def _value_problem(attribute: Attribute, value: Any) -> str | None:
    kind, name = attribute.attr_type, attribute.name
    if kind == "BOOL" and not isinstance(value, bool):
        return f"`{name}` is a BOOL attribute: its value is true or false, not `{_shown(value)}`"
    if kind == "TEXT" and not isinstance(value, str):
        return f"`{name}` is a TEXT attribute: its value is a string, not `{_shown(value)}`"
    if kind == "SELECT" and not isinstance(value, str):
        return (
            f"`{name}` is a SELECT attribute: its value is one option name (a string), not `{_shown(value)}`"
        )
    if kind == "MULTISELECT" and not isinstance(value, list):
        example = f'["{value}"]' if isinstance(value, str) else '["..."]'
        return (
            f"`{name}` is a MULTISELECT attribute: its value is a list of "
            f"option names, e.g. `{example}`, not `{_shown(value)}`"
        )
    return None


def _not_an_option(attribute: Attribute, name: str) -> str:
    message = f"`{name}` is not an option of `{attribute.name}`"
    suggestion = closest_name(name, attribute.option_names())
    if suggestion:
        return f"{message}: did you mean `{suggestion}`?"
    if attribute.options:
        return f"{message}; its options are {listed(attribute.option_names())}"
    return message


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else render_category(value)
