"""RB400-RB409: tasks checked against a taxonomy (categories, label types, attributes, semantic ids)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from conftest import codes, only, position, task, write
from taxonomy_builders import legacy_taxonomy, object_type, taxonomy

from rb_lint import Report
from rb_lint.core.context import Options

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VOXEL = {"i": 1, "j": 2, "k": 3}
POINT = {"xNorm": 0.2, "yNorm": 0.3}


TAXONOMY = taxonomy(
    "Test taxonomy",
    object_type("Aortic centerline", 12, "POLYLINE"),
    object_type("Spleen outline", 13, "POLYGON"),
    object_type("Lesion ROI", 14, "ELLIPSE"),
    object_type("Liver extent", 15, "CUBOID"),
)

# Each label list, a label of it, and a category of the right labelType.
LABELS: dict[str, tuple[Callable[[Any], dict[str, Any]], str]] = {
    "boundingBoxes": (
        lambda c: {"category": c, "pointTopLeft": POINT, "wNorm": 0.1, "hNorm": 0.1},
        "Lymph node",
    ),
    "polygons": (lambda c: {"category": c, "points": [POINT, POINT, POINT]}, "Spleen outline"),
    "polylines": (lambda c: {"category": c, "points": [POINT, POINT]}, "Aortic centerline"),
    "landmarks": (lambda c: {"category": c, "point": POINT}, "Kidney stone"),
    "landmarks3d": (lambda c: {"category": c, "point": VOXEL}, "Kidney stone"),
    "ellipses": (
        lambda c: {
            "category": c,
            "pointCenter": POINT,
            "xRadiusNorm": 0.1,
            "yRadiusNorm": 0.1,
            "rotationRad": 0,
        },
        "Lesion ROI",
    ),
    "cuboids": (lambda c: {"category": c, "point1": VOXEL, "point2": VOXEL}, "Liver extent"),
    "measurements": (
        lambda c: {"type": "length", "category": c, "point1": VOXEL, "point2": VOXEL},
        "Midline shift",
    ),
}
EXPECTED_TYPES = {
    "boundingBoxes": "BBOX",
    "polygons": "POLYGON",
    "polylines": "POLYLINE",
    "landmarks": "POINT",
    "landmarks3d": "POINT",
    "ellipses": "ELLIPSE",
    "cuboids": "CUBOID",
    "measurements": "LENGTH",
}


def segmented(segment_map: dict[str, Any], name: str = "patient-001", **series: Any) -> dict[str, Any]:
    return task(name, segmentations="seg.nii.gz", segmentMap=segment_map, **series)


@pytest.fixture
def check(lint_files: Callable[..., Report], tmp_path: Path) -> Callable[..., tuple[Report, str]]:
    """Lint an items list next to the test taxonomy (picked up as the one linted taxonomy)."""

    def run(tasks: list[Any], taxonomy: dict[str, Any] | None = None, **kwargs: Any) -> tuple[Report, str]:
        report = lint_files({"items.json": tasks, "taxonomy.json": taxonomy or TAXONOMY}, **kwargs)
        return report, (tmp_path / "items.json").read_text(encoding="utf-8")

    return run


def at(report: Report, code: str) -> tuple[int, int]:
    finding = only(report, code)
    return finding.line, finding.column


def after(text: str, anchor: str, needle: str) -> tuple[int, int]:
    """Position of the first `needle` at or after `anchor` (for values that repeat elsewhere)."""
    index = text.index(needle, text.index(anchor))
    return position(text[: index + len(needle)], needle, text[: index + len(needle)].count(needle))


def taxonomy_codes(report: Report) -> list[str]:
    return [c for c in codes(report) if c.startswith("RB4")]


# --- Acceptance ------------------------------------------------------------------------------


def test_misspelled_category_is_an_error_at_its_line_suggesting_the_name(check: Any) -> None:
    report, text = check([segmented({"1": "Gliomma", "2": "Edema"})])
    assert at(report, "RB402") == position(text, '"Gliomma"')
    assert "did you mean `Glioma`?" in only(report, "RB402").message


def test_segmentmap_category_of_a_bbox_object_type_names_both_label_types(check: Any) -> None:
    report, text = check([segmented({"1": ["Abdomen", "Lymph node"]})])
    finding = only(report, "RB405")
    assert (finding.line, finding.column) == after(text, '"1"', "[")
    assert "SEGMENTATION" in finding.message and "BBOX" in finding.message


def test_semantic_key_must_be_class_id_plus_one(check: Any) -> None:
    report, text = check([segmented({"3": "Enhancing tumor"}, semanticMask=True)])
    finding = only(report, "RB409")
    assert (finding.line, finding.column) == position(text, '"3"')
    assert "classId 3" in finding.message and "expected key `4`" in finding.message


# --- RB400 no-taxonomy -----------------------------------------------------------------------


def test_without_a_taxonomy_one_info_finding_for_the_whole_run(lint_files: Any) -> None:
    report = lint_files(
        {"a.json": [segmented({"1": "Gliomma"})], "b.json": [segmented({"1": "Liver"}, name="patient-002")]}
    )
    finding = only(report, "RB400")
    assert (finding.path, finding.line, finding.column) == ("a.json", 1, 1)
    assert "--taxonomy FILE" in finding.message and "[tool.rb-lint]" in finding.message
    assert "RB402" not in codes(report)


def test_no_taxonomy_finding_names_the_choice_when_several_are_linted(lint_files: Any) -> None:
    report = lint_files({"items.json": [segmented({"1": "Liver"})], "t1.json": TAXONOMY, "t2.json": TAXONOMY})
    assert "2 taxonomies are linted" in only(report, "RB400").message


def test_no_taxonomy_finding_is_not_given_for_tasks_without_labels(lint_files: Any) -> None:
    report = lint_files({"items.json": [task()]})
    assert "RB400" not in codes(report)


def test_no_taxonomy_finding_is_not_given_with_a_taxonomy(check: Any) -> None:
    report, _text = check([segmented({"1": "Liver"})])
    assert taxonomy_codes(report) == []


# --- Where the taxonomy comes from -----------------------------------------------------------


def test_taxonomy_option_is_used_without_linting_the_file(lint_files: Any, tmp_path: Path) -> None:
    taxonomy = write(tmp_path.parent / f"{tmp_path.name}-taxonomy.json", TAXONOMY)
    report = lint_files({"items.json": [segmented({"1": "Gliomma"})]}, options=Options(taxonomy=taxonomy))
    assert "did you mean `Glioma`?" in only(report, "RB402").message
    assert "RB400" not in codes(report)


def test_taxonomy_config_key_is_relative_to_the_config_root(lint_files: Any, tmp_path: Path) -> None:
    write(tmp_path.parent / f"{tmp_path.name}-shared" / "taxonomy.json", TAXONOMY)
    report = lint_files(
        {"items.json": [segmented({"1": "Gliomma"})]},
        config={"taxonomy": f"../{tmp_path.name}-shared/taxonomy.json"},
    )
    assert only(report, "RB402").path == "items.json"


def test_explicit_taxonomy_wins_over_a_linted_one(lint_files: Any, tmp_path: Path) -> None:
    other = copy.deepcopy(TAXONOMY)
    other["objectTypes"][0]["category"] = "Gliomma"
    taxonomy = write(tmp_path.parent / f"{tmp_path.name}-other.json", other)
    report = lint_files(
        {"items.json": [segmented({"1": "Gliomma"})], "taxonomy.json": TAXONOMY},
        options=Options(taxonomy=taxonomy),
    )
    assert "RB402" not in codes(report)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read the taxonomy missing.json: cannot read the file"),
        ('{"name": "t", "objectTypes": [}', "cannot read the taxonomy missing.json: line 1 column"),
        ('[{"name": "p1", "series": []}]', "missing.json is not a taxonomy"),
    ],
)
def test_unreadable_taxonomy_is_a_usage_error(tmp_path: Path, content: str | None, reason: str) -> None:
    write(tmp_path / "items.json", [segmented({"1": "Liver"})])
    if content is not None:
        write(tmp_path / "missing.json", content)
    result = _cli("--taxonomy", "missing.json", "items.json", cwd=tmp_path)
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and reason in errors[0], result.stderr


# --- RB401 legacy-taxonomy -------------------------------------------------------------------

V1 = legacy_taxonomy()


def test_linted_v1_taxonomy_gets_an_info_and_no_v2_structure_errors(lint_files: Any, tmp_path: Path) -> None:
    report = lint_files({"legacy.json": V1})
    text = (tmp_path / "legacy.json").read_text()
    finding = only(report, "RB401")
    assert (finding.line, finding.column) == position(text, '"categories"')
    assert "V2" in finding.message
    assert codes(report) == ["RB401"]


def test_v1_taxonomy_given_by_option_is_reported_at_the_first_task_file(
    lint_files: Any, tmp_path: Path
) -> None:
    legacy = write(tmp_path.parent / f"{tmp_path.name}-v1.json", V1)
    report = lint_files(
        {"items.json": [segmented({"1": "Glioma", "2": ["Brain", "Glioma"]})]},
        options=Options(taxonomy=legacy),
    )
    finding = only(report, "RB401")
    assert (finding.path, finding.line, finding.column) == ("items.json", 1, 1)
    assert taxonomy_codes(report) == ["RB401"]


def test_v1_taxonomy_still_finds_unknown_categories(check: Any) -> None:
    report, text = check([segmented({"1": "Gliomma", "2": 2}, semanticMask=True)], V1)
    assert at(report, "RB402") == position(text, '"Gliomma"')
    assert "did you mean `Glioma`?" in only(report, "RB402").message
    assert "RB409" not in codes(report)  # no semantic ids without V2


def test_v2_taxonomy_gets_no_legacy_finding(check: Any) -> None:
    report, _text = check([segmented({"1": "Liver"})])
    assert "RB401" not in codes(report)


# --- RB402 unknown-category ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "needle", "expected"),
    [
        (["Brain", "Glioma"], "[", 'did you mean `["Brain", "Tumor", "Glioma"]`?'),
        (42, "42", "classId 42 is not in the taxonomy"),
        ("Pancreas", '"Pancreas"', "its categories include `Glioma`"),
        ([], "[]", "an empty category path"),
    ],
)
def test_unknown_category_forms(check: Any, category: Any, needle: str, expected: str) -> None:
    report, text = check([segmented({"1": category})])
    assert at(report, "RB402") == after(text, '"1"', needle)
    assert expected in only(report, "RB402").message


def test_known_category_forms_pass(check: Any) -> None:
    report, _text = check(
        [
            segmented(
                {
                    "1": "Glioma",
                    "2": ["Abdomen", "Liver"],
                    "3": 2,
                    "4": {"category": ["Brain", "Tumor", "Edema"]},
                }
            )
        ]
    )
    assert taxonomy_codes(report) == []


@pytest.mark.parametrize("owner", ["consensusTasks", "superTruth"])
def test_unknown_category_in_consensus_series(check: Any, owner: str) -> None:
    series = [{"items": "ct.nii.gz", "segmentations": "a.nii.gz", "segmentMap": {"1": "Livr"}}]
    entry = {"updatedBy": "a@example.com", "series": series}
    consensus = {
        "name": "p1",
        "consensus": True,
        "currentStageName": "END",
        "consensusTasks": [entry] if owner == "consensusTasks" else [],
        **({"superTruth": entry} if owner == "superTruth" else {}),
    }
    report, text = check([consensus])
    assert at(report, "RB402") == position(text, '"Livr"')
    assert "did you mean `Liver`?" in only(report, "RB402").message


@pytest.mark.parametrize("key", sorted(LABELS))
def test_unknown_category_in_every_label_list(check: Any, key: str) -> None:
    make, _category = LABELS[key]
    labels: dict[str, Any] = {key: [make("Nonexistent")]}
    report, text = check([task(**labels)])
    assert at(report, "RB402") == position(text, '"Nonexistent"')


def test_unknown_category_in_a_classification(check: Any) -> None:
    report, text = check([task(classifications=[{"category": "Normall"}])])
    assert at(report, "RB402") == position(text, '"Normall"')


# --- RB403 ambiguous-category ----------------------------------------------------------------


def test_bare_leaf_under_several_parents_is_ambiguous(check: Any) -> None:
    report, text = check([segmented({"1": "Metastasis"})])
    finding = only(report, "RB403")
    assert (finding.line, finding.column) == position(text, '"Metastasis"')
    assert '["Brain", "Tumor", "Metastasis"]' in finding.message
    assert '["Abdomen", "Metastasis"]' in finding.message


def test_full_path_of_a_repeated_leaf_passes(check: Any) -> None:
    report, _text = check([segmented({"1": ["Abdomen", "Metastasis"]})])
    assert taxonomy_codes(report) == []


# --- RB404 archived-category -----------------------------------------------------------------


def test_archived_category_is_a_warning(check: Any) -> None:
    report, text = check([segmented({"1": "Tumor core"})])
    finding = only(report, "RB404")
    assert (finding.line, finding.column, str(finding.severity)) == (
        *position(text, '"Tumor core"'),
        "warning",
    )
    assert "archived" in finding.message


def test_active_category_is_not_archived(check: Any) -> None:
    report, _text = check([segmented({"1": "Necrosis"})])
    assert "RB404" not in codes(report)


# --- RB405 label-type-mismatch ---------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(LABELS))
def test_label_list_with_a_segmentation_category(check: Any, key: str) -> None:
    make, _category = LABELS[key]
    labels: dict[str, Any] = {key: [make("Necrosis")]}
    report, text = check([task(**labels)])
    finding = only(report, "RB405")
    assert (finding.line, finding.column) == position(text, '"Necrosis"')
    assert EXPECTED_TYPES[key] in finding.message and "SEGMENTATION" in finding.message


@pytest.mark.parametrize("key", sorted(LABELS))
def test_label_list_with_its_own_label_type_passes(check: Any, key: str) -> None:
    make, category = LABELS[key]
    labels: dict[str, Any] = {key: [make(category)]}
    report, _text = check([task(**labels)])
    assert taxonomy_codes(report) == []


def test_angle_measurement_needs_an_angle_category(check: Any) -> None:
    angle = {"type": "angle", "point1": VOXEL, "point2": VOXEL, "vertex": VOXEL}
    report, text = check(
        [task(measurements=[{**angle, "category": "Midline shift"}, {**angle, "category": "Cobb angle"}])]
    )
    finding = only(report, "RB405")
    assert (finding.line, finding.column) == position(text, '"Midline shift"')
    assert "ANGLE" in finding.message and "LENGTH" in finding.message


# --- RB406 unknown-attribute -----------------------------------------------------------------

GLIOMA = ["Brain", "Tumor", "Glioma"]


def test_unknown_attribute_name_is_reported_at_its_key(check: Any) -> None:
    report, text = check([segmented({"1": {"category": GLIOMA, "attributes": {"Grde": "Low grade"}}})])
    finding = only(report, "RB406")
    assert (finding.line, finding.column) == position(text, '"Grde"')
    assert "did you mean `Grade`?" in finding.message


@pytest.mark.parametrize(
    ("entry", "needle", "expected"),
    [
        ({"attrId": 9}, "9", "attrId 9 is not defined"),
        ({"attrId": 0, "name": "Comment"}, '"Comment"', "attrId 0 is `Grade`"),
        ({"name": "Stage"}, '"Stage"', "its attributes are `Grade`"),
    ],
)
def test_unknown_attribute_in_the_list_form(
    check: Any, entry: dict[str, Any], needle: str, expected: str
) -> None:
    report, text = check([segmented({"1": {"category": GLIOMA, "attributes": [entry]}})])
    assert at(report, "RB406") == position(text, needle)
    assert expected in only(report, "RB406").message


@pytest.mark.parametrize(
    ("where", "needle", "classify"),
    [
        ({"classification": {"attributes": {"Quality": "Limited"}}}, '"Quality"', "studyClassify"),
        ({"classifications": [{"attributes": {"Artefacts": ["Motion"]}}]}, '"Artefacts"', "seriesClassify"),
        (
            {"instanceClassifications": [{"fileIndex": 0, "values": {"Keyslice": True}}]},
            '"Keyslice"',
            "instanceClassify",
        ),
    ],
)
def test_classification_attributes_come_from_their_classify_list(
    check: Any, where: dict[str, Any], needle: str, classify: str
) -> None:
    item = task()
    if "classification" in where:
        item.update(where)
    else:
        item["series"][0].update(where)
    report, text = check([item])
    finding = only(report, "RB406")
    assert (finding.line, finding.column) == position(text, needle)
    assert classify in finding.message


def test_known_attributes_pass(check: Any) -> None:
    item = segmented(
        {
            "1": {
                "category": GLIOMA,
                "attributes": {
                    "Grade": "High grade",
                    "IDH mutant": False,
                    "Comment": "ok",
                    "Findings": ["Cyst"],
                },
            },
            "2": {
                "category": GLIOMA,
                "attributes": [
                    {"attrId": 0, "name": "Grade", "optionId": 1},
                    {"attrId": 3, "optionId": [0, 1]},
                    {"name": "IDH mutant", "value": True},
                ],
            },
        },
        classifications=[{"attributes": {"Artifacts": ["Motion", "Metal"]}}],
        instanceClassifications=[{"fileIndex": 0, "values": {"Key slice": True}}],
    )
    item["classification"] = {"attributes": {"Study quality": "Diagnostic"}}
    report, _text = check([item])
    assert taxonomy_codes(report) == []


# --- RB407 invalid-attribute-value -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "needle", "expected"),
    [
        ({"IDH mutant": "yes"}, '"yes"', "BOOL attribute: its value is true or false"),
        ({"Comment": 5}, "5", "TEXT attribute"),
        ({"Grade": "High"}, '"High"', "did you mean `High grade`?"),
        ({"Grade": ["Low grade"]}, "[", "SELECT attribute: its value is one option name"),
        ({"Findings": "Cyst"}, '"Cyst"', 'e.g. `["Cyst"]`'),
        ({"Findings": ["Cyst", "Tumour"]}, '"Tumour"', "not an option of `Findings`"),
        ([{"attrId": 0, "optionId": 7}], "7", "optionId 7 is not an option of `Grade`"),
        ([{"attrId": 0, "optionId": [0, 1]}], '"optionId": [', "takes one optionId, not 2"),
        ([{"attrId": 1, "optionId": 0}], '"optionId": 0', "BOOL attribute, which has no options"),
    ],
)
def test_invalid_attribute_values(check: Any, attributes: Any, needle: str, expected: str) -> None:
    report, text = check([segmented({"1": {"category": GLIOMA, "attributes": attributes}})])
    finding = only(report, "RB407")
    line, column = after(text, '"attributes"', needle)
    if needle.startswith('"optionId"'):
        column += len('"optionId": ')
    assert (finding.line, finding.column) == (line, column)
    assert expected in finding.message


def test_multiselect_option_ids_in_the_list_form_pass(check: Any) -> None:
    report, _text = check(
        [
            segmented(
                {
                    "1": {
                        "category": GLIOMA,
                        "attributes": [{"attrId": 3, "optionId": 1}, {"attrId": 3, "value": ["Mass"]}],
                    }
                }
            )
        ]
    )
    assert taxonomy_codes(report) == []


# --- RB408 archived-attribute ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "needle", "expected"),
    [
        ({"Grade": "Old grade"}, '"Old grade"', "option `Old grade` of `Grade` is archived"),
        ([{"attrId": 0, "optionId": 2}], "2", "option `Old grade` of `Grade` is archived"),
        ({"Legacy flag": True}, '"Legacy flag"', "attribute `Legacy flag` is archived"),
        ([{"attrId": 4, "value": True}], "4", "attribute `Legacy flag` is archived"),
    ],
)
def test_archived_attributes_and_options(check: Any, attributes: Any, needle: str, expected: str) -> None:
    report, text = check([segmented({"1": {"category": GLIOMA, "attributes": attributes}})])
    finding = only(report, "RB408")
    assert (finding.line, finding.column) == after(text, '"attributes"', needle)
    assert expected in finding.message and str(finding.severity) == "warning"


def test_active_option_is_not_archived(check: Any) -> None:
    report, _text = check([segmented({"1": {"category": GLIOMA, "attributes": {"Grade": "Low grade"}}})])
    assert "RB408" not in codes(report)


# --- RB409 semantic-instance-id --------------------------------------------------------------


def test_integer_category_in_a_semantic_mask_is_off_by_one(check: Any) -> None:
    report, text = check([segmented({"3": 3}, semanticMask=True)])
    finding = only(report, "RB409")
    assert (finding.line, finding.column) == position(text, '"3"')
    assert "expected key `4`" in finding.message and "integer category" in finding.message


def test_semantic_keys_at_class_id_plus_one_pass(check: Any) -> None:
    report, _text = check([segmented({"4": 3, "1": {"category": GLIOMA}, "2": "Edema"}, semanticMask=True)])
    assert taxonomy_codes(report) == []


def test_instance_masks_need_no_class_id_keys(check: Any) -> None:
    report, _text = check([segmented({"3": "Enhancing tumor"})])
    assert "RB409" not in codes(report)


# --- Robustness and the example --------------------------------------------------------------


def test_wrongly_typed_data_never_crashes(check: Any) -> None:
    broken = [
        7,
        {
            "name": "p1",
            "classification": "x",
            "series": [
                {
                    "items": "a.nii.gz",
                    "segmentMap": {"1": None, "2": {"category": True, "attributes": "x"}},
                    "boundingBoxes": [3, {"category": {"a": 1}}],
                    "classifications": [None],
                    "instanceClassifications": [{"values": [1]}],
                    "measurements": "x",
                },
                {
                    "items": "b.nii.gz",
                    "segmentMap": {
                        "1": {
                            "category": GLIOMA,
                            "attributes": [
                                None,
                                {"attrId": True},
                                {"attrId": 0, "optionId": ["x"]},
                                {"name": 3},
                            ],
                        }
                    },
                },
            ],
        },
    ]
    broken_taxonomy = {
        "name": "t",
        "objectTypes": [
            None,
            {"category": 3},
            {
                "category": "Glioma",
                "parents": [1],
                "attributes": [None, {"name": "Grade", "options": [None]}],
            },
        ],
        "studyClassify": "x",
    }
    report, _text = check(broken, broken_taxonomy)
    assert report.errors == []


def test_example_taxonomy_is_clean_and_resolves_its_names(lint_files: Any) -> None:
    example = json.loads((EXAMPLES / "taxonomy.json").read_text(encoding="utf-8"))
    report = lint_files(
        {
            "taxonomy.json": example,
            "items.json": [
                segmented({"1": "Glioma", "2": "Edema", "3": "Necrosis", "4": "Enhancing tumor"}),
                segmented({"10": "Liver", "11": "Spleen", "12": "Kidney"}, name="patient-002"),
            ],
        }
    )
    assert taxonomy_codes(report) == [] and report.errors == []
    assert [f for f in report.findings if f.path == "taxonomy.json"] == []


def test_a_measurement_type_of_the_wrong_json_type_does_not_crash(check: Any) -> None:
    """It used to raise `unhashable type: 'list'` in every RB402-RB409 (an internal error each)."""
    measurement = {"type": ["length"], "category": "Gliomma", "point1": VOXEL, "point2": VOXEL}
    report, _text = check([task(measurements=[measurement])])
    assert report.errors == [] and "RB402" in codes(report) and "RB405" not in codes(report)


# --- One definition of the label types, and facts instead of shared judgements ----------------


def test_label_type_mapping_matches_the_series_model_and_the_rule_expectations() -> None:
    from rb_lint.models.tasks import LIST_LABEL_TYPES, MEASUREMENT_LABEL_TYPES, Label, Series

    label_lists = set()
    for name, field in Series.model_fields.items():
        element = next((a for a in get_args(field.annotation) if get_origin(a) is list), None)
        kind = get_args(element)[0] if element is not None else None
        if isinstance(kind, type) and issubclass(kind, Label):
            label_lists.add(name)
    assert label_lists == set(LIST_LABEL_TYPES) - {"segmentMap"}
    expected = {**EXPECTED_TYPES, "segmentMap": "SEGMENTATION"}
    assert {**LIST_LABEL_TYPES, "measurements": MEASUREMENT_LABEL_TYPES["length"]} == expected
    assert MEASUREMENT_LABEL_TYPES == {"length": "LENGTH", "angle": "ANGLE"}


def test_task_references_are_facts_with_their_places(tmp_path: Path) -> None:
    from rb_lint.core.config import LoadedConfig, parse_config
    from rb_lint.core.context import Context
    from rb_lint.facts.taxonomy import task_references
    from rb_lint.io.loading import document_from_text

    tasks = [
        segmented(
            {"1": "Gliomma", "2": {"category": GLIOMA, "attributes": {"Grde": "x"}}},
            semanticMask=True,
            landmarks=[{"category": "Liver", "point": POINT}],
        )
    ]
    items = document_from_text(json.dumps(tasks), tmp_path / "items.json", "items.json")
    taxonomy = document_from_text(json.dumps(TAXONOMY), tmp_path / "taxonomy.json", "taxonomy.json")
    ctx = Context(LoadedConfig(parse_config({}), tmp_path), [items, taxonomy])
    found = task_references(items, ctx)
    assert found is task_references(items, ctx)  # memoised per document
    assert [
        (r.pointer(), r.list_key, r.required, r.instance, r.semantic_mask, r.resolution.status)
        for r in found.categories
    ] == [
        ("/0/series/0/segmentMap/1", "segmentMap", "SEGMENTATION", "1", True, "unknown"),
        ("/0/series/0/segmentMap/2/category", "segmentMap", "SEGMENTATION", "2", True, "found"),
        ("/0/series/0/landmarks/0/category", "landmarks", "POINT", None, True, "found"),
    ]
    assert found.categories[1].holder_pointer() == "/0/series/0/segmentMap/2"
    assert found.categories[0].key() == "task:patient-001:/series/0/segmentMap/1"
    [attribute] = found.attributes
    assert (attribute.pointer(), attribute.form, attribute.name, attribute.attribute) == (
        "/0/series/0/segmentMap/2/attributes/Grde",
        "object",
        "Grde",
        None,
    )
