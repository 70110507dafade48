"""Benchmark: `rb-lint serve` under load on loopback (issue 14).

Starts the real server (`python -m rb_lint serve --port 0 --workers 2 --max-concurrency 128`: the
default limit, twice the workers, would answer most of 64 concurrent clients with 429; 128 lets
every one of them in), then

  small  `--clients` (64) concurrent clients POST a small items list to /v1/lint for `--seconds`
         (30; bounded by `--max-requests` too), each waiting for its answer before the next
         (a closed loop). The clients run in a SEPARATE process (`--client`): asyncio with raw
         HTTP/1.1 keep-alive connections, a prepared request and a minimal response parser, so
         the load generator takes little of the two cores it shares with the server (its CPU
         per request is printed);
  big    4 clients POST a generated ~20 MB tasks.json (multipart upload) `--big-requests` times
         each (2), from this process (httpx).

Prints throughput, p50/p99 latency, the error count (every answer must be a 200), the server's
and the client's CPU per request, the server's RSS (VmRSS from /proc/PID/status, workers
included) before, between and after, `uptime` before and after (the machine is shared: read the
figures beside the load), and Little's law for the closed loop: with N clients and no think
time, mean latency = N / throughput, so p99 <= 150 ms with 64 clients needs >= 64 / 0.150 = 427
requests/s, i.e. <= 2 cores / 427 = 4.7 ms of CPU per request, server and client together.
Targets on the 2-core machine: >= 200 small requests/s, p99 <= 150 ms, 0 errors, RSS not
growing without bound.

    python benchmarks/bench_serve.py [--seconds 30] [--clients 64] [--big-requests 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from bench_json import make_task
from benchlib import uptime

WORK = Path(__file__).resolve().parent / "_work" / "serve"
URL_LINE = re.compile(r"^rb-lint: serving on (http://\S+)$")
START_TIMEOUT = 60.0
BIG_BYTES = 20 * 1024 * 1024
BIG_CLIENTS = 4
REQUEST_TIMEOUT = 300.0  # a 20 MB lint on a loaded machine
TARGET_RATE = 200.0
TARGET_P99 = 0.150
SMALL_ITEMS = [
    {"name": f"patient-{index:03}", "series": [{"items": f"s3://bucket/{index}/ct.nii.gz"}]}
    for index in range(5)
] + [{"name": "patient-000", "series": [{"items": "s3://bucket/dup/ct.nii.gz"}]}]  # RB201: a finding


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    cpu: float = 0.0  # seconds of CPU the load generator used (the small load's client process)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def count(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


# --- the server -------------------------------------------------------------------------------


def environment(tmpdir: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RB_LINT_TOKEN", None)
    if tmpdir:
        env["TMPDIR"] = tmpdir
    return env


def start_server(workers: int, tmpdir: str | None) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "rb_lint", "serve", "--host", "127.0.0.1", "--port", "0"]
    command += [
        "--max-concurrency",
        "128",
        "--request-timeout",
        str(REQUEST_TIMEOUT),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(tmpdir),
    )
    urls: queue.Queue[str] = queue.Queue()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            match = URL_LINE.match(line.strip())
            if match:
                urls.put(match.group(1))
            elif line.strip():
                print(f"  server: {line.rstrip()}", file=sys.stderr)

    threading.Thread(target=drain, daemon=True).start()
    try:
        return process, urls.get(timeout=START_TIMEOUT)
    except queue.Empty:
        stop_server(process)
        raise SystemExit("the server did not start") from None


def stop_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def rss_mib(pid: int) -> float:
    """VmRSS of the server and its worker processes (`--workers`), from /proc/PID/status."""
    total = 0
    for process in [pid, *children(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            direct = [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in direct:
            found += [child, *children(child)]
    return found


BASELINE = """
import json, sys, time
from rb_lint.service.bundle import DocumentsBody, bundle_from_documents
from rb_lint.service.linting import lint_bundle, render_report
from rb_lint.service.settings import ServeSettings
settings = ServeSettings()
body = DocumentsBody.model_validate(json.loads(sys.argv[1]))
def one():
    bundle = bundle_from_documents(body, settings, in_memory=True)  # as POST /v1/lint does
    try:
        render_report(lint_bundle(bundle, settings), bundle, "json")
    finally:
        bundle.cleanup()
for _ in range(5):
    one()
count, start, cpu = 0, time.perf_counter(), time.process_time()
while count < 400 and time.perf_counter() - start < 5:
    one()
    count += 1
print((time.perf_counter() - start) / count, (time.process_time() - cpu) / count)
"""


def baseline_seconds(tmpdir: str | None) -> tuple[float, float]:
    """One small request's library work (bundle folder, lint, JSON report, cleanup), in a fresh
    interpreter, one after another: the floor a request costs the server on one core."""
    body = json.dumps({"documents": {"items.json": json.dumps(SMALL_ITEMS, indent=2)}})
    out = subprocess.run(
        [sys.executable, "-c", BASELINE, body],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(tmpdir),
        check=True,
    )
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server and its workers used so far, from /proc/PID/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / ticks


# --- the loads --------------------------------------------------------------------------------


SMALL_BODY = json.dumps({"documents": {"items.json": json.dumps(SMALL_ITEMS, indent=2)}}).encode()


def small_load(url: str, clients: int, seconds: float, max_requests: int) -> tuple[Tally, float]:
    """Run the small load in a client process of its own (`--client`); its tally and duration."""
    command = [sys.executable, __file__, "--client", url, "--clients", str(clients)]
    command += ["--seconds", str(seconds), "--max-requests", str(max_requests)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=True)
    result = json.loads(out.stdout)
    return Tally(result["latencies"], result["errors"], result["cpu"]), result["seconds"]


def client_main(url: str, clients: int, seconds: float, max_requests: int) -> None:
    """The load generator process: prints its tally as JSON (with its own CPU time)."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    cpu = time.process_time()
    tally, elapsed = asyncio.run(raw_load(url, clients, seconds, max_requests))
    tally.cpu = time.process_time() - cpu  # the load itself (not the interpreter's start-up)
    print(json.dumps({**asdict(tally), "seconds": elapsed}))


async def raw_load(url: str, clients: int, seconds: float, max_requests: int) -> tuple[Tally, float]:
    """`clients` closed-loop clients, one keep-alive HTTP/1.1 connection each, posting the same
    prepared request and reading each answer (status, Content-Length, body) before the next."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST /v1/lint HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(SMALL_BODY)}\r\n\r\n"
    ).encode() + SMALL_BODY
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline and tally.count < max_requests:
                sent = time.perf_counter()
                writer.write(request)
                status, body, close = await read_answer(reader)
                if status != 200 or b'"RB201"' not in body:
                    tally.error(f"HTTP {status}")
                else:
                    tally.latencies.append(time.perf_counter() - sent)
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            tally.error(type(error).__name__)
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return tally, time.perf_counter() - started


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the server closes the connection) of one HTTP/1.1 answer."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    return status, await reader.readexactly(length), close


def big_tasks_file() -> Path:
    """A tasks.json of >= 20 MB (generated once, kept under benchmarks/_work/serve/)."""
    path = WORK / "tasks-20mb.json"
    if path.exists() and path.stat().st_size >= BIG_BYTES:
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(14)
    size, index = 2, 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        while size < BIG_BYTES:
            text = ("" if index == 0 else ",\n") + json.dumps(make_task(index, rng), indent=2)
            size += out.write(text)
            index += 1
        out.write("\n]\n")
    return path


async def big_load(url: str, path: Path, requests: int) -> tuple[Tally, float]:
    data = path.read_bytes()
    tally = Tally()
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT) as http:
        started = time.perf_counter()

        async def client() -> None:
            for _ in range(requests):
                sent = time.perf_counter()
                files = [("files", ("tasks.json", data, "application/json"))]
                try:
                    answer = await http.post("/v1/lint", files=files)
                except httpx.HTTPError as error:
                    tally.error(type(error).__name__)
                    continue
                if answer.status_code != 200:
                    tally.error(f"HTTP {answer.status_code}")
                    continue
                tally.latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(client() for _ in range(BIG_CLIENTS)))
        return tally, time.perf_counter() - started


# --- the report -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(name: str, tally: Tally, seconds: float) -> str:
    rate = len(tally.latencies) / seconds if seconds else 0.0
    mean = statistics.fmean(tally.latencies) if tally.latencies else float("nan")
    return (
        f"{name}: {len(tally.latencies)} ok in {seconds:.1f} s = {rate:.1f} req/s; latency p50 "
        f"{percentile(tally.latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(tally.latencies, 0.99) * 1000:.1f} ms, "
        f"mean {mean * 1000:.1f} ms, max {max(tally.latencies, default=float('nan')) * 1000:.1f} ms; "
        f"errors {sum(tally.errors.values())} {tally.errors or ''}"
    )


def little(clients: int, rate: float, cpu: float) -> str:
    """Little's law for the closed loop (no think time): mean latency = clients / throughput."""
    needed = clients / TARGET_P99
    cores = os.cpu_count() or 1
    return (
        f"Little's law: {clients} closed-loop clients at {rate:.1f} req/s wait "
        f"{clients / rate * 1000:.0f} ms on average (p99 >= mean); "
        f"p99 <= {TARGET_P99 * 1000:.0f} ms needs >= {clients} / "
        f"{TARGET_P99:.3f} s = {needed:.0f} req/s, i.e. <= {cores} cores / {needed:.0f} = "
        f"{cores / needed * 1000:.1f} ms CPU per request (server + client); measured {cpu * 1000:.2f} ms, "
        f"a ceiling of {cores / cpu:.0f} req/s on an idle machine"
        if rate > 0 and cpu > 0
        else "Little's law: no request succeeded"
    )


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the small-request phase")
    parser.add_argument("--clients", type=int, default=64, help="concurrent small-request clients")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on small requests")
    parser.add_argument("--big-requests", type=int, default=2, help="20 MB requests per big client (4)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (`serve --workers`)")
    parser.add_argument("--tmpdir", help="the server's TMPDIR, where bundles are written (e.g. /dev/shm)")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)  # the load generator process
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.clients, args.seconds, args.max_requests)
        return

    print(f"uptime before: {uptime()}")
    big = big_tasks_file()
    floor, floor_cpu = baseline_seconds(args.tmpdir)
    print(
        f"baseline: one small request's library work in-process {floor * 1000:.1f} ms wall, "
        f"{floor_cpu * 1000:.1f} ms CPU (ceiling {1 / floor_cpu:.0f} req/s per core; "
        f"TMPDIR {args.tmpdir or 'default'})"
    )
    process, url = start_server(args.workers, args.tmpdir)
    try:
        print(
            f"server pid {process.pid} at {url} (--max-concurrency 128, --workers {args.workers}); "
            f"RSS at start {rss_mib(process.pid):.1f} MiB"
        )
        warm, _ = small_load(url, 8, 3.0, 400)  # imports and first-use costs, in every worker
        print(f"RSS after warm-up ({len(warm.latencies)} requests): {rss_mib(process.pid):.1f} MiB")
        cpu_before = cpu_seconds(process.pid)
        small, seconds = small_load(url, args.clients, args.seconds, args.max_requests)
        server_cpu = (cpu_seconds(process.pid) - cpu_before) / max(len(small.latencies), 1)
        print(
            summary(
                f"small ({args.clients} clients, {len(json.dumps(SMALL_ITEMS, indent=2))} B items list)",
                small,
                seconds,
            )
        )
        print(f"RSS after small: {rss_mib(process.pid):.1f} MiB")
        large, large_seconds = asyncio.run(big_load(url, big, args.big_requests))
        print(
            summary(
                f"big ({BIG_CLIENTS} clients, {big.stat().st_size / 2**20:.1f} MiB tasks.json)",
                large,
                large_seconds,
            )
        )
        print(f"RSS after big: {rss_mib(process.pid):.1f} MiB")
        again, again_seconds = small_load(url, args.clients, min(args.seconds, 5.0), args.max_requests)
        print(summary("small again", again, again_seconds))
        print(f"RSS at the end: {rss_mib(process.pid):.1f} MiB")
    finally:
        stop_server(process)
    rate = len(small.latencies) / seconds
    client_cpu = small.cpu / max(len(small.latencies), 1)
    print(
        f"server CPU per small request {server_cpu * 1000:.2f} ms = {server_cpu / floor_cpu:.2f}x "
        f"the in-process library work; load generator CPU per request {client_cpu * 1000:.2f} ms "
        f"({small.cpu:.1f} s in all)"
    )
    print(little(args.clients, rate, server_cpu + client_cpu))
    p99 = percentile(small.latencies, 0.99)
    errors = sum(t.count - len(t.latencies) for t in (small, large, again))
    print(
        f"targets: >= {TARGET_RATE:.0f} small req/s: {rate:.1f} ({verdict(rate >= TARGET_RATE)}); "
        f"p99 <= {TARGET_P99 * 1000:.0f} ms: {p99 * 1000:.1f} ms ({verdict(p99 <= TARGET_P99)}); "
        f"0 errors: {errors} ({verdict(errors == 0)})"
    )
    print(f"uptime after: {uptime()}")


if __name__ == "__main__":
    main()
