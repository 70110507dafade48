"""SARIF 2.1.0: every document produced here is validated against the official schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import position, write
from sarif_validation import validated

from rb_lint import __version__, lint
from rb_lint.cli import main
from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding, Severity
from rb_lint.core.rule import rule
from rb_lint.reporters import RenderOptions, sarif
from rb_lint.rules import ALL_RULES, BY_CODE

DUPLICATES = """[
  {"name": "p1", "series": [{"items": "s3://bucket/ct1.nii.gz"}]},
  {"name": "p1", "series": [{"items": "s3://bucket/ct2.nii.gz"}]}
]
"""


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


def run_of(document: dict[str, Any]) -> dict[str, Any]:
    assert len(document["runs"]) == 1
    return document["runs"][0]


def results(document: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [r for r in run_of(document)["results"] if r["ruleId"] == code]


def sarif_of(report: Report) -> dict[str, Any]:
    return validated(sarif.render(report, RenderOptions()))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def test_run_describes_the_tool_every_rule_and_the_result(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    result = check("--format", "sarif", ".")
    assert result.exit_code == 1
    document = validated(result.stdout)
    run = run_of(document)
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("rb-lint", __version__)
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r.code for r in ALL_RULES]
    for descriptor in driver["rules"]:
        rb_rule = BY_CODE[descriptor["id"]]
        assert descriptor["name"] == rb_rule.name
        assert descriptor["shortDescription"]["text"] == rb_rule.summary
        assert descriptor["fullDescription"]["text"]
        assert rb_rule.doc in descriptor["help"]["text"]
        assert descriptor["help"]["markdown"]
        assert (
            descriptor["helpUri"] == f"{driver['informationUri']}/blob/main/docs/rules/{descriptor['id']}.md"
        )
        level = {"error": "error", "warning": "warning", "info": "note"}[str(rb_rule.severity)]
        assert descriptor["defaultConfiguration"]["level"] == level

    [found] = results(document, "RB201")
    assert driver["rules"][found["ruleIndex"]]["id"] == "RB201"
    assert found["level"] == "error"
    assert "task name `p1` is already used" in found["message"]["text"]
    physical = found["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "a.json", "uriBaseId": "%SRCROOT%"}
    line, column = position(DUPLICATES, '"p1"', 2)
    assert physical["region"] == {"startLine": line, "startColumn": column}
    assert found["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "/1/name"
    assert set(found["partialFingerprints"]) == {"rbLint/v1"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "security-severity" not in result.stdout


def test_help_markdown_fences_the_examples() -> None:
    descriptor = sarif.rule_descriptor(BY_CODE["RB201"])
    markdown = descriptor["help"]["markdown"]
    assert 'Failing:\n```\na.json: [{"name": "patient-007"' in markdown
    assert "\n    a.json" not in markdown


def test_only_the_rules_that_ran_are_described(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    document = validated(check("--format", "sarif", "--select", "RB2", ".").stdout)
    ids = [r["id"] for r in run_of(document)["tool"]["driver"]["rules"]]
    assert ids == [r.code for r in ALL_RULES if r.code.startswith("RB2")]
    [found] = results(document, "RB201")
    assert ids[found["ruleIndex"]] == "RB201"


def test_clean_run_has_no_results(repo: Path) -> None:
    write(repo / "a.json", [{"name": "p1", "series": [{"items": "s3://bucket/ct.nii.gz"}]}])
    result = check("--format", "sarif", "--output", "out.sarif", ".")
    assert result.exit_code == 0
    document = validated((repo / "out.sarif").read_text(encoding="utf-8"))
    assert run_of(document)["results"] == []


def test_columns_are_unicode_code_points(repo: Path) -> None:
    text = (
        '[{"name": "é𝄞", "series": [{"items": "s3://b/1.nii.gz"}]}, '
        '{"name": "é𝄞", "series": [{"items": "s3://b/2.nii.gz"}]}]'
    )
    write(repo / "a.json", text)
    document = sarif_of(lint([repo], config={}))
    [found] = results(document, "RB201")
    line, column = position(text, '"é𝄞"', 2)  # Python string indices count code points
    assert found["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": column}
    assert column != len(text[: column - 1].encode("utf-16-le")) // 2 + 1  # UTF-16 would differ


def fingerprints_of(document: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"]["rbLint/v1"] for r in run_of(document)["results"]]


def test_reindented_file_keeps_its_fingerprints(repo: Path) -> None:
    data = [
        {
            "name": f"p{i % 3}",
            "series": [
                {"name": "T1", "items": f"s3://b/{i}.nii.gz"},
                {"name": "T1", "items": f"s3://b/{i}b.nii.gz"},
            ],
        }
        for i in range(6)
    ]
    write(repo / "a.json", json.dumps(data, indent=2))
    before = sarif_of(lint([repo], config={}))
    write(repo / "a.json", json.dumps(data, indent="\t", separators=(",", ": ")).replace("\n", "\n\n"))
    after = sarif_of(lint([repo], config={}))

    def regions(document: dict[str, Any]) -> list[dict[str, int]]:
        return [r["locations"][0]["physicalLocation"]["region"] for r in run_of(document)["results"]]

    assert {r["ruleId"] for r in run_of(before)["results"]} >= {"RB201", "RB202"}
    assert regions(before) != regions(after)
    assert fingerprints_of(before) == fingerprints_of(after)


def test_identical_findings_get_distinct_deterministic_fingerprints(repo: Path) -> None:
    write(repo / "a.json", [{"name": "p1", "series": [{"items": f"s3://b/{i}.nii.gz"}]} for i in range(3)])
    first = sarif_of(lint([repo], config={}))
    again = sarif_of(lint([repo], config={}))
    prints = [r["partialFingerprints"]["rbLint/v1"] for r in results(first, "RB201")]
    assert len(prints) == 2 and len(set(prints)) == 2
    assert [p.split(":")[1] for p in prints] == ["1", "2"]
    assert prints[0].split(":")[0] == prints[1].split(":")[0]  # same rule, file and key
    assert fingerprints_of(first) == fingerprints_of(again)


def test_fingerprint_depends_on_rule_file_and_key(repo: Path) -> None:
    write(repo / "a.json", DUPLICATES)
    write(repo / "b.json", DUPLICATES.replace("p1", "p2"))
    document = sarif_of(lint([repo], config={}))
    prints = [r["partialFingerprints"]["rbLint/v1"] for r in results(document, "RB201")]
    assert len(prints) == 2 and prints[0] != prints[1]


def test_file_outside_the_working_directory_gets_an_absolute_uri(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo / "a.json", DUPLICATES)
    (repo / "elsewhere").mkdir()
    monkeypatch.chdir(repo / "elsewhere")
    document = sarif_of(lint([repo / "a.json"], config={}))
    [found] = results(document, "RB201")
    location = found["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (repo / "a.json").resolve().as_uri()}


def test_path_with_spaces_is_percent_encoded(repo: Path) -> None:
    write(repo / "my data" / "a b.json", DUPLICATES)
    document = sarif_of(lint([repo], config={}))
    [found] = results(document, "RB201")
    assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20data/a%20b.json"


def test_internal_errors_mark_the_execution_unsuccessful(repo: Path) -> None:
    report = Report(
        [],
        ["a.json"],
        list(ALL_RULES[:2]),
        repo,
        errors=["a.json: rule RB999 (boom) failed: ValueError: boom"],
    )
    invocation = run_of(sarif_of(report))["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"
    assert "RB999" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_over_long_rule_texts_are_cut_to_githubs_limits(repo: Path) -> None:
    long_name = "-".join(["word"] * 80)  # 399 characters

    @rule("RB999", long_name, Severity.WARNING, "S" * 2000, kinds=[])
    def verbose(doc: Any, ctx: Any) -> Any:
        return iter(())

    verbose.check.__doc__ = ("Long first paragraph. " * 100) + "\n\nSecond paragraph."
    finding = Finding("RB999", long_name, Severity.WARNING, "m", "a.json", 1, 1, "")
    document = sarif_of(Report([finding], ["a.json"], [verbose], repo))
    [descriptor] = run_of(document)["tool"]["driver"]["rules"]
    assert len(descriptor["name"]) <= sarif.MAX_RULE_NAME
    assert len(descriptor["shortDescription"]["text"]) == sarif.MAX_DESCRIPTION
    assert len(descriptor["fullDescription"]["text"]) <= sarif.MAX_DESCRIPTION
    assert descriptor["fullDescription"]["text"].endswith("…")
    assert "Second paragraph." in descriptor["help"]["text"]  # the help keeps the whole text


def test_results_beyond_githubs_limit_are_dropped_with_a_note(repo: Path) -> None:
    """25,002 findings: the run keeps 25,000 (errors first) and says what was left out."""
    task = {"name": "same", "series": [{"items": "s3://bucket/ct.nii.gz"}]}
    (repo / "a.json").write_text(json.dumps([task] * (sarif.MAX_RESULTS + 2)), encoding="utf-8")
    write(repo / "0-unknown.json", {"tasks": []})  # RB007, a warning, sorts first
    report = lint([repo], config={})
    assert len(report.findings) == sarif.MAX_RESULTS + 2
    assert report.findings[0].severity is Severity.WARNING

    document = sarif_of(report)
    run = run_of(document)
    assert len(run["results"]) == sarif.MAX_RESULTS
    assert {r["level"] for r in run["results"]} == {"error"}
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith(f"2 of {sarif.MAX_RESULTS + 2} results were left out")
    assert run["invocations"][0]["executionSuccessful"] is True
