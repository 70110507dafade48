"""The mask cache's database (`scans-f4.sqlite`): entries written in batches and read back, only
entries it signed trusted, a damaged database made again, a locked one given up within a bound,
at most `max_entries` rows, no symlinks followed, several processes writing at once, the file
tree of older versions left alone, and no connection crossing fork()."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_nifti_support import alter_cache_entry, cache_entries, save

from rb_lint.nifti import cache as cache_module
from rb_lint.nifti.batch import BatchSettings, scan_masks
from rb_lint.nifti.cache import BATCH, DATABASE, MaskCache
from rb_lint.nifti.scan import ScanResult
from rb_lint.nifti.values import Values

TIMEOUT = 120


def result(value: int) -> ScanResult:
    return ScanResult("m.nii.gz", size=value, gzip=True, values=Values(present=[0, value]), complete=True)


def digest(index: int) -> str:
    return f"{index:064x}"


def opened(directory: Path) -> MaskCache:
    cache = MaskCache(directory)
    assert cache.open() is None
    return cache


def test_entries_are_written_in_batches_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transactions: list[int] = []
    real = cache_module._insert

    def counting(connection: Any, rows: list[Any], limit: int) -> None:
        transactions.append(len(rows))
        real(connection, rows, limit)

    monkeypatch.setattr(cache_module, "_insert", counting)
    cache = opened(tmp_path / "cache")
    count = 2 * BATCH + 10
    with cache.deferred():
        for index in range(count):
            cache.store(digest(index), result(index % 100 + 1))
        assert cache.load(digest(count - 1), "m.nii.gz") is not None  # still pending: read from memory
    assert transactions == [BATCH, BATCH, 10]
    cache.close()
    again = opened(tmp_path / "cache")
    for index in range(count):
        found = again.load(digest(index), "m.nii.gz")
        assert found is not None and found.values == Values(present=[0, index % 100 + 1])
    assert len(cache_entries(tmp_path / "cache")) == count


def test_an_entry_forged_without_the_key_is_not_trusted(tmp_path: Path) -> None:
    cache = opened(tmp_path / "cache")
    cache.store(digest(1), result(3))
    ((entry, _kind, payload),) = cache_entries(tmp_path / "cache")
    with contextlib.closing(sqlite3.connect(tmp_path / "cache" / DATABASE)) as database, database:
        database.execute(  # the same text under another digest, with the MAC of the real entry
            "INSERT INTO scans (tag, kind, name, mac, payload) SELECT tag, kind, ?, mac, payload FROM scans",
            (digest(2).encode(),),
        )
    alter_cache_entry(tmp_path / "cache", entry, payload.replace(b"[0,3]", b"[0,1]"))  # altered text
    again = opened(tmp_path / "cache")
    assert again.load(digest(1), "m.nii.gz") is None  # altered
    assert again.load(digest(2), "m.nii.gz") is None  # moved: the MAC covers the entry's name
    alter_cache_entry(tmp_path / "cache", entry, payload, mac=b"\0" * 32)  # the text back, a forged MAC
    assert opened(tmp_path / "cache").load(digest(1), "m.nii.gz") is None


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100, "truncated"])
def test_a_damaged_database_is_made_again(tmp_path: Path, damage: bytes | str) -> None:
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    settings = BatchSettings(cache_dir=tmp_path / "cache")
    scan_masks([mask], settings)
    database = tmp_path / "cache" / DATABASE
    if damage == "truncated":
        data = database.read_bytes()
        database.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    else:
        assert isinstance(damage, bytes)
        database.write_bytes(damage)
    assert scan_masks([mask], settings)[mask].values == Values(present=[3])
    assert opened(tmp_path / "cache").load(cache_module.file_digest(mask), str(mask)) is not None


def test_a_locked_database_is_given_up_within_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cache_module, "LOCK_SECONDS", 0.2)
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    cache = opened(tmp_path / "cache")  # opened, then locked by another process's transaction
    holder = sqlite3.connect(tmp_path / "cache" / DATABASE, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        cache.store(digest(1), result(3))
        assert cache.load(digest(1), "m.nii.gz") is None and cache.gave_up is not None
        assert time.monotonic() - started < 10  # 3 attempts of 0.2 s, then no cache
        warning = capsys.readouterr().err
        assert warning.count("\n") == 1 and "is locked by another process" in warning
        started = time.monotonic()  # a run that finds it locked: scans without a cache, says so once
        found = scan_masks([mask], BatchSettings(cache_dir=tmp_path / "cache"))[mask]
        assert found.values == Values(present=[3]) and time.monotonic() - started < 10
        warning = capsys.readouterr().err
        assert warning.count("\n") == 1 and warning.endswith("scanning without a cache\n")
    finally:
        holder.close()
    assert scan_masks([mask], BatchSettings(cache_dir=tmp_path / "cache"))[mask].values == Values(present=[3])
    assert capsys.readouterr().err == ""  # unlocked: used again


def test_the_oldest_entries_go_beyond_the_bound(tmp_path: Path) -> None:
    cache = opened(tmp_path / "cache")
    cache.max_entries = 10
    with cache.deferred():
        for index in range(25):
            cache.store(digest(index), result(1))
    cache.store(digest(20), result(2))  # written again: the newest
    cache.store(digest(25), result(1))
    kept = [index for index in range(26) if cache.load(digest(index), "m.nii.gz") is not None]
    assert kept == list(range(17, 26))  # those among the last 10 written (20 twice)
    assert len(cache_entries(tmp_path / "cache")) == 9


@pytest.mark.parametrize("linked", [DATABASE, f"{DATABASE}-journal"])
def test_a_symlinked_database_is_refused(tmp_path: Path, linked: str) -> None:
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    opened(tmp_path / "cache").close()
    elsewhere = tmp_path / "elsewhere.sqlite"
    elsewhere.write_bytes(b"")
    link = tmp_path / "cache" / linked
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(elsewhere)
    cache = MaskCache(tmp_path / "cache")
    refusal = cache.open()
    assert refusal is not None and "symbolic link" in refusal
    assert scan_masks([mask], BatchSettings(cache_dir=tmp_path / "cache"))[mask].values == Values(present=[3])
    assert elsewhere.read_bytes() == b""  # nothing written through the link


WRITER = """
import sys
from pathlib import Path
from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.scan import ScanResult
from rb_lint.nifti.values import Values
cache, first = MaskCache(Path(sys.argv[1])), int(sys.argv[2])
assert cache.open() is None, cache.refused
for start in range(first, first + 600, 50):
    with cache.deferred():
        for index in range(start, start + 50):
            cache.store(f"{index:064x}", ScanResult("m", size=index, values=Values(present=[0, 1])))
assert cache.gave_up is None, cache.gave_up
"""


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    opened(tmp_path / "cache").close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "cache"), str(first)])
        for first in (0, 600)
    ]
    try:
        assert [writer.wait(timeout=TIMEOUT) for writer in writers] == [0, 0]
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
    cache = opened(tmp_path / "cache")
    assert all(cache.load(digest(index), "m") is not None for index in range(1200))


def test_the_file_tree_of_an_older_version_is_neither_read_nor_deleted(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    opened(tmp_path / "cache").close()
    old = tmp_path / "cache" / "masks" / "0.9.0-f3" / "ab"
    old.mkdir(parents=True)
    (old / f"{'ab' * 32}.rbscan").write_text('deadbeef\n{"kind":"scan"}')
    assert scan_masks([mask], BatchSettings(cache_dir=tmp_path / "cache"))[mask].values == Values(present=[3])
    assert (old / f"{'ab' * 32}.rbscan").read_text() == 'deadbeef\n{"kind":"scan"}'
    assert [kind for _entry, kind, _payload in cache_entries(tmp_path / "cache")] == ["scan"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    cache = opened(tmp_path / "cache")
    cache.store(digest(1), result(1))  # the parent's connection is open
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        ok = False
        with contextlib.suppress(BaseException):
            cache.store(digest(2), result(2))
            ok = cache.load(digest(2), "m") is not None and cache.gave_up is None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    cache.store(digest(3), result(3))  # the parent's connection still works
    assert all(cache.load(digest(index), "m") is not None for index in (1, 2, 3))


def test_memos_are_read_many_per_query(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    masks = [save(tmp_path / f"m{k}.nii.gz", np.full((2, 2, 2), k % 7, np.uint8)) for k in range(120)]
    for path in masks:
        os.utime(path, ns=(10**18, 10**18))  # long before the hash: the memos are trusted
    first = scan_masks(masks, BatchSettings(cache_dir=tmp_path / "cache"))
    queries: list[int] = []
    real = cache_module._select_many

    def counting(connection: Any, tag: str, kind: str, names: list[bytes]) -> Any:
        queries.append(len(names))
        return real(connection, tag, kind, names)

    monkeypatch.setattr(cache_module, "_select_many", counting)
    monkeypatch.setattr(cache_module, "PREFETCH", 50)
    again = scan_masks(masks, BatchSettings(cache_dir=tmp_path / "cache"))
    assert queries == [50, 50, 20]
    assert {p: r.to_dict() for p, r in again.items()} == {p: r.to_dict() for p, r in first.items()}


@pytest.mark.parametrize("known_limit", [50_000, 10], ids=["memos-kept", "memos-dropped"])
def test_touched_files_are_answered_from_their_memos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, known_limit: int
) -> None:
    """Touched but unchanged: the memos prefetched (or, beyond `KNOWN_LIMIT`, read again one by
    one) still answer by content, without a scan."""
    from rb_lint.nifti import batch

    masks = [save(tmp_path / f"m{k}.nii.gz", np.full((2, 2, 2), k % 5, np.uint8)) for k in range(60)]
    for path in masks:
        os.utime(path, ns=(10**18, 10**18))
    first = scan_masks(masks, BatchSettings(cache_dir=tmp_path / "cache"))
    for path in masks:
        os.utime(path, ns=(2 * 10**18, 2 * 10**18))  # touched: the memos no longer hold by stat

    def no_scan(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("scanned although the memo holds the result for this content")

    monkeypatch.setattr(batch, "scan_file", no_scan)
    monkeypatch.setattr(cache_module, "PREFETCH", 20)
    monkeypatch.setattr(cache_module, "KNOWN_LIMIT", known_limit)
    again = scan_masks(masks, BatchSettings(cache_dir=tmp_path / "cache"))
    assert {p: r.to_dict() for p, r in again.items()} == {p: r.to_dict() for p, r in first.items()}
