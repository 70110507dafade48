"""RB2xx: names the platform and the exporter rely on being unique."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def _task_names(docs: list[Document]) -> Iterator[tuple[Document, str, str]]:
    """(document, task pointer, name) of every named task of every task document; the pointer
    strings are the shared ones of `walk.tasks`, so a 100,000-task file allocates no new ones."""
    for doc in docs:
        if doc.parsed and doc.kind in TASK_KINDS:
            for task_pointer, task in walk.tasks(doc):
                name = task.get("name")
                if isinstance(name, str):
                    yield doc, task_pointer, name


def _cite(doc: Document, pointer: str, places: dict[tuple[str, str], tuple[int, int]]) -> str:
    line, column = places.get((pointer, "value"), (1, 1))
    return f"{doc.display_path}:{line}:{column}"


def _first_places(firsts: list[tuple[Document, str]]) -> dict[int, dict[Any, tuple[int, int]]]:
    """Positions of first occurrences, one locator pass per document."""
    wanted: dict[int, set[tuple[str, Any]]] = defaultdict(set)
    by_id = {}
    for doc, pointer in firsts:
        wanted[id(doc)].add((pointer, "value"))
        by_id[id(doc)] = doc
    return {key: by_id[key].line_columns(requests) for key, requests in wanted.items()}


@rule("RB201", "duplicate-task-name", ERROR,
      "Task names must be unique across every file linted together.", kinds=TASK_KINDS,
      scope="project")
def duplicate_task_name(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    Two tasks share a `name`. The platform keys tasks by name: the RedBrick SDK keeps the first
    and silently drops the other ("Skipping duplicate item name"), so its images and labels never
    arrive. Items lists are often split over many files, so names are compared across every file
    linted together; the finding is at each repeat and names the first occurrence.

    Failing:
        a.json: [{"name": "patient-007", "series": [{"items": "a/ct.nii.gz"}]}]
        b.json: [{"name": "patient-007", "series": [{"items": "b/ct.nii.gz"}]}]
    Fixed:
        b.json: [{"name": "patient-007-followup", "series": [{"items": "b/ct.nii.gz"}]}]
    """
    first: dict[str, tuple[Document, str]] = {}
    repeats: list[tuple[Document, str, str]] = []
    for doc, task_pointer, name in _task_names(docs):
        earlier = first.setdefault(name, (doc, task_pointer))
        if earlier[1] is not task_pointer or earlier[0] is not doc:
            repeats.append((doc, task_pointer, name))
    if not repeats:
        return
    places = _first_places([(d, f"{p}/name") for d, p in (first[name] for *_, name in repeats)])
    for doc, task_pointer, name in repeats:
        other_doc, other_pointer = first[name]
        where = _cite(other_doc, f"{other_pointer}/name", places[id(other_doc)])
        yield Hit(f"task name `{name}` is already used at {where}: the platform keeps the first "
                  "task and silently drops this one; give it a unique name",
                  f"{task_pointer}/name", doc=doc, key=f"task:{name}")


@rule("RB205", "task-folder-collision", WARNING,
      "Different task names that export to the same folder.", kinds=TASK_KINDS, scope="project")
def task_folder_collision(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    The exporter names each task's folder after the task name with every run of characters other
    than letters, digits, `_` and `.` replaced by `-`. Two different names such as `patient 7` and
    `patient-7` therefore export into the same `segmentations/patient-7/` folder, and one task's
    masks overwrite the other's.

    Failing:
        [{"name": "patient 7", ...}, {"name": "patient-7", ...}]
    Fixed:
        [{"name": "patient-7a", ...}, {"name": "patient-7b", ...}]
    """
    first: dict[str, tuple[Document, str, str]] = {}
    clashes: list[tuple[Document, str, str, str]] = []
    for doc, task_pointer, name in _task_names(docs):
        folder = walk.export_file_stem(name)
        earlier = first.setdefault(folder, (doc, task_pointer, name))
        if earlier[2] != name:
            clashes.append((doc, task_pointer, name, folder))
    if not clashes:
        return
    places = _first_places([(first[f][0], f"{first[f][1]}/name") for *_rest, f in clashes])
    for doc, task_pointer, name, folder in clashes:
        other_doc, other_pointer, other_name = first[folder]
        where = _cite(other_doc, f"{other_pointer}/name", places[id(other_doc)])
        yield Hit(f"task `{name}` exports to folder `{folder}/`, as does `{other_name}` at "
                  f"{where}: their masks would overwrite each other; rename one",
                  f"{task_pointer}/name", doc=doc, key=f"task-folder:{name}")


@rule("RB202", "duplicate-series-name", ERROR, "Series names must be unique within a task.",
      kinds=TASK_KINDS)
def duplicate_series_name(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Two series of one task share a `name`. Series are shown and exported by name
    (`segmentations/<task>/<series>.nii.gz`), so one series' masks overwrite the other's.

    Failing:
        "series": [{"name": "T1", "items": "t1.nii.gz"}, {"name": "T1", "items": "t1c.nii.gz"}]
    Fixed:
        "series": [{"name": "T1", "items": "t1.nii.gz"}, {"name": "T1c", "items": "t1c.nii.gz"}]
    """
    for _task_pointer, task_name, group in _groups(doc):
        seen: dict[str, int] = {}
        for index, (pointer, series) in enumerate(group):
            name = series.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                yield Hit(f"series name `{name}` repeats series {seen[name]} of this task: "
                          "exports are named after the series, so one overwrites the other; "
                          "rename it", join_pointer(pointer, "name"),
                          key=f"series:{task_name}:{name}")
            else:
                seen[name] = index


@rule("RB203", "series-file-name-collision", ERROR,
      "Different series names that export to the same file name.", kinds=TASK_KINDS)
def series_file_name_collision(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Series are exported as `<series>.nii.gz` with every run of characters other than letters,
    digits, `_` and `.` replaced by `-` (unnamed series are `A`, `B`, ... by position). Distinct
    names such as `T1 post` and `T1-post`, or an unnamed first series beside one named `A`, map to
    the same file, and names that differ only in case collide on macOS and Windows.

    Failing:
        "series": [{"name": "T1 post", ...}, {"name": "T1-post", ...}]
    Fixed:
        "series": [{"name": "T1 post", ...}, {"name": "T1 pre", ...}]
    """
    for _task_pointer, task_name, group in _groups(doc):
        stems: dict[str, tuple[int, str]] = {}
        for index, (pointer, series) in enumerate(group):
            name = walk.series_export_name(series, index)
            stem = walk.export_file_stem(name)
            earlier = stems.setdefault(stem.lower(), (index, name))
            if earlier[0] == index or (earlier[1] == name and "name" in group[earlier[0]][1]):
                continue  # the same explicit name twice is RB202's business
            target = join_pointer(pointer, "name") if "name" in series else pointer
            yield Hit(f"series `{name}` exports to `{stem}.nii.gz`, the same file as series "
                      f"{earlier[0]} (`{earlier[1]}`): rename one so their masks do not "
                      "overwrite each other", target, key=f"series-file:{task_name}:{name}")


@rule("RB204", "repeated-instance-id", WARNING,
      "An instance id is used in several series of one task.", kinds=TASK_KINDS)
def repeated_instance_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The format reference says instance ids must be unique across all series of a task. Real
    exports reuse `"1"` in every series and the SDK filters per series since v2.19.8, so this is a
    warning: older SDKs and tools that merge a task's series will confuse the instances.

    Failing:
        "series": [{"segmentMap": {"1": "Liver"}, ...}, {"segmentMap": {"1": "Spleen"}, ...}]
    Fixed:
        "series": [{"segmentMap": {"1": "Liver"}, ...}, {"segmentMap": {"2": "Spleen"}, ...}]
    """
    for _task_pointer, task_name, group in _groups(doc):
        owner: dict[str, int] = {}
        for index, (pointer, series) in enumerate(group):
            for instance in walk.segment_map(series):
                if instance in owner and owner[instance] != index:
                    yield Hit(f"instance id `{instance}` is also used in series {owner[instance]} "
                              "of this task: ids should be unique across a task's series",
                              join_pointer(pointer, "segmentMap", instance), at="key",
                              key=f"instance:{task_name}:{index}:{instance}")
                else:
                    owner.setdefault(instance, index)


def _groups(doc: Document) -> Iterator[tuple[str, str, list[tuple[str, walk.Series]]]]:
    """(owner pointer, logical owner name, its series) for every set of series exported together."""
    for task_pointer, task, owner, group in walk.series_sets(doc):
        name = task.get("name")
        name = name if isinstance(name, str) else task_pointer
        yield owner, name if owner is task_pointer else f"{name}{owner[len(task_pointer):]}", group


RULES = [duplicate_task_name, duplicate_series_name, series_file_name_collision,
         repeated_instance_id, task_folder_collision]
