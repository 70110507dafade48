"""Preloaded by the workers of the LocalCluster rb-lint starts (`dask_executor`): Ctrl-C at a
terminal reaches the whole process group, workers included; the client cancels the scan and
closes the cluster itself, so a worker ignores SIGINT rather than print a traceback of its own."""

from __future__ import annotations

import signal
import threading


def dask_setup(_worker: object) -> None:
    """distributed calls this as the worker starts."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
