"""On-disk cache of mask scan results, so a re-run over unchanged masks decompresses nothing.

Layout under the cache directory (`.rb_lint_cache/` in the project root by default)::

    CACHEDIR.TAG, .gitignore, key, key.stat
    masks/<rb-lint version>-f<format>/<digest[:2]>/<digest>.rbscan   result, keyed by content
    masks/<rb-lint version>-f<format>/stat/<path hash>.rbstat         path + stat -> digest (+ result)

A scan costs one write: the result goes into the path's stat memo (a re-run then reads one file
per mask), or, when that memo could never be trusted (a file modified just before it was
hashed) or there is no path (a remote object), into a content entry. Creating a file is what a
write costs (0.3-0.5 ms on some file systems, a tenth of a small mask's scan).

What the cache promises:

- It only writes into a folder it created (one that did not exist, or that carries rb-lint's own
  CACHEDIR.TAG), never into the project root or one of its ancestors, never through a symlink.
  Otherwise there is no cache, and `open()` says why (the caller prints it once).
- It only trusts what it wrote itself, here. `key` holds a random secret; `key.stat` records the
  key file's device, inode and ctime. A folder whose key file no longer matches its record was
  copied, restored or committed and cloned: it is foreign, neither read nor written. Every entry
  carries a keyed BLAKE2b MAC of its text under the secret, so an edited entry is ignored.
- Results are keyed by content and rb-lint's version (a memo's result is used for its own path
  only, when the digest matches: a file touched but unchanged is not scanned again): a gzip
  file by all its bytes; an uncompressed file by its size and the bytes its scan depends on
  (header, extensions and the voxel bytes the header promises), so a sparse 4 GiB file holding
  64 voxels hashes 416 bytes.
  Judgements that depend on the file's NAME (`.nii` vs `.nii.gz`: RB313) are not stored; they
  are recomputed for the path that asks.
- The stat memo only saves re-hashing a file whose size, mtime, ctime, inode and device are
  unchanged; it is not trusted when the file was modified within two seconds of being hashed (a
  coarse-mtime filesystem could hide a later edit), as git does for its index.

Writes go to a temporary file renamed into place; any unreadable, malformed or unsigned entry is
ignored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import io
import itertools
import json
import os
import queue
import re
import secrets
import struct
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from rb_lint.nifti.header import NIFTI2_SIZE, parse_header
from rb_lint.nifti.scan import COMPRESSION, ScanResult, _check_name
from rb_lint.nifti.stream import GZIP_MAGIC

# 3: names are not part of a result (RB313 is recomputed), raw files keyed by what is read, MACs
FORMAT = 3
RACY_NS = 2_000_000_000
READ_SIZE = 1 << 20
HEAD_SIZES = (64 << 10, 2 << 20)  # read to parse a header (the scanner reads at most 1 MiB for it)
KEY_FILE, KEY_RECORD = "key", "key.stat"
_UMASK = os.umask(0)
os.umask(_UMASK)
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by rb-lint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


@functools.cache
def rb_lint_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # not at import: it costs ~10 ms

    try:
        return version("rb-lint")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def new_hasher(kind: bytes = b"file") -> hashlib.blake2b:
    return hashlib.blake2b(digest_size=32, person=kind)


def bytes_digest(data: bytes) -> str:
    """`file_digest` of a gzip file whose bytes are already in memory (the same key)."""
    hasher = new_hasher()
    hasher.update(data)
    return hasher.hexdigest()


def file_digest(path: str | Path) -> str:
    """Every byte of the file (gzip files: the scan reads them all to verify the checksum)."""
    hasher = new_hasher()
    _hash_range(path, hasher, 0, None)
    return hasher.hexdigest()


def content_digest(path: str | Path) -> str:
    """The cache key of a file's content: every byte of a gzip file; for anything else, its size
    and the bytes the scanner can read (the header, its extensions, then `vox_offset` plus the
    voxel bytes the header promises: only they decide the scan's result); a file whose header
    does not parse is hashed whole.
    Raises OSError."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if _read_up_to(handle, len(GZIP_MAGIC)) == GZIP_MAGIC:
            return file_digest(path)
        end = None
        for head_size in HEAD_SIZES:  # a header with long extensions may need the longer read
            handle.seek(0)
            try:
                parsed = parse_header(_read_up_to(handle, head_size))
            except Exception:  # not NIfTI, or a header nibabel refuses
                continue
            # The scan reads the header, its extensions up to vox_offset, then the voxel data.
            end = max(NIFTI2_SIZE + 4, parsed.vox_offset + parsed.nbytes)
            break
    hasher = new_hasher(b"raw")
    hasher.update(struct.pack("<Q", size))
    _hash_range(path, hasher, 0, None if end is None else min(end, size))
    return hasher.hexdigest()


def _read_up_to(handle: io.FileIO, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        block = handle.read(count - len(data))
        if not block:
            break
        data += block
    return bytes(data)


def _hash_range(path: str | Path, hasher: hashlib.blake2b, start: int, end: int | None) -> None:
    buffer = bytearray(READ_SIZE)
    view = memoryview(buffer)
    left = end - start if end is not None else None
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        while left is None or left > 0:
            count = handle.readinto(buffer if left is None or left >= READ_SIZE else view[:left])
            if not count:
                return
            hasher.update(view[:count])
            if left is not None:
                left -= count


class MaskCache:
    """Scan results under `directory`. `open()` (or the first use) checks that the folder may be
    used; `protected` are folders the cache must never be (the project root) nor contain."""

    def __init__(
        self, directory: Path, tool_version: str | None = None, protected: Sequence[Path] = ()
    ) -> None:
        self.directory = Path(os.path.abspath(directory))
        self.protected = tuple(protected)
        tag = re.sub(r"[^\w.+-]", "_", f"{tool_version or rb_lint_version()}-f{FORMAT}")
        self.base = self.directory / "masks" / tag
        self.secret: bytes | None = None
        self.refused: str | None = None  # why the folder is not used
        self.opened = False
        self._writer: _Writer | None = None  # within `deferred()`: writes go to a thread

    def __getstate__(self) -> dict[str, object]:
        """Pickled for a worker without a writer thread (it makes its own)."""
        return {**self.__dict__, "_writer": None}

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Writes made inside go to a thread that creates the files while the caller scans on
        (creating a file waits on the file system more than it uses the processor); all are
        on disk when the block ends."""
        if self._writer is not None:
            yield
            return
        self._writer = _Writer()
        try:
            yield
        finally:
            writer, self._writer = self._writer, None
            writer.close()

    # -- the folder ------------------------------------------------------------------------------
    def open(self) -> str | None:
        """Make the folder usable (creating it when it does not exist); None when it is, else a
        one-line reason why there is no cache."""
        if not self.opened:
            self.opened = True
            try:
                self.secret = self._open()
            except _Refused as refusal:
                self.refused = str(refusal)
            except OSError as error:
                self.refused = (
                    f"cannot use the mask cache {_shown(self.directory)}: {error.strerror or error}"
                )
        return self.refused

    @property
    def usable(self) -> bool:
        return self.open() is None and self.secret is not None

    def _open(self) -> bytes:
        directory, shown = self.directory, _shown(self.directory)
        if os.path.islink(directory):
            raise _Refused(
                f"the mask cache {shown} is a symbolic link; rb-lint writes only into a folder it created"
            )
        real = Path(os.path.realpath(directory))
        for folder in self.protected:
            if Path(os.path.realpath(folder)).is_relative_to(real):
                raise _Refused(
                    f"the mask cache {shown} is the project root or a folder holding it; "
                    "set `cache-dir` to a folder of its own"
                )
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(directory)
        except FileExistsError:
            return self._existing(directory, shown)
        _write_atomic(directory / "CACHEDIR.TAG", CACHEDIR_TAG)
        _write_atomic(directory / ".gitignore", "# Created by rb-lint.\n*\n")
        return self._new_key(directory)

    def _existing(self, directory: Path, shown: str) -> bytes:
        if not directory.is_dir():
            raise _Refused(f"the mask cache {shown} exists and is not a folder")
        # Another rb-lint may have created the folder a moment ago and be writing its files.
        attempts = 20 if time.time() - directory.stat().st_mtime < 5 else 1
        tag = directory / "CACHEDIR.TAG"
        if not _appears(tag, attempts) or tag.is_symlink() or _read_bytes(tag, 4096) != CACHEDIR_TAG.encode():
            raise _Refused(
                f"the mask cache {shown} exists and was not created by rb-lint (it has no rb-lint "
                "CACHEDIR.TAG); rb-lint writes only into a cache folder it created"
            )
        key = directory / KEY_FILE
        if not os.path.lexists(key):
            return self._new_key(directory)  # made by an older rb-lint: its entries are unsigned
        record = _read_json(directory / KEY_RECORD) if _appears(directory / KEY_RECORD, attempts) else None
        secret = _read_bytes(key, 256)
        if key.is_symlink() or record != _key_stat(key) or re.fullmatch(rb"[0-9a-f]{64}", secret) is None:
            raise _Refused(
                f"the mask cache {shown} was not created here (copied, restored or committed?): "
                "it is not used; delete it"
            )
        return bytes.fromhex(secret.decode("ascii"))

    def _new_key(self, directory: Path) -> bytes:
        secret = secrets.token_bytes(32)
        key = directory / KEY_FILE
        try:
            handle = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            return self._existing(directory, _shown(directory))  # another rb-lint was first
        with os.fdopen(handle, "wb") as out:
            out.write(secret.hex().encode("ascii"))
        _write_atomic(directory / KEY_RECORD, json.dumps(_key_stat(key)))
        return secret

    # -- content-keyed results ---------------------------------------------------------------
    def load(self, digest: str, path: str) -> ScanResult | None:
        """The result for this content: its content entry, or the one the path's memo holds
        for the same digest (a file touched but unchanged)."""
        entry = self._read_signed(self._entry(digest))
        if isinstance(entry, dict) and entry.get("digest") == digest and entry.get("kind") == "scan":
            found = _rebuild(path, entry.get("result"))
            if found is not None:
                return found
        memo = self._memo_record(path)
        if memo is not None and memo.get("digest") == digest and "result" in memo:
            return _rebuild(path, memo["result"])
        return None

    def store(self, digest: str, result: ScanResult) -> None:
        if result.cacheable:
            data = _result_data(result)
            self._write_signed(self._entry(digest), {"kind": "scan", "digest": digest, "result": data})

    def record(
        self, path: str | Path, stat: os.stat_result, digest: str, hashed_ns: int, result: ScanResult
    ) -> None:
        """Keep a scan's result in ONE write: in the path's memo (which then answers `lookup`
        with one read), or, when the memo could never be trusted (`remember`), by content."""
        if result.cacheable and not self.remember(path, stat, digest, hashed_ns, result):
            self.store(digest, result)

    # -- path -> digest memo -------------------------------------------------------------------
    def known_digest(self, path: str | Path) -> str | None:
        """The digest recorded for this path, if the file is unchanged since it was hashed."""
        memo = self._trusted_memo(path)
        return None if memo is None else str(memo["digest"])

    def _memo_record(self, path: str | Path) -> dict[str, object] | None:
        memo = self._read_signed(self._memo(path))
        if not isinstance(memo, dict) or memo.get("kind") != "stat" or memo.get("path") != _key(path):
            return None
        return memo if isinstance(memo.get("digest"), str) else None

    def _trusted_memo(self, path: str | Path) -> dict[str, object] | None:
        memo = self._memo_record(path)
        if memo is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        hashed = memo.get("hashed_ns")
        if (
            memo.get("stat") == _stat_fields(stat)
            and isinstance(hashed, int)
            and stat.st_mtime_ns <= hashed - RACY_NS
        ):
            return memo
        return None

    def remember(
        self,
        path: str | Path,
        stat: os.stat_result,
        digest: str,
        hashed_ns: int,
        result: ScanResult | None = None,
    ) -> bool:
        """Record the digest for the path (and the scan's result, when given); not written when
        `known_digest` could never trust it (the file was modified within `RACY_NS` of being
        hashed: it stays so until it changes). Whether it was written."""
        if stat.st_mtime_ns > hashed_ns - RACY_NS:
            return False
        memo: dict[str, object] = {
            "kind": "stat",
            "path": _key(path),
            "stat": _stat_fields(stat),
            "digest": digest,
            "hashed_ns": hashed_ns,
        }
        if result is not None and result.cacheable:
            memo["result"] = _result_data(result)
        self._write_signed(self._memo(path), memo)
        return True

    def lookup(self, path: str | Path) -> ScanResult | None:
        """A cached result without reading the mask: the stat memo (holding the result, or
        the digest of the content entry that does)."""
        memo = self._trusted_memo(path)
        if memo is None:
            return None
        if "result" in memo:
            return _rebuild(str(path), memo["result"])
        return self.load(str(memo["digest"]), str(path))

    # -- files ---------------------------------------------------------------------------------
    def _entry(self, digest: str) -> Path:
        return self.base / digest[:2] / f"{digest}.rbscan"

    def _memo(self, path: str | Path) -> Path:
        name = hashlib.sha1(os.fsencode(_key(path)), usedforsecurity=False).hexdigest()
        return self.base / "stat" / f"{name}.rbstat"

    def _mac(self, payload: bytes) -> str:
        assert self.secret is not None
        return hashlib.blake2b(payload, key=self.secret, digest_size=32, person=b"rb-lint").hexdigest()

    def _read_signed(self, path: Path) -> object:
        if not self.usable:
            return None
        try:
            mac, _, payload = path.read_bytes().partition(b"\n")
            if not hmac.compare_digest(mac, self._mac(payload).encode("ascii")):
                return None
            return json.loads(payload)
        except (OSError, ValueError):
            return None

    def _write_signed(self, target: Path, data: dict[str, object]) -> None:
        if not self.usable:
            return
        payload = json.dumps(data, separators=(",", ":")).encode("ascii")  # lone surrogates escaped
        entry = self._mac(payload).encode("ascii") + b"\n" + payload
        if self._writer is not None:
            self._writer.put(target, entry)
            return
        with contextlib.suppress(OSError):
            _write_entry(target, entry)


class _Writer:
    """Entries written by one thread, in order; at most `PENDING` wait (then the caller does)."""

    PENDING = 256

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[Path, bytes] | None] = queue.Queue(self.PENDING)
        self.thread: threading.Thread | None = None

    def put(self, target: Path, entry: bytes) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="rb-lint-cache-writer", daemon=True)
            self.thread.start()
        self.queue.put((target, entry))

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            with contextlib.suppress(OSError):
                _write_entry(*item)

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None


def _result_data(result: ScanResult) -> dict[str, object]:
    """A result as stored: without the judgements that depend on the file's name (RB313)."""
    data = result.to_dict()
    data["problems"] = [[p.kind, p.message] for p in result.problems if p.kind != COMPRESSION]
    return data


def _rebuild(path: str, data: object) -> ScanResult | None:
    """A stored result for `path`, with the name-dependent judgement made for this path; None
    when malformed."""
    if not isinstance(data, dict):
        return None
    try:
        stored = ScanResult.from_dict(path, data)
    except (KeyError, TypeError, ValueError):
        return None
    named = ScanResult(path, gzip=stored.gzip)
    _check_name(named)  # the name-dependent judgement (RB313), for this path
    stored.problems = named.problems + [p for p in stored.problems if p.kind != COMPRESSION]
    return stored


class _Refused(Exception):
    """The cache folder must not be used; the message says why."""


def _appears(path: Path, attempts: int) -> bool:
    """Whether `path` exists, looking `attempts` times 50 ms apart."""
    for attempt in range(attempts):
        if attempt:
            time.sleep(0.05)
        if os.path.lexists(path):
            return True
    return False


def _key_stat(path: Path) -> dict[str, int] | None:
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    return {"dev": stat.st_dev, "ino": stat.st_ino, "ctime_ns": stat.st_ctime_ns}


def _stat_fields(stat: os.stat_result) -> list[int]:
    """What must not change for the memo to hold: an in-place edit that restores size and
    mtime still changes ctime."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def _shown(path: Path) -> str:
    """A path for a one-line message: control characters and undecodable bytes escaped."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode() for c in str(path)
    )


def _key(path: str | Path) -> str:
    return os.path.abspath(path)


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError:
        return b""


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_TEMPORARY = itertools.count()


def _write_entry(target: Path, data: bytes) -> None:
    """`_write_atomic` for the many small entries of a run, in a few system calls: a new file of
    a name no other writer uses (pid, counter, random; `O_EXCL`, never through a symlink), with
    the permissions the umask gives, renamed into place. Its folder is made on first need."""
    temporary = target.parent / f".tmp-{os.getpid()}-{next(_TEMPORARY)}-{secrets.token_hex(4)}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(temporary, flags, 0o666)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(temporary, flags, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    try:
        os.fchmod(handle, 0o666 & ~_UMASK)  # mkstemp makes files private; a cache need not be
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
