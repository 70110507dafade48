"""Benchmark: rb-lint's start-up, which a pre-commit hook pays on every commit (issue 17, "Start-up").

Prints `uptime`, then the median of `--runs` wall times (each a fresh process; the commands take
turns) of

  baseline   `python -c pass` (the interpreter alone: compare the others with it on a loaded machine)
  version    `rb-lint --version`
  help       `rb-lint --help`
  check      `rb-lint check small.json` (a generated 3-task items list in a temporary folder)

with each one's difference from and ratio to the baseline, the median CPU time (user + system) of
the process, which a busy machine stretches less than the wall time, and the heavy modules each
imports (from `-X importtime`: numpy, pydantic, the process pool, the rules, ...). Targets on an
idle machine: version <= 120 ms, check <= 250 ms.

Every command is run once before it is timed, and the run stops with the command's error if it
fails (exit code other than 0, or 0/1 for `check`): a crash is not a start-up time. That first run
also writes the bytecode of every module into a temporary PYTHONPYCACHEPREFIX, so that the timed
runs load compiled modules as an installed rb-lint does, even where PYTHONDONTWRITEBYTECODE is set
and the sources are newer than their `__pycache__` (a work tree being edited).

    python benchmarks/bench_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Modules whose presence means start-up paid for something it may not need.
HEAVY = (
    "numpy",
    "pydantic",
    "pydantic_core",
    "asyncio",
    "ssl",
    "concurrent.futures",
    "multiprocessing",
    "isal",
    "pathspec",
    "rb_lint.api",
    "rb_lint.core.config",
    "rb_lint.rules",
    "rb_lint.nifti",
    "rb_lint.nifti.batch",
    "rb_lint.models.tasks",
    "rb_lint.models.taxonomy",
    "rb_lint.models.datagym",
    "rb_lint.reporters.sarif",
)
TIMEOUT = 120


@dataclass(frozen=True)
class Step:
    name: str
    command: list[str]
    exit_codes: tuple[int, ...] = (0,)  # what a working command exits with


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


def _run(step: Step, command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One run of a command; a failing one ends the benchmark with its error."""
    try:
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"`{step.name}` did not finish in {TIMEOUT} s") from None
    if result.returncode not in step.exit_codes:
        raise SystemExit(
            f"`{step.name}` failed (exit code {result.returncode}, expected "
            f"{' or '.join(map(str, step.exit_codes))}): no time is measured for a failing command\n"
            f"command: {' '.join(command)}\n{result.stderr.strip() or result.stdout.strip()}"
        )
    return result


def _timed(steps: list[Step], runs: int, cwd: Path, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Each step's median wall time and median CPU time (user + system), in ms, of `runs` runs. The
    steps take turns (one run of each, `runs` times), so that a change in the machine's load
    stretches them alike instead of the one that happened to run then."""
    walls: dict[str, list[float]] = {step.name: [] for step in steps}
    cpus: dict[str, list[float]] = {step.name: [] for step in steps}
    for _ in range(runs):
        for step in steps:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            _run(step, step.command, cwd, env)
            walls[step.name].append((time.perf_counter() - start) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[step.name].append(
                (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
            )
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in walls}


def _heavy(step: Step, cwd: Path, env: dict[str, str]) -> tuple[list[str], float]:
    """The heavy modules the command imports, and its total import time in ms (`-X importtime`)."""
    command = [step.command[0], "-X", "importtime", *step.command[1:]]
    result = _run(step, command, cwd, env)
    imported: set[str] = set()
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        if not self_us.strip().isdigit():
            continue  # the header line
        imported.add(name.strip())
        total += int(self_us)
    return [name for name in HEAVY if name in imported], total / 1000


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False, timeout=10).stdout.strip()


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = sys.executable
    script = _script()
    print("uptime:", _uptime())
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        _small_items_list(folder)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(folder / "bytecode")
        print(f"python {sys.version.split()[0]} ({python}); rb-lint {script}; runs {args.runs}")
        steps = [
            Step("python -c pass", [python, "-c", "pass"]),
            Step("rb-lint --version", [python, script, "--version"]),
            Step("rb-lint --help", [python, script, "--help"]),
            Step("rb-lint check small.json", [python, script, "check", "small.json"], (0, 1)),
        ]
        for step in steps:  # fails early, and writes the bytecode the timed runs load
            _run(step, step.command, folder, env)
        times = _timed(steps, args.runs, folder, env)
        base = times["python -c pass"][0]
        header = (
            f"{'command':<28}{'median ms':>10}{'- base':>9}{'x base':>8}{'cpu ms':>9}  {'imports ms':>10}"
        )
        print(f"\n{header}  heavy modules")
        for step in steps:
            heavy, imports = _heavy(step, folder, env) if step.name != "python -c pass" else ([], 0.0)
            wall, cpu = times[step.name]
            print(
                f"{step.name:<28}{wall:>10.1f}{wall - base:>9.1f}{wall / base:>8.2f}{cpu:>9.1f}  "
                f"{imports:>10.1f}  {', '.join(heavy) or '-'}"
            )
    print("\nuptime:", _uptime())
    print(f"cores: {os.cpu_count()}; targets (idle machine): --version <= 120 ms, check <= 250 ms")


if __name__ == "__main__":
    main()
