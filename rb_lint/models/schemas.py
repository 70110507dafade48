"""The JSON Schemas rb-lint ships, generated from the pydantic models (never edited by hand).

`python -m rb_lint.models.schemas` rewrites `schemas/`; a test fails when a file there drifts from its model.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from rb_lint.models import kinds

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


def _model(name: str) -> Any:
    module, attribute = name.split(":")
    return getattr(importlib.import_module(f"rb_lint.models.{module}"), attribute)


def schema_for_kind(kind: str) -> FormatSchema | None:
    return next((s for s in SCHEMAS.values() if s.kind == kind), None)


def render(schema: FormatSchema) -> str:
    return json.dumps(schema.json_schema(), indent=2, sort_keys=True) + "\n"


def schema_directory() -> Path:
    return Path(__file__).resolve().parents[2] / "schemas"


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for schema in SCHEMAS.values():
        target = directory / f"{schema.name}.json"
        target.write_text(render(schema), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else schema_directory()
    for path in write_all(out):
        print(path)
