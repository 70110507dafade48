"""RB619 malformed-classification."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import Tree, article, export, type_words
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM

SINGLE_ANSWER_TYPES = ("select", "radio", "freetext")


@rule(
    "RB619",
    "malformed-classification",
    Severity.ERROR,
    "A classification's values are not `[value, ..., {child: [...]}, ...]`.",
    kinds=(DATAGYM,),
)
def malformed_classification(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A classification is written `"class": [value, ..., {child: [...]}, ...]`: its answers
    first (one for select and freetext, one or more for a checklist, `[null]` when unanswered),
    then one object per nested classification. Reported: an empty list, answers after a nested
    object, several answers to a single-answer class, `null` beside answers, or an empty nested
    object.

    Why: None of these is what DataGym writes, and readers interpret them inconsistently (which
    answer counts, whether the class was answered at all).

    Failing:
        "weather": [{"daytime": ["day"]}, "sunny"]
    Fixed:
        "weather": ["sunny", {"daytime": ["day"]}]
    """
    found = export(doc)
    for tree in found.trees:
        if isinstance(tree.values, list):
            problem = _values_problem(tree, found.types_of(tree.name))
            if problem is not None:
                yield problem


def _values_problem(tree: Tree, types: set[str]) -> Hit | None:
    name, values = tree.name, tree.values
    if not values:
        return Hit(
            f"`{name}` has no value: DataGym writes `[null]` for an unanswered "
            "classification; answer it or write `[null]`",
            tree.pointer,
        )
    answers = [(i, v) for i, v in enumerate(values) if not isinstance(v, dict)]
    first_child = next((i for i, v in enumerate(values) if isinstance(v, dict)), len(values))
    late = next((i for i, _v in answers if i > first_child), None)
    if late is not None:
        return Hit(
            f"an answer of `{name}` follows a nested classification: write the answers "
            "first, then the `{child: [...]}` objects",
            join_pointer(tree.pointer, late),
        )
    if len(answers) > 1 and any(v is None for _i, v in answers):
        index = next(i for i, v in answers if v is None)
        return Hit(
            f"`{name}` has `null` beside answers: `null` means unanswered; remove it",
            join_pointer(tree.pointer, index),
        )
    if len(answers) > 1 and types and types <= set(SINGLE_ANSWER_TYPES):
        return Hit(
            f"`{name}` is {article(type_words(types))} classification with {len(answers)} "
            "answers: it takes one; keep one (or make the class a checklist)",
            join_pointer(tree.pointer, answers[1][0]),
        )
    empty = next((i for i, v in enumerate(values) if v == {}), None)
    if empty is not None:
        return Hit(
            f'empty nested object in `{name}`: write `{{"child": [...]}}` or remove it',
            join_pointer(tree.pointer, empty),
        )
    return None
