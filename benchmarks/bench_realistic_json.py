"""Benchmark: lint a realistic items list WITH segmentations, beside `json.load` of the same file.

The generated list (compact JSON, ~266 bytes a task, as in issue 17: 500,000 tasks ~ 133 MB) has
tasks of one to three series; every series has `items`, `segmentations` and a `segmentMap`. About
a third of the segmentations are local paths (relative to the JSON file), the rest `s3://` URLs
(not fetched: no network access is asked for). Every rule runs.

By default the local masks EXIST, as in a clean repository: a few hundred tiny real NIfTI masks
(uint8 4x4x4, holding 0 and exactly the ids of the segmentMaps that name them) in `masks/<folder>/`,
each named by the many tasks whose series have the same ids; findings are then few (the remote
masks' one RB303 note). The masks are scanned once each (a few hundred files of ~100 bytes: a few
milliseconds). `--missing` is the harsh variant: each local path is its own file and only one in
997 exists, so there is one RB301 per missing path (hundreds of thousands of findings).

Prints wall time, CPU time (user + system, a scan pool's children included) and peak RSS
(`resource.getrusage(...).ru_maxrss`) of `json.load` and of rb-lint, each in a fresh subprocess
(interleaved; the best of `--repeat` runs counts), the ratios and `uptime` (the machine is shared).
Targets, at issue 17's size (the default, 500,000 tasks): rb-lint <= 3x json.load's time; rb-lint's
peak RSS <= json.load's own peak. A smaller list weighs the fixed costs more (start-up, about 35 MB
of modules; json.load also slows down more than linearly as its tree grows): 100,000 tasks give
about 3.3x the time and 1.2x the peak RSS.

    python benchmarks/bench_realistic_json.py [--tasks 500000] [--repeat 2] [--keep] [--missing]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

from benchlib import uptime

WORK = Path(__file__).resolve().parent / "_work" / "realistic"
REPOSITORY = Path(__file__).resolve().parent.parent
CATEGORIES = ["Liver", "Spleen", "Kidney", "Edema", "Necrosis"]
MODALITIES = ("t1", "t2", "fl")
FOLDERS = 100  # local masks live in masks/<folder>/...
EXISTING_EVERY = 997  # --missing: one local mask in this many exists on disk
SHARED_FOLDERS = 30  # by default: masks/<folder>/ids-<first>-<count>.nii.gz, a few hundred files


def make_task(
    index: int, rng: random.Random, existing: dict[str, tuple[int, int]], missing: bool
) -> dict[str, object]:
    name = f"p{index:06d}"
    series = []
    next_id = 1  # instance ids are unique across a task's series
    for s in range(rng.choice((1, 2, 2, 3))):
        modality = MODALITIES[s]
        count = rng.randint(1, 2)
        local = rng.random() < 0.35
        if local and missing:
            segmentation = f"masks/{index % FOLDERS:03d}/{name}-{modality}.nii.gz"
            if index % EXISTING_EVERY == 0:
                existing[segmentation] = (next_id, count)
        elif local:  # a mask file holding exactly these ids, shared with other tasks
            segmentation = f"masks/{index % SHARED_FOLDERS:02d}/ids-{next_id}-{count}.nii.gz"
            existing[segmentation] = (next_id, count)
        else:
            segmentation = f"s3://lab/seg/{name}/{modality}.nii.gz"
        series.append(
            {
                "name": modality,
                "items": f"s3://lab/img/{name}/{modality}.nii.gz",
                "segmentations": segmentation,
                "segmentMap": {str(k): rng.choice(CATEGORIES) for k in range(next_id, next_id + count)},
            }
        )
        next_id += count
    return {"name": name, "series": series}


def generate(folder: Path, count: int, missing: bool) -> Path:
    """The list, and the local masks that exist (uint8 4x4x4: 0 and the ids of its map)."""
    rng = random.Random(17)
    existing: dict[str, tuple[int, int]] = {}
    path = folder / "items.json"
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for index in range(count):
            if index:
                out.write(",\n")
            out.write(json.dumps(make_task(index, rng, existing, missing), separators=(",", ":")))
        out.write("]\n")
    for written, (first, ids) in existing.items():
        if not (folder / written).exists():
            write_mask(folder / written, first, ids)
    return path


def write_mask(path: Path, first: int, count: int) -> None:
    import nibabel as nib
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.zeros((4, 4, 4), dtype=np.uint8)
    for label in range(first, first + count):  # every id of its segmentMap, nothing else
        data[label % 4, 1:3, 1:3] = label
    image = nib.Nifti1Image(data, np.eye(4))  # type: ignore[no-untyped-call]
    image.header.set_data_dtype(np.uint8)  # type: ignore[no-untyped-call]
    raw = image.to_bytes()
    path.write_bytes(gzip.compress(raw, compresslevel=6))


MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    path, mode = sys.argv[1], sys.argv[2]

    def cpu_seconds():  # user + system, this process and the children it waited for (a scan pool)
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    start, cpu_start = time.perf_counter(), cpu_seconds()
    if mode == "json.load":
        with open(path, encoding="utf-8") as handle:
            json.load(handle)
        findings = 0
    else:
        from rb_lint import lint
        from rb_lint.core.context import Options
        report = lint([path], config={}, options=Options(use_cache=False))
        findings = len(report.findings)
        assert not report.errors, report.errors
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_bytes": peak_kib * 1024, "findings": findings}))
""")


def measure(path: Path, mode: str) -> dict[str, float]:
    # This checkout's rb_lint, whatever is installed: the measure runs in the list's folder.
    paths = [str(REPOSITORY), *filter(None, [os.environ.get("PYTHONPATH")])]
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), mode],
        check=True,
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=3600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    # Issue 17's size (~150 MB). Over 60,000 tasks (~18 MB) a list is over the streaming threshold.
    parser.add_argument("--tasks", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=2, help="interleaved runs; the best counts")
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    parser.add_argument(
        "--missing", action="store_true", help="the harsh variant: nearly every local mask is missing"
    )
    args = parser.parse_args()
    folder = WORK / f"tasks-{args.tasks}-{'missing' if args.missing else 'local'}"
    path = folder / "items.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", flush=True)
        generate(folder, args.tasks, args.missing)
    size = path.stat().st_size
    print(f"uptime before: {uptime()}")
    runs = [(measure(path, "json.load"), measure(path, "rb-lint")) for _ in range(args.repeat)]
    baseline = min((b for b, _ in runs), key=lambda m: m["seconds"])
    linted = min((r for _, r in runs), key=lambda m: m["seconds"])
    base_cpu = min(b["cpu"] for b, _ in runs)
    lint_cpu = min(r["cpu"] for _, r in runs)
    base_peak = min(b["peak_bytes"] for b, _ in runs)
    lint_peak = min(r["peak_bytes"] for _, r in runs)
    variant = "--missing: local masks missing" if args.missing else "local masks exist"
    print(f"file: {size / 1e6:.1f} MB, {args.tasks} tasks ({variant}); best of {args.repeat} runs")
    print(
        f"json.load : {baseline['seconds']:7.2f} s   CPU {base_cpu:7.2f} s"
        f"   peak RSS {base_peak / 1e6:7.1f} MB"
    )
    print(
        f"rb-lint   : {linted['seconds']:7.2f} s   CPU {lint_cpu:7.2f} s   peak RSS {lint_peak / 1e6:7.1f} MB"
        f"   ({int(linted['findings'])} findings)"
    )
    time_ratio = linted["seconds"] / baseline["seconds"]
    rss_ratio = lint_peak / base_peak
    print(f"time rb-lint / json.load     : {time_ratio:.2f}x  (target <= 3.0x) {_verdict(time_ratio <= 3)}")
    # CPU time (user + system, the scan pool's included) is steadier on a shared machine.
    print(
        f"CPU rb-lint / json.load      : {lint_cpu / base_cpu:.2f}x"
        "  (best of each; the target is on wall time)"
    )
    print(f"peak RSS rb-lint / json.load : {rss_ratio:.2f}x  (target <= 1.0x) {_verdict(rss_ratio <= 1)}")
    print(f"uptime after: {uptime()}")
    if not args.keep:
        path.unlink()


def _verdict(met: bool) -> str:
    return "OK" if met else "MISSED"


if __name__ == "__main__":
    main()
