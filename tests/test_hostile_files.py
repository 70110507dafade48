"""Hostile file-system entries (issue 12, "Promises broken" 1 and 7): FIFOs, devices, symlink loops,
over-long and undecodable names. None may hang, read without bound, or end the run and lose the
other files' findings. Every test runs the real CLI with a timeout, so a hang fails one test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import json_report, rb_lint, task, write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file-system entries")

DUPLICATES = [task("patient-007"), task("patient-007")]


def codes_by_file(result: subprocess.CompletedProcess[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in json_report(result):
        found.setdefault(str(finding["path"]), set()).add(str(finding["code"]))
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(tmp_path / "good.json", DUPLICATES)  # RB201 twice: must survive whatever else is linted
    return tmp_path


def assert_other_findings_kept(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert "RB201" in codes_by_file(result).get("good.json", set()), result.stdout


# --- 1. Not a regular file: RB008 before any read ------------------------------------------------


def test_fifo_named_json_is_rb008_and_does_not_hang(repo: Path) -> None:
    os.mkfifo(repo / "pipe.json")
    result = rb_lint("check", "--format", "json", ".", cwd=repo)
    assert_other_findings_kept(result)
    [finding] = [f for f in json_report(result) if f["path"] == "pipe.json"]
    assert finding["code"] == "RB008"
    assert "not a regular file" in str(finding["message"]) and "FIFO" in str(finding["message"])


def test_fifo_given_by_name_does_not_hang(repo: Path) -> None:
    os.mkfifo(repo / "pipe.json")
    result = rb_lint("check", "--format", "json", "pipe.json", "good.json", cwd=repo)
    assert_other_findings_kept(result)
    assert codes_by_file(result)["pipe.json"] == {"RB008"}


def test_symlink_to_dev_zero_is_rb008_without_reading(repo: Path) -> None:
    (repo / "zero.json").symlink_to("/dev/zero")
    result = rb_lint("check", "--format", "json", ".", cwd=repo)
    assert_other_findings_kept(result)
    [finding] = [f for f in json_report(result) if f["path"] == "zero.json"]
    assert finding["code"] == "RB008"
    assert "not a regular file" in str(finding["message"]) and "device" in str(finding["message"])


def test_directory_named_json_given_by_name_is_linted_as_a_directory(repo: Path) -> None:
    write(repo / "folder.json" / "inner.json", DUPLICATES)
    result = rb_lint("check", "--format", "json", "folder.json", "good.json", cwd=repo)
    assert_other_findings_kept(result)
    assert "RB201" in codes_by_file(result)["folder.json/inner.json"]


def test_symlink_to_a_directory_found_in_a_walk_is_not_read_as_a_file(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "link.json").symlink_to(repo / "sub")
    result = rb_lint("check", "--format", "json", ".", cwd=repo)
    assert_other_findings_kept(result)
    assert codes_by_file(result).get("link.json", {"RB008"}) == {"RB008"}


@pytest.mark.parametrize("where", ["option", "config"])
def test_taxonomy_dev_zero_is_a_usage_error_without_reading(repo: Path, where: str) -> None:
    args = ["check", "good.json"]
    if where == "option":
        args += ["--taxonomy", "/dev/zero"]
    else:
        (repo / "rb-lint.toml").write_text('taxonomy = "/dev/zero"\n', encoding="utf-8")
    result = rb_lint(*args, cwd=repo)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "/dev/zero" in lines[0] and "not a regular file" in lines[0], lines


def test_taxonomy_fifo_is_a_usage_error_without_hanging(repo: Path) -> None:
    os.mkfifo(repo / "taxonomy.json")
    result = rb_lint("check", "good.json", "--taxonomy", "taxonomy.json", cwd=repo)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "not a regular file" in result.stderr


# --- 2. Symlink loops: RB008 for that file, the run goes on --------------------------------------


@pytest.mark.parametrize("named", [True, False], ids=["named", "walked"])
def test_self_symlink_is_rb008_and_run_goes_on(repo: Path, named: bool) -> None:
    os.symlink("loop.json", repo / "loop.json")
    paths = ["loop.json", "good.json"] if named else ["."]
    result = rb_lint("check", "--format", "json", *paths, cwd=repo)
    assert_other_findings_kept(result)
    [finding] = [f for f in json_report(result) if f["path"] == "loop.json"]
    assert finding["code"] == "RB008" and "symlink loop" in str(finding["message"])


def test_two_symlinks_looping_are_rb008(repo: Path) -> None:
    os.symlink("b.json", repo / "a.json")
    os.symlink("a.json", repo / "b.json")
    result = rb_lint("check", "--format", "json", ".", cwd=repo)
    assert_other_findings_kept(result)
    found = codes_by_file(result)
    assert found["a.json"] == {"RB008"} and found["b.json"] == {"RB008"}


def test_dangling_symlink_given_by_name_is_rb008(repo: Path) -> None:
    os.symlink("missing-target.json", repo / "dangling.json")
    result = rb_lint("check", "--format", "json", "dangling.json", "good.json", cwd=repo)
    assert_other_findings_kept(result)  # (a dangling link is shown under its target's path, as before)
    assert codes_by_file(result)["missing-target.json"] == {"RB008"}


def test_fifo_json_next_to_a_mask_given_to_the_hook_does_not_hang(repo: Path) -> None:
    os.mkfifo(repo / "pipe.json")
    (repo / "m.nii.gz").write_bytes(b"x")
    result = rb_lint("check", "m.nii.gz", cwd=repo)
    assert "Traceback" not in result.stderr


# --- 3. Long and undecodable names -----------------------------------------------------------------


def test_path_component_over_255_bytes_given_by_name(repo: Path) -> None:
    long_name = "x" * 300 + ".json"
    result = rb_lint("check", "--format", "json", long_name, "good.json", cwd=repo)
    assert result.returncode in (1, 2)
    if result.returncode == 2:  # a missing path is a usage error, said in one line
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    else:
        assert_other_findings_kept(result)


def undecodable(repo: Path) -> None:
    with open(os.fsencode(str(repo)) + b"/bad-\xff.json", "wb") as handle:
        handle.write(json.dumps(DUPLICATES).encode())


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_non_utf8_file_name_is_linted_in_every_format(repo: Path, output_format: str) -> None:
    undecodable(repo)
    result = rb_lint("check", "--format", output_format, ".", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "bad-" in result.stdout
    if output_format in ("json", "sarif"):
        json.loads(result.stdout)


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_non_utf8_file_name_report_written_with_dash_o(repo: Path, output_format: str) -> None:
    undecodable(repo)
    result = rb_lint("check", "--format", output_format, "-o", "report.out", "--exit-zero", ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    written = (repo / "report.out").read_text(encoding="utf-8")
    assert "bad-" in written
    if output_format != "text":
        json.loads(written)
