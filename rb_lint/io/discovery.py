"""Which files a run lints: explicit paths and `*.json` below directories, minus excludes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rb_lint.core.config import ConfigError, path_matches, relative_posix

MASK_SUFFIXES = (".nii", ".nii.gz")


@dataclass
class Targets:
    json_files: list[Path] = field(default_factory=list)
    mask_files: list[Path] = field(default_factory=list)  # masks named explicitly (the mask hook)


def is_mask_path(path: Path) -> bool:
    return path.name.lower().endswith(MASK_SUFFIXES)


def is_excluded(path: Path, root: Path, patterns: list[str]) -> bool:
    rel = relative_posix(path, root)
    return any(path_matches(rel, pattern) for pattern in patterns)


def collect(paths: list[Path], root: Path, exclude: list[str]) -> Targets:
    targets = Targets()
    seen: set[Path] = set()

    def add(path: Path, into: list[Path]) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            into.append(path)

    for path in paths:
        if not path.exists():
            raise ConfigError(f"path does not exist: {path}")
        # Excludes apply to explicit paths too: pre-commit passes every staged file by name.
        if is_excluded(path, root, exclude) and path.resolve() != root:
            continue
        if path.is_dir():
            for found in _walk(path, root, exclude):
                add(found, targets.json_files)
        elif is_mask_path(path):
            add(path, targets.mask_files)
        else:
            add(path, targets.json_files)
    return targets


def _walk(directory: Path, root: Path, exclude: list[str]) -> list[Path]:
    found: list[Path] = []
    for current, dirs, files in os.walk(directory):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not is_excluded(here / d, root, exclude))
        found.extend(
            here / name
            for name in sorted(files)
            if name.lower().endswith(".json") and not is_excluded(here / name, root, exclude)
        )
    return found


def display_path(path: Path) -> str:
    """The path as the user will want to read and click it: relative to the working directory."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return os.path.normpath(str(path))
