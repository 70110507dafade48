"""Benchmark: does `rb-lint serve`'s memory stay bounded over many small lints? (issue 14)

Starts the real server with one worker process (`--workers 1`, so one VmRSS tells it all), then
one keep-alive client POSTs bench_serve.py's small items list to /v1/lint `--steps` times
`--requests` times (a bounded loop), printing the server's RSS after each step and, at the end,
the growth per request over the steps after the first (the first pays for warm-up: imports,
validators, caches). Also prints the same for GET /healthz as a control (no lint). A server whose
memory is bounded grows by about 0 bytes per request once warm.

    python benchmarks/bench_serve_memory.py [--steps 4] [--requests 3000]
"""

from __future__ import annotations

import argparse
import time

import httpx
from bench_serve import SMALL_BODY, rss_mib, start_server, stop_server
from benchlib import uptime


def growth(url: str, pid: int, path: str, steps: int, requests: int) -> list[float]:
    """The server's RSS (MiB) after each step of `requests` requests to `path`."""
    sizes = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(steps):
            for _ in range(requests):
                if path == "/healthz":
                    response = client.get(path)
                else:
                    response = client.post(
                        path, content=SMALL_BODY, headers={"Content-Type": "application/json"}
                    )
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
            sizes.append(rss_mib(pid))
    return sizes


def report(name: str, sizes: list[float], requests: int) -> None:
    per_request = (sizes[-1] - sizes[0]) * 1024 * 1024 / (requests * (len(sizes) - 1))
    shown = ", ".join(f"{size:.1f}" for size in sizes)
    print(
        f"{name}: RSS after each {requests} requests (MiB): {shown}; "
        f"growth once warm {per_request:.0f} B/request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    print(f"uptime before: {uptime()}")
    process, url = start_server(workers=1, tmpdir=None)
    try:
        started = time.monotonic()
        report("GET /healthz", growth(url, process.pid, "/healthz", args.steps, args.requests), args.requests)
        report(
            "POST /v1/lint", growth(url, process.pid, "/v1/lint", args.steps, args.requests), args.requests
        )
        print(f"took {time.monotonic() - started:.1f} s")
    finally:
        stop_server(process)
    print(f"uptime after: {uptime()}")


if __name__ == "__main__":
    main()
