"""RB009 lfs-pointer."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

lfs_pointer = emitted(
    "RB009",
    "lfs-pointer",
    Severity.INFO,
    "The file is a Git LFS pointer, not its content.",
    """
    What: The `.json` file is a Git LFS pointer (`version https://git-lfs.github.com/spec/v1`, an
    `oid` and a `size`): the repository stores the JSON in Git LFS and this checkout did not fetch
    it (a CI checkout without `lfs: true`, `GIT_LFS_SKIP_SMUDGE=1`).

    Why: There is nothing to lint, so the file is skipped with this note rather than reported as
    invalid JSON.

    Fix: run `git lfs pull` (in GitHub Actions: `actions/checkout` with `lfs: true`).

    Failing:
        version https://git-lfs.github.com/spec/v1
        oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
        size 12345
    Fixed:
        (after `git lfs pull`)
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """,
)
