"""Benchmark: scanning a mask made of very many gzip members (issue 12, promise 8).

A gzip file may be any number of concatenated members; nibabel (Python's gzip module) reads them
all. A 22 MB mask of about a million one-byte members used to take rb-lint's scanner 34 s to
113 s (the input left after each member, up to 256 KiB, was copied once per member, and the chunk
being gathered was concatenated once per member: quadratic). Now the members after the first are
read by ISA-L's gzip reader in C, and the pure-Python path (`zlib`, or after any error in the C
path) gives each member a small, growing window of the input: linear.

Generates, in a temporary folder, one NIfTI-1 uint8 volume of about `--voxels` voxels written as
(a) one gzip member (the baseline) and (b) one gzip member per byte, then prints the seconds
`rb_lint.nifti.scan_file` takes on each (best of `--repeat`, nibabel imported beforehand), with
the default library (isal) and with zlib, the ratio of (b) to (a), and `uptime` (the machine may be
shared: a loaded machine stretches every figure alike).

Measured on the 2-core shared machine (1,030,653 members, 21.6 MB; load average about 4):
before: 113 s (isal); after: 1.4 s to 2.3 s with isal, 12 s with zlib (load average 4 to 12).

    python benchmarks/bench_gzip_members.py [--voxels 1000000] [--repeat 3] [--skip-zlib]
"""

from __future__ import annotations

import argparse
import gzip
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from benchlib import uptime

from rb_lint.nifti import header
from rb_lint.nifti.scan import ScanResult, scan_file


def volume(voxels: int) -> bytes:
    """A NIfTI-1 header (struct) and a cube of uint8 labels 0..6, about `voxels` voxels."""
    side = max(2, round(voxels ** (1 / 3)))
    raw = bytearray(352)
    struct.pack_into("<i", raw, 0, 348)
    struct.pack_into("<8h", raw, 40, 3, side, side, side, 1, 1, 1, 1)
    struct.pack_into("<hh", raw, 70, 2, 8)
    struct.pack_into("<8f", raw, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<fff", raw, 108, 352.0, 1.0, 0.0)
    struct.pack_into("<hh", raw, 252, 0, 1)
    for row in range(3):
        struct.pack_into("<4f", raw, 280 + 16 * row, *(1.0 if c == row else 0.0 for c in range(4)))
    raw[344:348] = b"n+1\x00"
    return bytes(raw) + (np.arange(side**3) % 7).astype(np.uint8).tobytes()


def one_byte_members(raw: bytes) -> bytes:
    head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    parts = []
    for byte in raw:
        data = bytes((byte,))
        engine = zlib.compressobj(6, zlib.DEFLATED, -15)
        parts.append(head + engine.compress(data) + engine.flush() + struct.pack("<II", zlib.crc32(data), 1))
    return b"".join(parts)


def best(path: Path, library: str, repeat: int) -> tuple[float, ScanResult]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = scan_file(path, library=library)
        times.append(time.perf_counter() - started)
    assert result is not None
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxels", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-zlib", action="store_true", help="only the default library (isal)")
    args = parser.parse_args()
    header.preload()  # nibabel's import is not part of any figure
    print(f"uptime: {uptime()}")
    raw = volume(args.voxels)
    with tempfile.TemporaryDirectory(prefix="rb-lint-bench-") as folder:
        single, many = Path(folder) / "single.nii.gz", Path(folder) / "many.nii.gz"
        single.write_bytes(gzip.compress(raw, compresslevel=6))
        many.write_bytes(one_byte_members(raw))
        print(
            f"volume: {len(raw):,} bytes; one member: {single.stat().st_size:,} bytes; "
            f"{len(raw):,} members: {many.stat().st_size / 1e6:.1f} MB"
        )
        libraries = ["isal"] if args.skip_zlib else ["isal", "zlib"]
        failed = False
        for library in libraries:
            baseline, expected = best(single, library, args.repeat)
            seconds, found = best(many, library, args.repeat)
            same = found.values == expected.values and not found.problems and found.complete
            failed |= not same
            print(
                f"{library:>4}: one member {baseline:.4f} s, {len(raw):,} members {seconds:.3f} s "
                f"({seconds / len(raw) * 1e6:.2f} µs per member), ratio {seconds / baseline:,.0f}x; "
                f"same values: {same}"
            )
    print(f"uptime: {uptime()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
