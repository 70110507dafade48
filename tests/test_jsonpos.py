"""Positions: the locator against the parsed data, and streaming against whole-text parsing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rb_lint.io.jsonpos import (
    LineIndex,
    Locator,
    Part,
    SyntaxProblem,
    join_pointer,
    parse_json,
    parse_json_array_stream,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=25,
)


def pointers(value: Any, pointer: str = "") -> list[tuple[str, Any]]:
    found = [(pointer, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += pointers(child, join_pointer(pointer, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += pointers(child, join_pointer(pointer, index))
    return found


@settings(max_examples=150, deadline=None)
@given(values, st.sampled_from([None, 0, 1, 2, 4]), st.booleans())
def test_every_pointer_locates_its_value(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    every = pointers(value)
    offsets = Locator(text).offsets((p, "value") for p, _ in every)
    decoder = json.JSONDecoder()
    for pointer, expected in every:
        found, _end = decoder.raw_decode(text, offsets[(pointer, "value")])
        assert found == expected, pointer


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(min_size=1, max_size=4), scalars, min_size=1, max_size=5),
    st.sampled_from([None, 2]),
)
def test_keys_locate_their_key_string(obj, indent):
    text = json.dumps({"outer": [obj]}, indent=indent, ensure_ascii=False)
    requests: list[tuple[str, Part]] = [(join_pointer("/outer/0", key), "key") for key in obj]
    offsets = Locator(text).offsets(requests)
    for (pointer, _part), key in zip(requests, obj, strict=False):
        found, _ = json.JSONDecoder().raw_decode(text, offsets[(pointer, "key")])
        assert found == key


@settings(max_examples=200, deadline=None)
@given(st.lists(values, max_size=6), st.integers(1, 17), st.sampled_from([None, 1]))
@example([-0.5, 12], 1, None)  # `-0.` is a complete number token: only a delimiter ends it
def test_streaming_equals_whole_text_parse(elements, chunk, indent):
    text = json.dumps(elements, indent=indent)
    whole = parse_json(text)
    streamed = parse_json_array_stream(text[i : i + chunk] for i in range(0, len(text), chunk))
    assert streamed is not None and streamed.data == whole.data  # type: ignore[union-attr]


def test_line_index_counts_code_points():
    text = 'ab\n"é€😀x"'
    positions = LineIndex(text).positions([0, 3, 7])
    assert positions == {0: (1, 1), 3: (2, 1), 7: (2, 5)}


@settings(max_examples=150, deadline=None)
@given(st.lists(values, max_size=6), st.booleans())
def test_shared_label_maps_never_change_what_is_parsed(elements, streamed):
    label_map = {"1": "Liver", "2": "Spleen"}  # shared between its copies below
    elements = [*elements, {"segmentMap": label_map}, {"segmentMap": dict(label_map)}]
    text = json.dumps(elements)
    parsed = parse_json_array_stream([text]) if streamed else parse_json(text)
    assert parsed is not None and parsed.data == json.loads(text)  # type: ignore[union-attr]


def test_equal_label_maps_are_one_object_and_other_objects_keep_their_identity():
    text = json.dumps(
        [
            {"name": "a", "segmentMap": {"1": "Liver", "2": "Spleen"}},
            {"name": "a", "segmentMap": {"1": "Liver", "2": "Spleen"}},
            {"name": "b", "segmentMap": {"1": 1}, "other": {"1": 1.0}, "third": {"1": True}},
            {"name": "c", "segmentMap": {"1": "Liver", "1 ": "Spleen"}},
        ]
    )
    for parsed in (parse_json(text), parse_json_array_stream([text[:50], text[50:]])):
        first, second, typed, _named = parsed.data  # type: ignore[union-attr]
        assert first["segmentMap"] is second["segmentMap"]
        assert first is not second  # equal tasks and series stay apart: facts keep them by identity
        # Values of other types are never merged: `1`, `1.0` and `true` are equal in Python.
        assert [type(typed[key]["1"]) for key in ("segmentMap", "other", "third")] == [int, float, bool]


def test_a_label_map_with_repeated_keys_is_reported_and_not_shared():
    text = '[{"segmentMap": {"1": "Liver", "1": "Spleen"}}, {"segmentMap": {"1": "Spleen"}}]'
    parsed = parse_json(text)
    assert not isinstance(parsed, SyntaxProblem)
    assert parsed.duplicate_keys == [("/0/segmentMap", "1")]
    assert parsed.data[0]["segmentMap"] is not parsed.data[1]["segmentMap"]
