"""Rewrite the report-identity expectations (tests/data/identity/*.json) with the importable rb_lint.

    python tests/identity_regenerate.py [INPUT ...]      # default: every input

Only for a deliberate behaviour change: say in the commit which findings changed and why (see
tests/test_report_identity.py). To record another checkout's behaviour, put it first on the path:
`PYTHONPATH=/path/to/checkout python tests/identity_regenerate.py` (the CLI runs in a scratch directory,
so the checkout on PYTHONPATH wins over an installed rb_lint).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_repo import EXPECTED, INPUTS, build_input, dump, expected_path, run_input


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(INPUTS))
    if unknown:
        print(f"unknown input(s): {', '.join(unknown)}; known: {', '.join(INPUTS)}", file=sys.stderr)
        return 2
    EXPECTED.mkdir(parents=True, exist_ok=True)
    for name in names or INPUTS:
        with tempfile.TemporaryDirectory(prefix=f"rb-lint-identity-{name}-") as scratch:
            base = Path(scratch) / name
            base.mkdir()
            build_input(name, base)
            data = run_input(name, base)
        expected_path(name).write_text(dump(data), encoding="utf-8")
        counts = ", ".join(
            f"{run['name']}: {run['count']} findings, exit {run['exit_code']}" for run in data["runs"]
        )
        print(f"{expected_path(name)}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
