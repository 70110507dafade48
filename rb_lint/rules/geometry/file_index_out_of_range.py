"""RB712 file-index-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import index, show_index
from rb_lint.facts.grid import series_frames
from rb_lint.facts.structure import series_census
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB712",
    "file-index-out-of-range",
    Severity.ERROR,
    "An instance classification's `fileIndex` is negative or beyond the series' frames or instances.",
    kinds=TASK_KINDS,
)
def file_index_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Each `instanceClassifications[].fileIndex` — the frame of a video, the slice (instance) of
    a volume, counted from 0 — is not negative and is less than the series' number of frames:
    `imageHeaders.totalFrames`, else the number of `items` when each item is one frame or instance
    (images, DICOM files), else the slice count of the series' local NIfTI image. When none is known
    only negative indices are reported.

    Why: The platform attaches the classification to that frame or instance, and the exporter names
    it with `items[fileIndex]`; an index the series does not have classifies nothing (the SDK exports
    an empty `fileName` for it) and the answer is lost. It usually means the classifications were
    written for another series or counted from 1.

    Failing:
        (a series of 3 DICOM instances)
        "instanceClassifications": [{"fileIndex": 3, "values": {"Artifact": true}}]
    Fixed:
        "instanceClassifications": [{"fileIndex": 2, "values": {"Artifact": true}}]
    """
    for series_pointer, series in series_census(doc).instance_classified:
        entries = series.get("instanceClassifications")
        for number, entry in enumerate(entries if isinstance(entries, list) else []):
            found = index(entry.get("fileIndex")) if isinstance(entry, dict) else None
            if found is None:
                continue
            pointer = join_pointer(series_pointer, "instanceClassifications", number, "fileIndex")
            if found < 0:
                yield Hit(
                    f"`fileIndex` = {show_index(found)} is negative: frames and instances are counted "
                    "from 0; use the index of the frame or instance this classification is for",
                    pointer,
                )
                continue
            frames = series_frames(doc, ctx, series_pointer)
            if frames is not None and found >= frames.count:
                yield Hit(
                    f"`fileIndex` = {show_index(found)} is beyond the series' {frames.count} frame"
                    f"{'s' if frames.count != 1 else ''} or instances (from {frames.source}; indices 0 "
                    f"to {frames.count - 1}): it classifies nothing; it belongs to another series, or "
                    "was counted from 1",
                    pointer,
                )
