"""Benchmark: the mask cache costs what the scan reads, not what the file holds.

A 4 GiB sparse `.nii` whose header promises 4x4x4 uint8 (64 voxels; the rest of the file is a
hole, so it costs no disk) beside the same 416-byte file without the hole (the baseline, measured
in the same run). The scan reads 64 voxels of either; so must the cache key (before, it hashed
all 4 GiB: 15 s with the cache, 0.3 s without). Prints each file's scan time with a cold cache
(created each round) and without a cache, the cache's overhead on each (target: the sparse
file's within 10 ms of the small one's, whatever the file's size), and `uptime`.

    python benchmarks/bench_cache_cost.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from rb_lint.nifti.batch import BatchSettings, scan_masks

ROUNDS = 7


def cold(mask: Path, cache: Path | None) -> float:
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)  # nothing to hit
    started = time.perf_counter()
    scan_masks([mask], BatchSettings(cache_dir=cache))
    return time.perf_counter() - started


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rb-lint-bench-"))
    try:
        small, sparse = work / "small.nii", work / "sparse.nii"
        nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.uint8), np.eye(4)), small)
        shutil.copyfile(small, sparse)
        os.truncate(sparse, 4 << 30)
        cold(small, work / "cache")  # imports, first use of nibabel
        runs: dict[tuple[Path, bool], list[float]] = {
            (m, c): [] for m in (small, sparse) for c in (True, False)
        }
        for _round in range(ROUNDS):
            for (mask, cached), times in runs.items():
                times.append(cold(mask, work / "cache" if cached else None))
        best = {key: min(times) * 1000 for key, times in runs.items()}
        overhead = {mask: best[mask, True] - best[mask, False] for mask in (small, sparse)}
        print(f"scan of one file, best of {ROUNDS}, in ms:  cold cache   no cache   overhead")
        for mask, label in ((small, "416-byte .nii (baseline)"), (sparse, "4 GiB sparse, same bytes")):
            figures = f"{best[mask, True]:8.1f}   {best[mask, False]:8.1f}   {overhead[mask]:8.1f}"
            print(f"  {label}          {figures}")
        extra = overhead[sparse] - overhead[small]
        print(f"  the sparse file's extra overhead: {extra:.1f} ms (target <= 10 ms)")
        print(
            subprocess.run(["uptime"], capture_output=True, text=True, check=False, timeout=10).stdout.strip()
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
