"""RB202 duplicate-series-name."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.names import series_groups
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB202",
    "duplicate-series-name",
    Severity.ERROR,
    "Series names must be unique within a task.",
    kinds=TASK_KINDS,
)
def duplicate_series_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two series of one task share a `name`.

    Why: Series are shown and exported by name (`segmentations/<task>/<series>.nii.gz`), so one
    series' masks overwrite the other's.

    Failing:
        "series": [{"name": "T1", "items": "t1.nii.gz"}, {"name": "T1", "items": "t1c.nii.gz"}]
    Fixed:
        "series": [{"name": "T1", "items": "t1.nii.gz"}, {"name": "T1c", "items": "t1c.nii.gz"}]
    """
    for group in series_groups(doc):
        if len(group.series) < 2:
            continue  # nothing to repeat
        seen: dict[str, int] = {}
        for index, (pointer, series) in enumerate(group.series):
            name = series.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                yield Hit(
                    f"series name `{name}` repeats series {seen[name]} of this task: "
                    "exports are named after the series, so one overwrites the other; "
                    "rename it",
                    join_pointer(pointer, "name"),
                    key=f"series:{group.owner_name}:{name}",
                )
            else:
                seen[name] = index
