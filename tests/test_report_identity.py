"""No behaviour change: rb-lint reports exactly the recorded findings on three inputs.

The expectations in `tests/data/identity/` were first recorded from commit 8447dc0 (before the package
was re-laid out, which changed no finding), then regenerated for the deliberate changes of issue 11
(the current exporter's names, label geometry, DICOM); they hold, per CLI run,
the exit code and every finding's code, name, severity, message, path, line, column, JSON pointer and
SARIF `partialFingerprints`. This test rebuilds the inputs in a temporary directory (nothing is written
into the repository), runs `python -m rb_lint check ... --no-cache` with `--format json` and
`--format sarif`, and compares. Only the CLI and its reports are used, so the test survives any
reorganisation of the package. Additions to the report formats (new top-level or per-finding JSON
fields, new SARIF properties, new fingerprint kinds) are ignored; the recorded fields and the exit
code must be identical. The base directory of an input appears as `<ROOT>` in messages.

The inputs (see `identity_repo.py`): the bundled `examples/`, the NIfTI corpus of `tests/data/corpus`
(each file the segmentation of one task), and a generated repository in which every rule fires.

A deliberate behaviour change (a reworded message, a new finding, a moved position, a changed
fingerprint) must regenerate the expectations with `python tests/identity_regenerate.py` and say in
the commit which findings changed and why: the diff of `tests/data/identity/` is the review of the
behaviour change. A refactoring must never need that.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from identity_repo import FIELDS, INPUTS, RUNS, TIMEOUT, build_input, expected_path, run_input, sort_key


def _fingerprint_keys(expected: dict[str, Any]) -> set[str]:
    return {key for run in expected["runs"] for f in run["findings"] for key in (f["fingerprint"] or {})}


def _comparable(run: dict[str, Any], keys: set[str]) -> list[dict[str, Any]]:
    """The recorded fields of each finding, with only the recorded kinds of fingerprint, sorted."""
    findings = []
    for finding in run["findings"]:
        entry = {field: finding[field] for field in FIELDS}
        entry["fingerprint"] = {k: v for k, v in (finding["fingerprint"] or {}).items() if k in keys}
        findings.append(entry)
    return sorted(findings, key=sort_key)


def _lines(findings: list[dict[str, Any]]) -> list[str]:
    """One line per finding for the diff, location first."""
    order = ("path", "line", "column", "code", "name", "severity", "pointer", "message", "fingerprint")
    return [json.dumps({key: f[key] for key in order}, ensure_ascii=False) for f in findings]


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    keys = _fingerprint_keys(expected)
    problems: list[str] = []
    expected_runs = {run["name"]: run for run in expected["runs"]}
    actual_runs = {run["name"]: run for run in actual["runs"]}
    if list(expected_runs) != list(actual_runs):
        return [f"runs: expected {list(expected_runs)}, got {list(actual_runs)}"]
    for name, want in expected_runs.items():
        got = actual_runs[name]
        if (want["cwd"], want["args"]) != (got["cwd"], got["args"]):
            problems.append(
                f"run {name}: recorded as `rb-lint {' '.join(want['args'])}` in {want['cwd']}, "
                f"now `rb-lint {' '.join(got['args'])}` in {got['cwd']}: regenerate"
            )
            continue
        if want["exit_code"] != got["exit_code"]:
            problems.append(f"run {name}: exit code {got['exit_code']}, expected {want['exit_code']}")
        before, after = _comparable(want, keys), _comparable(got, keys)
        if before != after:
            diff = difflib.unified_diff(
                _lines(before), _lines(after), f"{name} (expected)", f"{name} (actual)", n=0, lineterm=""
            )
            problems.append(
                f"run {name}: {len(after)} findings, expected {len(before)}; "
                f"- missing or changed, + new or changed:\n" + "\n".join(diff)
            )
    return problems


def test_every_input_has_an_expectation() -> None:
    assert sorted(p.stem for p in expected_path(INPUTS[0]).parent.glob("*.json")) == sorted(INPUTS)


@pytest.mark.parametrize("name", INPUTS)
def test_report_is_identical_to_the_recorded_one(name: str, tmp_path: Path) -> None:
    expected = json.loads(expected_path(name).read_text(encoding="utf-8"))
    assert [run["name"] for run in expected["runs"]] == [run.name for run in RUNS[name]]
    base = tmp_path / name
    base.mkdir()
    build_input(name, base)
    problems = _differences(expected, run_input(name, base))
    if problems:
        pytest.fail(
            f"rb-lint's report on `{name}` differs from {expected_path(name).name} (regenerate "
            "only for a deliberate behaviour change, see this module's docstring):\n" + "\n\n".join(problems),
            pytrace=False,
        )


# Rules that fire only against a storage server; the test named proves each against a real one on loopback.
NEEDS_A_SERVER = {"RB901": "tests/test_remote_check.py"}


def test_the_generated_repository_triggers_every_rule() -> None:
    """Every rule `rb-lint rules` lists fires in the recorded generated repository: a new rule needs a
    case in `identity_repo.make_repository` (and regenerated expectations)."""
    listed = subprocess.run(
        [sys.executable, "-m", "rb_lint", "rules"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
        cwd=expected_path("generated").parent,
    )
    codes = {line.split()[0] for line in listed.stdout.splitlines() if re.match(r"RB\d{3}\b", line)}
    recorded = json.loads(expected_path("generated").read_text(encoding="utf-8"))
    fired = {f["code"] for run in recorded["runs"] for f in run["findings"]}
    assert len(codes) >= 100, listed.stdout
    assert sorted(codes - fired - NEEDS_A_SERVER.keys()) == []
