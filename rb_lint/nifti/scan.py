"""Scan one NIfTI file in a single streaming pass: header, then the set of voxel values.

The header is parsed from the first decompressed chunk; the size limit is checked before any
voxel is read; the data is fed chunk by chunk to a `ValueCollector`; a gzip stream is then
read to its end so that its checksum is verified. Problems become `Problem`s of the result:
nothing here raises for a bad file.
"""

from __future__ import annotations

import errno
import io
import itertools
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import FileIO
from pathlib import Path
from typing import Any, Protocol

from rb_lint.nifti.header import (
    CIFTI_EXTENSION_CODE,
    CIFTI_INTENTS,
    NIFTI2_SIZE,
    Header,
    NotNifti,
    parse_header,
)
from rb_lint.nifti.stream import BACKEND, CHUNK_SIZE, GZIP_MAGIC, CorruptStream, Hasher, Source, chunks
from rb_lint.nifti.values import ByteBuffer, Values

DEFAULT_MAX_BYTES = 4 * 1024**3
EXTENSION_LIMIT = 1 << 20  # extensions are parsed (for CIFTI) up to this offset
HEAD_COPY = 4096  # bytes of the first chunk copied to parse the header (more when vox_offset is beyond)

# Problem kinds (the mask rules map each to a rule).
UNREADABLE = "unreadable"
NOT_NIFTI = "not-nifti"
COMPRESSION = "compression"
CORRUPT = "corrupt"
TOO_LARGE = "too-large"
UNSUPPORTED = "unsupported-dtype"


@dataclass
class Problem:
    kind: str
    message: str


@dataclass
class ScanResult:
    path: str
    size: int = 0  # bytes on disk
    gzip: bool = False
    header: Header | None = None
    problems: list[Problem] = field(default_factory=list)
    values: Values | None = None  # None when the data was not read
    complete: bool = False  # the values cover every voxel

    def problem(self, kind: str) -> Problem | None:
        return next((p for p in self.problems if p.kind == kind), None)

    @property
    def cacheable(self) -> bool:
        """Results that depend only on the file's bytes (not on a limit or the filesystem)."""
        return not (self.problem(UNREADABLE) or self.problem(TOO_LARGE))

    def to_dict(self) -> dict[str, object]:
        return {
            "size": self.size,
            "gzip": self.gzip,
            "header": None if self.header is None else self.header.to_dict(),
            "problems": [[p.kind, p.message] for p in self.problems],
            "values": None if self.values is None else self.values.to_dict(),
            "complete": self.complete,
        }

    @classmethod
    def from_dict(cls, path: str, data: dict[str, object]) -> ScanResult:
        """Rebuild a result (from the cache); raises ValueError/KeyError/TypeError when malformed."""
        header, values, problems = data["header"], data["values"], data["problems"]
        if not isinstance(problems, list):
            raise ValueError("bad problems")
        size, gzip, complete = data["size"], data["gzip"], data["complete"]
        if not (isinstance(size, int) and isinstance(gzip, bool) and isinstance(complete, bool)):
            raise ValueError("bad fields")
        return cls(
            path=path,
            size=size,
            gzip=gzip,
            header=None if header is None else Header.from_dict(_dict(header)),
            problems=[Problem(str(kind), str(message)) for kind, message in problems],
            values=None if values is None else Values.from_dict(_dict(values)),
            complete=complete,
        )


def _dict(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"not an object: {value!r}")
    return value


def scan_file(
    path: str | Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    header_only: bool = False,
    hasher: Hasher | None = None,
    chunk_size: int = CHUNK_SIZE,
    library: str = BACKEND,
    content: bytes | None = None,
) -> ScanResult:
    """Scan a mask. `hasher`, when given, is fed every byte of an uncompressed file (so a cache
    key costs no second read); compressed files are hashed by the caller. `content`, when given,
    is the file's bytes, already read (`read_small`): the file is not opened again."""
    result = ScanResult(str(path))
    try:
        with _open_regular(path) if content is None else io.BytesIO(content) as handle:
            result.size = os.fstat(handle.fileno()).st_size if content is None else len(content)
            result.gzip = handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
            handle.seek(0)
            _scan_handle(result, handle, max_bytes, header_only, hasher, chunk_size, library)
    except OSError as error:
        _unreadable(result, error)
    return result


def scan_stream(
    name: str,
    handle: Readable,
    size: int | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    header_only: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> ScanResult:
    """`scan_file` of a mask read from an open binary handle that need not be seekable (a network
    stream: only `read(n)` is used, or `readinto` when it has one). `name` is the mask's name
    (its `.nii`/`.nii.gz` ending is judged as a path's is); `size` its size in bytes when known,
    else the number of bytes read. The same memory bound and the same problems as `scan_file`:
    an OSError raised by the handle becomes the UNREADABLE problem, with the error's text. The
    handle is neither closed nor read past what the scan needs (a gzip stream to its end)."""
    result = ScanResult(name)
    source = _Prefixed(handle)
    try:
        result.gzip = source.peek(len(GZIP_MAGIC)) == GZIP_MAGIC
        _scan_handle(result, source, max_bytes, header_only, None, chunk_size, BACKEND)
    except OSError as error:
        _unreadable(result, error)
    result.size = size if size is not None else source.consumed
    return result


def _scan_handle(
    result: ScanResult,
    handle: Source,
    max_bytes: int,
    header_only: bool,
    hasher: Hasher | None,
    chunk_size: int,
    library: str,
) -> None:
    """The scan of `scan_file` and `scan_stream`, from the first byte of `handle` (whose
    compression `result.gzip` already says); OSError from the handle propagates."""
    _check_name(result)
    raw_hasher = None if result.gzip else hasher
    stream = chunks(handle, result.gzip, chunk_size, raw_hasher, library)
    _scan_stream(result, stream, max_bytes, header_only)
    if raw_hasher is not None and result.cacheable:
        for _rest in stream:  # the cache key covers every byte
            pass


def _unreadable(result: ScanResult, error: OSError) -> None:
    result.problems.append(Problem(UNREADABLE, f"reading it failed: {error.strerror or error}"))


class Readable(Protocol):
    """What `scan_stream` needs of a handle: `read(n)`, returning b"" at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Prefixed:
    """A forward-only `Source` over a handle that may not seek: `peek` reads the first bytes
    (looping over short reads) and serves them again before the rest; it counts what it read."""

    def __init__(self, handle: Readable) -> None:
        self.handle = handle
        self.pending = b""
        self.consumed = 0
        readinto = getattr(handle, "readinto", None)
        self._readinto: Callable[[Any], int | None] | None = readinto if callable(readinto) else None

    def peek(self, count: int) -> bytes:
        while len(self.pending) < count:
            block = self._read(count - len(self.pending))
            if not block:
                break
            self.pending += block
        return self.pending[:count]

    def _read(self, size: int) -> bytes:
        block = self.handle.read(size)
        if not isinstance(block, (bytes, bytearray)):
            raise OSError(errno.EIO, f"the stream gave {type(block).__name__}, not bytes")
        self.consumed += len(block)
        return bytes(block)

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            raise ValueError("a bounded read only")
        if not self.pending:
            self.pending = self._read(size)
        block, self.pending = self.pending[:size], self.pending[size:]  # a longer block than asked: kept
        return block

    def readinto(self, buffer: Any, /) -> int | None:
        view = memoryview(buffer).cast("B")
        if self.pending or self._readinto is None:
            block = self.read(len(view))
            view[: len(block)] = block
            return len(block)
        count = self._readinto(view)
        if count is None:  # a non-blocking stream with nothing yet: not the end of the data
            raise OSError(errno.EAGAIN, "the stream had no data ready (it is non-blocking)")
        if not 0 <= count <= len(view):
            raise OSError(errno.EIO, f"the stream's readinto returned {count!r}")
        self.consumed += count
        return count

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise io.UnsupportedOperation("not seekable")

    def seek(self, offset: int, whence: int = 0, /) -> int:
        raise io.UnsupportedOperation("not seekable")


def read_small(path: str | Path, limit: int) -> tuple[bytes, os.stat_result] | None:
    """The bytes of a regular file of at most `limit` bytes, with its status as read (checked
    unchanged by the read); None for anything else (a larger file, not a regular file, an
    error: `scan_file` opens it itself and says what is wrong)."""
    try:
        with _open_regular(path) as handle:
            before = os.fstat(handle.fileno())
            if before.st_size > limit:
                return None
            # One byte more than its size (to see it grow): a read of `limit` bytes would
            # allocate (and page-fault) a 4 MiB buffer for a 60 KB mask.
            data = handle.read(before.st_size + 1)
            after = os.fstat(handle.fileno())
    except OSError:
        return None
    fields = ("st_size", "st_mtime_ns", "st_ctime_ns")
    if len(data) != before.st_size or any(getattr(before, f) != getattr(after, f) for f in fields):
        return None  # changing as it is read: the slow path will see what it sees
    return data, before


def _open_regular(path: str | Path) -> FileIO:
    """The file, unbuffered; OSError unless it is a regular file. Opened without blocking and
    checked before any read: a FIFO would block the read forever and a device never ends."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "a FIFO (named pipe)"
                if stat.S_ISFIFO(mode)
                else "a directory"
                if stat.S_ISDIR(mode)
                else "a device or socket"
            )
            raise OSError(errno.EINVAL, f"it is not a regular file but {kind}")
        return open(descriptor, "rb", buffering=0)
    except BaseException:
        os.close(descriptor)
        raise


def read_header(path: str | Path) -> ScanResult:
    """Only the header (for images, whose grid masks are compared with)."""
    return scan_file(path, header_only=True, chunk_size=1 << 16)


def _check_name(result: ScanResult) -> None:
    name = result.path.lower()
    if name.endswith(".gz") and not result.gzip:
        result.problems.append(
            Problem(
                COMPRESSION,
                "is named `.gz` but is not gzip-compressed: "
                "nibabel (which the platform uses) fails to open it; "
                "rename it to `.nii` or compress it",
            )
        )
    elif name.endswith(".nii") and result.gzip:
        result.problems.append(
            Problem(
                COMPRESSION,
                "is gzip-compressed but named `.nii`: "
                "nibabel (which the platform uses) reads it as "
                "uncompressed and fails; rename it to `.nii.gz`",
            )
        )


def _scan_stream(result: ScanResult, stream: Iterator[ByteBuffer], max_bytes: int, header_only: bool) -> None:
    try:
        header, stream = _read_header(stream)
    except NotNifti as error:
        result.problems.append(Problem(NOT_NIFTI, str(error)))
        return
    except CorruptStream as error:
        result.problems.append(Problem(CORRUPT, str(error)))
        return
    result.header = header
    if _is_cifti(header):
        result.problems.append(
            Problem(
                NOT_NIFTI,
                (
                    f"it is a CIFTI-2 file (intent code {header.intent_code}), which the platform "
                    "rejects (`Invalid base mask type`); save the labels as a 3-D NIfTI volume"
                ),
            )
        )
        return
    if header_only:
        return
    if header.numpy_dtype is None:
        result.problems.append(Problem(UNSUPPORTED, f"holds {header.dtype_name} data"))
        return
    if header.nbytes > max_bytes:
        result.problems.append(
            Problem(
                TOO_LARGE,
                (
                    f"its header promises {header.nbytes:,} bytes of voxel data (shape "
                    f"{header.shape}, {header.dtype_name}), over the limit of {max_bytes:,}"
                ),
            )
        )
        return
    _collect(result, header, stream)


def _read_header(stream: Iterator[ByteBuffer]) -> tuple[Header, Iterator[ByteBuffer]]:
    """Parse the header from the first chunks (up to vox_offset, at most `EXTENSION_LIMIT`
    bytes); also returns the whole stream again, from its first byte. The first chunk, when it
    holds the header and its extensions (the usual case), is neither copied nor kept: it is
    handed on before the next chunk is read (a chunk may be a view of a reused buffer)."""
    first = next(stream, b"")
    if len(first) >= NIFTI2_SIZE:
        # The parse reads the block up to vox_offset only: a short copy covers the usual header.
        header = parse_header(bytes(memoryview(first)[:HEAD_COPY]))
        wanted = min(header.vox_offset, EXTENSION_LIMIT)
        if HEAD_COPY < wanted <= len(first):
            header = parse_header(bytes(memoryview(first)[:wanted]))
        if len(first) >= wanted:
            return header, itertools.chain([first], stream)
    head = bytearray(first)  # a header over several chunks: copied (rare)
    for chunk in stream:
        head += chunk
        if len(head) >= NIFTI2_SIZE:
            break
    header = parse_header(bytes(head[:EXTENSION_LIMIT]))
    wanted = min(header.vox_offset, EXTENSION_LIMIT)
    if len(head) < wanted:
        for chunk in stream:
            head += chunk
            if len(head) >= wanted:
                break
        header = parse_header(bytes(head[:EXTENSION_LIMIT]))
    return header, itertools.chain([head], stream)


def _is_cifti(header: Header) -> bool:
    return header.intent_code in CIFTI_INTENTS or CIFTI_EXTENSION_CODE in header.extension_codes


def _collect(result: ScanResult, header: Header, stream: Iterator[ByteBuffer]) -> None:
    """Feed the data bytes (from vox_offset, exactly nbytes) to a collector."""
    from rb_lint.nifti.collector import ValueCollector  # numpy: only when a mask is read

    assert header.numpy_dtype is not None
    collector = ValueCollector(header.numpy_dtype)
    skip, remaining = header.vox_offset, header.nbytes
    try:
        for chunk in stream:
            view = memoryview(chunk)
            if skip:
                if skip >= len(view):
                    skip -= len(view)
                    continue
                view, skip = view[skip:], 0
            if remaining:
                part = view[:remaining]
                collector.feed(part)
                remaining -= len(part)
            elif not result.gzip:
                break  # a gzip stream is read to its end to verify its checksum
    except CorruptStream as error:
        result.problems.append(Problem(CORRUPT, str(error)))
        result.values = collector.finish()
        return
    if skip:
        result.problems.append(
            Problem(
                CORRUPT,
                (
                    f"its header says the voxel data starts at byte {header.vox_offset:,} (vox_offset), "
                    f"but the file holds only {header.vox_offset - skip:,} bytes: the header is wrong or "
                    "the file is truncated, and nibabel (which the platform uses) fails to load it"
                ),
            )
        )
    elif remaining:
        result.problems.append(
            Problem(
                CORRUPT,
                (
                    f"it holds {header.nbytes - remaining:,} bytes of voxel data where its header "
                    f"promises {header.nbytes:,} (shape {header.shape}, {header.dtype_name}): the file "
                    "is truncated"
                ),
            )
        )
    result.values = collector.finish()
    result.complete = not remaining
