"""The Python API the CLI, the pre-commit hooks and CI share: lint paths or in-memory documents."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from rb_lint.core.config import ConfigError, LoadedConfig, load_config, parse_config, project_root, resolved
from rb_lint.core.context import Context, Options
from rb_lint.core.engine import Report, build_filter, run
from rb_lint.core.findings import Hit, LoadProblem
from rb_lint.core.rule import Rule
from rb_lint.formats.maskpaths import entry_mask_refs, segmentation_refs
from rb_lint.io.discovery import collect, display_path
from rb_lint.io.document import Document
from rb_lint.io.loading import document_from_bytes, may_hold_object, pending_document, read_regular_file
from rb_lint.models.kinds import KINDS
from rb_lint.rules import indexed_rules

ConfigArg = LoadedConfig | Path | str | Mapping[str, Any] | None
# Every rule, from the generated index: a family is imported when one of its rules first runs, so
# a run imports only the families its documents' kinds need (start-up, issue 17).
ALL_RULES: list[Rule] = indexed_rules()


def lint(
    paths: Iterable[str | Path] = (".",),
    *,
    config: ConfigArg = None,
    kind: str | None = None,
    select: list[str] | None = None,
    ignore: Iterable[str] = (),
    extend_select: Iterable[str] = (),
    options: Options | None = None,
    removed: Iterable[str | Path] = (),
    display_root: Path | None = None,
) -> Report:
    """Lint files and directories (directories are walked for `*.json`).

    `config` is one of:
    - None: a `rb-lint.toml` or `pyproject.toml` is found upward from the first path; relative
      paths in it (`taxonomy`, globs, `cache-dir`) are relative to that file's folder. Without one,
      the root is the git work tree holding the first path, else the working directory.
    - a path (`str` or `Path`, relative to the working directory) to such a file: the same, for
      that file.
    - a mapping of `[tool.rb-lint]` keys (`{"taxonomy": "taxonomy.json"}`): read as if it were a
      config file at the project root (the git work tree holding the first path, else the working
      directory), so its relative paths are relative to that root.
    - a `LoadedConfig`, used as it is.

    `removed` are files deleted or renamed away (a staged deletion): the documents that reference
    them are linted too. Raises `ConfigError` for usage problems (a missing path, a bad config).

    `display_root`: the folder the findings' paths (and every path shown) are relative to, instead
    of the working directory (a multi-threaded server never changes its working directory).

    `options.confine` (a service's safety): no file whose real path, every symbolic link resolved,
    is outside the root is opened, read or scanned. A JSON file that leads out (a symbolic link) is
    listed with one RB008 finding saying it was not read; a folder that leads out, or a taxonomy
    file outside the root, is a `ConfigError`; masks and images outside are reported by RB302
    and not read (`rb_lint.facts.files`).

    Documents are read one at a time, so memory is bounded by the largest file, not their sum.
    """
    gone = [Path(p) for p in removed]
    targets = [Path(p) for p in paths] or ([] if gone else [Path(".")])  # only the referencing ones
    loaded = _config(config, (targets or gone)[0])
    _check_kind(kind)
    options = options or Options()
    if options.confine:
        _check_taxonomy_inside(loaded, options)
    found = collect(targets, loaded.root, loaded.exclude_patterns, confine=options.confine)
    documents = [pending_document(p, display_path(p, display_root), kind) for p in found.json_files]
    documents += [_not_read(p, display_path(p, display_root), loaded.root) for p in found.outside]
    documents += _documents_referencing(
        found.mask_files + gone, loaded, kind, {resolved(p) for p in found.json_files}, options, display_root
    )
    if gone:  # the masks whose deletion is staged were local: their documents are direct-upload lists
        options = _with_removed(options, gone)
    _read_taxonomies_first(documents, loaded, options)
    return _run(documents, loaded, options, select, ignore, extend_select)


def lint_documents(
    documents: Mapping[str, str | bytes | list[Any] | dict[str, Any]],
    *,
    config: ConfigArg = None,
    kind: str | None = None,
    root: Path | str | None = None,
    select: list[str] | None = None,
    ignore: Iterable[str] = (),
    options: Options | None = None,
) -> Report:
    """Lint in-memory documents: name -> JSON text, bytes, or already-parsed data.

    Names are treated as paths relative to `root` (default: the working directory), so relative
    mask paths inside the documents resolve as they would on disk.

    `config` is one of:
    - None: the defaults (no config file is looked for); the root is `root`.
    - a path (`str` or `Path`, relative to the working directory) to a `rb-lint.toml` or
      `pyproject.toml`: relative paths in it are relative to that file's folder, which is the
      root for globs too (document names stay relative to `root`).
    - a mapping of `[tool.rb-lint]` keys: its relative paths (`taxonomy`, ...) are relative to
      `root`.
    - a `LoadedConfig`, used as it is.

    The texts stay in memory (they cannot be read again from disk); each document's parsed data
    is dropped once its rules ran.
    """
    base = Path(root) if root is not None else Path.cwd()
    if config is None or isinstance(config, Mapping):  # read as a config file in `root`
        loaded = LoadedConfig(parse_config(dict(config or {})), resolved(base))
    else:
        loaded = _config(config, base)
    _check_kind(kind)
    options = options or Options()
    if options.confine:
        _check_taxonomy_inside(loaded, options)
    docs: list[Document] = []
    for name, content in documents.items():
        if isinstance(content, (list, dict)):
            content = json.dumps(content, indent=2)
        raw = content.encode("utf-8") if isinstance(content, str) else content
        docs.append(document_from_bytes(raw, base / name, name, kind))
    _read_taxonomies_first(docs, loaded, options)
    return _run(docs, loaded, options, select, ignore, ())


def _config(config: ConfigArg, start: Path) -> LoadedConfig:
    if isinstance(config, LoadedConfig):
        return config
    if isinstance(config, Mapping):
        return LoadedConfig(parse_config(dict(config)), project_root(start))
    return load_config(Path(config) if config is not None else None, start)


def _read_taxonomies_first(documents: list[Document], loaded: LoadedConfig, options: Options) -> None:
    """Read, before any rule runs, the documents that may be a taxonomy (a JSON object) and the
    taxonomy file given by option or configuration: which taxonomy the run uses depends on every
    linted taxonomy, and document rules ask for it from the first document on. Taxonomies stay
    parsed for the run (`Document.pinned`); any other document is read again in its turn, so
    only small files are held."""
    explicit = options.taxonomy or (loaded.root / loaded.config.taxonomy if loaded.config.taxonomy else None)
    wanted = resolved(Path(explicit)) if explicit is not None else None
    for doc in documents:
        is_explicit = wanted is not None and resolved(doc.path) == wanted
        if doc.stage != "pending" or not (is_explicit or may_hold_object(doc.path)):
            doc.pinned = doc.pinned or (is_explicit and doc.parsed)
            continue
        doc.load()
        if doc.parsed and (doc.pinned or is_explicit):
            doc.pinned = True  # read now: the run's taxonomy may be built from it at any time
        else:
            doc.unload()


def _documents_referencing(
    masks: list[Path],
    loaded: LoadedConfig,
    kind: str | None,
    already: set[Path],
    options: Options,
    display_root: Path | None,
) -> list[Document]:
    """The JSON documents whose segmentation paths name one of `masks`, so that a commit that
    changes only a mask re-checks the items lists using it (the mask pre-commit hook).

    They are searched under the project root, honouring excludes. Only files whose bytes contain a
    mask's file name are parsed; those found are read again, one at a time, when linted.
    """
    if not masks:
        return []
    wanted = {resolved(mask) for mask in masks}
    # A name that is not UTF-8 (a surrogate escape) is searched for as the bytes on disk.
    forms = (form for mask in masks for form in (mask.name, json.dumps(mask.name)[1:-1]))
    names = {form.encode("utf-8", "surrogateescape") for form in forms}
    search = loaded.root
    found = []
    for path in collect([search], loaded.root, loaded.exclude_patterns, confine=options.confine).json_files:
        if resolved(path) in already:
            continue
        try:
            raw = read_regular_file(path)  # a FIFO among the JSON files must not hang the mask hook
        except OSError:
            continue
        if not any(name in raw for name in names):
            continue
        shown = display_path(path, display_root)
        doc = document_from_bytes(raw, path, shown, kind)
        del raw
        refs = chain(segmentation_refs(doc, loaded.root), entry_mask_refs(doc, loaded.root))
        if any(ref.path is not None and resolved(ref.path) in wanted for ref in refs):
            found.append(pending_document(path, shown, kind))
    return found


def _not_read(path: Path, shown: str, root: Path) -> Document:
    """A JSON file of a confined run whose real path is outside the root (a symbolic link leading
    out): listed, with one RB008 finding, and never opened."""
    doc = Document(path, shown, "")
    message = (
        f"not read: its real path (symbolic links followed) is outside the linted root `{root}`, "
        "and this run reads nothing outside it; replace the link by the file"
    )
    doc.load_problems.append(LoadProblem("RB008", Hit(message, offset=0)))
    return doc


def _check_taxonomy_inside(loaded: LoadedConfig, options: Options) -> None:
    """A confined run reads no taxonomy file outside the root (`--taxonomy` or `taxonomy`)."""
    explicit = options.taxonomy or (loaded.root / loaded.config.taxonomy if loaded.config.taxonomy else None)
    if explicit is not None and not resolved(Path(explicit)).is_relative_to(resolved(loaded.root)):
        raise ConfigError(f"the taxonomy `{explicit}` is outside the root: it is not read")


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"unknown kind `{kind}`: use one of {', '.join(KINDS)}")


def _with_removed(options: Options, gone: list[Path]) -> Options:
    """The options, with the removed files as the mask resolution spells local paths."""
    import dataclasses
    import os

    removed = {Path(os.path.normpath(os.path.abspath(path))) for path in gone}
    return dataclasses.replace(options, removed=options.removed | removed)


def _run(
    documents: list[Document],
    loaded: LoadedConfig,
    options: Options,
    select: list[str] | None,
    ignore: Iterable[str],
    extend_select: Iterable[str],
) -> Report:
    from rb_lint.facts import remote  # remote storage: its facts and the run's `Stores`

    ctx = Context(loaded, documents, options)
    rule_filter = build_filter(ctx, ALL_RULES, select, ignore, extend_select)
    remote.storage_map(ctx)  # a storage URL of an unsupported scheme: exit 2 before anything is read
    report = run(documents, ctx, rule_filter)
    unusable = remote.unusable_storage(ctx)
    if unusable is not None:  # every request denied, or no credentials: no finding would mean anything
        raise ConfigError(unusable)
    return report
