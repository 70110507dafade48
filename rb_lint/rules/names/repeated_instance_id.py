"""RB204 repeated-instance-id."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.names import series_groups
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB204",
    "repeated-instance-id",
    Severity.WARNING,
    "An instance id is used in several series of one task.",
    kinds=TASK_KINDS,
)
def repeated_instance_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: An instance id (a segmentMap key) is used in several series of one task. The format
    reference says instance ids must be unique across all series of a task.

    Why: Real exports reuse `"1"` in every series and the SDK filters per series since v2.19.8, so
    this is a warning: older SDKs and tools that merge a task's series will confuse the instances.

    Failing:
        "series": [{"segmentMap": {"1": "Liver"}, ...}, {"segmentMap": {"1": "Spleen"}, ...}]
    Fixed:
        "series": [{"segmentMap": {"1": "Liver"}, ...}, {"segmentMap": {"2": "Spleen"}, ...}]
    """
    for group in series_groups(doc):
        if len(group.series) < 2:
            continue  # ids are unique across a task's series: one series repeats nothing
        owner: dict[str, int] = {}
        for index, (pointer, series) in enumerate(group.series):
            for instance in walk.segment_map(series):
                if instance in owner and owner[instance] != index:
                    yield Hit(
                        f"instance id `{instance}` is also used in series {owner[instance]} "
                        "of this task: ids should be unique across a task's series",
                        join_pointer(pointer, "segmentMap", instance),
                        at="key",
                        key=f"instance:{group.owner_name}:{index}:{instance}",
                    )
                else:
                    owner.setdefault(instance, index)
