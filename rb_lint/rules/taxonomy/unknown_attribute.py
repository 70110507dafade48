"""RB406 unknown-attribute."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.facts.taxonomy import AttributeReference, listed, task_references
from rb_lint.formats.taxonomy_index import ObjectType
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB406",
    "unknown-attribute",
    Severity.ERROR,
    "An attribute is not defined for the object type or classification.",
    kinds=TASK_KINDS,
)
def unknown_attribute(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A label's attribute that its object type does not define, or a classification
    attribute that is not in the right classify list (`classification` of a task:
    `studyClassify`; a series' `classifications`: `seriesClassify`; `instanceClassifications`:
    `instanceClassify`). In the V2 list form an `attrId` that does not exist, or whose attribute
    has another `name`, is reported too. Needs Taxonomy V2.

    Why: The RedBrick annotation tool shows a label only the attributes its object type (or the
    classify list) defines: a value for any other attribute is never shown, so annotators and
    reviewers cannot see or correct it, and the export carries a value no taxonomy explains.

    Failing:
        {"category": ["Brain", "Tumor", "Glioma"], "attributes": {"Grde": "High grade"}}
    Fixed:
        {"category": ["Brain", "Tumor", "Glioma"], "attributes": {"Grade": "High grade"}}
    """
    for ref in task_references(doc, ctx).attributes:
        attribute = ref.attribute
        if attribute is None:
            tokens, part = ref.identifier
            what = f"attrId {ref.attr_id}" if ref.attr_id is not None else f"attribute `{ref.name}`"
            yield Hit(_unknown(what, ref), ref.pointer(*tokens), at=part, key=ref.key(*tokens))
        elif ref.name_mismatch:
            yield Hit(
                f"attrId {ref.attr_id} is `{attribute.name}` on {_owner(ref)}, not "
                f"`{ref.name}`: fix the id or the name",
                ref.pointer("name"),
                key=ref.key("name"),
            )


def _owner(ref: AttributeReference) -> str:
    owner = ref.owner
    return (
        f"object type `{owner.display()}`" if isinstance(owner, ObjectType) else f"the taxonomy's `{owner}`"
    )


def _unknown(what: str, ref: AttributeReference) -> str:
    message = f"{what} is not defined for {_owner(ref)}"
    names = ref.attributes.names()
    suggestion = closest_name(ref.name, names) if ref.name is not None else None
    if suggestion:
        return f"{message}: did you mean `{suggestion}`?"
    if names:
        return f"{message}; its attributes are {listed(names)}"
    return f"{message}, which has no attributes"
