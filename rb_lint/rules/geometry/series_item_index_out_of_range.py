"""RB713 series-item-index-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.geometry import index, labels, show_index, video
from rb_lint.facts.grid import item_count
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB713",
    "series-item-index-out-of-range",
    Severity.ERROR,
    "A label's `video.seriesItemIndex` names no entry of the series' `items`.",
    kinds=TASK_KINDS,
)
def series_item_index_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A label's `video.seriesItemIndex` — the index of the file in the series' `items` the label
    is on, counted from 0 — is not negative and is less than the number of `items` (a single string
    is one item).

    Why: The SDK resolves `seriesItemIndex` against `items` (the file of a multi-file series, with
    `seriesFrameIndex` the frame inside it); an index past the list points at no file, so the label
    cannot be placed, and readers that index `items` with it fail. It usually means the label was
    moved from a series with more files, or the index was counted from 1.

    Failing:
        "items": ["a.dcm", "b.dcm"], "landmarks": [{..., "video": {"seriesItemIndex": 2}}]
    Fixed:
        "items": ["a.dcm", "b.dcm"], "landmarks": [{..., "video": {"seriesItemIndex": 1}}]
    """
    for label in labels(doc):
        found = index(video(label).get("seriesItemIndex"))
        if found is None:
            continue
        count = item_count(doc, label.series_pointer)
        if found >= 0 and (count is None or found < count):
            continue
        where = "negative" if found < 0 else f"beyond the series' {count} item{'s' if count != 1 else ''}"
        yield Hit(
            f"`seriesItemIndex` = {show_index(found)} is {where}: it is the index of this "
            f"{label.noun}'s file in `items`, counted from 0; point it at the right file",
            label.at("video", "seriesItemIndex"),
        )
