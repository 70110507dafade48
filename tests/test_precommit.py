"""The real pre-commit framework running this checkout's `.pre-commit-hooks.yaml` on real commits.

Slow (marked `slow`, still part of the default suite): the module builds ONE hook environment, in
which pre-commit pip-installs rb-lint and its dependencies (from PyPI), shared by every test
through a common PRE_COMMIT_HOME. The hooks come from a snapshot of the working tree (a throwaway
git repository with the checkout's tracked and untracked-but-not-ignored files), used exactly as
a data repository uses rb-lint: `repo:` + `rev:` + hook ids.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, write

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MASK = DATA / "corpus" / "monai_anatomical_label.nii.gz"
OTHER_MASK = DATA / "corpus" / "standard.nii.gz"
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:0123abcd\nsize 42\n"


def labelled(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "series": [
            {
                "items": "s3://bucket/anatomical.nii",
                "segmentations": "masks/m1.nii.gz",
                "segmentMap": {"1": "Liver"},
            }
        ],
    }


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def checked(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def snapshot(destination: Path, env: dict[str, str]) -> str:
    """Commit the checkout's working tree into a new repository; returns the commit id."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT, env)
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.split("\0")):
            source = ROOT / name
            if source.is_file():  # tracked files deleted in the working tree are skipped
                (destination / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination / name)
    else:  # not a git checkout (an unpacked sdist): copy what the package build needs
        shutil.copytree(
            ROOT,
            destination,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".*cache*", "build", "dist"),
        )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        checked(run(["git", *args], destination, env))
    return checked(run(["git", "rev-parse", "HEAD"], destination, env)).stdout.strip()


@dataclass
class HookSetup:
    config: str  # the .pre-commit-config.yaml a data repository uses
    env: dict[str, str]


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookSetup]:
    base = tmp_path_factory.mktemp("precommit")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "GITHUB_"))}
    env.update(
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",  # no user hooksPath etc.
        PRE_COMMIT_HOME=str(base / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
    )
    source = base / "rb-lint-source"
    source.mkdir()
    rev = snapshot(source, env)
    config = (
        f"repos:\n  - repo: {source.as_posix()}\n    rev: {rev}\n    hooks:\n"
        "      - id: rb-lint\n      - id: rb-lint-masks\n"
    )
    seed = base / "seed"
    checked(run(["git", "init", "-q", str(seed)], base, env))
    write(seed / ".pre-commit-config.yaml", config)
    # The one slow step: a virtualenv with rb-lint and its dependencies, reused by every test.
    checked(run([sys.executable, "-m", "pre_commit", "install-hooks"], seed, env, timeout=900))
    yield HookSetup(config, env)
    shutil.rmtree(base, ignore_errors=True)  # the hook environment is a few hundred MB


class DataRepo:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path, self.env = path, env

    def commit(self, *paths: str, verify: bool = True) -> tuple[int, str]:
        checked(run(["git", "add", "--", *paths], self.path, self.env))
        result = run(
            ["git", "commit", "-m", "change", *([] if verify else ["--no-verify"])],
            self.path,
            self.env,
            timeout=300,
        )
        return result.returncode, result.stdout + result.stderr

    def commits(self) -> int:
        result = run(["git", "rev-list", "--count", "HEAD"], self.path, self.env)
        return int(result.stdout) if result.returncode == 0 else 0


@pytest.fixture
def repo(hooks: HookSetup, tmp_path: Path) -> DataRepo:
    """A data repository whose .pre-commit-config.yaml uses the two rb-lint hooks."""
    checked(run(["git", "init", "-q", str(tmp_path)], tmp_path, hooks.env))
    write(tmp_path / ".pre-commit-config.yaml", hooks.config)
    checked(run([sys.executable, "-m", "pre_commit", "install"], tmp_path, hooks.env))
    (tmp_path / "masks").mkdir()
    shutil.copy(MASK, tmp_path / "masks" / "m1.nii.gz")
    data = DataRepo(tmp_path, hooks.env)
    assert data.commit(".pre-commit-config.yaml", verify=False)[0] == 0
    return data


def test_duplicate_task_name_is_blocked_and_the_fixed_commit_goes_through(repo: DataRepo) -> None:
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    status, output = repo.commit("items.json", "masks/m1.nii.gz")
    assert status != 0
    assert "rb-lint" in output and "Failed" in output
    assert "items.json:" in output and "RB201" in output
    assert "task name `p1` is already used" in output
    assert repo.commits() == 1

    write(repo.path / "items.json", [labelled("p1"), labelled("p2")])
    status, output = repo.commit("items.json", "masks/m1.nii.gz")
    assert status == 0, output
    assert "Passed" in output and "Failed" not in output
    assert repo.commits() == 2


def test_a_commit_changing_only_a_mask_rechecks_the_items_list(repo: DataRepo) -> None:
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    assert repo.commit("items.json", "masks/m1.nii.gz", verify=False)[0] == 0
    shutil.copy(OTHER_MASK, repo.path / "masks" / "m1.nii.gz")
    status, output = repo.commit("masks/m1.nii.gz")
    assert status != 0
    assert "rb-lint (masks)" in output
    assert "items.json:" in output and "RB201" in output
    assert repo.commits() == 2


def test_config_excludes_and_lfs_pointers_do_not_block(repo: DataRepo) -> None:
    write(repo.path / "rb-lint.toml", 'extend-exclude = ["legacy"]\n')
    write(repo.path / "legacy" / "old.json", [labelled("p1"), labelled("p1")])
    write(repo.path / "stored-in-lfs.json", LFS_POINTER)
    status, output = repo.commit("rb-lint.toml", "legacy/old.json", "stored-in-lfs.json")
    assert status == 0, output
    assert re.search(r"^rb-lint\.+Passed$", output, re.MULTILINE), output  # it ran and passed
    assert repo.commits() == 2
