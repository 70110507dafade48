"""Benchmark: lint a ~200 MB tasks.json of 100,000 tasks, beside `json.load` of the same file.

Prints wall time and peak RSS of each (each measured in a fresh subprocess, so one does not
inherit the other's heap), and the ratios. Targets: lint time <= 3x json.load, peak RSS <= 3x
the file size. Every rule runs except the mask family (RB3xx): the generated tasks point at
masks in a bucket, which are not scanned; mask scanning has its own benchmark (bench_masks.py).

    python benchmarks/bench_json.py [--tasks 100000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

WORK = Path(__file__).resolve().parent / "_work"
CATEGORIES = ["Glioma", "Edema", "Necrosis", "Enhancing tumor", "Liver", "Spleen", "Kidney"]


def make_task(index: int, rng: random.Random) -> dict[str, object]:
    name = f"patient-{index:06d}"
    series = []
    next_id = 1
    for s, modality in enumerate(("T1c", "FLAIR")):
        count = rng.randint(1, 3)
        segment_map = {
            str(k): {
                "category": rng.choice(CATEGORIES),
                "attributes": [{"attrId": 1, "name": "Confidence", "value": "High"}],
            }
            for k in range(next_id, next_id + count)
        }
        next_id += count
        series.append(
            {
                "name": f"{modality}-{s}",
                "items": f"s3://bucket/studies/{name}/{modality}.nii.gz",
                "segmentations": f"s3://bucket/labels/{name}/{modality}-seg.nii.gz",
                "segmentMap": segment_map,
                "metaData": {"modality": modality, "site": f"site-{index % 17}"},
                "boundingBoxes": [
                    {
                        "pointTopLeft": {"xNorm": rng.random(), "yNorm": rng.random()},
                        "wNorm": 0.1,
                        "hNorm": 0.2,
                        "category": "Liver",
                    }
                ],
            }
        )
    return {
        "name": name,
        "taskId": f"{index:08x}-aaaa-bbbb-cccc-{index:012x}",
        "currentStageName": "END",
        "createdBy": "uploader@example.org",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedBy": "labeler@example.org",
        "updatedAt": "2026-02-01T00:00:00Z",
        "priority": round(rng.random(), 3),
        "metaData": {"study": f"STUDY-{index}", "note": "x" * rng.randint(10, 60)},
        "series": series,
    }


def generate(path: Path, count: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for index in range(count):
            if index:
                out.write(",\n")
            out.write(json.dumps(make_task(index, rng), indent=2))
        out.write("\n]\n")


MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    path, mode = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    if mode == "json.load":
        with open(path, encoding="utf-8") as handle:
            json.load(handle)
        findings = 0
    else:
        from rb_lint import lint
        report = lint([path], config={"ignore": ["RB3"]})
        findings = len(report.findings)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_bytes": peak_kib * 1024, "findings": findings}))
""")


def measure(path: Path, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), mode], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs; the best counts")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    path = WORK / f"tasks-{args.tasks}.json"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        generate(path, args.tasks)
    size = path.stat().st_size
    # The machine is shared: interleave the runs and keep each side's best.
    runs = [(measure(path, "json.load"), measure(path, "rb-lint")) for _ in range(args.repeat)]
    baseline = min((b for b, _ in runs), key=lambda m: m["seconds"])
    linted = min((r for _, r in runs), key=lambda m: m["seconds"])
    print(f"file: {size / 1e6:.1f} MB, {args.tasks} tasks; best of {args.repeat} interleaved runs")
    print(f"json.load : {baseline['seconds']:7.2f} s   peak RSS {baseline['peak_bytes'] / 1e6:7.1f} MB")
    print(
        f"rb-lint   : {linted['seconds']:7.2f} s   peak RSS {linted['peak_bytes'] / 1e6:7.1f} MB"
        f"   ({int(linted['findings'])} findings)"
    )
    time_ratio = linted["seconds"] / baseline["seconds"]
    rss_ratio = linted["peak_bytes"] / size
    print(
        f"time ratio rb-lint / json.load : {time_ratio:.2f}x  (target <= 3.0x) "
        f"{'OK' if time_ratio <= 3 else 'MISSED'}"
    )
    print(
        f"peak RSS / file size           : {rss_ratio:.2f}x  (target <= 3.0x) "
        f"{'OK' if rss_ratio <= 3 else 'MISSED'}"
    )
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()
