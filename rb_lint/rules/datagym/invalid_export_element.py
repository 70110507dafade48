"""RB600 invalid-export-element."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import article
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.common import json_type
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB600",
    "invalid-export-element",
    Severity.ERROR,
    "An export element is neither the leading `label_classes` object nor a task object.",
    kinds=(DATAGYM,),
)
def invalid_export_element(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A DataGym export is a JSON array: element 0 is `{"label_classes": [...]}`, every further
    element is one task object. Reported: an element 0 that is not the `label_classes` object, a
    string or number among the tasks, or a second `label_classes` object (two exports concatenated).

    Why: None of these is something DataGym writes, and readers that take element 0 as the
    configuration and the rest as tasks mis-read it.

    Failing:
        [{"label_classes": [...]}, {"internal_media_ID": "a1", ...}, {"label_classes": [...]}]
    Fixed:
        [{"label_classes": [...]}, {"internal_media_ID": "a1", ...}]
    """
    if not isinstance(doc.data, list):
        return
    for index, element in enumerate(doc.data):
        pointer = join_pointer("", index)
        if index == 0 and not (isinstance(element, dict) and "label_classes" in element):
            yield Hit(
                'element 0 of a DataGym export must be the `{"label_classes": [...]}` '
                "object: add it (the label configuration) before the tasks",
                pointer,
            )
        elif not isinstance(element, dict):
            yield Hit(
                f"element {index} is {article(json_type(element) or 'value')}, not a task object: remove it",
                pointer,
            )
        elif index > 0 and "label_classes" in element:
            yield Hit(
                f"element {index} is a second `label_classes` object (two exports joined?): "
                "an export has one, as element 0; split the file",
                pointer,
            )
