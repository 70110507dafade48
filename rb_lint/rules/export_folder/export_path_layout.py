"""RB551 export-path-layout."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.export_folder import SEGMENTATIONS, Location, locations
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB551",
    "export-path-layout",
    Severity.WARNING,
    "A segmentation path in an export folder does not follow the exporter's layout.",
    kinds=TASK_KINDS,
)
def export_path_layout(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: In an export folder, a segmentation path of tasks.json that is not where the exporter puts
    that series' mask: `segmentations/<task>/<series>.nii.gz`, `<task>/<series>/instance-<id>.nii.gz`
    (overlapping), `<task>/<series>/category-<n>.nii.gz` (semantic) or `<task>/<series>_<k>.nii.gz`
    (consensus annotator k). Task and series names are sanitised as the exporter of redbrick-sdk
    2.35.4 does (every run of characters other than letters, digits, whitespace and
    `_ . # @ + ( ) , = [ ] { } ! ~ -` becomes `-`, trailing spaces and dots go, Windows device names
    get a `_` prefix; a task whose name sanitises to nothing is its taskId; unnamed series are A, B,
    ...). Folders written by older SDKs (which replaced every run of characters other than letters,
    digits, `_` and `.`, and may name a single unnamed series after the task) are accepted too.
    `.nii` and `.nii.gz` are both accepted; other formats (PNG) have no documented layout and are
    not checked. An annotator index out of range is RB552's; a wrong id in a well-placed file
    RB553's.

    Why: A path off the layout usually means the folder was reorganised by hand and tasks.json was
    not, or the wrong task's mask was linked: tools that locate masks by the exporter's layout (and
    re-imports of the folder) pair them with the wrong task or series, or miss them.

    Failing:
        // task "Patient 7", unnamed series
        "segmentations": "segmentations/patient7/A.nii.gz"
    Fixed:
        "segmentations": "segmentations/Patient-7/A.nii.gz"
    """
    for location in locations(doc):
        message = _off_layout(location)
        if message is not None:
            pointer = location.ref.pointer
            yield Hit(message, pointer, key=f"layout:{pointer}")


def _off_layout(location: Location) -> str | None:
    """What is off the layout about the path, or None (a layout this rule does not judge included)."""
    ref, place = location.ref, location.ref.place
    task_dir = f"{SEGMENTATIONS}/{place.folder}/"
    if location.spot == "outside":
        return (
            f"`{ref.written}` is not in a task folder under `{SEGMENTATIONS}/`: the "
            f"export writes this task's masks to `{task_dir}`"
        )
    if location.spot == "other-task":
        task = place.task.get("name") or place.folder
        return (
            f"`{ref.written}` is in folder `{location.task_folder}/`, but the exporter writes "
            f"task `{task}` to `{task_dir}` (the task name with every run of characters other than "
            "letters, digits, whitespace and `_.#@+(),=[]{}!~-` replaced by `-`, trailing spaces and "
            "dots removed)"
        )
    if location.spot == "too-deep":
        return (
            f"`{ref.written}` is nested too deep: masks are `{task_dir}<series>.nii.gz` "
            "or one folder below (`<series>/instance-<id>.nii.gz`)"
        )
    if location.spot == "other-format":
        return None  # PNG and other exports: no documented layout
    what = "file name" if location.spot == "series-file" else "folder"
    stem = place.stems[0]
    if not location.names_series:
        if not place.is_annotator:
            return (
                f"`{ref.written}`: the {what} of series `{place.label}` is `{stem}` in the "
                f"export layout, not `{location.series_part}`; rename the file or fix the path"
            )
        if location.index is None:
            return (
                f"`{ref.written}`: an annotator's {what} is `{stem}_<k>` (k = 1.."
                f"{place.annotators}) in a consensus export, not `{location.series_part}`"
            )
        return None  # `_<k>` beyond the annotators: RB552
    if location.spot == "series-folder" and location.per_id is None:
        return (
            f"`{ref.written}`: files in a series folder are "
            "`instance-<id>.nii.gz` (overlapping segmentations) or "
            "`category-<n>.nii.gz` (semantic export)"
        )
    return None
