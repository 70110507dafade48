"""What the RB1xx rules share: the schema errors they judge, what such an error is about, an item's
file extension, and how a message names a value's JSON type (extraction and wording only: each
rule decides which errors are its problem and what it says)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rb_lint.formats import walk
from rb_lint.formats.validation import SERIES_FLAGS, SchemaError, schema_errors
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
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


SeriesList = list[tuple[str, walk.Series]]
_NIFTI_ENDINGS = (".nii.gz", ".nii")


@dataclass(frozen=True, slots=True)
class SeriesCensus:
    """The series a few RB1xx rules look at, found in one pass over every series rather than one
    pass per rule (a list of 500,000 tasks has a million series, nearly all of them of one plain
    shape). Candidates, in document order: each rule still checks its own condition."""

    odd_items: SeriesList = field(default_factory=list)  # `items` other than one `.nii(.gz)` string
    item_lists: SeriesList = field(default_factory=list)  # `items` a list of two or more
    without_map: SeriesList = field(default_factory=list)  # no `segmentMap` key
    without_segmentations: SeriesList = field(default_factory=list)  # no `segmentations` path
    flags_in_map: SeriesList = field(default_factory=list)  # a series flag among segmentMap keys
    png: SeriesList = field(default_factory=list)  # with a `pngMask` key
    instance_classified: SeriesList = field(default_factory=list)  # with `instanceClassifications`


def series_census(doc: Document) -> SeriesCensus:
    """`SeriesCensus` of a task document (once per document)."""
    return doc.memo(_series_census, doc)


def _series_census(doc: Document) -> SeriesCensus:
    every = walk.all_series(doc)
    with collector_paused():  # lists of existing pairs, no cycles
        return _census(every)


def _census(every: walk.Pairs[walk.Series]) -> SeriesCensus:
    found = SeriesCensus()
    flags = frozenset(SERIES_FLAGS)
    for pair in every:
        series = pair[1]
        items = series.get("items")
        if type(items) is not str or not items.endswith(_NIFTI_ENDINGS):
            found.odd_items.append(pair)
            if isinstance(items, list) and len(items) >= 2:
                found.item_lists.append(pair)
        segment_map = series.get("segmentMap")
        if segment_map is None and "segmentMap" not in series:
            found.without_map.append(pair)
        segmentations = series.get("segmentations")
        if not (type(segmentations) is str or walk.as_list(segmentations)):
            found.without_segmentations.append(pair)
        if isinstance(segment_map, dict) and not flags.isdisjoint(segment_map):
            found.flags_in_map.append(pair)
        if "pngMask" in series:
            found.png.append(pair)
        if "instanceClassifications" in series:
            found.instance_classified.append(pair)
    return found
