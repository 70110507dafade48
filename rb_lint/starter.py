"""`rb-lint init`: survey a data repository and write a starter `rb-lint.toml`.

The survey walks the folder (skipping the default excludes) and sorts what it finds by content, as
a run would: taxonomies, data (items lists, tasks.json exports, DataGym exports, NIfTI masks) and
JSON that is no RedBrick format (editor settings, package.json, ...), which becomes proposed
`extend-exclude` entries, a whole folder when nothing else is in it.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rb_lint import __version__
from rb_lint.core.config import DEFAULT_EXCLUDE, parse_config
from rb_lint.core.globs import literal
from rb_lint.io.discovery import excludes, is_mask_path
from rb_lint.io.loading import read_document
from rb_lint.models.kinds import DATAGYM, ITEMS_LIST, TASKS_EXPORT, TAXONOMY, UNKNOWN

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_NAME = "rb-lint.toml"
REPOSITORY = "https://github.com/rb-lint/rb-lint"  # pyproject.toml [project.urls] Homepage
REV = f"v{__version__}"  # a release tag
SHOWN_FOLDERS = 10
DATA_NAMES = {ITEMS_LIST: "items list", TASKS_EXPORT: "tasks.json export", DATAGYM: "DataGym export"}
MASK = "mask"


@dataclass
class Survey:
    taxonomies: list[str] = field(default_factory=list)  # posix paths relative to the root
    data: dict[str, Counter[str]] = field(default_factory=dict)  # folder -> what it holds, counted
    excludes: list[str] = field(default_factory=list)  # proposed `extend-exclude` patterns


def survey(root: Path) -> Survey:
    """What lies under `root`, as `rb-lint check` would see it."""
    globs = excludes(list(DEFAULT_EXCLUDE))
    found = Survey()
    foreign: list[PurePosixPath] = []  # JSON of no RedBrick format
    kept: set[PurePosixPath] = set()  # folders holding anything else: never excluded whole
    for current, dirs, files in os.walk(root):
        here = PurePosixPath(Path(current).relative_to(root).as_posix())
        dirs[:] = sorted(d for d in dirs if not globs.matches(str(here / d), is_dir=True))
        for name in sorted(files):
            relative = here / name
            kind = _kind(Path(current) / name, relative) if name.lower().endswith(".json") else None
            if kind is None and not is_mask_path(Path(name)):
                continue
            if kind == UNKNOWN:
                foreign.append(relative)
                continue
            kept.update(relative.parents)
            if kind == TAXONOMY:
                found.taxonomies.append(str(relative))
            elif kind in DATA_NAMES or kind is None:
                found.data.setdefault(_folder(here), Counter())[DATA_NAMES.get(kind or "", MASK)] += 1
    found.excludes = sorted({_exclusion(path, kept) for path in foreign})
    return found


def _kind(path: Path, relative: PurePosixPath) -> str | None:
    """The document's kind; None when it cannot be read or parsed (it may be broken data)."""
    doc = read_document(path, str(relative))
    return doc.kind if doc.parsed and not doc.load_problems else None


def _folder(here: PurePosixPath) -> str:
    return "./" if str(here) == "." else f"{here}/"


def _exclusion(path: PurePosixPath, kept: set[PurePosixPath]) -> str:
    """The topmost folder of `path` that holds nothing rb-lint lints, else the file itself."""
    for parent in reversed(path.parents[:-1]):  # from the top, the root itself left out
        if parent not in kept:
            return f"/{literal(str(parent))}/"
    return f"/{literal(str(path))}"


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def starter_config(found: Survey) -> str:
    """The text of a starter `rb-lint.toml` (checked to load before it is returned)."""
    lines = ["# rb-lint configuration, written by `rb-lint init` (keys: the README's Configuration)."]
    if found.data:
        lines.append("# Data found (`rb-lint check` lints every JSON file below this folder):")
        for folder, counts in sorted(found.data.items())[:SHOWN_FOLDERS]:
            held = ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for what, n in sorted(counts.items()))
            lines.append(f"#   {folder}: {held}")
        if len(found.data) > SHOWN_FOLDERS:
            lines.append(f"#   ... and {len(found.data) - SHOWN_FOLDERS} more folders")
    lines.append("")
    if len(found.taxonomies) == 1:
        lines.append(f"taxonomy = {_string(found.taxonomies[0])}")
    elif found.taxonomies:
        lines.append("# Several taxonomies found: uncomment the project's one.")
        lines += [f"# taxonomy = {_string(path)}" for path in found.taxonomies]
    else:
        lines.append("# No taxonomy found: save the project's taxonomy JSON here and name it.")
        lines.append('# taxonomy = "taxonomy.json"')
    if found.excludes:
        lines += ["", "# JSON that is no RedBrick format (each file would be an RB007 warning):"]
        lines += ["extend-exclude = [", *(f"    {_string(p)}," for p in found.excludes), "]"]
    text = "\n".join(lines) + "\n"
    parse_config(tomllib.loads(text), CONFIG_NAME)  # what is written must load
    return text


def precommit_snippet() -> str:
    """The `.pre-commit-config.yaml` the README shows (tests compare the two)."""
    return (
        "repos:\n"
        f"  - repo: {REPOSITORY}\n"
        f"    rev: {REV}\n"
        "    hooks:\n"
        "      - id: rb-lint        # staged *.json: items lists, tasks.json, taxonomies, DataGym\n"
        "      - id: rb-lint-masks  # staged masks, and staged deletions of files items lists name\n"
    )
