"""Which files a run lints: explicit paths and `*.json` below directories, minus excludes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rb_lint.core.config import ConfigError, relative_posix, resolved
from rb_lint.core.globs import GlobError, PathGlobs, path_globs

MASK_SUFFIXES = (".nii", ".nii.gz")


@dataclass
class Targets:
    json_files: list[Path] = field(default_factory=list)
    mask_files: list[Path] = field(default_factory=list)  # masks named explicitly (the mask hook)


def is_mask_path(path: Path) -> bool:
    return path.name.lower().endswith(MASK_SUFFIXES)


def excludes(patterns: list[str]) -> PathGlobs:
    """The `exclude` and `extend-exclude` patterns, compiled once (`.gitignore` style)."""
    try:
        return path_globs(tuple(patterns))
    except GlobError as error:
        raise ConfigError(f"exclude: {error}") from None


def is_excluded(path: Path, root: Path, patterns: list[str] | PathGlobs) -> bool:
    """A path named explicitly is excluded when it, or a directory it is in, matches."""
    globs = patterns if isinstance(patterns, PathGlobs) else excludes(patterns)
    return globs.matches_within(relative_posix(path, root), is_dir=path.is_dir())


def collect(paths: list[Path], root: Path, exclude: list[str]) -> Targets:
    targets = Targets()
    seen: set[Path] = set()
    globs = excludes(exclude)

    def add(path: Path, into: list[Path]) -> None:
        key = resolved(path)
        if key not in seen:
            seen.add(key)
            into.append(path)

    for path in paths:
        # A symlink that loops or dangles exists (as a link): it is read, and reported as RB008.
        if not os.path.lexists(path):
            raise ConfigError(f"path does not exist: {_printable(path)}")
        # Excludes apply to explicit paths too: pre-commit passes every staged file by name.
        if is_excluded(path, root, globs) and resolved(path) != root:
            continue
        if path.is_dir():
            for found in _walk(path, root, globs):
                add(found, targets.json_files)
        elif is_mask_path(path):
            add(path, targets.mask_files)
        else:
            add(path, targets.json_files)
    return targets


def _walk(directory: Path, root: Path, globs: PathGlobs) -> list[Path]:
    found: list[Path] = []
    for current, dirs, files in os.walk(directory):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not globs.matches(relative_posix(here / d, root), is_dir=True))
        found.extend(
            here / name
            for name in sorted(files)
            if name.lower().endswith(".json") and not globs.matches(relative_posix(here / name, root))
        )
    return found


def display_path(path: Path) -> str:
    """The path as the user will want to read and click it: relative to the working directory."""
    try:
        return resolved(path).relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return os.path.normpath(str(path))


def _printable(path: Path) -> str:
    """A path for a one-line message: undecodable bytes (surrogate escapes) shown as `\\xff`."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
