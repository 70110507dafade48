"""Streaming NIfTI-1/2 scanning: headers, value sets and integrity, without loading volumes."""

from __future__ import annotations

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
from rb_lint.nifti.values import ValueCollector, Values

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
