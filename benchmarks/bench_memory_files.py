"""Benchmark: peak memory of linting one task list against linting several together.

Documents are read one at a time (issue 12, deliver 7): the peak is bounded by the largest file,
not the sum of all of them, so linting four ~20 MB task lists should peak near linting one. Each
measurement runs in a fresh process; its peak RSS is `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`
read after that process has ended (the only child of a fresh measuring process, so it is that
run's own peak). Every rule runs except the mask family (the generated masks are in a bucket).

    python benchmarks/bench_memory_files.py [--files 4] [--tasks 10000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_json import make_task  # the same realistic tasks as the JSON benchmark
from benchlib import uptime

WORK = Path(__file__).resolve().parent / "_work"

# Runs in a fresh interpreter: lints the paths given, prints the number of findings.
LINT = textwrap.dedent("""
    import sys
    from rb_lint import lint
    report = lint(sys.argv[1:], config={"ignore": ["RB3"]})
    assert not report.errors, report.errors
    print(len(report.findings))
""")

# Runs LINT as its only child and reports that child's peak RSS.
MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], check=True,
                         capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_bytes": peak_kib * 1024, "findings": int(out.stdout)}))
""")


def generate(path: Path, first: int, count: int) -> None:
    rng = random.Random(first)
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for index in range(first, first + count):
            if index > first:
                out.write(",\n")
            out.write(json.dumps(make_task(index, rng), indent=2))
        out.write("\n]\n")


def measure(paths: list[Path]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, LINT, *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks per file (10,000: ~20 MB)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the lowest peak counts")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    paths = [WORK / f"memory-{n}-of-{args.files}-{args.tasks}.json" for n in range(args.files)]
    for n, path in enumerate(paths):
        if not path.exists():
            print(f"generating {path} ...", flush=True)
            generate(path, n * args.tasks, args.tasks)
    sizes = [p.stat().st_size for p in paths]
    print(f"uptime: {uptime()}")
    runs = [(measure(paths[:1]), measure(paths)) for _ in range(args.repeat)]  # interleaved
    one = min((a for a, _ in runs), key=lambda m: m["peak_bytes"])
    every = min((b for _, b in runs), key=lambda m: m["peak_bytes"])
    print(
        f"files: {args.files} x ~{sizes[0] / 1e6:.1f} MB ({sum(sizes) / 1e6:.1f} MB), {args.tasks} tasks each"
    )
    print(
        f"one file  : peak RSS {one['peak_bytes'] / 1e6:7.1f} MB  {one['seconds']:6.1f} s"
        f"  ({int(one['findings'])} findings)"
    )
    print(
        f"all files : peak RSS {every['peak_bytes'] / 1e6:7.1f} MB  {every['seconds']:6.1f} s"
        f"  ({int(every['findings'])} findings)"
    )
    ratio = every["peak_bytes"] / one["peak_bytes"]
    print(
        f"peak ratio all / one: {ratio:.2f}x  (bounded by the largest file: target <= 1.5x) "
        f"{'OK' if ratio <= 1.5 else 'MISSED'}"
    )
    print(f"uptime: {uptime()}")
    if not args.keep:
        for path in paths:
            path.unlink()


if __name__ == "__main__":
    main()
