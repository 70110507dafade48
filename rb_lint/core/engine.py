"""Run the selected rules over documents and turn their hits into positioned, filtered findings."""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rb_lint.core.config import ConfigError, Selection, check_codes, relative_posix
from rb_lint.core.context import Context
from rb_lint.core.findings import Finding, Hit, Severity
from rb_lint.core.globs import GlobError, PathGlobs, PointerIgnore, path_globs, pointer_ignore
from rb_lint.core.memo import Memo
from rb_lint.core.rule import Rule
from rb_lint.core.target import Target

if TYPE_CHECKING:
    from rb_lint.core.fixes import Fix


@dataclass
class Report:
    findings: list[Finding]
    files: list[str]
    rules: list[Rule]
    root: Path
    errors: list[str] = field(default_factory=list)  # internal errors: exit code 2

    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(Severity, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def failing(self, fail_on: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= fail_on]

    def exit_code(self, fail_on: Severity) -> int:
        if self.errors:
            return 2
        return 1 if self.failing(fail_on) else 0

    def to_dict(self) -> dict[str, Any]:
        """Everything a reporter reads, as JSON values (`from_dict` makes the report again): rules
        by code, and no finding's fix (only `--show-fixes` shows one)."""
        return {
            "findings": [{**f.to_dict(), "fingerprint_key": f.fingerprint_key} for f in self.findings],
            "files": list(self.files),
            "rules": [rule.code for rule in self.rules],
            "root": str(self.root),
            "errors": list(self.errors),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], rules: Mapping[str, Rule]) -> Report:
        """The report `to_dict()` wrote; `rules`: every rule by code (KeyError for an unknown one)."""
        return cls(
            findings=[Finding.from_dict(finding) for finding in data["findings"]],
            files=[str(path) for path in data["files"]],
            rules=[rules[code] for code in data["rules"]],
            root=Path(data["root"]),
            errors=[str(error) for error in data["errors"]],
        )


@dataclass
class RuleFilter:
    """Everything configuration says about which findings are kept and at what severity."""

    registry: list[Rule]  # every rule, in code order
    selection: Selection
    per_file_ignores: dict[str, list[str]]
    pointer_ignores: dict[str, list[str]]
    severities: dict[str, Severity]
    # The patterns, compiled once (`rb_lint.core.globs`), not per finding.
    _file_globs: list[tuple[PathGlobs, list[str]]] = field(init=False, repr=False, default_factory=list)
    _pointer_globs: list[tuple[PointerIgnore, list[str]]] = field(
        init=False, repr=False, default_factory=list
    )

    def __post_init__(self) -> None:
        for pattern, codes in self.per_file_ignores.items():
            try:
                self._file_globs.append((path_globs((pattern,), negation=False), codes))
            except GlobError as error:
                raise ConfigError(f"per-file-ignores: {error}") from None
        for pattern, codes in self.pointer_ignores.items():
            try:
                self._pointer_globs.append((pointer_ignore(pattern), codes))
            except GlobError as error:
                raise ConfigError(f"pointer-ignores: {error}") from None

    def selected_rules(self) -> list[Rule]:
        return [r for r in self.registry if self.selection.enabled(r.code)]

    def keeps(self, code: str, relative_path: str, pointer: str) -> bool:
        for globs, codes in self._file_globs:
            if _matches_code(code, codes) and globs.matches(relative_path):
                return False
        for ignore, codes in self._pointer_globs:
            if _matches_code(code, codes) and ignore.matches(relative_path, pointer):
                return False
        return True

    def severity(self, rule: Rule) -> Severity:
        return self.severities.get(rule.code, rule.severity)


def _matches_code(code: str, prefixes: list[str]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


def build_filter(
    ctx: Context,
    registry: list[Rule],
    select: list[str] | None = None,
    ignore: Iterable[str] = (),
    extend_select: Iterable[str] = (),
) -> RuleFilter:
    config = ctx.config
    chosen = list(select) if select is not None else list(config.select or ["RB"])
    chosen += list(config.extend_select) + list(extend_select)
    dropped = list(config.ignore) + list(ignore)
    known = [r.code for r in registry]
    check_codes(chosen, known, "select")
    check_codes(dropped, known, "ignore")
    for pattern, codes in config.per_file_ignores.items():
        check_codes(codes, known, f"per-file-ignores `{pattern}`")
    for pattern, codes in config.pointer_ignores.items():
        check_codes(codes, known, f"pointer-ignores `{pattern}`")
    check_codes(config.severity, known, "severity", exact=True)
    severities = {code: Severity.parse(level) for code, level in config.severity.items()}
    return RuleFilter(
        registry, Selection(chosen, dropped), config.per_file_ignores, config.pointer_ignores, severities
    )


def run(documents: Sequence[Target], ctx: Context, rule_filter: RuleFilter) -> Report:
    """Lint documents one at a time: each is loaded, its document rules run, the facts the project
    rules declared they need are computed, then it is released before the next is read; the
    project rules run last, on what was kept. So at most one document is parsed at a time (plus
    pinned taxonomies), however many are linted."""
    try:
        return _run(documents, ctx, rule_filter)
    finally:
        for doc in documents:  # the project rules have run: what was kept for them can go
            doc.memo.forget()
        # Parsing freezes the collector's objects (`collector_paused`), garbage cycles included: in a
        # long-lived process (the service, the language server) they must become collectable again.
        gc.unfreeze()


def _run(documents: Sequence[Target], ctx: Context, rule_filter: RuleFilter) -> Report:
    rules = rule_filter.selected_rules()
    hits: dict[int, list[tuple[Rule, Hit]]] = defaultdict(list)
    errors: list[str] = []
    by_id = {id(doc): doc for doc in documents}
    project = [r for r in rules if r.scope == "project"]
    for doc in documents:
        doc.load()
        hits[id(doc)].extend(_load_problems(doc, rule_filter, rules, errors))
        if doc.parsed:
            for rule in rules:
                if rule.scope == "document" and doc.kind in rule.kinds:
                    hits[id(doc)].extend(_run_guarded(rule, doc, ctx, doc.display_path, errors))
            _keep_needs(doc, project)
        doc.release()  # the parsed data is no longer needed; positions may re-read the text
        if ctx.options.observer is not None:  # may raise RunCancelled: the run stops here
            ctx.options.observer.document_done(_size_on_disk(doc.path, follow=not ctx.options.confine))
    for rule in project:
        for _rule, hit in _run_guarded(rule, documents, ctx, "project", errors):
            if hit.doc is None or id(hit.doc) not in by_id:
                errors.append(
                    f"project: rule {rule.code} ({rule.name}) reported a finding "
                    f"without one of the linted documents at `{hit.pointer}`"
                )
            else:
                hits[id(hit.doc)].append((rule, hit))
    findings = []
    for doc_id, doc_hits in hits.items():
        if doc_hits:
            doc = by_id[doc_id]
            findings.extend(_findings(doc, doc_hits, ctx, rule_filter, errors))
            doc.forget_text()  # a file's text is read again for its positions, then dropped
    findings.sort(key=Finding.sort_key)
    return Report(findings, [d.display_path for d in documents], rules, ctx.root, errors)


def _size_on_disk(path: Path, follow: bool) -> int:
    """A confined run never looks behind a link (its target may be outside the root)."""
    try:
        return (os.stat(path) if follow else os.lstat(path)).st_size
    except (OSError, ValueError):  # in memory only, or a name the OS refuses
        return 0


def _keep_needs(doc: Target, project: list[Rule]) -> None:
    """Compute, while the document is parsed, the per-document facts the project rules need, and
    mark them to outlive its release. A fact that fails is memoised as failed: the project rule
    that reads it reports the failure as its internal error."""
    with doc.memo.keeping():
        for rule in project:
            if doc.kind not in rule.kinds:
                continue
            for fact in rule.needs:
                try:
                    fact(doc)
                except Exception:  # memoised as failed: raised again to the rule that asks
                    continue


def _load_problems(
    doc: Target, rule_filter: RuleFilter, rules: list[Rule], errors: list[str]
) -> list[tuple[Rule, Hit]]:
    """Problems the reader found, reported under their (registered) parsing-family rules."""
    registered = {r.code: r for r in rule_filter.registry}
    enabled = {r.code for r in rules}
    found = []
    for problem in doc.load_problems:
        rule = registered.get(problem.code)
        if rule is None:
            errors.append(f"{doc.display_path}: the reader reported `{problem.code}`, which is no rule")
        elif rule.code in enabled:
            found.append((rule, problem.hit))
    return found


def _run_guarded(
    rule: Rule, target: object, ctx: Context, where: str, errors: list[str]
) -> list[tuple[Rule, Hit]]:
    """A crashing rule must not take the run down: it becomes that rule's internal error (exit 2)
    and every other rule still reports."""
    try:
        return [(rule, hit) for hit in rule.run(target, ctx)]
    except ConfigError:
        raise  # a usage problem a rule ran into (an unreadable --taxonomy): exit 2, cleanly
    except Exception as error:
        import traceback  # only when a rule crashes: not at every start-up

        detail = traceback.format_exc() if ctx.options.verbose else ""
        errors.append(
            f"{where}: rule {rule.code} ({rule.name}) failed: "
            f"{type(error).__name__}: {error}\n{detail}".rstrip()
        )
        return []


def _findings(
    doc: Target, doc_hits: list[tuple[Rule, Hit]], ctx: Context, rule_filter: RuleFilter, errors: list[str]
) -> list[Finding]:
    relative = relative_posix(doc.path, ctx.root)
    kept = [(r, h) for r, h in doc_hits if rule_filter.keeps(r.code, relative, h.pointer)]
    positions = doc.positions(h for _r, h in kept)
    fix_memo = Memo()  # the text and spans the fixes of this document share; dropped with it
    findings = []
    for rule, hit in kept:
        if id(hit) not in positions:  # a rule reported a pointer that is not in the document
            errors.append(
                f"{doc.display_path}: rule {rule.code} ({rule.name}) reported "
                f"`{hit.pointer}` ({hit.at}), which is not in the document"
            )
            continue
        line, column = positions[id(hit)]
        findings.append(
            Finding(
                rule.code,
                rule.name,
                rule_filter.severity(rule),
                hit.message,
                doc.display_path,
                line,
                column,
                hit.pointer,
                hit.key if hit.key is not None else hit.pointer,
                _resolved_fix(rule, hit, doc, fix_memo, errors),
            )
        )
    return findings


def _resolved_fix(rule: Rule, hit: Hit, doc: Target, memo: Memo, errors: list[str]) -> Fix | None:
    """The edits a hit's fix plan makes on this document's text; a plan that fails is the rule's
    internal error (the finding stays, without a fix)."""
    if hit.fix is None:
        return None
    try:
        return hit.fix.resolve(doc, memo)
    except Exception as error:
        errors.append(
            f"{doc.display_path}: the fix of rule {rule.code} ({rule.name}) at `{hit.pointer}` "
            f"failed: {type(error).__name__}: {error}"
        )
        return None
