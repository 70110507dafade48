"""Pydantic's validation errors of a document, located: JSON pointer, key or value, the model and
pydantic's own error type, message and context, in pydantic's order (extraction only).

Validation runs once per document (the result is memoised on it). Which error is whose problem, and
how it is worded, the structure rules decide (`rb_lint/rules/structure/`).
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from typing_extensions import TypeAliasType

from rb_lint.core.findings import Part
from rb_lint.formats.taxonomy_index import is_legacy_taxonomy
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM, ITEMS_LIST, TASKS_EXPORT, TAXONOMY
from rb_lint.models.schemas import FormatSchema, schema_for_kind

# The kinds of document the pydantic models describe.
VALIDATED_KINDS = (ITEMS_LIST, TASKS_EXPORT, TAXONOMY, DATAGYM)

# The boolean flags of a series (some files write them inside `segmentMap` by mistake).
SERIES_FLAGS = ("binaryMask", "semanticMask", "pngMask")


@dataclass(frozen=True)
class SchemaError:
    """One pydantic error, located in the document."""

    pointer: str  # the value's pointer; for `missing`, the absent key's (its object's pointer + the key)
    at: Part  # "key" when a key of a dict failed (a segmentMap key), else "value"
    key: str | None  # the last key on the way to the value (`items` for /0/series/0/items/1); None if none
    value: Any  # pydantic's input: the value that failed (for `missing`, the object without the key)
    model: type[BaseModel] | None  # the model the last key belongs to (the one with a missing or extra key)
    error_type: str  # pydantic's error type: "missing", "extra_forbidden", "string_type", ...
    message: str  # pydantic's message
    context: Mapping[str, Any]  # pydantic's ctx: `expected` of a literal_error, `ge` of a bound, ...

    @property
    def name(self) -> str:
        """How a message names the failing value: its key (`""` for the empty key), or `value`."""
        if self.key == "":
            return '""'
        return self.key or "value"


def schema_errors(doc: Document) -> list[SchemaError]:
    """Every validation error of a parsed document, in pydantic's order, each distinct error once;
    none for a document without a model (a legacy V1 taxonomy). Computed once per document."""
    return doc.memo(_schema_errors, doc)


def _schema_errors(doc: Document) -> list[SchemaError]:
    schema = schema_for_kind(doc.kind) if doc.parsed else None
    if doc.kind == TAXONOMY and is_legacy_taxonomy(doc.data):
        schema = None  # the models are Taxonomy V2; V1 has RB401 and name checks only
    return list(_validate(doc.data, schema)) if schema else []


def _validate(data: Any, schema: FormatSchema) -> Iterator[SchemaError]:
    seen: set[tuple[Any, ...]] = set()
    check = schema.element_check
    if check is not None:
        if not isinstance(data, list):
            return  # the top-level shape is reported by its own rule
        for index, element in enumerate(data):
            if isinstance(element, dict):
                # Inline (no generator, no pointer) for the elements without an error: nearly all.
                try:
                    check(element)
                except ValidationError:
                    yield from _errors_of(schema, element, index, seen)
    else:
        try:
            schema.document_adapter.validate_python(data)
        except ValidationError as error:
            yield from _described(error, data, schema.document_type, "", seen)


def _errors_of(
    schema: FormatSchema, element: Any, index: int, seen: set[tuple[Any, ...]]
) -> Iterator[SchemaError]:
    """The errors of an element `FormatSchema.element_check` rejected, as the models word them (the
    models are built for the first such element)."""
    assert schema.element_adapter is not None  # `element_check` is set for element-wise kinds only
    try:
        schema.element_adapter.validate_python(element)
    except ValidationError as error:
        yield from _described(error, element, schema.element_type, join_pointer("", index), seen)


def _described(
    error: ValidationError, data: Any, root_type: Any, prefix: str, seen: set[tuple[Any, ...]]
) -> Iterator[SchemaError]:
    """The errors of one validation, located, each distinct one once."""
    for detail in error.errors(include_url=False):
        place = _locate(tuple(detail["loc"]), data, root_type, prefix)
        found = SchemaError(
            place.pointer,
            place.at,
            place.parent_key,
            detail.get("input"),
            place.model,
            detail["type"],
            detail["msg"],
            detail.get("ctx", {}),
        )
        identity = (found.pointer, found.at, found.key, found.model, found.error_type, found.message)
        if identity not in seen:  # pydantic may repeat an error (once per union member tried)
            seen.add(identity)
            yield found


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
