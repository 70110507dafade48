"""The explicit registry of every rule, family by family (codes are unique and sorted)."""

from __future__ import annotations

from rb_lint.core.rule import Rule
from rb_lint.rules import (
    consensus,
    datagym,
    dicom,
    export_folder,
    geometry,
    masks,
    names,
    parsing,
    storage,
    structure,
    taxonomy,
)

FAMILIES = {
    "parsing": parsing.RULES,  # RB0xx
    "structure": structure.RULES,  # RB1xx
    "names": names.RULES,  # RB2xx
    "masks": masks.RULES,  # RB3xx
    "taxonomy": taxonomy.RULES,  # RB4xx
    "consensus": consensus.RULES,  # RB5xx
    "export-folder": export_folder.RULES,  # RB55x
    "datagym": datagym.RULES,  # RB6xx
    "geometry": geometry.RULES,  # RB7xx
    "dicom": dicom.RULES,  # RB8xx
    "storage": storage.RULES,  # RB9xx
}

ALL_RULES: list[Rule] = sorted((r for rules in FAMILIES.values() for r in rules), key=lambda r: r.code)
BY_CODE: dict[str, Rule] = {r.code: r for r in ALL_RULES}
BY_NAME: dict[str, Rule] = {r.name: r for r in ALL_RULES}

if len(BY_CODE) != len(ALL_RULES) or len(BY_NAME) != len(ALL_RULES):  # pragma: no cover
    raise RuntimeError("two rules share a code or a name")


def find_rule(code_or_name: str) -> Rule | None:
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
