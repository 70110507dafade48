"""The JSON Schemas in schemas/ are generated from the models and must not drift from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from rb_lint.models.schemas import SCHEMAS, render

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_file_matches_its_model(name):
    path = SCHEMA_DIR / f"{name}.json"
    assert path.exists(), f"schemas/{name}.json is missing: run `python -m rb_lint.models.schemas`"
    assert path.read_text(encoding="utf-8") == render(SCHEMAS[name]), (
        f"schemas/{name}.json drifted from its model: run `python -m rb_lint.models.schemas`"
    )


def test_no_stray_schema_files():
    assert {p.stem for p in SCHEMA_DIR.glob("*.json")} == set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas_are_valid_json_schema(name):
    Draft202012Validator.check_schema(json.loads(render(SCHEMAS[name])))


def test_items_list_schema_accepts_a_valid_list_and_rejects_a_typo():
    validator = Draft202012Validator(json.loads(render(SCHEMAS["items-list"])))
    good = [
        {
            "name": "p1",
            "series": [
                {
                    "items": "ct.nii.gz",
                    "segmentations": "s.nii.gz",
                    "segmentMap": {"1": "Liver", "2": {"category": ["A", "B"]}},
                }
            ],
        }
    ]
    assert list(validator.iter_errors(good)) == []
    bad = [{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentmap": {}}]}]
    assert [e.validator for e in validator.iter_errors(bad)] == ["additionalProperties"]
    bad_key = [{"name": "p1", "series": [{"items": "x", "segmentations": "s", "segmentMap": {"0": "a"}}]}]
    assert list(validator.iter_errors(bad_key))
