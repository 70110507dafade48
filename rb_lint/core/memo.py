"""Typed memoisation of facts: each fact function runs once per subject, and its result keeps its type.

A document carries a `Memo` for facts about it (``doc.memo(walk.tasks, doc)``); the run's context
carries one for facts about the whole run (``ctx.memo(taxonomy_setup, ctx)``). A fact that raises
raises again for every rule that asks, without being recomputed, so each of those rules reports
its own internal error and the others still run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import PurePath
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Memo:
    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}

    def __call__(self, fact: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        key = (fact, *(_key(a) for a in args), *sorted((k, _key(v)) for k, v in kwargs.items()))
        try:
            value = self._values[key]
        except KeyError:
            try:
                value = fact(*args, **kwargs)
            except Exception as error:
                self._values[key] = _Failed(error)
                raise
            self._values[key] = value
            return value
        if isinstance(value, _Failed):
            raise value.error
        return value  # type: ignore[no-any-return, unused-ignore]

    def clear(self) -> None:
        self._values.clear()


def _key(argument: object) -> Hashable:
    """Values are keyed by value; documents, contexts and parsed data are mutable: by identity."""
    if isinstance(argument, (str, int, float, bool, tuple, PurePath, type(None))):
        return argument
    return id(argument)
