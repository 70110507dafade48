"""Everyday polish a ruff user expects from `rb-lint check`: stdin, `--color`, `-q`/`-s`,
`--show-settings`, `--format grouped`, "nothing to check", did-you-mean, one spelling of kinds,
fingerprints and the baseline's suppressed count in the reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import rb_lint as run
from conftest import task, write

from rb_lint.cli import main
from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding, Severity
from rb_lint.models.kinds import KINDS
from rb_lint.models.schemas import SCHEMAS
from rb_lint.reporters import REPORTERS, RenderOptions

DUPLICATES = [task("p1"), task("p1"), task("p2"), task("p2")]


def check(*args: str, env: dict[str, str] | None = None, stdin: str | bytes | None = None) -> Result:
    environment = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": None, **(env or {})}
    return CliRunner().invoke(main, ["check", *args], env=environment, input=stdin, catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "items.json", DUPLICATES)
    return tmp_path


# --- 1. stdin ------------------------------------------------------------------------------------


def test_stdin_is_linted_as_the_file_it_names(repo: Path) -> None:
    text = (repo / "data" / "items.json").read_text()
    from_file = run("check", "data/items.json", "--select", "RB2", cwd=repo)
    from_stdin = run(
        "check", "-", "--stdin-filename", "data/items.json", "--select", "RB2", cwd=repo, stdin=text
    )
    assert from_stdin.returncode == from_file.returncode == 1
    assert from_stdin.stdout == from_file.stdout
    assert "data/items.json:" in from_stdin.stdout and from_stdin.stderr == ""


def test_stdin_without_a_name_is_called_dash(repo: Path) -> None:
    result = check("-", "--select", "RB2", stdin=(repo / "data" / "items.json").read_text())
    assert result.exit_code == 1
    assert result.stdout.startswith("-:")
    assert "Found 2 errors in 1 file (1 file checked)." in result.stdout


def test_stdin_filename_alone_reads_stdin(repo: Path) -> None:
    result = check("--stdin-filename", "x.json", "--select", "RB2", stdin=json.dumps(DUPLICATES))
    assert result.exit_code == 1 and "x.json:" in result.stdout


def test_stdin_name_decides_config_matching_and_excludes(repo: Path) -> None:
    (repo / "rb-lint.toml").write_text(
        'extend-exclude = ["vendor/"]\n[per-file-ignores]\n"legacy/*.json" = ["RB201"]\n'
    )
    text = json.dumps(DUPLICATES)
    assert check("-", "--stdin-filename", "new/items.json", "--select", "RB2", stdin=text).exit_code == 1
    ignored = check("-", "--stdin-filename", "legacy/items.json", "--select", "RB2", stdin=text)
    assert ignored.exit_code == 0 and "1 file checked" in ignored.stdout
    excluded = check("-", "--stdin-filename", "vendor/items.json", "--select", "RB2", stdin=text)
    assert excluded.exit_code == 0 and "0 files checked" in excluded.stdout
    assert "no JSON files to check" in excluded.stderr


def test_stdin_name_resolves_relative_mask_paths(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "seg.nii.gz").write_bytes(b"not checked: only RB301 runs")
    (repo / "ct.nii.gz").write_bytes(b"image")  # items.json's item is here: a direct-upload list
    text = json.dumps([task("p1", segmentations="seg.nii.gz", segmentMap={"1": "Liver"})])
    beside = check("-", "--stdin-filename", "sub/items.json", "--select", "RB301", stdin=text)
    assert beside.exit_code == 0, beside.output
    elsewhere = check("-", "--stdin-filename", "items.json", "--select", "RB301", stdin=text)
    assert elsewhere.exit_code == 1 and "items.json:" in elsewhere.stdout and "RB301" in elsewhere.stdout


def test_stdin_kind_override_and_extend_select(repo: Path) -> None:
    taxonomy = json.dumps({"name": "t", "objectTypes": []})
    result = check("-", "--kind", "items-list", "--select", "RB0", "--extend-select", "RB100", stdin=taxonomy)
    assert result.exit_code == 1 and "RB100" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["-", "data"], "`-` (standard input) cannot be combined with other paths"),
        (["data", "--stdin-filename", "a.json"], "--stdin-filename names the document read from `-`"),
    ],
)
def test_stdin_mixed_with_paths_is_a_usage_error(repo: Path, args: list[str], message: str) -> None:
    result = check(*args, stdin="[]")
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""


# --- 2. --color ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, env, colored",
    [
        ([], {}, False),  # auto, not a terminal
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, True),  # as ruff: FORCE_COLOR wins
        (["--color", "auto"], {"FORCE_COLOR": ""}, False),  # an empty variable is unset
        (["--format", "json", "--color", "always"], {}, False),  # never in machine formats
        (["--format", "grouped", "--color", "always"], {}, True),
        (["-o", "report.txt"], {"FORCE_COLOR": "1"}, False),  # auto never colours a file
    ],
)
def test_color_choice_and_environment(
    repo: Path, args: list[str], env: dict[str, str], colored: bool
) -> None:
    result = check("data", "--select", "RB2", *args, env=env)
    assert result.exit_code == 1
    written = (repo / "report.txt").read_text() if "-o" in args else result.stdout
    assert ("\x1b[" in written) is colored


def test_force_color_colours_a_pipe(repo: Path) -> None:
    result = run("check", "data", "--select", "RB2", cwd=repo, env={"FORCE_COLOR": "1"})
    assert "\x1b[1;31mRB201\x1b[0m" in result.stdout


def test_bad_color_value_is_a_usage_error(repo: Path) -> None:
    assert check("data", "--color", "sometimes").exit_code == 2


# --- 3. -q and -s --------------------------------------------------------------------------------


def test_quiet_prints_findings_without_the_summary(repo: Path) -> None:
    result = check("data", "--select", "RB2", "-q")
    assert result.exit_code == 1
    assert result.stdout.count("RB201 [error]") == 2
    assert "Found" not in result.stdout and "checked" not in result.stdout


def test_quiet_clean_run_prints_nothing(repo: Path) -> None:
    write(repo / "data" / "items.json", [task("p1")])
    result = check("data", "--select", "RB2", "--quiet")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_quiet_github_annotations_without_the_summary(repo: Path) -> None:
    result = check("data", "--select", "RB2", "-q", "--format", "github")
    assert result.stdout.count("::error ") == 2 and "checked" not in result.stdout


def test_silent_prints_nothing_and_keeps_the_exit_code(repo: Path) -> None:
    result = check("data", "--select", "RB2", "-s")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")
    write(repo / "data" / "items.json", [task("p1")])
    assert check("data", "--select", "RB2", "--silent").exit_code == 0


def test_silent_still_reports_errors_on_stderr(repo: Path) -> None:
    from rb_lint.rules import find_rule

    rule = find_rule("RB201")
    assert rule is not None

    def broken(*_args: object) -> Any:
        raise RuntimeError("boom")

    original = rule.check
    object.__setattr__(rule, "check", broken)  # a frozen dataclass
    try:
        result = check("data", "--select", "RB2", "-s")
    finally:
        object.__setattr__(rule, "check", original)
    assert result.exit_code == 2 and result.stdout == ""
    assert "rule RB201 (duplicate-task-name) failed: RuntimeError: boom" in result.stderr
    usage = check("data", "--select", "RB999", "-s")
    assert usage.exit_code == 2 and "RB999" in usage.stderr


def test_silent_still_writes_the_requested_report_file(repo: Path) -> None:
    result = check("data", "--select", "RB2", "-s", "--format", "json", "-o", "report.json")
    assert result.exit_code == 1 and result.stdout == ""
    assert len(json.loads((repo / "report.json").read_text())["findings"]) == 2


# --- 4. --show-settings --------------------------------------------------------------------------


def settings(result: Result) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in result.stdout.splitlines())


def test_show_settings_prints_the_resolved_settings_without_linting(repo: Path) -> None:
    write(repo / "data" / "broken.json", "{not json")
    (repo / "rb-lint.toml").write_text(
        'select = ["RB2"]\nignore = ["RB205"]\nfail-on = "warning"\ntaxonomy = "tax.json"\n'
        'extend-exclude = ["vendor/"]\n'
    )
    result = check("data", "--show-settings")
    assert result.exit_code == 0 and result.stderr == ""
    shown = settings(result)
    assert shown["project root"] == str(repo.resolve())
    assert shown["config file"] == str((repo / "rb-lint.toml").resolve())
    assert shown["taxonomy"] == f"{repo.resolve() / 'tax.json'} (config)"
    assert shown["fail-on"] == "warning"
    assert shown["exclude"].startswith(".git, ") and shown["exclude"].endswith(", vendor/")
    assert shown["cache dir"] == str(repo.resolve() / ".rb_lint_cache")
    assert shown["enabled rules (4)"] == "RB201, RB202, RB203, RB204"
    assert "RB001" not in result.stdout  # nothing was linted


def test_show_settings_reflects_the_command_line(repo: Path) -> None:
    result = check(
        "data", "--show-settings", "--select", "RB1", "--ignore", "RB10", "--extend-select", "RB201",
        "--taxonomy", "t.json", "--fail-on", "info", "--no-cache",
    )  # fmt: skip
    assert result.exit_code == 0
    shown = settings(result)
    assert shown["config file"] == "none" and shown["taxonomy"] == "t.json (--taxonomy)"
    assert shown["fail-on"] == "info"
    assert shown["cache dir"].endswith(".rb_lint_cache (not used: --no-cache)")
    rules = next(value for key, value in shown.items() if key.startswith("enabled rules"))
    assert "RB201" in rules.split(", ") and not any(code.startswith("RB10") for code in rules.split(", "))


def test_show_settings_names_the_cache_dir_that_would_be_used(repo: Path) -> None:
    shown = settings(check("data", "--show-settings", "--cache-dir", "elsewhere/cache"))
    assert shown["cache dir"] == str(Path(os.path.abspath("elsewhere/cache")))


def test_show_settings_without_taxonomy_and_with_a_bad_code(repo: Path) -> None:
    assert settings(check("data", "--show-settings"))["taxonomy"].startswith("none")
    bad = check("data", "--show-settings", "--select", "RB999")
    assert bad.exit_code == 2 and "RB999" in bad.stderr


# --- 5. --format grouped -------------------------------------------------------------------------


def _finding(index: int, code: str = "RB201", path: str = "a.json") -> Finding:
    return Finding(
        code, "duplicate-task-name", Severity.ERROR, f"message {index}", path, index, 3, f"/{index}"
    )


def test_grouped_is_registered_and_shows_the_first_locations_per_rule() -> None:
    assert "grouped" in REPORTERS
    findings = [_finding(i) for i in range(1, 8)]
    findings.append(Finding("RB103", "unknown-key", Severity.WARNING, "odd", "b.json", 2, 5, "/0/x"))
    report = Report(findings, ["a.json", "b.json"], [], Path("."))
    text = REPORTERS["grouped"](report, RenderOptions())
    lines = text.splitlines()
    assert lines[0] == "RB201 duplicate-task-name [error]: 7 findings"
    assert lines[1:6] == [f"  a.json:{i}:3: message {i} (at /{i})" for i in range(1, 6)]
    assert lines[6] == "  and 2 more"
    assert lines[8:10] == ["RB103 unknown-key [warning]: 1 finding", "  b.json:2:5: odd (at /0/x)"]
    assert lines[-1] == "Found 7 errors, 1 warning in 2 files (2 files checked)."
    fewer = REPORTERS["grouped"](report, RenderOptions(locations=2, quiet=True)).splitlines()
    assert fewer[3] == "  and 5 more" and not fewer[-1].startswith("Found")


def test_grouped_from_the_command_line_escapes_data(repo: Path) -> None:
    write(repo / "data" / "items.json", [task("p\x1b]0;x\x07"), task("p\x1b]0;x\x07")])
    result = check("data", "--select", "RB2", "--format", "grouped")
    assert result.exit_code == 1
    assert result.stdout.startswith("RB201 duplicate-task-name [error]: 1 finding\n  data/items.json:")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\\x1b" in result.stdout


def test_grouped_clean_run_is_the_summary(repo: Path) -> None:
    write(repo / "data" / "items.json", [task("p1")])
    assert (
        check("data", "--format", "grouped", "--select", "RB2").stdout
        == "All checks passed (1 file checked).\n"
    )


# --- 6. nothing to check -------------------------------------------------------------------------

NOTHING = "rb-lint: warning: no JSON files to check under the given paths"


def test_a_folder_without_json_is_nothing_to_check(repo: Path) -> None:
    (repo / "empty").mkdir()
    (repo / "empty" / "notes.txt").write_text("x")
    result = run("check", "empty", cwd=repo)
    assert result.returncode == 0 and result.stderr.startswith(NOTHING)
    assert "0 files checked" in result.stdout


def test_everything_excluded_is_nothing_to_check(repo: Path) -> None:
    (repo / "rb-lint.toml").write_text('extend-exclude = ["data/"]\n')
    result = check(".")
    assert result.exit_code == 0 and NOTHING in result.stderr
    assert NOTHING not in check(".", "-q").stderr and check(".", "-s").stderr == ""


def test_no_warning_when_something_was_checked_or_only_masks_were_given(repo: Path) -> None:
    assert NOTHING not in check("data", "--select", "RB2").stderr
    (repo / "seg.nii.gz").write_bytes(b"\0")
    masks_only = check("seg.nii.gz")  # the mask hook: no document uses this mask
    assert masks_only.exit_code == 0 and NOTHING not in masks_only.stderr


# --- 7. did you mean -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, hint",
    [
        ("RB2011", "did you mean `RB201` (duplicate-task-name)?"),
        ("rb201x", "did you mean `RB201` (duplicate-task-name)?"),
        ("duplicate-task", "did you mean `RB201` (duplicate-task-name)?"),
        ("duplicate-taskname", "did you mean `RB201` (duplicate-task-name)?"),
        ("RB20", "`RB20` is a prefix: did you mean one of RB201, RB202, RB203, ...?"),
    ],
)
def test_rule_command_suggests_the_nearest_rule(word: str, hint: str) -> None:
    result = CliRunner().invoke(main, ["rule", word])
    assert result.exit_code == 2
    assert result.stderr == f"rb-lint: error: unknown rule `{word}`: {hint} (`rb-lint rules` lists them)\n"


def test_rule_command_without_a_near_rule_says_where_the_list_is() -> None:
    result = CliRunner().invoke(main, ["rule", "zzz"])
    assert result.stderr == "rb-lint: error: unknown rule `zzz`: `rb-lint rules` lists them\n"


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_codes_on_the_command_line_suggest_the_nearest(repo: Path, option: str) -> None:
    # The hint comes from core/config.py `check_codes`, which serves the config file too.
    result = check("data", option, "RB2011")
    assert result.exit_code == 2 and result.stdout == ""
    assert "unknown rule code or prefix `RB2011` (did you mean `RB201`?)" in result.stderr


# --- 8. one spelling of document kinds -----------------------------------------------------------


def test_schema_names_are_the_kind_names() -> None:
    assert sorted(SCHEMAS) == sorted(KINDS)
    assert all(schema.name == schema.kind for schema in SCHEMAS.values())


def test_old_schema_name_is_a_hidden_deprecated_alias() -> None:
    runner = CliRunner()
    new = runner.invoke(main, ["schema", "tasks-export"])
    old = runner.invoke(main, ["schema", "tasks"])
    assert new.exit_code == old.exit_code == 0 and new.stderr == ""
    assert old.stdout == new.stdout
    assert json.loads(new.stdout)["$id"].endswith("/tasks-export.json")
    assert (
        old.stderr == "rb-lint: warning: `tasks` is deprecated, use `tasks-export` (the same document kind)\n"
    )
    listed = runner.invoke(main, ["schema", "nope"]).output
    assert "'tasks-export'" in listed and "'tasks'," not in listed


def test_kind_option_accepts_the_old_spelling_too(repo: Path) -> None:
    result = check("data", "--kind", "tasks", "--select", "RB2")
    assert result.exit_code == 1 and "deprecated, use `tasks-export`" in result.stderr
    assert "tasks-export" in check("--help").stdout


# --- 9. fingerprints and the baseline ------------------------------------------------------------


def recorded(path: Path) -> set[str]:
    return {entry["fingerprint"] for entry in json.loads(path.read_text())["findings"]}


def test_json_findings_carry_the_baseline_fingerprint(repo: Path) -> None:
    document = json.loads(check("data", "--select", "RB2", "--format", "json").stdout)
    prints = [finding["fingerprint"] for finding in document["findings"]]
    assert len(prints) == 2 and all(p.endswith(":1") for p in prints)
    check("data", "--select", "RB2", "--baseline", "baseline.json", "--update-baseline")
    assert set(prints) == recorded(repo / "baseline.json")
    lines = check("data", "--select", "RB2", "--format", "json-lines").stdout.splitlines()
    assert [json.loads(line)["fingerprint"] for line in lines] == prints


def test_json_fingerprints_follow_a_baseline_elsewhere(repo: Path) -> None:
    (repo / "ci").mkdir()
    check("data", "--select", "RB2", "--baseline", "ci/baseline.json", "--update-baseline")
    write(repo / "data" / "items.json", [*DUPLICATES, task("p3"), task("p3")])
    document = json.loads(
        check("data", "--select", "RB2", "--format", "json", "--baseline", "ci/baseline.json").stdout
    )
    assert document["summary"]["suppressed"] == 2 and document["summary"]["error"] == 1
    (new,) = document["findings"]
    check("data", "--select", "RB2", "--baseline", "ci/baseline.json", "--update-baseline")
    assert new["fingerprint"] in recorded(repo / "ci" / "baseline.json")


def test_summary_counts_what_the_baseline_suppressed(repo: Path) -> None:
    recording = check("data", "--select", "RB2", "--baseline", "baseline.json", "--update-baseline")
    assert recording.stdout == "All checks passed (1 file checked, 2 suppressed by the baseline).\n"
    write(repo / "data" / "items.json", [*DUPLICATES, task("p3"), task("p3")])
    result = check("data", "--select", "RB2", "--baseline", "baseline.json")
    assert result.exit_code == 1
    assert result.stdout.endswith("Found 1 error in 1 file (1 file checked, 2 suppressed by the baseline).\n")
    plain = json.loads(check("data", "--select", "RB2", "--format", "json").stdout)
    assert plain["summary"]["suppressed"] == 0


def test_baseline_is_never_linted_even_outside_the_root(repo: Path) -> None:
    """The config in data/ makes data/ the root; the baseline sits in a walked folder outside it."""
    (repo / "data" / "rb-lint.toml").write_text('select = ["RB0", "RB2"]\n')
    write(repo / "more" / "other.json", [task("p9")])
    record = check("data", "more", "--baseline", "more/baseline.json", "--update-baseline")
    assert record.exit_code == 0, record.output
    result = check("data", "more", "--baseline", "more/baseline.json", "--format", "json")
    document = json.loads(result.stdout)
    assert document["summary"]["files"] == 2
    assert not [f for f in document["findings"] if "baseline" in f["path"]]
    assert result.exit_code == 0 and "RB007" not in result.stdout


def test_baseline_inside_a_walked_folder_under_the_root_is_not_linted(repo: Path) -> None:
    check("data", "--baseline", "data/baseline.json", "--update-baseline")
    result = check("data", "--baseline", "data/baseline.json", "--format", "json")
    document = json.loads(result.stdout)
    assert document["summary"]["files"] == 1 and document["findings"] == []
