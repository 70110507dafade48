"""`rb-lint check --staged-deletions`: the files a commit deletes or renames away, from git's index."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from rb_lint.core.config import ConfigError

GIT_TIMEOUT = 60  # seconds; `git diff --cached --name-only` reads only the index and HEAD's tree


def staged_removals(cwd: Path | None = None) -> list[Path]:
    """Absolute paths of the files whose deletion, or rename to another path, is staged.

    Renames are not detected (`--no-renames`), so a renamed file is a deletion of its old path and
    an addition of the new one. JSON files are left out: no document references one. Raises
    `ConfigError` outside a git work tree.
    """
    top = _git(["rev-parse", "--show-toplevel"], cwd).strip("\n")
    listed = _git(["diff", "--cached", "--no-renames", "--name-only", "--diff-filter=D", "-z"], cwd)
    names = [name for name in listed.split("\0") if name and not name.lower().endswith(".json")]
    return [Path(top) / name for name in names]


def _git(args: list[str], cwd: Path | None) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigError(f"--staged-deletions needs git: {error}") from None
    if result.returncode != 0:
        reason = os.fsdecode(result.stderr).strip().splitlines()
        detail = f" ({reason[-1]})" if reason else ""
        raise ConfigError(f"--staged-deletions needs a git work tree{detail}")
    return os.fsdecode(result.stdout)
