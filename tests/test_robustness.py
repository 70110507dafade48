"""Property test: valid documents mutated at random never make rb-lint raise or fail internally."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rb_lint import lint_documents

ITEMS = [
    {
        "name": "patient-001",
        "priority": 0.5,
        "metaData": {"site": "A"},
        "series": [
            {
                "name": "T1",
                "items": "t1.nii.gz",
                "segmentations": ["seg-1.nii.gz", "seg-2.nii.gz"],
                "segmentMap": {
                    "1": "Liver",
                    "2": {"category": ["Abdomen", "Spleen"], "mask": "seg-2.nii.gz"},
                },
                "binaryMask": True,
                "boundingBoxes": [
                    {
                        "pointTopLeft": {"xNorm": 0.1, "yNorm": 0.2},
                        "wNorm": 0.3,
                        "hNorm": 0.1,
                        "category": "Liver",
                        "attributes": {"Confidence": "High"},
                    }
                ],
                "measurements": [
                    {
                        "type": "length",
                        "point1": {"i": 1, "j": 2, "k": 3},
                        "point2": {"i": 4, "j": 5, "k": 6},
                        "category": 2,
                    }
                ],
            }
        ],
    },
    {
        "name": "patient-002",
        "series": [{"items": ["a.dcm", "b.dcm"], "classifications": [{"category": "Normal"}]}],
    },
]
CONSENSUS = [
    {
        "name": "patient-003",
        "taskId": "t-3",
        "consensus": True,
        "consensusScore": 88.0,
        "consensusTasks": [
            {
                "updatedBy": "a@x.org",
                "series": [
                    {"items": "ct.nii.gz", "segmentations": "s_1.nii.gz", "segmentMap": {"1": "Liver"}}
                ],
                "scores": [{"secondaryUser": "b@x.org", "score": 88.0}],
            },
            {
                "updatedBy": "b@x.org",
                "series": [{"items": "ct.nii.gz"}],
                "scores": [{"secondaryUserEmail": "a@x.org", "score": 88.0}],
            },
        ],
        "superTruth": {"updatedBy": "c@x.org", "series": [{"items": "ct.nii.gz"}]},
    }
]
TAXONOMY = {
    "name": "Abdomen",
    "isNew": True,
    "studyClassify": [
        {
            "name": "Quality",
            "attrType": "SELECT",
            "attrId": 1,
            "options": [{"name": "Good", "optionId": 1}, {"name": "Bad", "optionId": 2}],
        }
    ],
    "objectTypes": [
        {"category": "Abdomen", "classId": 0, "labelType": "SEGMENTATION"},
        {
            "category": "Liver",
            "classId": 1,
            "labelType": "SEGMENTATION",
            "parents": ["Abdomen"],
            "attributes": [{"name": "Confidence", "attrType": "TEXT", "attrId": 2}],
        },
        {"category": "Spleen", "classId": 2, "labelType": "BBOX", "parents": ["Abdomen"], "archived": True},
    ],
}
DATAGYM = [
    {
        "label_classes": [
            {"class_name": "car", "geometry_type": "polygon"},
            {"class_name": "weather", "classification_type": "select"},
        ]
    },
    {
        "internal_media_ID": "m1",
        "external_media_ID": "a.jpg",
        "labeler": None,
        "status": "completed",
        "global_classifications": {"weather": ["sunny"]},
        "labels": {
            "car": [
                {"geometry": [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 5, "y": 5}], "classifications": {}}
            ]
        },
    },
]
SEEDS = [ITEMS, CONSENSUS, TAXONOMY, DATAGYM]
JUNK = st.sampled_from(
    [
        None,
        True,
        -1,
        0,
        1.5,
        1e308,
        "",
        "x",
        "../../etc/passwd",
        "s3://b/k.nii.gz",
        [],
        {},
        [None],
        {"": None},
        ["a", 1],
        "0",
        "65536",
        [[{"x": None}]],
    ]
)


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> str:
    doc: Any = copy.deepcopy(draw(st.sampled_from(SEEDS)))  # a JSON tree, walked by key and index
    for _ in range(draw(st.integers(1, 4))):
        targets = [p for p in paths(doc) if p]
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "rename"]))
        if action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(JUNK))
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = parent.pop(path[-1])
    text = json.dumps(doc, indent=draw(st.sampled_from([None, 2])))
    edit = draw(st.sampled_from(["none", "truncate", "junk"]))
    cut = draw(st.integers(0, max(len(text) - 1, 0)))
    if edit == "truncate":
        text = text[:cut]
    elif edit == "junk":
        text = (
            text[:cut]
            + draw(st.sampled_from([",", "]", "}", "NaN", '"', "\\", "\x00", "{{", "é"]))
            + text[cut:]
        )
    return text


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutated())
def test_mutated_documents_never_crash(tmp_path: Path, text: str):
    report = lint_documents({"data.json": text}, root=tmp_path, config={})
    assert report.errors == [], report.errors
    for finding in report.findings:
        assert finding.line >= 1 and finding.column >= 1
        assert finding.code.startswith("RB") and finding.message


@pytest.mark.parametrize("seed", SEEDS, ids=["items", "consensus", "taxonomy", "datagym"])
def test_seed_documents_lint_without_internal_errors(tmp_path: Path, seed: Any):
    report = lint_documents({"data.json": seed}, root=tmp_path, config={})
    assert report.errors == []
