"""RB4xx: categories, label types, attributes and semantic ids against the project's taxonomy, and
the taxonomy's own consistency.

The taxonomy comes from `--taxonomy FILE`, the `taxonomy` configuration key, or the one taxonomy
among the linted files (see `rb_lint.formats.taxonomy_index`). Task checks (RB402-RB409) walk every task
document once and share the result; the taxonomy checks (RB420-RB426) run on Taxonomy V2 files.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Part, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.formats import walk
from rb_lint.formats.taxonomy_index import (
    CLASSIFY_KEYS,
    Attribute,
    AttributeList,
    ObjectType,
    Resolution,
    TaxonomyIndex,
    is_legacy_taxonomy,
    render_category,
    taxonomy_setup,
)
from rb_lint.formats.validation import SERIES_FLAGS
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS, TAXONOMY

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

UNKNOWN_CATEGORY, AMBIGUOUS_CATEGORY, ARCHIVED_CATEGORY = "RB402", "RB403", "RB404"
LABEL_TYPE_MISMATCH, UNKNOWN_ATTRIBUTE, INVALID_ATTRIBUTE_VALUE = "RB405", "RB406", "RB407"
ARCHIVED_ATTRIBUTE, SEMANTIC_INSTANCE_ID = "RB408", "RB409"
ENABLE_HINT = "pass `--taxonomy FILE` or set `taxonomy = \"FILE\"` in `[tool.rb-lint]`"

# Which labelType each series key holds (measurements: by their `type`).
LABEL_LISTS = {"boundingBoxes": "BBOX", "polygons": "POLYGON", "polylines": "POLYLINE",
               "landmarks": "POINT", "landmarks3d": "POINT", "ellipses": "ELLIPSE",
               "cuboids": "CUBOID"}
MEASUREMENT_TYPES = {"length": "LENGTH", "angle": "ANGLE"}
LABEL_HOMES = {"SEGMENTATION": "`segmentMap`", "BBOX": "`boundingBoxes`", "POLYGON": "`polygons`",
               "POLYLINE": "`polylines`", "POINT": "`landmarks`/`landmarks3d`",
               "ELLIPSE": "`ellipses`", "CUBOID": "`cuboids`",
               "LENGTH": "`measurements` (type length)", "ANGLE": "`measurements` (type angle)"}
REFERENCE_KEYS = frozenset({"segmentMap", "measurements", "classifications",
                            "instanceClassifications", *LABEL_LISTS})
_INSTANCE_ID = re.compile(r"^[1-9][0-9]*$")
_LISTED = 8  # names shown when there is no close match


# --- Task documents against the taxonomy -----------------------------------------------------

Loc = tuple[str | int, ...]  # a JSON pointer as tokens: joined only for what is reported
Owner = ObjectType | str  # whose attributes: an object type, or a classify list's description


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    text = ", ".join(f"`{n}`" for n in listed[:_LISTED])
    return text + (f" (+{len(listed) - _LISTED} more)" if len(listed) > _LISTED else "")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _owner_text(owner: Owner) -> str:
    return f"object type `{owner.display()}`" if isinstance(owner, ObjectType) else owner


class _TaskChecker:
    """One walk over a task document collects the hits of every task rule, by code.

    Locations are token tuples; pointers, messages and names are built only for what is
    reported, which keeps a clean 100 000-task export cheap."""

    def __init__(self, index: TaxonomyIndex) -> None:
        self.index = index
        self.hits: dict[str, list[Hit]] = defaultdict(list)
        self._prefix = ""  # fingerprint key of the current task: survives reordering tasks

    def add(self, code: str, message: str, loc: Loc, at: Part = "value") -> None:
        key = f"{self._prefix}{join_pointer('', *loc[1:])}" if self._prefix else None
        self.hits[code].append(Hit(message, join_pointer("", *loc), at=at, key=key))

    def run(self, doc: Document) -> dict[str, list[Hit]]:
        if not isinstance(doc.data, list):
            return self.hits
        for task_index, task in enumerate(doc.data):
            if not isinstance(task, dict):
                continue
            name = task.get("name")
            self._prefix = f"task:{name}:" if isinstance(name, str) else ""
            for owner_loc, owner in walk.owners(task):
                loc = (task_index, *owner_loc)
                classification = owner.get("classification")
                if isinstance(classification, dict):
                    self.classification((*loc, "classification"), classification,
                                        "studyClassify")
                series_list = owner.get("series")
                for index, series in enumerate(series_list if isinstance(series_list, list)
                                               else []):
                    if isinstance(series, dict):
                        self.series((*loc, "series", index), series)
        return self.hits

    # Categories

    def category(self, value: Any, loc: Loc, expected: str | None,
                 where: str) -> ObjectType | None:
        """Resolve a category and report it; the object type when it resolves."""
        found = self.index.resolve(value)
        if found.status == "unknown":
            self.add(UNKNOWN_CATEGORY, self._unknown(value, found), loc)
        elif found.status == "ambiguous":
            paths = " and ".join(f"`{c.display()}`" for c in found.candidates)
            self.add(AMBIGUOUS_CATEGORY,
                     f"category `{value}` exists under several parents ({paths}): write its "
                     f"full path, e.g. `{found.candidates[0].display()}`", loc)
        if found.object_type is None:
            return None
        object_type = found.object_type
        if object_type.archived:
            self.add(ARCHIVED_CATEGORY,
                     f"category `{object_type.display()}` is archived in the taxonomy: archived "
                     "categories are no longer offered to annotators; map this label to an "
                     "active category or restore the category", loc)
        actual = object_type.label_type
        if expected is not None and actual in LABEL_HOMES and actual != expected:
            self.add(LABEL_TYPE_MISMATCH,
                     f"`{object_type.display()}` is a {actual} object type, but {where} needs "
                     f"{expected}: use a {expected} category here, or move this label to "
                     f"{LABEL_HOMES[actual]}", loc)
        return object_type

    def _unknown(self, value: Any, found: Resolution) -> str:
        source = self.index.source
        if isinstance(value, int):
            return (f"classId {value} is not in the taxonomy ({source}; its classIds are "
                    f"{self.index.class_id_range()}): an integer category is a classId")
        if isinstance(value, list) and not value:
            return "an empty category path names no category: write a name or a full path"
        kind = "category path" if isinstance(value, list) else "category"
        message = f"{kind} `{render_category(value)}` is not in the taxonomy ({source})"
        if found.suggestion:
            return f"{message}: did you mean `{found.suggestion}`?"
        names = self.index.leaf_names()
        return f"{message}; its categories include {_names(names)}" if names else message

    def semantic_id(self, instance: str, loc: Loc, category: Any,
                    object_type: ObjectType) -> None:
        if object_type.class_id is None or not _INSTANCE_ID.match(instance):
            return
        expected = object_type.class_id + 1
        if int(instance) == expected:
            return
        note = (" (an integer category is the classId itself, the key is one more)"
                if isinstance(category, int) else "")
        self.add(SEMANTIC_INSTANCE_ID,
                 f"semantic mask: key `{instance}` maps to `{object_type.display()}` (classId "
                 f"{object_type.class_id}), but semantic masks store classId + 1: expected key "
                 f"`{expected}`{note}", loc, at="key")

    # Series and labels

    def series(self, loc: Loc, series: walk.Series) -> None:
        semantic = series.get("semanticMask") is True and self.index.version == 2
        for instance, value in walk.segment_map(series).items():
            if instance in SERIES_FLAGS:
                continue
            entry: Loc = (*loc, "segmentMap", instance)
            if isinstance(value, dict):
                if "category" not in value:
                    continue
                category = value["category"]
                object_type = self.category(category, (*entry, "category"), "SEGMENTATION",
                                            "`segmentMap`")
                self.label_attributes(value.get("attributes"), (*entry, "attributes"),
                                      object_type)
            else:
                category = value
                object_type = self.category(value, entry, "SEGMENTATION", "`segmentMap`")
            if semantic and object_type is not None:
                self.semantic_id(instance, entry, category, object_type)
        for key, label_type in LABEL_LISTS.items():
            labels = series.get(key)
            if labels is not None:
                self.labels(loc, key, labels, lambda _label, t=label_type: t)
        if series.get("measurements") is not None:
            self.labels(loc, "measurements", series["measurements"],
                        lambda label: MEASUREMENT_TYPES.get(label.get("type")))
        classifications = series.get("classifications")
        for index, item in enumerate(classifications if isinstance(classifications, list) else []):
            if isinstance(item, dict):
                self.classification((*loc, "classifications", index), item, "seriesClassify")
        if series.get("instanceClassifications") is not None:
            self.instance_classifications(loc, series["instanceClassifications"])

    def labels(self, loc: Loc, key: str, labels: Any, label_type: Any) -> None:
        if not isinstance(labels, list):
            return
        for index, label in enumerate(labels):
            if not isinstance(label, dict) or "category" not in label:
                continue
            label_loc = (*loc, key, index)
            object_type = self.category(label["category"], (*label_loc, "category"),
                                        label_type(label), f"`{key}`")
            self.label_attributes(label.get("attributes"), (*label_loc, "attributes"),
                                  object_type)

    def classification(self, loc: Loc, item: dict[str, Any], classify_key: str) -> None:
        if "category" in item:
            self.category(item["category"], (*loc, "category"), None, "a classification")
        if self.index.version == 2 and item.get("attributes") is not None:
            self.attributes(item["attributes"], (*loc, "attributes"),
                            self.index.classify[classify_key], f"the taxonomy's `{classify_key}`")

    def instance_classifications(self, loc: Loc, items: Any) -> None:
        if self.index.version != 2 or not isinstance(items, list):
            return
        for index, item in enumerate(items):
            values = item.get("values") if isinstance(item, dict) else None
            if isinstance(values, dict):
                self.attributes(values, (*loc, "instanceClassifications", index, "values"),
                                self.index.classify["instanceClassify"],
                                "the taxonomy's `instanceClassify`")

    # Attributes

    def label_attributes(self, raw: Any, loc: Loc, object_type: ObjectType | None) -> None:
        if raw is not None and object_type is not None and self.index.version == 2:
            self.attributes(raw, loc, object_type.attributes, object_type)

    def attributes(self, raw: Any, loc: Loc, known: AttributeList, owner: Owner) -> None:
        if isinstance(raw, dict):  # V1 form: {name: value}
            for name, value in raw.items():
                name_loc = (*loc, name)
                attribute = known.by_name.get(name)
                if attribute is None:
                    self.add(UNKNOWN_ATTRIBUTE, self._unknown_attribute(f"attribute `{name}`",
                                                                        name, known, owner),
                             name_loc, at="key")
                    continue
                self.archived_attribute(attribute, name_loc, "key")
                self.value(attribute, value, name_loc)
        elif isinstance(raw, list):  # V2 form: [{attrId, name, optionId, value}]
            for index, entry in enumerate(raw):
                if isinstance(entry, dict):
                    self.attribute_entry(entry, (*loc, index), known, owner)

    def _unknown_attribute(self, what: str, name: str | None, known: AttributeList,
                           owner: Owner) -> str:
        message = f"{what} is not defined for {_owner_text(owner)}"
        suggestion = closest_name(name, known.names()) if name is not None else None
        if suggestion:
            return f"{message}: did you mean `{suggestion}`?"
        if known.names():
            return f"{message}; its attributes are {_names(known.names())}"
        return f"{message}, which has no attributes"

    def attribute_entry(self, entry: dict[str, Any], loc: Loc, known: AttributeList,
                        owner: Owner) -> None:
        attr_id = _int(entry.get("attrId"))
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        if attr_id is not None:
            where: Loc = (*loc, "attrId")
            attribute = known.by_id.get(attr_id)
            if attribute is None:
                self.add(UNKNOWN_ATTRIBUTE, self._unknown_attribute(f"attrId {attr_id}", name,
                                                                    known, owner), where)
                return
            if name is not None and name != attribute.name:
                self.add(UNKNOWN_ATTRIBUTE,
                         f"attrId {attr_id} is `{attribute.name}` on {_owner_text(owner)}, not "
                         f"`{name}`: fix the id or the name", (*loc, "name"))
                return
        elif name is not None:
            where = (*loc, "name")
            found = known.by_name.get(name)
            if found is None:
                self.add(UNKNOWN_ATTRIBUTE, self._unknown_attribute(f"attribute `{name}`", name,
                                                                    known, owner), where)
                return
            attribute = found
        else:
            return
        self.archived_attribute(attribute, where, "value")
        if entry.get("optionId") is not None:
            self.option_ids(attribute, entry["optionId"], (*loc, "optionId"))
        if entry.get("value") is not None:
            self.value(attribute, entry["value"], (*loc, "value"))

    def archived_attribute(self, attribute: Attribute, loc: Loc, at: Part) -> None:
        if attribute.archived:
            self.add(ARCHIVED_ATTRIBUTE,
                     f"attribute `{attribute.name}` is archived in the taxonomy: annotators no "
                     "longer see it; drop the value or restore the attribute", loc, at=at)

    def option_ids(self, attribute: Attribute, raw: Any, loc: Loc) -> None:
        if attribute.attr_type in ("BOOL", "TEXT"):
            self.add(INVALID_ATTRIBUTE_VALUE,
                     f"`{attribute.name}` is a {attribute.attr_type} attribute, which has no "
                     "options: give its `value` instead of an `optionId`", loc)
            return
        if attribute.attr_type == "SELECT" and isinstance(raw, list) and len(raw) != 1:
            self.add(INVALID_ATTRIBUTE_VALUE,
                     f"`{attribute.name}` is a SELECT attribute: it takes one optionId, not "
                     f"{len(raw)}", loc)
            return
        elements: list[tuple[Loc, Any]] = [(loc, raw)] if not isinstance(raw, list) else [
            ((*loc, k), v) for k, v in enumerate(raw)]
        for element_loc, option_id in elements:
            if _int(option_id) is None:
                continue
            option = attribute.option_with_id(option_id)
            if option is None:
                ids = ", ".join(f"{o.option_id} `{o.name}`" for o in attribute.options[:_LISTED])
                self.add(INVALID_ATTRIBUTE_VALUE,
                         f"optionId {option_id} is not an option of `{attribute.name}` (its "
                         f"options: {ids or 'none'})", element_loc)
            elif option.archived:
                self.archived_option(attribute, option.name, element_loc)

    def archived_option(self, attribute: Attribute, option: str, loc: Loc) -> None:
        self.add(ARCHIVED_ATTRIBUTE,
                 f"option `{option}` of `{attribute.name}` is archived in the taxonomy: "
                 "annotators can no longer choose it; pick an active option", loc)

    def value(self, attribute: Attribute, value: Any, loc: Loc) -> None:
        kind = attribute.attr_type
        if kind == "BOOL" and not isinstance(value, bool):
            self.add(INVALID_ATTRIBUTE_VALUE,
                     f"`{attribute.name}` is a BOOL attribute: its value is true or false, not "
                     f"`{_shown(value)}`", loc)
        elif kind == "TEXT" and not isinstance(value, str):
            self.add(INVALID_ATTRIBUTE_VALUE,
                     f"`{attribute.name}` is a TEXT attribute: its value is a string, not "
                     f"`{_shown(value)}`", loc)
        elif kind == "SELECT":
            if isinstance(value, str):
                self.option_name(attribute, value, loc)
            else:
                self.add(INVALID_ATTRIBUTE_VALUE,
                         f"`{attribute.name}` is a SELECT attribute: its value is one option "
                         f"name (a string), not `{_shown(value)}`", loc)
        elif kind == "MULTISELECT":
            if not isinstance(value, list):
                example = f'["{value}"]' if isinstance(value, str) else '["..."]'
                self.add(INVALID_ATTRIBUTE_VALUE,
                         f"`{attribute.name}` is a MULTISELECT attribute: its value is a list of "
                         f"option names, e.g. `{example}`, not `{_shown(value)}`", loc)
                return
            for index, item in enumerate(value):
                if isinstance(item, str):
                    self.option_name(attribute, item, (*loc, index))

    def option_name(self, attribute: Attribute, name: str, loc: Loc) -> None:
        option = attribute.option_named(name)
        if option is not None:
            if option.archived:
                self.archived_option(attribute, name, loc)
            return
        message = f"`{name}` is not an option of `{attribute.name}`"
        suggestion = closest_name(name, attribute.option_names())
        if suggestion:
            message += f": did you mean `{suggestion}`?"
        elif attribute.options:
            message += f"; its options are {_names(attribute.option_names())}"
        self.add(INVALID_ATTRIBUTE_VALUE, message, loc)


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else render_category(value)


def _task_hits(doc: Document, ctx: Context) -> dict[str, list[Hit]]:
    """Every task rule's hits for a document, computed once (the first rule pays)."""
    return doc.memo(_find_task_hits, doc, ctx)


def _find_task_hits(doc: Document, ctx: Context) -> dict[str, list[Hit]]:
    index = taxonomy_setup(ctx).index
    return _TaskChecker(index).run(doc) if index is not None else {}


def _has_references(doc: Document) -> bool:
    """Whether a task document names any category or attribute (worth a taxonomy at all)."""
    for task_pointer, task in walk.tasks(doc):
        if "classification" in task:
            return True
        for _owner, group in walk.series_groups(task_pointer, task):
            if any(REFERENCE_KEYS & series.keys() for _pointer, series in group):
                return True
    return False


def _first_task_document(docs: list[Document]) -> Document | None:
    return next((d for d in docs if d.parsed and d.kind in TASK_KINDS and _has_references(d)),
                None)


@rule("RB400", "no-taxonomy", INFO,
      "No taxonomy is available, so categories and attributes are not checked.",
      kinds=TASK_KINDS, scope="project")
def no_taxonomy(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    Tasks name categories and attributes, but rb-lint has no taxonomy to check them against, so
    RB402-RB409 are skipped. Reported once per run, at the first task document that labels
    anything. The taxonomy comes from `--taxonomy FILE`, from `taxonomy = "FILE"` in
    `[tool.rb-lint]` (relative to the configuration file), or is the one taxonomy file among the
    linted files; with several linted taxonomies none is guessed.

    Why: "the category must exist in your project's taxonomy", yet nothing on the client checks
    it for NIfTI uploads; a typo only shows up as broken work in the annotation tool.

    Failing:
        rb-lint check items.json
    Fixed:
        rb-lint check --taxonomy taxonomy.json items.json
    """
    first = _first_task_document(docs)
    if first is None:
        return
    setup = taxonomy_setup(ctx)
    if setup.index is not None:
        return
    if setup.linted_count > 1:
        message = (f"{setup.linted_count} taxonomies are linted together, so none is used to "
                   "check categories and attributes (RB402-RB409): choose one, "
                   f"{ENABLE_HINT}")
    else:
        message = ("no taxonomy given: categories, label types, attributes and semantic ids "
                   f"(RB402-RB409) are not checked; {ENABLE_HINT}")
    yield Hit(message, "", doc=first, key="no-taxonomy")


@rule("RB401", "legacy-taxonomy", INFO,
      "A Taxonomy V1 is read for category names only.",
      kinds=(TAXONOMY, *TASK_KINDS), scope="project")
def legacy_taxonomy(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    A Taxonomy V1 (the legacy `categories` tree, `isNew: false`). rb-lint reads its category
    names, paths and classIds, so unknown and ambiguous categories are still found (RB402,
    RB403); label types, attributes and semantic ids (RB405-RB409) and the taxonomy's own checks
    (RB420-RB426, RB101-RB104) need Taxonomy V2 and are skipped. Reported on each linted V1 file,
    or at the first task document when the V1 taxonomy comes from `--taxonomy` or configuration.

    Why: RedBrick's semantic export refuses V1 taxonomies, and V2 is what new projects use.

    Failing:
        {"name": "Brain", "isNew": false, "categories": [{"name": "object", "children": [...]}]}
    Fixed:
        {"name": "Brain", "isNew": true, "objectTypes": [{"category": "Glioma", "classId": 0,
         "labelType": "SEGMENTATION"}]}
    """
    linted_v1 = [d for d in docs if d.parsed and d.kind == TAXONOMY
                 and is_legacy_taxonomy(d.data)]
    for doc in linted_v1:
        yield Hit("Taxonomy V1 (legacy `categories` tree): category names are checked, but label "
                  "types, attributes, semantic ids and this file's own V2 checks are skipped; "
                  "migrate it to Taxonomy V2 (`objectTypes`)", "/categories", at="key", doc=doc,
                  key="legacy-taxonomy")
    first = _first_task_document(docs)
    if first is None:
        return
    index = taxonomy_setup(ctx).index
    if index is None or index.version != 1 or index.document in linted_v1:
        return
    yield Hit(f"the taxonomy {index.source} is a Taxonomy V1 (legacy `categories` tree): "
              "category names are checked, but label types, attributes and semantic ids are not",
              "", doc=first, key="legacy-taxonomy")


@rule("RB402", "unknown-category", ERROR, "A category is not in the taxonomy.", kinds=TASK_KINDS)
def unknown_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A category that the taxonomy does not define: a misspelled name, a path whose parents are
    wrong or missing, or a classId no object type has. The message suggests the closest name.
    Checked everywhere a category appears: `segmentMap` values (or their `category`), every label
    list, measurements, classifications, and consensus and super-truth series.

    Why: RedBrick requires that "the category must exist in your project's taxonomy", but
    nothing checks it before a NIfTI upload; the label arrives broken in the annotation tool.

    Failing:
        "segmentMap": {"1": "Gliomma"}
    Fixed:
        "segmentMap": {"1": "Glioma"}
    """
    yield from _task_hits(doc, ctx).get(UNKNOWN_CATEGORY, [])


@rule("RB403", "ambiguous-category", ERROR,
      "A bare category name exists under several parents.", kinds=TASK_KINDS)
def ambiguous_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A category written as a bare leaf name that the taxonomy nests under several parents (e.g.
    `Metastasis` under both `Brain > Tumor` and `Abdomen`). Only the `[parent..., leaf]` path
    says which object type is meant.

    Failing:
        "segmentMap": {"1": "Metastasis"}
    Fixed:
        "segmentMap": {"1": ["Abdomen", "Metastasis"]}
    """
    yield from _task_hits(doc, ctx).get(AMBIGUOUS_CATEGORY, [])


@rule("RB404", "archived-category", WARNING, "A category is archived in the taxonomy.",
      kinds=TASK_KINDS)
def archived_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A label uses an object type marked `archived: true`. Archived object types keep their classId
    but are no longer offered to annotators, so such labels cannot be reproduced or corrected.

    Failing:
        "segmentMap": {"1": "Tumor core (legacy)"}
    Fixed:
        "segmentMap": {"1": ["Brain", "Tumor", "Enhancing tumor"]}
    """
    yield from _task_hits(doc, ctx).get(ARCHIVED_CATEGORY, [])


@rule("RB405", "label-type-mismatch", ERROR,
      "A category's labelType does not fit the kind of label.", kinds=TASK_KINDS)
def label_type_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Every object type has one `labelType`, and each label list takes only its own: `segmentMap`
    SEGMENTATION, `boundingBoxes` BBOX, `polygons` POLYGON, `polylines` POLYLINE, `landmarks` and
    `landmarks3d` POINT, `ellipses` ELLIPSE, `cuboids` CUBOID, `measurements` of type length
    LENGTH and of type angle ANGLE. A bounding-box category used for a segmentation cannot be
    shown or edited as one.

    Failing:
        "segmentMap": {"1": ["Abdomen", "Lymph node"]}    (Lymph node is a BBOX object type)
    Fixed:
        "boundingBoxes": [{"category": ["Abdomen", "Lymph node"], ...}]
    """
    yield from _task_hits(doc, ctx).get(LABEL_TYPE_MISMATCH, [])


@rule("RB406", "unknown-attribute", ERROR,
      "An attribute is not defined for the object type or classification.", kinds=TASK_KINDS)
def unknown_attribute(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A label's attribute that its object type does not define, or a classification attribute that
    is not in the right classify list (`classification` of a task: `studyClassify`; a series'
    `classifications`: `seriesClassify`; `instanceClassifications`: `instanceClassify`). In the
    V2 list form an `attrId` that does not exist, or whose attribute has another `name`, is
    reported too. Needs Taxonomy V2.

    Failing:
        {"category": ["Brain", "Tumor", "Glioma"], "attributes": {"Grde": "High grade"}}
    Fixed:
        {"category": ["Brain", "Tumor", "Glioma"], "attributes": {"Grade": "High grade"}}
    """
    yield from _task_hits(doc, ctx).get(UNKNOWN_ATTRIBUTE, [])


@rule("RB407", "invalid-attribute-value", ERROR,
      "An attribute value does not fit its attrType or options.", kinds=TASK_KINDS)
def invalid_attribute_value(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    An attribute value must match the attribute's `attrType`: BOOL true/false, TEXT a string,
    SELECT one option name, MULTISELECT a list of option names. In the V2 list form, `optionId`
    must be among the attribute's options (one for SELECT; BOOL and TEXT have none).

    Failing:
        "attributes": {"Grade": "High", "Enhancing": "yes"}
    Fixed:
        "attributes": {"Grade": "High grade", "Enhancing": true}
    """
    yield from _task_hits(doc, ctx).get(INVALID_ATTRIBUTE_VALUE, [])


@rule("RB408", "archived-attribute", WARNING,
      "An attribute or option is archived in the taxonomy.", kinds=TASK_KINDS)
def archived_attribute(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A value for an attribute, or a choice of an option, that is marked `archived: true` in the
    taxonomy. Annotators no longer see it, so the value cannot be reviewed or corrected.

    Failing:
        "attributes": {"Grade": "Grade II (WHO 2007)"}     (an archived option)
    Fixed:
        "attributes": {"Grade": "Low grade"}
    """
    yield from _task_hits(doc, ctx).get(ARCHIVED_ATTRIBUTE, [])


@rule("RB409", "semantic-instance-id", ERROR,
      "With `semanticMask: true`, a segmentMap key must be its category's classId + 1.",
      kinds=TASK_KINDS)
def semantic_instance_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    In a semantic mask every voxel of a category holds classId + 1 (0 is background), and the
    segmentMap keys are those values. An integer category means the classId itself, so
    `"3": 3` is off by one: the key must be `"4"`. Needs Taxonomy V2. (Mask values themselves
    are the mask scanner's business.)

    Failing:
        "semanticMask": true, "segmentMap": {"3": ["Brain", "Tumor", "Enhancing tumor"]}
        (classId 3)
    Fixed:
        "semanticMask": true, "segmentMap": {"4": ["Brain", "Tumor", "Enhancing tumor"]}
    """
    yield from _task_hits(doc, ctx).get(SEMANTIC_INSTANCE_ID, [])


# --- The taxonomy's own consistency (Taxonomy V2 files) --------------------------------------

Entry = tuple[str, dict[str, Any]]  # (pointer, object)


def _v2(doc: Document) -> dict[str, Any] | None:
    data = doc.data
    return data if isinstance(data, dict) and not is_legacy_taxonomy(data) else None


def _entries(raw: Any, pointer: str) -> list[Entry]:
    if not isinstance(raw, list):
        return []
    return [(join_pointer(pointer, i), item) for i, item in enumerate(raw) if isinstance(item, dict)]


def _object_types(data: dict[str, Any]) -> list[Entry]:
    return _entries(data.get("objectTypes"), "/objectTypes")


def _attribute_lists(data: dict[str, Any]) -> Iterator[tuple[str, list[Entry]]]:
    """(owner, attributes) for each classify list and each object type's attributes."""
    for key in CLASSIFY_KEYS:
        yield f"`{key}`", _entries(data.get(key), f"/{key}")
    for pointer, object_type in _object_types(data):
        yield (f"object type `{_display(object_type)}`",
               _entries(object_type.get("attributes"), join_pointer(pointer, "attributes")))


def _all_attributes(data: dict[str, Any]) -> Iterator[Entry]:
    for _owner, attributes in _attribute_lists(data):
        yield from attributes


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _display(object_type: dict[str, Any]) -> str:
    category = object_type.get("category")
    parents = _strings(object_type.get("parents"))
    if not isinstance(category, str):
        return "?"
    return render_category([*parents, category]) if parents else category


def _line(doc: Document, pointer: str) -> int:
    return doc.line_columns([(pointer, "value")]).get((pointer, "value"), (1, 1))[0]


def _free_ids(used: Iterable[int]) -> Iterator[int]:
    taken = set(used)
    candidate = max(taken, default=-1) + 1
    while True:
        yield candidate
        candidate += 1


@rule("RB420", "duplicate-class-id", ERROR, "Two object types share a classId.", kinds=[TAXONOMY])
def duplicate_class_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Every object type needs its own `classId` (0-based). Masks, semantic exports (value classId
    + 1) and integer categories identify an object type by it; the platform's taxonomy checks
    only that the key exists. The finding is at the repeat and names the first.

    Failing:
        {"category": "Edema", "classId": 3, ...}, {"category": "Necrosis", "classId": 3, ...}
    Fixed:
        {"category": "Edema", "classId": 3, ...}, {"category": "Necrosis", "classId": 4, ...}
    """
    data = _v2(doc)
    if data is None:
        return
    entries = [(p, o, _int(o.get("classId"))) for p, o in _object_types(data)]
    free = _free_ids(c for _p, _o, c in entries if c is not None)
    first: dict[int, Entry] = {}
    for pointer, object_type, class_id in entries:
        if class_id is None:
            continue
        if class_id not in first:
            first[class_id] = (pointer, object_type)
            continue
        other_pointer, other = first[class_id]
        yield Hit(f"classId {class_id} is already used by `{_display(other)}` (line "
                  f"{_line(doc, other_pointer)}): masks, semantic exports and integer categories "
                  f"identify an object type by its classId; give this one a free classId, e.g. "
                  f"{next(free)}", join_pointer(pointer, "classId"),
                  key=f"classId:{class_id}:{_display(object_type)}")


@rule("RB421", "duplicate-category-path", ERROR,
      "Two object types share the same parents and category.", kinds=[TAXONOMY])
def duplicate_category_path(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A category name may repeat under different parents, but one (parents, category) path must
    name one object type: tasks refer to object types by that path, so a second one can never be
    chosen (rb-lint resolves the path to the first).

    Failing:
        {"category": "Liver", "parents": ["Abdomen"], "classId": 5, "labelType": "SEGMENTATION"},
        {"category": "Liver", "parents": ["Abdomen"], "classId": 9, "labelType": "BBOX"}
    Fixed:
        ..., {"category": "Liver box", "parents": ["Abdomen"], "classId": 9, "labelType": "BBOX"}
    """
    data = _v2(doc)
    if data is None:
        return
    first: dict[tuple[str, ...], str] = {}
    for pointer, object_type in _object_types(data):
        category = object_type.get("category")
        if not isinstance(category, str):
            continue
        path = (*_strings(object_type.get("parents")), category)
        if path not in first:
            first[path] = pointer
            continue
        yield Hit(f"object type `{_display(object_type)}` is already defined (line "
                  f"{_line(doc, first[path])}): tasks name object types by their path, so this "
                  "one can never be chosen; rename it or merge the two",
                  join_pointer(pointer, "category"), key=f"path:{_display(object_type)}")


@rule("RB422", "duplicate-attribute", ERROR,
      "Two attributes of one object type or classify list share an attrId or name.",
      kinds=[TAXONOMY])
def duplicate_attribute(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Within one object type's `attributes`, and within each of `studyClassify`,
    `seriesClassify` and `instanceClassify`, every attribute needs its own `attrId` (labels in
    the V2 list form refer to it) and its own `name` (labels in the `{name: value}` form do).
    Attributes of different object types may reuse ids and names.

    Failing:
        "attributes": [{"name": "Grade", "attrId": 0, ...}, {"name": "Enhancing", "attrId": 0, ...}]
    Fixed:
        "attributes": [{"name": "Grade", "attrId": 0, ...}, {"name": "Enhancing", "attrId": 1, ...}]
    """
    data = _v2(doc)
    if data is None:
        return
    for owner, attributes in _attribute_lists(data):
        free = _free_ids(i for _p, a in attributes if (i := _int(a.get("attrId"))) is not None)
        ids: dict[int, str] = {}
        names: dict[str, str] = {}
        for pointer, attribute in attributes:
            attr_id, name = _int(attribute.get("attrId")), attribute.get("name")
            if attr_id is not None and attr_id in ids:
                yield Hit(f"attrId {attr_id} is already used by `{ids[attr_id]}` of {owner}: "
                          "labels refer to attributes by attrId; give this one a free attrId, "
                          f"e.g. {next(free)}", join_pointer(pointer, "attrId"))
            elif attr_id is not None:
                ids[attr_id] = name if isinstance(name, str) else "?"
            if isinstance(name, str) and name in names:
                yield Hit(f"attribute `{name}` of {owner} is defined twice (line "
                          f"{_line(doc, names[name])}): labels written as `{{\"{name}\": ...}}` "
                          "cannot say which is meant; rename one", join_pointer(pointer, "name"))
            elif isinstance(name, str):
                names[name] = pointer


@rule("RB423", "duplicate-option", ERROR,
      "Two options of one attribute share an optionId or name.", kinds=[TAXONOMY])
def duplicate_option(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The options of a SELECT or MULTISELECT attribute need distinct `optionId`s (the V2 list form
    and `defaultValue` use them) and distinct names (the `{name: value}` form uses those).

    Failing:
        "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 0}]
    Fixed:
        "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 1}]
    """
    data = _v2(doc)
    if data is None:
        return
    for attr_pointer, attribute in _all_attributes(data):
        label = attribute.get("name", "?")
        options = _entries(attribute.get("options"), join_pointer(attr_pointer, "options"))
        free = _free_ids(i for _p, o in options if (i := _int(o.get("optionId"))) is not None)
        ids: dict[int, str] = {}
        names: set[str] = set()
        for pointer, option in options:
            option_id, name = _int(option.get("optionId")), option.get("name")
            if option_id is not None and option_id in ids:
                yield Hit(f"optionId {option_id} of `{label}` is already used by option "
                          f"`{ids[option_id]}`: give this option a free optionId, e.g. "
                          f"{next(free)}", join_pointer(pointer, "optionId"))
            elif option_id is not None:
                ids[option_id] = name if isinstance(name, str) else "?"
            if isinstance(name, str) and name in names:
                yield Hit(f"option `{name}` of `{label}` is defined twice: values name options, "
                          "so one of them can never be chosen; rename or remove it",
                          join_pointer(pointer, "name"))
            elif isinstance(name, str):
                names.add(name)


def _default_problem(attribute: dict[str, Any], value: Any) -> tuple[str, Any] | None:
    """What is wrong with a defaultValue, and at which element (None: the value itself)."""
    kind, name = attribute.get("attrType"), attribute.get("name", "?")
    options = [o for _p, o in _entries(attribute.get("options"), "")]
    by_id = {i: o.get("name") for o in options if (i := _int(o.get("optionId"))) is not None}
    if kind == "BOOL" and not isinstance(value, bool):
        return f"`{name}` is a BOOL attribute: its defaultValue is true or false", None
    if kind == "TEXT" and not isinstance(value, str):
        return f"`{name}` is a TEXT attribute: its defaultValue is a string", None
    if kind not in ("SELECT", "MULTISELECT"):
        return None
    if isinstance(value, str):
        ids = [i for i, n in by_id.items() if n == value]
        hint = f": write {ids[0]} for `{value}`" if ids else ""
        return f"the defaultValue of `{name}` is an optionId, not an option name{hint}", None
    if isinstance(value, bool):
        return f"the defaultValue of `{name}` is an optionId, not a boolean", None
    if kind == "SELECT" and isinstance(value, list):
        return f"`{name}` is a SELECT attribute: its defaultValue is one optionId", None
    for index, option_id in enumerate(value if isinstance(value, list) else [value]):
        if _int(option_id) is not None and option_id not in by_id:
            known = ", ".join(f"{i} `{n}`" for i, n in by_id.items()) or "none"
            return (f"defaultValue {option_id} is not an optionId of `{name}` (its options: "
                    f"{known})", index if isinstance(value, list) else None)
    return None


@rule("RB424", "invalid-default-value", ERROR,
      "An attribute's `defaultValue` does not fit its attrType or options.", kinds=[TAXONOMY])
def invalid_default_value(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `defaultValue` pre-fills an attribute in the annotation tool. For SELECT it is one of the
    attribute's optionIds, for MULTISELECT an optionId or a list of them, for BOOL a boolean and
    for TEXT a string (the SDK types it `str | bool | int | list[int]`). The platform does not
    check that the optionIds exist.

    Failing:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0, "defaultValue": 7,
         "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 1}]}
    Fixed:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0, "defaultValue": 0, "options": [...]}
    """
    data = _v2(doc)
    if data is None:
        return
    for pointer, attribute in _all_attributes(data):
        value = attribute.get("defaultValue")
        if value is None:
            continue
        problem = _default_problem(attribute, value)
        if problem is not None:
            message, element = problem
            target = join_pointer(pointer, "defaultValue")
            yield Hit(message, target if element is None else join_pointer(target, element))


def _parents_groups(data: dict[str, Any]) -> Iterator[list[Entry]]:
    """Entries whose `parents` build one tree of panels: object types, and each classify list."""
    yield _object_types(data)
    for key in CLASSIFY_KEYS:
        yield _entries(data.get(key), f"/{key}")


@rule("RB425", "inconsistent-parents", ERROR,
      "A `parents` chain has a blank, repeated or differently spelled tier.", kinds=[TAXONOMY])
def inconsistent_parents(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `parents` lists the tiers an object type (or classification) is nested under, left to right.
    The SDK documents them as expansion panels ("objects with parent ["Type A"] will be visually
    nested under an expansion panel Type A"): they are labels, not object types, so a tier need
    not be a category itself, and the platform checks nothing about them. A chain is consistent
    when:
    - every tier is a non-empty name without surrounding spaces;
    - no tier repeats within one chain (`["Brain", "Brain"]`);
    - tiers under the same prefix are spelled the same way everywhere: `["Brain", "Tumor"]` and
      `["Brain", "tumor"]` make two panels, and tasks must then spell the path exactly right.
    Object types and each classify list are separate trees.

    Failing:
        {"category": "Glioma", "parents": ["Brain", "Tumor"]}, {"category": "Edema",
         "parents": ["Brain", "tumor "]}
    Fixed:
        {"category": "Glioma", "parents": ["Brain", "Tumor"]}, {"category": "Edema",
         "parents": ["Brain", "Tumor"]}
    """
    data = _v2(doc)
    if data is None:
        return
    for group in _parents_groups(data):
        spelled: dict[tuple[str, ...], str] = {}  # normalised prefix + tier -> first spelling
        for pointer, entry in group:
            parents = entry.get("parents")
            if isinstance(parents, list):
                yield from _chain_problems(join_pointer(pointer, "parents"), parents, spelled)


def _chain_problems(pointer: str, parents: list[Any],
                    spelled: dict[tuple[str, ...], str]) -> Iterator[Hit]:
    prefix: tuple[str, ...] = ()
    for index, tier in enumerate(parents):
        if not isinstance(tier, str):
            return  # RB102 reports it
        where = join_pointer(pointer, index)
        if not tier.strip():
            yield Hit("a blank parent tier names no panel: remove it or name it", where)
            return
        if tier != tier.strip():
            yield Hit(f"parent `{tier}` has surrounding spaces, so it is a different panel from "
                      f"`{tier.strip()}`: remove them", where)
        if tier in parents[:index]:
            yield Hit(f"parent `{tier}` repeats within its own chain: a panel cannot be nested "
                      "in itself; remove the repeat", where)
        key = (*prefix, " ".join(tier.split()).casefold())
        first = spelled.setdefault(key, tier)
        if first != tier and first.strip() == first and tier.strip() == tier:
            yield Hit(f"parent `{tier}` is spelled `{first}` elsewhere under the same panels: the "
                      f"annotation tool shows two panels; spell it `{first}`", where)
        prefix = key


@rule("RB426", "select-without-options", WARNING,
      "A SELECT or MULTISELECT attribute has no options.", kinds=[TAXONOMY])
def select_without_options(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A SELECT or MULTISELECT attribute with no `options` (or only archived ones) gives annotators
    nothing to choose, and every value a task gives it is invalid.

    Failing:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0}
    Fixed:
        {"name": "Grade", "attrType": "SELECT", "attrId": 0,
         "options": [{"name": "Low grade", "optionId": 0}, {"name": "High grade", "optionId": 1}]}
    """
    data = _v2(doc)
    if data is None:
        return
    for pointer, attribute in _all_attributes(data):
        kind = attribute.get("attrType")
        if kind not in ("SELECT", "MULTISELECT"):
            continue
        options = [o for _p, o in _entries(attribute.get("options"), "")]
        if not any(o.get("archived") is not True for o in options):
            state = "only archived options" if options else "no options"
            yield Hit(f"`{attribute.get('name', '?')}` is a {kind} attribute with {state}: "
                      "annotators have nothing to choose; add `\"options\": [{\"name\": ..., "
                      "\"optionId\": 0}]`", join_pointer(pointer, "attrType"))


RULES = [
    no_taxonomy, legacy_taxonomy, unknown_category, ambiguous_category, archived_category,
    label_type_mismatch, unknown_attribute, invalid_attribute_value, archived_attribute,
    semantic_instance_id, duplicate_class_id, duplicate_category_path, duplicate_attribute,
    duplicate_option, invalid_default_value, inconsistent_parents, select_without_options,
]
