"""RB550–RB599: export folders — a `tasks.json` beside `segmentations/`, checked as a whole.

The exporter writes `segmentations/<task>/<series>.nii.gz` (standard),
`<task>/<series>/instance-<id>.nii.gz` (overlapping segmentations), `<task>/<series>/category-<n>.nii.gz`
(semantic, n = classId + 1 = the segmentMap key) and `<task>/<series>_<k>.nii(.gz)` (consensus,
k = annotator 1..n); task and series names are sanitised (`[^\\w.]+` → `-`, unnamed series are A,
B, ...). Paths in tasks.json are relative to the export folder. File names are compared exactly,
from directory listings, so the result is the same on case-insensitive file systems. A missing
file is RB301's business (mask scanning).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import maskpaths, walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

ERROR, WARNING = Severity.ERROR, Severity.WARNING
EXPORT_FILE = "tasks.json"
SEGMENTATIONS = "segmentations"
LAYOUT, INDEX, IDS = "RB551", "RB552", "RB553"
_PER_ID_FILE = re.compile(r"(instance|category)-(\d+)")


@dataclass(frozen=True)
class Place:
    """Where a series sits: its task, and whose series it is (the task's, an annotator's, the super
    truth's)."""

    task: dict[str, Any]
    folder: str  # the task's folder name under segmentations/
    annotators: int  # consensus annotators of the task (0 for other tasks)
    is_annotator: bool
    series_pointer: str
    series: walk.Series
    label: str  # the series' name, or its letter when unnamed
    stems: tuple[str, ...]  # the file names (without extension) the series exports to


@dataclass(frozen=True)
class Ref:
    place: Place
    pointer: str
    written: str
    path: Path | None  # resolved; None when remote
    entry: str | None  # the segmentMap key, for an entry's `mask`


@dataclass
class ExportFolder:
    root: Path
    refs: list[Ref]
    referenced: dict[str, str] = field(default_factory=dict)  # normalised path -> as written
    entry_masks: set[tuple[str, str]] = field(default_factory=set)  # (series pointer, path)
    task_folders: dict[str, str] = field(default_factory=dict)  # folder -> pointer of the task name

    def files(self) -> Iterator[Path]:
        """Every file under segmentations/ (hidden files such as .DS_Store excluded), sorted."""
        for current, dirs, names in os.walk(self.root / SEGMENTATIONS):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    yield Path(current) / name

    def relative(self, path: Path) -> str | None:
        try:
            return path.relative_to(_normalise(self.root)).as_posix()
        except ValueError:
            return None


def _normalise(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def export_folder(doc: Document) -> ExportFolder | None:
    """The export folder a document is the `tasks.json` of, or None."""
    return doc.memo(_export_folder, doc)


def _export_folder(doc: Document) -> ExportFolder | None:
    root = doc.directory
    is_export = doc.path.name == EXPORT_FILE and (root / SEGMENTATIONS).is_dir()
    return _build(doc, root) if is_export else None


def _build(doc: Document, root: Path) -> ExportFolder:
    folder = ExportFolder(root, list(_refs(doc, root)))
    for ref in folder.refs:
        if ref.path is not None:
            folder.referenced.setdefault(str(ref.path), ref.written)
            if ref.entry is not None:
                folder.entry_masks.add((ref.place.series_pointer, str(ref.path)))
    for pointer, task in walk.tasks(doc):
        name = task.get("name")
        if isinstance(name, str):
            folder.task_folders.setdefault(_task_folder(task), join_pointer(pointer, "name"))
    return folder


def _task_folder(task: dict[str, Any]) -> str:
    name, task_id = task.get("name"), task.get("taskId")
    stem = walk.export_file_stem(name) if isinstance(name, str) else ""
    return stem or (task_id if isinstance(task_id, str) else "")


def _refs(doc: Document, root: Path) -> Iterator[Ref]:
    for task_pointer, task in walk.tasks(doc):
        entries = task.get("consensusTasks")
        annotators = sum(isinstance(e, dict) for e in entries) if isinstance(entries, list) else 0
        folder = _task_folder(task)
        annotator_prefix = join_pointer(task_pointer, "consensusTasks") + "/"
        for owner, group in walk.series_groups(task_pointer, task):
            is_annotator = owner.startswith(annotator_prefix)
            for index, (pointer, series) in enumerate(group):
                place = Place(task, folder, annotators, is_annotator, pointer, series,
                              walk.series_export_name(series, index),
                              _stems(series, index, len(group), folder))
                yield from _series_refs(doc, root, place)


def _stems(series: walk.Series, index: int, count: int, folder: str) -> tuple[str, ...]:
    stem = walk.export_file_stem(walk.series_export_name(series, index))
    unnamed_single = count == 1 and not series.get("name")
    # Older SDKs named a task's single unnamed series after the task.
    return (stem, folder) if unnamed_single and folder and folder != stem else (stem,)


def _series_refs(doc: Document, root: Path, place: Place) -> Iterator[Ref]:
    raw = place.series.get("segmentations")
    for index, written in enumerate(walk.as_list(raw)):
        if isinstance(written, str) and written:
            pointer = walk.element_pointer(place.series_pointer, "segmentations", raw, index)
            yield _ref(doc, root, place, pointer, written, None)
    for instance, entry in walk.segment_map(place.series).items():
        mask = entry.get("mask") if isinstance(entry, dict) else None
        if isinstance(mask, str) and mask:
            pointer = join_pointer(place.series_pointer, "segmentMap", instance, "mask")
            yield _ref(doc, root, place, pointer, mask, instance)


def _ref(doc: Document, root: Path, place: Place, pointer: str, written: str,
         entry: str | None) -> Ref:
    _where, path, _escapes = maskpaths.resolve(doc, written, root)
    return Ref(place, pointer, written, path, entry)


def _nifti_stem(name: str) -> str | None:
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


@rule("RB550", "orphan-segmentation-file", WARNING,
      "A file under `segmentations/` that tasks.json does not reference.", kinds=TASK_KINDS)
def orphan_segmentation_file(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    In an export folder (`tasks.json` beside `segmentations/`), a file under `segmentations/`
    that no `segmentations` path or segmentMap `mask` of tasks.json names. Such a file is invisible
    to anything that reads the export through tasks.json: it is left over from an earlier export,
    belongs to a deleted task, or is the file a path meant but spelled differently (names are
    compared exactly, so `a.nii.gz` does not serve `A.nii.gz`, even on macOS and Windows).
    The aggregated `<series>.nii.gz` the exporter writes beside an overlapping series' folder is
    not an orphan. The finding is in tasks.json, at the `name` of the task whose folder holds the
    file (at the top-level array when no task owns the folder), and names the file.

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
    for file in folder.files():
        path = _normalise(file)
        if str(path) in folder.referenced or _is_aggregate(path, parents):
            continue
        relative = folder.relative(path) or path.as_posix()
        parts = relative.split("/")
        pointer = folder.task_folders.get(parts[1], "") if len(parts) > 2 else ""
        near = by_lower.get(str(path).lower())
        hint = (f"; tasks.json names `{near}`, which differs only in case (file names are "
                "case-sensitive on Linux): rename the file or fix the path") if near else (
                "; delete it, or add it to its series' `segmentations`")
        yield Hit(f"`{relative}` is in the export folder but no path in tasks.json names it{hint}",
                  pointer, key=f"orphan:{relative}")


def _is_aggregate(path: Path, referenced_dirs: set[str]) -> bool:
    """`<series>.nii.gz` beside a `<series>/` folder of referenced per-instance files."""
    stem = _nifti_stem(path.name)
    return stem is not None and str(path.parent / stem) in referenced_dirs


# --- Layout ------------------------------------------------------------------------------------


def _layout_hits(doc: Document) -> list[tuple[str, Hit]]:
    """At most one layout finding per path, computed once for RB551–RB553."""
    return doc.memo(_find_layout_hits, doc)


def _find_layout_hits(doc: Document) -> list[tuple[str, Hit]]:
    folder = export_folder(doc)
    return [] if folder is None else [
        found for ref in folder.refs if (found := _check(folder, ref)) is not None
    ]


def _check(folder: ExportFolder, ref: Ref) -> tuple[str, Hit] | None:
    if ref.path is None:
        return None  # remote: not part of the folder
    place = ref.place
    relative = folder.relative(ref.path)
    parts = relative.split("/") if relative is not None else []
    task_dir = f"{SEGMENTATIONS}/{place.folder}/"
    if len(parts) < 3 or parts[0] != SEGMENTATIONS:
        return _layout(ref, f"`{ref.written}` is not in a task folder under `{SEGMENTATIONS}/`: the "
                            f"export writes this task's masks to `{task_dir}`")
    if parts[1] != place.folder:
        task = place.task.get("name") or place.folder
        return _layout(ref, f"`{ref.written}` is in folder `{parts[1]}/`, but the exporter writes "
                            f"task `{task}` to `{task_dir}` (the task name with every run of "
                            "characters other than letters, digits, `_` and `.` replaced by `-`)")
    rest = parts[2:]
    if _nifti_stem(rest[-1]) is None:
        return None  # PNG and other exports: no documented layout
    if len(rest) == 1:
        return _check_file(ref, rest[0])
    if len(rest) == 2:
        # A file that an entry's `mask` names is checked against that entry, once.
        named_by_entry = (place.series_pointer, str(ref.path)) in folder.entry_masks
        return _check_per_id(ref, rest[0], rest[1], check_ids=ref.entry is not None or not named_by_entry)
    return _layout(ref, f"`{ref.written}` is nested too deep: masks are `{task_dir}<series>.nii.gz` "
                        "or one folder below (`<series>/instance-<id>.nii.gz`)")


def _layout(ref: Ref, message: str) -> tuple[str, Hit]:
    return LAYOUT, Hit(message, ref.pointer, key=f"layout:{ref.pointer}")


def _consensus_index(name: str, stems: tuple[str, ...]) -> int | None:
    for stem in stems:
        match = re.fullmatch(re.escape(stem) + r"_(\d+)", name)
        if match:
            return int(match.group(1))
    return None


def _check_series_name(ref: Ref, name: str, what: str) -> tuple[str, Hit] | None:
    """`name` is a file stem or folder that must name this series (with `_k` for annotators)."""
    place = ref.place
    stem = place.stems[0]
    index = _consensus_index(name, place.stems)
    if place.is_annotator:
        if index is not None:
            if 1 <= index <= place.annotators:
                return None
            return INDEX, Hit(
                f"`{ref.written}`: annotator index `_{index}` is outside 1..{place.annotators} "
                f"(the task has {place.annotators} annotators): consensus files are numbered "
                f"`{stem}_1` to `{stem}_{place.annotators}`; fix the index or the annotator "
                "entries", ref.pointer, key=f"index:{ref.pointer}")
        return _layout(ref, f"`{ref.written}`: an annotator's {what} is `{stem}_<k>` (k = 1.."
                            f"{place.annotators}) in a consensus export, not `{name}`")
    if name in place.stems:
        return None
    return _layout(ref, f"`{ref.written}`: the {what} of series `{place.label}` is `{stem}` in the "
                        f"export layout, not `{name}`; rename the file or fix the path")


def _check_file(ref: Ref, file_name: str) -> tuple[str, Hit] | None:
    name = _nifti_stem(file_name) or file_name
    return _check_series_name(ref, name, "file name")


def _check_per_id(ref: Ref, folder_name: str, file_name: str,
                  check_ids: bool) -> tuple[str, Hit] | None:
    wrong_folder = _check_series_name(ref, folder_name, "folder")
    if wrong_folder is not None:
        return wrong_folder
    name = _nifti_stem(file_name) or file_name
    match = _PER_ID_FILE.fullmatch(name)
    if match is None:
        return _layout(ref, f"`{ref.written}`: files in a series folder are "
                            "`instance-<id>.nii.gz` (overlapping segmentations) or "
                            "`category-<n>.nii.gz` (semantic export)")
    kind, number = match.group(1), int(match.group(2))
    if not check_ids:
        return None
    keys = {int(k) for k in walk.segment_map(ref.place.series) if k.isdigit()}
    if ref.entry is not None and ref.entry.isdigit() and int(ref.entry) != number:
        return IDS, Hit(f"segmentMap entry `{ref.entry}` names `{file_name}`: the exporter writes "
                        f"entry `{ref.entry}`'s mask as `{kind}-{ref.entry}`; the file belongs to "
                        f"another entry", ref.pointer, key=f"ids:{ref.pointer}")
    if keys and number not in keys:
        meaning = ("the segmentMap key is the instance id" if kind == "instance" else
                   "semantic exports key segmentMap by classId + 1")
        return IDS, Hit(f"`{ref.written}` is {kind} {number}, but the series' segmentMap has no "
                        f"key `{number}` ({meaning}): the file's voxels map to no category; fix "
                        "the file name or add the entry", ref.pointer, key=f"ids:{ref.pointer}")
    return None


def _hits(doc: Document, code: str) -> Iterator[Hit]:
    for found, hit in _layout_hits(doc):
        if found == code:
            yield hit


@rule(LAYOUT, "export-path-layout", WARNING,
      "A segmentation path in an export folder does not follow the exporter's layout.",
      kinds=TASK_KINDS)
def export_path_layout(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    In an export folder, a segmentation path of tasks.json that is not where the exporter puts
    that series' mask: `segmentations/<task>/<series>.nii.gz`, `<task>/<series>/instance-<id>.nii.gz`
    (overlapping), `<task>/<series>/category-<n>.nii.gz` (semantic) or `<task>/<series>_<k>.nii.gz`
    (consensus annotator k). Task and series names are sanitised as the exporter does (every run
    of characters other than letters, digits, `_` and `.` becomes `-`; unnamed series are A, B,
    ...; a single unnamed series may also carry the task's name, as older SDKs wrote). A path off
    the layout usually means the folder was reorganised by hand and tasks.json was not, or the
    wrong task's mask was linked. `.nii` and `.nii.gz` are both accepted; other formats (PNG) have
    no documented layout and are not checked.

    Failing (task "Patient 7", unnamed series):
        "segmentations": "segmentations/patient7/A.nii.gz"
    Fixed:
        "segmentations": "segmentations/Patient-7/A.nii.gz"
    """
    yield from _hits(doc, LAYOUT)


@rule(INDEX, "consensus-file-index", ERROR,
      "A consensus mask's `_<k>` is not an annotator of the task.", kinds=TASK_KINDS)
def consensus_file_index(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Consensus exports name each annotator's mask `<series>_<k>.nii(.gz)`, k = 1 .. the number of
    `consensusTasks` entries. A k of 0 or above that count refers to an annotator the export does
    not have: the file was copied from another export, or annotators were removed from tasks.json
    without their masks.

    Failing (two annotators):
        "segmentations": "segmentations/Task_001/A_3.nii.gz"
    Fixed:
        "segmentations": "segmentations/Task_001/A_2.nii.gz"
    """
    yield from _hits(doc, INDEX)


@rule(IDS, "mask-file-id-mismatch", ERROR,
      "An `instance-<id>`/`category-<n>` file matches no segmentMap key.", kinds=TASK_KINDS)
def mask_file_id_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Overlapping-segmentation exports write one file per instance, `instance-<id>.nii.gz`, and
    semantic ones one per category, `category-<n>.nii.gz` with n = classId + 1; in both, the
    number is the series' segmentMap key. A number with no key means the file's voxels belong to
    no category (and the key's own file is elsewhere); a segmentMap entry whose `mask` is another
    id's file swaps two instances. (No taxonomy is needed: the key itself is classId + 1.)

    Failing:
        "segmentations": ["segmentations/T1/A/instance-3.nii.gz"], "segmentMap": {"1": "Liver"}
    Fixed:
        "segmentations": ["segmentations/T1/A/instance-1.nii.gz"], "segmentMap": {"1": "Liver"}
    """
    yield from _hits(doc, IDS)


RULES = [orphan_segmentation_file, export_path_layout, consensus_file_index, mask_file_id_mismatch]
