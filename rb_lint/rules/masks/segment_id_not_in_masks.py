"""RB304 segment-id-not-in-masks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import ScannedMask, content_identity, scan_result, scanned_series
from rb_lint.facts.masks import SeriesMasks, listed
from rb_lint.formats.maskpaths import MaskRef
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB304",
    "segment-id-not-in-masks",
    Severity.ERROR,
    "A segmentMap instance id appears in none of the series' mask files.",
    kinds=TASK_KINDS,
)
def segment_id_not_in_masks(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A `segmentMap` key is an instance id: the voxel value that marks the instance in the
    masks. This rule reports an id whose value is in none of the series' segmentation files; with
    `binaryMask: true`, an id whose own `mask` file holds no non-zero voxel. An id reached through
    an `overlappingGroups` group value counts as present. The finding is at the key and lists what
    the files hold. Checked only when every file of the series is local and was read completely.

    Fix: unsafe — removes the entry (the SDK's `--prune-segmentations`, JSON side; masks untouched).

    Why: Such an id maps a category to nothing: the annotation is missing after upload, silently
    (the SDK only compares ids and values with `--label-validate`, which is off by default).

    Failing:
        seg.nii.gz holds 0, 1, 2:
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen", "3": "Kidney"}
    Fixed:
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen"}
    """
    judged: set[tuple[int, ...]] = set()  # `content_identity` of series found whole
    for series, held in scanned_series(doc, ctx):
        if not series.instances:
            continue
        if series.binary:
            yield from _empty_binary_instances(ctx, series)
            continue
        if (known := content_identity(series, held)) in judged:
            continue
        scanned = _complete(series, held)
        present = {v for mask in scanned or () if mask.result.values for v in mask.result.values.present}
        for group, members in series.group_members.items():  # empty, and known so, without groups
            if group in present:
                present |= members
        if scanned is None or present.issuperset(series.instances):
            judged.add(known)
            continue  # the common case: every id is there (nothing to describe)
        holdings = "; ".join(
            f"`{mask.ref.written}` holds {listed(mask.result.values.present if mask.result.values else [])}"
            for mask in scanned
        )
        files = "file" if len(scanned) == 1 else "files"
        for instance, key in series.instances.items():
            if instance not in present:
                from rb_lint.io.edits import RemoveMember  # fix plans: with a finding (start-up)

                entry = join_pointer(series.pointer, "segmentMap", key)
                yield Hit(
                    f"instance id `{key}` (`{_category(series.segment_map[key])}`) is in none of the series' "
                    f"segmentation {files} ({holdings}): the category gets no annotation; "
                    "remove the entry or fix the mask",
                    entry,
                    at="key",
                    key=series.key(f"id {key}"),
                    fix=RemoveMember(entry),
                )


def _complete(series: SeriesMasks, scanned: Sequence[ScannedMask]) -> Sequence[ScannedMask] | None:
    """Every file of the series with its result, or None unless every one was read completely."""
    if not scanned or len(scanned) != len(series.refs):
        return None
    if any(not mask.result.complete or mask.result.values is None for mask in scanned):
        return None
    return scanned


def _empty_binary_instances(ctx: Context, series: SeriesMasks) -> Iterator[Hit]:
    by_string = {ref.written: ref for ref in series.refs}
    for entry in series.entries:
        empty = [_empty(ctx, by_string.get(mask.written)) for mask in entry.masks]
        if empty and all(empty):  # every file of the instance read completely, none holding a voxel
            written = ", ".join(f"`{mask.written}`" for mask in entry.masks)
            its = f"its mask {written} holds" if len(empty) == 1 else f"its masks {written} hold"
            yield Hit(
                f"instance id `{entry.key}` (`{_category(entry.value)}`): {its} no non-zero "
                "voxel, so the instance is empty and the platform skips it; remove the entry "
                "or fix the mask",
                join_pointer(series.pointer, "segmentMap", entry.key),
                at="key",
                key=series.key(f"id {entry.key}"),
            )


def _empty(ctx: Context, ref: MaskRef | None) -> bool:
    """The file was read completely and holds no non-zero voxel."""
    result = None if ref is None else scan_result(ctx, ref)
    if result is None or not result.complete or result.values is None:
        return False
    return not result.values.nonzero and not result.values.non_integral


def _category(entry: Any) -> str:
    if isinstance(entry, dict):
        entry = entry.get("category")
    return " > ".join(str(part) for part in entry) if isinstance(entry, list) else str(entry)
