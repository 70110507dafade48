"""The set of values in a stream of raw voxel bytes, in O(n), chunk by chunk.

Why it is fast: every value present starts at least one run of equal voxels, so only run starts
need collecting. The runs are found on 8-byte words (several voxels at once) by comparing each
word with the one before; a word that equals its predecessor adds no new value. Only the few
run-start words are looked at voxel by voxel, as raw bit patterns (unsigned integers of the
voxel's width), so nothing is byte-swapped or converted until the end. Chunk boundaries may fall
anywhere, even inside a voxel: the bytes of an unfinished word are carried to the next chunk.

Background is skipped at memory speed: blocks of `BLOCK` bytes at either end of a chunk that
are all zero are found by comparing them with a block of zeros (a `memcmp`: a chunk of
background costs one read of it), and only the bytes between are looked at word by word, in
one pass (comparing each word with the one before) and one gather of the few run starts. A
long stretch between is first cut into 4 KiB blocks, and when most of them are background only
the others are looked at (in a mask, labels fill the middle of each slice, zeros its edges).

Patterns of 1- and 2-byte voxels go into a presence table (1-byte patterns already present are
dropped first by `bytes.translate`, far cheaper than writing them to the table again); wider
ones are made unique per chunk and classified at once (skipping the few thousand already
classified), so memory stays bounded whatever the number of distinct values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from rb_lint.nifti.values import MAX_INSTANCE, ByteBuffer, Values

WORD = 8
EXAMPLES = 8
KNOWN_LIMIT = 4096  # wide patterns remembered to skip re-classifying them (bounded memory)
BLOCK = 1 << 16  # background is recognised in blocks of this many bytes, compared with zeros
SMALL_WORDS = 512  # words of the blocks a stretch between background is cut into (4 KiB)
UNSPLIT = 7  # stretches not cut after one found busy throughout
_ZEROS = bytearray(BLOCK)  # compared with a block, a bytearray compares by memcmp (a memoryview does not)


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
        self._seen = b""  # 1-byte patterns in the table, as bytes (for `bytes.translate`)
        self._zero_seen = False
        self._unsplit = 0  # stretches left to pass whole to `_runs` (`_words`)

    def feed(self, chunk: ByteBuffer) -> None:
        view = memoryview(chunk)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        data = np.frombuffer(view, dtype=np.uint8)
        start = 0
        if self.carry:
            start = min(WORD - len(self.carry), len(data))
            self.carry += data[:start].tobytes()
            if len(self.carry) < WORD:
                return
            self._words(np.frombuffer(self.carry, dtype=np.uint64))
            self.carry = b""
        end = start + (len(data) - start) // WORD * WORD
        low, high = _nonzero_span(view, start, end)
        if (low, high) != (start, end):
            self._zero()
        if high > low:
            self._words(self._aligned(data[low:high]))
        self.carry = data[end:].tobytes()

    def finish(self) -> Values:
        """The values seen; trailing bytes that do not fill a word are whole voxels."""
        if self.carry:
            usable = len(self.carry) // self.dtype.itemsize * self.dtype.itemsize
            self._patterns(np.frombuffer(self.carry[:usable], dtype=self.pattern))
            self.carry = b""
        if self.table is not None and self.dtype.kind == "u":  # every pattern is a value in 0..65535
            values = np.flatnonzero(self.table).astype(self.pattern).view(self.dtype)
            self.present[values.astype(np.intp)] = True
        elif self.table is not None:
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
        """Add the voxels of a stretch that is not all background. A long stretch is first cut
        into blocks of `SMALL_WORDS` words, OR-ed each to one word (a reduction along rows costs
        a third of the run-start pass); when most blocks are background (a mask's slices: labels
        in the middle of each, zeros around), only the others are copied and their run starts
        found (a sequence of any words holds no value that is not in one of its run starts).
        After a stretch busy throughout (a dense mask), the next `UNSPLIT` are not cut."""
        blocks = len(words) // SMALL_WORDS
        if self._unsplit:  # the last stretches were busy throughout (a dense mask): not cut
            self._unsplit -= 1
        elif blocks >= 8:
            grid = words[: blocks * SMALL_WORDS].reshape(blocks, SMALL_WORDS)
            busy = np.bitwise_or.reduce(grid, axis=1).astype(bool)
            kept = int(np.count_nonzero(busy))
            if kept * 2 > blocks:
                self._unsplit = UNSPLIT  # cut again in a while: a mask may be dense in places only
            else:
                if kept < blocks:
                    self._zero()
                if kept:
                    self._runs(grid[busy].reshape(-1))
                if len(words) > blocks * SMALL_WORDS:
                    self._runs(words[blocks * SMALL_WORDS :])
                return
        self._runs(words)

    def _runs(self, words: npt.NDArray[np.uint64]) -> None:
        """Add the voxels of the first word and of every word that differs from the one before
        (whatever the words are: any sequence of them holds no value that is not in a run start)."""
        count = len(words)
        if len(self._mask) < count:
            self._mask = np.empty(count, dtype=bool)
        starts = self._mask[:count]
        starts[0] = True
        np.not_equal(words[1:], words[:-1], out=starts[1:])
        # Speckled (nearly every word new): every voxel, unless its labels are known already.
        # For 1-byte voxels only when most words are new: dropping known run starts with
        # `bytes.translate` costs less than looking at every voxel.
        if np.count_nonzero(starts) * (2 if self.pattern.itemsize == 1 else 4) > count:
            self._dense(words.view(self.pattern))
        else:
            # Indices, then a take: 15-20 % cheaper than a boolean gather of sparse starts.
            self._patterns(words.take(starts.nonzero()[0]).view(self.pattern))

    def _zero(self) -> None:
        """Background (all bits 0: the value 0 whatever the dtype) was seen."""
        if not self._zero_seen:
            self._zero_seen = True
            self._patterns(np.zeros(1, dtype=self.pattern))

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
            if self.pattern.itemsize == 1:  # drop the patterns already known, at memory speed
                new = patterns.tobytes().translate(None, self._seen)
                if not new:
                    return
                self.table[np.frombuffer(new, dtype=np.uint8)] = True
                self._seen = np.flatnonzero(self.table).astype(np.uint8).tobytes()
                return
            self.table[_run_starts(patterns).astype(np.intp)] = True  # intp: numpy's fast index
            return
        patterns = _run_starts(patterns)
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


def _run_starts(patterns: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """The patterns without those equal to the one before (run-start words still repeat their
    voxels: a boundary word of 2-byte voxels `5 5 5 7` holds two values, not four)."""
    if len(patterns) < 64:
        return patterns
    starts = np.empty(len(patterns), dtype=bool)
    starts[0] = True
    np.not_equal(patterns[1:], patterns[:-1], out=starts[1:])
    return patterns[starts]


def _nonzero_span(view: memoryview, start: int, end: int) -> tuple[int, int]:
    """`start`..`end` without the whole `BLOCK`s of zeros at either end (offsets stay multiples
    of `WORD` from `start`). The bytearray is on the left: its comparison is a memcmp, a
    memoryview's compares element by element."""
    while end - start >= BLOCK and _ZEROS == view[start : start + BLOCK]:  # noqa: SIM300
        start += BLOCK
    while end - start >= BLOCK and _ZEROS == view[end - BLOCK : end]:  # noqa: SIM300
        end -= BLOCK
    return start, end


def _plain(value: float) -> float:
    """An integral float as an int (so JSON and messages show `3`, not `3.0`)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
