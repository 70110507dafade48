"""A NIfTI file as a stream of decompressed chunks: never the whole volume in memory.

gzip is decompressed with python-isal (ISA-L, several times faster than zlib) when it is
installed, else with the standard library's zlib. Truncation and bad checksums raise
`CorruptStream`. Concatenated gzip members are followed, as Python's gzip module (and so
nibabel) does; bytes after the last member that do not start another member are ignored, as
nibabel never reads them.
"""

from __future__ import annotations

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

GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 31  # gzip container, 32 KiB window
CHUNK_SIZE = 1 << 20  # decompressed bytes per chunk
READ_SIZE = 1 << 18  # compressed bytes per read


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
    engine: Any = decompressor(library)
    pending = b""  # compressed input not yet handed to the decompressor
    partial = b""  # the start of a chunk whose input ran out
    try:
        while True:
            if not pending:
                pending = handle.read(READ_SIZE)
                if not pending:
                    break
            if engine is None:  # between members: padding, another member, or the end
                pending = pending.lstrip(b"\x00")
                if not pending:
                    continue
                if len(pending) < len(GZIP_MAGIC):
                    pending += handle.read(READ_SIZE)
                if not pending.startswith(GZIP_MAGIC):
                    break  # trailing bytes that nibabel never reads
                engine = decompressor(library)
            out = engine.decompress(pending, chunk_size - len(partial))
            if partial:
                out, partial = partial + out, b""
            if len(out) == chunk_size:
                yield out
            else:
                partial = out
            if engine.eof:
                pending, engine = engine.unused_data, None
            else:
                pending = engine.unconsumed_tail
        yield from _flush(engine, chunk_size, partial)
    except _ERRORS as error:
        raise CorruptStream(_describe(error)) from None


def _flush(engine: Any, chunk_size: int, partial: bytes) -> Iterator[bytes]:
    """Output still buffered in the decompressor at the end of the input, then the EOF check."""
    while engine is not None and not engine.eof:
        out = engine.decompress(b"", chunk_size - len(partial))
        if not out:
            if partial:
                yield partial
            raise CorruptStream(
                "its gzip stream is truncated: the file ends before the "
                "compressed data does (an interrupted copy or download?)"
            )
        out, partial = partial + out, b""
        if len(out) == chunk_size:
            yield out
        else:
            partial = out
    if partial:
        yield partial


def _describe(error: Exception) -> str:
    text = str(error)
    lowered = text.lower()
    if "check" in lowered or "checksum" in lowered or "length" in lowered:
        return f"its gzip checksum (CRC-32 or length) does not match its data ({text})"
    return f"its gzip data is corrupt ({text})"
