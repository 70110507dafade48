"""The run's taxonomy, loaded once and indexed for category and attribute look-ups.

Entry points: `taxonomy_for(ctx)` (the index, or None when no taxonomy is available) and
`taxonomy_setup(ctx)` (the index plus where it came from, or why there is none). Both are memoised
in `ctx.memo`, so every rule of a run sees the same object.

Where the taxonomy comes from, first match wins:
1. `--taxonomy FILE` (`Options.taxonomy`; a relative path is relative to the working directory);
2. `taxonomy = "FILE"` in `[tool.rb-lint]` (relative to the configuration's directory);
3. the one taxonomy document among the linted files (with several, none is guessed).
A file that is given but cannot be read, parsed or recognised as a taxonomy is a `ConfigError`.

A category is resolved from any of its three spellings: a `str` leaf name, a `[parent..., leaf]`
path, or an `int` classId. Taxonomy V1 (the legacy `categories` tree) is indexed too, for names,
paths and classIds only: it has no label types and its attributes are not read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rb_lint.core.config import ConfigError, resolved
from rb_lint.core.suggest import closest_name
from rb_lint.core.target import Target
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import LineIndex, join_pointer
from rb_lint.io.loading import read_document
from rb_lint.models.kinds import TAXONOMY

if TYPE_CHECKING:
    from rb_lint.core.context import Context

CLASSIFY_KEYS = ("studyClassify", "seriesClassify", "instanceClassify")
V1_ROOT = "object"  # V1 trees hang every category under one root node named "object"

Status = Literal["found", "unknown", "ambiguous", "invalid"]
Origin = Literal["option", "config", "linted"]


def is_legacy_taxonomy(data: Any) -> bool:
    """Taxonomy V1: a `categories` tree and no `objectTypes`."""
    return isinstance(data, dict) and "categories" in data and "objectTypes" not in data


def render_category(value: Any) -> str:
    """A category as it is written in JSON (`Liver`, `3`, `["Abdomen", "Liver"]`) for messages."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, eq=False)
class Option:
    name: str
    option_id: int | None
    archived: bool
    pointer: str


@dataclass(frozen=True, eq=False)
class Attribute:
    name: str
    attr_type: str | None  # BOOL, TEXT, SELECT, MULTISELECT (None when unreadable)
    attr_id: int | None
    options: tuple[Option, ...]
    archived: bool
    pointer: str

    def option_named(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def option_with_id(self, option_id: int) -> Option | None:
        return next((o for o in self.options if o.option_id == option_id), None)

    def option_names(self) -> list[str]:
        return [o.name for o in self.options]


@dataclass(frozen=True, eq=False)
class AttributeList:
    """The attributes of one object type, or one classify list; the first of a repeated name or
    attrId wins (the taxonomy's own lint reports the repeat)."""

    attributes: tuple[Attribute, ...] = ()
    by_name: dict[str, Attribute] = field(default_factory=dict)
    by_id: dict[int, Attribute] = field(default_factory=dict)

    @classmethod
    def of(cls, attributes: Iterable[Attribute]) -> AttributeList:
        items = tuple(attributes)
        by_name: dict[str, Attribute] = {}
        by_id: dict[int, Attribute] = {}
        for attribute in items:
            by_name.setdefault(attribute.name, attribute)
            if attribute.attr_id is not None:
                by_id.setdefault(attribute.attr_id, attribute)
        return cls(items, by_name, by_id)

    def names(self) -> list[str]:
        return list(self.by_name)


@dataclass(frozen=True, eq=False)
class ObjectType:
    category: str
    parents: tuple[str, ...]
    class_id: int | None
    label_type: str | None  # None for V1 categories and unreadable values
    archived: bool
    attributes: AttributeList
    pointer: str  # where it is defined in the taxonomy document

    @property
    def path(self) -> tuple[str, ...]:
        return (*self.parents, self.category)

    def display(self) -> str:
        """The spelling a task should use: the leaf, or the full path when nested."""
        return render_category(list(self.path)) if self.parents else self.category


@dataclass(frozen=True)
class Resolution:
    """What a category value means. ``invalid``: not a category at all (wrong JSON type, which
    the structure rules report). ``suggestion`` is a ready-to-print spelling for ``unknown``."""

    status: Status
    object_type: ObjectType | None = None
    candidates: tuple[ObjectType, ...] = ()
    suggestion: str | None = None


class TaxonomyIndex:
    """Object types by leaf name, by full path and by classId, plus the three classify lists."""

    def __init__(
        self,
        version: Literal[1, 2],
        object_types: Iterable[ObjectType],
        classify: dict[str, AttributeList] | None = None,
        document: Target | None = None,
    ) -> None:
        self.version = version
        self.object_types = tuple(object_types)
        self.classify = classify or {key: AttributeList() for key in CLASSIFY_KEYS}
        self.document = document
        self.by_path: dict[tuple[str, ...], ObjectType] = {}
        self.by_class_id: dict[int, ObjectType] = {}
        self.by_leaf: dict[str, list[ObjectType]] = {}
        for object_type in self.object_types:
            if object_type.path not in self.by_path:  # a repeated path: the first one wins
                self.by_path[object_type.path] = object_type
                self.by_leaf.setdefault(object_type.category, []).append(object_type)
            if object_type.class_id is not None:
                self.by_class_id.setdefault(object_type.class_id, object_type)
        self._resolved: dict[Any, Resolution] = {}

    @classmethod
    def from_data(cls, data: Any, document: Target | None = None) -> TaxonomyIndex:
        """Index a parsed taxonomy, skipping whatever has the wrong shape."""
        if is_legacy_taxonomy(data):
            return cls(1, _v1_object_types(data.get("categories")), document=document)
        data = data if isinstance(data, dict) else {}
        classify = {key: AttributeList.of(_attributes(data.get(key), f"/{key}")) for key in CLASSIFY_KEYS}
        return cls(2, _v2_object_types(data.get("objectTypes")), classify, document)

    @property
    def source(self) -> str:
        return self.document.display_path if self.document is not None else "the taxonomy"

    def resolve(self, category: Any) -> Resolution:
        """Resolve a `str` leaf, a `[parent..., leaf]` path or an `int` classId (cached)."""
        key = _cache_key(category)
        if key is None:
            return Resolution("invalid")
        cached = self._resolved.get(key)
        if cached is None:
            cached = self._resolve(category)
            self._resolved[key] = cached
        return cached

    def _resolve(self, category: Any) -> Resolution:
        if isinstance(category, int):
            found = self.by_class_id.get(category)
            return Resolution("found", found) if found else Resolution("unknown")
        if isinstance(category, str):
            candidates = self.by_leaf.get(category, [])
            if len(candidates) == 1:
                return Resolution("found", candidates[0])
            if candidates:
                return Resolution("ambiguous", candidates=tuple(candidates))
            return Resolution("unknown", suggestion=self._suggest_leaf(category))
        path = tuple(category)
        found = self.by_path.get(path)
        if found is not None:
            return Resolution("found", found)
        return Resolution("unknown", suggestion=self._suggest_path(path))

    def _suggest_leaf(self, name: str) -> str | None:
        match = closest_name(name, list(self.by_leaf))
        if match is None:
            return None
        candidates = self.by_leaf[match]
        return match if len(candidates) == 1 else " or ".join(c.display() for c in candidates)

    def _suggest_path(self, path: tuple[str, ...]) -> str | None:
        if not path:
            return None
        same_leaf = self.by_leaf.get(path[-1], [])
        if len(same_leaf) == 1:
            return same_leaf[0].display()  # the leaf exists: the parents are wrong or missing
        spelled = {" / ".join(p): o for p, o in self.by_path.items()}
        match = closest_name(" / ".join(path), list(spelled))
        return spelled[match].display() if match is not None else None

    def class_id_range(self) -> str:
        ids = sorted(self.by_class_id)
        return f"{ids[0]}–{ids[-1]}" if ids else "none"

    def leaf_names(self) -> list[str]:
        return list(self.by_leaf)


def _cache_key(category: Any) -> Any:
    if isinstance(category, bool):
        return None
    if isinstance(category, int):
        return ("id", category)
    if isinstance(category, str):
        return ("leaf", category)
    if isinstance(category, list) and all(isinstance(part, str) for part in category):
        return ("path", tuple(category))
    return None


def json_int(value: Any) -> int | None:
    """A JSON integer (not a boolean), or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _v2_object_types(raw: Any) -> Iterator[ObjectType]:
    if not isinstance(raw, list):
        return
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("category"), str):
            continue
        pointer = join_pointer("/objectTypes", index)
        label_type = item.get("labelType")
        yield ObjectType(
            category=item["category"],
            parents=_strings(item.get("parents")),
            class_id=json_int(item.get("classId")),
            label_type=label_type if isinstance(label_type, str) else None,
            archived=item.get("archived") is True,
            attributes=AttributeList.of(
                _attributes(item.get("attributes"), join_pointer(pointer, "attributes"))
            ),
            pointer=pointer,
        )


def _attributes(raw: Any, pointer: str) -> Iterator[Attribute]:
    if not isinstance(raw, list):
        return
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        attr_pointer = join_pointer(pointer, index)
        attr_type = item.get("attrType")
        yield Attribute(
            name=item["name"],
            attr_type=attr_type if isinstance(attr_type, str) else None,
            attr_id=json_int(item.get("attrId")),
            options=tuple(_options(item.get("options"), join_pointer(attr_pointer, "options"))),
            archived=item.get("archived") is True,
            pointer=attr_pointer,
        )


def _options(raw: Any, pointer: str) -> Iterator[Option]:
    if not isinstance(raw, list):
        return
    for index, item in enumerate(raw):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            yield Option(
                item["name"],
                json_int(item.get("optionId")),
                item.get("archived") is True,
                join_pointer(pointer, index),
            )


def _v1_object_types(raw: Any) -> Iterator[ObjectType]:
    """V1: nested `{name, classId, children}` nodes; every node is a category, its ancestors
    (below the `object` root) are its path."""
    if not isinstance(raw, list):
        return
    roots: list[tuple[str, Any]] = [(join_pointer("/categories", i), node) for i, node in enumerate(raw)]
    if len(raw) == 1 and isinstance(raw[0], dict) and raw[0].get("name") == V1_ROOT:
        roots = [
            (join_pointer("/categories/0/children", i), node)
            for i, node in enumerate(_list(raw[0].get("children")))
        ]
    stack: list[tuple[str, Any, tuple[str, ...]]] = [(p, n, ()) for p, n in reversed(roots)]
    while stack:
        pointer, node, parents = stack.pop()
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            continue
        yield ObjectType(
            node["name"],
            parents,
            json_int(node.get("classId")),
            None,
            node.get("archived") is True,
            AttributeList(),
            pointer,
        )
        children = _list(node.get("children"))
        path = (*parents, node["name"])
        stack.extend(
            (join_pointer(pointer, "children", i), child, path)
            for i, child in reversed(list(enumerate(children)))
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- Loading, once per run -------------------------------------------------------------------


@dataclass(frozen=True)
class TaxonomySetup:
    """The run's taxonomy, or why there is none (``linted_count`` taxonomies were linted)."""

    index: TaxonomyIndex | None
    origin: Origin | None = None
    linted_count: int = 0


def taxonomy_for(ctx: Context) -> TaxonomyIndex | None:
    return taxonomy_setup(ctx).index


def taxonomy_setup(ctx: Context) -> TaxonomySetup:
    """Load the taxonomy on first use; a bad explicit file raises `ConfigError` (exit 2)."""
    return ctx.memo(_set_up, ctx)


def _set_up(ctx: Context) -> TaxonomySetup:
    linted = [d for d in ctx.documents if d.parsed and d.kind == TAXONOMY]
    explicit: tuple[Path, Origin] | None = None
    if ctx.options.taxonomy is not None:
        explicit = (Path(ctx.options.taxonomy), "option")
    elif ctx.config.taxonomy:
        explicit = (ctx.root / ctx.config.taxonomy, "config")
    if explicit is not None:
        path, origin = explicit
        doc = _linted_copy(path, ctx.documents) or _read(path)
        _require_taxonomy(doc, path)
        return TaxonomySetup(TaxonomyIndex.from_data(doc.data, doc), origin, len(linted))
    if len(linted) == 1:
        return TaxonomySetup(TaxonomyIndex.from_data(linted[0].data, linted[0]), "linted", 1)
    return TaxonomySetup(None, None, len(linted))


def _linted_copy(path: Path, documents: Sequence[Target]) -> Target | None:
    """The taxonomy file is often linted too: use that document rather than read it twice."""
    try:
        wanted = resolved(path)
        return next((d for d in documents if d.parsed and resolved(d.path) == wanted), None)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return None


def _read(path: Path) -> Document:
    doc = read_document(path, str(path), TAXONOMY)
    if not doc.parsed:
        problem = doc.load_problems[-1].hit if doc.load_problems else None
        reason = problem.message if problem else "unreadable"
        if problem is not None and problem.offset and doc.text:
            line, column = LineIndex(doc.text).positions([problem.offset])[problem.offset]
            reason = f"line {line} column {column}: {reason}"
        raise ConfigError(f"cannot read the taxonomy {path}: {reason}")
    return doc


def _require_taxonomy(doc: Target, path: Path) -> None:
    if not isinstance(doc.data, dict) or not ({"objectTypes", "categories"} & doc.data.keys()):
        raise ConfigError(
            f"{path} is not a taxonomy: expected a JSON object with `objectTypes` "
            "(Taxonomy V2) or `categories` (V1)"
        )
