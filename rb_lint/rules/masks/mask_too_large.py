"""RB323 mask-too-large."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import readable_header, scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB323",
    "mask-too-large",
    Severity.ERROR,
    "A mask's header promises more voxel data than the configured limit.",
    kinds=TASK_KINDS,
)
def mask_too_large(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask's header claims more voxel data than `max-uncompressed-bytes`
    (`[tool.rb-lint.masks]`, default 4 GiB). The file is not read (decompressing it would take
    minutes), so its values are not checked.

    Why: Such a header is usually damaged, or the file is an image where a mask belongs: either
    way the upload does not get the labels it expects. Raise the limit if the mask is real.

    Failing:
        seg.nii.gz whose header says shape (51200, 51200, 3000)
    Fixed:
        seg.nii.gz with the real shape (512, 512, 300)
    """
    limit = ctx.config.masks.max_uncompressed_bytes
    for result, uses in scanned_by_result(doc, ctx):
        header = readable_header(result)
        if header is None or header.nbytes <= limit:
            continue
        yield from uses.hits(
            f"promises {header.nbytes:,} bytes of voxel data (shape "
            f"{header.shape}, {header.dtype_name}), over `max-uncompressed-bytes` "
            f"({limit:,}): it was not read; check its header, or raise the limit in "
            "`[tool.rb-lint.masks]`"
        )
