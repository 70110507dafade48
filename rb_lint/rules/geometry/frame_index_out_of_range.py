"""RB711 frame-index-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import index, labels, show_index, video
from rb_lint.facts.grid import series_frames
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB711",
    "frame-index-out-of-range",
    Severity.ERROR,
    "A label's `video.frameIndex` is negative or beyond the series' frames (or slices).",
    kinds=TASK_KINDS,
)
def frame_index_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A label's `video.frameIndex` — the frame of a video, the slice of a volume, counted from 0 —
    is not negative and is less than the series' number of frames: `imageHeaders.totalFrames`, else
    the number of `items` when each item is one frame or one instance (a list of images or of DICOM
    files, or a single 2-D image), else the slice count of the series' local NIfTI image. When none
    of these is known (a single video or DICOM file without `imageHeaders`, remote images) only
    negative indices are reported.

    Why: The platform places the label on that frame; a frame the series does not have means the
    label was made for another video or volume (or counted from 1), and the platform cannot show it.
    Frame-by-frame exports and tracking metrics silently drop or misplace it.

    Failing:
        (a series of 12 frames)
        "boundingBoxes": [{..., "video": {"frameIndex": 12, "trackId": "car-1"}}]
    Fixed:
        "boundingBoxes": [{..., "video": {"frameIndex": 11, "trackId": "car-1"}}]
    """
    for label in labels(doc):
        frame = index(video(label).get("frameIndex"))
        if frame is None:
            continue
        pointer = label.at("video", "frameIndex")
        if frame < 0:
            yield Hit(
                f"`frameIndex` = {show_index(frame)} is negative: frames are counted from 0; use the "
                f"index of the frame (or slice) this {label.noun} is on",
                pointer,
            )
            continue
        frames = series_frames(doc, ctx, label.series_pointer)
        if frames is not None and frame >= frames.count:
            yield Hit(
                f"`frameIndex` = {show_index(frame)} is beyond the series' {frames.count} frame"
                f"{'s' if frames.count != 1 else ''} (from {frames.source}; indices 0 to "
                f"{frames.count - 1}): the {label.noun} belongs to another series, or its frames were "
                "counted from 1",
                pointer,
            )
