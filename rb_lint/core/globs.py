"""`.gitignore`-style globs (pathspec) for `exclude`, `per-file-ignores` and `pointer-ignores`.

`*` and `?` match within one path segment or pointer token, `**` across them, `[ab]` is a class.
File patterns are matched against paths relative to the root, as `.gitignore` patterns are: one
without a `/` (a trailing one aside) matches at any depth, one with a `/` is anchored at the root,
a trailing `/` matches directories only, and a pattern matching a directory matches everything in
it. A file outside the root is matched by its absolute path, which only unanchored patterns match.

Pointer patterns are matched against JSON pointers, token by token, and are always anchored at the
document root (the leading `/` is optional): `/*/priority` matches `/0/priority` and not
`/0/series/0/priority`. A pattern matches the pointer itself, not what is below it, unless it ends
with `/**` (everything below) or `/` (the value and everything below it). `**` alone matches every
pointer, the document root (the empty pointer) included; the empty pattern matches the root only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern


class GlobError(ValueError):
    """A pattern that can match nothing: invalid, empty, a comment, or negated where it stands alone."""


# A last token no pointer has: matching `pointer/END` against `pattern/END` makes a pattern match
# the whole pointer, not (as a `.gitignore` pattern matching a directory would) what is below it.
_END = "\x00"
# A first segment no file has: a path outside the root, `OUTSIDE/abs/path`, is out of the reach of
# anchored patterns, while unanchored ones still match its segments.
_OUTSIDE = "\x00"


def _compile(pattern: str, *, negation: bool) -> GitIgnoreSpecPattern:
    try:
        compiled = GitIgnoreSpec.from_lines([pattern]).patterns
    except ValueError as error:  # pathspec's GitIgnorePatternError, e.g. a trailing backslash
        raise GlobError(f"invalid pattern `{pattern}`: {error}") from None
    if not compiled or compiled[0].include is None:
        raise GlobError(f"invalid pattern `{pattern}`: empty, a `#` comment or a bad `[...]` class")
    if not (negation or compiled[0].include):
        raise GlobError(f"invalid pattern `{pattern}`: a negated (`!`) pattern cannot stand alone")
    return compiled[0]


@dataclass(frozen=True)
class PathGlobs:
    """File patterns, `.gitignore` style: the last one matching a path decides (`!` re-includes)."""

    patterns: tuple[str, ...]
    spec: GitIgnoreSpec

    def matches(self, path: str, *, is_dir: bool = False) -> bool:
        """`path`: posix, relative to the root (absolute outside it); `is_dir` for a directory."""
        if is_dir and not path.endswith("/"):
            path += "/"
        if path.startswith("/"):
            path = _OUTSIDE + path
        return self.spec.match_file(path, separators=())

    def matches_within(self, path: str, *, is_dir: bool = False) -> bool:
        """The path or a directory it is in matches: what a walk from the root would leave out."""
        parts = path.split("/")
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            if parent and self.matches(parent, is_dir=True):
                return True
        return self.matches(path, is_dir=is_dir)


@lru_cache(maxsize=256)
def path_globs(patterns: tuple[str, ...], *, negation: bool = True) -> PathGlobs:
    """Compile file patterns once (`negation=False` for a pattern that stands alone)."""
    return PathGlobs(patterns, GitIgnoreSpec([_compile(p, negation=negation) for p in patterns]))


@dataclass(frozen=True)
class PointerGlob:
    """A pattern for JSON pointers, anchored at the document root."""

    pattern: str
    compiled: GitIgnoreSpecPattern | None  # None: the empty pattern, the root pointer only

    def matches(self, pointer: str) -> bool:
        if self.compiled is None:
            return pointer == ""
        path = pointer[1:] + "/" + _END if pointer.startswith("/") else _END
        return self.compiled.match_file(path) is not None


@lru_cache(maxsize=256)
def pointer_glob(pattern: str) -> PointerGlob:
    if pattern == "":
        return PointerGlob(pattern, None)
    if _END in pattern:
        raise GlobError(f"invalid pointer pattern {pattern!r}: it holds a NUL character")
    if pattern == "**":
        translated = "**/" + _END  # every pointer, the root included
    elif pattern.endswith("/**"):
        translated = pattern[:-2] + "*/**/" + _END  # everything below, not the value itself
    elif pattern.endswith("/"):
        translated = pattern + "**/" + _END  # the value and everything below it
    else:
        translated = pattern + "/" + _END
    if not translated.startswith(("/", "**/")):
        translated = "/" + translated  # anchored at the root, with or without the leading `/`
    try:
        return PointerGlob(pattern, _compile(translated, negation=False))
    except GlobError:
        raise GlobError(f"invalid pointer pattern `{pattern}`: a bad `[...]` class or `\\` escape") from None


@dataclass(frozen=True)
class PointerIgnore:
    """A `pointer-ignores` key: `POINTER-GLOB` for every file, or `FILE-GLOB#POINTER-GLOB`."""

    files: PathGlobs | None
    pointer: PointerGlob

    def matches(self, relative_path: str, pointer: str) -> bool:
        return (self.files is None or self.files.matches(relative_path)) and self.pointer.matches(pointer)


@lru_cache(maxsize=256)
def pointer_ignore(pattern: str) -> PointerIgnore:
    file_pattern, separator, pointer_pattern = pattern.partition("#")
    if not separator:
        return PointerIgnore(None, pointer_glob(pattern))
    if not file_pattern:
        raise GlobError(f"invalid pattern `{pattern}`: no file pattern before `#`")
    return PointerIgnore(path_globs((file_pattern,), negation=False), pointer_glob(pointer_pattern))


def check_patterns(patterns: Sequence[str], *, negation: bool) -> None:
    """Raise `GlobError` for the first pattern that can match nothing."""
    path_globs(tuple(patterns), negation=negation)


def literal(path: str) -> str:
    """A pattern that matches exactly this path (`[`, `*`, `?` and `\\` in a file name are escaped)."""
    return str(GitIgnoreSpecPattern.escape(path))
