"""On-disk cache of mask scan results, so a re-run over unchanged masks decompresses nothing.

Layout under the cache directory (`.rb_lint_cache/` in the linted root by default)::

    CACHEDIR.TAG, .gitignore
    masks/<rb-lint version>-f<format>/<digest[:2]>/<digest>.rbscan   result, keyed by content
    masks/<rb-lint version>-f<format>/stat/<path hash>.rbstat         path + size + mtime -> digest

Results are keyed by a BLAKE2b hash of the file's bytes and by rb-lint's version, so an upgrade
or an edit never reuses a stale result, and a fresh checkout (new mtimes) still hits by content.
The stat memo only saves re-hashing a file whose size, mtime and inode are unchanged; it is not
trusted when the file was modified within two seconds of being hashed (a coarse-mtime
filesystem could hide a later edit), as git does for its index. Writes go to a temporary file
renamed into place; any unreadable or malformed entry is ignored. The cache is best-effort:
an unwritable directory only means no caching.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rb_lint.nifti.scan import ScanResult

FORMAT = 2  # bump when the meaning of a stored ScanResult changes (2: headers read by nibabel)
RACY_NS = 2_000_000_000
READ_SIZE = 1 << 20
_UMASK = os.umask(0)
os.umask(_UMASK)
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by rb-lint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def rb_lint_version() -> str:
    try:
        return version("rb-lint")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def new_hasher() -> hashlib.blake2b:
    return hashlib.blake2b(digest_size=32)


def file_digest(path: str | Path) -> str:
    hasher = new_hasher()
    buffer = bytearray(READ_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            hasher.update(view[:count])
    return hasher.hexdigest()


class MaskCache:
    def __init__(self, directory: Path, tool_version: str | None = None) -> None:
        self.directory = directory
        tag = re.sub(r"[^\w.+-]", "_", f"{tool_version or rb_lint_version()}-f{FORMAT}")
        self.base = directory / "masks" / tag

    # -- content-keyed results ---------------------------------------------------------------
    def load(self, digest: str, path: str) -> ScanResult | None:
        entry = _read_json(self._entry(digest))
        if not isinstance(entry, dict) or entry.get("digest") != digest:
            return None
        try:
            return ScanResult.from_dict(path, entry["result"])
        except (KeyError, TypeError, ValueError):
            return None

    def store(self, digest: str, result: ScanResult) -> None:
        if result.cacheable:
            self._write(self._entry(digest), {"digest": digest, "result": result.to_dict()})

    # -- path -> digest memo -------------------------------------------------------------------
    def known_digest(self, path: str | Path) -> str | None:
        """The digest recorded for this path, if the file is unchanged since it was hashed."""
        memo = _read_json(self._memo(path))
        if not isinstance(memo, dict):
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        hashed = memo.get("hashed_ns")
        digest = memo.get("digest")
        unchanged = (
            memo.get("path") == _key(path)
            and memo.get("size") == stat.st_size
            and memo.get("mtime_ns") == stat.st_mtime_ns
            and memo.get("ino") == stat.st_ino
        )
        if (
            unchanged
            and isinstance(hashed, int)
            and isinstance(digest, str)
            and stat.st_mtime_ns <= hashed - RACY_NS
        ):
            return digest
        return None

    def remember(self, path: str | Path, stat: os.stat_result, digest: str, hashed_ns: int) -> None:
        self._write(
            self._memo(path),
            {
                "path": _key(path),
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "ino": stat.st_ino,
                "digest": digest,
                "hashed_ns": hashed_ns,
            },
        )

    def lookup(self, path: str | Path) -> ScanResult | None:
        """A cached result without reading the mask (stat memo, then the content entry)."""
        digest = self.known_digest(path)
        return None if digest is None else self.load(digest, str(path))

    # -- files ---------------------------------------------------------------------------------
    def _entry(self, digest: str) -> Path:
        return self.base / digest[:2] / f"{digest}.rbscan"

    def _memo(self, path: str | Path) -> Path:
        name = hashlib.sha1(_key(path).encode("utf-8"), usedforsecurity=False).hexdigest()
        return self.base / "stat" / f"{name}.rbstat"

    def _write(self, target: Path, data: dict[str, object]) -> None:
        with contextlib.suppress(OSError):
            self._ensure_directory()
            _write_atomic(target, json.dumps(data, separators=(",", ":")))

    def _ensure_directory(self) -> None:
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(tag, CACHEDIR_TAG)
            _write_atomic(self.directory / ".gitignore", "# Created by rb-lint.\n*\n")


def _key(path: str | Path) -> str:
    return os.path.abspath(path)


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
