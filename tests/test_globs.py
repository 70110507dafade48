"""Globs for `exclude`, `per-file-ignores` and `pointer-ignores`: `.gitignore` semantics (pathspec)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import task, write

from rb_lint import ConfigError, lint
from rb_lint.core import engine
from rb_lint.core.config import Selection, parse_config
from rb_lint.core.globs import GlobError, PathGlobs, path_globs, pointer_glob, pointer_ignore
from rb_lint.io.discovery import collect, is_excluded
from rb_lint.rules import ALL_RULES


def matches(pattern: str, path: str, *, is_dir: bool = False) -> bool:
    return path_globs((pattern,)).matches(path, is_dir=is_dir)


# --- file patterns --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["foo.json", "a/foo.json", "a/b/foo.json"])
def test_double_star_slash_matches_at_the_root_too(path: str) -> None:
    assert matches("**/foo.json", path)
    assert not matches("**/foo.json", path.replace("foo", "bar"))


def test_character_classes() -> None:
    assert matches("[ab].json", "a.json") and matches("[ab].json", "x/b.json")
    assert not matches("[ab].json", "c.json") and not matches("[ab].json", "ab.json")
    assert matches("[!ab].json", "c.json") and not matches("[!ab].json", "a.json")
    assert matches("v[0-9].json", "v7.json") and not matches("v[0-9].json", "vx.json")


@pytest.mark.parametrize("path", ["legacy.json", "a/legacy.json", "a/b/legacy.json"])
def test_a_pattern_without_slash_matches_in_any_folder(path: str) -> None:
    assert matches("legacy.json", path) and matches("*.json", path) and matches("leg?cy.json", path)


def test_a_pattern_without_slash_matches_a_folder_and_everything_in_it() -> None:
    assert matches("legacy", "legacy/items.json") and matches("legacy", "a/legacy/b/items.json")
    assert not matches("legacy", "legacy-2/items.json")


def test_star_and_question_mark_stay_within_one_segment() -> None:
    assert matches("data/*.json", "data/x.json") and not matches("data/*.json", "data/sub/x.json")
    assert matches("data/**/*.json", "data/sub/deep/x.json") and matches("data/**/*.json", "data/x.json")
    assert not matches("data/?.json", "data/ab.json")


def test_a_pattern_with_a_slash_is_anchored_at_the_root() -> None:
    assert matches("/data/*.json", "data/x.json")
    assert not matches("/data/*.json", "sub/data/x.json")
    assert matches("data/*.json", "data/x.json")  # a slash in the middle anchors too
    assert not matches("data/*.json", "sub/data/x.json")


def test_directory_patterns_match_directories_and_what_is_in_them() -> None:
    assert matches("archive/", "archive", is_dir=True)
    assert not matches("archive/", "archive")  # a file named `archive`
    assert matches("archive/", "archive/x.json") and matches("archive/", "a/archive/b/x.json")
    assert matches("/archive/", "archive/x.json") and not matches("/archive/", "a/archive/x.json")
    assert matches("archive/**", "archive/b/x.json") and not matches("archive/**", "a/archive/x.json")


def test_a_later_negated_pattern_re_includes() -> None:
    globs = path_globs(("*.json", "!keep.json"))
    assert globs.matches("x.json") and not globs.matches("a/keep.json")


def test_paths_outside_the_root_are_matched_only_by_unanchored_patterns() -> None:
    assert matches("x.json", "/elsewhere/x.json") and matches("elsewhere", "/elsewhere/x.json")
    assert not matches("elsewhere/*.json", "/elsewhere/x.json")


def test_matches_within_looks_at_the_folders_a_path_is_in() -> None:
    globs = path_globs(("/legacy/", "!legacy/keep.json"))
    assert globs.matches_within("legacy/keep.json")  # as git: no re-including from an excluded folder
    assert not globs.matches_within("current/keep.json")


@pytest.mark.parametrize("pattern", ["", "# a comment", "a/[b", "trailing\\"])
def test_patterns_that_can_match_nothing_are_errors(pattern: str) -> None:
    with pytest.raises(GlobError, match="invalid pattern"):
        path_globs((pattern,))


def test_a_negated_pattern_cannot_stand_alone() -> None:
    with pytest.raises(GlobError, match="cannot stand alone"):
        path_globs(("!legacy",), negation=False)


# --- pointer patterns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, pointer, expected",
    [
        ("/*/priority", "/0/priority", True),
        ("/*/priority", "/0/series/0/priority", False),
        ("/*/priority", "/0/priority/note", False),  # the pointer itself, not what is below it
        ("/*", "/1", True),
        ("/*", "/1/name", False),
        ("/*/na*", "/1/name", True),
        ("/?/name", "/12/name", False),
        ("/[01]/name", "/1/name", True),
        ("/[01]/name", "/2/name", False),
        ("/**/segmentMap/*", "/0/series/3/segmentMap/1", True),
        ("/**/segmentMap/*", "/segmentMap/1", True),
        ("/**/segmentMap/*", "/0/series/3/segmentMap/1/mask", False),
        ("/*/series/*/metaData/*", "/0/series/2/metaData/site", True),
        ("/*/series/*/metaData/*", "/0/series/2/metaData", False),
        ("**/name", "/3/series/0/name", True),
        ("/0/**", "/0/series/1", True),
        ("/0/**", "/0", False),
        ("/0/", "/0", True),  # the value and everything below it
        ("/0/", "/0/series/1", True),
        ("/0/", "/01", False),
        ("/**", "/0", True),
        ("/**", "", False),
        ("**", "", True),
        ("", "", True),
        ("", "/0", False),
        ("0/name", "/0/name", True),  # anchored at the document root with or without the leading `/`
        ("0/name", "/3/0/name", False),
        ("/a~1b/*", "/a~1b/c", True),
    ],
)
def test_pointer_patterns(pattern: str, pointer: str, expected: bool) -> None:
    assert pointer_glob(pattern).matches(pointer) is expected


def test_file_and_pointer_pattern() -> None:
    ignore = pointer_ignore("legacy/*.json#/*/name")
    assert ignore.matches("legacy/a.json", "/1/name")
    assert not ignore.matches("legacy/a.json", "/1/series/0/name")
    assert not ignore.matches("current/a.json", "/1/name")
    assert not ignore.matches("x/legacy/a.json", "/1/name")
    anywhere = pointer_ignore("items.json#/1/name")
    assert anywhere.matches("items.json", "/1/name") and anywhere.matches("sub/items.json", "/1/name")
    assert pointer_ignore("/*/name").matches("any/file.json", "/0/name")


def _pathspec_pointer_match(pattern: str, pointer: str) -> bool:
    """The pointer matcher rb-lint had before (a pathspec regex: exponential on some patterns)."""
    from pathspec import GitIgnoreSpec

    if pattern == "":
        return pointer == ""
    end = "\x00"
    if pattern == "**":
        translated = "**/" + end
    elif pattern.endswith("/**"):
        translated = pattern[:-2] + "*/**/" + end
    elif pattern.endswith("/"):
        translated = pattern + "**/" + end
    else:
        translated = pattern + "/" + end
    if not translated.startswith(("/", "**/")):
        translated = "/" + translated
    compiled = GitIgnoreSpec.from_lines([translated]).patterns[0]
    path = pointer[1:] + "/" + end if pointer.startswith("/") else end
    return compiled.match_file(path) is not None


_SEGMENTS = ["a", "b", "0", "*", "**", "?", "a*", "*b", "*a*", "[ab]", "[!a]", "[^0]", "a?", "\\*", "ab", ""]
_TOKENS = ["a", "b", "0", "ab", "ba", "aab", "*", "a~1b", "10"]


def test_pointer_patterns_mean_what_the_pathspec_regexes_meant() -> None:
    """Same answers as the regex translation for normal patterns and pointers (no empty token)."""
    rng = random.Random(12)
    for _ in range(3000):
        segments = [rng.choice(_SEGMENTS) for _ in range(rng.randrange(1, 5))]
        pattern = rng.choice(["", "/"]) + "/".join(segments) + rng.choice(["", "", "/", "/**"])
        pointer = "".join("/" + rng.choice(_TOKENS) for _ in range(rng.randrange(0, 6)))
        if pattern in ("", "/") or "//" in pattern.strip("/") or pattern.startswith("//"):
            continue
        expected = _pathspec_pointer_match(pattern, pointer)
        assert pointer_glob(pattern).matches(pointer) is expected, (pattern, pointer)


PATHOLOGICAL = [
    "/".join(["**"] * 12) + "/x",  # 37 characters
    "*a" * 18 + "b",
    "**/a/**/a/**/a/**/a/**/a/**/a/**/b",
    "/*/" + "*a" * 16 + "*/**",
    "/".join(["**", "*a*a*a*a*"] * 3) + "/c",
]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_pointer_patterns_match_in_bounded_time(pattern: str) -> None:
    """Promise 8: a 37-character `pointer-ignores` glob took over two minutes on one pointer; the
    match is now at most (pattern length x pointer length) comparisons. Run in a subprocess with a
    timeout, so a regression fails this test instead of hanging the suite."""
    pointers = [
        "/" + "a" * 400,
        "/" + "/".join(["a"] * 300),
        "/" + "/".join(["a"] * 300) + "/c",
        "/0/" + "a" * 300 + "c/x",
        "/" + "/".join(["aaaa"] * 100) + "/b",
    ]
    assert len(_match_in_subprocess("pointer_glob(sys.argv[1])", pattern, pointers)) == len(pointers)


def test_pathological_pointer_ignores_in_a_real_run(tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(200):
        deep = {"a": deep}
    write(tmp_path / "items.json", [{**task("p-1"), "metaData": deep}, task("p-1")])
    config = tmp_path / "rb-lint.toml"
    config.write_text("[pointer-ignores]\n" + "".join(f'{json.dumps(p)} = ["RB201"]\n' for p in PATHOLOGICAL))
    result = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "--select", "RB201", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "RB201" in result.stdout, result.stderr


@pytest.mark.parametrize("pattern", ["#/0/name", "/[0/name", "items.json#/0\\"])
def test_bad_pointer_patterns_are_errors(pattern: str) -> None:
    with pytest.raises(GlobError):
        pointer_ignore(pattern)


# --- configuration, discovery and the engine ------------------------------------------------


@pytest.mark.parametrize(
    "table, message",
    [
        ({"exclude": ["a/[b"]}, "`exclude`: invalid pattern `a/[b`"),
        ({"extend-exclude": ["#x"]}, "`extend-exclude`: invalid pattern `#x`"),
        ({"per-file-ignores": {"!legacy": ["RB201"]}}, "`per-file-ignores`: invalid pattern `!legacy`"),
        ({"pointer-ignores": {"/[0/name": ["RB201"]}}, "`pointer-ignores`: invalid pointer pattern"),
    ],
)
def test_config_rejects_bad_globs(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="^rb-lint.toml: " + message.replace("[", r"\[")):
        parse_config(table, "rb-lint.toml")


def test_excludes_apply_to_explicit_paths(tmp_path: Path) -> None:
    for name in ["foo.json", "a/foo.json", "b.json", "archive/x.json", "data/d.json", "keep.json"]:
        write(tmp_path / name, [])
    explicit = [tmp_path / n for n in ["foo.json", "a/foo.json", "b.json", "archive/x.json", "keep.json"]]
    exclude = ["**/foo.json", "[ab].json", "archive/", "/data/"]
    found = collect([*explicit, tmp_path / "archive", tmp_path / "data"], tmp_path, exclude)
    assert found.json_files == [tmp_path / "keep.json"]
    assert is_excluded(tmp_path / "archive", tmp_path, exclude)
    assert is_excluded(tmp_path / "data" / "d.json", tmp_path, exclude)  # in an excluded folder
    walked = collect([tmp_path], tmp_path, exclude).json_files
    assert [p.relative_to(tmp_path).as_posix() for p in walked] == ["keep.json"]


def test_rule_filter_compiles_each_pattern_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[tuple[str, ...]] = []

    def counting(patterns: tuple[str, ...], *, negation: bool = True) -> PathGlobs:
        compiled.append(patterns)
        return path_globs(patterns, negation=negation)

    monkeypatch.setattr(engine, "path_globs", counting)
    rule_filter = engine.RuleFilter(
        ALL_RULES, Selection(), {"legacy/*.json": ["RB201"]}, {"/*/priority": ["RB1"]}, {}
    )
    for _ in range(100):
        assert not rule_filter.keeps("RB201", "legacy/a.json", "/0/name")
        assert not rule_filter.keeps("RB103", "items.json", "/0/priority")
        assert rule_filter.keeps("RB103", "items.json", "/0/series/0/priority")
        assert rule_filter.keeps("RB201", "items.json", "/0/name")
    assert compiled == [("legacy/*.json",)]


def _duplicates(stem: str) -> list[dict[str, Any]]:
    return [task(f"{stem}-1"), task(f"{stem}-1")]


@pytest.fixture
def patterned_repo(tmp_path: Path) -> Path:
    files = [
        "items.json",  # reported
        "skip.json",  # extend-exclude `**/skip.json`, at the root
        "deep/er/skip.json",  # and below it
        "a.json",  # extend-exclude `[ab].json`
        "sub/b.json",
        "archive/old.json",  # extend-exclude `archive/`
        "data/d.json",  # per-file-ignores `/data/*.json`
        "nested/data/d.json",  # reported: `/data/*.json` is anchored
        "legacy/l.json",  # pointer-ignores `legacy/*.json#/*/name`
    ]
    for number, name in enumerate(files):
        write(tmp_path / name, _duplicates(f"p{number}"))
    write(
        tmp_path / "rb-lint.toml",
        'select = ["RB2"]\n'
        'extend-exclude = ["**/skip.json", "[ab].json", "archive/"]\n'
        '[per-file-ignores]\n"/data/*.json" = ["RB201"]\n'
        '[pointer-ignores]\n"legacy/*.json#/*/name" = ["RB201"]\n',
    )
    return tmp_path


def test_globs_through_the_api(patterned_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(patterned_repo)
    report = lint(["."])
    assert sorted(report.files) == ["data/d.json", "items.json", "legacy/l.json", "nested/data/d.json"]
    assert sorted((f.path, f.code, f.pointer) for f in report.findings) == [
        ("items.json", "RB201", "/1/name"),
        ("nested/data/d.json", "RB201", "/1/name"),
    ]
    # excludes apply to explicit paths too
    assert lint(["skip.json", "sub/b.json", "archive/old.json", "archive"]).files == []


def test_globs_through_the_cli(patterned_repo: Path) -> None:
    environment = {**os.environ, "NO_COLOR": "1"}
    environment.pop("GITHUB_ACTIONS", None)
    result = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "--format", "json"],
        cwd=patterned_repo,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 4
    assert sorted((f["path"], f["pointer"]) for f in report["findings"]) == [
        ("items.json", "/1/name"),
        ("nested/data/d.json", "/1/name"),
    ]
    write(patterned_repo / "rb-lint.toml", 'extend-exclude = ["data/[x"]\n')
    broken = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check"],
        cwd=patterned_repo,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert broken.returncode == 2
    assert "`extend-exclude`: invalid pattern `data/[x`" in broken.stderr and "Traceback" not in broken.stderr


@pytest.mark.parametrize("pattern", ["*a" * 17 + "*b", "**/a/**/a/**/a/**/a/**/a/**/a/**/b"])
def test_pathological_file_patterns_match_in_bounded_time(pattern: str) -> None:
    """Promise 8 for `exclude` and `per-file-ignores`: pathspec's Python-regex translation of
    `*a*a*…*b` backtracks exponentially; with re2 (pathspec[re2]) matching is linear."""
    paths = ["a" * 30 + ".json", "/".join(["a"] * 200) + "/c.json", "a" * 300]
    assert len(_match_in_subprocess("path_globs((sys.argv[1],))", pattern, paths)) == len(paths)


def test_undecodable_file_names_match_file_patterns() -> None:
    """A name with bytes that are not UTF-8 (a surrogate escape) is matched, never a crash."""
    globs = path_globs(("*.json", "!keep/**"))
    assert globs.matches("a\udcff.json")
    assert globs.matches("x/\udcffb/c.json")
    assert not globs.matches("keep/\udcff.json")


def _match_in_subprocess(compile_expression: str, pattern: str, subjects: list[str]) -> list[bool]:
    """Compile `pattern` with the rb_lint.core.globs expression and match every subject, in a
    subprocess with a timeout, so a backtracking regression fails instead of hanging the suite."""
    script = (
        "import json, sys\n"
        "from rb_lint.core.globs import path_globs, pointer_glob\n"
        f"compiled = {compile_expression}\n"
        "print(json.dumps([compiled.matches(s) for s in json.loads(sys.argv[2])]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, pattern, json.dumps(subjects)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    matched: list[bool] = json.loads(result.stdout)
    return matched
