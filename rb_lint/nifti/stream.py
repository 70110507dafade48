"""A NIfTI file as a stream of decompressed chunks: never the whole volume in memory.

gzip is decompressed with python-isal (ISA-L, several times faster than zlib) when it is
installed, else with the standard library's zlib. Truncation and bad checksums raise
`CorruptStream`. Concatenated gzip members are followed, as Python's gzip module (and so
nibabel) does; bytes after the last member that do not start another member are ignored, as
nibabel never reads them. However many members a file has, the cost stays proportional to its
size: with ISA-L every member is read by its gzip reader in C, straight into one reused buffer
(`_in_buffer`; any error sends the file to the exact path), and the Python path never copies
the input or the output per member (`_pieces`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import re
import zlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Protocol

# ISA-L is imported on first use (`_library`): a lint that scans no mask does not load it.
BACKEND = "isal" if importlib.util.find_spec("isal") is not None else "zlib"


@functools.cache
def _library() -> tuple[ModuleType, tuple[type[Exception], ...], Any]:
    """The backend's zlib-like module, the errors it raises, and ISA-L's multi-member gzip
    reader in C (None with zlib)."""
    backend: ModuleType = zlib
    if BACKEND == "isal":
        try:
            from isal import isal_zlib

            backend = isal_zlib
        except ImportError:  # pragma: no cover - found but broken: zlib does the same work
            pass
    errors = (zlib.error, getattr(backend, "error", zlib.error))
    return backend, errors, getattr(backend, "_GzipReader", None)


GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 31  # gzip container, 32 KiB window
CHUNK_SIZE = 1 << 19  # decompressed bytes per chunk, into one reused buffer (half a core's L2 cache)
READ_SIZE = 1 << 18  # compressed bytes per read
WINDOW = 64  # compressed bytes first given to a member's decompressor (then 4 times more each call)
_NOT_NUL = re.compile(rb"[^\x00]")


_SPARE: list[bytearray] = []  # chunk buffers of finished streams, used again (see `_buffer`)
SPARE_LIMIT = 4


@contextlib.contextmanager
def _buffer(size: int) -> Iterator[bytearray]:
    """A chunk buffer of `size` bytes, taken from those of finished streams when one fits. A
    new 512 KiB buffer is fresh memory from the system: zeroing it and the page faults of its
    first use cost as much as scanning a small mask's background. Given back when the stream
    ends or is dropped; a stream in use elsewhere (another thread) keeps its own."""
    buffer = next((b for b in _SPARE if len(b) == size), None)
    if buffer is not None:
        _SPARE.remove(buffer)  # list operations are atomic under the GIL; a lost race allocates
    else:
        buffer = bytearray(size)
    try:
        yield buffer
    finally:
        if len(_SPARE) < SPARE_LIMIT:
            _SPARE.append(buffer)


class CorruptStream(Exception):
    """The compressed stream is damaged; the message says how."""


class Source(Protocol):
    """A binary file opened without buffering (`open(path, "rb", buffering=0)`), or `io.BytesIO`."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readinto(self, buffer: Any, /) -> int | None: ...

    def seekable(self) -> bool: ...

    def tell(self) -> int: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class Hasher(Protocol):
    def update(self, data: Any, /) -> None: ...


def decompressor(library: str = BACKEND) -> Any:
    """A gzip decompressor object of the chosen library (`isal` or `zlib`)."""
    return (_library()[0] if library == "isal" else zlib).decompressobj(GZIP_WBITS)


def chunks(
    handle: Source,
    compressed: bool,
    chunk_size: int = CHUNK_SIZE,
    hasher: Hasher | None = None,
    library: str = BACKEND,
) -> Iterator[bytes | memoryview]:
    """Decompressed chunks of at most `chunk_size` bytes. A yielded memoryview is only valid
    until the next chunk is requested. `hasher` sees every byte of the file (raw files only:
    the caller stops early, so hashing would otherwise miss the tail)."""
    if compressed:
        return _gunzip(handle, chunk_size, library)
    return _raw(handle, chunk_size, hasher)


def _raw(handle: Source, chunk_size: int, hasher: Hasher | None) -> Iterator[memoryview]:
    with _buffer(chunk_size) as buffer:
        view = memoryview(buffer)
        while True:
            count = handle.readinto(buffer)
            if not count:
                return
            if hasher is not None:
                hasher.update(view[:count])
            yield view[:count]


def _gunzip(handle: Source, chunk_size: int, library: str) -> Iterator[bytes | memoryview]:
    """Chunks of exactly `chunk_size` bytes (the last one shorter), so that every chunk starts
    8-byte aligned in the data and the value collector never has to copy. With ISA-L and a
    seekable file, its gzip reader decompresses every member in C straight into one reused
    buffer (`_in_buffer`: no allocation per chunk); otherwise `_pieces`, realigned."""
    _, errors, reader = _library()
    try:
        if library == "isal" and reader is not None and _seekable(handle):
            yield from _in_buffer(handle, chunk_size, library)
        else:
            yield from _realigned(_pieces(handle, chunk_size, library), chunk_size)
    except errors as error:
        raise CorruptStream(_describe(error)) from None


def _in_buffer(handle: Source, chunk_size: int, library: str) -> Iterator[bytes | memoryview]:
    """The whole stream by ISA-L's `_GzipReader`, chunk after chunk into the same buffer (each
    yielded view is valid until the next chunk is asked for). The reader cannot tell trailing
    bytes that nibabel never reads from a truncated member, and says nothing precise about
    damage: on any error the file is read again from where it started by the exact path
    (`_pieces`), skipping what was delivered already (a whole number of chunks)."""
    offset = handle.tell()
    delivered = 0
    with _buffer(chunk_size) as buffer:
        view = memoryview(buffer)
        try:
            reader = _library()[2](handle, READ_SIZE)
            while True:
                filled = 0
                while filled < chunk_size:
                    count = reader.readinto(view[filled:])
                    if not count:
                        break
                    filled += count
                if filled:
                    yield view[:filled]
                    delivered += filled
                if filled < chunk_size:
                    return
        except Exception:  # EOFError, gzip.BadGzipFile, isal's error: decided by the exact path
            pass
    handle.seek(offset)
    exact = _pieces(handle, chunk_size, library)
    yield from _realigned(_skipped(exact, delivered), chunk_size)


def _skipped(pieces: Iterator[bytes], count: int) -> Iterator[bytes]:
    """`pieces` without their first `count` bytes."""
    for piece in pieces:
        if count >= len(piece):
            count -= len(piece)
            continue
        yield piece[count:]
        count = 0


def _realigned(pieces: Iterator[bytes], chunk_size: int) -> Iterator[bytes | memoryview]:
    """Pieces of at most `chunk_size` bytes regrouped into chunks of exactly `chunk_size` (the
    last one shorter): when a piece ends in the middle of a chunk, the rest of the chunk is
    taken from the next piece, in one reused buffer."""
    with _buffer(chunk_size) as buffer:
        view = memoryview(buffer)
        filled = 0
        for piece in pieces:
            if not filled and len(piece) == chunk_size:
                yield piece
                continue
            start = 0
            while start < len(piece):  # pieces are at most `chunk_size` long: this loops at most twice
                taken = min(chunk_size - filled, len(piece) - start)
                view[filled : filled + taken] = piece[start : start + taken]
                filled, start = filled + taken, start + taken
                if filled == chunk_size:
                    yield view
                    filled = 0
        if filled:
            yield view[:filled]


def _pieces(handle: Source, limit: int, library: str) -> Iterator[bytes]:
    """The decompressed data in pieces of at most `limit` bytes, member after member.

    The cost is proportional to the file's size however many gzip members it has (a file of a
    million one-byte members is no pathology to nibabel): the input is never copied per member
    (a member's decompressor is given a window of it that starts at `WINDOW` bytes and grows, so
    what it hands back as `unused_data` stays small). This is the exact path: with ISA-L and a
    seekable file, the members are read by its gzip reader in C first (`_in_buffer`)."""
    engine: Any = decompressor(library)
    buffer, position = b"", 0  # compressed input read; from `position` on, not yet decompressed
    window, members = WINDOW, 1
    while True:
        if position >= len(buffer):
            buffer, position = handle.read(READ_SIZE), 0
            if not buffer:
                break
        if engine is None:  # between members: padding, another member, or the end
            found = _NOT_NUL.search(buffer, position)
            if found is None:
                position = len(buffer)
                continue
            position = found.start()
            if len(buffer) - position < len(GZIP_MAGIC):
                buffer, position = buffer[position:] + handle.read(READ_SIZE), 0
            if not buffer.startswith(GZIP_MAGIC, position):
                return  # trailing bytes that nibabel never reads
            engine, window, members = decompressor(library), WINDOW, members + 1
        piece = memoryview(buffer)[position : position + window]
        out = engine.decompress(piece, limit)
        if engine.eof:
            position += len(piece) - len(engine.unused_data)
            engine = None
        else:
            position += len(piece) - len(engine.unconsumed_tail)
            window = min(window * 4, READ_SIZE)
        if out:
            yield out
    while engine is not None and not engine.eof:  # output still buffered at the end of the input
        out = engine.decompress(b"", limit)
        if not out:
            raise CorruptStream(
                "its gzip stream is truncated: the file ends before the "
                "compressed data does (an interrupted copy or download?)"
            )
        yield out


def _seekable(handle: Any) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _describe(error: Exception) -> str:
    text = str(error)
    lowered = text.lower()
    if "check" in lowered or "checksum" in lowered or "length" in lowered:
        return f"its gzip checksum (CRC-32 or length) does not match its data ({text})"
    return f"its gzip data is corrupt ({text})"
