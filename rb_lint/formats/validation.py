"""Pydantic validation errors turned into precise, deduplicated issues with JSON pointers.

Validation runs once per document (the result is cached on it); each structure rule then reports
the issues of its own kind.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from typing_extensions import TypeAliasType

from rb_lint.core.findings import Part
from rb_lint.core.suggest import closest_name
from rb_lint.formats.taxonomy_index import is_legacy_taxonomy
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.common import json_type
from rb_lint.models.kinds import TAXONOMY
from rb_lint.models.schemas import FormatSchema, schema_for_kind

# Issue kinds (each is reported by one rule of the structure family).
MISSING = "missing"
WRONG_TYPE = "type"
UNKNOWN_KEY = "unknown-key"
INVALID_VALUE = "value"
PRIORITY = "priority"
METADATA = "metadata"
INSTANCE_ID = "instance-id"
CATEGORY = "category"

# Keys that belong somewhere else; their own rules explain where, so no generic issue is raised.
SERIES_FLAGS = ("binaryMask", "semanticMask", "pngMask")
MISPLACED_KEY_HINTS = {
    "items": "`items` belongs in a series: `\"series\": [{\"items\": ...}]`",
    "segmentations": "`segmentations` belongs in a series",
    "segmentMap": "`segmentMap` belongs in a series",
}

HINTS_FOR_MISSING = {
    "name": "every task needs a `name`, unique in the project",
    "series": "add `\"series\": [{\"items\": \"path/to/image\"}]`",
    "items": "add the image file(s) as `\"items\": \"path/to/image\"`",
    "category": "add the taxonomy category",
}


@dataclass(frozen=True)
class SchemaIssue:
    kind: str
    pointer: str
    message: str
    at: Part = "value"


def schema_issues(doc: Document) -> list[SchemaIssue]:
    """Every validation issue of a parsed document, computed once per document."""
    return doc.memo(_schema_issues, doc)


def _schema_issues(doc: Document) -> list[SchemaIssue]:
    schema = schema_for_kind(doc.kind) if doc.parsed else None
    if doc.kind == TAXONOMY and is_legacy_taxonomy(doc.data):
        schema = None  # the models are Taxonomy V2; V1 has RB401 and name checks only
    return list(_validate(doc.data, schema)) if schema else []


def _validate(data: Any, schema: FormatSchema) -> Iterator[SchemaIssue]:
    seen: set[tuple[str, str]] = set()
    if schema.element_adapter is not None:
        if not isinstance(data, list):
            return  # the top-level shape is reported by its own rule
        for index, element in enumerate(data):
            if isinstance(element, dict):
                yield from _issues(schema.element_adapter.validate_python, element,
                                   schema.element_type, join_pointer("", index), seen)
    else:
        yield from _issues(schema.document_adapter.validate_python, data,
                           schema.document_type, "", seen)


def _issues(validate: Any, data: Any, root_type: Any, prefix: str,
            seen: set[tuple[str, str]]) -> Iterator[SchemaIssue]:
    try:
        validate(data)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            issue = _to_issue(detail, data, root_type, prefix)
            if issue is None or (issue.pointer, issue.kind) in seen:
                continue
            seen.add((issue.pointer, issue.kind))
            yield issue


@dataclass
class _Place:
    pointer: str
    at: Part
    value: Any
    model: type[BaseModel] | None  # the model the last token belongs to
    parent_key: str | None


def _locate(loc: tuple[Any, ...], data: Any, root_type: Any, prefix: str) -> _Place:
    """Follow an error's loc through the type tree and the data together.

    Tokens that name a tagged-union member move through the types only; the rest are keys or
    indices that also move through the data and form the JSON pointer.
    """
    pointer, value, tp = prefix, data, root_type
    model: type[BaseModel] | None = None
    parent_key: str | None = None
    at: Part = "value"
    for token in loc:
        if token == "[key]":
            at = "key"
            break
        tp = _unwrap(tp)
        members = _tagged_members(tp)
        if members is not None:
            tp = members.get(token, Any)
            continue
        if _is_union(tp) and isinstance(token, str) and not (isinstance(value, dict) and token in value):
            tp = _plain_member(tp, token)  # pydantic names the member it tried (`int`, `list[int]`)
            continue
        if inspect.isclass(tp) and issubclass(tp, BaseModel):
            model = tp
            field = tp.model_fields.get(str(token))
            tp = field.annotation if field is not None else Any
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (list, tuple):
            args = get_args(tp)
            tp = args[0] if args else Any
        if isinstance(value, dict) and token in value:
            parent_key = str(token)
            value = value[token]
        elif isinstance(value, list) and isinstance(token, int) and 0 <= token < len(value):
            value = value[token]
        else:
            # A key that is not in the data (a missing field, an extra key's parent is already set).
            pointer = join_pointer(pointer, token)
            value = None
            parent_key = str(token)
            continue
        pointer = join_pointer(pointer, token)
    return _Place(pointer, at, value, model, parent_key)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated wrappers, Optional and (recursive) type aliases; stop at a real union."""
    while True:
        if isinstance(tp, TypeAliasType):
            tp = _alias_value(tp)
            continue
        if get_origin(tp) is Annotated:
            base = get_args(tp)[0]
            if _is_union(base):
                return tp  # a tagged union keeps its Annotated wrapper's members
            tp = base
            continue
        if _is_union(tp):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _plain_member(tp: Any, name: str) -> Any:
    """The member of an untagged union that pydantic's error location names."""
    for member in get_args(tp):
        shown = getattr(member, "__name__", None) if inspect.isclass(member) else None
        if name in (shown, str(member).replace("typing.", "")):
            return member
    return Any


def _alias_value(alias: TypeAliasType) -> Any:
    """What an alias stands for; a recursive alias names itself in a string, resolved in its module."""
    value = alias.__value__
    if isinstance(value, str):
        value = eval(value, vars(sys.modules[alias.__module__ or "builtins"]))
    return value


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _tagged_members(tp: Any) -> dict[str, Any] | None:
    """The members of a tagged union by tag (pydantic may have moved the Discriminator into the
    field's metadata, leaving a bare union of tagged members)."""
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    if not _is_union(base):
        return None
    members: dict[str, Any] = {}
    for member in get_args(base):
        for meta in get_args(member)[1:] if get_origin(member) is Annotated else ():
            if isinstance(meta, Tag):
                members[meta.tag] = member
    return members or None


def _to_issue(detail: Any, data: Any, root_type: Any, prefix: str) -> SchemaIssue | None:
    kind_of_error = detail["type"]
    loc = tuple(detail["loc"])
    place = _locate(loc, data, root_type, prefix)
    name = place.parent_key or "value"
    if _is_misplaced_flag(place.pointer):
        return None
    value = detail.get("input")
    if kind_of_error == "missing":
        parent = place.pointer.rsplit("/", 1)[0]
        hint = HINTS_FOR_MISSING.get(name, f"add `{name}`")
        return SchemaIssue(MISSING, parent, f"missing required key `{name}`: {hint}")
    if kind_of_error == "extra_forbidden":
        return _unknown_key(place, name)
    if kind_of_error == "category_type":
        return SchemaIssue(CATEGORY, place.pointer,
                           f"`{name}` is {_a(_type_name(value))}: {detail['msg']}")
    if kind_of_error == "string_pattern_mismatch" and place.at == "key":
        return SchemaIssue(INSTANCE_ID, place.pointer,
                           f"segmentMap key `{name}` is not an instance id: keys are the mask "
                           "values as integer strings from \"1\" to \"65535\" (0 is background)",
                           at="key")
    if _under(place.pointer, "metaData") and kind_of_error.endswith("_type"):
        return SchemaIssue(METADATA, place.pointer,
                           f"metaData value `{name}` is {_a(_type_name(value))}: metaData maps "
                           f"strings to strings; write it as \"{_as_string(value)}\"")
    if name == "priority" and kind_of_error in ("greater_than_equal", "less_than_equal"):
        return SchemaIssue(PRIORITY, place.pointer,
                           f"priority {value} is outside [0, 1]: the platform orders tasks by a "
                           "priority between 0 and 1")
    if kind_of_error.endswith("_type") or kind_of_error in ("model_attributes_type",):
        return SchemaIssue(WRONG_TYPE, place.pointer, _type_message(detail, name, value))
    if kind_of_error == "too_short":
        return SchemaIssue(INVALID_VALUE, place.pointer, f"`{name}` must not be empty")
    if kind_of_error == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "")
        return SchemaIssue(INVALID_VALUE, place.pointer,
                           f"`{name}` is {_short(value)}: expected {expected}")
    return SchemaIssue(INVALID_VALUE, place.pointer, f"`{name}`: {detail['msg']}")


def _unknown_key(place: _Place, name: str) -> SchemaIssue | None:
    if name == "segmentMap" and place.model is not None and "series" in place.model.model_fields:
        return None  # a task-level segmentMap has a rule of its own
    known = list(place.model.model_fields) if place.model is not None else []
    where = _describe_model(place.model)
    message = f"unknown key `{name}`{where}"
    suggestion = closest_name(name, known, cutoff=0.75)
    if suggestion:
        message += f": did you mean `{suggestion}`?"
    elif name in MISPLACED_KEY_HINTS:
        message += f": {MISPLACED_KEY_HINTS[name]}"
    else:
        message += ": the platform ignores or rejects it; remove it or fix its spelling"
    return SchemaIssue(UNKNOWN_KEY, place.pointer, message, at="key")


def _describe_model(model: type[BaseModel] | None) -> str:
    if model is None:
        return ""
    words = {"UploadTask": "a task", "ExportTask": "a task", "ConsensusTask": "a consensus task",
             "Series": "a series", "SegmentEntry": "a segmentMap entry",
             "ConsensusEntry": "a consensusTasks entry", "ObjectType": "an object type",
             "LabelClass": "a label class", "ImageTask": "a DataGym task",
             "LegacyImageTask": "a DataGym task", "VideoTask": "a DataGym video task",
             "GeometryObject": "a DataGym geometry", "Point": "a point",
             "Rectangle": "a rectangle"}
    return f" in {words.get(model.__name__, model.__name__)}"


def _type_message(detail: Any, name: str, value: Any) -> str:
    expected = {
        "string_type": "a string", "int_type": "an integer", "float_type": "a number",
        "bool_type": "a boolean (true or false)", "list_type": "an array", "dict_type": "an object",
        "model_type": "an object", "tuple_type": "an array", "model_attributes_type": "an object",
    }.get(detail["type"])
    if expected is None:
        return f"`{name}` is {_a(_type_name(value))}: {detail['msg']}"
    return f"`{name}` must be {expected}, not {_a(_type_name(value))}"


def _type_name(value: Any) -> str:
    return {"null": "null", "object": "object", "array": "array", "string": "string",
            "boolean": "boolean", "integer": "integer", "number": "number"}.get(
        json_type(value) or "", type(value).__name__)


def _a(noun: str) -> str:
    return ("an " if noun[:1] in ("a", "e", "i", "o", "u") else "a ") + noun


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:40]


def _under(pointer: str, key: str) -> bool:
    return f"/{key}/" in pointer


def _is_misplaced_flag(pointer: str) -> bool:
    return any(f"/segmentMap/{flag}" in pointer for flag in SERIES_FLAGS)
