# mypy: disable-error-code="no-untyped-call"
"""Benchmark: mask scans on a 2-worker Dask LocalCluster against the local process pool (issue 15).

Uses the first `--masks` masks bench_small_masks.py generated under benchmarks/_work/small/
(BraTS-like, ~47 KB gzip each; run that script once first; this one neither writes nor deletes
them) and, for the per-worker scan rate, one uncompressed int16 mask of 157 MB written once
under benchmarks/_work/dask/. Prints, best of `--rounds` interleaved rounds, no cache:

  pool      `scan_masks` with the local pool, 2 workers (force_parallel)
  dask      `scan_masks --executor dask` on rb-lint's own LocalCluster (`dask_executor.session`:
            2 processes x 1 thread, the worker settings rb-lint uses; started once, before the
            rounds; a few files scanned first so its workers have imported rb-lint, as the pool's
            forked workers have); target: dask >= 0.8x the pool's throughput
  no-op     `client.map` of an empty task, `--noop` of them: the scheduling round trip per task
  rate      one core scanning the 157 MB int16 mask (uncompressed, from the page cache)
  memory    each Dask worker process's peak resident memory (VmHWM; VmRSS beside it) idle, after
            the rounds and after the no-op tasks (target: peak <= 100 MB)

then projects 100,000 masks of 157 MB on 16, 64 and 256 workers from the measured rate and
overhead, with the storage bandwidth it assumes printed beside it. `uptime` before and after.

    python benchmarks/bench_dask.py [--masks 2000] [--rounds 2] [--noop 2000] [--storage-gbs 10]
    python benchmarks/bench_dask.py --masks 100 --rounds 1 --noop 200   # a smoke run, well under a minute
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from benchlib import uptime

WORK = Path(__file__).resolve().parent / "_work"
SMALL = WORK / "small"
BIG = WORK / "dask" / "int16-157MB.nii"
BIG_SHAPE = (512, 512, 300)  # int16: 157,286,400 bytes of voxels
PROJECTED_MASKS = 100_000
PROJECTED_WORKERS = (16, 64, 256)
TARGET_BYTES = 100_000_000  # peak resident memory per worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--masks", "--count", dest="count", type=int, default=2000, help="masks to scan")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--noop", type=int, default=2000)
    parser.add_argument(
        "--storage-gbs", type=float, default=10.0, help="assumed aggregate storage bandwidth, GB/s"
    )
    args = parser.parse_args()
    paths = sorted(SMALL.glob("*.nii.gz"))[: args.count]
    if len(paths) < args.count:
        sys.exit(
            f"only {len(paths)} masks in {SMALL}: run benchmarks/bench_small_masks.py --count {args.count}"
        )
    print(f"uptime before: {uptime()}")
    from rb_lint.nifti import dask_executor
    from rb_lint.nifti.batch import BatchSettings, scan_masks

    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} masks, {total / 1e6:.0f} MB gzip")
    started = time.perf_counter()
    client = dask_executor.session(None, 2).client  # the LocalCluster `--executor dask --jobs 2` starts
    print(f"LocalCluster start: {time.perf_counter() - started:.1f} s (not in the figures below)")
    idle = client.run(_memory)
    pool_settings = BatchSettings(jobs=2, force_parallel=True)
    dask_settings = BatchSettings(executor="dask", jobs=2)
    scan_masks(paths[:8], dask_settings)  # workers import rb_lint
    pool_times, dask_times = [], []
    for _round in range(args.rounds):
        pool_times.append(_timed(lambda: scan_masks(paths, pool_settings)))
        dask_times.append(_timed(lambda: scan_masks(paths, dask_settings)))
    pool, dask = min(pool_times), min(dask_times)
    print(f"pool  2 workers: {pool:6.2f} s  {len(paths) / pool:7.0f} masks/s  (rounds: {_list(pool_times)})")
    print(f"dask  2 workers: {dask:6.2f} s  {len(paths) / dask:7.0f} masks/s  (rounds: {_list(dask_times)})")
    print(f"dask / pool throughput: {pool / dask:.2f}x (target >= 0.80x)")
    scanned = client.run(_memory)

    noop = _timed(lambda: client.gather(client.map(_nothing, range(args.noop), pure=False)))
    per_task = noop / args.noop
    print(f"scheduling round trip: {per_task * 1e3:.2f} ms per task ({args.noop} empty tasks, {noop:.2f} s)")

    after = client.run(_memory)
    rate = _scan_rate()
    print(f"scan rate, one core, int16 157 MB uncompressed: {rate / 1e9:.2f} GB/s")
    _print_memory(idle, scanned, after)
    dask_executor.close_all()
    _projection(rate, per_task, args.storage_gbs * 1e9)
    print(f"uptime after: {uptime()}")


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _list(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def _nothing(value: int) -> int:
    return value


def _memory() -> tuple[int, int]:
    """(VmHWM, VmRSS) of this process in bytes: its peak and current resident memory. (Not
    getrusage's ru_maxrss, which a spawned process inherits from the one that forked it.)"""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _colon, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                found[name] = int(value.split()[0]) * 1024  # kB
    return found["VmHWM"], found["VmRSS"]


def _print_memory(idle: dict[str, tuple[int, int]], *later: dict[str, tuple[int, int]]) -> None:
    """Per worker: idle, after the rounds, after the no-op tasks; then the peak against the target."""
    print("memory per Dask worker (VmHWM peak / VmRSS now, MB): idle -> after the rounds -> after the no-ops")
    for worker in sorted(idle):
        stages = [idle[worker], *(each[worker] for each in later if worker in each)]
        shown = " -> ".join(f"{peak / 1e6:.0f}/{now / 1e6:.0f}" for peak, now in stages)
        peak = max(peak for peak, _now in stages)
        verdict = "within" if peak <= TARGET_BYTES else "OVER"
        print(
            f"  {worker}: {shown}; peak {peak / 1e6:.0f} MB, {verdict} the {TARGET_BYTES / 1e6:.0f} MB target"
        )


def _scan_rate() -> float:
    """Bytes of voxels per second one core scans (best of three, the file in the page cache)."""
    from rb_lint.nifti.scan import scan_file

    if not BIG.exists():
        import nibabel as nib

        BIG.parent.mkdir(parents=True, exist_ok=True)
        data = np.zeros(BIG_SHAPE, np.int16)
        data[100:300, 100:300, 50:250] = np.arange(200, dtype=np.int16)[None, None, :] % 14
        nib.save(nib.Nifti1Image(data, np.eye(4)), BIG)
    nbytes = int(np.prod(BIG_SHAPE)) * 2
    best = min(_timed(lambda: scan_file(BIG)) for _ in range(3))
    return nbytes / best


def _projection(rate: float, per_task: float, storage: float) -> None:
    mask = int(np.prod(BIG_SHAPE)) * 2
    print(
        f"\nprojection: {PROJECTED_MASKS:,} masks of {mask / 1e6:.0f} MB (uncompressed int16), one per task;"
        f"\n  assumed: each worker one core scanning at the rate measured here ({rate / 1e9:.2f} GB/s),"
        f"\n  storage shared by all workers at {storage / 1e9:.0f} GB/s aggregate (a parallel filesystem"
        "\n  or an object store in the cluster's region), the scheduler handling tasks one after the"
        f"\n  other at the round trip measured here ({per_task * 1e3:.2f} ms); no start-up, no stragglers"
    )
    print(f"  {'workers':>8} {'scan':>9} {'storage':>9} {'scheduler':>10} {'projected':>10}")
    for workers in PROJECTED_WORKERS:
        scan = PROJECTED_MASKS * mask / rate / workers
        read = PROJECTED_MASKS * mask / storage
        scheduling = PROJECTED_MASKS * per_task
        projected = max(scan, read, scheduling)
        columns = (_minutes(scan), _minutes(read), _minutes(scheduling), _minutes(projected))
        print(f"  {workers:>8} {columns[0]:>9} {columns[1]:>9} {columns[2]:>10} {columns[3]:>10}")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


if __name__ == "__main__":
    main()
