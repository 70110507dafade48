"""Benchmark: masks scanned from a loopback S3 server vs the same masks on local disk, and the
requests that bulk existence costs.

In one run:
  1. 500 masks (256x256x160 uint8 by default, ellipsoid "organs", gzip level 1 as nibabel
     writes them; about 95 KB each) under benchmarks/_work/remote/masks-<shape>/, and the same
     bytes in moto's S3 server (`moto[server]`, started on 127.0.0.1 in a subprocess; objects
     put through moto's in-process backend).
  2. Local: `rb_lint.nifti.batch.scan_masks` (the path `rb-lint check` takes for local masks; a
     process pool of the default size), in a fresh subprocess, no cache.
     Remote: the library API of `rb_lint.storage` -- `Stores.exist` (one listing) then
     `scanning.scan_remote` (threads; masks up to 4 MiB read in one GET and scanned from memory as
     local small files are, larger ones streamed through `scan_stream`; no cache) -- in a fresh
     subprocess. The `rb-lint check --storage` integration is written at the same time by another
     helper; this script measures the library it calls.
  3. Existence of 100,000 keys under one prefix (99,990 present, 10 missing) in the same server:
     listing requests made (counted by botocore's event hooks), seconds.
Local and remote measuring processes alternate (--repeats), each scanning --rounds times; the
best time of each side is kept (the shared machine's load moves during a run). Each measurement
prints seconds, CPU seconds, masks/s and peak RSS (`resource.getrusage`: the measuring
process, and for the local run also its largest worker). Targets: remote/local throughput >= 0.5;
<= 1 listing request per 1,000 keys; remote peak RSS <= 1.2x the local run's.

    python benchmarks/bench_remote.py [--masks 500] [--keys 100000] [--shape 256x256x160]
                                      [--rounds 2] [--repeats 2] [--jobs 8]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import uptime

WORK = Path(__file__).resolve().parent / "_work" / "remote"
MASK_BUCKET = "bench-masks"
KEY_BUCKET = "bench-keys"
MISSING_EVERY = 10_000  # one key in this many is not planted
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
TIMEOUT = 1800


def make_masks(count: int, shape: tuple[int, int, int]) -> list[Path]:
    """`count` distinct masks: ten base masks of ellipsoid "organs", each copy shifted and
    relabelled (distinct bytes, distinct values), gzip level 1 as nibabel writes them."""
    import nibabel as nib
    import numpy as np

    folder = WORK / ("masks-" + "x".join(map(str, shape)))
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"mask-{index:04d}.nii.gz" for index in range(count)]
    if all(path.exists() for path in paths):
        return paths
    grid = np.indices(shape, dtype=np.float32)
    rng = np.random.default_rng(13)
    extent = np.array(shape, dtype=np.float32)
    bases = []
    for base in range(10):
        data = np.zeros(shape, dtype=np.uint8)
        for label in range(1, 5 + base % 4):
            centre = rng.uniform(extent * 0.2, extent * 0.8)
            radii = rng.uniform(extent * 0.05, extent * 0.2)
            inside = sum(((grid[axis] - centre[axis]) / radii[axis]) ** 2 for axis in range(3)) <= 1
            data[inside] = label
        bases.append(data)
    for index, path in enumerate(paths):
        data = np.roll(bases[index % 10], shift=(index % 17, index % 13, 0), axis=(0, 1, 2))
        data = np.where(data > 0, data + index % 7, 0).astype(np.uint8)
        image = nib.Nifti1Image(data, np.eye(4))  # type: ignore[no-untyped-call]
        path.write_bytes(gzip.compress(image.to_bytes(), compresslevel=1))
    return paths


def key_names(count: int) -> list[str]:
    return [f"items/study-{index // 100:04d}/image-{index:06d}.dcm" for index in range(count)]


# -- subprocess roles ----------------------------------------------------------------------------
def serve(mask_folder: str, keys: int) -> None:
    """The S3 server: masks and keys planted through moto's in-process backend; prints its endpoint,
    serves until stdin closes."""
    import logging

    import boto3
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=MASK_BUCKET)
    client.create_bucket(Bucket=KEY_BUCKET)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for path in sorted(Path(mask_folder).glob("*.nii.gz")):
        backend.put_object(MASK_BUCKET, f"masks/{path.name}", path.read_bytes())
    for index, key in enumerate(key_names(keys)):
        if index % MISSING_EVERY != MISSING_EVERY // 2:
            backend.put_object(KEY_BUCKET, key, b"x")
    print(json.dumps({"endpoint": endpoint}), flush=True)
    sys.stdin.read()
    server.stop()


def peak_mb(who: int) -> float:
    """Peak RSS from `resource.getrusage` (KiB on Linux). Linux carries a process's ru_maxrss over
    fork and exec: the parent stays small (it makes no masks) so that it does not set the floor."""
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the local run's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_local(mask_folder: str, rounds: int) -> dict[str, Any]:
    from rb_lint.nifti.batch import BatchSettings, default_jobs, scan_masks

    paths = sorted(Path(mask_folder).glob("*.nii.gz"))
    settings = BatchSettings(jobs=default_jobs())
    best, best_cpu = float("inf"), 0.0
    for _ in range(rounds):
        started, cpu = time.perf_counter(), cpu_seconds()
        results = scan_masks(paths, settings)
        if time.perf_counter() - started < best:
            best, best_cpu = time.perf_counter() - started, cpu_seconds() - cpu
        assert all(r.complete and not r.problems for r in results.values())
    return {
        "seconds": best,
        "masks": len(paths),
        "jobs": settings.jobs,
        "cpu": best_cpu,
        "rss_mb": peak_mb(resource.RUSAGE_SELF),
        "worker_rss_mb": peak_mb(resource.RUSAGE_CHILDREN),
    }


def measure_remote(endpoint: str, masks: int, rounds: int, jobs: int) -> dict[str, Any]:
    from rb_lint.storage.access import Stores
    from rb_lint.storage.scanning import scan_remote
    from rb_lint.storage.settings import StorageSettings

    urls = [f"s3://{MASK_BUCKET}/masks/mask-{index:04d}.nii.gz" for index in range(masks)]
    settings = StorageSettings(endpoint_url=endpoint)
    best, best_cpu, requests = float("inf"), 0.0, {}
    for _ in range(rounds):
        stores = Stores(settings)
        started, cpu = time.perf_counter(), time.process_time()
        found = stores.exist(urls)
        results = scan_remote(stores, list(found.values()), jobs=jobs)
        if time.perf_counter() - started < best:
            best, best_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert all(r.complete and not r.problems for r in results.values()), [
            r.problems for r in results.values() if r.problems
        ][:3]
        requests = {kind: stores.requests(kind) for kind in ("list", "head", "get")}
    return {
        "seconds": best,
        "masks": len(urls),
        "jobs": jobs,
        "cpu": best_cpu,
        "rss_mb": peak_mb(resource.RUSAGE_SELF),
        "requests": requests,
    }


def measure_keys(endpoint: str, keys: int) -> dict[str, Any]:
    from rb_lint.storage.access import Stores
    from rb_lint.storage.settings import StorageSettings

    urls = [f"s3://{KEY_BUCKET}/{key}" for key in key_names(keys)]
    stores = Stores(StorageSettings(endpoint_url=endpoint, timeout=120))
    started = time.perf_counter()
    found = stores.exist(urls)
    seconds = time.perf_counter() - started
    missing = sorted(index for index, url in enumerate(urls) if not found[url].exists)
    expected = [index for index in range(keys) if index % MISSING_EVERY == MISSING_EVERY // 2]
    return {
        "keys": keys,
        "seconds": seconds,
        "list_requests": stores.requests("list"),
        "requests": stores.requests(),
        "correct": missing == expected and not any(item.problem for item in found.values()),
    }


def role(argv: list[str]) -> None:
    name, args = argv[0], argv[1:]
    if name == "--serve":
        serve(args[0], int(args[1]))
        return
    if name == "--make":
        shape = tuple(int(n) for n in args[1].split("x"))
        paths = make_masks(int(args[0]), (shape[0], shape[1], shape[2]))
        out: dict[str, Any] = {"folder": str(paths[0].parent), "bytes": sum(p.stat().st_size for p in paths)}
        print(json.dumps(out), flush=True)
        return
    if name == "--local":
        out = measure_local(args[0], int(args[1]))
    elif name == "--remote":
        out = measure_remote(args[0], int(args[1]), int(args[2]), int(args[3]))
    else:
        out = measure_keys(args[0], int(args[1]))
    print(json.dumps(out), flush=True)


# -- the run -------------------------------------------------------------------------------------
def child(*args: str) -> dict[str, Any]:
    env = {**os.environ, **CREDENTIALS}
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def better(best: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The faster of two measurements, with the higher peak RSS of the two."""
    if not best:
        return new
    chosen = dict(new if new["seconds"] < best["seconds"] else best)
    for field in ("rss_mb", "worker_rss_mb"):
        if field in chosen:
            chosen[field] = max(best[field], new[field])
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks", type=int, default=500)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="scans per measuring process (best kept)")
    parser.add_argument("--repeats", type=int, default=2, help="local/remote processes, alternated")
    parser.add_argument("--shape", default="256x256x160", help="mask shape, XxYxZ (uint8)")
    parser.add_argument("--jobs", type=int, default=8, help="remote scans in flight (threads)")
    options = parser.parse_args()
    print(uptime())
    started = time.perf_counter()
    made = child("--make", str(options.masks), options.shape)
    mask_folder, total = str(made["folder"]), int(made["bytes"])
    made_in = time.perf_counter() - started
    print(
        f"{options.masks} masks {options.shape}, {total / 2**20:.1f} MiB compressed ({made_in:.1f} s to make)"
    )
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", mask_folder, str(options.keys)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **CREDENTIALS},
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            raise SystemExit("the S3 server did not start")
        endpoint = json.loads(line)["endpoint"]
        print(f"moto S3 at {endpoint}, {options.keys:,} keys planted ({time.perf_counter() - started:.1f} s)")
        local: dict[str, Any] = {}
        remote: dict[str, Any] = {}
        for _ in range(options.repeats):  # alternated: the machine's load changes over a run
            local = better(local, child("--local", mask_folder, str(options.rounds)))
            remote = better(
                remote,
                child("--remote", endpoint, str(options.masks), str(options.rounds), str(options.jobs)),
            )
        keys = child("--keys-role", endpoint, str(options.keys))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
    report(local, remote, keys)
    print(uptime())


def report(local: dict[str, Any], remote: dict[str, Any], keys: dict[str, Any]) -> None:
    local_rate = local["masks"] / local["seconds"]
    remote_rate = remote["masks"] / remote["seconds"]
    local_tree = local["rss_mb"] + local["worker_rss_mb"]
    print(
        f"local : {local['seconds']:.2f} s, {local_rate:.0f} masks/s ({local['jobs']} workers); "
        f"{local['cpu']:.2f} s CPU; "
        f"peak RSS {local['rss_mb']:.0f} MB main + {local['worker_rss_mb']:.0f} MB largest worker"
    )
    print(
        f"remote: {remote['seconds']:.2f} s, {remote_rate:.0f} masks/s ({remote['jobs']} threads); "
        f"{remote['cpu']:.2f} s CPU; peak RSS {remote['rss_mb']:.0f} MB; requests {remote['requests']}"
    )
    print(f"throughput remote/local: {remote_rate / local_rate:.2f} (target >= 0.5)")
    print(
        f"peak RSS remote/local: {remote['rss_mb'] / local['rss_mb']:.2f} of the local main process, "
        f"{remote['rss_mb'] / local_tree:.2f} of main + one worker (target <= 1.2)"
    )
    per_thousand = keys["list_requests"] / (keys["keys"] / 1000)
    print(
        f"existence of {keys['keys']:,} keys: {keys['list_requests']} listing requests "
        f"({per_thousand:.2f} per 1,000 keys, target <= 1), {keys['requests']} requests in all, "
        f"{keys['seconds']:.1f} s, {'correct' if keys['correct'] else 'WRONG'}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--serve", "--make", "--local", "--remote", "--keys-role"):
        role(sys.argv[1:])
    else:
        main()
