"""Streaming NIfTI-1/2 scanning: headers, value sets and integrity, without loading volumes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rb_lint.nifti.header import Header, NotNifti, parse_header
from rb_lint.nifti.scan import (
    COMPRESSION,
    CORRUPT,
    DEFAULT_MAX_BYTES,
    NOT_NIFTI,
    TOO_LARGE,
    UNREADABLE,
    UNSUPPORTED,
    Problem,
    ScanResult,
    read_header,
    scan_file,
)
from rb_lint.nifti.stream import BACKEND
from rb_lint.nifti.values import Values

if TYPE_CHECKING:
    from rb_lint.nifti.collector import ValueCollector

__all__ = [
    "BACKEND",
    "COMPRESSION",
    "CORRUPT",
    "DEFAULT_MAX_BYTES",
    "NOT_NIFTI",
    "TOO_LARGE",
    "UNREADABLE",
    "UNSUPPORTED",
    "Header",
    "NotNifti",
    "Problem",
    "ScanResult",
    "ValueCollector",
    "Values",
    "parse_header",
    "read_header",
    "scan_file",
]


def __getattr__(name: str) -> type[ValueCollector]:
    """`ValueCollector` is imported (with numpy) when asked for: `import rb_lint.nifti` loads no numpy."""
    if name == "ValueCollector":
        from rb_lint.nifti.collector import ValueCollector

        return ValueCollector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
