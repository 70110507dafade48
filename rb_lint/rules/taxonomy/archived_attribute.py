"""RB408 archived-attribute."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import option_choices, task_references
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB408",
    "archived-attribute",
    Severity.WARNING,
    "An attribute or option is archived in the taxonomy.",
    kinds=TASK_KINDS,
)
def archived_attribute(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A value for an attribute, or a choice of an option, that is marked `archived: true` in
    the taxonomy.

    Why: Annotators no longer see an archived attribute or option in the RedBrick annotation
    tool, so the value cannot be reviewed or corrected, and new work cannot reproduce it.

    Failing:
        "attributes": {"Grade": "Grade II (WHO 2007)"}     (an archived option)
    Fixed:
        "attributes": {"Grade": "Low grade"}
    """
    for ref in task_references(doc, ctx).attributes:
        attribute = ref.resolved
        if attribute is None:
            continue
        if attribute.archived:
            tokens, part = ref.identifier
            yield Hit(
                f"attribute `{attribute.name}` is archived in the taxonomy: annotators no "
                "longer see it; drop the value or restore the attribute",
                ref.pointer(*tokens),
                at=part,
                key=ref.key(*tokens),
            )
        for choice in option_choices(ref, attribute):
            if choice.option is not None and choice.option.archived:
                yield Hit(
                    f"option `{choice.option.name}` of `{attribute.name}` is archived in the taxonomy: "
                    "annotators can no longer choose it; pick an active option",
                    ref.pointer(*choice.tokens),
                    key=ref.key(*choice.tokens),
                )
