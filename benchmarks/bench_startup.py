"""Benchmark: rb-lint's start-up, which a pre-commit hook pays on every commit (issue 17, "Start-up").

Prints `uptime`, then the median of `--runs` wall times (each a fresh process) of

  baseline   `python -c pass` (the interpreter alone: compare the others with it on a loaded machine)
  version    `rb-lint --version`
  help       `rb-lint --help`
  check      `rb-lint check small.json` (a generated 3-task items list in a temporary folder)

with each one's difference from and ratio to the baseline, and the heavy modules each imports
(from `-X importtime`: numpy, pydantic, the process pool, the rules, ...). Targets on an idle
machine: version <= 120 ms, check <= 250 ms.

    python benchmarks/bench_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Modules whose presence means start-up paid for something it may not need.
HEAVY = (
    "numpy",
    "pydantic",
    "pydantic_core",
    "concurrent.futures",
    "multiprocessing",
    "isal",
    "rb_lint.api",
    "rb_lint.rules",
    "rb_lint.nifti",
    "rb_lint.nifti.batch",
    "rb_lint.models.tasks",
    "rb_lint.models.taxonomy",
    "rb_lint.reporters.sarif",
)
TIMEOUT = 120


def _script() -> str:
    """The `rb-lint` console script next to this interpreter (not a pyenv shim, which adds its own
    start-up), run with this interpreter."""
    beside = Path(sys.executable).parent / "rb-lint"
    found = str(beside) if beside.exists() else shutil.which("rb-lint")
    if found is None:
        raise SystemExit("rb-lint is not installed (pip install -e .)")
    return found


def _small_items_list(folder: Path) -> Path:
    tasks = [
        {
            "name": f"study-{n}",
            "items": [f"s3://bucket/study-{n}/image-{i}.dcm" for i in range(3)],
        }
        for n in range(3)
    ]
    path = folder / "small.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    return path


def _median_ms(command: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, timeout=TIMEOUT, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _heavy(command: list[str], cwd: Path) -> tuple[list[str], float]:
    """The heavy modules the command imports, and its total import time in ms (`-X importtime`)."""
    result = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    imported: set[str] = set()
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        name = parts[-1].strip()
        imported.add(name)
        try:
            total += int(parts[0].split(":")[1].strip())  # self time, microseconds
        except ValueError:
            continue  # the header line
    return [name for name in HEAVY if name in imported], total / 1000


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = sys.executable
    script = _script()
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        _small_items_list(folder)
        env_note = f"python {sys.version.split()[0]} ({python}); rb-lint {script}; runs {args.runs}"
        print(env_note)
        steps = {
            "python -c pass": [python, "-c", "pass"],
            "rb-lint --version": [python, script, "--version"],
            "rb-lint --help": [python, script, "--help"],
            "rb-lint check small.json": [python, script, "check", "small.json"],
        }
        check = subprocess.run(
            steps["rb-lint check small.json"], cwd=folder, capture_output=True, text=True, timeout=TIMEOUT
        )
        if check.returncode not in (0, 1):
            raise SystemExit(f"rb-lint check failed ({check.returncode}): {check.stderr}")
        medians = {name: _median_ms(command, args.runs, folder) for name, command in steps.items()}
        base = medians["python -c pass"]
        header = f"{'command':<28}{'median ms':>10}{'- base':>9}{'x base':>8}  {'imports ms':>10}"
        print(f"\n{header}  heavy modules")
        for name, command in steps.items():
            heavy, imports = _heavy(command, folder) if name != "python -c pass" else ([], 0.0)
            median = medians[name]
            print(
                f"{name:<28}{median:>10.1f}{median - base:>9.1f}{median / base:>8.2f}  {imports:>10.1f}  "
                f"{', '.join(heavy) or '-'}"
            )
    print("\nuptime:", subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    print(f"cores: {os.cpu_count()}; targets (idle machine): --version <= 120 ms, check <= 250 ms")


if __name__ == "__main__":
    main()
