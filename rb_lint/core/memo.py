"""Typed memoisation of facts: each fact function runs once per subject, and its result keeps its type.

A document carries a `Memo` for facts about it (``doc.memo(walk.tasks, doc)``); the run's context
carries one for facts about the whole run (``ctx.memo(taxonomy_setup, ctx)``). A fact that raises
raises again for every rule that asks, without being recomputed, so each of those rules reports
its own internal error and the others still run.

When the engine is done with a document it clears the document's memo, except for the facts asked
for inside `Memo.keeping()` (what the project rules declared they need): those outlive the parsed
data, the facts they were computed from do not.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
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
        self._kept: set[Hashable] = set()
        self._keeping = False
        self._depth = 0  # facts being computed: only the outermost one asked is kept

    def __call__(self, fact: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        # Rules ask for facts per series and path of large documents: the key is made without a
        # generator or sorting unless there are keyword arguments.
        key = (fact, *map(_key, args))
        if kwargs:
            key += tuple(sorted((k, _key(v)) for k, v in kwargs.items()))
        if self._keeping and self._depth == 0:
            self._kept.add(key)
        try:
            value = self._values[key]
        except KeyError:
            self._depth += 1
            try:
                value = fact(*args, **kwargs)
            except Exception as error:
                self._values[key] = _Failed(error)
                raise
            finally:
                self._depth -= 1
            self._values[key] = value
            return value
        if type(value) is _Failed:
            raise value.error
        return value  # type: ignore[no-any-return, unused-ignore]

    @contextmanager
    def keeping(self) -> Iterator[None]:
        """The facts asked for in this block (not those they use) survive `clear()`."""
        self._keeping = True
        try:
            yield
        finally:
            self._keeping = False

    def clear(self) -> None:
        """Forget every fact except those asked for inside `keeping()`."""
        kept = self._kept
        self._values = {key: value for key, value in self._values.items() if key in kept} if kept else {}

    def forget(self) -> None:
        """Forget every fact, kept ones included: kept facts may refer to their document (a cycle
        that only a full collector pass would free)."""
        self._values, self._kept = {}, set()

    def __len__(self) -> int:
        return len(self._values)


_BY_VALUE = (str, int, float, bool, tuple, PurePath, type(None))
_KEYED_BY_VALUE: dict[type, bool] = {}  # per type: whether its values are keys (asked once per type)


def _key(argument: object) -> Hashable:
    """Values are keyed by value; documents, contexts and parsed data are mutable: by identity."""
    kind = type(argument)
    by_value = _KEYED_BY_VALUE.get(kind)
    if by_value is None:
        by_value = _KEYED_BY_VALUE[kind] = issubclass(kind, _BY_VALUE)
    return argument if by_value else id(argument)
