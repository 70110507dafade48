"""RB614 non-integer-coordinate."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import coordinate_objects, export
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB614",
    "non-integer-coordinate",
    Severity.WARNING,
    "A coordinate has a fractional part.",
    kinds=(DATAGYM,),
)
def non_integer_coordinate(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A coordinate has a fractional part. DataGym exports whole pixels (it truncates its
    internal values). Reported once per object, at its first fractional value.

    Why: A fractional coordinate means the file was written or edited by another tool, and code
    that indexes pixels with the values (or expects DataGym's integers) breaks or rounds
    differently.

    Failing:
        "person": [{"point": [{"x": 312.5, "y": 80}], "classifications": {}}]
    Fixed:
        "person": [{"point": [{"x": 312, "y": 80}], "classifications": {}}]
    """
    for geometry in export(doc).geometries:
        bad = [
            (path, key, value)
            for path, point in coordinate_objects(geometry.coords)
            for key, value in point.items()
            if type(value) is float and not value.is_integer() and math.isfinite(value)
        ]
        if bad:
            path, key, value = bad[0]
            more = f" ({len(bad)} fractional values in this object)" if len(bad) > 1 else ""
            yield Hit(
                f"coordinate {value} of this `{geometry.class_name}` geometry is not a whole "
                f"pixel{more}: DataGym exports integers; truncate the values as DataGym "
                "does",
                geometry.at(path, key),
            )
