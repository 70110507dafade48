"""The element pre-checks of `FormatSchema.element_check`, stored (see `core.stored_schemas`):
checking a list of valid elements builds no pydantic model.

Each file in `element_checks/` is the dicts-only core schema `FormatSchema` builds from the
models. It is used only when written from the modules of `rb_lint.models` as they are now."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rb_lint.core import stored_schemas

FOLDER = Path(__file__).resolve().parent / "element_checks"


def sources() -> list[Path]:
    """What the checks are made from: every module of `rb_lint.models`, and the storing itself."""
    return [*Path(__file__).resolve().parent.glob("*.py"), Path(stored_schemas.__file__)]


def stored_text(name: str, schema: Any, config: Mapping[str, Any]) -> str:
    """What `element_checks/<name>.json` holds for a dicts-only core schema and its config."""
    return stored_schemas.render(stored_schemas.stored_form(name, schema, config, sources()))


def load(name: str) -> Callable[[Any], object] | None:
    """The stored check of a kind's elements; None when there is none, or it is out of date."""
    return stored_schemas.load(FOLDER / f"{name}.json", sources())
