"""The stored validators (`rb_lint.core.stored_schemas`): generated from the models, drift-tested,
used only when up to date, and accepting exactly what the models accept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rb_lint.core import config, stored_schemas
from rb_lint.models import stored_checks
from rb_lint.models.schemas import SCHEMAS, stored_check, stored_config_check

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REGENERATE = "run `python -m rb_lint.models.schemas`"
STORED = {name for name, schema in SCHEMAS.items() if schema.element_name is not None}
# Each kind's examples (valid or not): the property test below changes one value of one of them.
SEED_ELEMENTS = {
    name: [element for file in files for element in json.loads((EXAMPLES / file).read_text(encoding="utf-8"))]
    for name, files in {
        "items-list": ["items/brain-mri.json", "items/abdomen-ct-batch1.json", "items/abdomen-ct-dicom.json"],
        "tasks-export": ["consensus-export/tasks.json", "export-folder/tasks.json"],
        "datagym": ["datagym/export.json"],
    }.items()
}


def _assert_up_to_date(path: Path, sources: list[Path], regenerated: Callable[[], str]) -> None:
    """The file is made from the sources as they are, and is what the installed pydantic makes of
    them: byte for byte, whichever pydantic version this runs with."""
    assert path.exists(), f"{path} is missing: {REGENERATE}"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["sources"] == stored_schemas.sources_digest(sources), f"{path} is out of date: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == regenerated(), f"{path} drifted: {REGENERATE}"
    assert stored_schemas.load(path, sources) is not None


@pytest.mark.parametrize("name", sorted(STORED))
def test_stored_element_check_matches_the_models(name: str) -> None:
    path = stored_checks.FOLDER / f"{name}.json"
    _assert_up_to_date(path, stored_checks.sources(), lambda: stored_check(SCHEMAS[name]) or "")


def test_stored_config_check_matches_the_models() -> None:
    _assert_up_to_date(config.CONFIG_CHECK, config.config_check_sources(), stored_config_check)


def test_no_stray_stored_checks() -> None:
    assert {p.name for p in stored_checks.FOLDER.iterdir()} == {f"{name}.json" for name in STORED}


def test_a_stored_validator_made_from_other_sources_or_broken_is_not_used(tmp_path: Path) -> None:
    stored = json.loads((stored_checks.FOLDER / "items-list.json").read_text(encoding="utf-8"))
    path, sources = tmp_path / "items-list.json", stored_checks.sources()
    for changed in ({"sources": "0" * 64}, {"schema": {"type": "nonsense"}}, {"config": 1}):
        path.write_text(json.dumps({**stored, **changed}), encoding="utf-8")
        assert stored_schemas.load(path, sources) is None, changed
    path.write_text("{", encoding="utf-8")
    assert stored_schemas.load(path, sources) is None
    path.unlink()
    assert stored_schemas.load(path, sources) is None


def test_only_functions_and_classes_of_rb_lint_are_stored_or_loaded() -> None:
    with pytest.raises(TypeError, match="only functions and classes of rb_lint"):
        stored_schemas.stored_form("x", {"function": lambda value: value}, None, [])
    with pytest.raises(ImportError):
        stored_schemas._decoded({"$object": "os:system"})
    with pytest.raises(ImportError):
        stored_schemas._decoded({"$object": "rb_lint.core.config:Config.__class__.__subclasses__"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.sampled_from(["", "1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["1", "x"]), inner, max_size=2)
    ),
    max_leaves=6,
)


def _verdict(check: Callable[[Any], object], value: Any) -> tuple[bool, Any]:
    try:
        return True, check(value)
    except ValidationError:
        return False, None


def _with_one_value_replaced(data: st.DataObject, value: Any) -> Any:
    value = json.loads(json.dumps(value))
    paths = list(_paths(value))
    if paths:
        *parents, last = data.draw(st.sampled_from(paths))
        target = value
        for token in parents:
            target = target[token]
        target[last] = data.draw(json_values)
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for token, child in children:
        yield (*prefix, token)
        yield from _paths(child, (*prefix, token))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_stored_element_check_accepts_exactly_what_the_models_accept(data: st.DataObject) -> None:
    """Elements of each kind's examples, with one value replaced by anything."""
    name = data.draw(st.sampled_from(sorted(STORED)))
    element = _with_one_value_replaced(data, data.draw(st.sampled_from(SEED_ELEMENTS[name])))
    adapter, stored = SCHEMAS[name].element_adapter, stored_checks.load(name)
    assert stored is not None and adapter is not None
    assert _verdict(stored, element)[0] == _verdict(adapter.validate_python, element)[0]


CONFIG_TABLES = [
    {"fail-on": "warning", "extend-exclude": ["drafts/"], "masks": {"jobs": 2}},
    {"select": ["RB1"], "ignore": ["RB103"], "per-file-ignores": {"legacy/*.json": ["RB103"]}},
    {"severity": {"RB301": "info"}, "pointer-ignores": {"*.json": ["/*/priority"]}, "taxonomy": "t.json"},
    {"masks": {"max-uncompressed-bytes": 10, "cache-dir": "c", "affine-tolerance": 0.5, "executor": "dask"}},
    {"consensus": {"scale": 1, "pairwise-tolerance": 0.1}, "datagym": {"image-width": 10, "image-height": 5}},
    {"storage": {"default": "s3://b/prefix", "0b6a5b4e-3c1d-4f2a-9e8d-7c6b5a4f3e2d": "gs://c", "retries": 1}},
    {"storage": {"labels": "https://host/x", "endpoint-url": "http://127.0.0.1:9000", "anonymous": True}},
    {"masks": {"scheduler": "tcp://10.0.0.1:8786"}},
]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_stored_config_check_gives_what_the_models_give(data: st.DataObject) -> None:
    """The same Config, or an error for the same tables, as `Config.model_validate`."""
    table = _with_one_value_replaced(data, data.draw(st.sampled_from(CONFIG_TABLES)))
    stored = stored_schemas.load(config.CONFIG_CHECK, config.config_check_sources())
    assert stored is not None
    assert _verdict(stored, table) == _verdict(config.Config.model_validate, table)


@pytest.mark.parametrize("table", CONFIG_TABLES)
def test_parse_config_words_errors_as_before_and_returns_the_models_config(table: dict[str, Any]) -> None:
    try:
        expected: Any = config.Config.model_validate(table)
    except ValidationError:
        with pytest.raises(config.ConfigError):
            config.parse_config(table)
        return
    assert config.parse_config(table) == expected
