"""Validate SARIF offline against the official SARIF 2.1.0 schema (OASIS errata01, draft-04)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = Draft4Validator(SCHEMA)


def validated(text: str) -> dict[str, Any]:
    """Parse SARIF text and assert that it has zero schema errors."""
    document = json.loads(text)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert not errors, "SARIF schema errors:\n" + "\n".join(errors[:20])
    return document
