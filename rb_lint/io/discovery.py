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
    # A confined run: JSON files whose real path is outside the root (symbolic links leading out).
    # They are not read; the caller reports them (`rb_lint.api`: one RB008 finding each).
    outside: list[Path] = field(default_factory=list)


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


def collect(paths: list[Path], root: Path, exclude: list[str], *, confine: bool = False) -> Targets:
    """The files to lint. `confine`: nothing outside `root` (real paths, every link resolved) is
    listed or read: a folder leading out is a `ConfigError`, a JSON file leading out goes to
    `Targets.outside` (os.walk never descends into a symbolic link to a folder)."""
    targets = Targets()
    seen: set[Path] = set()
    globs = excludes(exclude)
    real_root = resolved(root)

    def add(path: Path, into: list[Path]) -> None:
        key = resolved(path)
        if key not in seen:
            seen.add(key)
            if confine and into is targets.json_files and not key.is_relative_to(real_root):
                into = targets.outside
            into.append(path)

    for path in paths:
        # A symlink that loops or dangles exists (as a link): it is read, and reported as RB008.
        if not os.path.lexists(path):
            raise ConfigError(f"path does not exist: {_printable(path)}")
        # Excludes apply to explicit paths too: pre-commit passes every staged file by name.
        if is_excluded(path, root, globs) and resolved(path) != root:
            continue
        outside = confine and not resolved(path).is_relative_to(real_root)
        if outside and os.path.isdir(path):  # the folder's content is not listed
            raise ConfigError(f"path is outside the root: {_printable(path)}")
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


def display_path(path: Path, base: Path | None = None) -> str:
    """The path as the user will want to read and click it: relative to `base` (default: the
    working directory; a server, which never changes its working directory, passes the folder
    it lints), else as given, normalised. With `base`, a link leading out is shown where the link
    is, and a path outside is absolute (a relative one would be relative to the working directory,
    which a reader of the report does not know)."""
    try:
        return resolved(path).relative_to(resolved(base if base is not None else Path.cwd())).as_posix()
    except ValueError:
        if base is None:
            return os.path.normpath(str(path))
    # A symbolic link leading out of `base` is shown where the link is.
    try:
        return (resolved(path.parent) / path.name).relative_to(resolved(base)).as_posix()
    except ValueError:
        return os.path.abspath(path)


def _printable(path: Path) -> str:
    """A path for a one-line message: undecodable bytes (surrogate escapes) shown as `\\xff`."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
