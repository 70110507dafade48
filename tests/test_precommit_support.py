"""What the pre-commit hooks rely on: the hook manifest, mask paths re-checking the items lists
that reference them, excludes on explicit paths, and Git LFS pointers (RB009)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATA, codes, only, write

from rb_lint import Severity, lint

ROOT = Path(__file__).resolve().parents[1]
MASK = DATA / "corpus" / "monai_anatomical_label.nii.gz"
LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)


def labelled(name: str, mask: str, **series: Any) -> dict[str, Any]:
    return {
        "name": name,
        "series": [
            {
                "items": "s3://bucket/anatomical.nii",
                "segmentations": mask,
                "segmentMap": {"1": "Liver"},
                **series,
            }
        ],
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "masks").mkdir()
    shutil.copy(MASK, tmp_path / "masks" / "m1.nii.gz")
    shutil.copy(MASK, tmp_path / "masks" / "other.nii.gz")
    return tmp_path


# --- the hook manifest ----------------------------------------------------------------------


def test_hook_manifest() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"rb-lint", "rb-lint-masks"}
    for hook in hooks.values():
        assert (hook["language"], hook["require_serial"]) == ("python", True)
    assert hooks["rb-lint"]["entry"] == "rb-lint check"
    assert hooks["rb-lint"]["types"] == ["json"]
    # A commit that only deletes or renames a mask passes no file: the masks hook runs anyway.
    assert hooks["rb-lint-masks"]["entry"] == "rb-lint check --staged-deletions"
    assert hooks["rb-lint-masks"]["always_run"] is True
    masks = re.compile(hooks["rb-lint-masks"]["files"])
    assert all(masks.search(p) for p in ("m.nii.gz", "a/b/m.nii", "SCAN.NII.GZ"))
    assert not any(masks.search(p) for p in ("m.json", "m.nii.gz.json", "m.nii.zip"))


# --- masks re-check the documents that reference them ---------------------------------------


def test_a_mask_path_lints_the_items_list_that_references_it(repo: Path) -> None:
    write(
        repo / "lists" / "items.json",
        [labelled("p1", "../masks/m1.nii.gz"), labelled("p1", "../masks/other.nii.gz")],
    )
    write(repo / "unrelated.json", [labelled("q", "masks/other.nii.gz"), labelled("q", "masks/other.nii.gz")])
    report = lint([Path("masks/m1.nii.gz")], config={})
    assert report.files == ["lists/items.json"]
    assert only(report, "RB201").path == "lists/items.json"


def test_segment_map_mask_entries_count_as_references(repo: Path) -> None:
    series = {
        "segmentations": ["masks/other.nii.gz"],
        "binaryMask": True,
        "segmentMap": {"1": {"category": "Liver", "mask": "masks/m1.nii.gz"}},
    }
    write(repo / "items.json", [labelled("p1", "x", **series), labelled("p1", "x", **series)])
    report = lint([Path("masks/m1.nii.gz")], config={})
    assert report.files == ["items.json"]
    assert "RB201" in codes(report)


def test_escaped_non_ascii_mask_names_are_found(repo: Path) -> None:
    shutil.copy(MASK, repo / "masks" / "fôie.nii.gz")
    (repo / "items.json").write_text(json.dumps([labelled("p1", "masks/fôie.nii.gz")] * 2))
    assert "\\u00f4" in (repo / "items.json").read_text()  # json.dumps escapes it
    report = lint([Path("masks/fôie.nii.gz")], config={})
    assert report.files == ["items.json"]


def test_a_json_named_with_its_mask_is_linted_once(repo: Path) -> None:
    write(repo / "items.json", [labelled("p1", "masks/m1.nii.gz"), labelled("p1", "masks/m1.nii.gz")])
    report = lint([Path("items.json"), Path("masks/m1.nii.gz")], config={})
    assert report.files == ["items.json"]
    only(report, "RB201")


def test_a_mask_nobody_references_lints_nothing(repo: Path) -> None:
    write(repo / "items.json", [labelled("p1", "masks/other.nii.gz"), labelled("p1", "masks/other.nii.gz")])
    report = lint([Path("masks/m1.nii.gz")], config={})
    assert (report.files, report.findings) == ([], [])


def test_excluded_documents_are_not_rechecked(repo: Path) -> None:
    write(repo / "rb-lint.toml", 'extend-exclude = ["legacy"]\n')
    write(repo / "legacy" / "items.json", [labelled("p1", "../masks/m1.nii.gz")] * 2)
    write(repo / "items.json", [labelled("p2", "masks/m1.nii.gz")] * 2)
    report = lint([Path("masks/m1.nii.gz")])
    assert report.files == ["items.json"]


def test_documents_are_searched_under_the_config_root(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "rb-lint.toml", "")
    write(repo / "items.json", [labelled("p1", "masks/m1.nii.gz")] * 2)
    monkeypatch.chdir(repo / "masks")
    report = lint([Path("m1.nii.gz")])
    assert report.files == [str(repo.resolve() / "items.json")]
    assert "RB201" in codes(report)


def test_excludes_apply_to_explicit_paths(repo: Path) -> None:
    write(repo / "rb-lint.toml", 'extend-exclude = ["legacy", "masks/other.nii.gz"]\n')
    write(repo / "legacy" / "items.json", [labelled("p1", "../masks/other.nii.gz")] * 2)
    report = lint([Path("legacy/items.json"), Path("masks/other.nii.gz")])
    assert (report.files, report.findings) == ([], [])


# --- RB009 lfs-pointer ----------------------------------------------------------------------


def test_lfs_pointer_is_skipped_with_an_info_finding(repo: Path) -> None:
    write(repo / "items.json", LFS_POINTER)
    report = lint([repo], config={})
    finding = only(report, "RB009")
    assert (finding.severity, finding.line, finding.column) == (Severity.INFO, 1, 1)
    assert "Git LFS pointer" in finding.message and "`git lfs pull`" in finding.message
    assert codes(report) == ["RB009"]  # not reported as invalid JSON
    assert report.exit_code(Severity.ERROR) == 0


def test_json_that_only_looks_like_a_pointer_is_linted(repo: Path) -> None:
    write(repo / "big.json", LFS_POINTER + "x" * 2000)
    write(repo / "items.json", [labelled("p1", "masks/m1.nii.gz")])
    report = lint([repo], config={})
    assert "RB009" not in codes(report)
    assert only(report, "RB001").path == "big.json"


# --- the configured taxonomy is used whatever files are linted ------------------------------

TAXONOMY = {"name": "t", "objectTypes": [{"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"}]}


def misspelt(name: str = "p1") -> dict[str, Any]:
    return labelled(name, "../masks/m1.nii.gz", segmentMap={"1": "Livr"})


def test_the_configured_taxonomy_checks_staged_files_when_it_is_not_staged(repo: Path) -> None:
    write(repo / "rb-lint.toml", 'taxonomy = "taxonomy/project.json"\n')
    write(repo / "taxonomy" / "project.json", TAXONOMY)
    write(repo / "items" / "batch1.json", [misspelt()])
    report = lint([Path("items/batch1.json")])  # what pre-commit passes: the staged file only
    assert report.files == ["items/batch1.json"]
    assert "did you mean `Liver`?" in only(report, "RB402").message
    assert "RB400" not in codes(report)


def test_without_a_taxonomy_one_warning_says_categories_are_not_checked(repo: Path) -> None:
    write(repo / "items" / "batch1.json", [misspelt()])
    write(repo / "items" / "batch2.json", [misspelt("p2")])
    report = lint([Path("items")], config={})
    finding = only(report, "RB400")  # once per run, not per file
    assert finding.severity == Severity.WARNING
    assert "`rb-lint init`" in finding.message and "RB402" not in codes(report)


def test_two_linted_taxonomies_are_named_in_a_warning(repo: Path) -> None:
    write(repo / "items.json", [misspelt()])
    write(repo / "a-taxonomy.json", TAXONOMY)
    write(repo / "b-taxonomy.json", TAXONOMY)
    finding = only(lint([repo], config={}), "RB400")
    assert finding.severity == Severity.WARNING
    assert "2 taxonomies are linted together (`a-taxonomy.json`, `b-taxonomy.json`)" in finding.message


# --- check --staged-deletions ---------------------------------------------------------------


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)


def rb_lint(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rb_lint", "check", "--no-cache", *args]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120)


@pytest.fixture
def committed(repo: Path) -> Path:
    """A git repository whose items list names masks/m1.nii.gz, everything committed."""
    write(repo / "items" / "batch1.json", [labelled("p1", "../masks/m1.nii.gz")])
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "data"]):
        assert git(repo, *args).returncode == 0
    return repo


@pytest.mark.parametrize("change", [["rm", "-q"], ["mv", "-f"]])
def test_a_staged_deletion_or_rename_of_a_referenced_mask_fails(committed: Path, change: list[str]) -> None:
    args = [*change, "masks/m1.nii.gz"] + (["masks/renamed.nii.gz"] if change[0] == "mv" else [])
    assert git(committed, *args).returncode == 0
    result = rb_lint(committed, "--staged-deletions")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "items/batch1.json:" in result.stdout and "RB301" in result.stdout


def test_staged_deletions_with_the_staged_files_lints_both(committed: Path) -> None:
    write(committed / "other.json", [labelled("p1", "masks/other.nii.gz")] * 2)
    assert git(committed, "rm", "-q", "masks/m1.nii.gz").returncode == 0
    result = rb_lint(committed, "--staged-deletions", "other.json")
    assert result.returncode == 1
    assert "RB301" in result.stdout and "RB201" in result.stdout


def test_an_unreferenced_or_json_deletion_passes(committed: Path) -> None:
    assert git(committed, "rm", "-q", "items/batch1.json").returncode == 0
    result = rb_lint(committed, "--staged-deletions")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")  # no document names a JSON
    assert git(committed, "rm", "-q", "masks/other.nii.gz").returncode == 0
    result = rb_lint(committed, "--staged-deletions")
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    assert "0 files checked" in result.stdout


def test_nothing_staged_lints_nothing_quietly(committed: Path) -> None:
    write(committed / "items" / "batch1.json", [labelled("p1", "x.nii.gz")] * 2)  # unstaged and broken
    result = rb_lint(committed, "--staged-deletions")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_staged_deletions_outside_git_is_a_one_line_usage_error(repo: Path) -> None:
    result = rb_lint(repo, "--staged-deletions")
    assert result.returncode == 2
    assert result.stderr.startswith("rb-lint: error: --staged-deletions needs a git work tree")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
