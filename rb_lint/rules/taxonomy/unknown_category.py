"""RB402 unknown-category."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import listed, task_references
from rb_lint.formats.taxonomy_index import Resolution, TaxonomyIndex, render_category, taxonomy_for
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

if TYPE_CHECKING:
    from rb_lint.io.edits import ReplaceValue


@rule("RB402", "unknown-category", Severity.ERROR, "A category is not in the taxonomy.", kinds=TASK_KINDS)
def unknown_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A category that the taxonomy does not define: a misspelled name, a path whose parents
    are wrong or missing, or a classId no object type has. The message suggests the closest name.
    Checked everywhere a category appears: `segmentMap` values (or their `category`), every label
    list, measurements, classifications, and consensus and super-truth series.

    Fix: unsafe — replaces a category name with the suggested one when exactly one category has
    that name (it changes what is uploaded: check that it is the category meant).

    Why: RedBrick requires that "the category must exist in your project's taxonomy", but
    nothing checks it before a NIfTI upload; the label arrives broken in the annotation tool.

    Failing:
        "segmentMap": {"1": "Gliomma"}
    Fixed:
        "segmentMap": {"1": "Glioma"}
    """
    index = taxonomy_for(ctx)
    if index is None:
        return
    for ref in task_references(doc, ctx).categories:
        if ref.resolution.status == "unknown":
            yield Hit(
                _message(index, ref.value, ref.resolution),
                ref.pointer(),
                key=ref.key(),
                fix=_to_suggestion(index, ref.pointer(), ref.value, ref.resolution),
            )


def _to_suggestion(index: TaxonomyIndex, pointer: str, value: Any, found: Resolution) -> ReplaceValue | None:
    """A name replaced by the suggested name, when that names exactly one category."""
    suggestion = found.suggestion
    if not isinstance(value, str) or suggestion is None or len(index.by_leaf.get(suggestion, [])) != 1:
        return None
    from rb_lint.io.edits import ReplaceValue  # fix plans: with a finding (start-up)

    return ReplaceValue(pointer, suggestion, safe=False)


def _message(index: TaxonomyIndex, value: Any, found: Resolution) -> str:
    source = index.source
    if isinstance(value, int):
        return (
            f"classId {value} is not in the taxonomy ({source}; its classIds are "
            f"{index.class_id_range()}): an integer category is a classId"
        )
    if isinstance(value, list) and not value:
        return "an empty category path names no category: write a name or a full path"
    kind = "category path" if isinstance(value, list) else "category"
    message = f"{kind} `{render_category(value)}` is not in the taxonomy ({source})"
    if found.suggestion:
        return f"{message}: did you mean `{found.suggestion}`?"
    names = index.leaf_names()
    return f"{message}; its categories include {listed(names)}" if names else message
