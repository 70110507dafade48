"""Benchmark: RB616 (invalid-cut-out) on one DataGym segmentation with N and 4N cut-outs.

Every pair of cut-outs used to be compared (8,000 cut-outs: 93 s); candidate pairs now come from a
shapely STRtree, so 4x the cut-outs should cost about 4x the time, not 16x. Prints the wall time
of each size (best of `--repeat`, each run in a fresh subprocess, only RB616 selected, the
document's parse and ring building included), the ratio 4N / N against the linear 4.0 and the
quadratic 16.0, and `uptime` (the machine is shared: a loaded machine stretches both sides alike).
A tenth of the cut-outs overlap a neighbour, so the findings are not empty.

    python benchmarks/bench_cutouts.py [--cutouts 8000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

WORK = Path(__file__).resolve().parent / "_work"


def square(x0: float, y0: float, size: float) -> list[dict[str, float]]:
    return [{"x": x, "y": y} for x, y in ((x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size))]


def export(cutouts: int) -> list[Any]:
    side = math.ceil(math.sqrt(cutouts))
    rings = [square(0, 0, 10 * side + 10)]
    for index in range(cutouts):
        x, y = 10 * (index % side) + 5, 10 * (index // side) + 5
        size = 8 if index % 10 else 12  # every tenth overlaps its right-hand neighbour
        rings.append(square(x, y, size))
    task = {
        "internal_media_ID": "m-1",
        "external_media_ID": "img_1.jpg",
        "labeler": "u-1",
        "status": "completed",
        "global_classifications": {},
        "labels": {"road": [{"image_segmentation": rings, "classifications": {}}]},
    }
    return [{"label_classes": [{"class_name": "road", "classification_type": "image_segmentation"}]}, task]


MEASURE = textwrap.dedent("""
    import json, sys, time
    from rb_lint import lint
    start = time.perf_counter()
    report = lint([sys.argv[1]], config={"select": ["RB616"]})
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "findings": len(report.findings)}))
""")


def measure(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], check=True, capture_output=True, text=True, timeout=1800
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cutouts", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs; the best counts")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    sizes = (args.cutouts, 4 * args.cutouts)
    paths = []
    for size in sizes:
        path = WORK / f"cutouts-{size}.json"
        path.write_text(json.dumps(export(size)), encoding="utf-8")
        paths.append(path)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    runs = [[measure(path) for path in paths] for _ in range(args.repeat)]  # interleaved
    best = [min((r[i] for r in runs), key=lambda m: m["seconds"]) for i in range(len(sizes))]
    for size, result in zip(sizes, best, strict=True):
        print(f"{size:7d} cut-outs: {result['seconds']:7.2f} s   ({int(result['findings'])} findings)")
    ratio = best[1]["seconds"] / best[0]["seconds"]
    verdict = "OK" if ratio <= 6 else "MISSED"
    scale = "linear 4.0x, quadratic 16.0x; target <= 6.0x"
    print(f"ratio {sizes[1]} / {sizes[0]}: {ratio:.2f}x  ({scale}) {verdict}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for path in paths:
        path.unlink()


if __name__ == "__main__":
    main()
