"""Issue 12, promises 7 and 10: one hostile value or layout in a JSON file never ends the run, and
positions are right whatever the line breaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rb_lint.io.loading
from rb_lint import lint, lint_documents
from rb_lint.core.engine import Report

# A second file whose finding must survive whatever happens to the hostile one.
OTHER = '[{"name": "other", "series": [{"items": "a.dcm", "bogus": 1}]}]'
HUGE_INT = "1" * 5000  # over Python's 4,300-digit int/str conversion limit
E400 = "1" + "0" * 400  # an int, but float() of it overflows


def fill(template: str, value: str) -> str:
    return template.replace("<N>", value)


def codes(report: Report, path: str) -> list[str]:
    return sorted(f.code for f in report.findings if f.path == path)


def assert_other_kept(report: Report) -> None:
    assert report.errors == []
    assert "RB103" in codes(report, "other.json")


def test_integer_beyond_the_digit_limit_is_reported_not_fatal() -> None:
    text = fill('[{"name": "p", "priority": <N>, "series": [{"items": "a.dcm"}]}]', HUGE_INT)
    report = lint_documents({"huge.json": text, "other.json": OTHER})
    assert_other_kept(report)
    found = codes(report, "huge.json")
    assert "RB003" in found  # Python's json (the SDK's reader) rejects it too
    assert "RB112" in found  # and the priority is out of range
    rb003 = next(f for f in report.findings if f.code == "RB003")
    assert "5000 digits" in rb003.message
    assert rb003.pointer == "/0/priority"
    assert (rb003.line, rb003.column) == (1, text.index(HUGE_INT) + 1)


def test_negative_integer_beyond_the_digit_limit_in_metadata() -> None:
    text = fill('[{"name": "p", "metaData": {"k": -<N>}, "series": [{"items": "a.dcm"}]}]', HUGE_INT)
    report = lint_documents({"huge.json": text, "other.json": OTHER})
    assert_other_kept(report)
    assert {"RB003", "RB113"} <= set(codes(report, "huge.json"))


def test_integer_beyond_the_digit_limit_on_the_streaming_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rb_lint.io.loading, "STREAMING_THRESHOLD", 64)
    monkeypatch.chdir(tmp_path)
    tasks = [{"name": f"p{i}", "series": [{"items": "a.dcm"}]} for i in range(20)]
    text = json.dumps(tasks).replace('"p7"', fill('"p7", "priority": <N>', HUGE_INT))
    (tmp_path / "huge.json").write_text(text)
    (tmp_path / "other.json").write_text(OTHER)
    assert (tmp_path / "huge.json").stat().st_size > rb_lint.io.loading.STREAMING_THRESHOLD
    report = lint(["huge.json", "other.json"], config={})
    assert_other_kept(report)
    assert {"RB003", "RB112"} <= set(codes(report, "huge.json"))


def consensus_task(score: str, overall: str) -> str:
    task: dict[str, Any] = {
        "name": "p",
        "consensus": True,
        "consensusScore": "@OVERALL@",
        "consensusTasks": [
            {
                "updatedBy": "a@x.org",
                "series": [{"items": "a.dcm"}],
                "scores": [{"secondaryUser": "b@x.org", "score": "@SCORE@"}],
            },
            {
                "updatedBy": "b@x.org",
                "series": [{"items": "a.dcm"}],
                "scores": [{"secondaryUser": "a@x.org", "score": 88.0}],
            },
        ],
    }
    return json.dumps([task]).replace('"@OVERALL@"', overall).replace('"@SCORE@"', score)


@pytest.mark.parametrize(("score", "overall"), [(E400, "88.0"), ("88.0", E400), (E400, "-" + E400)])
def test_overflowing_consensus_score_is_not_an_internal_error(score: str, overall: str) -> None:
    report = lint_documents({"consensus.json": consensus_task(score, overall), "other.json": OTHER})
    assert_other_kept(report)
    assert "RB102" in codes(report, "consensus.json")  # not a number the platform stores


def datagym(geometry_type: str, geometry: str) -> str:
    doc = [
        {"label_classes": [{"class_name": "car", "geometry_type": geometry_type}]},
        {
            "internal_media_ID": "m1",
            "external_media_ID": "a.jpg",
            "labeler": None,
            "status": "completed",
            "global_classifications": {},
            "labels": {"car": [{"geometry": "@GEOMETRY@", "classifications": {}}]},
        },
    ]
    return json.dumps(doc).replace('"@GEOMETRY@"', geometry)


@pytest.mark.parametrize(
    ("geometry_type", "geometry"),
    [
        ("polygon", fill('[{"x": 1, "y": 1}, {"x": <N>, "y": 1}, {"x": 5, "y": 5}]', E400)),
        ("polygon", fill('[[{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 9, "y": -<N>}]]', E400)),
        ("line", fill('[{"x": 1, "y": 1}, {"x": <N>, "y": 1}]', E400)),
        ("point", fill('[{"x": <N>, "y": 1}]', E400)),
        ("rectangle", fill('[{"x": 1, "y": 1, "w": <N>, "h": 3}]', E400)),
    ],
)
def test_overflowing_datagym_coordinate_is_not_an_internal_error(geometry_type: str, geometry: str) -> None:
    report = lint_documents({"gym.json": datagym(geometry_type, geometry), "other.json": OTHER})
    assert_other_kept(report)
    assert "RB102" in codes(report, "gym.json")


def nested(depth: int, inner: str) -> str:
    return '{"a": ' * depth + inner + "}" * depth


@pytest.mark.parametrize("depth", [600, 900])
@pytest.mark.parametrize(("inner", "code"), [('{"d": 1, "d": 2}', "RB002"), ("NaN", "RB003")])
def test_finding_deep_in_the_nesting_is_located(depth: int, inner: str, code: str) -> None:
    value = nested(depth, inner)
    text = fill('[{"name": "p",\n"series": [{"items": "a.dcm", "metaData": {"k":\n<N>}}]}]', value)
    report = lint_documents({"deep.json": text, "other.json": OTHER})
    assert_other_kept(report)
    finding = next(f for f in report.findings if f.code == code)
    target = value.index('"d"', value.index('"d"') + 1) if code == "RB002" else value.index("NaN")
    assert (finding.line, finding.column) == (3, target + 1)
    assert finding.pointer.count("/a") == depth


@pytest.mark.parametrize("depth", [600, 5000, 100_000])
def test_deep_arrays_in_metadata_never_crash(depth: int) -> None:
    text = fill(
        '[{"name": "p", "series": [{"items": "a.dcm", "metaData": {"k": <N>}}]}]',
        "[" * depth + '{"zz": 1}' + "]" * depth,
    )
    report = lint_documents({"deep.json": text, "other.json": OTHER})
    assert_other_kept(report)
    found = codes(report, "deep.json")
    if depth > 1000:
        rb001 = next(f for f in report.findings if f.code == "RB001")
        assert "nested too deeply" in rb001.message
    else:
        assert "RB113" in found


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_positions_count_lf_crlf_and_lone_cr_line_breaks(newline: str) -> None:
    lines = ["[", '  {"name": "p",', '   "series": [{"items": "a.dcm",', '     "bogus": 1}]}', "]", ""]
    report = lint_documents({"items.json": newline.join(lines)})
    assert report.errors == []
    finding = next(f for f in report.findings if f.code == "RB103")
    assert (finding.line, finding.column) == (4, 6)
