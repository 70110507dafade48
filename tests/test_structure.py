"""RB1xx: conformance of items lists and tasks.json — each rule failing and passing, with positions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import codes, only, position, task

from rb_lint.formats.validation import schema_errors
from rb_lint.io.loading import document_from_bytes

SEG: dict[str, Any] = {"segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}


def lint_tasks(lint_files, tasks: list[Any] | dict[str, Any] | str, **kwargs: Any):
    text = tasks if isinstance(tasks, str) else json.dumps(tasks, indent=2)
    kwargs.setdefault("select", ["RB0", "RB1", "RB2"])  # other families have their own tests
    return lint_files({"items.json": text}, **kwargs), text


def test_valid_task_passes_every_structure_rule(lint_files):
    report, _ = lint_tasks(lint_files, [task(**SEG), task("patient-002", items=["a.dcm", "b.dcm"])])
    assert report.findings == []


def test_rb100_single_task_object(lint_files):
    report, _text = lint_tasks(lint_files, task())
    finding = only(report, "RB100")
    assert (finding.line, finding.column) == (1, 1)
    assert "wrap it in `[ ... ]`" in finding.message


def test_rb100_element_that_is_not_an_object(lint_files):
    report, text = lint_tasks(lint_files, [task(), "patient-002"])
    finding = only(report, "RB100")
    assert (finding.line, finding.column) == position(text, '"patient-002"')
    assert finding.pointer == "/1"


def test_rb101_missing_series(lint_files):
    report, text = lint_tasks(lint_files, [{"name": "patient-001"}])
    finding = only(report, "RB101")
    assert (finding.line, finding.column) == position(text, '{\n    "name"')
    assert "`series`" in finding.message


def test_rb101_missing_items(lint_files):
    report, text = lint_tasks(lint_files, [{"name": "p1", "series": [{"name": "CT"}]}])
    finding = only(report, "RB101")
    assert (finding.line, finding.column) == position(text, '{\n        "name": "CT"')
    assert "`items`" in finding.message and finding.pointer == "/0/series/0"


def test_rb102_wrong_type(lint_files):
    report, text = lint_tasks(
        lint_files, [{"name": 7, "series": [{"items": "ct.nii.gz", "binaryMask": "true"}]}]
    )
    found = [f for f in report.findings if f.code == "RB102"]
    assert [(f.line, f.column) for f in found] == [position(text, "7"), position(text, '"true"')]
    assert "`name` must be a string, not an integer" in found[0].message
    assert "`binaryMask` must be a boolean" in found[1].message


def test_rb102_items_of_the_wrong_type(lint_files):
    report, text = lint_tasks(lint_files, [{"name": "p1", "series": [{"items": {"path": "x"}}]}])
    finding = only(report, "RB102")
    assert (finding.line, finding.column) == position(text, '{\n          "path"')
    assert "string or a non-empty array" in finding.message


def test_rb103_unknown_key_with_did_you_mean(lint_files):
    report, text = lint_tasks(lint_files, [task(segmentations="seg.nii.gz", segmentmap={"1": "Liver"})])
    finding = only(report, "RB103")
    assert (finding.line, finding.column) == position(text, '"segmentmap"')
    assert "did you mean `segmentMap`?" in finding.message
    assert finding.severity.name == "WARNING"


def test_rb103_items_on_the_task_says_where_it_belongs(lint_files):
    report, text = lint_tasks(
        lint_files, [{"name": "p1", "items": "ct.nii.gz", "series": [{"items": "x.dcm"}]}]
    )
    finding = only(report, "RB103")
    assert (finding.line, finding.column) == position(text, '"items"')
    assert "belongs in a series" in finding.message


def test_rb103_passes_on_export_fields_in_tasks_json(lint_files):
    report, _ = lint_tasks(lint_files, [{**task(), "taskId": "t-1", "currentStageName": "END"}])
    assert report.findings == []


def test_rb104_empty_items(lint_files):
    report, text = lint_tasks(lint_files, [task(items=[])])
    finding = only(report, "RB104")
    assert (finding.line, finding.column) == position(text, "[]")
    assert "must not be empty" in finding.message


def test_rb104_bad_measurement_type(lint_files):
    measurement = {
        "type": "area",
        "point1": {"i": 1, "j": 1, "k": 1},
        "point2": {"i": 2, "j": 2, "k": 2},
        "category": "Liver",
    }
    report, text = lint_tasks(lint_files, [task(measurements=[measurement])])
    finding = only(report, "RB102")
    assert (finding.line, finding.column) == position(text, '{\n            "type"')
    assert '"length" or "angle"' in finding.message


def test_rb105_segmentations_without_segmentmap(lint_files):
    report, text = lint_tasks(lint_files, [task(segmentations="seg.nii.gz")])
    finding = only(report, "RB105")
    assert (finding.line, finding.column) == position(text, '"segmentations"')


def test_rb106_segmentmap_without_segmentations(lint_files):
    report, text = lint_tasks(lint_files, [task(segmentMap={"1": "Liver"})])
    finding = only(report, "RB106")
    assert (finding.line, finding.column) == position(text, '"segmentMap"')


def test_rb107_task_level_segmentmap(lint_files):
    tasks = [{"name": "p1", "segmentMap": {"1": "Liver"}, "series": [{"items": "ct.nii.gz", **SEG}]}]
    report, text = lint_tasks(lint_files, tasks)
    assert codes(report) == ["RB107"]
    finding = only(report, "RB107")
    assert (finding.line, finding.column) == position(text, '"segmentMap"')
    assert "move it there" in finding.message


def test_rb108_binary_mask_flag_inside_segmentmap(lint_files):
    segment_map = {"1": {"category": "Liver", "mask": "liver.nii.gz"}, "binaryMask": True}
    report, text = lint_tasks(lint_files, [task(segmentations=["liver.nii.gz"], segmentMap=segment_map)])
    assert codes(report) == ["RB108"]  # not also an invalid instance id or category
    finding = only(report, "RB108")
    assert (finding.line, finding.column) == position(text, '"binaryMask"')


def test_rb108_passes_with_the_flag_on_the_series(lint_files):
    segment_map = {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    report, _ = lint_tasks(
        lint_files, [task(segmentations=["liver.nii.gz"], segmentMap=segment_map, binaryMask=True)]
    )
    assert "RB108" not in codes(report)


def test_rb109_pngmask_without_binarymask(lint_files):
    report, text = lint_tasks(
        lint_files, [task(items="x.png", pngMask=True, segmentations=["a.png"], segmentMap={"1": "Liver"})]
    )
    finding = only(report, "RB109")
    assert (finding.line, finding.column) == position(text, '"pngMask"')
    report, _ = lint_tasks(
        lint_files,
        [
            task(
                items="x.png",
                pngMask=True,
                binaryMask=True,
                segmentations=["a.png"],
                segmentMap={"1": "Liver"},
            )
        ],
    )
    assert "RB109" not in codes(report)


def test_rb110_several_nifti_items_in_one_series(lint_files):
    report, text = lint_tasks(lint_files, [task(items=["t1.nii.gz", "t2.nii.gz"])])
    finding = only(report, "RB110")
    assert (finding.line, finding.column) == position(text, '"t1.nii.gz"')
    report, _ = lint_tasks(lint_files, [task(items=["t1.nii.gz"])])
    assert "RB110" not in codes(report)


@pytest.mark.parametrize("item", ["scan.mha", "s3://bucket/study.zip?X-Amz-Signature=abc"])
def test_rb111_unsupported_item_type(lint_files, item):
    report, text = lint_tasks(lint_files, [task(items=item)])
    finding = only(report, "RB111")
    assert (finding.line, finding.column) == position(text, json.dumps(item))


@pytest.mark.parametrize(
    "item",
    [
        "ct.nii.gz",
        "IM0001",
        "1.2.840.113619.2.55.3",
        "frame.JPG",
        "gs://b/x.dcm?alt=media",
        "video.mp4",
        "vol.nrrd.gz",
        "report.html",  # report items the current SDK uploads
        "notes.txt",
    ],
)
def test_rb111_supported_item_types(lint_files, item):
    report, _ = lint_tasks(lint_files, [task(items=item)])
    assert report.findings == []


def test_rb112_priority_out_of_range(lint_files):
    report, text = lint_tasks(lint_files, [{**task(), "priority": 3}])
    finding = only(report, "RB112")
    assert (finding.line, finding.column) == position(text, "3")
    report, _ = lint_tasks(lint_files, [{**task(), "priority": 0.5}])
    assert report.findings == []


def test_rb113_non_string_metadata(lint_files):
    report, text = lint_tasks(lint_files, [{**task(), "metaData": {"age": 54, "site": "A"}}])
    finding = only(report, "RB113")
    assert (finding.line, finding.column) == position(text, "54")
    assert 'write it as "54"' in finding.message


@pytest.mark.parametrize("key", ["0", "65536", "01", "liver", "-1", "1.5"])
def test_rb114_invalid_instance_ids(lint_files, key):
    report, text = lint_tasks(lint_files, [task(segmentations="seg.nii.gz", segmentMap={key: "Liver"})])
    finding = only(report, "RB114")
    assert (finding.line, finding.column) == position(text, json.dumps(key) + ":")


def test_rb114_valid_instance_ids(lint_files):
    report, _ = lint_tasks(
        lint_files, [task(segmentations="seg.nii.gz", segmentMap={"1": "a", "65535": "b"})]
    )
    assert report.findings == []


def test_rb115_category_of_the_wrong_type(lint_files):
    segment_map = {"1": True, "2": 2.5, "3": {"category": {"name": "Liver"}}}
    report, text = lint_tasks(lint_files, [task(segmentations="seg.nii.gz", segmentMap=segment_map)])
    found = [f for f in report.findings if f.code == "RB115"]
    assert [(f.line, f.column) for f in found] == [
        position(text, "true"),
        position(text, "2.5"),
        position(text, '{\n              "name"'),
    ]
    assert "is a boolean" in found[0].message


def test_rb115_passes_for_every_category_form(lint_files):
    segment_map = {"1": "Liver", "2": 3, "3": ["Abdomen", "Spleen"], "4": {"category": ["Abdomen", "Kidney"]}}
    bbox = {"pointTopLeft": {"xNorm": 0.1, "yNorm": 0.1}, "wNorm": 0.2, "hNorm": 0.2, "category": 4}
    report, _ = lint_tasks(
        lint_files, [task(segmentations="seg.nii.gz", segmentMap=segment_map, boundingBoxes=[bbox])]
    )
    assert report.findings == []


def test_consensus_task_validates_against_its_own_model(lint_files):
    entry = {"updatedBy": "a@x.org", "series": [{"items": "ct.nii.gz"}], "scores": []}
    tasks = [{"name": "p1", "consensus": True, "consensusTasks": [entry], "taskId": "t1"}]
    report, _ = lint_tasks(lint_files, tasks)
    assert "RB101" not in codes(report) and "RB103" not in codes(report)
    entry.pop("updatedBy")
    report, _text = lint_tasks(lint_files, tasks)
    finding = only(report, "RB101")
    assert finding.pointer == "/0/consensusTasks/0" and "`updatedBy`" in finding.message


def test_validation_locates_pydantic_errors_and_judges_none(tmp_path):
    tasks = [{"name": 7, "series": [{"items": "a.nii", "segmentMap": {"x": "Liver"}}]}, {}]
    doc = document_from_bytes(json.dumps(tasks).encode(), tmp_path / "items.json", "items.json")
    located = [(e.pointer, e.at, e.name, e.error_type) for e in schema_errors(doc)]
    assert located == [
        ("/0/name", "value", "name", "string_type"),
        ("/0/series/0/segmentMap/x", "key", "x", "string_pattern_mismatch"),
        ("/1/name", "value", "name", "missing"),
        ("/1/series", "value", "series", "missing"),
    ]


def test_rb101_reports_an_object_once_at_its_first_missing_key(lint_files):
    report, _text = lint_tasks(lint_files, [task(), {}])  # `{}` lacks both `name` and `series`
    finding = only(report, "RB101")
    assert finding.pointer == "/1" and "`name`" in finding.message
