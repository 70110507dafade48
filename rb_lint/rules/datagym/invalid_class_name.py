"""RB602 invalid-class-name."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import label_class_entries
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.datagym import CLASS_NAME_PATTERN
from rb_lint.models.kinds import DATAGYM

_CLASS_NAME = re.compile(CLASS_NAME_PATTERN)
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_ -]")


@rule(
    "RB602",
    "invalid-class-name",
    Severity.ERROR,
    "A class name must be 1-56 characters of letters, digits, `_`, `-` and space.",
    kinds=(DATAGYM,),
)
def invalid_class_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: DataGym export keys (`class_name`) are 1 to 56 characters of `a-z`, `A-Z`, `0-9`, `_`,
    `-` and space. Reported: an empty name, a longer one, or one with any other character.

    Why: DataGym's label configuration rejects anything else, and the database column holds 56
    characters. A name outside that set was not written by DataGym, and it will not import back.

    Failing:
        {"class_name": "voiture/légère", "geometry_type": "polygon"}
    Fixed:
        {"class_name": "voiture_legere", "geometry_type": "polygon"}
    """
    for item in label_class_entries(doc):
        name = item.entry.get("class_name")
        if not isinstance(name, str) or _CLASS_NAME.match(name):
            continue
        if not name:
            problem = "is empty"
        elif len(name) > 56:
            problem = f"has {len(name)} characters (at most 56)"
        else:
            bad = ", ".join(f"`{c}`" for c in dict.fromkeys(_INVALID_NAME_CHARS.findall(name)))
            problem = f"contains {bad}"
        yield Hit(
            f"class name `{name}` {problem}: DataGym class names are 1-56 characters of "
            "letters, digits, `_`, `-` and space; rename the class (and its label keys)",
            join_pointer(item.pointer, "class_name"),
        )
