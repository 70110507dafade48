"""Hostile masks and images (issue 12: deliver 5, promises 6, 7 and 8). A Git LFS pointer where a
mask, a NIfTI image or a DICOM file should be; headers nibabel refuses; names too long to exist,
symlink loops, FIFOs and devices named `*.nii.gz`; a mask of very many gzip members. None may hang,
crash, pass clean or mislead. The end-to-end tests run the real CLI with a timeout, so a hang fails
one test."""

from __future__ import annotations

import gzip
import json
import math
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import json_report, rb_lint, write
from test_nifti_support import save

from rb_lint.nifti.scan import CORRUPT, scan_file

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file-system entries")

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 22345678\n"
)
LIVER = np.zeros((4, 4, 4), np.uint8)
LIVER[1, 1, 1] = 1


def series_task(name: str, **series: Any) -> dict[str, Any]:
    return {"name": name, "series": [{"items": "ct.nii.gz", **series}]}


def findings_at(result: subprocess.CompletedProcess[str], pointer: str) -> list[dict[str, Any]]:
    return [f for f in json_report(result) if f["pointer"] == pointer]


def check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = rb_lint("check", "--format", "json", "--no-cache", *args, cwd=cwd)
    assert result.returncode in (0, 1), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "failed:" not in result.stderr, result.stderr
    return result


# --- Deliver 5: a Git LFS pointer is RB009, and nothing else ------------------------------------


@pytest.fixture
def lfs_repo(tmp_path: Path) -> Path:
    """masks/x.nii.gz is a pointer (a CI checkout with GIT_LFS_SKIP_SMUDGE); masks/good.nii.gz a
    real mask of the other task, which must still be judged (RB304 for its id 2)."""
    write(tmp_path / "masks" / "x.nii.gz", LFS_POINTER)
    save(tmp_path / "masks" / "good.nii.gz", LIVER)
    write(
        tmp_path / "items.json",
        [
            series_task(
                "pointer",
                segmentations="masks/x.nii.gz",
                segmentMap={"1": "Liver", "2": "Spleen"},
            ),
            series_task("real", segmentations="masks/good.nii.gz", segmentMap={"1": "Liver", "2": "Spleen"}),
        ],
    )
    return tmp_path


def assert_only_rb009_for_the_pointer(result: subprocess.CompletedProcess[str]) -> None:
    assert [f["code"] for f in findings_at(result, "/0/series/0/segmentations")] == ["RB009"]
    [finding] = findings_at(result, "/0/series/0/segmentations")
    message = str(finding["message"])
    assert finding["severity"] == "info"
    assert "`masks/x.nii.gz` is a Git LFS pointer" in message
    assert "`git lfs pull`" in message and "lfs: true" in message
    assert "rename" not in message
    # content unknown: no finding anywhere in the task judges the series by the pointer
    assert [f["code"] for f in json_report(result) if str(f["pointer"]).startswith("/0/")] == ["RB009"]
    # the other task's real mask is still judged
    assert [f["code"] for f in findings_at(result, "/1/series/0/segmentMap/2")] == ["RB304"]


def test_lfs_pointer_mask_is_rb009_and_no_other_finding(lfs_repo: Path) -> None:
    result = check(lfs_repo, ".")
    assert_only_rb009_for_the_pointer(result)


def test_lfs_pointer_mask_given_to_the_mask_hook_is_rb009(lfs_repo: Path) -> None:
    result = check(lfs_repo, "masks/x.nii.gz", "masks/good.nii.gz")
    assert_only_rb009_for_the_pointer(result)


def test_lfs_pointer_binary_mask_is_content_unknown(tmp_path: Path) -> None:
    write(tmp_path / "liver.nii.gz", LFS_POINTER)
    entry = {"category": "Liver", "mask": "liver.nii.gz"}
    task = series_task("p", segmentations=["liver.nii.gz"], binaryMask=True, segmentMap={"1": entry})
    write(tmp_path / "items.json", [task])
    result = check(tmp_path, "--select", "RB0,RB3", ".")
    assert [f["code"] for f in json_report(result)] == ["RB009"]


def test_lfs_pointer_images_are_rb009_and_not_read(tmp_path: Path) -> None:
    """A NIfTI image and DICOM instances that are pointers: their grid is unknown (no RB7xx), the
    DICOM series is not judged (no RB800 `not a DICOM file`), and one finding names them all."""
    write(tmp_path / "ct.nii.gz", LFS_POINTER)
    for k in range(3):
        write(tmp_path / "dcm" / f"{k}.dcm", LFS_POINTER)
    landmark = {"category": "Liver", "point": {"i": 99, "j": 99, "k": 99}}  # off any known grid
    tasks = [
        {"name": "nifti", "series": [{"items": "ct.nii.gz", "landmarks3d": [landmark]}]},
        {"name": "dicom", "series": [{"items": [f"dcm/{k}.dcm" for k in range(3)]}]},
    ]
    write(tmp_path / "items.json", tasks)
    result = check(tmp_path, "--select", "RB0,RB3,RB7,RB8", ".")
    [finding] = json_report(result)
    assert finding["code"] == "RB009" and finding["pointer"] == "/0/series/0/items"
    message = str(finding["message"])
    assert "`ct.nii.gz` is a Git LFS pointer" in message and "3 more files" in message
    assert "`dcm/0.dcm`" in message and "`git lfs pull`" in message


# --- Promise 6: headers nibabel refuses never pass clean -------------------------------------------


def nifti1(vox_offset: float, extension: bytes = b"\x00\x00\x00\x00") -> bytes:
    """A NIfTI-1 header written by hand (struct, not nibabel), then a 4x4x4 uint8 volume."""
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, 4, 4, 4, 1, 1, 1, 1)  # dim
    struct.pack_into("<hh", header, 70, 2, 8)  # datatype uint8, bitpix
    struct.pack_into("<8f", header, 76, 1, 1, 1, 1, 1, 1, 1, 1)  # pixdim
    struct.pack_into("<f", header, 108, vox_offset)
    struct.pack_into("<ff", header, 112, 1.0, 0.0)  # scl_slope, scl_inter
    struct.pack_into("<hh", header, 252, 0, 1)  # qform_code, sform_code
    for row in range(3):
        struct.pack_into("<4f", header, 280 + 16 * row, *(1.0 if c == row else 0.0 for c in range(4)))
    header[344:348] = b"n+1\x00"
    return bytes(header) + extension + bytes(range(1, 65))


# An extension that claims 1000 bytes where the header leaves 16 before vox_offset (368).
LONG_EXTENSION = b"\x01\x00\x00\x00" + struct.pack("<ii", 1000, 6) + b"x" * 8
REFUSED_HEADERS = {
    "vox-offset-100": (nifti1(100.0), "is 100, before the end of the 348-byte header"),
    "vox-offset-minus-1e30": (nifti1(-1e30), "is -1e+30, before the end of the 348-byte header"),
    "vox-offset-nan": (nifti1(math.nan), "vox_offset (where the voxel data starts) is nan"),
    "vox-offset-inf": (nifti1(math.inf), "vox_offset (where the voxel data starts) is inf"),
    "extension-past-vox-offset": (
        nifti1(368.0, LONG_EXTENSION),
        "its header extensions are damaged: they do not fit before vox_offset (368)",
    ),
}


@pytest.fixture(scope="module")
def refused_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    """One CLI run over an items list naming every refused header, as `.nii` and as `.nii.gz`."""
    repo = tmp_path_factory.mktemp("refused")
    tasks = []
    for name, (raw, _said) in REFUSED_HEADERS.items():
        (repo / f"{name}.nii").write_bytes(raw)
        (repo / f"{name}.nii.gz").write_bytes(gzip.compress(raw))
        for suffix in (".nii", ".nii.gz"):
            tasks.append(series_task(name + suffix, segmentations=name + suffix, segmentMap={"1": "A"}))
    write(repo / "items.json", tasks)
    result = check(repo, "--select", "RB3", ".")
    return result, json.dumps(tasks)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
@pytest.mark.parametrize("name", list(REFUSED_HEADERS))
def test_headers_nibabel_refuses_are_never_clean(
    refused_run: tuple[subprocess.CompletedProcess[str], str], name: str, suffix: str
) -> None:
    result, _tasks = refused_run
    assert result.returncode == 1
    index = [*(n + s for n in REFUSED_HEADERS for s in (".nii", ".nii.gz"))].index(name + suffix)
    found = findings_at(result, f"/{index}/series/0/segmentations")
    assert [f["code"] for f in found] == ["RB312"], found
    message = str(found[0]["message"])
    assert message.startswith(f"`{name}{suffix}` is not a NIfTI-1/2 volume: ")
    assert REFUSED_HEADERS[name][1] in message  # what is wrong
    assert "nibabel (which the platform uses)" in message  # why it matters
    assert "save the mask again with a NIfTI writer" in message  # how to fix it
    # nothing judges the voxels of a file whose header was refused
    assert not findings_at(result, f"/{index}/series/0/segmentMap/1")


# --- Promise 7: names too long, symlink loops, FIFOs and devices --------------------------------------


def test_path_component_over_255_bytes_is_rb301_and_the_rest_still_reports(tmp_path: Path) -> None:
    save(tmp_path / "good.nii.gz", LIVER)
    long_name = "é" * 200 + ".nii.gz"  # 407 bytes in UTF-8
    tasks = [
        series_task("long", segmentations=f"masks/{long_name}", segmentMap={"1": "Liver"}),
        series_task("good", segmentations="good.nii.gz", segmentMap={"1": "Liver", "2": "Spleen"}),
        {"name": "long-image", "series": [{"items": long_name, "landmarks3d": []}]},
        {"name": "long-dicom", "series": [{"items": [f"{'d' * 300}.dcm"]}]},
    ]
    write(tmp_path / "items.json", tasks)
    write(tmp_path / "other.json", [series_task("dup"), series_task("dup")])
    result = check(tmp_path, ".")
    assert result.returncode == 1
    [finding] = findings_at(result, "/0/series/0/segmentations")
    assert finding["code"] == "RB301"
    assert "the name is longer than the file system allows" in str(finding["message"])
    assert [f["code"] for f in findings_at(result, "/1/series/0/segmentMap/2")] == ["RB304"]
    assert "RB201" in {f["code"] for f in json_report(result) if f["path"] == "other.json"}


def special_masks(repo: Path) -> None:
    os.symlink("loop.nii.gz", repo / "loop.nii.gz")
    os.symlink("b.nii.gz", repo / "a.nii.gz")
    os.symlink("a.nii.gz", repo / "b.nii.gz")
    os.mkfifo(repo / "fifo.nii.gz")
    os.symlink("/dev/zero", repo / "zero.nii.gz")


SPECIAL = {
    "loop.nii.gz": "is a symlink loop",
    "a.nii.gz": "is a symlink loop",
    "fifo.nii.gz": "is not a regular file but a FIFO (named pipe)",
    "zero.nii.gz": "is not a regular file but a device",
}


@pytest.mark.parametrize("given", ["folder", "by-name"])
def test_loops_fifos_and_devices_named_nii_gz_are_rb301_and_never_hang(tmp_path: Path, given: str) -> None:
    special_masks(tmp_path)
    save(tmp_path / "good.nii.gz", LIVER)
    names = [*SPECIAL, "good.nii.gz"]
    tasks = [series_task(n, segmentations=n, segmentMap={"1": "Liver", "2": "Spleen"}) for n in names]
    write(tmp_path / "items.json", tasks)
    args = ["."] if given == "folder" else names  # the mask hook passes masks by name
    result = check(tmp_path, "--select", "RB3", *args)
    assert result.returncode == 1
    for index, (name, said) in enumerate(SPECIAL.items()):
        found = findings_at(result, f"/{index}/series/0/segmentations")
        assert [f["code"] for f in found if f["code"] != "RB302"] == ["RB301"], found
        message = next(str(f["message"]) for f in found if f["code"] == "RB301")
        assert message.startswith(f"segmentation file `{name}` {said}"), message
    assert [f["code"] for f in findings_at(result, f"/{len(SPECIAL)}/series/0/segmentMap/2")] == ["RB304"]


def test_unreferenced_special_masks_given_by_name_never_hang(tmp_path: Path) -> None:
    special_masks(tmp_path)
    check(tmp_path, *SPECIAL)


def test_scanning_a_fifo_directly_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.nii.gz")
    code = "from rb_lint.nifti.scan import scan_file; print(scan_file('fifo.nii.gz').problems)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "not a regular file but a FIFO" in result.stdout, result.stderr


# --- Promise 8: many gzip members cost in proportion, and read the same ---------------------------


def member(data: bytes) -> bytes:
    """One gzip member, written by hand (no header flags)."""
    engine = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = engine.compress(data) + engine.flush()
    return (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        + deflated
        + struct.pack("<II", zlib.crc32(data), len(data))
    )


def volume() -> bytes:
    values = (np.arange(24 * 24 * 24) % 7).astype(np.uint8)  # 13,824 voxels, values 0..6
    header = bytearray(nifti1(352.0)[:352])
    struct.pack_into("<8h", header, 40, 3, 24, 24, 24, 1, 1, 1, 1)
    return bytes(header) + values.tobytes()


def one_byte_members(raw: bytes) -> bytes:
    return b"".join(member(raw[i : i + 1]) for i in range(len(raw)))


@pytest.mark.parametrize("library", ["isal", "zlib"])
@pytest.mark.parametrize(
    "tail", ["", "nul-padding", "trailing-garbage", "short-garbage"], ids=lambda t: t or "plain"
)
def test_a_mask_of_many_gzip_members_reads_as_one(tmp_path: Path, library: str, tail: str) -> None:
    raw = volume()
    single = tmp_path / "single.nii.gz"
    single.write_bytes(gzip.compress(raw))
    many = tmp_path / "many.nii.gz"
    body = one_byte_members(raw[:5000]) + b"\x00" * (7 if tail == "nul-padding" else 0)
    body += one_byte_members(raw[5000:])
    body += {"": b"", "nul-padding": b"\x00" * 100, "trailing-garbage": b"garbage!" * 10}.get(tail, b"xy")
    many.write_bytes(body)
    expected = scan_file(single, library=library)
    found = scan_file(many, library=library)
    assert expected.values is not None and expected.values.present == list(range(7))
    assert found.problems == [] and found.complete
    assert found.values == expected.values and found.header == expected.header


@pytest.mark.parametrize("library", ["isal", "zlib"])
@pytest.mark.parametrize("damage", ["truncated", "checksum"])
def test_damage_in_a_later_gzip_member_is_corrupt(tmp_path: Path, library: str, damage: str) -> None:
    raw = volume()
    members = [member(raw[:4000]), *(member(raw[i : i + 1]) for i in range(4000, len(raw)))]
    if damage == "truncated":
        members[-1] = members[-1][:-3]
    else:  # a wrong CRC-32 in a member in the middle
        middle = len(members) // 2
        members[middle] = members[middle][:-8] + b"\x00\x00\x00\x00" + members[middle][-4:]
    path = tmp_path / "damaged.nii.gz"
    path.write_bytes(b"".join(members))
    problem = scan_file(path, library=library).problem(CORRUPT)
    assert problem is not None
    said = "truncated" if damage == "truncated" else "checksum"
    assert said in problem.message, problem.message
