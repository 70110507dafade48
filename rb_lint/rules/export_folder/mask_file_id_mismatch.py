"""RB553 mask-file-id-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.export_folder import export_folder, locations
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.models.common import instance_id
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB553",
    "mask-file-id-mismatch",
    Severity.ERROR,
    "An `instance-<id>`/`category-<n>` file matches no segmentMap key.",
    kinds=TASK_KINDS,
)
def mask_file_id_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Overlapping-segmentation exports write one file per instance, `instance-<id>.nii.gz`, and
    semantic ones one per category, `category-<n>.nii.gz` with n = classId + 1; in both, the number
    is the series' segmentMap key, written as is. Reported: a file in its series' folder whose
    number is no key of a segmentMap that has instance ids, and a segmentMap entry whose `mask` is
    another entry's file. A file that an entry's `mask` names is checked against that entry only; an
    entry whose key is no instance id (`"²"`, `"007"`: RB114) is not checked against its `mask`.
    (No taxonomy is needed: the key itself is classId + 1.)

    Why: A number with no key means the file's voxels belong to no category (and the key's own file
    is elsewhere); a `mask` naming another id's file swaps two instances' labels in every tool that
    reads the export.

    Failing:
        "segmentations": ["segmentations/T1/A/instance-3.nii.gz"], "segmentMap": {"1": "Liver"}
    Fixed:
        "segmentations": ["segmentations/T1/A/instance-1.nii.gz"], "segmentMap": {"1": "Liver"}
    """
    folder = export_folder(doc)
    if folder is None:
        return
    for location in locations(doc):
        ref, per_id = location.ref, location.per_id
        if location.spot != "series-folder" or not location.names_series or per_id is None:
            continue  # not a per-id file where its series' files go: RB551 or RB552
        if ref.entry is None and (ref.place.series_pointer, str(ref.path)) in folder.entry_masks:
            continue  # a segmentMap entry's `mask` names it too: checked against that entry
        keys = walk.segment_map(ref.place.series).keys()
        if ref.entry is not None and instance_id(ref.entry) is not None and per_id.number != ref.entry:
            yield Hit(
                f"segmentMap entry `{ref.entry}` names `{location.parts[-1]}`: the exporter writes "
                f"entry `{ref.entry}`'s mask as `{per_id.kind}-{ref.entry}`; the file belongs to "
                "another entry",
                ref.pointer,
                key=f"ids:{ref.pointer}",
            )
        elif per_id.number not in keys and any(instance_id(key) is not None for key in keys):
            meaning = (
                "the segmentMap key is the instance id"
                if per_id.kind == "instance"
                else "semantic exports key segmentMap by classId + 1"
            )
            yield Hit(
                f"`{ref.written}` is {per_id.kind} {per_id.number}, but the series' segmentMap has no "
                f"key `{per_id.number}` ({meaning}): the file's voxels map to no category; fix "
                "the file name or add the entry",
                ref.pointer,
                key=f"ids:{ref.pointer}",
            )
