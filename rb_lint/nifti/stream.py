"""A NIfTI file as a stream of decompressed chunks: never the whole volume in memory.

gzip is decompressed with python-isal (ISA-L, several times faster than zlib) when it is
installed, else with the standard library's zlib. Truncation and bad checksums raise
`CorruptStream`. Concatenated gzip members are followed, as Python's gzip module (and so
nibabel) does; bytes after the last member that do not start another member are ignored, as
nibabel never reads them. However many members a file has, the cost stays proportional to its
size: with ISA-L the members after the first are read by its gzip reader in C, and the Python
path never copies the input or the output per member (`_pieces`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Protocol

_backend: ModuleType
try:  # pragma: no cover - which branch runs depends on the installation
    from isal import isal_zlib as _backend

    BACKEND = "isal"
except ImportError:  # pragma: no cover
    _backend = zlib
    BACKEND = "zlib"
_ERRORS: tuple[type[Exception], ...] = (zlib.error, getattr(_backend, "error", zlib.error))
_READER: Any = getattr(_backend, "_GzipReader", None)  # ISA-L's multi-member gzip reader, in C

GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 31  # gzip container, 32 KiB window
CHUNK_SIZE = 1 << 20  # decompressed bytes per chunk
READ_SIZE = 1 << 18  # compressed bytes per read
WINDOW = 64  # compressed bytes first given to a member's decompressor (then 4 times more each call)
_NOT_NUL = re.compile(rb"[^\x00]")


class CorruptStream(Exception):
    """The compressed stream is damaged; the message says how."""


class Source(Protocol):
    """A binary file opened without buffering (`open(path, "rb", buffering=0)`)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readinto(self, buffer: Any, /) -> int | None: ...


class Hasher(Protocol):
    def update(self, data: Any, /) -> None: ...


def decompressor(library: str = BACKEND) -> Any:
    """A gzip decompressor object of the chosen library (`isal` or `zlib`)."""
    return (_backend if library == "isal" else zlib).decompressobj(GZIP_WBITS)


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
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    while True:
        count = handle.readinto(buffer)
        if not count:
            return
        if hasher is not None:
            hasher.update(view[:count])
        yield view[:count]


def _gunzip(handle: Source, chunk_size: int, library: str) -> Iterator[bytes]:
    """Chunks of exactly `chunk_size` bytes (the last one shorter): when the input runs out in
    the middle of a chunk, the rest of it is asked for with the next input, so that every chunk
    starts 8-byte aligned in the data and the value collector never has to copy."""
    partial = bytearray()  # the start of a chunk whose input ran out
    try:
        for piece in _pieces(handle, chunk_size, library, handover=library == "isal"):
            if not partial and len(piece) == chunk_size:
                yield piece
                continue
            while piece:  # pieces are at most `chunk_size` long: this loops at most twice
                taken = chunk_size - len(partial)
                partial += piece[:taken]
                piece = piece[taken:]
                if len(partial) == chunk_size:
                    yield bytes(partial)
                    partial.clear()
        if partial:
            yield bytes(partial)
    except _ERRORS as error:
        raise CorruptStream(_describe(error)) from None


def _pieces(handle: Source, limit: int, library: str, handover: bool) -> Iterator[bytes]:
    """The decompressed data in pieces of at most `limit` bytes, member after member.

    The cost is proportional to the file's size however many gzip members it has (a file of a
    million one-byte members is no pathology to nibabel): the input is never copied per member
    (a member's decompressor is given a window of it that starts at `WINDOW` bytes and grows, so
    what it hands back as `unused_data` stays small). With `handover`, the members after the
    first are read by ISA-L's gzip reader, which follows members in C (`_in_c`)."""
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
            if handover and _READER is not None and _seekable(handle):
                yield from _in_c(handle, buffer[position:], limit, library)
                return
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


def _in_c(handle: Any, start: bytes, limit: int, library: str) -> Iterator[bytes]:
    """The members from the second on, read by ISA-L's `_GzipReader` (no Python per member).
    It cannot tell trailing bytes that nibabel never reads from a truncated member, so on any
    error the members are read again from the same place by `_pieces` (exact, and slower),
    skipping what was delivered already."""
    offset = handle.tell() - len(start)
    delivered = 0
    try:
        reader = _READER(_Prefixed(start, handle), READ_SIZE)
        while out := reader.read(limit):
            delivered += len(out)
            yield out
        return
    except Exception:  # EOFError, gzip.BadGzipFile, isal's error: decided by the exact path
        pass
    handle.seek(offset)
    for piece in _pieces(handle, limit, library, handover=False):
        if delivered >= len(piece):
            delivered -= len(piece)
            continue
        yield piece[delivered:]
        delivered = 0


class _Prefixed:
    """`start`, then the rest of `handle`, as a file whose `readinto` ISA-L's reader calls."""

    def __init__(self, start: bytes, handle: Any) -> None:
        self.start, self.handle = memoryview(start), handle

    def readinto(self, buffer: Any) -> int:
        if self.start:
            count = min(len(self.start), len(buffer))
            memoryview(buffer).cast("B")[:count] = self.start[:count]
            self.start = self.start[count:]
            return count
        return int(self.handle.readinto(buffer) or 0)

    def read(self, size: int = -1) -> bytes:
        if self.start:
            count = len(self.start) if size < 0 else min(size, len(self.start))
            out = bytes(self.start[:count])
            self.start = self.start[count:]
            return out
        return bytes(self.handle.read(size))


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
