"""The explicit registry of every rule, family by family (codes are unique and sorted).

Importing a family imports every fact its rules read (DICOM, geometry, mask grids, DataGym
shapes, ...), which a pre-commit hook would pay on every commit (issue 17, "Start-up"). So a run
starts from `index.json`, each rule's metadata written out by `python -m rb_lint.rules` (a test
checks it against the rules): `indexed_rules()` are stand-ins that import their family the first
time one of their rules is run (or its check, needs or documentation read), so the families no
linted document's kind needs are never imported. `ALL_RULES`, `BY_CODE`, `BY_NAME` and `FAMILIES`
are the real rules, every family imported on first use of one of them; `find_rule` imports one.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rb_lint.core.findings import Severity
from rb_lint.core.rule import CheckFunction, DocumentFact, Rule, Scope

# Family name -> the package listing its rules (`RULES`), in code order.
FAMILY_PACKAGES = {
    "parsing": "rb_lint.rules.parsing",  # RB0xx
    "structure": "rb_lint.rules.structure",  # RB1xx
    "names": "rb_lint.rules.names",  # RB2xx
    "masks": "rb_lint.rules.masks",  # RB3xx
    "taxonomy": "rb_lint.rules.taxonomy",  # RB4xx
    "consensus": "rb_lint.rules.consensus",  # RB5xx
    "export-folder": "rb_lint.rules.export_folder",  # RB55x
    "datagym": "rb_lint.rules.datagym",  # RB6xx
    "geometry": "rb_lint.rules.geometry",  # RB7xx
    "dicom": "rb_lint.rules.dicom",  # RB8xx
    "storage": "rb_lint.rules.storage",  # RB9xx
}
INDEX = Path(__file__).with_name("index.json")
_REGISTRY_NAMES = ("ALL_RULES", "BY_CODE", "BY_NAME", "FAMILIES")


def family_rules(family: str) -> list[Rule]:
    """The rules of one family, as its package lists them (importing it)."""
    rules: list[Rule] = importlib.import_module(FAMILY_PACKAGES[family]).RULES
    return rules


@cache
def _registry() -> dict[str, Any]:
    families = {family: family_rules(family) for family in FAMILY_PACKAGES}
    every = sorted((r for rules in families.values() for r in rules), key=lambda r: r.code)
    by_code = {r.code: r for r in every}
    by_name = {r.name: r for r in every}
    if len(by_code) != len(every) or len(by_name) != len(every):  # pragma: no cover
        raise RuntimeError("two rules share a code or a name")
    return {"ALL_RULES": every, "BY_CODE": by_code, "BY_NAME": by_name, "FAMILIES": families}


def __getattr__(name: str) -> Any:
    """`ALL_RULES`, `BY_CODE`, `BY_NAME`, `FAMILIES`: built (every family imported) on first use."""
    if name in _REGISTRY_NAMES:
        registry = _registry()
        globals().update(registry)  # later lookups find them without this hook
        return registry[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # what `__getattr__` gives
    ALL_RULES: list[Rule]
    BY_CODE: dict[str, Rule]
    BY_NAME: dict[str, Rule]
    FAMILIES: dict[str, list[Rule]]


def index_entry(rule: Rule, family: str) -> dict[str, Any]:
    """What the index says of one rule: everything but its check and the facts it needs."""
    return {
        "code": rule.code,
        "name": rule.name,
        "family": family,
        "severity": str(rule.severity),
        "summary": rule.summary,
        "kinds": sorted(rule.kinds),
        "scope": rule.scope,
    }


def build_index() -> list[dict[str, Any]]:
    """The index of the real rules, in code order (what `python -m rb_lint.rules` writes)."""
    entries = [index_entry(r, family) for family in FAMILY_PACKAGES for r in family_rules(family)]
    return sorted(entries, key=lambda entry: str(entry["code"]))


@cache
def index() -> tuple[dict[str, Any], ...]:
    """The generated index (`index.json`): one entry a rule, in code order."""
    entries: list[dict[str, Any]] = json.loads(INDEX.read_text(encoding="utf-8"))
    return tuple(entries)


class IndexedRule(Rule):
    """A rule as the index describes it. Its check, the facts it needs and its documentation are
    the real rule's: its family is imported the first time one of them is read, and the real rule
    is kept (a run reads them for every document)."""

    family: str

    def __init__(self, entry: dict[str, Any]) -> None:
        fields = {
            "code": entry["code"],
            "name": entry["name"],
            "severity": Severity.parse(entry["severity"]),
            "summary": entry["summary"],
            "kinds": frozenset(entry["kinds"]),
            "scope": cast(Scope, entry["scope"]),
            "family": entry["family"],
        }
        for key, value in fields.items():
            object.__setattr__(self, key, value)  # a frozen dataclass: set once, here

    @property
    def real(self) -> Rule:
        """The rule itself, its family imported on first use."""
        found: Rule | None = self.__dict__.get("_real")
        if found is None:
            found = next(r for r in family_rules(self.family) if r.code == self.code)
            object.__setattr__(self, "_real", found)
        return found

    @property  # read-only here: the real rule's
    def check(self) -> CheckFunction:
        return self.real.check

    @property
    def needs(self) -> tuple[DocumentFact, ...]:
        return self.real.needs

    # Compared and hashed as the object it is: the dataclass's would import the family.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"IndexedRule({self.code} {self.name}, family {self.family})"


@cache
def indexed_rules() -> list[Rule]:
    """Every rule, in code order, from the index: no family is imported until a rule of it runs."""
    return [IndexedRule(entry) for entry in index()]


def find_rule(code_or_name: str) -> Rule | None:
    """The real rule of a code or a name (importing its family only), or None."""
    code, name = code_or_name.upper(), code_or_name.lower()
    entry = next((e for e in index() if e["code"] == code), None) or next(
        (e for e in index() if e["name"] == name), None
    )
    if entry is None:
        return None
    return next(r for r in family_rules(entry["family"]) if r.code == entry["code"])
