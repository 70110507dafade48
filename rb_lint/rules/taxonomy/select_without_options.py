"""RB426 select-without-options."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import entries, taxonomy_file
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule(
    "RB426",
    "select-without-options",
    Severity.WARNING,
    "A SELECT or MULTISELECT attribute has no options.",
    kinds=[TAXONOMY],
)
def select_without_options(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A SELECT or MULTISELECT attribute with no `options`, or only archived ones.

    Why: It gives annotators nothing to choose in the RedBrick annotation tool, and every value a
    task gives it is invalid.

    Failing:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0}
    Fixed:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0,
         "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 1}]}
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    for pointer, attribute in taxonomy.all_attributes():
        kind = attribute.get("attrType")
        if kind not in ("SELECT", "MULTISELECT"):
            continue
        options = [o for _p, o in entries(attribute.get("options"), "")]
        if not any(o.get("archived") is not True for o in options):
            state = "only archived options" if options else "no options"
            yield Hit(
                f"`{attribute.get('name', '?')}` is a {kind} attribute with {state}: "
                'annotators have nothing to choose; add `"options": [{"name": ..., '
                '"optionId": 0}]`',
                join_pointer(pointer, "attrType"),
            )
