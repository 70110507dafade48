"""What the RB1xx rules share: the schema errors they judge, what such an error is about, an item's
file extension, and how a message names a value's JSON type (extraction and wording only: each
rule decides which errors are its problem and what it says)."""

from __future__ import annotations

import re
from typing import Any

from rb_lint.formats.validation import SERIES_FLAGS, SchemaError, schema_errors
from rb_lint.io.document import Document
from rb_lint.models.common import json_type

_URL_SUFFIX = re.compile(r"[?#].*$")
_PRIORITY_BOUNDS = ("greater_than_equal", "less_than_equal")


def validation_errors(doc: Document) -> list[SchemaError]:
    """The document's schema errors, except those inside a series flag written in `segmentMap`
    (`"segmentMap": {"binaryMask": true}`): RB108 reports the flag, which is no instance and no
    category. Computed once per document."""
    return doc.memo(_validation_errors, doc)


def _validation_errors(doc: Document) -> list[SchemaError]:
    return [e for e in schema_errors(doc) if not _inside_series_flag(e.pointer)]


def _inside_series_flag(pointer: str) -> bool:
    return any(f"/segmentMap/{flag}" in pointer for flag in SERIES_FLAGS)


def in_metadata(error: SchemaError) -> bool:
    """The error is about a value inside a `metaData` object."""
    return "/metaData/" in error.pointer


def is_type_error(error: SchemaError) -> bool:
    """Pydantic's `*_type` errors: the value has the wrong JSON type (`category_type` included)."""
    return error.error_type.endswith("_type")


def is_priority_bound(error: SchemaError) -> bool:
    """A `priority` below its lower or above its upper bound."""
    return error.name == "priority" and error.error_type in _PRIORITY_BOUNDS


def is_key_pattern(error: SchemaError) -> bool:
    """A dict key that does not match the keys' pattern (a segmentMap key that is no instance id)."""
    return error.error_type == "string_pattern_mismatch" and error.at == "key"


def a_type(value: Any) -> str:
    """A value's JSON type with its article: `an integer`, `a string`, `a null`."""
    noun = json_type(value) or type(value).__name__
    return ("an " if noun[:1] in ("a", "e", "i", "o", "u") else "a ") + noun


def item_extension(path: str) -> str:
    """The lower-case extension of an item's file, after a URL's query and a `.gz`; "" for none
    (DICOM files are often named by UID without one: `1.2.840.1234`)."""
    if "?" in path or "#" in path:  # most paths have neither: no regular expression needed
        path = _URL_SUFFIX.sub("", path)
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if "." not in name:
        return ""
    extension = name.rsplit(".", 1)[1]
    return "" if extension.isdigit() else extension
