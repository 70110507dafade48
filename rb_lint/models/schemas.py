"""The JSON Schemas rb-lint ships, generated from the pydantic models (never edited by hand).

`python -m rb_lint.models.schemas` rewrites `schemas/` and the stored validators (the element
checks in `rb_lint/models/element_checks/` and the config's, see `core.stored_schemas`); a test
fails when one of them drifts from its model.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import SchemaValidator, core_schema

from rb_lint.core import config, stored_schemas
from rb_lint.models import kinds, stored_checks

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URI = "https://rb-lint.dev/schemas/"


class _KeyPatternsAreStrict(GenerateJsonSchema):
    """A dict whose keys must match a pattern (segmentMap ids) rejects other keys in JSON Schema
    too, as pydantic does, instead of leaving them unchecked."""

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        result = super().dict_schema(schema)
        if "patternProperties" in result:
            result["additionalProperties"] = False
        return result


@dataclass(frozen=True)
class FormatSchema:
    name: str  # the document kind it describes (`--kind` and `rb-lint schema` spell kinds alike)
    kind: str
    title: str
    description: str
    # The types, as `module:name` in `rb_lint.models`: a kind's models are imported when its
    # documents are first validated (an items list does not import the DataGym models; issue 17).
    document_name: str
    element_name: str | None = None  # when set, a list document is validated element by element

    @cached_property
    def document_type(self) -> Any:
        return _model(self.document_name)

    @cached_property
    def element_type(self) -> Any:
        return _model(self.element_name) if self.element_name is not None else None

    @cached_property
    def document_adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.document_type)

    @cached_property
    def element_adapter(self) -> TypeAdapter[Any] | None:
        return TypeAdapter(self.element_type) if self.element_type is not None else None

    @cached_property
    def element_check(self) -> Callable[[Any], object] | None:
        """A validator that accepts exactly the elements `element_adapter` accepts, without making
        the model instances nor filling in their defaults (a list of 500,000 tasks has a million
        series, each a model with 22 fields, nearly all absent): for the elements without an
        error, nearly all. An element it rejects is validated again by `element_adapter`, whose
        errors are the ones reported. Stored in `element_checks/` (see `stored_checks`): a clean
        document builds no model."""
        if self.element_name is None:
            return None
        stored = stored_checks.load(self.name)
        if stored is not None:
            return stored
        dicts_only = self.dicts_only_check()
        if dicts_only is not None:
            return SchemaValidator(*dicts_only).validate_python
        adapter = self.element_adapter
        assert adapter is not None  # an element-wise kind
        return adapter.validator.validate_python

    def dicts_only_check(self) -> tuple[core_schema.CoreSchema, core_schema.CoreConfig] | None:
        """The core schema (and config) of `element_check`, built from the models; None when the
        models' own validator is needed (see `_Unexpected`)."""
        adapter = self.element_adapter
        if adapter is None:
            return None
        adapter.rebuild()  # the models build on first use (`defer_build`)
        configs: list[dict[str, Any]] = []
        try:
            dicts_only = _without_models(adapter.core_schema, configs)
        except _Unexpected:
            return None
        if not configs or any(each != configs[0] for each in configs):
            return None  # one config per model: not one for all
        return dicts_only, cast(core_schema.CoreConfig, configs[0])

    def json_schema(self) -> dict[str, Any]:
        body = self.document_adapter.json_schema(
            ref_template="#/$defs/{model}", schema_generator=_KeyPatternsAreStrict
        )
        return {
            "$schema": SCHEMA_DIALECT,
            "$id": f"{SCHEMA_BASE_URI}{self.name}.json",
            "title": self.title,
            "description": self.description,
            **body,
        }


SCHEMAS: dict[str, FormatSchema] = {
    s.name: s
    for s in (
        FormatSchema(
            kinds.ITEMS_LIST,
            kinds.ITEMS_LIST,
            "RedBrick items list",
            "A JSON array of tasks to upload with `redbrick upload` or the SDK.",
            "tasks:ItemsList",
            "tasks:UploadTask",
        ),
        FormatSchema(
            kinds.TASKS_EXPORT,
            kinds.TASKS_EXPORT,
            "RedBrick tasks.json export",
            "A JSON array of exported tasks, including consensus tasks; it can be re-uploaded.",
            "tasks:TasksExport",
            "tasks:AnyExportTask",
        ),
        FormatSchema(
            kinds.TAXONOMY,
            kinds.TAXONOMY,
            "RedBrick Taxonomy V2",
            "A RedBrick taxonomy (V2, `isNew: true`): object types, classifications, attributes.",
            "taxonomy:Taxonomy",
        ),
        FormatSchema(
            kinds.DATAGYM,
            kinds.DATAGYM,
            "DataGym label export",
            'A JSON array: element 0 is `{"label_classes": [...]}`, then one object per task '
            "(image tasks with `labels` and `global_classifications`, or video tasks).",
            "datagym:Export",
            "datagym:Element",
        ),
    )
}


class _Unexpected(Exception):
    """A model's schema holds what `_without_models` does not translate (aliases, computed
    fields, a default that is validated): `element_check` is then the models' own validator."""


def _without_models(node: Any, configs: list[dict[str, Any]]) -> Any:
    """A core schema with a typed dict in place of each model: the same checks of the same keys on
    a dict, which it returns instead of an instance. Each model's config (strict, no extra keys)
    is collected: the validator built on the result takes it for all of them."""
    if isinstance(node, list):
        return [_without_models(item, configs) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "model" and not node.get("custom_init") and not node.get("root_model"):
        config = {k: v for k, v in node.get("config", {}).items() if k != "title"}
        configs.append(config)
        checks = _typed_dict(node["schema"], config)
        if "ref" in node:
            checks["ref"] = node["ref"]  # what other schemas name it by
        return _without_models(checks, configs)
    return {key: _without_models(value, configs) for key, value in node.items()}


_FIELDS_KEYS = {"type", "fields", "model_name", "computed_fields"}


def _typed_dict(fields: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """A model's fields schema as a typed dict: a field with a default is one that may be absent
    (its default is never validated, so it is not filled in either)."""
    if fields.get("type") != "model-fields" or fields.get("computed_fields") or set(fields) - _FIELDS_KEYS:
        raise _Unexpected(fields.get("model_name"))
    typed = {}
    for name, field in fields["fields"].items():
        if field.get("type") != "model-field" or set(field) - {"type", "schema", "metadata"}:
            raise _Unexpected(name)
        checks, required = field["schema"], True
        if checks.get("type") == "default":
            if set(checks) - {"type", "schema", "default"}:
                raise _Unexpected(name)  # a default factory, or one that is validated
            checks, required = checks["schema"], False
        typed[name] = {"type": "typed-dict-field", "schema": checks, "required": required}
    # The model's config (strict, no extra keys) is the typed dict's: its fields are built with it.
    return {"type": "typed-dict", "fields": typed, "config": config}


def _model(name: str) -> Any:
    module, attribute = name.split(":")
    return getattr(importlib.import_module(f"rb_lint.models.{module}"), attribute)


def schema_for_kind(kind: str) -> FormatSchema | None:
    return next((s for s in SCHEMAS.values() if s.kind == kind), None)


def render(schema: FormatSchema) -> str:
    return json.dumps(schema.json_schema(), indent=2, sort_keys=True) + "\n"


def schema_directory() -> Path:
    return Path(__file__).resolve().parents[2] / "schemas"


def stored_check(schema: FormatSchema) -> str | None:
    """The text of `element_checks/<name>.json` (see `stored_checks`); None for a kind that has none."""
    dicts_only = schema.dicts_only_check()
    if dicts_only is None:
        return None
    return stored_checks.stored_text(schema.name, *dicts_only)


def stored_config_check() -> str:
    """The text of `config.CONFIG_CHECK`: the config model's own core schema."""
    config.Config.model_rebuild()  # the models build on first use (`defer_build`)
    schema = config.Config.__pydantic_core_schema__
    stored = stored_schemas.stored_form("config", schema, None, config.config_check_sources())
    return stored_schemas.render(stored)


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for schema in SCHEMAS.values():
        target = directory / f"{schema.name}.json"
        target.write_text(render(schema), encoding="utf-8")
        written.append(target)
    return written


def write_stored_checks(directory: Path = stored_checks.FOLDER) -> list[Path]:
    """`element_checks/` and the config's stored check (see `core.stored_schemas`)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for schema in SCHEMAS.values():
        text = stored_check(schema)
        if text is not None:
            target = directory / f"{schema.name}.json"
            target.write_text(text, encoding="utf-8")
            written.append(target)
    config.CONFIG_CHECK.write_text(stored_config_check(), encoding="utf-8")
    return [*written, config.CONFIG_CHECK]


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else schema_directory()
    for path in [*write_all(out), *write_stored_checks()]:
        print(path)
