"""RB714 track-end-not-last."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import Label, index, labels, show_index, video
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB714",
    "track-end-not-last",
    Severity.WARNING,
    "A video track has `endTrack: true` on an annotation that is not its only end at its last frame.",
    kinds=TASK_KINDS,
)
def track_end_not_last(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The annotations of one track — the labels of one list of a series that share a non-empty
    `video.trackId` — have at most one `endTrack: true`, on the track's last frame (its largest
    `frameIndex`). Each other `endTrack: true` is reported: one before the track's last frame, or a
    second one on the last frame. Labels without a `trackId` or `frameIndex` are not checked.

    Why: `endTrack` marks the last annotation of a track: the platform stops interpolating the object
    there. An end followed by more annotations of the same track (or two ends) is contradictory:
    the platform and tracking metrics (MOTA, IDF1) either cut the track short or ignore the flag,
    and the object's frames between differ between tools. It usually comes from merging two tracks
    under one id, or from copying the flag with the annotation.

    Failing:
        {"video": {"trackId": "car-1", "frameIndex": 3, "endTrack": true}, ...},
        {"video": {"trackId": "car-1", "frameIndex": 9, "endTrack": true}, ...}
    Fixed:
        {"video": {"trackId": "car-1", "frameIndex": 3, "endTrack": false}, ...},
        {"video": {"trackId": "car-1", "frameIndex": 9, "endTrack": true}, ...}
    """
    tracks: dict[tuple[str, str, str], list[tuple[int, Label]]] = defaultdict(list)
    for label in labels(doc):
        meta = video(label)
        track, frame = meta.get("trackId"), index(meta.get("frameIndex"))
        if isinstance(track, str) and track and frame is not None:
            tracks[(label.series_pointer, label.kind, track)].append((frame, label))
    for (_series, _kind, track), members in tracks.items():
        last = max(frame for frame, _label in members)
        ended_at_last = False
        for frame, label in members:
            if video(label).get("endTrack") is not True:
                continue
            if frame == last and not ended_at_last:
                ended_at_last = True
                continue
            problem = (
                f"the track continues to frame {show_index(last)}"
                if frame < last
                else "another annotation of the track already ends it on that frame"
            )
            yield Hit(
                f"`endTrack` is true at frame {show_index(frame)} of track `{track}`, but {problem}: a "
                "track ends once, on its last frame; set `endTrack` to false here, or give the later "
                "annotations their own `trackId`",
                label.at("video", "endTrack"),
            )
