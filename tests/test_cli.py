"""The `rb-lint` command as users run it: a real subprocess, exit codes, output, config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import position, rb_lint, task, write

DUPLICATES = [task("patient-007"), task("patient-007")]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(tmp_path / "items.json", DUPLICATES)
    return tmp_path


def test_text_output_and_exit_code_1(repo):
    text = (repo / "items.json").read_text()
    result = rb_lint("check", "--select", "RB2", cwd=repo)
    assert result.returncode == 1
    line, column = position(text, '"patient-007"', 2)
    assert f"items.json:{line}:{column}: RB201 [error] task name `patient-007`" in result.stdout
    assert "  at /1/name" in result.stdout
    assert "Found 1 error in 1 file (1 file checked)." in result.stdout


def test_clean_run_exits_0(tmp_path):
    write(tmp_path / "items.json", [task("p1")])
    result = rb_lint("check", ".", "--select", "RB0,RB1,RB2", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "All checks passed (1 file checked)." in result.stdout


def test_missing_path_is_exit_2_with_one_line(tmp_path):
    result = rb_lint("check", "nope.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "rb-lint: error: path does not exist: nope.json"
    assert "Traceback" not in result.stderr


def test_syntax_errors_exit_1(tmp_path):
    write(tmp_path / "a.json", '[{"name": "p1",}]')
    result = rb_lint("check", "a.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "a.json:1:15: RB001 [error] trailing comma" in result.stdout


def test_ignore_and_exit_zero_and_fail_on(repo):
    assert rb_lint("check", "--select", "RB2", "--ignore", "RB20", cwd=repo).returncode == 0
    assert rb_lint("check", "--select", "RB2", "--exit-zero", cwd=repo).returncode == 0
    write(repo / "items.json", [task("p1", segmentations="s.nii.gz", segmentmap={"1": "a"})])
    # RB103 is a warning: passes at the default fail-on level, fails with --fail-on warning
    assert rb_lint("check", "--select", "RB103", cwd=repo).returncode == 0
    assert rb_lint("check", "--select", "RB103", "--fail-on", "warning", cwd=repo).returncode == 1


def test_more_specific_select_beats_ignore(repo):
    result = rb_lint("check", "--select", "RB201", "--ignore", "RB2", cwd=repo)
    assert result.returncode == 1 and "RB201" in result.stdout


def test_unknown_rule_code_is_exit_2(repo):
    result = rb_lint("check", "--select", "RB999", cwd=repo)
    assert result.returncode == 2
    assert "unknown rule code or prefix `RB999`" in result.stderr


def test_json_format_is_stable(repo):
    result = rb_lint("check", "--select", "RB2", "--format", "json", cwd=repo)
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert document["summary"]["error"] == 1 and document["summary"]["files"] == 1
    finding = document["findings"][0]
    assert set(finding) >= {"code", "name", "severity", "message", "path", "line", "column", "pointer"}
    assert (finding["code"], finding["name"], finding["pointer"]) == (
        "RB201",
        "duplicate-task-name",
        "/1/name",
    )


def test_output_file(repo):
    result = rb_lint("check", "--select", "RB2", "--format", "json", "-o", "report.json", cwd=repo)
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads((repo / "report.json").read_text())["findings"][0]["code"] == "RB201"


def test_statistics_and_quiet(repo):
    # -q (as in ruff) keeps the findings and drops the summary; it used to print only the summary.
    result = rb_lint("check", "--select", "RB2", "--statistics", "-q", cwd=repo)
    assert "     1  RB201  duplicate-task-name [error]" in result.stdout
    assert "items.json:" in result.stdout and "Found" not in result.stdout


def test_rules_rule_and_schema_commands(tmp_path):
    listing = rb_lint("rules", cwd=tmp_path)
    assert listing.returncode == 0 and "RB201  duplicate-task-name" in listing.stdout
    doc = rb_lint("rule", "RB201", cwd=tmp_path)
    assert doc.returncode == 0 and "Failing:" in doc.stdout and "Fixed:" in doc.stdout
    assert rb_lint("rule", "duplicate-task-name", cwd=tmp_path).stdout == doc.stdout
    unknown = rb_lint("rule", "RB998", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown rule `RB998`" in unknown.stderr
    schema = json.loads(rb_lint("schema", "items-list", cwd=tmp_path).stdout)
    assert schema["title"] == "RedBrick items list" and schema["type"] == "array"


def test_kind_override(tmp_path):
    write(tmp_path / "data.json", {"objectTypes": []})
    result = rb_lint("check", "data.json", "--kind", "items-list", "--select", "RB1", cwd=tmp_path)
    assert result.returncode == 1 and "RB100" in result.stdout


def test_config_in_pyproject_found_upward(repo):
    (repo / "pyproject.toml").write_text('[tool.rb-lint]\nignore = ["RB201"]\n')
    sub = repo / "sub"
    sub.mkdir()
    (repo / "items.json").rename(sub / "items.json")
    result = rb_lint("check", "sub", "--select", "RB2", cwd=repo)
    # --select replaces config select, config ignore still applies
    assert result.returncode == 0, result.stdout


def test_rb_lint_toml_per_file_and_pointer_ignores(repo):
    write(repo / "legacy" / "old.json", [task("old-1", priority_note=1)])
    (repo / "rb-lint.toml").write_text(
        'select = ["RB1", "RB2"]\n'
        '[per-file-ignores]\n"legacy/*.json" = ["RB103"]\n'
        '[pointer-ignores]\n"items.json#/1/name" = ["RB201"]\n'
    )
    result = rb_lint("check", ".", cwd=repo)
    assert result.returncode == 0, result.stdout


def test_pointer_ignore_glob_is_segment_aware(repo):
    (repo / "rb-lint.toml").write_text('[pointer-ignores]\n"/*/na*" = ["RB201"]\n')
    assert rb_lint("check", ".", "--select", "RB2", cwd=repo).returncode == 0
    (repo / "rb-lint.toml").write_text('[pointer-ignores]\n"/*" = ["RB201"]\n')
    assert rb_lint("check", ".", "--select", "RB2", cwd=repo).returncode == 1


def test_severity_override(repo):
    (repo / "rb-lint.toml").write_text('[severity]\nRB201 = "warning"\n')
    result = rb_lint("check", ".", "--select", "RB2", cwd=repo)
    assert result.returncode == 0 and "RB201 [warning]" in result.stdout


def test_exclude_applies_to_explicit_paths(repo):
    (repo / "rb-lint.toml").write_text('extend-exclude = ["items.json"]\n')
    result = rb_lint("check", "items.json", cwd=repo)
    assert result.returncode == 0 and "0 files checked" in result.stdout


def test_fail_on_from_config(repo):
    write(repo / "items.json", [task("p1", segmentations="s.nii.gz", segmentmap={"1": "a"})])
    (repo / "rb-lint.toml").write_text('fail-on = "warning"\nselect = ["RB103"]\n')
    assert rb_lint("check", ".", cwd=repo).returncode == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ('selct = ["RB1"]\n', "unknown configuration key `selct`"),
        ('fail-on = "fatal"\n', "`fail-on`"),
        ('[per-file-ignores]\n"*.json" = ["XX1"]\n', "unknown rule code or prefix `XX1`"),
        ('[severity]\nRB201 = "loud"\n', "`severity.RB201`"),
        ("select = [\n", "cannot read"),
    ],
)
def test_config_errors_are_exit_2_naming_the_problem(repo, content, message):
    (repo / "rb-lint.toml").write_text(content)
    result = rb_lint("check", ".", cwd=repo)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_directories_skip_git_and_non_json(repo):
    write(repo / ".git" / "x.json", "{broken")
    write(repo / "notes.txt", "{broken")
    result = rb_lint("check", ".", "--select", "RB0", cwd=repo)
    assert result.returncode == 0 and "1 file checked" in result.stdout


def test_color_only_when_asked_by_the_terminal(repo):
    result = rb_lint("check", "--select", "RB2", cwd=repo)
    assert "\x1b[" not in result.stdout


def test_lone_surrogates_in_names_are_printed_escaped(tmp_path):
    write(
        tmp_path / "items.json",
        '[{"name": "\\ud800", "series": [{"items": "x.dcm"}]},\n'
        ' {"name": "\\ud800", "series": [{"items": "x.dcm"}]}]',
    )
    result = rb_lint("check", "--select", "RB2", cwd=tmp_path)
    assert result.returncode == 1
    assert "task name `\\ud800` is already used at items.json:1:11" in result.stdout


def test_unreadable_taxonomy_is_a_usage_error_before_any_report(tmp_path):
    write(tmp_path / "items.json", [task("p1", segmentations="s.nii.gz", segmentMap={"1": "Liver"})])
    write(tmp_path / "taxonomy.json", "{not json")
    result = rb_lint("check", "items.json", "--taxonomy", "taxonomy.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "taxonomy" in result.stderr


def _run_on_a_terminal(repo: Path, env: dict[str, str], *args: str) -> str:
    """Run rb-lint with stdout on a pseudo-terminal, as a person at a shell would."""
    import pty

    leader, follower = pty.openpty()
    unset = ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment["TERM"] = "xterm"
    process = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "--select", "RB2", *args],
        cwd=repo,
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**environment, **env},
        timeout=120,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.returncode == 1
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_and_no_color_honoured(repo):
    assert "\x1b[1;31mRB201\x1b[0m" in _run_on_a_terminal(repo, {})
    plain = _run_on_a_terminal(repo, {"NO_COLOR": "1"})
    assert "RB201 [error]" in plain and "\x1b[" not in plain


def test_no_colour_on_a_dumb_terminal_or_when_told(repo):
    for env, args in (({"TERM": "dumb"}, ()), ({}, ("--color", "never"))):
        plain = _run_on_a_terminal(repo, env, *args)
        assert "RB201 [error]" in plain and "\x1b[" not in plain
    assert "\x1b[1;31mRB201" in _run_on_a_terminal(repo, {"TERM": "dumb"}, "--color", "always")
