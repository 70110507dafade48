"""On-disk cache of mask scan results, so a re-run over unchanged masks decompresses nothing.

Layout under the cache directory (`.rb_lint_cache/` in the project root by default)::

    CACHEDIR.TAG, .gitignore, key, key.stat
    scans-f4.sqlite      one SQLite database: every entry of every rb-lint version, a row each

An entry is a content entry (`scan`: digest -> result) or a path's stat memo (`stat`: path +
stat -> digest, and the result). A scan costs one entry: its path's memo (a re-run then reads
one row per mask, fetched `PREFETCH` at a time), or, when that memo could never be trusted (a
file modified just before it was hashed) or there is no path (a remote object), a content entry.
Entries are written in transactions of up to `BATCH` rows (`deferred()`), without fsync
(`synchronous=OFF`) and with a rollback journal: a crash may lose entries, never make a wrong
one. The database keeps the entries written among its last `MAX_ENTRIES` rows (at most that
many): the oldest written go first.

What the cache promises:

- It only writes into a folder it created (one that did not exist, or that carries rb-lint's own
  CACHEDIR.TAG), never into the project root or one of its ancestors, never through a symlink
  (a symlinked database or journal means no cache). Otherwise there is no cache, and `open()`
  says why (the caller prints it once).
- It only trusts what it wrote itself, here. `key` holds a random secret; `key.stat` records the
  key file's device, inode and ctime. A folder whose key file no longer matches its record was
  copied, restored or committed and cloned: it is foreign, neither read nor written. Every entry
  carries a keyed BLAKE2b MAC of its name and text under the secret, so an edited or moved entry
  is ignored.
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
- It never stops or hangs a run: a damaged database is deleted and made again; one locked by
  another process for `LOCK_ATTEMPTS` x `LOCK_SECONDS` is given up (the run goes on without a
  cache, after a one-line warning). Any malformed or unsigned entry is ignored. The per-file
  tree of older rb-lint versions (`masks/`) is neither read nor deleted.

A connection never crosses `fork()`: `close()` it before forking (the pool does); a process
that finds one opened by another process opens its own.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rb_lint.nifti.header import NIFTI2_SIZE, parse_header
from rb_lint.nifti.scan import COMPRESSION, ScanResult, _check_name
from rb_lint.nifti.stream import GZIP_MAGIC

if TYPE_CHECKING:
    import sqlite3

# 3: names are not part of a result (RB313 is recomputed), raw files keyed by what is read, MACs
# 4: one SQLite database instead of a file per entry; content keyed by SHA-256
FORMAT = 4
DATABASE = f"scans-f{FORMAT}.sqlite"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS scans (id INTEGER PRIMARY KEY, tag TEXT NOT NULL, kind TEXT NOT NULL, "
    "name BLOB NOT NULL, mac BLOB NOT NULL, payload BLOB NOT NULL, UNIQUE (tag, kind, name))"
)
SCAN, STAT = "scan", "stat"  # entry kinds: by content, by path
BATCH = 256  # entries written per transaction
PREFETCH = 500  # memos read per query
KNOWN_LIMIT = 50_000  # prefetched memos kept for the scans that follow (a few MB)
MAX_ENTRIES = 200_000  # rows kept at most (~100 MB); the oldest written go first
LOCK_SECONDS = 5.0  # waited for another process's lock, `LOCK_ATTEMPTS` times, then no cache
LOCK_ATTEMPTS = 3
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
_T = TypeVar("_T")


@functools.cache
def rb_lint_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # not at import: it costs ~10 ms

    try:
        return version("rb-lint")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


class Digest(Protocol):
    def update(self, data: Any, /) -> None: ...

    def hexdigest(self) -> str: ...


def new_hasher(kind: bytes = b"file") -> Digest:
    """SHA-256 (twice as fast as BLAKE2b where the processor has SHA instructions), its input
    prefixed by what is hashed (`file`: a whole file, `raw`: what a scan of it reads)."""
    hasher = hashlib.sha256()
    hasher.update(b"rb-lint " + kind + b"\0")
    return hasher


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


def _hash_range(path: str | Path, hasher: Digest, start: int, end: int | None) -> None:
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

    max_entries = MAX_ENTRIES

    def __init__(
        self, directory: Path, tool_version: str | None = None, protected: Sequence[Path] = ()
    ) -> None:
        self.directory = Path(os.path.abspath(directory))
        self.protected = tuple(protected)
        self.tag = f"{tool_version or rb_lint_version()}-f{FORMAT}"
        self.database = self.directory / DATABASE
        self.secret: bytes | None = None
        self.refused: str | None = None  # why the folder is not used
        self.gave_up: str | None = None  # why the cache stopped being used during the run
        self.opened = False
        self._fresh()

    def _fresh(self) -> None:
        """The state no other process may share: the connection, unwritten entries, prefetched memos."""
        self._connection: sqlite3.Connection | None = None
        self._owner = 0  # the process that opened `_connection`
        self._lock = threading.RLock()  # remote scans use the cache from several threads
        self._pending: dict[tuple[str, bytes], tuple[bytes, bytes]] = {}  # (kind, name) -> (mac, payload)
        self._known: dict[tuple[str, bytes], tuple[bytes, bytes] | None] = {}  # `lookup_many`'s misses
        self._deferring = 0

    def __getstate__(self) -> dict[str, object]:
        """Pickled for a worker: without connection nor pending entries (it makes its own)."""
        shared = ("directory", "protected", "tag", "database", "secret", "refused", "gave_up", "opened")
        return {name: self.__dict__[name] for name in shared}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._fresh()

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Writes made inside are kept and written `BATCH` per transaction; all are in the
        database when the block ends."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring:
                self.flush()

    # -- the folder ------------------------------------------------------------------------------
    def open(self) -> str | None:
        """Make the folder usable (creating it when it does not exist); None when it is, else a
        one-line reason why there is no cache."""
        if not self.opened:
            self.opened = True
            try:
                self.secret = self._open()
                with self._lock:
                    self._connect()
            except _Refused as refusal:
                self.refused = str(refusal)
            except OSError as error:
                self.refused = (
                    f"cannot use the mask cache {_shown(self.directory)}: {error.strerror or error}"
                )
        return self.refused

    @property
    def usable(self) -> bool:
        return self.open() is None and self.secret is not None and self.gave_up is None

    def close(self) -> None:
        """Write what is pending and close the connection (before `fork()`: a later use in
        this process or a child opens a new one)."""
        self.flush()
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None and self._owner == os.getpid():
                with contextlib.suppress(Exception):
                    connection.close()

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

    # -- the database ----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        """This process's connection (opened on first need). Raises _Refused: a symlinked
        database or journal, a database locked for too long, or one that cannot be made again."""
        if self._connection is not None and self._owner == os.getpid():
            return self._connection
        if self._connection is not None:  # inherited through fork: neither used nor closed here
            _INHERITED.append(self._connection)
            self._connection = None
        shown = _shown(self.database)
        for path in (self.database, Path(f"{self.database}-journal")):
            if os.path.islink(path):
                raise _Refused(f"the mask cache database {shown} (or its journal) is a symbolic link")
        for _attempt in range(2):  # a damaged database is deleted and made again, once
            try:
                connection: sqlite3.Connection = _sqlite().connect(
                    self.database, timeout=LOCK_SECONDS, isolation_level=None, check_same_thread=False
                )
            except _sqlite().Error as error:
                raise _Refused(f"cannot use the mask cache database {shown}: {error}") from None
            try:
                _patiently(functools.partial(_prepare, connection))
            except _Locked:
                connection.close()
                raise _Refused(f"the mask cache database {shown} is locked by another process") from None
            except _sqlite().Error as error:
                connection.close()
                if not _damaged(error, preparing=True):
                    raise _Refused(f"cannot use the mask cache database {shown}: {error}") from None
                _remove_database(self.database)
                continue
            self._connection, self._owner = connection, os.getpid()
            return connection
        raise _Refused(f"the mask cache database {shown} is damaged and could not be made again")

    def _use(self, operation: Callable[[sqlite3.Connection], _T]) -> _T | None:
        """`operation` on this process's connection (retried while another process holds the
        lock, `LOCK_ATTEMPTS` times); None, and no cache from then on, when it cannot be done."""
        with self._lock:
            if not self.usable:
                return None
            try:
                connection = self._connect()
                return _patiently(lambda: operation(connection))
            except _Refused as refusal:
                self._give_up(str(refusal))
            except _Locked:
                self._give_up(f"the mask cache database {_shown(self.database)} is locked by another process")
            except _sqlite().Error as error:  # a full disk, or damaged under us (made again)
                self._give_up(f"cannot use the mask cache database {_shown(self.database)}: {error}")
                if _damaged(error, preparing=False):
                    _remove_database(self.database)
            return None

    def _give_up(self, reason: str) -> None:
        self.gave_up, self._pending, self._known = reason, {}, {}
        connection, self._connection = self._connection, None
        if connection is not None and self._owner == os.getpid():
            with contextlib.suppress(Exception):
                connection.close()
        with contextlib.suppress(OSError, ValueError):
            print(f"rb-lint: warning: {reason}; scanning on without a cache", file=sys.stderr, flush=True)

    def flush(self) -> None:
        """Write the pending entries, in one transaction."""
        with self._lock:
            rows = [
                (self.tag, kind, name, mac, payload) for (kind, name), (mac, payload) in self._pending.items()
            ]
            self._pending = {}
            if rows:
                self._use(functools.partial(_insert, rows=rows, limit=self.max_entries))

    def _row(self, kind: str, name: bytes) -> tuple[bytes, bytes] | None:
        with self._lock:
            pending = self._pending.get((kind, name))
            if pending is not None:
                return pending
            if (kind, name) in self._known:
                return self._known[kind, name]
            return self._use(functools.partial(_select, tag=self.tag, kind=kind, name=name))

    def _read_signed(self, kind: str, name: bytes) -> object:
        if not self.usable:
            return None
        row = self._row(kind, name)
        if row is None:
            return None
        mac, payload = row
        if not (isinstance(mac, bytes) and isinstance(payload, bytes)):
            return None
        if not hmac.compare_digest(mac, self._mac(kind, name, payload)):
            return None
        try:
            return json.loads(payload)
        except ValueError:
            return None

    def _write_signed(self, kind: str, name: bytes, data: dict[str, object]) -> None:
        if not self.usable:
            return
        payload = json.dumps(data, separators=(",", ":")).encode("ascii")  # lone surrogates escaped
        with self._lock:
            self._known.pop((kind, name), None)
            self._pending[kind, name] = (self._mac(kind, name, payload), payload)
            if not self._deferring or len(self._pending) >= BATCH:
                self.flush()

    def _mac(self, kind: str, name: bytes, payload: bytes) -> bytes:
        """Over the entry's version tag, kind and name too: a row moved to another key is not
        trusted."""
        assert self.secret is not None
        tag = self.tag.encode("utf-8", "surrogateescape")
        mac = hashlib.blake2b(key=self.secret, digest_size=32, person=b"rb-lint")
        mac.update(struct.pack("<III", len(tag), len(kind), len(name)) + tag + kind.encode("ascii") + name)
        mac.update(payload)
        return mac.digest()

    # -- content-keyed results ---------------------------------------------------------------
    def load(self, digest: str, path: str) -> ScanResult | None:
        """The result for this content: its content entry, or the one the path's memo holds
        for the same digest (a file touched but unchanged)."""
        entry = self._read_signed(SCAN, digest.encode("utf-8", "surrogateescape"))
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
            name = digest.encode("utf-8", "surrogateescape")
            self._write_signed(SCAN, name, {"kind": "scan", "digest": digest, "result": data})

    def record(
        self, path: str | Path, stat: os.stat_result, digest: str, hashed_ns: int, result: ScanResult
    ) -> None:
        """Keep a scan's result in ONE entry: in the path's memo (which then answers `lookup`
        with one read), or, when the memo could never be trusted (`remember`), by content."""
        if result.cacheable and not self.remember(path, stat, digest, hashed_ns, result):
            self.store(digest, result)

    # -- path -> digest memo -------------------------------------------------------------------
    def known_digest(self, path: str | Path) -> str | None:
        """The digest recorded for this path, if the file is unchanged since it was hashed."""
        memo = self._trusted_memo(path)
        return None if memo is None else str(memo["digest"])

    def _memo_record(self, path: str | Path) -> dict[str, object] | None:
        memo = self._read_signed(STAT, _name(path))
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
        self._write_signed(STAT, _name(path), memo)
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

    def lookup_many(self, paths: Sequence[Path]) -> dict[Path, ScanResult]:
        """`lookup` of many paths, their memos read `PREFETCH` per query; the memos of those
        missed are kept for the scans that follow (`load` of a touched but unchanged file) in
        this process and the workers it forks."""
        found: dict[Path, ScanResult] = {}
        if not self.usable:
            return found
        for start in range(0, len(paths), PREFETCH):
            part = paths[start : start + PREFETCH]
            names = [_name(path) for path in part]
            rows = self._use(functools.partial(_select_many, tag=self.tag, kind=STAT, names=names))
            if rows is None:
                return found
            with self._lock:
                self._known.update({(STAT, name): rows.get(name) for name in names})
            for path, name in zip(part, names, strict=True):
                result = self.lookup(path)
                if result is not None:
                    found[path] = result
                    self._known.pop((STAT, name), None)
            if len(self._known) > KNOWN_LIMIT:  # memory stays bounded: `load` asks the database
                for name in names:
                    self._known.pop((STAT, name), None)
        return found


def _prepare(connection: sqlite3.Connection) -> None:
    """Settings, the table, and a first read (a file that is not this database fails here)."""
    connection.execute("PRAGMA synchronous=OFF")  # a crash may lose entries; each is checked by its MAC
    connection.execute("PRAGMA journal_mode=DELETE").fetchall()  # a rollback journal, never WAL
    connection.execute(SCHEMA)
    connection.execute("SELECT id, tag, kind, name, mac, payload FROM scans LIMIT 1").fetchall()


def _select(connection: sqlite3.Connection, tag: str, kind: str, name: bytes) -> tuple[bytes, bytes] | None:
    row = connection.execute(
        "SELECT mac, payload FROM scans WHERE tag = ? AND kind = ? AND name = ?", (tag, kind, name)
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _select_many(
    connection: sqlite3.Connection, tag: str, kind: str, names: list[bytes]
) -> dict[bytes, tuple[bytes, bytes]]:
    marks = ",".join("?" * len(names))
    rows = connection.execute(
        f"SELECT name, mac, payload FROM scans WHERE tag = ? AND kind = ? AND name IN ({marks})",
        (tag, kind, *names),
    )
    return {name: (mac, payload) for name, mac, payload in rows}


def _insert(
    connection: sqlite3.Connection, rows: list[tuple[str, str, bytes, bytes, bytes]], limit: int
) -> None:
    """One transaction: the rows (a rewritten entry becomes the newest), then the entries not
    written among the last `limit` rows deleted: ids grow by one per row written, so at most
    `limit` are left, found through the primary key (no count of the table)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.executemany(
            "INSERT OR REPLACE INTO scans (tag, kind, name, mac, payload) VALUES (?, ?, ?, ?, ?)", rows
        )
        low, high = connection.execute("SELECT min(id), max(id) FROM scans").fetchone()
        if high is not None and high - low >= limit:
            connection.execute("DELETE FROM scans WHERE id <= ?", (high - limit,))
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            connection.execute("ROLLBACK")
        raise


def _patiently(operation: Callable[[], _T]) -> _T:
    """`operation`, tried `LOCK_ATTEMPTS` times while the database is locked (each attempt
    waits up to `LOCK_SECONDS` for the lock); raises _Locked after that."""
    for _attempt in range(LOCK_ATTEMPTS):
        try:
            return operation()
        except _sqlite().OperationalError as error:
            if not _is_locked(error):
                raise
    raise _Locked


def _is_locked(error: Exception) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _damaged(error: Exception, preparing: bool) -> bool:
    """Whether the error says the database file is damaged (not full, read-only or locked). While
    preparing, a table not as this version makes it is damage too."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:  # Python < 3.11: by the exception's type
        return type(error) is _sqlite().DatabaseError or (preparing and not _is_locked(error))
    return int(code) & 0xFF in ((1, 11, 26) if preparing else (11, 26))  # ERROR, CORRUPT, NOTADB


def _remove_database(database: Path) -> None:
    for path in (database, Path(f"{database}-journal")):
        with contextlib.suppress(OSError):
            os.unlink(path)


def _sqlite() -> ModuleType:
    import sqlite3  # not at import: a lint that scans no mask does not load it

    return sqlite3


class _Locked(Exception):
    """Another process held the database's lock for `LOCK_ATTEMPTS` x `LOCK_SECONDS`."""


_INHERITED: list[object] = []  # connections a forked child inherited: never closed there


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


def _name(path: str | Path) -> bytes:
    """A memo's name: the absolute path's bytes (any file name, undecodable ones too)."""
    return os.fsencode(_key(path))


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
