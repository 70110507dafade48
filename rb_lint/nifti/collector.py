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

Labels seen before are not looked for again: a stretch of 1- or 2-byte voxels holds only
patterns between its smallest and largest (one or two reductions, a third of the run-start
pass), so when the table holds every pattern between, or the few it does not hold are found or
ruled out by searching the stretch for one of their bytes (a `memchr` each), the stretch is
done. Once a mask's labels are known, most chunks cost a reduction or two and a few searches.

Patterns of 1- and 2-byte voxels go into a presence table (1-byte patterns, and 2-byte ones all
below 256, already present are dropped first by `bytes.translate`, far cheaper than writing them
to the table again); the run starts of wider ones are gathered over a few chunks, then made
unique and classified at once (skipping the few thousand already classified), so memory stays
bounded whatever the number of distinct values.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import numpy.typing as npt

from rb_lint.nifti.values import MAX_INSTANCE, ByteBuffer, Values

WORD = 8
GROUP = 4  # run-start flags read as one integer (`_runs`); rows of 32 bytes: numpy's fast take
EXAMPLES = 8
KNOWN_LIMIT = 4096  # wide patterns remembered to skip re-classifying them (bounded memory)
BLOCK = 1 << 16  # background is recognised in blocks of this many bytes, compared with zeros
SMALL_WORDS = 512  # words of the blocks a stretch between background is cut into (4 KiB)
UNSPLIT = 7  # stretches not cut after one found busy throughout
FEW = 8  # patterns missing from the table between a stretch's smallest and largest: each searched
FALSE_HITS = 16  # occurrences of a searched byte that are not the pattern before giving up
PATIENCE = 8  # stretches in a row that `_shortcut` could not finish before it tries less often
MAX_PAUSE = 16  # then at most this many stretches between two tries
FLOOR_PAUSE = 16  # stretches whose smallest is taken as 0 after one held background
PENDING_LIMIT = 1 << 13  # run-start words of wide voxels kept before they are classified (64 KiB)
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
        self._seen = b""  # patterns in the table as bytes, `_known_bytes` (b"": to be worked out)
        self._zero_seen = False
        self._unsplit = 0  # stretches left to pass whole to `_runs` (`_words`)
        self._misses = 0  # `_shortcut` checks in a row that told nothing
        self._pause = 0  # stretches left before `_shortcut` is tried again
        self._floor = 0  # stretches left before `_shortcut` works out a smallest again
        self._pending: list[npt.NDArray[np.unsignedinteger]] = []  # run starts of wide voxels
        self._pending_count = 0

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
            words = self._aligned(data[low:high])
            small = self._shortcut(words, view, low)
            if small is not None:  # not done: the run-start pass
                self._words(words, small)
        self.carry = data[end:].tobytes()

    def finish(self) -> Values:
        """The values seen; trailing bytes that do not fill a word are whole voxels."""
        self._flush()
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

    def _shortcut(self, words: npt.NDArray[np.uint64], view: memoryview, low: int) -> bool | None:
        """None when every voxel of the stretch (at byte `low` of `view`) is known now; else
        whether its patterns are all 2-byte ones below 256 (`_patterns`).

        It starts with the stretch's largest pattern, whatever the dtype: a reduction reads the
        stretch into the cache at full speed, and the run-start pass then costs less than it
        would reading it itself (a third less in all). A stretch of 1- or 2-byte voxels holds
        only patterns between its smallest and largest, and when few of those are not yet in
        the table they are looked for byte by byte (`_occurs`). When that tells nothing several
        stretches in a row (a mask of large labels with gaps between), it is tried less often."""
        patterns = words.view(self.pattern)
        largest = int(patterns.max())
        if self.table is None:
            if largest:
                return False
            self._zero()  # all bits 0: background
            return None
        small = self.pattern.itemsize == 2 and largest < 256
        if self._pause:
            self._pause -= 1
            return small
        # From 0 when background is known (the usual case): a reduction saved; the real
        # smallest is worked out only when too many patterns between are unknown.
        assumed = bool(self.table[0])
        smallest = 0 if assumed else int(patterns.min())
        self._mark([smallest, largest])  # both occur (or 0 is known)
        resolved = self._resolved(smallest, largest, view, low, len(words) * WORD)
        if self._floor:
            self._floor -= 1
        elif resolved is None and assumed:
            smallest = int(patterns.min())
            self._mark([smallest])
            resolved = smallest > 0 and self._resolved(smallest, largest, view, low, len(words) * WORD)
            self._floor = 0 if smallest else FLOOR_PAUSE  # background in the stretch: it usually is
        if resolved:
            self._misses = 0
            return None
        self._misses = 0 if small else self._misses + 1
        self._pause = min(max(self._misses - PATIENCE, 0), MAX_PAUSE)
        return small

    def _resolved(self, smallest: int, largest: int, view: memoryview, low: int, size: int) -> bool | None:
        """Whether the table now holds every pattern of the stretch, whose patterns lie between
        `smallest` and `largest` (both known): each of the few unknown between is looked for in
        its bytes. None when too many are unknown to look for; False when a search gave up or
        the bytes are not those of a `bytes` or `bytearray` (which alone can be searched)."""
        assert self.table is not None
        unknown = (~self.table[smallest + 1 : largest]).nonzero()[0]
        if not len(unknown):
            return True
        if len(unknown) > FEW:
            return None
        source = view.obj
        if not isinstance(source, (bytes, bytearray)):
            return False
        start = 0  # where `view` starts in `source`: 0 when it covers it (a stream's chunk)
        if len(view) != len(source):
            start = (
                np.frombuffer(view, dtype=np.uint8).ctypes.data
                - np.frombuffer(source, dtype=np.uint8).ctypes.data
            )
        found = []
        for pattern in (unknown + smallest + 1).tolist():
            item = pattern.to_bytes(self.pattern.itemsize, sys.byteorder)
            occurs = _occurs(source, start + low, start + low + size, item)
            if occurs is None:
                return False
            if occurs:
                found.append(pattern)
        self._mark(found)
        return True

    def _mark(self, patterns: list[int] | npt.NDArray[Any]) -> None:
        """Patterns of 1- or 2-byte voxels seen: into the table."""
        table = self.table
        assert table is not None
        if isinstance(patterns, list) and all(table[pattern] for pattern in patterns):
            return  # known already (the usual case: checked one by one, cheaper for a few)
        table[patterns] = True
        self._seen = b""

    def _known_bytes(self) -> bytes:
        """The known patterns below 256 as bytes: what `bytes.translate` deletes from patterns
        below 256 (one byte each) to leave the unknown ones."""
        if not self._seen:
            assert self.table is not None
            self._seen = np.flatnonzero(self.table[:256]).astype(np.uint8).tobytes()
        return self._seen

    def _words(self, words: npt.NDArray[np.uint64], small: bool = False) -> None:
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
                    self._runs(grid[busy].reshape(-1), small)
                if len(words) > blocks * SMALL_WORDS:
                    self._runs(words[blocks * SMALL_WORDS :], small)
                return
        self._runs(words, small)

    def _runs(self, words: npt.NDArray[np.uint64], small: bool = False) -> None:
        """Add the voxels of the first word and of every word that differs from the one before
        (whatever the words are: any sequence of them holds no value that is not in a run start)."""
        count = len(words)
        if len(self._mask) < count:
            self._mask = np.empty(count, dtype=bool)
        starts = self._mask[:count]
        starts[0] = True
        np.not_equal(words[1:], words[:-1], out=starts[1:])
        # The flags are read by groups of `GROUP` (as one integer): only the groups that hold a
        # run start are looked at flag by flag (numpy's nonzero takes a cycle a flag). The few
        # last words that fill no group are all taken.
        whole = count // GROUP * GROUP
        busy = (starts[:whole].view(f"u{GROUP}") != 0).nonzero()[0]
        # Speckled (nearly every word new): every voxel, unless its labels are known already.
        # For 1-byte voxels only when most words are new: dropping known run starts with
        # `bytes.translate` costs less than looking at every voxel.
        share = 2 if self.pattern.itemsize == 1 else 4
        if len(busy) * GROUP * share > count and np.count_nonzero(starts) * share > count:
            self._dense(words.view(self.pattern))
            return
        flags = starts[:whole].reshape(-1, GROUP).take(busy, axis=0).reshape(-1)
        picked = words[:whole].reshape(-1, GROUP).take(busy, axis=0).reshape(-1).take(flags.nonzero()[0])
        if whole < count:
            picked = np.concatenate((picked, words[whole:]))
        if self.table is None:  # wide: several chunks' run starts at once (fewer numpy calls)
            self._pending.append(picked)
            self._pending_count += len(picked)
            if self._pending_count >= PENDING_LIMIT:
                self._flush()
            return
        self._patterns(picked.view(self.pattern), small)

    def _flush(self) -> None:
        """Classify the run starts of wide voxels gathered so far."""
        if self._pending:
            pending = self._pending[0] if len(self._pending) == 1 else np.concatenate(self._pending)
            self._pending, self._pending_count = [], 0
            self._patterns(pending.view(self.pattern))

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

    def _patterns(self, patterns: npt.NDArray[np.unsignedinteger], small: bool = False) -> None:
        """Add patterns (repeated ones too). `small`: 2-byte ones all below 256."""
        if self.table is not None:
            if self.pattern.itemsize == 1 or small:  # drop the known ones at memory speed
                if small:  # below 256: one byte each says it (half the bytes to translate)
                    patterns = patterns.astype(np.uint8)
                new = patterns.tobytes().translate(None, self._known_bytes())
                if new:
                    self._mark(np.frombuffer(new, dtype=np.uint8))
                return
            self._mark(_run_starts(patterns).astype(np.intp))  # intp: numpy's fast index
            return
        patterns = _run_starts(patterns)
        if len(self.known):  # most chunks repeat labels already classified: drop them cheaply
            index = np.searchsorted(self.known, patterns)
            index[index == len(self.known)] = 0
            patterns = patterns[self.known[index] != patterns]
            if not len(patterns):
                return
        distinct = _distinct(patterns)
        self._classify(distinct)
        if len(self.known) + len(distinct) <= KNOWN_LIMIT:
            self.known = _distinct(np.concatenate((self.known, distinct)))

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


def _occurs(source: bytes | bytearray, start: int, end: int, item: bytes) -> bool | None:
    """Whether `item` is one of the voxels of `source[start:end]` (at an offset from `start`
    that is a multiple of its length). One of its non-zero bytes is searched for (a `memchr`):
    every voxel `item` would hold it, so none is missed; None after `FALSE_HITS` occurrences
    of that byte elsewhere (another voxel holds it: let the run-start pass decide)."""
    width = len(item)
    index = width - len(item.lstrip(b"\0"))  # its first non-zero byte (`item` is not 0)
    position = start + index
    for _ in range(FALSE_HITS):
        hit = source.find(item[index], position, end)
        if hit < 0:
            return False
        at = hit - index
        if not (at - start) % width and source[at : at + width] == item:
            return True
        position = hit + 1
    return None


def _distinct(patterns: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """The distinct patterns, sorted (`np.unique` would import `numpy.ma` on first use: 8 ms)."""
    ordered = np.sort(patterns)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _run_starts(patterns: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """The patterns without those equal to the one before (run-start words still repeat their
    voxels: a boundary word of 2-byte voxels `5 5 5 7` holds two values, not four)."""
    if len(patterns) < 64:
        return patterns
    starts = np.empty(len(patterns), dtype=bool)
    starts[0] = True
    np.not_equal(patterns[1:], patterns[:-1], out=starts[1:])
    return patterns.take(starts.nonzero()[0])  # cheaper than a boolean gather of sparse ones


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
