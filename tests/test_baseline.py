"""`--baseline FILE`: record today's findings with `--update-baseline`, then report only new ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import position, write

from rb_lint.cli import main

# Every finding of the repo is recorded: the summary says how many the baseline suppressed.
ALL_SUPPRESSED = "All checks passed (3 files checked, 4 suppressed by the baseline).\n"


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


def tasks(*names: str) -> list[dict[str, Any]]:
    return [{"name": name, "series": [{"items": f"s3://bucket/{i}.nii.gz"}]} for i, name in enumerate(names)]


def findings(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    write(tmp_path / "data" / "a.json", tasks("p1", "p1", "p2", "p3", "p3"))
    write(tmp_path / "data" / "b.json", tasks("p2", "p4"))
    write(tmp_path / "data" / "unknown.json", {"tasks": []})
    return tmp_path


def record(repo: Path) -> Result:
    result = check("--baseline", "baseline.json", "--update-baseline", "data")
    assert result.exit_code == 0, result.output
    return result


def test_recording_writes_every_finding_and_passes(repo: Path) -> None:
    before = findings(check("--format", "json-lines", "data"))
    assert len(before) == 4  # p1, p3 and p2 (across files) repeated; unknown.json
    result = record(repo)
    assert "rb-lint: recorded 4 findings in baseline.json" in result.stderr
    assert result.stdout == ALL_SUPPRESSED
    document = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))
    assert document["version"] == 1
    entries = document["findings"]
    assert {(e["code"], e["path"], e["key"]) for e in entries} == {
        ("RB201", "data/a.json", "task:p1"),
        ("RB201", "data/a.json", "task:p3"),
        ("RB201", "data/b.json", "task:p2"),
        ("RB007", "data/unknown.json", ""),
    }
    assert entries == sorted(entries, key=lambda e: (e["path"], e["code"], e["key"], e["fingerprint"]))


def test_a_new_duplicate_name_is_the_one_finding_reported(repo: Path) -> None:
    """Acceptance: with a baseline recorded, adding one new duplicate name reports exactly one."""
    record(repo)
    text = json.dumps(tasks("p1", "p1", "p2", "p3", "p3", "p5", "p5"), indent=2)
    write(repo / "data" / "a.json", text)
    result = check("--baseline", "baseline.json", "--format", "json-lines", "data")
    assert result.exit_code == 1
    [new] = findings(result)
    line, column = position(text, '"p5"', 2)
    assert (new["code"], new["path"], new["line"], new["column"]) == ("RB201", "data/a.json", line, column)
    assert "task name `p5` is already used" in new["message"]


def test_another_repeat_of_a_recorded_duplicate_is_new(repo: Path) -> None:
    record(repo)
    write(repo / "data" / "a.json", tasks("p1", "p1", "p2", "p3", "p3", "p1"))
    [new] = findings(check("--baseline", "baseline.json", "--format", "json-lines", "data"))
    assert (new["code"], new["pointer"]) == ("RB201", "/5/name")


def test_baseline_survives_reformatting_and_moved_lines(repo: Path) -> None:
    record(repo)
    data = [
        {"name": "p0", "series": [{"items": "s3://bucket/new.nii.gz"}]},
        *tasks("p1", "p1", "p2", "p3", "p3"),
    ]
    (repo / "data" / "a.json").write_text(json.dumps(data, indent="\t"), encoding="utf-8")
    result = check("--baseline", "baseline.json", "data")
    assert (result.exit_code, result.stdout) == (0, ALL_SUPPRESSED)


def test_fixed_findings_are_reported_as_stale(repo: Path) -> None:
    record(repo)
    write(repo / "data" / "a.json", tasks("p1", "p2", "p3", "p3"))
    result = check("--baseline", "baseline.json", "data")
    assert result.exit_code == 0
    assert (
        "rb-lint: 1 baselined finding no longer occurs: `--update-baseline` drops it from baseline.json"
    ) in result.stderr
    record(repo)
    assert len(json.loads((repo / "baseline.json").read_text())["findings"]) == 3


def test_baseline_paths_are_relative_to_the_baseline_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(repo)
    monkeypatch.chdir(repo / "data")
    result = check("--baseline", "../baseline.json", ".")
    assert (result.exit_code, result.stdout) == (0, ALL_SUPPRESSED)


def test_missing_baseline_is_a_usage_error(repo: Path) -> None:
    result = check("--baseline", "nope.json", "data")
    assert result.exit_code == 2
    assert "baseline file not found: nope.json" in result.stderr
    assert "--update-baseline" in result.stderr


def test_update_baseline_needs_a_file(repo: Path) -> None:
    result = check("--update-baseline", "data")
    assert result.exit_code == 2
    assert "--update-baseline needs --baseline FILE" in result.stderr


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", '{"version": 1, "findings": [{}]}'])
def test_a_file_that_is_not_a_baseline_is_a_usage_error(repo: Path, content: str) -> None:
    (repo / "baseline.json").write_text(content, encoding="utf-8")
    result = check("--baseline", "baseline.json", "data")
    assert result.exit_code == 2
    assert "baseline" in result.stderr


def test_the_baseline_file_itself_is_not_linted(repo: Path) -> None:
    result = check("--baseline", "data/baseline.json", "--update-baseline", "data")
    assert result.stdout == ALL_SUPPRESSED
    again = check("--baseline", "data/baseline.json", "--format", "json-lines", "data")
    assert (again.exit_code, again.stdout) == (0, "")
