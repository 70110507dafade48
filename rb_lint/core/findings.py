"""The objects every layer shares: severities, what a rule yields (`Hit`) and what is reported (`Finding`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rb_lint.core.fixes import Fix, FixPlan
    from rb_lint.core.target import Target

# Which part of the JSON at a pointer a position means (`rb_lint.io.jsonpos` has the same literal).
Part = Literal["value", "key", "first-key"]


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning or info") from None


@dataclass
class Hit:
    """One problem as a rule sees it: a message and where it is.

    The engine adds the rule's code, name and severity and turns the JSON pointer into a line and
    column. ``at`` says whether the position is the value at ``pointer`` or its key in the parent
    object (``first-key`` for the first of repeated keys). ``key`` is a logical key (a task name,
    a file) that makes the finding's fingerprint survive reformatting; it defaults to the pointer.
    ``offset`` is an exact character offset for problems that have no pointer (syntax errors).
    Project-wide rules set ``doc``. ``fix`` offers edits that repair the problem (see
    `rb_lint.core.fixes`); the engine resolves it into the finding's `Fix`.
    """

    message: str
    pointer: str = ""
    at: Part = "value"
    doc: Target | None = None
    key: str | None = None
    offset: int | None = None
    fix: FixPlan | None = None


@dataclass
class LoadProblem:
    """A problem found while reading a file, before any rule runs (a code of the parsing family)."""

    code: str
    hit: Hit


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    pointer: str
    fingerprint_key: str = field(default="", compare=False)
    # Edits that repair it, resolved against the file's text (never in reports but --show-fixes).
    fix: Fix | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """A finding from `to_dict()`'s fields (and `fingerprint_key` when given); never a fix."""
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            severity=Severity.parse(str(data["severity"])),
            message=str(data["message"]),
            path=str(data["path"]),
            line=int(data["line"]),
            column=int(data["column"]),
            pointer=str(data["pointer"]),
            fingerprint_key=str(data.get("fingerprint_key", "")),
        )
