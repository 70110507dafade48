"""What a rule is: metadata plus a plain generator of `Hit`s.

A document rule is ``check(doc, ctx) -> Iterator[Hit]``; a project rule sees every document linted
together: ``check(docs, ctx) -> Iterator[Hit]`` and sets ``Hit.doc``. Documents are read one at a
time and released after their document rules ran, so a project rule runs when none is parsed any
more: it declares the per-document facts it uses (``needs=(task_names_of, ...)``, functions of one
document memoised with ``doc.memo``), which the engine computes while each document is parsed and
keeps; reading a released document's parsed data raises. The function's docstring is the
rule's documentation (`rb-lint rule CODE` prints it), so it says what is checked, why it matters and
shows a failing and a fixed example.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rb_lint.core.findings import Hit, Severity

if TYPE_CHECKING:
    from rb_lint.core.context import Context
    from rb_lint.core.target import Target

Scope = Literal["document", "project"]
CheckFunction = Callable[[Any, "Context"], Iterable[Hit]]
# A per-document fact a project rule needs: called with a parsed document of one of the rule's kinds.
DocumentFact = Callable[[Any], object]

DOC_SECTIONS = ("What", "Why", "Failing", "Fixed")
_SECTION = re.compile(r"^(What|Why|Failing|Fixed):[ \t]*", re.MULTILINE)
_CODE = re.compile(r"^RB\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    kinds: frozenset[str]
    scope: Scope
    check: CheckFunction
    needs: tuple[DocumentFact, ...] = ()  # project rules: facts kept of each document

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or self.summary)

    @property
    def sections(self) -> dict[str, str]:
        """The documentation's `What:`, `Why:`, `Failing:` and `Fixed:` sections (those present)."""
        return doc_sections(self.doc)

    def run(self, target: Any, ctx: Context) -> Iterator[Hit]:
        yield from self.check(target, ctx)


def rule(
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    kinds: Iterable[str],
    scope: Scope = "document",
    needs: Iterable[DocumentFact] = (),
) -> Callable[[CheckFunction], Rule]:
    """Declare a rule: its metadata, and the generator below it that finds problems. A project
    rule lists in `needs` the per-document facts it reads (see the module's docstring)."""
    if not _CODE.match(code) or not _NAME.match(name):
        raise ValueError(f"bad rule code or name: {code} {name}")
    declared = tuple(needs)
    if declared and scope != "project":
        raise ValueError(f"{code}: only a project rule declares the per-document facts it needs")

    def declare(check: CheckFunction) -> Rule:
        return Rule(code, name, severity, summary, frozenset(kinds), scope, check, declared)

    return declare


def emitted(code: str, name: str, severity: Severity, summary: str, doc: str) -> Rule:
    """A rule whose findings another layer emits (the JSON loader, the mask scanner).

    It is registered like any rule so that it can be selected, ignored, re-levelled and documented;
    its own check finds nothing.
    """

    def check(_target: Target, _ctx: Context) -> Iterator[Hit]:
        return iter(())

    check.__doc__ = doc
    # Like namedtuple: the rule belongs to the module that declares it (its documentation's home).
    check.__module__ = sys._getframe(1).f_globals.get("__name__", __name__)
    return Rule(code, name, severity, summary, frozenset(), "document", check)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule's documentation at its section headings; examples keep their indentation."""
    marks = list(_SECTION.finditer(doc))
    sections = {}
    for number, mark in enumerate(marks):
        end = marks[number + 1].start() if number + 1 < len(marks) else len(doc)
        body = doc[mark.end() : end]
        if mark.group(1) in ("Failing", "Fixed"):
            sections[mark.group(1)] = inspect.cleandoc(body)
        else:  # prose: one line per paragraph
            paragraphs = re.split(r"\n\s*\n", body.strip())
            sections[mark.group(1)] = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    return sections
