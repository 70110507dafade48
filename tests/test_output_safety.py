"""Output that data cannot subvert: control characters from linted files are escaped in text and
GitHub output (structured formats stay exact), the empty key is named, `-o` fails cleanly, and
Ctrl-C exits 130 without a traceback or a half-written report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import rb_lint as run_cli
from conftest import task, write

from rb_lint import lint
from rb_lint.cli import main

# ESC ] 0 ; ... BEL retitles a terminal; the newline then forges a finding line of its own.
EVIL = "x\x1b]0;pwned\x07\r\nforged.json:1:1: RB000 [error] fake\x9b31m\u202e"
FORGED_LINE = "forged.json:1:1: RB000"


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


@pytest.fixture
def evil(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A task with an unknown key full of control characters (RB103 quotes it, and its pointer)."""
    monkeypatch.chdir(tmp_path)
    bad: dict[str, Any] = {**task("p1"), EVIL: 1}
    write(tmp_path / "items.json", [bad])
    return tmp_path


def _assert_inert(text: str) -> None:
    for char in "\x1b\x07\r\x9b\u202e":
        assert char not in text
    for line in text.splitlines():
        assert not line.startswith(FORGED_LINE)


def test_text_output_escapes_control_characters(evil: Path) -> None:
    result = check("items.json", "--select", "RB103")
    assert result.exit_code == 0, result.output  # RB103 is a warning
    _assert_inert(result.output)
    assert "\\x1b]0;pwned\\x07\\r\\nforged.json" in result.output
    assert "\\x9b31m\\u202e" in result.output
    lines = result.output.splitlines()
    assert len(lines) == 3  # the finding, its pointer, the summary
    assert lines[1].startswith("  at /0/x\\x1b]0;pwned")


def test_text_output_escapes_control_characters_in_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a\x1b]0;t\x07.json", [task("p1"), task("p1")])
    result = check(".", "--select", "RB201")
    assert result.exit_code == 1
    _assert_inert(result.output)
    assert "a\\x1b]0;t\\x07.json:" in result.output


def test_colored_text_keeps_its_own_escapes_only(evil: Path) -> None:
    from rb_lint.reporters.text import format_finding

    finding = lint([evil / "items.json"], config={}, select=["RB103"]).findings[0]
    colored = format_finding(finding, color=True)
    assert "\x1b]" not in colored and "\x07" not in colored  # only SGR colour sequences remain
    assert colored.count("\n") == 1


def test_github_annotations_escape_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad: dict[str, Any] = {**task("p1"), "50%\n::error file=x::forged\x1b]0;t\x07": 1}
    write(tmp_path / "a,b:c\x1b.json", [bad])
    result = check(".", "--select", "RB103", "--format", "github")
    _assert_inert(result.output)
    lines = result.output.splitlines()
    assert len(lines) == 2  # one annotation, the summary
    annotation = lines[0]
    assert annotation.startswith("::warning file=a%2Cb%3Ac\\x1b.json,line=")
    assert "50%25%0A::error file=x::forged" in annotation  # workflow-command escapes: `%`, the newline
    assert "%0Aat /0/50%25%0A::error file=x::forged\\x1b]0;t\\x07" in annotation  # ESC, BEL visible


def test_github_step_summary_escapes_data(evil: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = evil / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    check("items.json", "--select", "RB103")
    _assert_inert(summary.read_text(encoding="utf-8"))


def test_structured_formats_keep_data_exact(evil: Path) -> None:
    report = json.loads(check("items.json", "--select", "RB103", "--format", "json").output)
    findings = report["findings"] if isinstance(report, dict) else report
    assert EVIL in findings[0]["message"]
    junit = check("items.json", "--select", "RB103", "--format", "junit", "--fail-on", "warning").output
    root = ET.fromstring(junit)  # parses: nothing XML 1.0 cannot hold
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert "\\u001b]0;pwned\\u0007\r\nforged.json" in failure.attrib["message"]
    assert "\\u001b]0;pwned\\u0007" in failure.text  # JUnit keeps its exact (XML-safe) content


def test_empty_key_is_named_as_such(evil: Path) -> None:
    write(evil / "items.json", [{**task("p1"), "": 1}])
    finding = lint([evil / "items.json"], config={}, select=["RB103"]).findings[0]
    assert 'unknown key `""`' in finding.message
    assert "`value`" not in finding.message


def test_output_into_a_missing_folder_is_a_usage_error(evil: Path) -> None:
    result = run_cli("check", "items.json", "-o", "no/such/dir/report.json", cwd=evil)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
    assert result.stderr.startswith("rb-lint: error: cannot write the report to no/such/dir/report.json")


def test_output_is_replaced_whole(evil: Path) -> None:
    (evil / "report.json").write_text("old", encoding="utf-8")
    os.chmod(evil / "report.json", 0o640)
    result = check("items.json", "--select", "RB103", "--format", "json", "-o", "report.json")
    assert result.exit_code == 0
    json.loads((evil / "report.json").read_text(encoding="utf-8"))
    assert (evil / "report.json").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in evil.iterdir()) == ["items.json", "report.json"]


def test_ctrl_c_while_writing_leaves_the_old_report(evil: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (evil / "report.json").write_text("old", encoding="utf-8")

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("rb_lint.cli.check.os.replace", interrupted)
    result = CliRunner().invoke(main, ["check", "items.json", "-o", "report.json"])
    assert result.exit_code == 130
    assert (evil / "report.json").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in evil.iterdir()) == ["items.json", "report.json"]  # no temporary file


def test_ctrl_c_in_a_rule_exits_130(evil: Path) -> None:
    from rb_lint.rules import find_rule

    rule = find_rule("RB103")
    assert rule is not None

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    original = rule.check
    object.__setattr__(rule, "check", interrupted)  # a frozen dataclass
    try:
        result = CliRunner().invoke(main, ["check", "items.json", "-o", "report.json"])
    finally:
        object.__setattr__(rule, "check", original)
    assert result.exit_code == 130
    assert not (evil / "report.json").exists()


SLOW_RUN = textwrap.dedent(
    """
    import sys, time
    from rb_lint.rules import find_rule
    from rb_lint.cli import main

    def slow(*args):
        print("running", file=sys.stderr, flush=True)
        time.sleep(60)
        return iter(())

    object.__setattr__(find_rule("RB201"), "check", slow)
    sys.argv = ["rb-lint", "check", ".", "-o", "report.json"]
    main()
    """
)


def test_sigint_to_a_real_run_exits_130_without_traceback(tmp_path: Path) -> None:
    for i in range(200):
        write(tmp_path / f"data/items{i}.json", [task(f"p{i}")])
    (tmp_path / "report.json").write_text("old", encoding="utf-8")
    environment = {**os.environ, "NO_COLOR": "1"}
    environment.pop("GITHUB_ACTIONS", None)
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_RUN],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert process.stderr is not None
    assert process.stderr.readline() == "running\n"  # the run is in the middle of its rules
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert stderr.strip() == "rb-lint: interrupted"
    assert stdout == ""
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "old"
