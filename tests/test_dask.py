# mypy: disable-error-code="no-untyped-call"
"""Issue 15: mask scans on a Dask cluster give the findings a local run gives.

Real `LocalCluster`s of worker processes on 127.0.0.1: one shared by the module (2 workers, one
thread each), which the CLI runs reach with `--scheduler`, and the ones rb-lint starts itself
(no address) where that is what is tested. Every subprocess has a timeout; nothing here measures
speed (benchmarks/bench_dask.py does).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nibabel as nib
import numpy as np
import psutil
import pytest
from distributed import Client, LocalCluster
from identity_repo import RUNS, build_input
from storage_servers import HttpServer

from rb_lint.core.config import parse_config
from rb_lint.nifti import dask_executor
from rb_lint.nifti.batch import BatchSettings, scan_masks
from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.executors import ExecutorError, UnsharedFile
from rb_lint.nifti.scan import ScanResult

pytest_plugins = ["storage_servers"]  # its `http_server` fixture

TIMEOUT = 120  # seconds, for any one CLI run on a loaded machine
BLOCK = 64 << 20  # one gzip member of zeros: 64 MiB of voxels in about 64 KB
OLD = time.time() - 3600  # masks dated an hour ago: the cache's stat memo trusts them


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    made = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.CRITICAL,
    )
    try:
        yield made
    finally:
        dask_executor.close_all()  # rb-lint's own clients of this cluster first
        made.close(timeout=30)


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    """A client of the shared cluster, with both its workers up (a test may have killed one)."""
    made = Client(cluster.scheduler_address, set_as_default=False, timeout=30)
    try:
        made.wait_for_workers(2, timeout=60)
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def zero_blocks() -> tuple[bytes, bytes]:
    """A 64 MiB member of zeros, and one ending in 1024 ones (compressed once per module)."""
    return gzip.compress(b"\0" * BLOCK, 1), gzip.compress(b"\0" * (BLOCK - 1024) + b"\1" * 1024, 1)


def slow_mask(path: Path, blocks: tuple[bytes, bytes], count: int) -> Path:
    """A valid uint8 mask of `count` x 64 MiB of voxels (labels 0 and 1) in a few hundred KB: a
    multi-member gzip file whose members are the same compressed block. Its scan takes a good
    fraction of a second, so a run of many is still going when a test interrupts it."""
    header = nib.Nifti1Header()
    header.set_data_dtype(np.uint8)
    header.set_data_shape((1024, 1024, 64 * count))
    header.set_sform(np.eye(4), code=1)
    header.set_qform(np.eye(4), code=1)
    header["vox_offset"] = 352
    zeros, last = blocks
    path.write_bytes(gzip.compress(header.binaryblock + b"\0" * 4, 1) + zeros * (count - 1) + last)
    return path


def slow_masks(folder: Path, blocks: tuple[bytes, bytes], number: int, count: int = 4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    first = slow_mask(folder / "mask-000.nii.gz", blocks, count)
    paths = [first]
    for index in range(1, number):  # the same content under other names (no cache: each scanned)
        paths.append(folder / f"mask-{index:03}.nii.gz")
        shutil.copyfile(first, paths[-1])
    return paths


def small_masks(folder: Path, number: int) -> list[Path]:
    """Small masks of distinct content, dated an hour ago."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(number):
        data = np.zeros((8, 8, 4), np.uint8)
        data[index % 8, :, : 1 + index % 4] = 1 + index % 3
        path = folder / f"small-{index:02}.nii.gz"
        nib.save(nib.Nifti1Image(data, np.eye(4)), path)
        os.utime(path, (OLD, OLD))
        paths.append(path)
    return paths


def comparable(results: dict[Path, ScanResult]) -> dict[str, dict[str, object]]:
    return {str(path): {**result.to_dict(), "path": result.path} for path, result in results.items()}


def items_list(folder: Path, masks: list[Path]) -> None:
    tasks = [
        {
            "name": f"t{i}",
            "series": [{"items": "ct.nii.gz", "segmentations": m.name, "segmentMap": {"1": "A"}}],
        }
        for i, m in enumerate(masks)
    ]
    (folder / "items.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    (folder / "rb-lint.toml").write_text("", encoding="utf-8")


def rb_lint(cwd: Path, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    for variable in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "FORCE_COLOR"):
        env.pop(variable, None)
    return subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- same findings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RUNS))
def test_dask_run_reports_exactly_what_a_local_run_reports(
    name: str, tmp_path: Path, cluster: LocalCluster
) -> None:
    """The examples, the NIfTI corpus and the generated repository: the JSON reports (every
    finding, its position and fingerprint, the summary) and exit codes are identical."""
    build_input(name, tmp_path)
    for run in RUNS[name]:
        cwd = tmp_path / run.cwd
        local = rb_lint(cwd, *run.paths, "--no-cache", "--jobs", "2", "--format", "json")
        dask = rb_lint(
            cwd, *run.paths, "--no-cache", "--executor", "dask", "--scheduler", cluster.scheduler_address,
            "--format", "json",
        )  # fmt: skip
        assert local.returncode in (0, 1), local.stderr
        assert (dask.returncode, dask.stdout, dask.stderr) == (local.returncode, local.stdout, local.stderr)
        assert json.loads(dask.stdout)["findings"], f"{name}/{run.name}: nothing to compare"


def test_cluster_results_match_the_pool_file_by_file(tmp_path: Path, cluster: LocalCluster) -> None:
    """Every corpus file and a few hostile ones (empty, not NIfTI, truncated), scanned both ways."""
    corpus = sorted((Path(__file__).parent / "data" / "corpus").glob("*.nii*"))
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "empty.nii.gz").write_bytes(b"")
    (odd / "text.nii").write_text("not a mask", encoding="utf-8")
    (odd / "cut.nii.gz").write_bytes(corpus[1].read_bytes()[:2000])
    paths = corpus + sorted(odd.iterdir())
    local = scan_masks(paths, BatchSettings(jobs=2, force_parallel=True))
    remote = scan_masks(paths, BatchSettings(executor="dask", scheduler=cluster.scheduler_address))
    assert comparable(remote) == comparable(local)


# -- cache ---------------------------------------------------------------------------------------


def test_cluster_results_are_written_to_the_client_cache_and_read_before_sending(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    """The client writes what the workers found into its cache; the next run is answered from it
    without contacting any scheduler (this one's address is a closed port)."""
    paths = small_masks(tmp_path / "masks", 12)
    cache_dir = tmp_path / "cache"
    scanned: list[int] = []
    first = scan_masks(
        paths,
        BatchSettings(
            executor="dask",
            scheduler=cluster.scheduler_address,
            cache_dir=cache_dir,
            on_scanned=scanned.append,
        ),
    )
    assert sorted(scanned) == sorted(path.stat().st_size for path in paths)  # on_scanned: every result
    cache = MaskCache(cache_dir)
    assert cache.open() is None
    assert all(cache.lookup(path) is not None for path in paths)
    nowhere = f"tcp://127.0.0.1:{closed_port()}"
    again = scan_masks(paths, BatchSettings(executor="dask", scheduler=nowhere, cache_dir=cache_dir))
    assert comparable(again) == comparable(first)
    assert comparable(first) == comparable(scan_masks(paths, BatchSettings()))


# -- data locality -------------------------------------------------------------------------------


def test_a_worker_that_cannot_see_a_mask_says_so(tmp_path: Path, cluster: LocalCluster) -> None:
    """`/proc/self/fd/N/...` names a folder through a descriptor only this process holds: the
    client sees the mask, the workers (other processes) do not, as on a cluster without the
    shared filesystem. That is an error naming the worker, not a missing or damaged mask."""
    mask = small_masks(tmp_path / "private", 1)[0]
    descriptor = os.open(mask.parent, os.O_RDONLY)
    try:
        seen_here = Path(f"/proc/self/fd/{descriptor}") / mask.name
        assert seen_here.exists()
        with pytest.raises(UnsharedFile) as raised:
            scan_masks([seen_here], BatchSettings(executor="dask", scheduler=cluster.scheduler_address))
        assert raised.value.path == seen_here
        assert raised.value.host == socket.gethostname()
        assert "cannot see the mask" in str(raised.value) and "filesystem the workers share" in str(
            raised.value
        )
    finally:
        os.close(descriptor)


def test_unshared_masks_end_the_check_with_one_line_and_exit_2(tmp_path: Path, cluster: LocalCluster) -> None:
    """The same through the command line: the project is reached through the CLI's own descriptor."""
    folder = tmp_path / "repo"
    items_list(folder, small_masks(folder, 2))
    script = (
        "import os, sys\n"
        f"os.dup2(os.open({str(folder)!r}, os.O_RDONLY), 200)\n"
        "from rb_lint.cli import main\n"
        "sys.argv = ['rb-lint', 'check', '/proc/self/fd/200', '--no-cache',"
        f" '--scheduler', {cluster.scheduler_address!r}]\n"
        "main()\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rb-lint: error: the Dask worker on"), run.stderr
    assert "cannot see the mask" in lines[0]


# -- remote masks: read by the workers --------------------------------------------------------------


FORBIDDEN = "labels/forbidden.nii.gz"  # HEAD answers, GET is 403: a fault on the worker's side
CUT = "labels/cut.nii.gz"  # HEAD tells its full size, GET sends half of it and hangs up


def remote_mask(values: list[int], shape: tuple[int, int, int] = (6, 6, 4), packed: bool = True) -> bytes:
    data = np.zeros(shape, np.uint8)
    data.flat[: len(values)] = values
    image = nib.Nifti1Image(data, np.eye(4))
    image.header.set_sform(np.eye(4), code=1)
    image.header["vox_offset"] = 352
    raw = image.header.binaryblock + b"\0" * 4 + data.tobytes(order="F")
    return gzip.compress(raw, 1) if packed else raw


def remote_project(folder: Path, server: HttpServer) -> None:
    """An items list naming masks by http URL: two good ones (one over 4 MiB, so streamed rather
    than read whole), one holding a value its segmentMap lacks, one not NIfTI, one missing (404),
    one the server refuses to send (403 on GET only), one cut short mid-body."""
    server.files.update(
        {
            "labels/p1.nii.gz": remote_mask([1, 2]),
            "labels/p2.nii.gz": remote_mask([1, 3]),
            "labels/big.nii": remote_mask([1, 2], shape=(128, 128, 260), packed=False),
            "labels/text.nii.gz": b"this is not a NIfTI file at all" * 20,
            FORBIDDEN: remote_mask([1]),
            CUT: remote_mask([1, 2], shape=(64, 64, 64), packed=False),
        }
    )
    names = ["p1", "p2", "big", "text", "missing", "forbidden", "cut"]
    tasks = [
        {
            "name": name,
            "series": [
                {
                    "items": "ct.nii.gz",
                    "segmentations": server.url(f"labels/{name}.nii" + ("" if name == "big" else ".gz")),
                    "segmentMap": {"1": "Liver", "2": "Spleen"},
                }
            ],
        }
        for name in names
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    (folder / "rb-lint.toml").write_text(
        "[storage]\nremote = true\ntimeout = 5\nretries = 1\n", encoding="utf-8"
    )


def attribute_requests(server: HttpServer, workers: set[int]) -> list[tuple[str, str, bool]]:
    """From now on the server records (method, path, whether a worker process asked) for every
    request, and injects the FORBIDDEN and CUT faults. Who asked: the process holding the client end
    of the connection (the request is being answered, so it is still open)."""
    asked: list[tuple[str, str, bool]] = []
    port = server.port

    def from_worker(peer: int) -> bool:
        for pid in workers:
            try:
                connections = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            if any(c.laddr.port == peer and c.raddr and c.raddr.port == port for c in connections):
                return True
        return False

    class Handler(server.server.RequestHandlerClass):  # type: ignore[name-defined]
        def _answer(self, body: bool) -> None:
            path = self.path.split("?", 1)[0].lstrip("/")
            asked.append((self.command, path, from_worker(self.client_address[1])))
            if body and path == FORBIDDEN:
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif body and path == CUT:
                self._cut(server.files[CUT])
            else:
                super()._answer(body)

        def _cut(self, data: bytes) -> None:
            wanted = self.headers.get("Range", "bytes=0-").removeprefix("bytes=").split("-")[0]
            start = int(wanted or 0)
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start : max(start, len(data) // 2)])
            self.close_connection = True

    server.server.RequestHandlerClass = Handler
    server.server.handle_error = lambda *_: None  # type: ignore[method-assign]  # CUT's hang-ups: no traceback
    return asked


def mask_gets(asked: list[tuple[str, str, bool]]) -> list[tuple[str, bool]]:
    return [(path, worker) for method, path, worker in asked if method == "GET"]


def remote_findings(report: str) -> set[tuple[str, str]]:
    """(code, file name) of the findings about the remote masks."""
    messages = [(f["code"], f["message"]) for f in json.loads(report)["findings"]]
    return {(code, text.split("/labels/")[1].split("`")[0]) for code, text in messages if "/labels/" in text}


def test_remote_masks_are_read_by_the_workers_with_the_findings_of_a_local_run(
    tmp_path: Path, client: Client, cluster: LocalCluster, http_server: HttpServer
) -> None:
    """The same JSON report (fingerprints included) and exit code as a local run, faults and all;
    the client only asks whether the objects exist (HEAD): every mask body is fetched by a worker
    process. With a cache, the client writes what the workers found, and a re-run is answered
    from it without a single GET."""
    folder = tmp_path / "repo"
    remote_project(folder, http_server)
    asked = attribute_requests(http_server, set(client.run(os.getpid).values()))
    dask_args = ("--executor", "dask", "--scheduler", cluster.scheduler_address)

    local = rb_lint(folder, "items.json", "--no-cache", "--format", "json")
    assert local.returncode == 1, local.stderr
    local_gets = mask_gets(asked)
    assert local_gets and not any(worker for _path, worker in local_gets)  # the client read them
    asked.clear()

    cache = tmp_path / "cache"
    dask = rb_lint(folder, "items.json", "--cache-dir", str(cache), "--format", "json", *dask_args)
    assert (dask.returncode, dask.stdout, dask.stderr) == (local.returncode, local.stdout, local.stderr)
    gets = mask_gets(asked)
    assert {path for path, _worker in gets} == {path for path, _worker in local_gets}
    assert all(worker for _path, worker in gets), gets  # not one body fetched by the client
    assert all(worker is False for method, _path, worker in asked if method == "HEAD")
    found = remote_findings(local.stdout)
    faults = {("RB301", "missing.nii.gz"), ("RB322", "forbidden.nii.gz"), ("RB322", "cut.nii.gz")}
    assert faults | {("RB312", "text.nii.gz")} <= found, found
    assert not {name for _code, name in found} & {"p1.nii.gz", "big.nii"}  # the good ones are good

    asked.clear()
    again = rb_lint(folder, "items.json", "--cache-dir", str(cache), "--format", "json", *dask_args)
    assert again.stdout == local.stdout
    again_gets = mask_gets(asked)  # only the faulty ones (never cached) are fetched again, by the workers
    assert {path for path, _worker in again_gets} <= {FORBIDDEN, CUT} and all(w for _p, w in again_gets)


# -- faults --------------------------------------------------------------------------------------


def test_a_killed_worker_has_its_tasks_retried_and_the_report_is_complete(
    tmp_path: Path, client: Client, cluster: LocalCluster, zero_blocks: tuple[bytes, bytes]
) -> None:
    paths = slow_masks(tmp_path / "slow", zero_blocks, 12)
    pids = list(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one(_nbytes: int) -> None:  # after the first result: the other tasks are running
        if not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    results = scan_masks(
        paths, BatchSettings(executor="dask", scheduler=cluster.scheduler_address, on_scanned=kill_one)
    )
    assert killed and _dead(killed[0])
    assert len(results) == len(paths)
    assert all(
        r.complete and not r.problems and r.values and r.values.present == [0, 1] for r in results.values()
    )
    client.wait_for_workers(2, timeout=60)  # the nanny started a new one
    assert pids[0] not in client.run(os.getpid).values()


def test_an_unreachable_scheduler_is_one_line_and_exit_2_within_a_minute(tmp_path: Path) -> None:
    build_input("examples", tmp_path)
    address = f"tcp://127.0.0.1:{closed_port()}"
    run = rb_lint(tmp_path / "examples", ".", "--no-cache", "--scheduler", address, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"rb-lint: error: cannot reach the Dask scheduler at {address}: ")


def test_ctrl_c_cancels_the_scan_and_leaves_no_process(
    tmp_path: Path, zero_blocks: tuple[bytes, bytes]
) -> None:
    """Ctrl-C (SIGINT to the foreground process group, as a terminal sends it) while rb-lint's own
    LocalCluster scans: exit 130, one line, and the scheduler's workers and nannies are gone."""
    folder = tmp_path / "repo"
    items_list(folder, slow_masks(folder, zero_blocks, 24, count=16))  # over 4 MiB: streamed, held open
    process = subprocess.Popen(
        [sys.executable, "-m", "rb_lint", "check", ".", "--no-cache", "--executor", "dask", "--jobs", "2"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        parent = psutil.Process(process.pid)
        deadline = time.monotonic() + TIMEOUT
        while not _scanning(parent, folder) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _scanning(parent, folder), "the cluster's workers never started scanning"
        everyone = _descendants(parent)
        os.killpg(process.pid, signal.SIGINT)
        _out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, err
    assert err.splitlines() == ["rb-lint: interrupted"], err
    _gone, alive = psutil.wait_procs(everyone, timeout=30)
    assert not alive, f"left behind: {[p.pid for p in alive]}"


def _descendants(parent: psutil.Process) -> list[psutil.Process]:
    try:
        return list(parent.children(recursive=True))
    except psutil.Error:
        return []


def _scanning(parent: psutil.Process, folder: Path) -> bool:
    """A worker process has one of the masks open."""
    for process in _descendants(parent):
        try:
            if any(Path(f.path).parent == folder.resolve() for f in process.open_files()):
                return True
        except psutil.Error:
            continue
    return False


def _dead(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


# -- rb-lint's own LocalCluster ------------------------------------------------------------------


def test_the_local_cluster_listens_on_loopback_only_and_closes_with_no_process_left() -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    started = dask_executor.session(None, 2)
    try:
        assert started.cluster is not None and started.workers() == 2
        sigint = started.client.run(signal.getsignal, signal.SIGINT)
        assert set(sigint.values()) == {signal.SIG_IGN}  # Ctrl-C is the client's to handle
        profiling = started.client.run(
            eval, "__import__('dask').config.get('distributed.worker.profile.enabled')"
        )
        assert set(profiling.values()) == {False}  # no sampled call stacks kept per task (memory)
        ours = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        assert len(ours) >= 2  # worker processes (not threads)
        listening = [
            c.laddr
            for p in [psutil.Process(), *ours]
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
        assert listening, "no listening socket found"
        assert all(address.ip == "127.0.0.1" for address in listening), listening
    finally:
        dask_executor.close_all()
    _gone, alive = psutil.wait_procs([p for p in ours if not _resource_tracker(p)], timeout=30)
    assert not alive, [p.cmdline() for p in alive]


HEAVY = (
    *("pydantic", "shapely", "rb_lint.rules", "rb_lint.models", "rb_lint.facts", "rb_lint.formats"),
    *("rb_lint.io", "rb_lint.core", "rb_lint.reporters", "rb_lint.cli"),
)


def test_a_worker_imports_only_the_scanner(tmp_path: Path, client: Client, cluster: LocalCluster) -> None:
    """A scan task (local files, and remote ones: `test_remote_masks_...`) costs a worker the
    scanner and the storage layer, not rb-lint's models, rules or document handling (memory per
    worker: benchmarks/bench_dask.py). nibabel imports pydicom itself (it parses DICOM header
    extensions with it, which the findings depend on), so that one stays."""
    paths = small_masks(tmp_path / "masks", 4)
    scan_masks(paths, BatchSettings(executor="dask", scheduler=cluster.scheduler_address))
    # A builtin as the probe: a function of this module would import it (and rb-lint) on the worker.
    imported = client.run(eval, "list(__import__('sys').modules)")
    heavy = {worker: [name for name in names if name.startswith(HEAVY)] for worker, names in imported.items()}
    assert heavy == {worker: [] for worker in imported}, heavy


def _resource_tracker(process: psutil.Process) -> bool:
    """multiprocessing's resource tracker: one per parent process, for its whole life."""
    try:
        return "resource_tracker" in " ".join(process.cmdline())
    except psutil.Error:
        return True


def test_an_address_that_is_no_scheduler_address_is_an_executor_error() -> None:
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler at nonsense://x"):
        dask_executor.session("nonsense://x", 1)


# -- configuration and start-up ------------------------------------------------------------------


def test_the_executor_is_configurable_but_a_scheduler_never_comes_from_a_file() -> None:
    """A Dask client unpickles what the scheduler answers: a committed address would let a commit
    choose whose answers those are."""
    assert parse_config({"masks": {"executor": "dask"}}).masks.executor == "dask"
    from rb_lint.core.config import ConfigError

    with pytest.raises(ConfigError):
        parse_config({"masks": {"executor": "spark"}})
    with pytest.raises(ConfigError, match=r"not taken from a config file.*RB_LINT_SCHEDULER"):
        parse_config({"masks": {"scheduler": "tcp://10.0.0.5:8786"}})


def test_neither_start_up_nor_a_local_run_imports_dask(tmp_path: Path) -> None:
    build_input("examples", tmp_path)
    probe = (
        "import sys\n"
        "import rb_lint.cli\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
        "from rb_lint.api import lint\n"
        "from rb_lint.core.context import Options\n"
        "lint(['.'], options=Options(use_cache=False))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path / "examples",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_a_confined_run_refuses_a_cluster_named_by_its_config(tmp_path: Path) -> None:
    """A service request's config must not make the server start a cluster or send work (and
    unpickle answers) to an address of the requester's choosing."""
    from rb_lint.api import lint
    from rb_lint.core.config import ConfigError
    from rb_lint.core.context import Options

    items_list(tmp_path, small_masks(tmp_path, 1))
    (tmp_path / "rb-lint.toml").write_text('[masks]\nexecutor = "dask"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="server setting"):
        lint([tmp_path], options=Options(use_cache=False, confine=True))
