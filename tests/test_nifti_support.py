"""Writing real NIfTI files for the mask tests: nibabel writes the headers, numpy the data; and
reading or altering the mask cache's database as a test (or an attacker) would."""

from __future__ import annotations

import contextlib
import gzip
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import nibabel as nib
import numpy as np

from rb_lint.nifti.cache import DATABASE

ByteOrder = Literal["<", ">"]  # the byte orders `nifti_bytes` writes (numpy's `newbyteorder` codes)

ROTATED = np.array(
    [[0.0, -0.9, 0.0, 12.5], [0.8, 0.0, 0.0, -40.0], [0.0, 0.0, 1.2, 7.0], [0.0, 0.0, 0.0, 1.0]]
)


def save(path: Path, data: Any, affine: Any = None, *, dtype: Any = None) -> Path:
    """A mask as users write it: `nib.save(nib.Nifti1Image(data, affine), path)`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = nib.Nifti1Image(np.asarray(data), np.eye(4) if affine is None else affine)
    if dtype is not None:
        image.set_data_dtype(dtype)
    nib.save(image, path)
    return path


def nifti_bytes(
    data: Any,
    *,
    version: int = 1,
    order: ByteOrder = "<",
    affine: Any = None,
    qform_code: int = 0,
    sform_code: int = 2,
    slope: float = 1.0,
    inter: float = 0.0,
    shape: tuple[int, ...] | None = None,
    datatype: int | None = None,
    payload: bytes | None = None,
    **fields: Any,
) -> bytes:
    """Full control over header and bytes (byte order, NIfTI-2, scaling, odd datatypes): the
    header comes from nibabel's header classes, the data is written raw in the header's order."""
    array = np.asarray(data)
    header_class = nib.Nifti2Header if version == 2 else nib.Nifti1Header
    header = header_class(endianness=order)
    header.set_data_shape(shape if shape is not None else array.shape)
    if datatype is not None:
        header["datatype"] = datatype
    else:
        header.set_data_dtype(array.dtype)
    matrix = np.eye(4) if affine is None else np.asarray(affine, dtype=float)
    header.set_sform(matrix, code=sform_code)
    header.set_qform(matrix, code=qform_code)
    header["scl_slope"], header["scl_inter"] = slope, inter
    header["vox_offset"] = header.single_vox_offset
    for name, value in fields.items():
        header[name] = value
    if payload is None:
        payload = array.astype(array.dtype.newbyteorder(order)).tobytes(order="F")
    return bytes(header.binaryblock) + b"\x00" * 4 + payload


def write_nifti(
    path: Path,
    data: Any,
    *,
    compress: bool | None = None,
    level: int = 1,
    mtime: float | None = None,
    **options: Any,
) -> Path:
    """`nifti_bytes` written to `path`, gzip-compressed when the name ends in `.gz` (or as told) at
    `level`, with gzip's time stamp `mtime` (None: now)."""
    raw = nifti_bytes(data, **options)
    if compress if compress is not None else path.name.endswith(".gz"):
        raw = gzip.compress(raw, compresslevel=level, mtime=mtime)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def cube(
    values: Mapping[tuple[int, int, int], float] | None = None,
    shape: tuple[int, ...] = (6, 6, 6),
    dtype: Any = np.uint8,
) -> np.ndarray:
    """A mask of zeros of this shape and dtype, with these voxels set."""
    data = np.zeros(shape, dtype=dtype)
    for index, value in (values or {}).items():
        data[index] = value
    return data


def cache_entries(cache_dir: Path) -> list[tuple[int, str, bytes]]:
    """(id, kind, payload) of every entry of the cache's database, oldest first; kind is `scan`
    (by content) or `stat` (a path's memo)."""
    with contextlib.closing(sqlite3.connect(cache_dir / DATABASE)) as database:
        return list(database.execute("SELECT id, kind, payload FROM scans ORDER BY id"))


def alter_cache_entry(cache_dir: Path, entry: int, payload: Any, mac: Any = None) -> None:
    """Replace an entry's payload (and its MAC, when given) behind rb-lint's back."""
    with contextlib.closing(sqlite3.connect(cache_dir / DATABASE)) as database, database:
        database.execute("UPDATE scans SET payload = ? WHERE id = ?", (payload, entry))
        if mac is not None:
            database.execute("UPDATE scans SET mac = ? WHERE id = ?", (mac, entry))


HEAVY = ("numpy", "nibabel", "isal", "concurrent.futures", "multiprocessing")


def test_importing_the_scanner_loads_nothing_heavy() -> None:
    """The mask rules import the scanner; a lint that never scans a mask (a pre-commit hook on
    an items list) must not pay for numpy, nibabel, ISA-L or the process pool."""
    import subprocess
    import sys

    modules = ["rb_lint.nifti", "rb_lint.nifti.scan", "rb_lint.nifti.batch", "rb_lint.nifti.cache"]
    modules += ["rb_lint.nifti.header", "rb_lint.nifti.stream", "rb_lint.nifti.values"]
    code = (
        f"import sys\nimport {', '.join(modules)}\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "from rb_lint.nifti import ValueCollector\n"  # still there, imported when asked for
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True"]
