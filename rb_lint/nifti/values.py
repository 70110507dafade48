"""The set of values in a stream of raw voxel bytes, in O(n), chunk by chunk.

Why it is fast: every value present starts at least one run of equal voxels, so only run starts
need collecting. The runs are found on 8-byte words (several voxels at once) by comparing each
word with the one before; a word that equals its predecessor adds no new value. Only the few
run-start words are looked at voxel by voxel, as raw bit patterns (unsigned integers of the
voxel's width), so nothing is byte-swapped or converted until the end. Chunk boundaries may fall
anywhere, even inside a voxel: the bytes of an unfinished word are carried to the next chunk.

Patterns of 1- and 2-byte voxels go into a presence table; wider ones are made unique per chunk
and classified at once (skipping the few thousand already classified), so memory stays bounded
whatever the number of distinct values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

WORD = 8
MAX_INSTANCE = 65535
EXAMPLES = 8
KNOWN_LIMIT = 4096  # wide patterns remembered to skip re-classifying them (bounded memory)
ByteBuffer = bytes | bytearray | memoryview


@dataclass
class Values:
    """What a mask holds, in the platform's terms (floats are rounded as the SDK rounds them)."""

    present: list[int] = field(default_factory=list)  # distinct values in 0..65535, sorted
    negative: list[float] = field(default_factory=list)  # examples below 0
    above: list[float] = field(default_factory=list)  # examples above 65535
    non_integral: list[float] = field(default_factory=list)  # examples with a fraction
    non_finite: list[str] = field(default_factory=list)  # "nan", "inf", "-inf"

    @property
    def nonzero(self) -> list[float]:
        """Every distinct non-zero value known (present, then out-of-range examples)."""
        return [v for v in self.present if v] + self.negative + self.above

    @property
    def empty(self) -> bool:
        return not (any(self.present) or self.negative or self.above or self.non_integral or self.non_finite)

    def to_dict(self) -> dict[str, object]:
        return {
            "present": self.present,
            "negative": self.negative,
            "above": self.above,
            "non_integral": self.non_integral,
            "non_finite": self.non_finite,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Values:
        return cls(
            present=[_int(v) for v in _list(data["present"])],
            negative=[_number(v) for v in _list(data["negative"])],
            above=[_number(v) for v in _list(data["above"])],
            non_integral=[_number(v) for v in _list(data["non_integral"])],
            non_finite=[str(v) for v in _list(data["non_finite"])],
        )


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"not a list: {value!r}")
    return value


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"not an integer: {value!r}")


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise ValueError(f"not a number: {value!r}")


class ValueCollector:
    """Feed raw voxel bytes in file order (any chunking); `finish()` gives the `Values`."""

    def __init__(self, dtype: np.dtype[np.generic] | str) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.kind not in "uif" or WORD % self.dtype.itemsize:
            raise ValueError(f"cannot collect values of dtype {self.dtype}")
        self.pattern = np.dtype(f"u{self.dtype.itemsize}")
        self.table: npt.NDArray[np.bool_] | None = None
        if self.dtype.itemsize <= 2:
            self.table = np.zeros(1 << (8 * self.dtype.itemsize), dtype=bool)
        self.present = np.zeros(MAX_INSTANCE + 1, dtype=bool)
        self.examples: dict[str, set[float]] = {"negative": set(), "above": set(), "non_integral": set()}
        self.non_finite: set[str] = set()
        self.known = np.empty(0, dtype=self.pattern)  # sorted wide patterns classified so far
        self.carry = b""
        self._mask = np.empty(0, dtype=bool)
        self._scratch = np.empty(0, dtype=np.uint64)

    def feed(self, chunk: ByteBuffer) -> None:
        data = np.frombuffer(chunk, dtype=np.uint8)
        start = 0
        if self.carry:
            start = min(WORD - len(self.carry), len(data))
            self.carry += data[:start].tobytes()
            if len(self.carry) < WORD:
                return
            self._words(np.frombuffer(self.carry, dtype=np.uint64))
            self.carry = b""
        count = (len(data) - start) // WORD
        if count:
            self._words(self._aligned(data[start : start + count * WORD]))
        self.carry = data[start + count * WORD :].tobytes()

    def finish(self) -> Values:
        """The values seen; trailing bytes that do not fill a word are whole voxels."""
        if self.carry:
            usable = len(self.carry) // self.dtype.itemsize * self.dtype.itemsize
            self._patterns(np.frombuffer(self.carry[:usable], dtype=self.pattern))
            self.carry = b""
        if self.table is not None:
            self._classify(np.flatnonzero(self.table).astype(self.pattern))
        return Values(
            present=np.flatnonzero(self.present).tolist(),
            negative=sorted(self.examples["negative"])[:EXAMPLES],
            above=sorted(self.examples["above"])[:EXAMPLES],
            non_integral=sorted(self.examples["non_integral"])[:EXAMPLES],
            non_finite=sorted(self.non_finite),
        )

    def _aligned(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
        """The bytes as 8-byte words; copied first when their address is not 8-aligned (chunks
        from `stream.chunks` are whole words, so this is rare)."""
        words = data.view(np.uint64)
        if words.flags.aligned:
            return words
        if len(self._scratch) < len(words):
            self._scratch = np.empty(len(words), dtype=np.uint64)
        copy = self._scratch[: len(words)]
        copy.view(np.uint8)[:] = data
        return copy

    def _words(self, words: npt.NDArray[np.uint64]) -> None:
        """Add the voxels of the first word and of every word that differs from the one before."""
        count = len(words)
        if not (words[0] or words[-1]) and not np.count_nonzero(words):  # background: one read pass
            self._patterns(words[:1].view(self.pattern)[:1])
            return
        if len(self._mask) < count:
            self._mask = np.empty(count, dtype=bool)
        starts = self._mask[:count]
        starts[0] = True
        np.not_equal(words[1:], words[:-1], out=starts[1:])
        if np.count_nonzero(starts) * 4 > count:  # speckled: nearly every word is new
            self._dense(words.view(self.pattern))
        else:
            self._patterns(np.compress(starts, words).view(self.pattern))

    def _dense(self, patterns: npt.NDArray[np.unsignedinteger]) -> None:
        """Every voxel of a speckled chunk. Its labels are usually few and seen before: when
        every pattern between the chunk's smallest and largest is known, none can be new."""
        if self.table is not None:
            low, high = int(patterns.min()), int(patterns.max())
            if self.table[low : high + 1].all():
                return
        self._patterns(patterns)

    def _patterns(self, patterns: npt.NDArray[np.unsignedinteger]) -> None:
        if self.table is not None:
            self.table[patterns] = True
            return
        if len(self.known):  # most chunks repeat labels already classified: drop them cheaply
            index = np.searchsorted(self.known, patterns)
            index[index == len(self.known)] = 0
            patterns = patterns[self.known[index] != patterns]
            if not len(patterns):
                return
        distinct = np.unique(patterns)
        self._classify(distinct)
        if len(self.known) + len(distinct) <= KNOWN_LIMIT:
            self.known = np.union1d(self.known, distinct)

    def _classify(self, patterns: npt.NDArray[np.unsignedinteger]) -> None:
        """Sort distinct raw patterns into present values, out-of-range and fractional ones."""
        if not len(patterns):
            return
        values = patterns.view(self.dtype).astype(self.dtype.newbyteorder("="))
        if self.dtype.kind == "f":
            self._classify_floats(values.astype(np.float64))
        else:
            self._classify_integers(values)

    def _classify_floats(self, values: npt.NDArray[np.float64]) -> None:
        finite = np.isfinite(values)
        if not finite.all():
            for value in values[~finite][:16]:
                self.non_finite.add("nan" if math.isnan(value) else repr(float(value)))
            values = values[finite]
        rounded = np.rint(values)
        fractional = values != rounded
        if fractional.any():
            self._remember("non_integral", values[fractional])
        self._place(rounded, values)

    def _classify_integers(self, values: npt.NDArray[np.integer]) -> None:
        self._place(values, values)

    def _place(self, values: npt.NDArray[Any], originals: npt.NDArray[Any]) -> None:
        """Values in 0..65535 go into the presence table; the others are remembered as examples."""
        below = values < 0
        beyond = values > MAX_INSTANCE
        inside = ~(below | beyond)
        self.present[values[inside].astype(np.intp)] = True
        if below.any():
            self._remember("negative", originals[below])
        if beyond.any():
            self._remember("above", originals[beyond])

    def _remember(self, kind: str, values: npt.NDArray[np.generic]) -> None:
        """Keep the most extreme few: the smallest negatives, the largest others."""
        ordered = np.sort(values)
        picked = ordered[:EXAMPLES] if kind == "negative" else ordered[-EXAMPLES:]
        known = self.examples[kind]
        known.update(_plain(v) for v in picked.tolist())
        if len(known) > EXAMPLES:
            ranked = sorted(known) if kind == "negative" else sorted(known, reverse=True)
            self.examples[kind] = set(ranked[:EXAMPLES])


def _plain(value: float) -> float:
    """An integral float as an int (so JSON and messages show `3`, not `3.0`)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
