"""The README's first command: `rb-lint check examples/` shows exactly the documented mistakes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = sorted(
    [
        ("examples/items/abdomen-ct-batch2.json", "RB201"),
        ("examples/items/abdomen-ct-batch2.json", "RB112"),
        ("examples/items/abdomen-ct-batch2.json", "RB103"),
        ("examples/items/abdomen-ct-batch2.json", "RB105"),
        ("examples/items/abdomen-ct-dicom.json", "RB806"),
        ("examples/items/abdomen-ct-dicom.json", "RB808"),
        ("examples/items/brain-mri.json", "RB304"),
        ("examples/items/brain-mri.json", "RB305"),
        ("examples/items/brain-mri.json", "RB402"),
        ("examples/items/brain-mri.json", "RB403"),
        ("examples/consensus-export/tasks.json", "RB501"),
        ("examples/consensus-export/tasks.json", "RB506"),
        ("examples/consensus-export/tasks.json", "RB502"),
        ("examples/export-folder/tasks.json", "RB301"),
        ("examples/export-folder/tasks.json", "RB550"),
        ("examples/export-folder/tasks.json", "RB550"),
        ("examples/datagym/export.json", "RB612"),
        ("examples/datagym/export.json", "RB611"),
        ("examples/datagym/export.json", "RB617"),
    ]
)


def test_examples_show_exactly_the_documented_mistakes(tmp_path):
    env_free = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "examples/", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env_free,
    )
    assert result.returncode == 1, result.stderr
    found = sorted(re.findall(r"^(\S+?):\d+:\d+: (RB\d{3}) ", result.stdout, flags=re.M))
    assert found == EXPECTED, result.stdout
    documented = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    for _path, code in EXPECTED:
        assert code in documented


def test_example_data_is_not_changed_by_linting():
    before = {p: p.read_bytes() for p in (ROOT / "examples").rglob("*") if p.is_file()}
    subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "examples/", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    after = {p: p.read_bytes() for p in (ROOT / "examples").rglob("*") if p.is_file()}
    assert after == before
