"""What the pre-commit hooks rely on: the hook manifest, mask paths re-checking the items lists
that reference them, excludes on explicit paths, and Git LFS pointers (RB009)."""

from __future__ import annotations

import json
import re
import shutil
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
        assert (hook["entry"], hook["language"], hook["require_serial"]) == ("rb-lint check", "python", True)
    assert hooks["rb-lint"]["types"] == ["json"]
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
