"""Shared test helpers: write JSON files, lint them for real, find positions of text in them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rb_lint import Report, lint
from rb_lint.core.findings import Finding

# Test modules import this plugin module before naming it in `pytest_plugins`: register it first so
# its asserts are rewritten too (and pytest does not warn that it cannot).
pytest.register_assert_rewrite("storage_servers")

DATA = Path(__file__).parent / "data"


def write(path: Path, content: str | list[Any] | dict[str, Any]) -> Path:
    """Write text as is, or data as indented JSON (one key per line: positions are predictable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the n-th occurrence of `needle` in `text`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def only(report: Report, code: str) -> Finding:
    """The single finding of `code` (fails with the whole report when there is not exactly one)."""
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got: {[(f.code, f.message) for f in report.findings]}"
    return found[0]


def task(name: str = "patient-001", **series: Any) -> dict[str, Any]:
    return {"name": name, "series": [{"items": "ct.nii.gz", **series}]}


@pytest.fixture(autouse=True)
def _not_on_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests expect the default text format even when CI itself runs on GitHub Actions."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def lint_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Report]:
    """Write files under a temporary data repo and lint them with the real API."""
    monkeypatch.chdir(tmp_path)

    def run(files: dict[str, str | list[Any] | dict[str, Any]], **kwargs: Any) -> Report:
        for name, content in files.items():
            write(tmp_path / name, content)
        kwargs.setdefault("config", {})
        return lint([tmp_path], **kwargs)

    return run


def rb_lint(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, uncoloured and outside GitHub Actions, bounded in time
    (generously: the machine running the suite may be loaded)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "FORCE_COLOR")}
    environment.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "rb_lint", *args],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        errors="backslashreplace",
        env=environment,
        timeout=120,
    )


def json_report(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The findings of a `--format json` (or json-lines array) report."""
    report = json.loads(result.stdout)
    findings: list[dict[str, Any]] = report if isinstance(report, list) else report["findings"]
    return findings


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under `.ci/run` (RB_LINT_NO_SKIPS=1) a skipped test fails the run: a skip in CI proves nothing
    (a missing emulator, extra or tool would otherwise pass unnoticed)."""
    if os.environ.get("RB_LINT_NO_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped and exitstatus == 0:
        print(f"\n{skipped} test(s) skipped under RB_LINT_NO_SKIPS=1: CI runs every test", file=sys.stderr)
        session.exitstatus = 1
