"""RB552 consensus-file-index."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.export_folder import locations
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB552",
    "consensus-file-index",
    Severity.ERROR,
    "A consensus mask's `_<k>` is not an annotator of the task.",
    kinds=TASK_KINDS,
)
def consensus_file_index(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: In an export folder, a consensus annotator's mask (or per-instance folder) in its task's
    folder is named `<series>_<k>` with k = 0 or above the number of `consensusTasks` entries.
    Consensus exports name each annotator's mask `<series>_<k>.nii(.gz)`, k = 1 .. that number.

    Why: Such a k refers to an annotator the export does not have: the file was copied from another
    export, or annotators were removed from tasks.json without their masks, so the mask may hold
    another person's labels than the entry that names it.

    Failing:
        // two annotators
        "segmentations": "segmentations/Task_001/A_3.nii.gz"
    Fixed:
        "segmentations": "segmentations/Task_001/A_2.nii.gz"
    """
    for location in locations(doc):
        place, index = location.ref.place, location.index
        if location.spot not in ("series-file", "series-folder") or not place.is_annotator:
            continue
        if index is None or 1 <= index <= place.annotators:
            continue
        stem, count = place.stems[0], place.annotators
        yield Hit(
            f"`{location.ref.written}`: annotator index `_{index}` is outside 1..{count} "
            f"(the task has {count} annotators): consensus files are numbered "
            f"`{stem}_1` to `{stem}_{count}`; fix the index or the annotator entries",
            location.ref.pointer,
            key=f"index:{location.ref.pointer}",
        )
