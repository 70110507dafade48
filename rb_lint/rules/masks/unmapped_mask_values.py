"""RB305 unmapped-mask-values."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_series
from rb_lint.facts.masks import listed
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB305",
    "unmapped-mask-values",
    Severity.WARNING,
    "A mask holds values that segmentMap does not map.",
    kinds=TASK_KINDS,
)
def unmapped_mask_values(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A segmentation file holds non-zero values that are neither a `segmentMap` instance id nor
    an `overlappingGroups` group id. Not checked with `binaryMask: true`, where values do not
    matter (RB308 and RB309 cover those files).

    Why: Such values map to no taxonomy category: they upload as uneditable, view-only annotations
    (RedBrick's importing guide), so labels that were meant to be reviewed or corrected cannot be.

    Failing:
        seg.nii.gz holds 0, 1, 2, 4:
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen"}
    Fixed:
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen", "4": "Kidney"}
    """
    # The unmapped values of a file for a set of ids and groups: a list's series share the same
    # few files and the same few sets of ids (`SeriesMasks.instances` are shared), and the
    # document's objects live through the run (their ids are stable).
    unmapped: dict[tuple[int, int, int], list[int]] = {}
    for series, scanned in scanned_series(doc, ctx):
        if series.binary or not isinstance(series.series.get("segmentMap"), dict):
            continue
        instances, groups = series.instances, series.group_members  # looked up, not copied per series
        for mask in scanned:
            values = mask.result.values
            if values is None:
                continue
            known = (id(instances), id(groups), id(values))
            extra = unmapped.get(known)
            if extra is None:
                extra = unmapped[known] = [
                    v for v in values.present if v and v not in instances and v not in groups
                ]
            if extra:
                many = len(extra) > 1
                yield Hit(
                    f"`{mask.ref.written}` holds {'values' if many else 'value'} "
                    f"{listed(extra)} that `segmentMap` does not map: "
                    f"{'they upload' if many else 'it uploads'} as uneditable, view-only "
                    f"annotations; add {'them' if many else 'it'} to `segmentMap` or erase "
                    f"{'them' if many else 'it'} from the mask",
                    mask.ref.pointer,
                    key=series.key(mask.ref.written),
                )
