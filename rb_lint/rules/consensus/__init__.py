"""RB500–RB549: consensus exports — annotators, their pairwise scores, and the scale of the scores.

A consensus task (`consensus: true`) has one `consensusTasks` entry per annotator. Once consensus is
computed every entry carries `scores`: one `{secondaryUser | secondaryUserEmail, score}` per other
annotator, and the task a `consensusScore`. The SDK writes both multiplied by 100 (0–100).
Missing keys and wrong types are the structure rules' business (RB101, RB102); these rules check
what a schema cannot: counts, cross-references, scales and pairs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS, is_consensus_task

ERROR, WARNING = Severity.ERROR, Severity.WARNING
SECONDARY_KEYS = ("secondaryUser", "secondaryUserEmail", "secondaryUserId")
SELF, UNKNOWN, UNNAMED, REPEAT = "self", "unknown", "unnamed", "repeat"


@dataclass
class Annotator:
    index: int
    pointer: str
    entry: dict[str, Any]
    name: str  # `updatedBy`, or `entry <i>` when it is not a string
    ids: frozenset[str]  # what a score may name this annotator by (`updatedBy`, `updatedByUserId`)


@dataclass
class Score:
    """One element of an entry's `scores`, resolved to the annotator it names."""

    owner: int
    pointer: str
    user: str | None  # the name the score gives, as written
    user_pointer: str
    value: float | None
    shown: str  # the value as written
    target: int | None = None  # the other annotator, when the score names one validly
    problem: str | None = None  # SELF, UNKNOWN, UNNAMED or REPEAT
    first: int | None = None  # for REPEAT: index of the earlier score of the same annotator


@dataclass
class ConsensusTask:
    pointer: str
    name: str
    task: dict[str, Any]
    annotators: list[Annotator]
    duplicated: bool  # an `updatedBy` repeats: scores cannot be attributed reliably
    scores: dict[int, list[Score]] = field(default_factory=dict)  # entries whose `scores` is a list
    invalid: dict[int, int] = field(default_factory=dict)  # non-object elements per entry

    def missing_for(self, owner: int) -> list[str]:
        """Annotators this entry has no valid score for."""
        covered = {s.target for s in self.scores.get(owner, []) if s.target is not None}
        return [a.name for a in self.annotators if a.index != owner and a.index not in covered]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _show(raw: Any) -> str:
    """A number as the file writes it (91.0 stays 91.0, 87 stays 87)."""
    return json.dumps(raw)


def _names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def consensus_tasks(doc: Document) -> list[ConsensusTask]:
    """Every `consensus: true` task with a `consensusTasks` list, analysed once per document."""
    return doc.memo(_consensus_tasks, doc)


def _consensus_tasks(doc: Document) -> list[ConsensusTask]:
    return [_analyse(pointer, task) for pointer, task in walk.tasks(doc)
            if is_consensus_task(task) and isinstance(task.get("consensusTasks"), list)]


def _analyse(pointer: str, task: dict[str, Any]) -> ConsensusTask:
    annotators = []
    for index, entry in enumerate(task["consensusTasks"]):
        if not isinstance(entry, dict):
            continue
        by = entry.get("updatedBy")
        ids = {v for v in (by, entry.get("updatedByUserId")) if isinstance(v, str) and v}
        annotators.append(Annotator(index, join_pointer(pointer, "consensusTasks", index), entry,
                                    by if isinstance(by, str) else f"entry {index}", frozenset(ids)))
    named = [a.entry.get("updatedBy") for a in annotators if isinstance(a.entry.get("updatedBy"), str)]
    name = task.get("name")
    result = ConsensusTask(pointer, name if isinstance(name, str) else pointer, task, annotators,
                           len(named) != len(set(named)))
    for annotator in annotators:
        raw = annotator.entry.get("scores")
        if isinstance(raw, list):
            result.scores[annotator.index] = _resolve(annotator, raw, annotators)
            result.invalid[annotator.index] = sum(not isinstance(s, dict) for s in raw)
    return result


def _resolve(owner: Annotator, elements: list[Any], annotators: list[Annotator]) -> list[Score]:
    resolved: list[Score] = []
    seen: dict[int, int] = {}
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        pointer = join_pointer(owner.pointer, "scores", index)
        named = [k for k in SECONDARY_KEYS if isinstance(element.get(k), str) and element[k]]
        users = [element[k] for k in named]
        key = next(iter(named), next((k for k in SECONDARY_KEYS if k in element), None))
        raw = element.get("score")
        score = Score(owner.index, pointer, users[0] if users else None,
                      join_pointer(pointer, key) if key else pointer, _number(raw), _show(raw))
        matches = [a.index for a in annotators if a.ids & set(users)]
        if not users:
            score.problem = UNNAMED
        elif owner.index in matches:
            score.problem = SELF
        elif not matches:
            score.problem = UNKNOWN
        elif matches[0] in seen:
            score.problem, score.first = REPEAT, seen[matches[0]]
        else:
            score.target = matches[0]
            seen[matches[0]] = index
        resolved.append(score)
    return resolved


def _attributable(doc: Document) -> Iterator[ConsensusTask]:
    """Tasks whose scores can be attributed (no annotator appears twice: RB511 says so)."""
    for task in consensus_tasks(doc):
        if not task.duplicated:
            yield task


@rule("RB500", "empty-consensus-tasks", ERROR,
      "A consensus task must have at least one `consensusTasks` entry.", kinds=TASK_KINDS)
def empty_consensus_tasks(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A task marked `consensus: true` whose `consensusTasks` is an empty list. The export writes one
    entry per annotator, so an empty list means the annotations were lost (typically a filtered or
    hand-edited export): nothing of the task's labels is left. (A missing `consensusTasks` is
    reported by RB101.)

    Failing:
        {"name": "p1", "consensus": true, "consensusTasks": []}
    Fixed:
        {"name": "p1", "consensus": true, "consensusTasks": [{"updatedBy": "a@x.org",
         "series": [...]}]}
    """
    for task in consensus_tasks(doc):
        if not task.task["consensusTasks"]:
            yield Hit("`consensus: true` but `consensusTasks` is empty: a consensus export has one "
                      "entry per annotator; re-export the task, or drop `consensus` if it was "
                      "labeled once", join_pointer(task.pointer, "consensusTasks"),
                      key=f"consensus:{task.name}")


@rule("RB501", "consensus-score-count", ERROR,
      "Each annotator's `scores` must have one entry per other annotator (n − 1).",
      kinds=TASK_KINDS)
def consensus_score_count(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With n annotators, each `consensusTasks` entry's `scores` compares it with every other
    annotator: n − 1 entries. Fewer means a pair was never scored (or was deleted), which biases
    every inter-rater statistic built on the file. Entries that another rule already explains
    (a self-score RB502, an unknown user RB503, a repeat RB504, a non-object RB102) are not
    counted twice: this rule reports only what removing them would not fix. Entries without
    `scores` (consensus not computed yet) are not checked.

    Failing (three annotators):
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 81.2}]}
    Fixed:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 81.2},
                                            {"secondaryUser": "c@x.org", "score": 77.9}]}
    """
    for task in _attributable(doc):
        expected = len(task.annotators) - 1
        for owner, scores in task.scores.items():
            count = len(scores) + task.invalid[owner]
            flagged = task.invalid[owner] + sum(s.problem is not None for s in scores)
            if count == expected or (count > expected and count - flagged <= expected):
                continue
            missing = task.missing_for(owner)
            hint = f"; no score for {_names(missing)}" if missing and count < expected else ""
            entries = "entry" if count == 1 else "entries"
            pointer = join_pointer(task.pointer, "consensusTasks", owner, "scores")
            yield Hit(f"`scores` has {count} {entries}, {expected} expected: this task has "
                      f"{len(task.annotators)} annotators and each entry scores every other "
                      f"one{hint}", pointer, key=f"scores:{task.name}:{owner}")


@rule("RB502", "self-score", ERROR, "An annotator is scored against itself.", kinds=TASK_KINDS)
def self_score(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A score whose secondary user (`secondaryUser` or `secondaryUserEmail`) is the entry's own
    `updatedBy`. A score compares two different annotators; a self-score is always 100 and
    inflates the task's agreement.

    Failing:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "a@x.org", "score": 100.0}]}
    Fixed:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 84.0}]}
    """
    for task in _attributable(doc):
        for owner, scores in task.scores.items():
            for score in scores:
                if score.problem == SELF:
                    yield Hit(f"`{score.user}` is scored against itself: each score compares this "
                              f"entry's annotator with another one{_instead(task, owner)}",
                              score.user_pointer, key=f"self:{task.name}:{score.pointer}")


def _instead(task: ConsensusTask, owner: int) -> str:
    missing = task.missing_for(owner)
    if len(missing) == 1:
        return f"; did you mean {_names(missing)}, the annotator this entry has no score for?"
    if missing:
        return f"; this entry has no score for {_names(missing)}"
    return "; remove it"


@rule("RB503", "unknown-secondary-user", ERROR,
      "A score names no annotator of the task.", kinds=TASK_KINDS)
def unknown_secondary_user(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A score's secondary user (`secondaryUser`, `secondaryUserEmail` or `secondaryUserId`, all
    accepted) matches no `updatedBy` (or `updatedByUserId`) of the task's `consensusTasks`, or
    the score names nobody. Such a score belongs to no pair: typically an annotator was removed
    from the export but their scores were kept, or an email was mistyped.

    Failing (annotators a@x.org and b@x.org):
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.com", "score": 84.0}]}
    Fixed:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 84.0}]}
    """
    for task in _attributable(doc):
        for owner, scores in task.scores.items():
            for score in scores:
                if score.problem == UNNAMED:
                    yield Hit("this score names no `secondaryUser` (or `secondaryUserEmail`): it "
                              "cannot be attributed to a pair of annotators; add the other "
                              f"annotator's email{_instead(task, owner)}", score.pointer,
                              key=f"unnamed:{task.name}:{score.pointer}")
                elif score.problem == UNKNOWN:
                    others = [a.name for a in task.annotators if a.index != owner]
                    yield Hit(f"`{score.user}` is not an annotator of this task (the others are "
                              f"{_names(others) or 'none'}){_instead(task, owner)}",
                              score.user_pointer, key=f"unknown:{task.name}:{score.pointer}")


@rule("RB504", "duplicate-secondary-user", ERROR,
      "An annotator is scored twice in one entry.", kinds=TASK_KINDS)
def duplicate_secondary_user(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    One entry's `scores` names the same other annotator twice. Each pair has one score; a repeat
    double-counts it in any average (and often hides a pair that was never scored).

    Failing:
        "scores": [{"secondaryUser": "b@x.org", "score": 84.0},
                   {"secondaryUser": "b@x.org", "score": 84.0}]
    Fixed:
        "scores": [{"secondaryUser": "b@x.org", "score": 84.0},
                   {"secondaryUser": "c@x.org", "score": 79.5}]
    """
    for task in _attributable(doc):
        for owner, scores in task.scores.items():
            for score in scores:
                if score.problem == REPEAT:
                    yield Hit(f"`{score.user}` is already scored at `scores/{score.first}` of this "
                              f"entry: each other annotator is scored once{_instead(task, owner)}",
                              score.user_pointer, key=f"repeat:{task.name}:{score.pointer}")


@rule("RB511", "duplicate-annotator", ERROR,
      "An annotator appears twice in `consensusTasks`.", kinds=TASK_KINDS)
def duplicate_annotator(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Two `consensusTasks` entries of one task have the same `updatedBy`. The export writes one
    entry per annotator: a repeat (often two exports merged by hand) counts one person twice in
    agreement statistics and makes their scores ambiguous, so the score rules (RB501–RB504,
    RB508) skip such a task until this is fixed.

    Failing:
        "consensusTasks": [{"updatedBy": "a@x.org", ...}, {"updatedBy": "a@x.org", ...}]
    Fixed:
        "consensusTasks": [{"updatedBy": "a@x.org", ...}, {"updatedBy": "b@x.org", ...}]
    """
    for task in consensus_tasks(doc):
        first: dict[str, int] = {}
        for annotator in task.annotators:
            by = annotator.entry.get("updatedBy")
            if not isinstance(by, str):
                continue
            if by in first:
                yield Hit(f"annotator `{by}` already has entry {first[by]} of `consensusTasks`: "
                          "each annotator has exactly one entry; merge or remove the repeat",
                          join_pointer(annotator.pointer, "updatedBy"),
                          key=f"annotator:{task.name}:{by}:{annotator.index}")
            else:
                first[by] = annotator.index


# --- Scale -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    number: float
    shown: str
    pointer: str
    task: str


@dataclass
class ScaleReport:
    """Every score of a document, sorted by what the configured scale says about it."""

    scale: int
    values: list[Value] = field(default_factory=list)
    other: list[Value] = field(default_factory=list)  # looks like the other scale
    outside: list[Value] = field(default_factory=list)  # on no scale
    decisive: list[Value] = field(default_factory=list)  # only on the configured scale

    def whole_file_other(self) -> bool:
        return bool(self.other) and not self.decisive

    def flagged(self) -> set[str]:
        return {v.pointer for v in self.other + self.outside}


def _scale_label(scale: int) -> str:
    return "0–100" if scale == 100 else "0–1"


def scale_report(doc: Document, ctx: Context) -> ScaleReport:
    return doc.memo(_scale_report, doc, ctx.config.consensus.scale)


def _scale_report(doc: Document, scale: float) -> ScaleReport:
    report = ScaleReport(scale)
    for task in consensus_tasks(doc):
        report.values.extend(_values(task))
    for value in report.values:
        v = value.number
        if v < 0 or v > 100:
            report.outside.append(value)
        elif (scale == 100 and 0 < v < 1) or (scale == 1 and v > 1):
            report.other.append(value)
        elif (scale == 100 and v > 1) or (scale == 1 and 0 < v < 1):
            report.decisive.append(value)
    return report


def _values(task: ConsensusTask) -> Iterator[Value]:
    raw = task.task.get("consensusScore")
    overall = _number(raw)
    if overall is not None:
        yield Value(overall, _show(raw), join_pointer(task.pointer, "consensusScore"), task.name)
    for scores in task.scores.values():
        for score in scores:
            if score.value is not None:
                yield Value(score.value, score.shown, join_pointer(score.pointer, "score"), task.name)


def _fix(scale: int, count: int) -> str:
    what = "it" if count == 1 else "them"
    return f"multiply {what} by 100" if scale == 100 else f"divide {what} by 100"


@rule("RB505", "wrong-score-scale", ERROR,
      "The file's consensus scores are on a different scale than configured.", kinds=TASK_KINDS)
def wrong_score_scale(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Every consensus score in the file is on the other scale: 0–1 values (0.87) where the
    platform writes 0–100 (the SDK multiplies the agreement by 100), or 0–100 values with
    `scale = 1` configured. Mixed into a data set of real exports, such a file reads as near-zero
    agreement. Reported once per file, at the first score; a value strictly between 0 and 1 is
    taken as a 0–1 value (on 0–100 it would be an agreement below 1%), and 0 and 1 fit either.

    Failing (default `scale = 100`):
        "consensusScore": 0.87, "scores": [{"secondaryUser": "b@x.org", "score": 0.91}]
    Fixed:
        "consensusScore": 87.0, "scores": [{"secondaryUser": "b@x.org", "score": 91.0}]
        or, for a file kept on 0–1: `[tool.rb-lint.consensus] scale = 1`
    """
    report = scale_report(doc, ctx)
    if not report.whole_file_other():
        return
    first = report.other[0]
    if report.scale == 100:
        message = (f"every consensus score in this file is between 0 and 1 (e.g. {first.shown}), "
                   "but the platform writes them on a 0–100 scale: multiply them by 100, or set "
                   "`scale = 1` in `[tool.rb-lint.consensus]` if this file is meant to be 0–1")
    else:
        message = (f"the consensus scores in this file are on a 0–100 scale (e.g. {first.shown}) "
                   "but `scale = 1` is configured: set `scale = 100` (the platform's scale) or "
                   "divide them by 100")
    yield Hit(message, first.pointer, key="consensus-scale")


@rule("RB506", "mixed-score-scales", ERROR,
      "Consensus scores on 0–1 and on 0–100 in one file.", kinds=TASK_KINDS)
def mixed_score_scales(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The file holds scores on both scales: 0–1 values such as 0.87 beside 0–100 values such as
    91.0 (one converted by a script, a task merged from another tool). Averages over such a file
    are meaningless. The configured `scale` (default 100, the platform's) says which values are
    wrong; one finding per task, at its first wrong value, naming how many there are.

    Failing:
        "consensusScore": 0.87, "scores": [{"secondaryUser": "b@x.org", "score": 91.0}]
    Fixed:
        "consensusScore": 87.0, "scores": [{"secondaryUser": "b@x.org", "score": 91.0}]
    """
    report = scale_report(doc, ctx)
    if report.whole_file_other() or not report.other:
        return
    example = report.decisive[0].shown
    by_task: dict[str, list[Value]] = {}
    for value in report.other:
        by_task.setdefault(value.task, []).append(value)
    label = _scale_label(report.scale)
    other_label = _scale_label(1 if report.scale == 100 else 100)
    for task, values in by_task.items():
        first = values[0]
        more = f" (and {len(values) - 1} more in this task)" if len(values) > 1 else ""
        yield Hit(f"{first.shown} is a {other_label} value{more} in a file on the {label} scale "
                  f"(e.g. {example}): consensus scores must be on one scale, the platform's is "
                  f"0–100; {_fix(report.scale, len(values))}", first.pointer, key=f"mixed-scale:{task}")


@rule("RB507", "score-out-of-range", ERROR,
      "A consensus score is outside the scale (below 0 or above 100).", kinds=TASK_KINDS)
def score_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A `score` or `consensusScore` below 0 or above 100: agreement is a percentage (0–100 as the
    platform writes it; 0–1 with `scale = 1`). Values between 1 and 100 with `scale = 1` are
    reported as a scale problem (RB505/RB506) instead.

    Failing:
        "scores": [{"secondaryUser": "b@x.org", "score": 8700}]
    Fixed:
        "scores": [{"secondaryUser": "b@x.org", "score": 87.0}]
    """
    report = scale_report(doc, ctx)
    label = _scale_label(report.scale)
    for value in report.outside:
        yield Hit(f"{value.shown} is outside the {label} scale of consensus scores: agreement "
                  f"is between 0 and {report.scale}", value.pointer, key=f"range:{value.pointer}")


@rule("RB508", "asymmetric-pairwise-score", WARNING,
      "score(a, b) and score(b, a) differ.", kinds=TASK_KINDS)
def asymmetric_pairwise_score(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Agreement between two annotators is symmetric: the platform computes one score per pair and
    writes it in both entries. When a's score for b and b's score for a differ by more than
    `pairwise-tolerance` (default 1% of the scale), one of them was edited or comes from another
    export. Reported once per pair, at the later entry's score. Values already reported as on
    the wrong scale or out of range are skipped.

    Failing:
        a: {"secondaryUser": "b@x.org", "score": 82.0}   b: {"secondaryUser": "a@x.org", "score": 64.5}
    Fixed:
        a: {"secondaryUser": "b@x.org", "score": 82.0}   b: {"secondaryUser": "a@x.org", "score": 82.0}
    """
    config = ctx.config.consensus
    tolerance = config.pairwise_tolerance if config.pairwise_tolerance is not None else config.scale / 100
    flagged = scale_report(doc, ctx).flagged()
    for task in _attributable(doc):
        pairs: dict[tuple[int, int], Score] = {}
        for scores in task.scores.values():
            for score in scores:
                if (score.target is not None and score.value is not None
                        and join_pointer(score.pointer, "score") not in flagged):
                    pairs[(score.owner, score.target)] = score
        for (owner, target), score in sorted(pairs.items()):
            back = pairs.get((target, owner))
            if owner < target or back is None or back.value is None or score.value is None:
                continue
            if abs(score.value - back.value) > tolerance:
                names = {a.index: a.name for a in task.annotators}
                yield Hit(f"`{names[owner]}` scored `{names[target]}` {score.shown} but "
                          f"`{names[target]}` scored `{names[owner]}` {back.shown}: a pair has one "
                          f"agreement score (difference {abs(score.value - back.value):g} > tolerance "
                          f"{tolerance:g}); re-export the task or undo the edit",
                          join_pointer(score.pointer, "score"),
                          key=f"pair:{task.name}:{names[target]}:{names[owner]}")


@rule("RB509", "consensus-score-single-annotator", WARNING,
      "`consensusScore` on a task with a single annotator.", kinds=TASK_KINDS)
def consensus_score_single_annotator(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The SDK writes `consensusScore` only when more than one annotator labeled the task. With a
    single `consensusTasks` entry there is no pair to agree, so the value is stale or invented and
    would count as perfect (or zero) agreement in statistics.

    Failing:
        {"consensus": true, "consensusScore": 100.0, "consensusTasks": [{"updatedBy": "a@x.org", ...}]}
    Fixed:
        {"consensus": true, "consensusTasks": [{"updatedBy": "a@x.org", ...}]}
    """
    for task in consensus_tasks(doc):
        if len(task.annotators) == 1 and "consensusScore" in task.task:
            yield Hit(f"`consensusScore` with a single annotator (`{task.annotators[0].name}`): "
                      "agreement needs at least two; remove it or add the other annotators' "
                      "entries", join_pointer(task.pointer, "consensusScore"), at="key",
                      key=f"single:{task.name}")


@rule("RB510", "missing-consensus-score", WARNING,
      "A scored consensus task has no `consensusScore`.", kinds=TASK_KINDS)
def missing_consensus_score(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The task has two or more annotators whose entries carry `scores` (consensus was computed), but
    no `consensusScore`: the SDK writes both together, so the overall score was dropped. Tools
    that rank tasks by agreement will skip or mis-rank it. (Entries without `scores`, as exported
    before consensus is computed, are fine.)

    Failing:
        {"consensus": true, "consensusTasks": [{"updatedBy": "a@x.org", "scores": [...]}, ...]}
    Fixed:
        {"consensus": true, "consensusScore": 84.3, "consensusTasks": [...]}
    """
    for task in consensus_tasks(doc):
        if len(task.annotators) >= 2 and task.scores and "consensusScore" not in task.task:
            yield Hit(f"{len(task.annotators)} annotators with `scores` but no `consensusScore`: "
                      "the export writes the overall agreement with the pairwise scores; "
                      "re-export the task or add `consensusScore`",
                      join_pointer(task.pointer, "consensusTasks"), at="key",
                      key=f"no-overall:{task.name}")


@rule("RB512", "consensus-series-mismatch", WARNING,
      "An annotator's or the super truth's series do not match the task's series.",
      kinds=TASK_KINDS)
def consensus_series_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Every annotator (and the `superTruth`) labels the same items, so their `series` lists are
    parallel to the task's `series` (the SDK fills each one's items from the task's series by
    position). A list of another length, or a series named differently at the same position,
    pairs masks with the wrong image. The reference is the task's own `series` when present, else
    the first annotator's.

    Failing:
        "series": [{"name": "T1", ...}, {"name": "T2", ...}],
        "consensusTasks": [{"updatedBy": "a@x.org", "series": [{"name": "T1", ...}]}]
    Fixed:
        "consensusTasks": [{"updatedBy": "a@x.org", "series": [{"name": "T1", ...}, {"name": "T2", ...}]}]
    """
    for task in consensus_tasks(doc):
        lists = _series_lists(task)
        if not lists:
            continue
        reference = lists[0]
        for owner, series in lists[1:]:
            yield from _compare_series(task, reference, owner, series)


def _series_lists(task: ConsensusTask) -> list[tuple[str, list[Any]]]:
    """(owner pointer, `series` list) of the task (when it has series), each annotator and the
    super truth, in that order."""
    lists: list[tuple[str, list[Any]]] = []
    own = task.task.get("series")
    if isinstance(own, list) and own:
        lists.append((task.pointer, own))
    for annotator in task.annotators:
        series = annotator.entry.get("series")
        if isinstance(series, list):
            lists.append((annotator.pointer, series))
    truth = task.task.get("superTruth")
    if isinstance(truth, dict) and isinstance(truth.get("series"), list):
        lists.append((join_pointer(task.pointer, "superTruth"), truth["series"]))
    return lists


def _owner_label(task: ConsensusTask, owner: str) -> str:
    if owner == task.pointer:
        return "the task"
    if owner.endswith("/superTruth"):
        return "`superTruth`"
    annotator = next(a for a in task.annotators if a.pointer == owner)
    return f"annotator `{annotator.name}`"


def _compare_series(task: ConsensusTask, reference: tuple[str, list[Any]], owner: str,
                    series: list[Any]) -> Iterator[Hit]:
    ref_owner, ref_series = reference
    what, against = _owner_label(task, owner), _owner_label(task, ref_owner)
    if len(series) != len(ref_series):
        yield Hit(f"{what} has {len(series)} series but {against} has {len(ref_series)}: "
                  "everyone labels the same items, so the series lists are parallel; add or "
                  "remove series to match", join_pointer(owner, "series"),
                  key=f"series-count:{task.name}:{owner}")
        return
    for index, (mine, theirs) in enumerate(zip(series, ref_series, strict=True)):
        name = mine.get("name") if isinstance(mine, dict) else None
        ref_name = theirs.get("name") if isinstance(theirs, dict) else None
        if isinstance(name, str) and isinstance(ref_name, str) and name != ref_name:
            yield Hit(f"series `{name}` of {what} is `{ref_name}` at the same position in "
                      f"{against}: series are matched by position; reorder or rename it",
                      join_pointer(owner, "series", index, "name"),
                      key=f"series-name:{task.name}:{owner}:{index}")


RULES = [
    empty_consensus_tasks, consensus_score_count, self_score, unknown_secondary_user,
    duplicate_secondary_user, wrong_score_scale, mixed_score_scales, score_out_of_range,
    asymmetric_pairwise_score, consensus_score_single_annotator, missing_consensus_score,
    duplicate_annotator, consensus_series_mismatch,
]
