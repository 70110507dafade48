"""The README's Python API example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_python_api_example_runs(tmp_path, monkeypatch):
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert block is not None
    (tmp_path / "data").mkdir()
    (tmp_path / "taxonomy.json").write_text('{"name": "t", "objectTypes": []}')
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "README.md", "exec"), {})  # asserts inside the example must hold
