"""The mask scan cache: never writes outside its own folder, never gives a wrong verdict, never
trusts what it did not write itself, never dies on a file name, costs what the scan costs, and
leaves no worker behind when the run is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from test_nifti_support import alter_cache_entry, cache_entries

from rb_lint.nifti.batch import BatchSettings, scan_masks
from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.scan import COMPRESSION

TIMEOUT = 120


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "RB_LINT_CACHE_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "--select", "RB3", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        timeout=60,
        capture_output=True,
    )


def unmapped_mask(path: Path) -> Path:
    """A mask holding 1 (mapped) and 3 (not mapped: RB305)."""
    volume = np.zeros((4, 4, 4), np.uint8)
    volume[1, 1, 1], volume[2, 2, 2] = 1, 3
    nib.save(nib.Nifti1Image(volume, np.eye(4)), path)
    return path


def project(root: Path, mask_name: str = "seg.nii.gz", config: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    unmapped_mask(root / mask_name)
    doc = [{"name": "patient-001", "series": [{"segmentations": mask_name, "segmentMap": {"1": "Liver"}}]}]
    (root / "items.json").write_text(json.dumps(doc, indent=2))
    if config is not None:
        (root / "rb-lint.toml").write_text(config)
    return root


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file, folder and symlink under root, with its bytes (or target)."""
    found: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = path.read_bytes()
    return found


# -- promise 2: the cache writes only into a folder it created -------------------------------------


def user_folder(root: Path) -> str:
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("mine\n")
    (root / "notes" / ".gitignore").write_text("draft-*\n")
    return "notes"


def symlink_to_root(root: Path) -> str:
    (root / ".rb_lint_cache").symlink_to(".")
    return ".rb_lint_cache"


@pytest.mark.parametrize(
    "make_cache_dir",
    [lambda root: ".", lambda root: "..", symlink_to_root, user_folder],
    ids=["root", "parent", "symlink-to-root", "user-folder"],
)
def test_cache_never_writes_outside_its_own_folder(tmp_path: Path, make_cache_dir: Any) -> None:
    root = project(tmp_path / "proj")
    (root / ".gitignore").write_text("*.log\n")
    cache_dir = make_cache_dir(root)
    (root / "rb-lint.toml").write_text(f"[masks]\ncache-dir = {json.dumps(cache_dir)}\n")
    before = snapshot(tmp_path)
    done = run_cli(["items.json"], root)
    assert done.returncode == 0, done.stdout + done.stderr  # RB305 is a warning: exit code unchanged
    assert "RB305" in done.stdout  # the scan still ran, without a cache
    assert snapshot(tmp_path) == before  # nothing written anywhere: no CACHEDIR.TAG, no .gitignore
    warnings = done.stderr.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("rb-lint: warning: the mask cache ")
    assert warnings[0].endswith("scanning without a cache")
    assert "Traceback" not in done.stderr


def test_a_cache_folder_rb_lint_created_is_used_again(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    first, second = run_cli(["items.json"], root), run_cli(["items.json"], root)
    assert first.stderr == second.stderr == "" and first.stdout == second.stdout
    assert (root / ".rb_lint_cache" / "CACHEDIR.TAG").is_file()
    assert (root / ".rb_lint_cache" / ".gitignore").read_text() == "# Created by rb-lint.\n*\n"


# -- promise 3: cached verdicts are right ----------------------------------------------------------


@pytest.mark.parametrize("first", ["ok.nii.gz", "bad.nii"])
def test_cached_verdict_is_recomputed_for_the_file_name(tmp_path: Path, first: str) -> None:
    """The same gzip bytes as `ok.nii.gz` and `bad.nii`: only the latter is RB313."""
    ok = unmapped_mask(tmp_path / "ok.nii.gz")
    bad = tmp_path / "bad.nii"
    bad.write_bytes(ok.read_bytes())
    settings = BatchSettings(cache_dir=tmp_path / "cache")
    order = [ok, bad] if first == "ok.nii.gz" else [bad, ok]
    for path in order:  # one run each: the second answers from the first's entry
        scan_masks([path], settings)
    results = scan_masks(order, settings)
    assert results[ok].problem(COMPRESSION) is None
    problem = results[bad].problem(COMPRESSION)
    assert problem is not None and "named `.nii`" in problem.message
    assert results[ok].values == results[bad].values


def test_an_in_place_edit_that_restores_size_and_mtime_is_seen(tmp_path: Path) -> None:
    mask = tmp_path / "m.nii"
    nib.save(nib.Nifti1Image(np.full((4, 4, 4), 1, np.uint8), np.eye(4)), mask)
    old = 10**18  # long before the hash: the stat memo is trusted
    os.utime(mask, ns=(old, old))
    settings = BatchSettings(cache_dir=tmp_path / "cache")
    assert scan_masks([mask], settings)[mask].values.present == [1]  # type: ignore[union-attr]
    assert MaskCache(tmp_path / "cache").lookup(mask) is not None  # the memo holds
    data = bytearray(mask.read_bytes())
    data[-64:] = bytes([7] * 64)  # same size, other voxels
    with mask.open("r+b") as handle:  # same inode
        handle.write(data)
    os.utime(mask, ns=(old, old))  # and the old mtime
    assert MaskCache(tmp_path / "cache").lookup(mask) is None  # ctime changed
    assert scan_masks([mask], settings)[mask].values.present == [7]  # type: ignore[union-attr]


# -- promise 4: a tampered cache is not trusted -----------------------------------------------------


def claim_clean(cache_dir: Path) -> int:
    """Edit every stored scan result (a content entry's, or a stat memo's: a result is stored
    in one of them) to claim the mask holds only mapped values."""
    edited = 0
    for entry, _kind, payload in cache_entries(cache_dir):
        data = json.loads(payload)
        if "result" in data:
            data["result"]["values"]["present"] = [0, 1]
            alter_cache_entry(cache_dir, entry, json.dumps(data, separators=(",", ":")).encode())
            edited += 1
    return edited


def test_an_edited_entry_is_not_trusted(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    assert "RB305" in run_cli(["items.json"], root).stdout
    assert claim_clean(root / ".rb_lint_cache") == 1
    done = run_cli(["items.json"], root)
    assert "RB305" in done.stdout and done.stderr == ""


@pytest.mark.parametrize("keep_key", [True, False], ids=["committed-with-key", "committed-without-key"])
def test_a_committed_cache_is_not_trusted_in_a_clone(tmp_path: Path, keep_key: bool) -> None:
    origin = project(tmp_path / "origin")
    git("init", "-q", ".", cwd=origin)
    assert "RB305" in run_cli(["items.json"], origin).stdout
    cache = origin / ".rb_lint_cache"
    assert claim_clean(cache) == 1
    if not keep_key:
        (cache / "key").unlink()
        (cache / "key.stat").unlink()
    git("add", "-A", cwd=origin)
    git("add", "-f", ".rb_lint_cache", cwd=origin)
    git("commit", "-q", "-m", "data with a cache", cwd=origin)
    git("clone", "-q", str(origin), str(tmp_path / "clone"), cwd=tmp_path)
    clone = tmp_path / "clone"
    assert cache_entries(clone / ".rb_lint_cache")  # the edited entry came along
    done = run_cli(["items.json"], clone)
    assert done.returncode == 0, done.stderr
    assert "RB305" in done.stdout and "holds value 3" in done.stdout  # the real finding
    if keep_key:  # a foreign folder: not read, not written, named once
        assert done.stderr.count("\n") == 1 and ".rb_lint_cache" in done.stderr
        assert "not created here" in done.stderr and "delete it" in done.stderr
    else:  # an rb-lint folder without a key: a new key, and the unsigned entries are ignored
        assert done.stderr == ""


# -- promise 7: any file name ---------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse undecodable names")
@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_an_undecodable_mask_name_does_not_end_the_run(tmp_path: Path, cache: bool) -> None:
    name = os.fsdecode(b"m\xff.nii.gz")  # "m\udcff.nii.gz"
    root = project(tmp_path / "proj", mask_name=name)
    done = run_cli(["items.json", *([] if cache else ["--no-cache"])], root)
    assert done.returncode in (0, 1), done.stderr
    assert "RB305" in done.stdout and "holds value 3" in done.stdout
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    again = run_cli(["items.json"], root)  # and from the cache
    assert again.stdout == done.stdout


# -- promise 8: the cache costs what the scan costs ------------------------------------------------


def bytes_read() -> int:
    with open("/proc/self/io") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("rchar:"))


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
def test_a_sparse_4_gib_file_hashes_only_what_the_scan_reads(tmp_path: Path) -> None:
    """A header promising 4x4x4 uint8 in a 4 GiB file: the scan reads 64 voxels, so must the key."""
    mask = tmp_path / "sparse.nii"
    volume = np.zeros((4, 4, 4), np.uint8)
    volume[0, 0, 0] = 2
    nib.save(nib.Nifti1Image(volume, np.eye(4)), mask)
    os.truncate(mask, 4 << 30)  # no disk used
    settings = BatchSettings(cache_dir=tmp_path / "cache")
    before = bytes_read()
    result = scan_masks([mask], settings)[mask]
    assert bytes_read() - before < 64 << 20
    assert result.values is not None and result.values.present == [0, 2] and result.complete
    before = bytes_read()
    again = scan_masks([mask], settings)[mask]  # a cache hit (the file is too fresh for the memo)
    assert bytes_read() - before < 64 << 20
    assert again.to_dict() == result.to_dict()


# -- promise 9: no orphaned workers ----------------------------------------------------------------


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for a reaper that may never come)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "term"])
def test_workers_die_with_the_run(tmp_path: Path, signum: int) -> None:
    for k in range(4):  # 2 GiB of voxels each, stored sparse: many seconds of scanning, no disk
        mask = tmp_path / f"big{k}.nii"
        header = nib.Nifti1Header()
        header.set_data_dtype(np.uint8)
        header.set_data_shape((2048, 1024, 1024))
        header["vox_offset"] = 352
        mask.write_bytes(header.binaryblock + b"\0" * 4)
        os.truncate(mask, 352 + (2 << 30))
    doc = [{"name": "p", "series": [{"segmentations": [f"big{k}.nii" for k in range(4)], "segmentMap": {}}]}]
    (tmp_path / "items.json").write_text(json.dumps(doc))
    process = subprocess.Popen(
        [sys.executable, "-m", "rb_lint", "check", "--select", "RB3", "--no-cache", "-j", "2", "items.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
            workers = children(process.pid)
            time.sleep(0.01)
        assert workers, "no worker was seen before the run ended"
        time.sleep(0.2)  # the workers are scanning
        process.send_signal(signum)
        process.wait(timeout=30)  # not communicate(): workers left behind would hold its pipes open
        # Each scan takes seconds more: workers that outlive the run would still be scanning.
        deadline = time.monotonic() + 3
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(running(pid) for pid in workers)
        _, stderr = process.communicate(timeout=30)
    finally:
        for pid in workers:  # what this test started, should it fail
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
    if signum == signal.SIGTERM:
        assert process.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM, 130), process.returncode
        assert "Traceback" not in stderr
