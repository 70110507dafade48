"""Hostile file-system layouts, generated (issue 12: no input that hangs, crashes or misleads).

Hypothesis builds a folder of items lists and `.nii.gz` masks, symbolic links in and out of the
root (to files, folders, themselves, each other, nothing, `/dev/zero`), FIFOs named `*.json` and
`*.nii.gz`, names near and over 255 bytes and names that are not UTF-8, and items lists whose mask
paths name all of those. The real CLI runs on it (in-process, in a thread given a timeout); it must finish,
exit 0 or 1 (2 only with one `rb-lint: error:` line), and never print a traceback.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_nifti_support import nifti_bytes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file-system entries")

TIMEOUT = 30
MASK = gzip.compress(nifti_bytes(np.arange(27, dtype=np.uint8).reshape(3, 3, 3) % 4), compresslevel=1)
UNDECODABLE = "\udcff\udcfe"  # b"\xff\xfe" through surrogateescape: not UTF-8
NAMES = ["a", "m", "items", "link", "dirlink", "x" * 240, "y" * 300, UNDECODABLE, "sub/" + UNDECODABLE]
SUFFIXES = [".json", ".nii.gz", ""]
PLACES = ["root", "root/sub", "outside"]
TARGETS = ["root-file", "root-dir", "outside-file", "outside-dir", "self", "dangling", "pair", "dev-zero"]
MASK_PATHS = [
    "m.nii.gz",
    "a.nii.gz",
    "link.nii.gz",
    "sub/m.nii.gz",
    "../outside/m.nii.gz",
    "dirlink/../m.nii.gz",
    "dirlink/m.nii.gz",
    "dirlink.nii.gz/x.nii.gz",
    "x" * 240 + ".nii.gz",
    "y" * 300 + ".nii.gz",
    UNDECODABLE + ".nii.gz",
    "/dev/zero",
    "sub",
    ".",
    "..",
    "~1/\x7f.nii.gz",
]


@dataclass(frozen=True)
class Entry:
    kind: str  # items | mask | badmask | fifo | dir | symlink
    place: str
    name: str
    suffix: str
    target: str  # for a symlink
    masks: tuple[str, ...]  # for an items list


entries = st.builds(
    Entry,
    kind=st.sampled_from(["items", "items", "mask", "badmask", "fifo", "dir", "symlink", "symlink"]),
    place=st.sampled_from(PLACES),
    name=st.sampled_from(NAMES),
    suffix=st.sampled_from(SUFFIXES),
    target=st.sampled_from(TARGETS),
    masks=st.lists(st.sampled_from(MASK_PATHS), min_size=1, max_size=4).map(tuple),
)


def encoded(path: Path) -> bytes:
    return os.fsencode(str(path))


def items_list(masks: tuple[str, ...]) -> bytes:
    series = [
        {"items": "ct.nii.gz", "segmentations": mask, "segmentMap": {"1": "Liver", "2": "Spleen"}}
        for mask in masks
    ]
    # ensure_ascii: an undecodable name is written as `\udcff`, which rb-lint reads back as the
    # surrogate and the OS opens as the byte 0xff.
    return json.dumps([{"name": f"task-{i}", "series": [s]} for i, s in enumerate(series)]).encode()


def create(entry: Entry, base: Path) -> bytes | None:
    """Make one entry; None when the file system refuses it (a name too long, an existing name)."""
    folder = base / entry.place
    path = encoded(folder / (entry.name + entry.suffix))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if entry.kind == "items":
            _write(path, items_list(entry.masks))
        elif entry.kind == "mask":
            _write(path, MASK)
        elif entry.kind == "badmask":
            _write(path, MASK[: len(MASK) // 2])
        elif entry.kind == "fifo":
            os.mkfifo(path)
        elif entry.kind == "dir":
            os.mkdir(path)
        else:
            os.symlink(_target(entry.target, base, path), path)
    except OSError:
        return None
    return path


def _write(path: bytes, content: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(content)


def _target(target: str, base: Path, path: bytes) -> bytes:
    targets = {
        "root-file": encoded(base / "root" / "m.nii.gz"),
        "root-dir": encoded(base / "root" / "sub"),
        "outside-file": encoded(base / "outside" / "m.nii.gz"),
        "outside-dir": encoded(base / "outside"),
        "self": path,
        "dangling": encoded(base / "root" / "nowhere"),
        "dev-zero": b"/dev/zero",
    }
    if target == "pair":  # two links pointing at each other
        other = path + b".other"
        os.symlink(path, other)
        return other
    return targets[target]


def describe(base: Path) -> str:
    lines = []
    for current, dirs, files in os.walk(encoded(base)):
        for name in sorted(dirs + files):
            full = os.path.join(current, name)
            link = f" -> {os.readlink(full)!r}" if os.path.islink(full) else ""
            lines.append(f"{os.path.relpath(full, encoded(base))!r}{link}")
    return "\n".join(lines)


@dataclass
class Outcome:
    exit_code: int | None  # None: still running after the timeout
    stdout: str = ""
    stderr: str = ""
    exception: BaseException | None = None


def run_check(root: Path, args: list[str]) -> Outcome:
    """`rb-lint check` in this process (a subprocess per example would cost a second of imports),
    in a daemon thread given TIMEOUT seconds."""
    from click.testing import CliRunner

    from rb_lint.cli import main as cli

    outcome = Outcome(None)

    def invoke() -> None:
        result = CliRunner().invoke(
            cli, ["check", "--no-cache", "--jobs", "1", "--format", "json", *args], env={"NO_COLOR": "1"}
        )
        outcome.stdout, outcome.stderr = result.stdout, result.stderr
        outcome.exception = None if isinstance(result.exception, SystemExit) else result.exception
        outcome.exit_code = result.exit_code

    previous = os.getcwd()
    os.chdir(root)
    try:
        worker = threading.Thread(target=invoke, daemon=True)
        worker.start()
        worker.join(TIMEOUT)
    finally:
        os.chdir(previous)
    return outcome


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(layout=st.lists(entries, min_size=1, max_size=10), explicit=st.booleans())
def test_no_layout_hangs_crashes_or_ends_the_run(layout: list[Entry], explicit: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        root = base / "root"
        for folder in (root / "sub", base / "outside"):
            folder.mkdir(parents=True)
        (root / "rb-lint.toml").write_text("")
        _write(encoded(base / "outside" / "m.nii.gz"), MASK)
        made = [path for entry in layout if (path := create(entry, base)) is not None]
        inside = [os.path.relpath(p, encoded(root)) for p in made if p.startswith(encoded(root) + b"/")]
        args = [os.fsdecode(a) for a in inside] if explicit and inside else ["."]
        result = run_check(root, args)
        output = result.stdout + result.stderr
        context = f"rb-lint check {args!r} on:\n{describe(base)}\n--- output:\n{output[-4000:]}"
        assert result.exit_code is not None, f"did not finish in {TIMEOUT} s: {context}"
        assert result.exception is None, f"{result.exception!r}: {context}"
        assert "Traceback" not in output and "internal error" not in output, context
        if result.exit_code == 2:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("rb-lint: error:"), context
        else:
            assert result.exit_code in (0, 1), context
            json.loads(result.stdout)  # the report is whole


def test_undecodable_mask_name_given_explicitly_is_not_an_internal_error(tmp_path: Path) -> None:
    """Found by the test above: a mask whose name is not UTF-8, named on the command line (as the
    mask pre-commit hook does), ended the run with `internal error: UnicodeEncodeError`."""
    (tmp_path / "rb-lint.toml").write_text("")
    _write(encoded(tmp_path / "a.json"), items_list(("m.nii.gz",)))
    _write(encoded(tmp_path) + b"/\xff\xfe.nii.gz", MASK)
    result = run_check(tmp_path, ["a.json", os.fsdecode(b"\xff\xfe.nii.gz")])
    assert result.exit_code in (0, 1), result.stderr
