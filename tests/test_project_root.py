"""The project root: the config file's folder, else the git work tree, else the current folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from rb_lint.core.config import CACHE_DIR_ENV, cache_directory, load_config, project_root


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def data_repository(root: Path, *, git: bool) -> Path:
    """items/batch1.json names ../masks/x.nii.gz, which holds value 3 that segmentMap does not map."""
    (root / "items").mkdir(parents=True)
    (root / "masks").mkdir()
    volume = np.zeros((4, 4, 4), np.uint8)
    volume[1, 1, 1], volume[2, 2, 2] = 1, 3
    nib.save(nib.Nifti1Image(volume, np.eye(4)), root / "masks" / "x.nii.gz")
    doc = [
        {
            "name": "patient-001",
            "series": [{"segmentations": "../masks/x.nii.gz", "segmentMap": {"1": "Liver"}}],
        }
    ]
    (root / "items" / "batch1.json").write_text(json.dumps(doc, indent=2))
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=60, capture_output=True)
    return root


def cache_folders(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob(".rb_lint_cache") if path.is_dir())


def no_git_above(path: Path) -> bool:
    return not any((folder / ".git").exists() for folder in (path, *path.parents))


@pytest.mark.parametrize("where", ["root", "subfolder"])
def test_root_is_the_git_work_tree_without_config(tmp_path: Path, where: str) -> None:
    repo = data_repository(tmp_path / "repo", git=True)
    cwd, target = (repo, "items/batch1.json") if where == "root" else (repo / "items", "batch1.json")
    done = run_cli(["--select", "RB3", target], cwd)
    assert done.returncode == 0, done.stdout + done.stderr  # RB305 is a warning
    assert "RB302" not in done.stdout  # ../masks is inside the work tree
    assert "RB305" in done.stdout and "holds value 3" in done.stdout  # the mask was scanned
    assert cache_folders(tmp_path) == [repo / ".rb_lint_cache"]  # one cache, at the root
    assert done.stderr == ""


def test_both_ways_of_running_share_one_cache(tmp_path: Path) -> None:
    repo = data_repository(tmp_path / "repo", git=True)
    first = run_cli(["--select", "RB3", "items/batch1.json"], repo)
    second = run_cli(["--select", "RB3", "batch1.json"], repo / "items")
    assert first.returncode == second.returncode == 0
    assert cache_folders(tmp_path) == [repo / ".rb_lint_cache"]


def test_root_is_the_config_folder_when_there_is_one(tmp_path: Path) -> None:
    repo = data_repository(tmp_path / "repo", git=True)
    (repo / "items" / "rb-lint.toml").write_text('ignore = ["RB400"]\n')
    loaded = load_config(None, repo / "items" / "batch1.json")
    assert loaded.root == (repo / "items").resolve() and loaded.source is not None
    done = run_cli(["--select", "RB3", "items/batch1.json"], repo)
    assert "RB302" in done.stdout  # the config's folder decides: ../masks is outside it
    assert cache_folders(tmp_path) == [repo / "items" / ".rb_lint_cache"]


def test_root_without_config_or_git_is_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not no_git_above(tmp_path):
        pytest.skip("the temporary folder is inside a git work tree")
    data_repository(tmp_path, git=False)
    monkeypatch.chdir(tmp_path)
    assert load_config(None, Path("items/batch1.json")).root == tmp_path.resolve()
    assert load_config(None, Path("items")).root == tmp_path.resolve()  # never the first path's folder
    monkeypatch.chdir(tmp_path / "items")
    assert load_config(None, Path("batch1.json")).root == (tmp_path / "items").resolve()


def test_a_git_file_marks_a_work_tree_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worktrees and submodules have a `.git` file, not a folder."""
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    monkeypatch.chdir(tmp_path)
    assert project_root(tmp_path / "sub" / "deep" / "a.json") == (tmp_path / "sub").resolve()


def test_cache_directory_config_then_environment_then_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "rb-lint.toml").write_text('[masks]\ncache-dir = "build/scan-cache"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    loaded = load_config(None, tmp_path / "proj")
    assert cache_directory(loaded) == (tmp_path / "proj" / "build" / "scan-cache").resolve()
    monkeypatch.setenv(CACHE_DIR_ENV, "from-env")  # relative to the current folder, as a command line path
    assert cache_directory(loaded) == tmp_path / "from-env"
    assert cache_directory(loaded, Path("from-option")) == tmp_path / "from-option"


def test_cli_cache_dir_option_wins(tmp_path: Path) -> None:
    repo = data_repository(tmp_path / "repo", git=True)
    done = run_cli(
        ["--select", "RB3", "--cache-dir", "elsewhere", "items/batch1.json"],
        repo,
        env={CACHE_DIR_ENV: str(tmp_path / "from-env")},
    )
    assert done.returncode == 0, done.stderr
    assert (repo / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / "from-env").exists() and cache_folders(tmp_path) == []
    again = run_cli(
        ["--select", "RB3", "items/batch1.json"], repo, env={CACHE_DIR_ENV: str(tmp_path / "env")}
    )
    assert again.returncode == 0 and (tmp_path / "env" / "CACHEDIR.TAG").is_file()


def test_a_path_outside_the_current_folder_and_any_work_tree_is_its_own_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linting /elsewhere/data from an unrelated folder: the root is not the current folder (every
    path would then be "outside the root"), but the linted folder."""
    from rb_lint.core.config import project_root

    data = tmp_path / "outside" / "data"
    data.mkdir(parents=True)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert project_root(data) == data.resolve()
    assert project_root(data / "items.json") == data.resolve()
    assert project_root(here) == here.resolve()
