"""The CI formats: GitHub annotations and job summary, JSON Lines, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import position, write
from sarif_validation import validated

from rb_lint.cli import main
from rb_lint.reporters import REPORTERS

DUPLICATES = """[
  {"name": "p1", "series": [{"items": "s3://bucket/ct1.nii.gz"}]},
  {"name": "p1", "series": [{"items": "s3://bucket/ct2.nii.gz"}]}
]
"""
CLEAN = [{"name": "p9", "series": [{"items": "s3://bucket/ct9.nii.gz"}]}]
UNKNOWN: dict[str, list[str]] = {"tasks": []}  # RB007, a warning


def check(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["check", *args], env=env, catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_formats_are_registered() -> None:
    assert {"text", "json", "json-lines", "sarif", "github", "junit"} <= set(REPORTERS)


# --- GitHub annotations ---------------------------------------------------------------------


def test_github_annotation_names_file_line_column_rule_and_pointer(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    result = check("--format", "github", ".")
    assert result.exit_code == 1
    line, column = position(DUPLICATES, '"p1"', 2)
    first_line, first_column = position(DUPLICATES, '"p1"')
    annotations = [a for a in result.stdout.splitlines() if "RB201" in a]
    assert annotations == [
        f"::error file=a.json,line={line},col={column},title=RB201 duplicate-task-name::"
        f"task name `p1` is already used at a.json:{first_line}:{first_column}: the platform "
        "keeps the first task and silently drops this one; give it a unique name%0Aat /1/name"
    ]
    assert result.stdout.rstrip().endswith("(1 file checked).")


def test_github_levels_and_escaping(repo: Path) -> None:
    write(repo / "odd, name: 1.json", UNKNOWN)
    write(
        repo / "b.json",
        [
            {"name": "50%\nx", "series": [{"items": "s3://b/1.nii.gz"}]},
            {"name": "50%\nx", "series": [{"items": "s3://b/2.nii.gz"}]},
        ],
    )
    out = check("--format", "github", ".").stdout
    [warning] = [a for a in out.splitlines() if "RB007" in a]
    assert warning.startswith(
        "::warning file=odd%2C name%3A 1.json,line=1,col=1,title=RB007 unknown-document::"
    )
    [error] = [a for a in out.splitlines() if "RB201" in a]
    assert "::task name `50%25%0Ax` is already used" in error


def test_info_findings_are_notices(repo: Path) -> None:
    write(repo / "lfs.json", "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n")
    out = check("--format", "github", ".").stdout
    assert out.startswith("::notice file=lfs.json,line=1,col=1,title=RB009 lfs-pointer::")


def test_github_format_is_the_default_on_github_actions(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    assert check(".", env={"GITHUB_ACTIONS": "true"}).stdout.startswith("::error file=a.json,")
    assert check(".").stdout.startswith("a.json:")  # elsewhere: text
    explicit = check("--format", "text", ".", env={"GITHUB_ACTIONS": "true"})
    assert explicit.stdout.startswith("a.json:")
    to_file = check("--output", "report.txt", ".", env={"GITHUB_ACTIONS": "true"})
    assert to_file.exit_code == 1
    assert (repo / "report.txt").read_text(encoding="utf-8").startswith("a.json:")


def test_job_summary_is_appended_when_github_provides_the_file(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES.replace("ct2", "ct|2"))
    write(repo / "unknown.json", UNKNOWN)
    summary = repo / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = check(
        "--format", "sarif", "--output", "out.sarif", ".", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert result.exit_code == 1
    validated((repo / "out.sarif").read_text(encoding="utf-8"))
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## rb-lint\n")
    assert "Found 1 error, 1 warning in 2 files (2 files checked)." in text
    assert "| `RB201` duplicate-task-name | error | 1 |" in text
    assert "| `RB007` unknown-document | warning | 1 |" in text
    line, column = position(DUPLICATES, '"p1"', 2)
    assert f"| `a.json:{line}:{column}` | `RB201` | task name `p1` is already used" in text


def test_job_summary_escapes_table_cells(repo: Path) -> None:
    write(
        repo / "a.json",
        [
            {"name": "a|b", "series": [{"items": "s3://b/1.nii.gz"}]},
            {"name": "a|b", "series": [{"items": "s3://b/2.nii.gz"}]},
        ],
    )
    summary = repo / "summary.md"
    check(".", env={"GITHUB_STEP_SUMMARY": str(summary)})
    [row] = [r for r in summary.read_text(encoding="utf-8").splitlines() if "`RB201` |" in r]
    assert "task name `a\\|b` is already used" in row
    assert row.count(" | ") == 2  # three cells: the pipe in the name does not split the row


def test_clean_job_summary(repo: Path) -> None:
    write(repo / "a.json", CLEAN)
    summary = repo / "summary.md"
    assert check(".", env={"GITHUB_STEP_SUMMARY": str(summary)}).exit_code == 0
    assert summary.read_text(encoding="utf-8") == "## rb-lint\n\nAll checks passed (1 file checked).\n\n"


def test_unwritable_job_summary_is_a_warning_not_a_failure(repo: Path) -> None:
    write(repo / "a.json", CLEAN)
    result = check(".", env={"GITHUB_STEP_SUMMARY": str(repo)})  # a directory
    assert result.exit_code == 0
    assert "cannot write the job summary" in result.stderr


# --- JSON Lines -----------------------------------------------------------------------------


def test_json_lines_has_one_object_per_finding(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    write(repo / "unknown.json", UNKNOWN)
    out = check("--format", "json-lines", ".").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["code"] for r in rows] == ["RB201", "RB007"]
    line, column = position(DUPLICATES, '"p1"', 2)
    assert {k: rows[0][k] for k in ("path", "line", "column", "pointer", "severity")} == {
        "path": "a.json",
        "line": line,
        "column": column,
        "pointer": "/1/name",
        "severity": "error",
    }
    sarif = validated(check("--format", "sarif", ".").stdout)
    assert [r["fingerprint"] for r in rows] == [
        r["partialFingerprints"]["rbLint/v1"] for r in sarif["runs"][0]["results"]
    ]


def test_json_lines_is_empty_when_clean(repo: Path) -> None:
    write(repo / "a.json", CLEAN)
    result = check("--format", "json-lines", ".")
    assert (result.exit_code, result.stdout) == (0, "")


# --- JUnit ----------------------------------------------------------------------------------


def junit(*args: str) -> ET.Element:
    return ET.fromstring(check("--format", "junit", *args).stdout.encode("utf-8"))


def test_junit_has_a_suite_per_file_and_a_failure_per_finding(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    write(repo / "b.json", CLEAN)
    write(repo / "unknown.json", UNKNOWN)
    root = junit(".")
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["a.json", "b.json", "unknown.json"]
    [case] = suites["a.json"].findall("testcase")
    line, column = position(DUPLICATES, '"p1"', 2)
    assert case.get("name") == f"RB201 duplicate-task-name at {line}:{column}"
    assert (case.get("classname"), case.get("file"), case.get("line")) == ("a.json", "a.json", str(line))
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "RB201 (error)"
    assert failure.get("message", "").startswith("task name `p1` is already used")
    assert "at /1/name" in (failure.text or "")
    [passing] = suites["b.json"].findall("testcase")
    assert passing.get("name") == "rb-lint" and len(passing) == 0
    [warning] = suites["unknown.json"].findall("testcase")  # below --fail-on: not a failure
    assert warning.find("failure") is None
    assert "RB007" in (warning.findtext("system-out") or "")


def test_junit_fail_on_warning_turns_warnings_into_failures(repo: Path) -> None:
    write(repo / "unknown.json", UNKNOWN)
    root = junit("--fail-on", "warning", ".")
    assert root.get("failures") == "1"
    assert root.find("testsuite/testcase/failure") is not None


def test_junit_stays_valid_xml_with_control_characters(repo: Path) -> None:
    write(
        repo / "a.json",
        [
            {"name": "p\u0001q", "series": [{"items": "s3://b/1.nii.gz"}]},
            {"name": "p\u0001q", "series": [{"items": "s3://b/2.nii.gz"}]},
        ],
    )
    failure = junit(".").find("testsuite/testcase/failure")
    assert failure is not None
    assert "task name `p\\u0001q` is already used" in failure.get("message", "")
