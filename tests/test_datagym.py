"""DataGym exports: detection, schema validation, label classes, tasks and class references."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import codes, only, position
from datagym_builders import TRIANGLE, dg_task, label_classes
from datagym_builders import dg_object as obj

from rb_lint import Report, lint
from rb_lint.io.loading import detect_kind
from rb_lint.models.kinds import DATAGYM
from rb_lint.models.schemas import SCHEMAS, render, schema_directory

EXAMPLE = Path(__file__).parent.parent / "examples" / "datagym" / "export.json"

CLASSES = label_classes(
    {"class_name": "occlusion", "classification_type": "checklist"},
    {"class_name": "note", "classification_type": "freetext"},
)


def export(*tasks: Any, classes: list[Any] | None = None) -> list[Any]:
    return [{"label_classes": CLASSES if classes is None else classes}, *tasks]


Lint = Callable[..., tuple[Report, str]]


@pytest.fixture
def run(lint_files: Callable[..., Report]) -> Lint:
    """Lint one export written as indented JSON; returns the report and the file's text."""

    def lint_one(data: Any, **datagym: Any) -> tuple[Report, str]:
        text = json.dumps(data, indent=2)
        report = lint_files({"export.json": text}, config={"datagym": datagym})
        assert not report.errors, report.errors
        return report, text

    return lint_one


def value_at(text: str, key: str, occurrence: int = 1) -> tuple[int, int]:
    """Where the value of `"key": value` starts (indent=2 JSON)."""
    line, column = position(text, f'"{key}": ', occurrence)
    return line, column + len(f'"{key}": ')


def assert_at(finding: Any, where: tuple[int, int]) -> None:
    assert (finding.line, finding.column) == where, finding


# --- detection, schema, example ----------------------------------------------------------------


def test_export_is_detected_as_datagym() -> None:
    assert detect_kind(export(dg_task())) == DATAGYM


def test_valid_export_has_no_findings(run: Lint) -> None:
    labels = {
        "car": [obj(nested_geometries={"head": [obj("point", [{"x": 30, "y": 20}])]})],
        "bus": [obj("rectangle", [{"x": 1, "y": 2, "w": 30, "h": 40}])],
        "lane": [obj("line", [{"x": 0, "y": 0}, {"x": 5, "y": 9}])],
    }
    report, _ = run(
        export(dg_task(labels=labels, global_classifications={"weather": ["sunny", {"daytime": ["day"]}]}))
    )
    assert codes(report) == []


def test_empty_export_has_no_findings(run: Lint) -> None:
    report, _ = run([])
    assert codes(report) == []


def test_legacy_image_ids_and_video_tasks_are_valid(run: Lint) -> None:
    legacy: dict[str, Any] = {
        "internal_image_ID": "i-1",
        "external_image_ID": "a.jpg",
        "labeler": None,
        "status": "reviewed",
        "global_classifications": {},
        "labels": {},
    }
    video = {
        "internal_media_ID": "v-1",
        "external_media_ID": "clip.mp4",
        "labeler": "u",
        "status": "completed",
        "task_export_url": "https://x/exportVideoTask/t/",
        "video_height": "720",
        "video_width": "1280",
    }
    report, _ = run(export(legacy, video))
    assert codes(report) == []


def test_missing_labels_is_reported_at_the_task(run: Lint) -> None:
    task = dg_task()
    del task["labels"]
    report, text = run(export(task))
    finding = only(report, "RB101")
    assert "`labels`" in finding.message
    assert finding.pointer == "/1"
    assert finding.line == position(text, '"internal_media_ID"')[0] - 1


def test_unknown_status_is_an_invalid_value(run: Lint) -> None:
    report, text = run(export(dg_task(status="labeled")))
    finding = only(report, "RB104")
    assert_at(finding, value_at(text, "status"))
    assert "'labeled'" in finding.message and "'completed'" in finding.message


def test_wrong_classification_value_type_is_one_error_at_the_element(run: Lint) -> None:
    data = export(dg_task(global_classifications={"weather": ["sunny", {"daytime": [7]}]}))
    report, text = run(data)
    finding = only(report, "RB102")
    assert finding.pointer == "/1/global_classifications/weather/1/daytime/0"
    assert finding.line == position(text, "7")[0]
    assert "string, null" in finding.message


def test_typo_in_geometry_key_is_an_unknown_key(run: Lint) -> None:
    bad = {"polygon": TRIANGLE, "classification": {}}
    report, text = run(export(dg_task(labels={"car": [bad]})))
    finding = only(report, "RB103")
    assert_at(finding, position(text, '"classification"'))
    assert "did you mean `classifications`" in finding.message
    assert "a DataGym geometry" in finding.message


def test_string_coordinate_is_a_wrong_type(run: Lint) -> None:
    coords = [{"x": "10", "y": 10}, {"x": 60, "y": 10}, {"x": 35, "y": 50}]
    report, text = run(export(dg_task(labels={"car": [obj(coords=coords)]})))
    finding = only(report, "RB102")
    assert_at(finding, value_at(text, "x"))
    assert "`x` must be a number" in finding.message


def test_schema_file_matches_the_models() -> None:
    written = (schema_directory() / "datagym.json").read_text(encoding="utf-8")
    assert written == render(SCHEMAS["datagym"])


def test_example_export_has_exactly_its_three_mistakes() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    report = lint([EXAMPLE], config={})
    found = {f.code: (f.line, f.column) for f in report.findings}
    assert sorted(found) == ["RB611", "RB612", "RB617"]
    assert found["RB612"][0] == position(text, '"w" : 0,')[0]
    assert found["RB611"][0] == position(text, '"x" : 57,')[0] - 2


# --- RB600 invalid-export-element --------------------------------------------------------------


def test_rb600_string_element(run: Lint) -> None:
    report, text = run(export(dg_task(), "img_2.jpg"))
    finding = only(report, "RB600")
    assert_at(finding, position(text, '"img_2.jpg"'))
    assert "element 2 is a string" in finding.message


def test_rb600_second_label_classes(run: Lint) -> None:
    report, text = run([*export(dg_task()), {"label_classes": []}])
    finding = only(report, "RB600")
    assert finding.line == position(text, '"label_classes"', 2)[0] - 1
    assert "second `label_classes`" in finding.message


def test_rb600_first_element_must_be_label_classes(lint_files: Callable[..., Report]) -> None:
    text = json.dumps([dg_task()], indent=2)
    report = lint_files({"export.json": text}, kind=DATAGYM)
    finding = only(report, "RB600")
    assert (finding.line, finding.column) == (2, 3)
    assert "element 0" in finding.message


def test_rb600_passes(run: Lint) -> None:
    report, _ = run(export(dg_task(), dg_task("m-2", "img_2.jpg")))
    assert "RB600" not in codes(report)


# --- RB601 invalid-class-type-keys -------------------------------------------------------------


def test_rb601_both_type_keys(run: Lint) -> None:
    classes = [{"class_name": "car", "geometry_type": "polygon", "classification_type": "select"}]
    report, text = run(export(classes=classes))
    finding = only(report, "RB601")
    assert_at(finding, position(text, '"classification_type"'))
    assert "both `geometry_type` and `classification_type`" in finding.message


def test_rb601_no_type_key(run: Lint) -> None:
    report, text = run(export(classes=[{"class_name": "car"}]))
    finding = only(report, "RB601")
    assert finding.line == position(text, '"class_name"')[0] - 1
    assert "neither" in finding.message and "class `car`" in finding.message


def test_rb601_passes(run: Lint) -> None:
    report, _ = run(export())
    assert "RB601" not in codes(report)


# --- RB602 invalid-class-name ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("voiture/légère", "contains `/`, `é`, `è`"),
        ("x" * 57, "57 characters"),
        ("", "is empty"),
    ],
)
def test_rb602_bad_names(run: Lint, name: str, part: str) -> None:
    report, text = run(export(classes=[{"class_name": name, "geometry_type": "polygon"}]))
    finding = only(report, "RB602")
    assert_at(finding, value_at(text, "class_name"))
    assert part in finding.message


def test_rb602_passes_for_the_full_alphabet_and_56_characters(run: Lint) -> None:
    classes = [
        {"class_name": "Car type_2 -x", "classification_type": "select"},
        {"class_name": "y" * 56, "geometry_type": "point"},
    ]
    report, _ = run(export(classes=classes))
    assert "RB602" not in codes(report)


# --- RB603 duplicate-class-name ----------------------------------------------------------------


def test_rb603_repeated_class_name_names_both(run: Lint) -> None:
    classes = [
        {"class_name": "color", "classification_type": "select"},
        {"class_name": "color", "classification_type": "checklist"},
    ]
    report, text = run(export(classes=classes))
    finding = only(report, "RB603")
    assert_at(finding, value_at(text, "class_name", 2))
    first_line = position(text, '"color"')[0]
    assert f"also defined at line {first_line}" in finding.message
    assert "checklist" in finding.message and "select" in finding.message
    assert str(finding.severity) == "warning"


def test_rb603_passes(run: Lint) -> None:
    report, _ = run(export())
    assert "RB603" not in codes(report)


# --- RB604 duplicate-media-id / RB605 duplicate-media-name -------------------------------------


def test_rb604_duplicate_internal_id(run: Lint) -> None:
    report, text = run(export(dg_task("m-1", "a.jpg"), dg_task("m-1", "b.jpg")))
    finding = only(report, "RB604")
    assert_at(finding, value_at(text, "internal_media_ID", 2))
    first_line = value_at(text, "internal_media_ID")[0]
    assert f"`m-1` is also used by the task at line {first_line}" in finding.message


def test_rb604_legacy_spelling(run: Lint) -> None:
    legacy: dict[str, Any] = {
        "internal_image_ID": "m-1",
        "external_image_ID": "b.jpg",
        "labeler": None,
        "status": "completed",
        "global_classifications": {},
        "labels": {},
    }
    report, text = run(export(dg_task("m-1", "a.jpg"), legacy))
    assert_at(only(report, "RB604"), value_at(text, "internal_image_ID"))


def test_rb604_rb605_pass(run: Lint) -> None:
    report, _ = run(export(dg_task("m-1", "a.jpg"), dg_task("m-2", "b.jpg")))
    assert not {"RB604", "RB605"} & set(codes(report))


def test_rb605_duplicate_external_name(run: Lint) -> None:
    report, text = run(export(dg_task("m-1", "a.jpg"), dg_task("m-2", "a.jpg")))
    finding = only(report, "RB605")
    assert_at(finding, value_at(text, "external_media_ID", 2))
    assert "`a.jpg`" in finding.message and str(finding.severity) == "warning"


# --- RB606 labels-on-skipped-task --------------------------------------------------------------


def test_rb606_skipped_task_with_labels(run: Lint) -> None:
    report, text = run(export(dg_task(status="skipped", labels={"car": [obj(), obj()]})))
    finding = only(report, "RB606")
    assert_at(finding, position(text, '"labels"'))
    assert "2 labelled object(s)" in finding.message


def test_rb606_passes(run: Lint) -> None:
    report, _ = run(
        export(dg_task(status="skipped", labels={}), dg_task("m-2", "b.jpg", labels={"car": [obj()]}))
    )
    assert "RB606" not in codes(report)


# --- RB607 undefined-class ---------------------------------------------------------------------


def test_rb607_label_keyed_by_undefined_class(run: Lint) -> None:
    report, text = run(export(dg_task(labels={"cars": [obj()]})))
    finding = only(report, "RB607")
    assert_at(finding, position(text, '"cars"'))
    assert "`cars`" in finding.message and "did you mean `car`?" in finding.message


def test_rb607_in_nested_classification(run: Lint) -> None:
    data = export(dg_task(global_classifications={"weather": ["sunny", {"day_time": ["day"]}]}))
    report, text = run(data)
    finding = only(report, "RB607")
    assert_at(finding, position(text, '"day_time"'))


def test_rb607_in_nested_geometries(run: Lint) -> None:
    nested = {"wheel": [obj("point", [{"x": 1, "y": 1}])]}
    report, text = run(export(dg_task(labels={"car": [obj(nested_geometries=nested)]})))
    assert_at(only(report, "RB607"), position(text, '"wheel"'))


def test_rb607_passes(run: Lint) -> None:
    report, _ = run(export(dg_task(labels={"car": [obj(classifications={"car_type": ["van"]})]})))
    assert "RB607" not in codes(report)


# --- RB608 wrong-class-kind --------------------------------------------------------------------


def test_rb608_classification_used_as_label(run: Lint) -> None:
    report, text = run(export(dg_task(labels={"weather": [obj("rectangle", [])]})))
    finding = only(report, "RB608")
    assert_at(finding, position(text, '"weather": '))
    assert "radio classification" in finding.message


def test_rb608_geometry_used_as_classification(run: Lint) -> None:
    report, text = run(export(dg_task(global_classifications={"road": ["x"]})))
    finding = only(report, "RB608")
    assert_at(finding, position(text, '"road": '))
    assert "image segmentation geometry class" in finding.message


def test_rb608_passes_for_segmentation_in_labels(run: Lint) -> None:
    ring = [{"x": 0, "y": 0}, {"x": 9, "y": 0}, {"x": 9, "y": 9}]
    report, _ = run(export(dg_task(labels={"road": [obj("image_segmentation", [ring])]})))
    assert "RB608" not in codes(report)


# --- RB609 geometry-key-mismatch ---------------------------------------------------------------


def test_rb609_no_coordinates(run: Lint) -> None:
    report, text = run(export(dg_task(labels={"car": [{"classifications": {}}]})))
    finding = only(report, "RB609")
    assert finding.line == position(text, '"classifications": {}', 1)[0] - 1
    assert '`"polygon": [...]`' in finding.message


def test_rb609_two_coordinate_keys(run: Lint) -> None:
    report, text = run(export(dg_task(labels={"car": [obj(geometry=TRIANGLE)]})))
    finding = only(report, "RB609")
    assert_at(finding, position(text, '"geometry"'))
    assert "both `polygon` and `geometry`" in finding.message


def test_rb609_key_of_another_type(run: Lint) -> None:
    rect = [{"x": 1, "y": 1, "w": 5, "h": 5}]
    report, text = run(export(dg_task(labels={"car": [obj("rectangle", rect)]})))
    finding = only(report, "RB609")
    assert_at(finding, position(text, '"rectangle": '))
    assert "`rectangle` coordinates under class `car`" in finding.message
    assert "writes `polygon`" in finding.message


def test_rb609_geometry_with_wrong_layout(run: Lint) -> None:
    report, text = run(export(dg_task(labels={"bus": [obj("geometry", TRIANGLE)]})))
    finding = only(report, "RB609")
    assert_at(finding, value_at(text, "geometry"))
    assert "holds points, not a rectangle" in finding.message


def test_rb609_passes_for_documented_geometry_key(run: Lint) -> None:
    labels = {
        "car": [obj("geometry", TRIANGLE)],
        "bus": [obj("geometry", [{"x": 1, "y": 1, "w": 5, "h": 5}])],
        "road": [obj("geometry", [TRIANGLE])],
    }
    report, _ = run(export(dg_task(labels=labels)))
    assert codes(report) == []


# --- RB610 nested-geometry-too-deep ------------------------------------------------------------


def test_rb610_two_levels(run: Lint) -> None:
    inner = obj("point", [{"x": 1, "y": 1}])
    middle = obj("point", [{"x": 2, "y": 2}], nested_geometries={"head": [inner]})
    report, text = run(export(dg_task(labels={"car": [obj(nested_geometries={"head": [middle]})]})))
    finding = only(report, "RB610")
    assert_at(finding, position(text, '"nested_geometries"', 2))
    assert "one level" in finding.message


def test_rb610_passes_for_one_level(run: Lint) -> None:
    nested = {"head": [obj("point", [{"x": 2, "y": 2}], nested_geometries={})]}
    report, _ = run(export(dg_task(labels={"car": [obj(nested_geometries=nested)]})))
    assert "RB610" not in codes(report)


# --- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        [{"label_classes": "nope"}, {"labels": []}],
        [{"label_classes": [None, 3, {"class_name": 5}]}, 7, None, {"labels": {"car": "x"}}],
        [{"label_classes": []}, {"labels": {"x": [{"polygon": [[{"x": None}]], "geometry": 5}]}}],
        [
            {"label_classes": CLASSES},
            {
                "labels": {"road": [{"image_segmentation": [None, [], "r"]}]},
                "global_classifications": {"weather": [[], {"daytime": 5}]},
            },
        ],
        [
            {"label_classes": CLASSES},
            {
                "labels": {
                    "car": [
                        {"geometry": [{"x": 1e308, "y": -1e308}] * 3},
                        {"polygon": [{"x": 1, "y": 1}] * 4},
                    ]
                }
            },
        ],
    ],
)
def test_malformed_exports_never_crash(run: Lint, data: Any) -> None:
    report, _ = run(data, **{"image-width": 100, "image-height": 100, "required-classes": ["weather"]})
    assert report.findings  # reported, not crashed (run() asserts no internal errors)
