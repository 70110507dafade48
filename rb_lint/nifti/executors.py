"""Where mask scans run: the executor seam of `rb_lint.nifti.batch`.

`local` (the default) scans in this machine's process pool (`batch._in_pool`); `dask` sends the
same tasks to a Dask cluster (`rb_lint.nifti.dask_executor`): a scheduler's address, or, without
one, a `LocalCluster` of processes on 127.0.0.1. Either way the client consults the cache first
and gets small results back (header facts and value sets, never voxel data).

This module imports neither dask nor a process pool: the command line imports it cheaply.
"""

from __future__ import annotations

from pathlib import Path

LOCAL, DASK = "local", "dask"
EXECUTORS = (LOCAL, DASK)
SCHEDULER_VARIABLE = "RB_LINT_SCHEDULER"  # the scheduler's address, where --scheduler is not given


class ExecutorError(Exception):
    """The chosen executor cannot run the scans (dask missing, a scheduler that cannot be
    reached, workers of another rb-lint version): one line, the run ends with exit code 2."""


class UnsharedFile(ExecutorError):
    """A worker cannot see a local mask the client sees: the workers do not share its filesystem."""

    def __init__(self, path: Path, host: str) -> None:
        super().__init__(path, host)
        self.path, self.host = path, host

    def describe(self, shown: str) -> str:
        """The one-line message, with the path as the caller shows it."""
        return (
            f"the Dask worker on `{self.host}` cannot see the mask `{shown}`, which exists here: "
            "local mask paths need a filesystem the workers share, mounted at the same path "
            "(or use `--executor local`)"
        )

    def __str__(self) -> str:
        return self.describe(str(self.path))


def worker_version() -> str:
    """rb-lint's version where this runs (a worker must scan as the client would)."""
    from rb_lint.nifti.cache import rb_lint_version

    return rb_lint_version()
