"""The Python API the CLI, the pre-commit hooks and CI share: lint paths or in-memory documents."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from rb_lint.core.config import ConfigError, LoadedConfig, load_config, parse_config, resolved
from rb_lint.core.context import Context, Options
from rb_lint.core.engine import Report, build_filter, run
from rb_lint.formats.maskpaths import entry_mask_refs, segmentation_refs
from rb_lint.io.discovery import collect, display_path
from rb_lint.io.document import Document
from rb_lint.io.loading import document_from_bytes, read_document, read_regular_file
from rb_lint.models.kinds import KINDS
from rb_lint.rules import ALL_RULES

ConfigArg = LoadedConfig | Path | str | Mapping[str, Any] | None


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
) -> Report:
    """Lint files and directories (directories are walked for `*.json`).

    `config` is a config file, a mapping of `[tool.rb-lint]` keys, or None to find one upward
    from the first path. `removed` are files deleted or renamed away (a staged deletion): the
    documents that reference them are linted too. Raises `ConfigError` for usage problems (a
    missing path, a bad config).
    """
    gone = [Path(p) for p in removed]
    targets = [Path(p) for p in paths] or ([] if gone else [Path(".")])  # only the referencing ones
    loaded = _config(config, (targets or gone)[0])
    _check_kind(kind)
    found = collect(targets, loaded.root, loaded.exclude_patterns)
    documents = [read_document(p, display_path(p), kind) for p in found.json_files]
    documents += _documents_referencing(
        found.mask_files + gone, loaded, kind, {resolved(p) for p in found.json_files}
    )
    options = options or Options()
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
    """
    base = Path(root) if root is not None else Path.cwd()
    loaded = _config(config, base) if config is not None else LoadedConfig(parse_config({}), base.resolve())
    _check_kind(kind)
    docs: list[Document] = []
    for name, content in documents.items():
        if isinstance(content, (list, dict)):
            content = json.dumps(content, indent=2)
        raw = content.encode("utf-8") if isinstance(content, str) else content
        docs.append(document_from_bytes(raw, base / name, name, kind))
    return _run(docs, loaded, options or Options(), select, ignore, ())


def _config(config: ConfigArg, start: Path) -> LoadedConfig:
    if isinstance(config, LoadedConfig):
        return config
    if isinstance(config, Mapping):
        root = resolved(start)
        return LoadedConfig(parse_config(dict(config)), root if root.is_dir() else root.parent)
    return load_config(Path(config) if config is not None else None, start)


def _documents_referencing(
    masks: list[Path], loaded: LoadedConfig, kind: str | None, already: set[Path]
) -> list[Document]:
    """The JSON documents whose segmentation paths name one of `masks`, so that a commit that
    changes only a mask re-checks the items lists using it (the mask pre-commit hook).

    They are searched under the config root (the working directory when no config file was
    found and the masks are below it), honouring excludes. Only files whose bytes contain a
    mask's file name are parsed.
    """
    if not masks:
        return []
    wanted = {resolved(mask) for mask in masks}
    names = {form.encode("utf-8") for mask in masks for form in (mask.name, json.dumps(mask.name)[1:-1])}
    cwd = Path.cwd().resolve()
    below_cwd = all(mask.is_relative_to(cwd) for mask in wanted)
    search = loaded.root if loaded.source is not None or not below_cwd else cwd
    found = []
    for path in collect([search], loaded.root, loaded.exclude_patterns).json_files:
        if resolved(path) in already:
            continue
        try:
            raw = read_regular_file(path)  # a FIFO among the JSON files must not hang the mask hook
        except OSError:
            continue
        if not any(name in raw for name in names):
            continue
        doc = document_from_bytes(raw, path, display_path(path), kind)
        refs = chain(segmentation_refs(doc, loaded.root), entry_mask_refs(doc, loaded.root))
        if any(ref.path is not None and resolved(ref.path) in wanted for ref in refs):
            found.append(doc)
    return found


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"unknown kind `{kind}`: use one of {', '.join(KINDS)}")


def _run(
    documents: list[Document],
    loaded: LoadedConfig,
    options: Options,
    select: list[str] | None,
    ignore: Iterable[str],
    extend_select: Iterable[str],
) -> Report:
    ctx = Context(loaded, documents, options)
    rule_filter = build_filter(ctx, ALL_RULES, select, ignore, extend_select)
    return run(documents, ctx, rule_filter)
