"""Consensus tasks of a document: their annotators, their pairwise scores resolved to the annotators
they name, and every score value of the file (extraction only: the RB5xx rules judge).

A consensus task (`consensus: true`) has one `consensusTasks` entry per annotator. Once consensus is
computed every entry carries `scores`: one `{secondaryUser | secondaryUserEmail, score}` per other
annotator, and the task a `consensusScore`. The SDK writes both multiplied by 100 (0–100).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import is_consensus_task

SECONDARY_KEYS = ("secondaryUser", "secondaryUserEmail", "secondaryUserId")

# What a score's secondary user resolves to when it is not one other annotator named once.
Resolution = Literal["self", "unknown", "unnamed", "repeat"]
SELF: Resolution = "self"  # the entry's own annotator
UNKNOWN: Resolution = "unknown"  # no annotator of the task
UNNAMED: Resolution = "unnamed"  # the score names nobody
REPEAT: Resolution = "repeat"  # an annotator an earlier score of the entry already names

# Which scale a value fits: only the configured one, only the other one, both (0 and 1), or none.
Fit = Literal["configured", "other", "both", "none"]


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
    target: int | None = None  # the other annotator, when the score names one, for the first time
    resolution: Resolution | None = None  # None when `target` is set
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
        """Annotators this entry has no score naming them (resolved to a target) for."""
        covered = {s.target for s in self.scores.get(owner, []) if s.target is not None}
        return [a.name for a in self.annotators if a.index != owner and a.index not in covered]


@dataclass(frozen=True)
class Value:
    """A score or `consensusScore` of the file that is a finite number."""

    number: float
    shown: str  # as written
    pointer: str
    task: str  # the task's name (its pointer when unnamed)


def consensus_tasks(doc: Document) -> list[ConsensusTask]:
    """Every `consensus: true` task with a `consensusTasks` list, analysed once per document."""
    return doc.memo(_consensus_tasks, doc)


def _consensus_tasks(doc: Document) -> list[ConsensusTask]:
    return [
        _analyse(pointer, task)
        for pointer, task in walk.tasks(doc)
        if is_consensus_task(task) and isinstance(task.get("consensusTasks"), list)
    ]


def attributable(doc: Document) -> Iterator[ConsensusTask]:
    """Tasks whose scores can be attributed: no `updatedBy` appears twice."""
    for task in consensus_tasks(doc):
        if not task.duplicated:
            yield task


def score_values(doc: Document) -> list[Value]:
    """Every finite `consensusScore` and `score` of the document's consensus tasks, in file order
    per task (the overall score first)."""
    return doc.memo(_score_values, doc)


def _score_values(doc: Document) -> list[Value]:
    return [value for task in consensus_tasks(doc) for value in _values(task)]


def fit(number: float, scale: int) -> Fit:
    """Which scale (1: 0–1, 100: 0–100) a value can be on, `scale` being the configured one. A value
    strictly between 0 and 1 is taken as a 0–1 value (on 0–100 it would be below 1%)."""
    if number < 0 or number > 100:
        return "none"
    if (scale == 100 and 0 < number < 1) or (scale == 1 and number > 1):
        return "other"
    if (scale == 100 and number > 1) or (scale == 1 and 0 < number < 1):
        return "configured"
    return "both"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)  # an integer beyond 1.8e308 cannot be one: not a usable number
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _show(raw: Any) -> str:
    """A number as the file writes it (91.0 stays 91.0, 87 stays 87)."""
    return json.dumps(raw)


def _analyse(pointer: str, task: dict[str, Any]) -> ConsensusTask:
    annotators = []
    for index, entry in enumerate(task["consensusTasks"]):
        if not isinstance(entry, dict):
            continue
        by = entry.get("updatedBy")
        ids = {v for v in (by, entry.get("updatedByUserId")) if isinstance(v, str) and v}
        annotators.append(
            Annotator(
                index,
                join_pointer(pointer, "consensusTasks", index),
                entry,
                by if isinstance(by, str) else f"entry {index}",
                frozenset(ids),
            )
        )
    named = [a.entry.get("updatedBy") for a in annotators if isinstance(a.entry.get("updatedBy"), str)]
    name = task.get("name")
    result = ConsensusTask(
        pointer, name if isinstance(name, str) else pointer, task, annotators, len(named) != len(set(named))
    )
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
        score = Score(
            owner.index,
            pointer,
            users[0] if users else None,
            join_pointer(pointer, key) if key else pointer,
            _number(raw),
            _show(raw),
        )
        matches = [a.index for a in annotators if a.ids & set(users)]
        if not users:
            score.resolution = UNNAMED
        elif owner.index in matches:
            score.resolution = SELF
        elif not matches:
            score.resolution = UNKNOWN
        elif matches[0] in seen:
            score.resolution, score.first = REPEAT, seen[matches[0]]
        else:
            score.target = matches[0]
            seen[matches[0]] = index
        resolved.append(score)
    return resolved


def _values(task: ConsensusTask) -> Iterator[Value]:
    raw = task.task.get("consensusScore")
    overall = _number(raw)
    if overall is not None:
        yield Value(overall, _show(raw), join_pointer(task.pointer, "consensusScore"), task.name)
    for scores in task.scores.values():
        for score in scores:
            if score.value is not None:
                yield Value(score.value, score.shown, join_pointer(score.pointer, "score"), task.name)


def unscored_hint(task: ConsensusTask, owner: int) -> str:
    """The end of a message about a misnamed score: the annotator it probably meant (wording shared by
    RB502–RB504)."""
    missing = task.missing_for(owner)
    names = ", ".join(f"`{n}`" for n in missing)
    if len(missing) == 1:
        return f"; did you mean {names}, the annotator this entry has no score for?"
    if missing:
        return f"; this entry has no score for {names}"
    return "; remove it"
