"""Positions: the locator against the parsed data, and streaming against whole-text parsing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rb_lint.io.jsonpos import LineIndex, Locator, Part, join_pointer, parse_json, parse_json_array_stream

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
