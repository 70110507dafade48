"""RB550 orphan-segmentation-file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.export_folder import export_folder, nifti_stem, normalise
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB550",
    "orphan-segmentation-file",
    Severity.WARNING,
    "A file under `segmentations/` that tasks.json does not reference.",
    kinds=TASK_KINDS,
)
def orphan_segmentation_file(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: In an export folder (`tasks.json` beside `segmentations/`), a file under `segmentations/`
    that no `segmentations` path or segmentMap `mask` of tasks.json names. Names are compared
    exactly, so `a.nii.gz` does not serve `A.nii.gz`, even on macOS and Windows. The aggregated
    `<series>.nii.gz` the exporter writes beside an overlapping series' folder is not an orphan. The
    finding is in tasks.json, at the `name` of the task whose folder holds the file (at the
    top-level array when no task owns the folder), and names the file. (A path of tasks.json with
    no file is RB301's.)

    Why: Such a file is invisible to anything that reads the export through tasks.json (the SDK's
    upload, training pipelines): it is left over from an earlier export, belongs to a deleted task,
    or is the file a path meant but spelled differently, and its labels are silently lost.

    Failing:
        tasks.json: "segmentations": "segmentations/Task_001/A.nii.gz"
        on disk:    segmentations/Task_001/a.nii.gz
    Fixed:
        on disk:    segmentations/Task_001/A.nii.gz
    """
    folder = export_folder(doc)
    if folder is None:
        return
    by_lower = {path.lower(): written for path, written in folder.referenced.items()}
    parents = {str(parent) for path in folder.referenced for parent in Path(path).parents}
    for file in folder.files(ctx.root if ctx.options.confine else None):
        path = normalise(file)
        if str(path) in folder.referenced or _is_aggregate(path, parents):
            continue
        relative = folder.relative(path) or path.as_posix()
        parts = relative.split("/")
        pointer = folder.task_folders.get(parts[1], "") if len(parts) > 2 else ""
        near = by_lower.get(str(path).lower())
        hint = (
            (
                f"; tasks.json names `{near}`, which differs only in case (file names are "
                "case-sensitive on Linux): rename the file or fix the path"
            )
            if near
            else "; delete it, or add it to its series' `segmentations`"
        )
        yield Hit(
            f"`{relative}` is in the export folder but no path in tasks.json names it{hint}",
            pointer,
            key=f"orphan:{relative}",
        )


def _is_aggregate(path: Path, referenced_dirs: set[str]) -> bool:
    """`<series>.nii.gz` beside a `<series>/` folder of referenced per-instance files."""
    stem = nifti_stem(path.name)
    return stem is not None and str(path.parent / stem) in referenced_dirs
