"""Export folders — a `tasks.json` beside `segmentations/` — as the RB55x rules see them: the files
under `segmentations/`, the paths of tasks.json that reference them, and where each referenced file
sits in the exporter's layout (extraction only: the rules judge).

The exporter writes `segmentations/<task>/<series>.nii.gz` (standard),
`<task>/<series>/instance-<id>.nii.gz` (overlapping segmentations), `<task>/<series>/category-<n>.nii.gz`
(semantic, n = classId + 1 = the segmentMap key) and `<task>/<series>_<k>.nii(.gz)` (consensus,
k = annotator 1..n); task and series names are sanitised (`[^\\w.]+` → `-`, unnamed series are A,
B, ...). Paths in tasks.json are relative to the export folder. File names are compared exactly,
from directory listings, so the result is the same on case-insensitive file systems.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rb_lint.formats import maskpaths, walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer

EXPORT_FILE = "tasks.json"
SEGMENTATIONS = "segmentations"
_PER_ID_FILE = re.compile(r"(instance|category)-(\d+)")

# Where a referenced file sits, relative to its series' place in the layout:
# outside       not in a task folder `segmentations/<task>/...` (or not in the export folder at all)
# other-task    in another task's folder
# other-format  in its task's folder, not a NIfTI file (PNG exports have no documented layout)
# series-file   `<task>/<name>.nii(.gz)`
# series-folder `<task>/<name>/<file>.nii(.gz)`
# too-deep      more folders below the task's
Spot = Literal["outside", "other-task", "other-format", "series-file", "series-folder", "too-deep"]


@dataclass(frozen=True)
class Place:
    """Where a series sits: its task, and whose series it is (the task's, an annotator's, the super
    truth's)."""

    task: dict[str, Any]
    folder: str  # the task's folder name under segmentations/, as today's exporter writes it
    folders: tuple[str, ...]  # ... and as exporters have written it (older SDKs sanitised names differently)
    annotators: int  # consensus annotators of the task (0 for other tasks)
    is_annotator: bool
    series_pointer: str
    series: walk.Series
    label: str  # the series' name, or its letter when unnamed
    stems: tuple[str, ...]  # the file names (without extension) the series exports to


@dataclass(frozen=True)
class Ref:
    """A path of tasks.json: a `segmentations` element, or a segmentMap entry's `mask`."""

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

    def files(self, within: Path | None = None) -> Iterator[Path]:
        """Every file under segmentations/ (hidden files such as .DS_Store excluded), sorted.
        `within` (a confined run's root): nothing is listed when segmentations/ leads outside it
        (a symbolic link); os.walk never descends into links to folders below."""
        if within is not None and not _real_within(self.root / SEGMENTATIONS, within):
            return
        for current, dirs, names in os.walk(self.root / SEGMENTATIONS):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    yield Path(current) / name

    def relative(self, path: Path) -> str | None:
        try:
            return path.relative_to(normalise(self.root)).as_posix()
        except ValueError:
            return None


@dataclass(frozen=True)
class PerIdFile:
    """`instance-<id>` or `category-<n>` (the stem of a file in a series folder)."""

    kind: str  # "instance" or "category"
    number: str  # as written: the exporter writes the segmentMap key there, verbatim


@dataclass(frozen=True)
class Location:
    """Where a local file that a reference names sits in the export folder."""

    ref: Ref
    parts: tuple[str, ...]  # its path relative to the export folder, split; () outside the folder
    spot: Spot
    series_part: str | None = None  # series-file: the file's stem; series-folder: the folder
    index: int | None = None  # the `_<k>` that `series_part` adds to one of the series' stems
    per_id: PerIdFile | None = None  # series-folder: the file, when `instance-<id>`/`category-<n>`

    @property
    def task_folder(self) -> str | None:
        return self.parts[1] if self.spot != "outside" else None

    @property
    def names_series(self) -> bool:
        """`series_part` is a name the exporter gives this series: one of its stems, or for a
        consensus annotator a stem with `_<k>`, k in 1..annotators."""
        place = self.ref.place
        if place.is_annotator:
            return self.index is not None and 1 <= self.index <= place.annotators
        return self.series_part in place.stems


def _real_within(path: Path, root: Path) -> bool:
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def normalise(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def nifti_stem(name: str) -> str | None:
    """`A` for `A.nii.gz` or `A.nii`; None for other files."""
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def export_folder(doc: Document) -> ExportFolder | None:
    """The export folder a document is the `tasks.json` of, or None."""
    return doc.memo(_export_folder, doc)


def locations(doc: Document) -> list[Location]:
    """Where each local file a reference of the export folder names sits, in reference order."""
    return doc.memo(_locations, doc)


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
            for task_folder in _task_folders(task):
                folder.task_folders.setdefault(task_folder, join_pointer(pointer, "name"))
    return folder


def _task_folders(task: dict[str, Any]) -> tuple[str, ...]:
    """The task's folder as today's exporter names it (the taskId when the name sanitises to
    nothing), then as older SDKs did."""
    name, task_id = task.get("name"), task.get("taskId")
    stems = walk.export_file_stems(name) if isinstance(name, str) else ("",)
    fallback = task_id if isinstance(task_id, str) else ""
    return (stems[0] or fallback, *stems[1:])


def _refs(doc: Document, root: Path) -> Iterator[Ref]:
    for task_pointer, task in walk.tasks(doc):
        entries = task.get("consensusTasks")
        annotators = sum(isinstance(e, dict) for e in entries) if isinstance(entries, list) else 0
        folders = _task_folders(task)
        annotator_prefix = join_pointer(task_pointer, "consensusTasks") + "/"
        for owner, group in walk.series_groups(task_pointer, task):
            is_annotator = owner.startswith(annotator_prefix)
            for index, (pointer, series) in enumerate(group):
                label = walk.series_export_name(series, index)
                stems = _stems(series, index, len(group), folders[0])
                place = Place(
                    task, folders[0], folders, annotators, is_annotator, pointer, series, label, stems
                )
                yield from _series_refs(doc, root, place)


def _stems(series: walk.Series, index: int, count: int, folder: str) -> tuple[str, ...]:
    name = series.get("name")
    stems = [walk.series_export_stem(series, index)]
    if isinstance(name, str) and name:
        stems += walk.export_file_stems(name)[1:]  # as older SDKs wrote it
    if count == 1 and not name and folder:
        stems.append(folder)  # older SDKs named a task's single unnamed series after the task
    return tuple(dict.fromkeys(stems))


def _series_refs(doc: Document, root: Path, place: Place) -> Iterator[Ref]:
    raw = place.series.get("segmentations")
    for index, written in enumerate(walk.as_list(raw)):
        if isinstance(written, str) and written:
            pointer = walk.element_pointer(place.series_pointer, "segmentations", raw, index)
            yield Ref(place, pointer, written, maskpaths.resolve(doc, written, root)[1], None)
    for key, entry in walk.segment_map(place.series).items():
        raw = entry.get("mask") if isinstance(entry, dict) else None
        entry_pointer = join_pointer(place.series_pointer, "segmentMap", key)
        for index, mask in enumerate(walk.as_list(raw)):
            if isinstance(mask, str) and mask:
                pointer = walk.element_pointer(entry_pointer, "mask", raw, index)
                yield Ref(place, pointer, mask, maskpaths.resolve(doc, mask, root)[1], key)


def _locations(doc: Document) -> list[Location]:
    folder = export_folder(doc)
    if folder is None:
        return []
    return [_locate(folder, ref, ref.path) for ref in folder.refs if ref.path is not None]  # not remote


def _locate(folder: ExportFolder, ref: Ref, path: Path) -> Location:
    relative = folder.relative(path)
    parts = tuple(relative.split("/")) if relative is not None else ()
    if len(parts) < 3 or parts[0] != SEGMENTATIONS:
        return Location(ref, parts, "outside")
    if parts[1] not in ref.place.folders:
        return Location(ref, parts, "other-task")
    rest = parts[2:]
    if nifti_stem(rest[-1]) is None:
        return Location(ref, parts, "other-format")
    if len(rest) == 1:
        name = nifti_stem(rest[0]) or rest[0]
        return Location(ref, parts, "series-file", name, _consensus_index(name, ref.place.stems))
    if len(rest) == 2:
        index = _consensus_index(rest[0], ref.place.stems)
        return Location(ref, parts, "series-folder", rest[0], index, _per_id_file(rest[1]))
    return Location(ref, parts, "too-deep")


def _consensus_index(name: str, stems: tuple[str, ...]) -> int | None:
    for stem in stems:
        match = re.fullmatch(re.escape(stem) + r"_(\d+)", name)
        if match:
            return int(match.group(1))
    return None


def _per_id_file(file_name: str) -> PerIdFile | None:
    match = _PER_ID_FILE.fullmatch(nifti_stem(file_name) or file_name)
    if match is None:
        return None
    return PerIdFile(match.group(1), match.group(2))
