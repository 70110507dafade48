"""RB2xx: task names unique across files, series names and export file names, instance ids."""

from __future__ import annotations

import json

import pytest
from conftest import codes, only, position, task

from rb_lint.facts.names import UnlocatedPointer, cite, value_positions
from rb_lint.io.loading import document_from_bytes

NAMES = ["RB2"]


def test_duplicate_task_name_across_two_files_names_the_first(lint_files):
    first = json.dumps([task("patient-006"), task("patient-007")], indent=2)
    second = json.dumps([task("patient-008"), task("patient-007")], indent=2)
    report = lint_files({"a.json": first, "b.json": second}, select=NAMES)
    finding = only(report, "RB201")
    assert finding.path == "b.json"
    assert (finding.line, finding.column) == position(second, '"patient-007"')
    line, column = position(first, '"patient-007"')
    assert f"a.json:{line}:{column}" in finding.message
    assert finding.severity.name == "ERROR"


def test_duplicate_task_name_within_one_file(lint_files):
    text = json.dumps([task("p1"), task("p2"), task("p1")], indent=2)
    finding = only(lint_files({"a.json": text}, select=NAMES), "RB201")
    assert (finding.line, finding.column) == position(text, '"p1"', 2)


def test_unique_task_names_pass(lint_files):
    report = lint_files({"a.json": [task("p1")], "b.json": [task("p2")]}, select=NAMES)
    assert report.findings == []


def test_task_folder_collision(lint_files):
    text = json.dumps([task("patient:7"), task("patient/7")], indent=2)
    finding = only(lint_files({"a.json": text}, select=NAMES), "RB205")
    assert (finding.line, finding.column) == position(text, '"patient/7"')
    assert "`patient-7/`" in finding.message


@pytest.mark.parametrize(
    ("first", "second"),
    [("case 7.", "case 7"), ("CON", "_CON"), ("nul.txt", "_nul.txt"), ("a*b", "a?b")],
)
def test_task_folder_collision_follows_the_current_exporter(lint_files, first, second):
    text = json.dumps([task(first), task(second)], indent=2)
    assert codes(lint_files({"a.json": text}, select=NAMES)) == ["RB205"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("patient 7", "patient-7"),
        ("T1 (post)", "T1 [post]"),
        (".", ".."),
        ("x@y", "x#y"),
        ("COM10", "_COM10x"),
    ],
)
def test_names_the_current_exporter_keeps_apart_do_not_collide(lint_files, first, second):
    text = json.dumps([task(first), task(second)], indent=2)
    assert codes(lint_files({"a.json": text}, select=NAMES)) == []


def test_duplicate_series_name(lint_files):
    tasks = [
        {"name": "p1", "series": [{"name": "T1", "items": "a.nii.gz"}, {"name": "T1", "items": "b.nii.gz"}]}
    ]
    text = json.dumps(tasks, indent=2)
    report = lint_files({"a.json": text}, select=NAMES)
    assert codes(report) == ["RB202"]
    finding = only(report, "RB202")
    assert (finding.line, finding.column) == position(text, '"T1"', 2)


def test_series_names_that_export_to_the_same_file(lint_files):
    tasks = [
        {
            "name": "p1",
            "series": [{"name": "T1:post", "items": "a.nii.gz"}, {"name": "T1-post", "items": "b.nii.gz"}],
        }
    ]
    text = json.dumps(tasks, indent=2)
    finding = only(lint_files({"a.json": text}, select=NAMES), "RB203")
    assert (finding.line, finding.column) == position(text, '"T1-post"')
    assert "`T1-post.nii.gz`" in finding.message


def test_series_names_the_current_exporter_keeps_apart_do_not_collide(lint_files):
    names = ["T1 (post)", "T1 [post]", "T1 post", "T1-post", "T1 {post}"]
    tasks = [{"name": "p1", "series": [{"name": n, "items": f"{i}.nii.gz"} for i, n in enumerate(names)]}]
    assert codes(lint_files({"a.json": json.dumps(tasks)}, select=NAMES)) == []


def test_series_name_that_sanitises_to_nothing_exports_as_its_letter(lint_files):
    series = [{"name": "..", "items": "a.nii.gz"}, {"name": "A", "items": "c.nii.gz"}]  # `..` exports as `A`
    tasks = [{"name": "p1", "series": series}]
    text = json.dumps(tasks, indent=2)
    finding = only(lint_files({"a.json": text}, select=NAMES), "RB203")
    assert (finding.line, finding.column) == position(text, '"A"')


def test_unnamed_series_collides_with_one_named_a(lint_files):
    tasks = [{"name": "p1", "series": [{"items": "a.nii.gz"}, {"name": "A", "items": "b.nii.gz"}]}]
    text = json.dumps(tasks, indent=2)
    finding = only(lint_files({"a.json": text}, select=NAMES), "RB203")
    assert (finding.line, finding.column) == position(text, '"A"')


def test_distinct_series_names_pass(lint_files):
    tasks = [
        {
            "name": "p1",
            "series": [
                {"name": "T1", "items": "a.nii.gz"},
                {"name": "T2", "items": "b.nii.gz"},
                {"items": "c.nii.gz"},
            ],
        }
    ]
    assert lint_files({"a.json": tasks}, select=NAMES).findings == []


def two_series(first_id: str, second_id: str) -> list[dict]:
    """One task with two segmented series keyed by the given instance ids."""
    series = [
        {
            "name": name,
            "items": f"{name}.nii.gz",
            "segmentations": f"s-{name}.nii.gz",
            "segmentMap": {instance: category},
        }
        for name, instance, category in (("T1", first_id, "Liver"), ("T2", second_id, "Spleen"))
    ]
    return [{"name": "p1", "series": series}]


def test_instance_id_repeated_across_series_is_a_warning(lint_files):
    tasks = two_series("1", "1")
    text = json.dumps(tasks, indent=2)
    finding = only(lint_files({"a.json": text}, select=NAMES), "RB204")
    assert (finding.line, finding.column) == position(text, '"1"', 2)
    assert finding.severity.name == "WARNING"


def test_distinct_instance_ids_pass(lint_files):
    tasks = two_series("1", "2")
    assert lint_files({"a.json": tasks}, select=NAMES).findings == []


def test_citing_a_pointer_that_cannot_be_located_is_an_error_naming_it(tmp_path):
    text = json.dumps([task("p1")], indent=2)
    doc = document_from_bytes(text.encode(), tmp_path / "a.json", "a.json")
    positions = value_positions([(doc, "/0/name"), (doc, "/7/name")])
    assert cite(doc, "/0/name", positions) == "a.json:{}:{}".format(*position(text, '"p1"'))
    with pytest.raises(UnlocatedPointer, match="/7/name"):
        cite(doc, "/7/name", positions)
