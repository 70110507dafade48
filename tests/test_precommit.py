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


def readme_snippet() -> str:
    """The `.pre-commit-config.yaml` block of the README's Integrations section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    integrations = readme.split("<!-- section: integrations -->", 1)[1].split("<!-- /section", 1)[0]
    [block] = re.findall(r"```yaml\n(.*?)```", integrations, flags=re.S)
    return str(block)


def readme_config(repository: str, rev: str) -> str:
    """The README's snippet with only its repository URL and `rev:` replaced."""
    snippet = readme_snippet()
    [url] = re.findall(r"^  - repo: (\S+)$", snippet, flags=re.M)
    [tag] = re.findall(r"^    rev: (\S+)$", snippet, flags=re.M)
    return snippet.replace(f"repo: {url}\n", f"repo: {repository}\n").replace(
        f"rev: {tag}\n", f"rev: {rev}\n"
    )


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
    config = readme_config(source.as_posix(), rev)  # the README's snippet, verbatim but for these two
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

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return checked(run(["git", *args], self.path, self.env))

    def run_hooks(self, *paths: str) -> tuple[int, str]:
        """Stage `paths` and run the hooks on what is staged, printing their output even when they pass."""
        self.git("add", "--", *paths)
        result = run(
            [sys.executable, "-m", "pre_commit", "run", "--verbose"], self.path, self.env, timeout=300
        )
        return result.returncode, result.stdout + result.stderr

    def caches(self) -> list[str]:
        """The folders holding a scan cache (its CACHEDIR.TAG is one level down)."""
        return sorted(
            p.parent.parent.relative_to(self.path).as_posix() for p in self.path.rglob("CACHEDIR.TAG")
        )


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


# --- acceptance: a data repository without an rb-lint config, then with the one `rb-lint init` writes ---

TAXONOMY = {"name": "t", "objectTypes": [{"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"}]}


def batch(name: str, category: str = "Liver", mask: str = "../masks/m1.nii.gz") -> list[dict[str, Any]]:
    task = labelled(name)
    task["series"][0].update(segmentations=mask, segmentMap={"1": category})
    return [task]


def test_the_readme_snippet_is_the_hook_configuration_and_init_prints_it(hooks: HookSetup) -> None:
    from rb_lint.starter import precommit_snippet

    assert precommit_snippet() == readme_snippet()
    assert "rev: v0.1.0" not in hooks.config and "github.com" not in hooks.config  # substituted


def test_items_in_a_folder_name_masks_beside_it_without_rb302_and_one_cache(repo: DataRepo) -> None:
    write(repo.path / "items" / "batch1.json", batch("p1"))
    status, output = repo.run_hooks("items/batch1.json", "masks/m1.nii.gz")
    assert status == 0, output
    assert "RB302" not in output and "RB301" not in output, output
    assert repo.caches() in ([], ["."]), repo.caches()  # one cache, at the repository root (or none)


def test_a_misspelt_category_is_blocked_once_init_wrote_the_config(repo: DataRepo) -> None:
    write(repo.path / "taxonomy" / "project.json", TAXONOMY)
    assert repo.commit("taxonomy/project.json", "masks/m1.nii.gz", verify=False)[0] == 0
    write(repo.path / "items" / "batch1.json", batch("p1", "Livr"))
    status, output = repo.run_hooks("items/batch1.json")
    assert status == 0 and "RB400" in output and "[warning]" in output, output  # says what it skips
    repo.git("reset", "-q", "--", "items/batch1.json")

    init = run([sys.executable, "-m", "rb_lint", "init"], repo.path, repo.env)
    assert init.returncode == 0, init.stdout + init.stderr
    assert 'taxonomy = "taxonomy/project.json"' in (repo.path / "rb-lint.toml").read_text()
    assert readme_snippet() in init.stdout
    assert repo.commit("rb-lint.toml", verify=False)[0] == 0
    status, output = repo.commit("items/batch1.json")  # the taxonomy itself is not staged
    assert status != 0
    assert "RB402" in output and "did you mean `Liver`?" in output
    assert repo.commits() == 3


def test_git_rm_of_a_referenced_mask_is_blocked(repo: DataRepo) -> None:
    write(repo.path / "items" / "batch1.json", batch("p1"))
    assert repo.commit("items/batch1.json", "masks/m1.nii.gz", verify=False)[0] == 0
    repo.git("rm", "-q", "masks/m1.nii.gz")
    result = run(["git", "commit", "-m", "drop the mask"], repo.path, repo.env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "rb-lint (masks)" in output and "items/batch1.json:" in output and "RB301" in output
    assert repo.commits() == 2


def test_an_unrelated_commit_passes_both_hooks(repo: DataRepo) -> None:
    write(repo.path / "README.md", "data\n")
    status, output = repo.commit("README.md")
    assert status == 0, output
    assert re.search(r"^rb-lint \(masks\)\.+Passed$", output, re.MULTILINE), output  # it always runs
    assert re.search(r"^rb-lint\.+\(no files to check\)Skipped$", output, re.MULTILINE), output


def test_an_lfs_pointer_committed_as_a_mask_is_accepted_with_rb009(repo: DataRepo) -> None:
    write(repo.path / "items" / "batch1.json", batch("p1"))
    write(repo.path / "masks" / "m1.nii.gz", LFS_POINTER)
    status, output = repo.run_hooks("items/batch1.json", "masks/m1.nii.gz")
    assert status == 0, output
    assert "RB009" in output and "Git LFS pointer" in output, output
