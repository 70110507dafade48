"""A skipped test fails the run under `.ci/run` (RB_LINT_NO_SKIPS=1): a skip in CI proves nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).with_name("conftest.py")


def test_a_skip_fails_the_run_under_ci(tmp_path: Path) -> None:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_skips.py").write_text("import pytest\n\ndef test_x():\n    pytest.skip('no tool')\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_skips.py"]
    plain = {k: v for k, v in os.environ.items() if k != "RB_LINT_NO_SKIPS"}
    assert subprocess.run(command, cwd=tmp_path, env=plain, capture_output=True, timeout=120).returncode == 0
    strict = {**plain, "RB_LINT_NO_SKIPS": "1"}
    assert subprocess.run(command, cwd=tmp_path, env=strict, capture_output=True, timeout=120).returncode == 1
