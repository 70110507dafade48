"""hooks/: the plain git pre-commit script, run by real git commits, and the CI workflow example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATA, write

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "hooks" / "pre-commit"
MASK = DATA / "corpus" / "monai_anatomical_label.nii.gz"
OTHER_MASK = DATA / "corpus" / "standard.nii.gz"


def labelled(name: str, mask: str = "masks/m1.nii.gz") -> dict[str, Any]:
    return {
        "name": name,
        "series": [
            {"items": "s3://bucket/anatomical.nii", "segmentations": mask, "segmentMap": {"1": "Liver"}}
        ],
    }


def git_env(**extra: str) -> dict[str, str]:
    """The test process's environment without git's variables (tests may run inside a hook) or
    the user's git config (a global `core.hooksPath` would bypass the hook under test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        **extra,
    )
    return env


class Repo:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path, self.env = path, env

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True, timeout=120
        )

    def commit(self, *paths: str, verify: bool = True) -> subprocess.CompletedProcess[str]:
        assert self.git("add", "--", *paths).returncode == 0
        return self.git("commit", "-q", "-m", "change", *([] if verify else ["--no-verify"]))

    @staticmethod
    def output(result: subprocess.CompletedProcess[str]) -> str:
        return result.stdout + result.stderr  # git shows hook output on stderr

    def commits(self) -> int:
        result = self.git("rev-list", "--count", "HEAD")
        return int(result.stdout) if result.returncode == 0 else 0


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A data repository with the plain hook copied into .git/hooks, as its install line says."""
    env = git_env(RB_LINT=f"{sys.executable} -m rb_lint")
    env.pop("GITHUB_ACTIONS", None)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    shutil.copy(HOOK, tmp_path / ".git" / "hooks" / "pre-commit")
    (tmp_path / ".git" / "hooks" / "pre-commit").chmod(0o755)
    (tmp_path / "masks").mkdir()
    shutil.copy(MASK, tmp_path / "masks" / "m1.nii.gz")
    return Repo(tmp_path, env)


def test_duplicate_task_name_blocks_the_commit_and_the_fix_goes_through(repo: Repo) -> None:
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    blocked = repo.commit("items.json", "masks/m1.nii.gz")
    assert blocked.returncode == 1
    assert "items.json:" in repo.output(blocked) and "RB201" in repo.output(blocked)
    assert "task name `p1` is already used" in repo.output(blocked)
    assert repo.commits() == 0

    write(repo.path / "items.json", [labelled("p1"), labelled("p2")])
    passed = repo.commit("items.json")
    assert passed.returncode == 0, repo.output(passed)
    assert repo.commits() == 1


def test_only_staged_files_are_linted(repo: Repo) -> None:
    write(repo.path / "draft.json", [labelled("p1"), labelled("p1")])  # not staged
    write(repo.path / "items.json", [labelled("p1")])
    result = repo.commit("items.json")
    assert result.returncode == 0, repo.output(result)
    assert "draft.json" not in repo.output(result)


def test_a_commit_that_changes_only_a_mask_rechecks_the_items_list(repo: Repo) -> None:
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    assert repo.commit("items.json", "masks/m1.nii.gz", verify=False).returncode == 0
    shutil.copy(OTHER_MASK, repo.path / "masks" / "m1.nii.gz")
    blocked = repo.commit("masks/m1.nii.gz")
    assert blocked.returncode == 1
    assert "items.json:" in repo.output(blocked) and "RB201" in repo.output(blocked)
    assert repo.commits() == 1


def test_config_excludes_apply_to_staged_files(repo: Repo) -> None:
    write(repo.path / "rb-lint.toml", 'extend-exclude = ["legacy"]\n')
    write(repo.path / "legacy" / "old.json", [labelled("p1"), labelled("p1")])
    result = repo.commit("rb-lint.toml", "legacy/old.json")
    assert result.returncode == 0, repo.output(result)


def test_commits_without_data_files_do_not_need_rb_lint(repo: Repo) -> None:
    repo.env["RB_LINT"] = "rb-lint-that-is-not-installed"
    write(repo.path / "README.md", "data\n")
    assert repo.commit("README.md").returncode == 0
    write(repo.path / "items.json", [labelled("p1")])
    missing = repo.commit("items.json")
    assert missing.returncode == 1
    assert "`rb-lint-that-is-not-installed` not found" in missing.stderr


def test_hooks_path_install_runs_the_script_from_the_checkout(repo: Repo) -> None:
    (repo.path / ".git" / "hooks" / "pre-commit").unlink()
    assert repo.git("config", "core.hooksPath", str(ROOT / "hooks")).returncode == 0
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    blocked = repo.commit("items.json")
    assert blocked.returncode == 1 and "RB201" in repo.output(blocked)


def unstaged_state(repo: Repo) -> dict[str, bytes]:
    """Every file of the working tree but .git and the scan cache, byte for byte."""
    return {
        path.relative_to(repo.path).as_posix(): path.read_bytes()
        for path in sorted(repo.path.rglob("*"))
        if path.is_file() and not {".git", ".rb_lint_cache"} & set(path.relative_to(repo.path).parts)
    }


@pytest.fixture
def staged_typo(repo: Repo) -> Repo:
    """A staged duplicate task name, fixed in the working copy only (plus other unstaged edits)."""
    write(repo.path / "notes.txt", "committed\n")
    assert repo.commit("notes.txt", "masks/m1.nii.gz", verify=False).returncode == 0
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    assert repo.git("add", "items.json").returncode == 0
    write(repo.path / "items.json", [labelled("p1"), labelled("p2")])  # fixed, not staged
    write(repo.path / "notes.txt", "edited, not staged\n")
    shutil.copy(OTHER_MASK, repo.path / "masks" / "m1.nii.gz")  # a binary unstaged change
    write(repo.path / "untracked.json", [labelled("u"), labelled("u")])
    return repo


def test_the_hook_lints_the_index_not_the_working_copy(staged_typo: Repo) -> None:
    before = unstaged_state(staged_typo)
    blocked = staged_typo.git("commit", "-q", "-m", "x")
    assert blocked.returncode == 1, staged_typo.output(blocked)
    assert "RB201" in staged_typo.output(blocked) and "untracked.json" not in staged_typo.output(blocked)
    assert staged_typo.commits() == 1
    assert unstaged_state(staged_typo) == before  # the unstaged edits are back, byte for byte
    assert not list((staged_typo.path / ".git").glob("rb-lint-unstaged-*"))  # the patch is gone


def test_unstaged_changes_come_back_when_rb_lint_fails(
    staged_typo: Repo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    broken = tmp_path_factory.mktemp("bin") / "rb-lint-broken"
    broken.write_text("#!/bin/sh\necho internal error >&2\nexit 2\n")
    broken.chmod(0o755)
    staged_typo.env["RB_LINT"] = str(broken)
    before = unstaged_state(staged_typo)
    result = staged_typo.git("commit", "-q", "-m", "x")
    assert result.returncode != 0 and "internal error" in result.stderr
    assert unstaged_state(staged_typo) == before


def test_a_patch_that_cannot_be_put_back_is_kept_under_git(
    staged_typo: Repo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    meddling = tmp_path_factory.mktemp("bin") / "rb-lint-meddling"
    meddling.write_text("#!/bin/sh\necho conflicting > notes.txt\nexit 1\n")  # like a fixer hook
    meddling.chmod(0o755)
    staged_typo.env["RB_LINT"] = str(meddling)
    result = staged_typo.git("commit", "-q", "-m", "x")
    assert result.returncode == 1
    [patch] = (staged_typo.path / ".git").glob("rb-lint-unstaged-*.patch")
    assert "could not put your unstaged changes back" in result.stderr and str(patch) in result.stderr
    assert staged_typo.git("checkout", "--", "notes.txt").returncode == 0
    assert staged_typo.git("apply", str(patch)).returncode == 0
    assert (staged_typo.path / "notes.txt").read_text() == "edited, not staged\n"


def test_a_commit_deleting_a_referenced_mask_is_blocked(repo: Repo) -> None:
    write(repo.path / "items.json", [labelled("p1")])
    assert repo.commit("items.json", "masks/m1.nii.gz", verify=False).returncode == 0
    assert repo.git("rm", "-q", "masks/m1.nii.gz").returncode == 0
    blocked = repo.git("commit", "-q", "-m", "drop the mask")
    assert blocked.returncode == 1
    assert "items.json:" in repo.output(blocked) and "RB301" in repo.output(blocked)
    assert repo.commits() == 1


def test_github_actions_example_uploads_the_sarif_it_writes() -> None:
    workflow = yaml.safe_load((ROOT / "hooks" / "github-actions-rb-lint.yml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["rb-lint"]["steps"]
    runs = [s.get("run", "") for s in steps]
    [sarif_step] = [r for r in runs if "--format sarif" in r]
    output = sarif_step.split("--output ")[1].split()[0]
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == output
    assert runs[-1].strip() == "rb-lint check"  # the gate: fails the job on findings
    assert "--exit-zero" in sarif_step  # the SARIF step reports, the gate decides
