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
They mean what pathspec's translation of them meant, but are matched token by token and character
by character, greedily with backtracking to the last star only (no regex): a pattern such as
`**/a/**/a/**/a/...` or `*a*a*a*...b` costs at most its length times the pointer's, where the regex
took minutes (issue 12, promise 8). `**/**` is `**`; the pointer tokens are matched as written
(`~1` for `/`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

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
        if not path.isascii():  # re2 matches UTF-8: an undecodable byte (a surrogate escape) is U+FFFD
            path = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
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


# A pattern segment `**`: any number of pointer tokens (none included).
_ANY_TOKENS = "**"


@dataclass(frozen=True)
class _Segment:
    """One `/`-separated part of a pointer pattern, matched against one pointer token.

    `atoms`: a literal character, `?` (any one character), a `[...]` class (compiled to a one-
    character regex) or `*` (any run of characters). A segment that is exactly `*` matches a
    non-empty token, as `.gitignore`'s (pathspec's) does."""

    atoms: tuple[str | re.Pattern[str], ...]
    whole_star: bool

    def matches(self, token: str) -> bool:
        if self.whole_star:
            return token != ""
        return _match_sequence(self.atoms, token, _atom_matches)


def _atom_matches(atom: str | re.Pattern[str], char: str) -> bool:
    if isinstance(atom, str):
        return atom == "?" or atom[1:] == char  # a literal is stored as `=c`
    return atom.fullmatch(char) is not None


_STAR = "*"
T = TypeVar("T")
A = TypeVar("A")


def _match_sequence(pattern: Sequence[A], items: Sequence[T], one: Callable[[A, T], bool]) -> bool:
    """Whether `items` match `pattern` as a whole: `*` (`_STAR`) stands for any run of items, every
    other atom for one item it `one`-matches. Greedy, backtracking to the last star only: at most
    len(pattern) * len(items) comparisons, where a regex can take exponential time (`*a*a*a*...b`
    against a long run of `a`s, `**/a/**/a/...` against a deep pointer)."""
    p = i = 0
    star, resume = -1, 0
    while i < len(items):
        if p < len(pattern) and pattern[p] == _STAR:
            star, resume = p, i
            p += 1
        elif p < len(pattern) and one(pattern[p], items[i]):
            p += 1
            i += 1
        elif star >= 0:  # let the last star take one more item, and try again after it
            resume += 1
            p, i = star + 1, resume
        else:
            return False
    return all(atom == _STAR for atom in pattern[p:])


def _segment(text: str, pattern: str) -> _Segment:
    """Parse a segment the way pathspec translates one (`fnmatch` with `FNM_PATHNAME`)."""
    atoms: list[str | re.Pattern[str]] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        i += 1
        if char == "\\":
            if i == end:
                raise GlobError(f"invalid pointer pattern `{pattern}`: a `\\` escapes nothing")
            atoms.append("=" + text[i])
            i += 1
        elif char == "*":
            if not atoms or atoms[-1] != _STAR:  # `**` within a segment is one `*`
                atoms.append(_STAR)
        elif char == "?":
            atoms.append("?")
        elif char == "[":
            j = i + 1 if i < end and text[i] in "!^" else i
            j = j + 1 if j < end and text[j] == "]" else j
            close = text.find("]", j)
            if close < 0:
                raise GlobError(f"invalid pointer pattern `{pattern}`: a `[` without its `]`")
            body = text[i:close]
            negate = body[:1] in ("!", "^")
            expression = (
                "[" + ("^" if negate else "") + (body[1:] if negate else body).replace("\\", "\\\\") + "]"
            )
            try:
                atoms.append(re.compile(expression))
            except re.error:
                raise GlobError(f"invalid pointer pattern `{pattern}`: a bad `[...]` class") from None
            i = close + 1
        else:
            atoms.append("=" + char)
    return _Segment(tuple(atoms), text == "*")


@dataclass(frozen=True)
class PointerGlob:
    """A pattern for JSON pointers, anchored at the document root, matched token by token (no
    regex: a pattern's cost is bounded by its length times the pointer's, whatever it holds)."""

    pattern: str
    segments: tuple[_Segment | str, ...] | None  # None: the empty pattern, the root pointer only

    def matches(self, pointer: str) -> bool:
        if self.segments is None:
            return pointer == ""
        tokens = pointer[1:].split("/") if pointer.startswith("/") else []
        return _match_sequence(self.segments, tokens, _segment_matches)


def _segment_matches(segment: _Segment | str, token: str) -> bool:
    return isinstance(segment, _Segment) and segment.matches(token)


@lru_cache(maxsize=256)
def pointer_glob(pattern: str) -> PointerGlob:
    if pattern == "":
        return PointerGlob(pattern, None)
    if _END in pattern:
        raise GlobError(f"invalid pointer pattern {pattern!r}: it holds a NUL character")
    if pattern == "**":
        translated = "**"  # every pointer, the root included
    elif pattern.endswith("/**"):
        translated = pattern[:-2] + "*/**"  # everything below, not the value itself
    elif pattern.endswith("/"):
        translated = pattern + "**"  # the value and everything below it
    else:
        translated = pattern
    parts = translated.split("/")
    if parts[0] == "" and len(parts) > 1:
        parts = parts[1:]  # anchored at the root, with or without the leading `/`
    segments: list[_Segment | str] = []
    for part in parts:
        if part == _ANY_TOKENS:
            if not segments or segments[-1] != _STAR:  # `**/**` is `**`
                segments.append(_STAR)
        else:
            segments.append(_segment(part, pattern))
    return PointerGlob(pattern, tuple(segments))


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
