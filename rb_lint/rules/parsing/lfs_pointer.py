"""RB009 lfs-pointer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.files import lfs_pointer_file, read_files
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

SHOWN = 3  # other pointer files named in the message


@rule(
    "RB009",
    "lfs-pointer",
    Severity.INFO,
    "The file is a Git LFS pointer, not its content.",
    kinds=TASK_KINDS,
)
def lfs_pointer(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A file is a Git LFS pointer (`version https://git-lfs.github.com/spec/v1`, an `oid` and
    a `size`): the repository stores it in Git LFS and this checkout did not fetch it (a CI
    checkout without `lfs: true`, `GIT_LFS_SKIP_SMUDGE=1`). For a `.json` file the JSON loader
    reports it at the top of the file, which is then skipped. Masks, NIfTI images and DICOM files
    that an items list names (`segmentations`, `items`) are reported once per JSON file, at the
    first such path string, naming the others; their content is treated as unknown, as for a
    remote file: no other rule reports them or judges a series by them.

    Why: There is nothing to check: reporting the pointer as invalid JSON or as a broken NIfTI
    file would be wrong, and its fix (renaming it) would be harmful. Fix: run `git lfs pull` (in
    GitHub Actions: `actions/checkout` with `lfs: true`).

    Failing:
        masks/seg.nii.gz:
        version https://git-lfs.github.com/spec/v1
        oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
        size 12345
    Fixed:
        (after `git lfs pull`)
        masks/seg.nii.gz: the NIfTI mask itself
    """
    is_pointer: dict[Path, bool] = {}  # asked once per file, not per path string naming it
    pointers = []
    for named in read_files(doc, ctx):  # each path string once, where first named
        found = is_pointer.get(named.path)
        if found is None:
            found = is_pointer[named.path] = lfs_pointer_file(ctx, named.path)
        if found:
            pointers.append(named)
    if not pointers:
        return
    first = pointers[0]
    others = [n.written for n in pointers[1:]]
    more = ""
    if others:
        shown = ", ".join(f"`{name}`" for name in others[:SHOWN]) + (", …" if len(others) > SHOWN else "")
        count = (
            f"{'is' if len(others) == 1 else 'are'} {len(others)} more file{'s' if len(others) > 1 else ''}"
        )
        more = f", and so {count} this document names ({shown})"
    yield Hit(
        f"`{first.written}` is a Git LFS pointer, not the file itself{more}: the content was not "
        "fetched; run `git lfs pull` (in CI: `actions/checkout` with `lfs: true`) to check "
        f"{'them' if others else 'it'}; skipped",
        first.pointer,
    )
