"""Linting one editor buffer: which buffers are linted, the configuration that applies to them, and
the two passes (the document's own rules at once; the rules that read other files in the background).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rb_lint.api import lint_documents
from rb_lint.core.config import CONFIG_FILES, Config, ConfigError, LoadedConfig, find_config_file, load_config
from rb_lint.core.context import Options, RunCancelled
from rb_lint.core.findings import Finding
from rb_lint.core.rule import Rule
from rb_lint.io.discovery import is_excluded
from rb_lint.models.kinds import TASK_KEYS, TAXONOMY_KEYS, UNKNOWN
from rb_lint.rules import FAMILIES

# A larger buffer is not linted as it is typed (one log message says so); the CLI still lints it.
MAX_CHARS = 10 * 1024 * 1024
# The families whose rules open files other than the document (masks, images, DICOM, storage):
# they run in the background, after the document's own diagnostics are shown.
BACKGROUND_FAMILIES = ("masks", "export-folder", "dicom", "storage")
# Facts modules that read an image's header from disk: the rules using them run in the background too.
_READING_FACTS = ("rb_lint.facts.grid",)
# Keys that make a buffer that does not parse (yet) worth linting: no other JSON file has them.
_TELLING_KEYS = tuple(sorted((TASK_KEYS - {"name", "items"}) | TAXONOMY_KEYS | {"label_classes"}))
JSON_LANGUAGES = ("json", "jsonc")


@cache
def background_codes() -> tuple[str, ...]:
    """The codes of the rules that read other files than the document (mask scans above all)."""
    codes = {rule.code for family in BACKGROUND_FAMILIES for rule in FAMILIES.get(family, [])}
    codes |= {rule.code for rule in FAMILIES["geometry"] if _reads_images(rule)}
    return tuple(sorted(codes))


def _reads_images(rule: Rule) -> bool:
    module = sys.modules.get(rule.check.__module__)
    values = vars(module).values() if module is not None else ()
    return any(getattr(value, "__module__", None) in _READING_FACTS for value in values)


def is_config_file(path: Path) -> bool:
    return path.name in CONFIG_FILES


def may_lint(path: Path, language: str) -> bool:
    """A buffer rb-lint may lint: a `.json` file (or one the editor calls JSON) on disk."""
    return path.suffix.lower() == ".json" or language in JSON_LANGUAGES


def recognised(text: str, before: bool) -> bool:
    """Whether the buffer is a document rb-lint lints: it parses as one of its kinds, or it does not
    parse (yet) and was one before, or it names keys only those documents have."""
    from rb_lint.io.loading import document_from_bytes

    doc = document_from_bytes(text.encode("utf-8", "surrogatepass"), Path("buffer.json"), "buffer.json")
    if doc.parsed:
        return doc.kind != UNKNOWN
    return before or any(json.dumps(key) in text for key in _TELLING_KEYS)


class Configs:
    """The configuration of each folder holding an open document, read once until a config file changes.

    Without a config file the root is the workspace folder holding the document, so that the
    "ignore" action's new `rb-lint.toml` lands there and relative mask paths resolve from it."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, LoadedConfig | ConfigError] = {}

    def clear(self) -> None:
        self._by_folder.clear()

    def for_file(self, path: Path, workspace_roots: Iterable[Path]) -> LoadedConfig:
        """The config that applies to `path`; raises `ConfigError` when it is broken."""
        folder = path.parent
        if folder not in self._by_folder:
            self._by_folder[folder] = self._load(path, list(workspace_roots))
        found = self._by_folder[folder]
        if isinstance(found, ConfigError):
            raise found
        return found

    @staticmethod
    def _load(path: Path, workspace_roots: list[Path]) -> LoadedConfig | ConfigError:
        try:
            if find_config_file(path) is None:
                holding = [root for root in workspace_roots if path.is_relative_to(root)]
                if holding:
                    return LoadedConfig(Config(), max(holding, key=lambda p: len(p.parts)))
            return load_config(None, path)
        except ConfigError as error:
            return error


def display_name(path: Path, root: Path) -> str:
    """The document's name in the run: its path relative to the root (mask paths resolve from it)."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


def skipped(path: Path, loaded: LoadedConfig) -> bool:
    """Excluded by the configuration (as `rb-lint check` skips it when walking folders)."""
    try:
        return is_excluded(path, loaded.root, loaded.exclude_patterns)
    except ConfigError:
        return False


class _Staleness:
    """A run observer that stops the run once its buffer changed (`stale()` says so)."""

    def __init__(self, stale: Callable[[], bool]) -> None:
        self.stale = stale

    def document_done(self, nbytes: int) -> None:
        self._check()

    def mask_scanned(self, nbytes: int) -> None:
        self._check()

    def _check(self) -> None:
        if self.stale():
            raise RunCancelled()


@dataclass(frozen=True)
class Linted:
    """The findings of one pass over one buffer, with the text they were computed on."""

    text: str
    findings: tuple[Finding, ...]
    complete: bool  # every rule ran (the background pass)
    errors: tuple[str, ...] = ()  # internal errors of the run


def lint_buffer(
    text: str, path: Path, loaded: LoadedConfig, *, background: bool, stale: Callable[[], bool]
) -> Linted | None:
    """Lint the buffer's text as the file `path` (None when the run was cancelled: it changed).

    The first pass leaves out the background rules; the background pass runs every rule, with the
    mask scan cache on. Raises `ConfigError` for a configuration the run refuses."""
    name = display_name(path, loaded.root)
    options = Options(use_cache=True, observer=_Staleness(stale))
    try:
        report = lint_documents(
            {name: text.encode("utf-8", "surrogatepass")},
            config=loaded,
            root=loaded.root,
            ignore=() if background else background_codes(),
            options=options,
        )
    except RunCancelled:
        return None
    mine = tuple(finding for finding in report.findings if finding.path == name)  # not the taxonomy's
    return Linted(text, mine, background, tuple(report.errors))
