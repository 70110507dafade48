"""Benchmark: rb-lint's start-up, which a pre-commit hook pays on every commit (issue 17, "Start-up").

Prints `uptime`, then the median of `--runs` wall times (each a fresh process; the commands take
turns) of

  baseline   `python -c pass` (the interpreter alone: compare the others with it on a loaded machine)
  version    `rb-lint --version` (the console script), and `python -m rb_lint --version`, which
             answers without importing click (`rb_lint.cli.run`)
  help       `rb-lint --help`
  check      `rb-lint check small.json` (a clean 3-task items list of remote images, with a
             typical `rb-lint.toml` beside it: a few keys and a table, as most repositories have)

with each one's difference from and ratio to the baseline, the median CPU time (user + system) of
the process, which a busy machine stretches less than the wall time, the heavy modules each
imports (from `-X importtime`: numpy, pydicom, the process pool, ...), and, for the two commands
issue 17 sets targets for (on an idle machine: version <= 120 ms, check <= 250 ms), the ratio of
the median to the target. On a loaded machine the baseline is slower too: compare the commands'
time above the baseline with the target's (the target minus an idle interpreter's ~70 ms).

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
    "pydicom",
    "shapely",
    "nibabel",
    "requests",
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
    "rb_lint.facts.datagym",  # the DataGym rules: an items list does not import them
    "rb_lint.reporters.sarif",
)
TIMEOUT = 120
IDLE_PYTHON_MS = 70.0  # `python -c pass` on an idle machine (60-77 ms measured): the targets include it
# The config a repository usually has beside its data (see the module docstring).
CONFIG = """\
extend-exclude = ["drafts/"]
fail-on = "warning"

[per-file-ignores]
"legacy/*.json" = ["RB103"]

[masks]
jobs = 2
"""


@dataclass(frozen=True)
class Step:
    name: str
    command: list[str]
    exit_codes: tuple[int, ...] = (0,)  # what a working command exits with
    target_ms: float | None = None  # issue 17's target on an idle machine


def _script() -> str:
    """The `rb-lint` console script next to this interpreter (not a pyenv shim, which adds its own
    start-up), run with this interpreter."""
    beside = Path(sys.executable).parent / "rb-lint"
    found = str(beside) if beside.exists() else shutil.which("rb-lint")
    if found is None:
        raise SystemExit("rb-lint is not installed (pip install -e .)")
    return found


def _small_items_list(folder: Path) -> Path:
    """A clean items list (the run exits 0) with `rb-lint.toml` beside it."""
    tasks = [
        {
            "name": f"study-{n}",
            "series": [{"items": [f"s3://bucket/study-{n}/image-{i}.dcm" for i in range(3)]}],
        }
        for n in range(3)
    ]
    path = folder / "small.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    (folder / "rb-lint.toml").write_text(CONFIG, encoding="utf-8")
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


def _entry(script: str) -> str:
    """What the console script imports (`from rb_lint.cli import main`): its entry point."""
    try:
        lines = Path(script).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "?"
    return next((line.strip() for line in lines if line.startswith("from rb_lint")), "?")


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
        print(f"the console script runs {_entry(script)}")
        print(f"stored validators (items list, config) up to date: {_stored_validators_in_use(folder, env)}")
        steps = [
            Step("python -c pass", [python, "-c", "pass"]),
            Step("rb-lint --version", [python, script, "--version"], target_ms=120.0),
            # `rb_lint.cli.run`, which answers --version without click (the console script's entry
            # once pyproject.toml names it)
            Step("python -m rb_lint --version", [python, "-m", "rb_lint", "--version"], target_ms=120.0),
            Step("rb-lint --help", [python, script, "--help"]),
            Step("rb-lint check small.json", [python, script, "check", "small.json"], (0, 1), 250.0),
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
        _print_targets(steps, times, base)
    print("\nuptime:", _uptime())
    print(f"cores: {os.cpu_count()}; targets (idle machine): --version <= 120 ms, check <= 250 ms")


def _stored_validators_in_use(folder: Path, env: dict[str, str]) -> str:
    """Whether a check uses the stored validators (`rb_lint.core.stored_schemas`): otherwise it
    builds the models' (a model edited without `python -m rb_lint.models.schemas`, or another
    pydantic-core), some tens of milliseconds more."""
    probe = (
        "from rb_lint.core import config; from rb_lint.models import stored_checks; "
        "print(stored_checks.load('items-list') is not None and config._stored_validator() is not None)"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=folder, env=env, capture_output=True, text=True)
    return run.stdout.strip() or f"unknown ({run.stderr.strip()[-200:]})"


def _print_targets(steps: list[Step], times: dict[str, tuple[float, float]], base: float) -> None:
    """Each target's ratio, as measured and net of the interpreter (the time above the baseline
    against the target's time above an idle interpreter): the second one a loaded machine, which
    slows the baseline as well, distorts less."""
    print(f"\n{'target':<28}{'ms':>10}{'x target':>10}{'net ms':>9}{'net target':>11}{'x net':>8}")
    for step in steps:
        if step.target_ms is None:
            continue
        wall = times[step.name][0]
        net, net_target = wall - base, step.target_ms - IDLE_PYTHON_MS
        print(
            f"{step.name:<28}{step.target_ms:>10.0f}{wall / step.target_ms:>10.2f}"
            f"{net:>9.1f}{net_target:>11.0f}{net / net_target:>8.2f}"
        )


if __name__ == "__main__":
    main()
