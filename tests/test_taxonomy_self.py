"""RB420-RB426 and RB101-RB104 on taxonomy files: the taxonomy's own consistency."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import codes, only, position
from test_taxonomy import TAXONOMY, V1

from rb_lint import Report
from rb_lint.formats.taxonomy_index import TaxonomyIndex
from rb_lint.io.loading import document_from_text
from rb_lint.models.kinds import TAXONOMY as TAXONOMY_KIND

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "taxonomy.json"


@pytest.fixture
def lint_taxonomy(
    lint_files: Callable[..., Report], tmp_path: Path
) -> Callable[[dict[str, Any]], tuple[Report, str]]:
    def run(taxonomy: dict[str, Any]) -> tuple[Report, str]:
        report = lint_files({"taxonomy.json": taxonomy})
        return report, (tmp_path / "taxonomy.json").read_text(encoding="utf-8")

    return run


def base(*object_types: dict[str, Any], **lists: Any) -> dict[str, Any]:
    return {"name": "t", "isNew": True, "objectTypes": list(object_types), **lists}


def obj(
    category: str, class_id: int, *parents: str, label_type: str = "SEGMENTATION", **extra: Any
) -> dict[str, Any]:
    return {
        "category": category,
        "classId": class_id,
        "labelType": label_type,
        **({"parents": list(parents)} if parents else {}),
        **extra,
    }


def attr(name: str, attr_id: int, kind: str = "BOOL", **extra: Any) -> dict[str, Any]:
    return {"name": name, "attrType": kind, "attrId": attr_id, **extra}


def options(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "optionId": i} for i, n in enumerate(names)]


def test_example_taxonomy_lints_clean(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert report.findings == [] and report.errors == []


def test_example_taxonomy_matches_the_shipped_json_schema() -> None:
    schema = json.loads((EXAMPLE.parent.parent / "schemas" / "taxonomy.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(json.loads(EXAMPLE.read_text(encoding="utf-8")))) == []
    bad = base(obj("Glioma", -1))
    assert [e.validator for e in validator.iter_errors(bad)] == ["minimum"]


def test_test_taxonomy_lints_clean(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(TAXONOMY)
    assert report.findings == []


# --- RB420 duplicate-class-id (acceptance) ---------------------------------------------------


def test_two_object_types_sharing_class_id_3_error_at_the_second(lint_taxonomy: Any) -> None:
    report, text = lint_taxonomy(base(obj("Glioma", 0), obj("Edema", 3), obj("Necrosis", 3)))
    finding = only(report, "RB420")
    line, column = position(text, '"classId": 3', 2)
    assert (finding.line, finding.column) == (line, column + len('"classId": '))
    assert "`Edema`" in finding.message and "e.g. 4" in finding.message


def test_distinct_class_ids_pass(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(base(obj("Glioma", 0), obj("Edema", 1)))
    assert codes(report) == []


# --- RB421 duplicate-category-path -----------------------------------------------------------


def test_same_parents_and_category_twice(lint_taxonomy: Any) -> None:
    report, text = lint_taxonomy(
        base(obj("Liver", 0, "Abdomen"), obj("Liver", 1, "Abdomen", label_type="BBOX"))
    )
    finding = only(report, "RB421")
    assert (finding.line, finding.column) == position(text, '"Liver"', 2)
    assert '["Abdomen", "Liver"]' in finding.message


def test_same_leaf_under_different_parents_passes(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(base(obj("Metastasis", 0, "Brain"), obj("Metastasis", 1, "Abdomen")))
    assert codes(report) == []


# --- RB422 duplicate-attribute ---------------------------------------------------------------


def test_repeated_attr_id_within_an_object_type(lint_taxonomy: Any) -> None:
    report, text = lint_taxonomy(
        base(obj("Glioma", 0, attributes=[attr("Enhancing", 0), attr("Necrotic", 0)]))
    )
    finding = only(report, "RB422")
    line, column = position(text, '"attrId": 0', 2)
    assert (finding.line, finding.column) == (line, column + len('"attrId": '))
    assert "attrId 0 is already used by `Enhancing`" in finding.message


def test_repeated_attribute_name_within_a_classify_list(lint_taxonomy: Any) -> None:
    report, text = lint_taxonomy(
        base(obj("Glioma", 0), studyClassify=[attr("Contrast", 0), attr("Contrast", 1)])
    )
    finding = only(report, "RB422")
    assert (finding.line, finding.column) == position(text, '"Contrast"', 2)
    assert "`studyClassify`" in finding.message


def test_attribute_ids_may_repeat_across_object_types(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(
        base(
            obj("Glioma", 0, attributes=[attr("Enhancing", 0)]),
            obj("Edema", 1, attributes=[attr("Enhancing", 0)]),
            studyClassify=[attr("Enhancing", 0)],
        )
    )
    assert codes(report) == []


# --- RB423 duplicate-option ------------------------------------------------------------------


def test_repeated_option_id_and_name(lint_taxonomy: Any) -> None:
    grade = attr(
        "Grade",
        0,
        "SELECT",
        options=[
            {"name": "Low", "optionId": 0},
            {"name": "High", "optionId": 0},
            {"name": "Low", "optionId": 2},
        ],
    )
    report, text = lint_taxonomy(base(obj("Glioma", 0, attributes=[grade])))
    found = sorted((f.line, f.column, f.message) for f in report.findings if f.code == "RB423")
    id_line, id_column = position(text, '"optionId": 0', 2)
    assert [(line, column) for line, column, _m in found] == [
        (id_line, id_column + len('"optionId": ')),
        position(text, '"Low"', 2),
    ]
    assert "optionId 0 of `Grade` is already used by option `Low`" in found[0][2]
    assert "option `Low` of `Grade` is defined twice" in found[1][2]


def test_distinct_options_pass(lint_taxonomy: Any) -> None:
    grade = attr("Grade", 0, "SELECT", options=options("Low", "High"))
    report, _text = lint_taxonomy(base(obj("Glioma", 0, attributes=[grade])))
    assert codes(report) == []


# --- RB424 invalid-default-value -------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "needle", "expected"),
    [
        (
            attr("Grade", 0, "SELECT", options=options("Low", "High"), defaultValue=7),
            '"defaultValue": 7',
            "defaultValue 7 is not an optionId of `Grade`",
        ),
        (
            attr("Grade", 0, "SELECT", options=options("Low", "High"), defaultValue="High"),
            '"defaultValue": "High"',
            "write 1 for `High`",
        ),
        (
            attr("Grade", 0, "SELECT", options=options("Low", "High"), defaultValue=[0, 1]),
            '"defaultValue": [',
            "its defaultValue is one optionId",
        ),
        (
            attr("Sites", 0, "MULTISELECT", options=options("Left", "Right"), defaultValue=[1, 5]),
            "5\n",
            "defaultValue 5 is not an optionId of `Sites`",
        ),
        (
            attr("Enhancing", 0, defaultValue=1),
            '"defaultValue": 1',
            "BOOL attribute: its defaultValue is true or false",
        ),
        (
            attr("Notes", 0, "TEXT", defaultValue=False),
            '"defaultValue": false',
            "TEXT attribute: its defaultValue is a string",
        ),
    ],
)
def test_invalid_default_values(
    lint_taxonomy: Any, attribute: dict[str, Any], needle: str, expected: str
) -> None:
    report, text = lint_taxonomy(base(obj("Glioma", 0, attributes=[attribute])))
    finding = only(report, "RB424")
    line, column = position(text, needle)
    if needle.startswith('"defaultValue"'):
        column += len('"defaultValue": ')
    assert (finding.line, finding.column) == (line, column)
    assert expected in finding.message


def test_valid_default_values_pass(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(
        base(
            obj(
                "Glioma",
                0,
                attributes=[
                    attr("Grade", 0, "SELECT", options=options("Low", "High"), defaultValue=1),
                    attr("Sites", 1, "MULTISELECT", options=options("Left", "Right"), defaultValue=[0, 1]),
                    attr("Enhancing", 2, defaultValue=True),
                    attr("Notes", 3, "TEXT", defaultValue=""),
                ],
            )
        )
    )
    assert codes(report) == []


# --- RB425 inconsistent-parents --------------------------------------------------------------


@pytest.mark.parametrize(
    ("parents", "needle", "expected"),
    [
        (["Brain", ""], '""', "a blank parent tier"),
        (["Brain", "Tumor "], '"Tumor "', "surrounding spaces"),
        (["Brain", "Tumor", "Brain"], '"Brain"\n', "repeats within its own chain"),
        (["Brain", "tumor"], '"tumor"', "spelled `Tumor` elsewhere"),
    ],
)
def test_inconsistent_parent_chains(
    lint_taxonomy: Any, parents: list[str], needle: str, expected: str
) -> None:
    report, text = lint_taxonomy(base(obj("Glioma", 0, "Brain", "Tumor"), obj("Edema", 1, *parents)))
    finding = only(report, "RB425")
    start = text.index('"Edema"')
    index = text.index(needle, start)
    assert (finding.line, finding.column) == position(
        text[: index + 1], needle[0], text[: index + 1].count(needle[0])
    )
    assert expected in finding.message


def test_consistent_parent_chains_pass(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(
        base(
            obj("Glioma", 0, "Brain", "Tumor"),
            obj("Edema", 1, "Brain", "Tumor"),
            obj("Upper lobe", 2, "Lung", "Left"),
            obj("Upper pole", 3, "Kidney", "Left"),
            studyClassify=[
                attr("Contrast", 0, parents=["Protocol"]),
                attr("Sedation", 1, parents=["Protocol"]),
            ],
        )
    )
    assert codes(report) == []


def test_classify_lists_are_separate_parent_trees(lint_taxonomy: Any) -> None:
    report, text = lint_taxonomy(
        base(
            obj("Glioma", 0, "Review"),
            studyClassify=[attr("Contrast", 0, parents=["review"]), attr("Quality", 1, parents=["Review"])],
        )
    )
    finding = only(report, "RB425")
    assert (finding.line, finding.column) == position(text, '"Review"', 2)
    assert "spelled `review` elsewhere" in finding.message


# --- RB426 select-without-options ------------------------------------------------------------


@pytest.mark.parametrize("option_list", [None, [], [{"name": "Old", "optionId": 0, "archived": True}]])
def test_select_without_usable_options(lint_taxonomy: Any, option_list: list[Any] | None) -> None:
    extra = {} if option_list is None else {"options": option_list}
    report, text = lint_taxonomy(base(obj("Glioma", 0, attributes=[attr("Grade", 0, "SELECT", **extra)])))
    finding = only(report, "RB426")
    line, column = position(text, '"attrType": "SELECT"')
    assert (finding.line, finding.column) == (line, column + len('"attrType": '))
    assert "nothing to choose" in finding.message and str(finding.severity) == "warning"


def test_select_with_options_passes(lint_taxonomy: Any) -> None:
    report, _text = lint_taxonomy(
        base(obj("Glioma", 0, attributes=[attr("Grade", 0, "MULTISELECT", options=options("Low"))]))
    )
    assert codes(report) == []


# --- Required keys and enumerations, through the V2 model (RB101-RB104) ----------------------


def test_required_keys_types_and_enumerations_at_exact_positions(lint_taxonomy: Any) -> None:
    report, text = lint_taxonomy(
        base(
            {"category": "Glioma", "labelType": "SEGMENTATION"},
            obj("Edema", "1"),  # type: ignore[arg-type]
            obj("Necrosis", 2, label_type="MASK", colour="#fff"),
            obj("Liver", -1, attributes=[attr("Grade", 0, "CHOICE")]),
        )
    )
    missing = only(report, "RB101")
    assert (missing.line, missing.column) == position(text, "{\n", 2)
    assert "`classId`" in missing.message
    wrong = only(report, "RB102")
    assert (wrong.line, wrong.column) == position(text, '"1"')
    unknown = only(report, "RB103")
    assert (unknown.line, unknown.column) == position(text, '"colour"')
    assert "did you mean `color`?" in unknown.message
    invalid = sorted((f.line, f.column, f.message) for f in report.findings if f.code == "RB104")
    assert [(line, column) for line, column, _m in invalid] == [
        position(text, '"MASK"'),
        position(text, "-1"),
        position(text, '"CHOICE"'),
    ]


def test_self_lint_skips_v1_taxonomies(lint_taxonomy: Any) -> None:
    broken: Any = copy.deepcopy(V1)
    broken["categories"][0]["children"][1]["classId"] = 0  # would repeat a V2 classId
    report, _text = lint_taxonomy(broken)
    assert codes(report) == ["RB401"]


# --- The index's API -------------------------------------------------------------------------


def _index(data: dict[str, Any]) -> TaxonomyIndex:
    doc = document_from_text(json.dumps(data), Path("t.json"), "t.json", TAXONOMY_KIND)
    return TaxonomyIndex.from_data(doc.data, doc)


def test_index_resolves_leaf_path_and_class_id() -> None:
    index = _index(TAXONOMY)
    glioma = index.resolve("Glioma").object_type
    assert glioma is not None and glioma.path == ("Brain", "Tumor", "Glioma")
    assert index.resolve(["Brain", "Tumor", "Glioma"]).object_type is glioma
    assert index.resolve(0).object_type is glioma
    assert glioma.attributes.by_name["Grade"].option_named("High grade") is not None
    assert index.resolve("Metastasis").status == "ambiguous"
    assert index.resolve(True).status == "invalid"
    assert index.resolve(["Brain", 3]).status == "invalid"
    assert index.resolve("glioma").suggestion == "Glioma"
    assert index.resolve(["Glioma"]).suggestion == '["Brain", "Tumor", "Glioma"]'
    assert index.resolve("Metastasys").suggestion == (
        '["Brain", "Tumor", "Metastasis"] or ["Abdomen", "Metastasis"]'
    )


def test_index_reads_v1_trees_below_the_object_root() -> None:
    index = _index(V1)
    assert index.version == 1
    glioma = index.resolve(["Brain", "Glioma"]).object_type
    assert glioma is not None and glioma.class_id == 1 and glioma.label_type is None
    assert index.resolve("object").status == "unknown"
