"""What the benchmark scripts share: the machine's load, printed beside every figure."""

from __future__ import annotations

import subprocess


def uptime() -> str:
    """`uptime`'s line (load averages): figures from a loaded, shared machine read differently."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "(uptime unavailable)"
