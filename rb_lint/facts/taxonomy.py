"""What task documents say about the taxonomy: every category and attribute reference, resolved.

One walk per task document (`task_references(doc, ctx)`, memoised) lists, in document order:
- every category reference: where it is written (pointer tokens), the value as written, its
  resolution against the run's taxonomy, the label list it belongs to and so the labelType it
  requires, the holder (segmentMap entry, label or classification) and the task, consensus
  annotator or super truth whose work it is, and for segmentMap entries the instance key and
  whether the series is a semantic mask;
- every attribute reference (Taxonomy V2 only): where it is written, its form (`{name: value}` or
  `[{attrId, name, optionId, value}]`), the attribute list it must belong to (an object type's, or
  `studyClassify` / `seriesClassify` / `instanceClassify`), what is written and the attribute it
  names.
Nothing here judges: the RB40x rules decide what is wrong and say so (`listed` only formats name
lists the way several of their messages do). Locations stay token tuples until a rule reports them,
and the references are plain (not frozen) slotted dataclasses: a large export has hundreds of
thousands of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from rb_lint.core.context import Context
from rb_lint.core.findings import Part
from rb_lint.formats import walk
from rb_lint.formats.taxonomy_index import (
    Attribute,
    AttributeList,
    ObjectType,
    Option,
    Resolution,
    TaxonomyIndex,
    json_int,
    taxonomy_for,
)
from rb_lint.formats.validation import SERIES_FLAGS
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.common import LIST_LABEL_TYPES, MEASUREMENT_LABEL_TYPES
from rb_lint.models.kinds import TASK_KINDS

Loc = tuple[str | int, ...]  # a JSON pointer as tokens from the document root
OwnerKind = Literal["task", "consensus", "super-truth"]
HolderKind = Literal["segment", "label", "classification"]
# Series keys that name categories or attributes: a task document with none needs no taxonomy.
REFERENCE_KEYS = frozenset({*LIST_LABEL_TYPES, "measurements", "classifications", "instanceClassifications"})
LISTED = 8  # names a message lists when there is no close match
_LABEL_LISTS = (*(key for key in LIST_LABEL_TYPES if key != "segmentMap"), "measurements")


def _pointer(loc: Loc) -> str:
    return join_pointer("", *loc)


def _key(task: str | None, loc: Loc) -> str | None:
    """The fingerprint key: the task's name and the pointer inside the task survive reordering."""
    return f"task:{task}:{join_pointer('', *loc[1:])}" if task is not None else None


@dataclass(slots=True)
class CategoryReference:
    task: str | None  # the task's name (None when it has none): findings are keyed by it
    owner: OwnerKind  # whose work: the task itself, a consensus annotator or the super truth
    holder_kind: HolderKind
    holder: Loc  # the segmentMap entry, the label or the classification
    nested: bool  # written as the holder's `category` (not as the segmentMap entry's value)
    list_key: str  # segmentMap, a label list, measurements, classification(s)
    required: str | None  # the labelType that list takes (None: classifications, unknown measurements)
    value: Any
    resolution: Resolution
    instance: str | None  # the segmentMap key
    semantic_mask: bool  # in a series that says `semanticMask: true`

    @property
    def loc(self) -> Loc:
        """The category value itself (built on demand: a large export has many references)."""
        return (*self.holder, "category") if self.nested else self.holder

    def pointer(self) -> str:
        return _pointer(self.loc)

    def key(self) -> str | None:
        return _key(self.task, self.loc)

    def holder_pointer(self) -> str:
        return _pointer(self.holder)

    def holder_key(self) -> str | None:
        return _key(self.task, self.holder)


@dataclass(slots=True)
class AttributeReference:
    task: str | None
    loc: Loc  # `{name: value}`: the member, whose key is the name; list form: the entry
    form: Literal["object", "list"]
    attributes: AttributeList  # the list it must belong to
    owner: ObjectType | str  # an object type, or a classify key (`studyClassify`, ...)
    name: str | None
    attr_id: int | None  # list form only
    attribute: Attribute | None  # what the attrId names, else what the name names
    option_id: Any  # list form's `optionId`; None when absent
    value: Any
    has_value: bool  # the object form always has one; the list form when `value` is not null

    @property
    def identifier(self) -> tuple[Loc, Part]:
        """Tokens (after `loc`) and part of what names the attribute: the key, the attrId or the name."""
        if self.form == "object":
            return (), "key"
        return ("attrId",) if self.attr_id is not None else ("name",), "value"

    @property
    def name_mismatch(self) -> bool:
        """An attrId and a name that name different attributes."""
        return (
            self.attribute is not None
            and self.attr_id is not None
            and self.name is not None
            and self.name != self.attribute.name
        )

    @property
    def resolved(self) -> Attribute | None:
        """The attribute meant, when the reference names exactly one."""
        return None if self.name_mismatch else self.attribute

    def value_tokens(self) -> Loc:
        return () if self.form == "object" else ("value",)

    def pointer(self, *tokens: str | int) -> str:
        return _pointer((*self.loc, *tokens))

    def key(self, *tokens: str | int) -> str | None:
        return _key(self.task, (*self.loc, *tokens))


@dataclass(slots=True)
class OptionChoice:
    """An option an attribute reference chooses, by optionId or by name, and what it resolves to."""

    source: Literal["optionId", "value"]
    tokens: Loc  # after the reference's `loc`
    written: int | str
    option: Option | None


@dataclass(frozen=True)
class TaskReferences:
    categories: list[CategoryReference]
    attributes: list[AttributeReference]


def task_references(doc: Document, ctx: Context) -> TaskReferences:
    """Every category and attribute reference of a task document (none without a taxonomy)."""
    return doc.memo(_task_references, doc, ctx)


def _task_references(doc: Document, ctx: Context) -> TaskReferences:
    index = taxonomy_for(ctx)
    found = TaskReferences([], [])
    if index is not None and isinstance(doc.data, list):
        _Walk(index, found).document(doc.data)
    return found


def option_choices(ref: AttributeReference, attribute: Attribute) -> list[OptionChoice]:
    """The options the reference chooses, where its shape chooses any: the list form's optionId(s)
    (not for BOOL and TEXT, and for SELECT only one), a SELECT value's name, a MULTISELECT value's
    names. Elements of the wrong JSON type choose nothing."""
    kind, raw = attribute.attr_type, ref.option_id
    if kind in ("BOOL", "TEXT"):
        return []
    choices: list[OptionChoice] = []
    if raw is not None and not (kind == "SELECT" and isinstance(raw, list) and len(raw) != 1):
        elements: list[tuple[int | None, Any]] = (
            list(enumerate(raw)) if isinstance(raw, list) else [(None, raw)]
        )
        for position, option_id in elements:
            if json_int(option_id) is not None:
                tokens: Loc = ("optionId",) if position is None else ("optionId", position)
                choices.append(
                    OptionChoice("optionId", tokens, option_id, attribute.option_with_id(option_id))
                )
    if ref.has_value:
        at, value = ref.value_tokens(), ref.value
        if kind == "SELECT" and isinstance(value, str):
            choices.append(OptionChoice("value", at, value, attribute.option_named(value)))
        elif kind == "MULTISELECT" and isinstance(value, list):
            choices.extend(
                OptionChoice("value", (*at, i), item, attribute.option_named(item))
                for i, item in enumerate(value)
                if isinstance(item, str)
            )
    return choices


def listed(names: Iterable[str]) -> str:
    """Names as several messages list them: the first few, and how many more."""
    names = list(names)
    text = ", ".join(f"`{n}`" for n in names[:LISTED])
    return text + (f" (+{len(names) - LISTED} more)" if len(names) > LISTED else "")


def labels_anything(doc: Document) -> bool:
    """Whether a task document names any category or attribute (worth a taxonomy at all)."""
    return doc.memo(_labels_anything, doc)


def _labels_anything(doc: Document) -> bool:
    for task_pointer, task in walk.tasks(doc):
        if "classification" in task:
            return True
        for _owner, group in walk.series_groups(task_pointer, task):
            if any(REFERENCE_KEYS & series.keys() for _pointer, series in group):
                return True
    return False


def first_labelling_document(docs: Iterable[Document]) -> Document | None:
    return next((d for d in docs if d.parsed and d.kind in TASK_KINDS and labels_anything(d)), None)


class _Walk:
    """Collects the references of one task document, in document order."""

    def __init__(self, index: TaxonomyIndex, found: TaskReferences) -> None:
        self.index, self.found = index, found
        self.attributes_known = index.version == 2  # Taxonomy V1 attributes are not read
        self.task: str | None = None
        self.owner: OwnerKind = "task"
        self.semantic_mask = False  # of the series being walked

    def document(self, data: list[Any]) -> None:
        for task_index, task in enumerate(data):
            if not isinstance(task, dict):
                continue
            name = task.get("name")
            self.task = name if isinstance(name, str) else None
            for owner_loc, owner in walk.owners(task):
                self.owner = (
                    "task"
                    if not owner_loc
                    else ("consensus" if owner_loc[0] == "consensusTasks" else "super-truth")
                )
                loc = (task_index, *owner_loc)
                self.semantic_mask = False
                classification = owner.get("classification")
                if isinstance(classification, dict):
                    self.classification(
                        (*loc, "classification"), classification, "classification", "studyClassify"
                    )
                series_list = owner.get("series")
                for index, series in enumerate(series_list if isinstance(series_list, list) else []):
                    if isinstance(series, dict):
                        self.series((*loc, "series", index), series)

    def category(
        self,
        holder: Loc,
        nested: bool,
        holder_kind: HolderKind,
        list_key: str,
        required: str | None,
        value: Any,
        instance: str | None = None,
    ) -> ObjectType | None:
        resolution = self.index.resolve(value)
        self.found.categories.append(
            CategoryReference(
                self.task,
                self.owner,
                holder_kind,
                holder,
                nested,
                list_key,
                required,
                value,
                resolution,
                instance,
                self.semantic_mask,
            )
        )
        return resolution.object_type

    def series(self, loc: Loc, series: walk.Series) -> None:
        self.semantic_mask = series.get("semanticMask") is True
        for instance, value in walk.segment_map(series).items():
            if instance in SERIES_FLAGS:
                continue
            entry: Loc = (*loc, "segmentMap", instance)
            if not isinstance(value, dict):
                self.category(entry, False, "segment", "segmentMap", "SEGMENTATION", value, instance)
            elif "category" in value:
                object_type = self.category(
                    entry,
                    True,
                    "segment",
                    "segmentMap",
                    "SEGMENTATION",
                    value["category"],
                    instance,
                )
                self.label_attributes(value.get("attributes"), (*entry, "attributes"), object_type)
        for key in _LABEL_LISTS:
            labels = series.get(key)
            if labels is not None:
                self.labels(loc, key, labels, LIST_LABEL_TYPES.get(key))
        classifications = series.get("classifications")
        for index, item in enumerate(classifications if isinstance(classifications, list) else []):
            if isinstance(item, dict):
                self.classification(
                    (*loc, "classifications", index), item, "classifications", "seriesClassify"
                )
        items = series.get("instanceClassifications")
        if self.attributes_known and isinstance(items, list):
            for index, item in enumerate(items):
                values = item.get("values") if isinstance(item, dict) else None
                if isinstance(values, dict):
                    self.attributes(
                        values,
                        (*loc, "instanceClassifications", index, "values"),
                        self.index.classify["instanceClassify"],
                        "instanceClassify",
                    )

    def labels(self, loc: Loc, key: str, labels: Any, label_type: str | None) -> None:
        """The labels of one list; measurements (no `label_type`) take theirs by their `type`."""
        for index, label in enumerate(labels if isinstance(labels, list) else []):
            if isinstance(label, dict) and "category" in label:
                holder = (*loc, key, index)
                required = label_type if label_type is not None else _measurement_label_type(label)
                object_type = self.category(holder, True, "label", key, required, label["category"])
                self.label_attributes(label.get("attributes"), (*holder, "attributes"), object_type)

    def classification(self, loc: Loc, item: dict[str, Any], list_key: str, classify_key: str) -> None:
        if "category" in item:
            self.category(loc, True, "classification", list_key, None, item["category"])
        if self.attributes_known and item.get("attributes") is not None:
            self.attributes(
                item["attributes"], (*loc, "attributes"), self.index.classify[classify_key], classify_key
            )

    def label_attributes(self, raw: Any, loc: Loc, object_type: ObjectType | None) -> None:
        if raw is not None and object_type is not None and self.attributes_known:
            self.attributes(raw, loc, object_type.attributes, object_type)

    def attributes(self, raw: Any, loc: Loc, known: AttributeList, owner: ObjectType | str) -> None:
        add = self.found.attributes.append
        if isinstance(raw, dict):  # {name: value}
            for name, value in raw.items():
                add(
                    AttributeReference(
                        self.task,
                        (*loc, name),
                        "object",
                        known,
                        owner,
                        name,
                        None,
                        known.by_name.get(name),
                        None,
                        value,
                        True,
                    )
                )
        elif isinstance(raw, list):  # [{attrId, name, optionId, value}]
            for index, entry in enumerate(raw):
                if not isinstance(entry, dict):
                    continue
                attr_id = json_int(entry.get("attrId"))
                name = entry.get("name") if isinstance(entry.get("name"), str) else None
                if attr_id is not None:
                    attribute = known.by_id.get(attr_id)
                elif name is not None:
                    attribute = known.by_name.get(name)
                else:
                    continue
                value = entry.get("value")
                add(
                    AttributeReference(
                        self.task,
                        (*loc, index),
                        "list",
                        known,
                        owner,
                        name,
                        attr_id,
                        attribute,
                        entry.get("optionId"),
                        value,
                        value is not None,
                    )
                )


def _measurement_label_type(label: dict[str, Any]) -> str | None:
    kind = label.get("type")
    return MEASUREMENT_LABEL_TYPES.get(kind) if isinstance(kind, str) else None
