"""The Ray executor on a real local Ray: same corpus as the local executor, task retries,
a killed driver resumed, one-line errors."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from newscorpus.executors import ExecutorChoice, LocalExecutor
from newscorpus.pipeline import process
from newscorpus.store.manifest import read_manifest
from tests.conftest import free_port, write_warc
from tests.dedup.test_process_dedup import _first_run_pages, _options
from tests.test_pipeline import _article

pytest.importorskip("ray")

# One machine: every part of the test cluster on loopback, no usage report.
RAY_ENV = {
    **os.environ,
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_worker_niceness": "0",  # as the local Ray of newscorpus: not starved on a busy machine
}
HTML = [("Content-Type", "text/html; charset=utf-8")]


def _ray_command() -> str:
    return str(Path(sys.executable).parent / "ray")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A real Ray cluster of 2 CPUs, started as the README says (`ray start --head`).

    `ray start` runs in a process group of its own, which every process of this cluster
    inherits (GCS, raylet, workers), so the teardown stops this cluster and nothing else:
    `ray stop` would stop every Ray on the machine, another test run's included."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths
    start = subprocess.Popen(
        [_ray_command(), "start", "--head", "--num-cpus", "2", "--port", str(port),
         "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp],
        env=RAY_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    group = start.pid
    try:
        _, error = start.communicate(timeout=180)
        assert start.returncode == 0, error.decode(errors="replace")
        yield f"127.0.0.1:{port}"
    finally:
        _stop_group(group)
        shutil.rmtree(temp, ignore_errors=True)


def _stop_group(group: int, grace: float = 2.0) -> None:
    """SIGTERM to the process group, SIGKILL to whatever is left after `grace` seconds
    (Ray's GCS server and monitor outlive a SIGTERM by 20 s and more: a test cluster,
    whose folder goes with it, needs no more grace than that)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _inputs(directory: Path, articles: int) -> list[Path]:
    """Copies to find (within a run and against the index of the first) and many
    distinct articles, so that there are several shards."""
    pages = [(f"http://news.test/2026/03/{i:04d}.html", _article(i), HTML) for i in range(articles)]
    copies = [(f"http://copy.test/{i:04d}", _article(i), HTML) for i in range(0, articles, 7)]
    first = write_warc(directory / "a", [*_first_run_pages(), *pages[: articles // 2]])
    second = write_warc(directory / "b", [*pages[articles // 2 :], *copies], prefix="later")
    return [first, second]


def _command(inputs: list[Path], corpus: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "newscorpus", "-q", "process", *map(str, inputs),
        "--out", str(corpus), "--records-per-shard", "6", "--keep-dropped", *extra,
    ]  # fmt: skip


def _corpus(corpus: Path) -> dict[str, Any]:
    """Everything a user sees, order aside: rows, dropped rows, manifest figures."""

    def rows(folder: Path) -> list[str]:
        table = ds.dataset(folder, format="parquet").to_table()
        return sorted(repr(sorted(row.items())) for row in table.to_pylist())

    manifest = read_manifest(corpus)
    return {
        "data": rows(corpus / "data"),
        "dropped": rows(corpus / "dropped"),
        "documents": manifest["documents"],
        "languages": manifest["languages"],
        "steps": manifest["steps"],
    }


def _local_reference(inputs: list[Path], corpus: Path) -> dict[str, Any]:
    for warc in inputs:  # one run per input: the second meets the first's index
        process(
            [warc], corpus, _options(), LocalExecutor(2), records_per_shard=6, keep_dropped=True
        )
    return _corpus(corpus)


def test_ray_gives_the_corpus_of_the_local_executor(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in", 40)
    expected = _local_reference(inputs, tmp_path / "local")
    corpus = tmp_path / "ray"
    for warc in inputs:  # no address: a local Ray of --workers CPUs, started and stopped
        subprocess.run(
            _command([warc], corpus, "--executor", "ray", "--workers", "2"),
            check=True, env=RAY_ENV, timeout=300,
        )  # fmt: skip
    found = _corpus(corpus)
    assert found == expected
    assert expected["steps"]["dedup.dropped.same_text"] >= 6  # copies of stored documents
    assert expected["steps"]["dedup.dropped.near_duplicate"] >= 2


def _processes_titled(title: str) -> list[int]:
    """Ray names a worker after the task it runs: ``ray::<function>``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().startswith(title.encode()):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_a_task_whose_worker_is_killed_is_retried_and_exact(
    tmp_path: Path, ray_cluster: str
) -> None:
    inputs = _inputs(tmp_path / "in", 60)
    expected = _local_reference(inputs, tmp_path / "local")
    corpus = Path("ray")  # relative to the driver's folder, not to where Ray was started
    subprocess.run(
        _command(inputs[:1], corpus, "--executor", "ray", "--ray-address", ray_cluster),
        check=True, env=RAY_ENV, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    run = subprocess.Popen(
        _command(inputs[1:], corpus, "--executor", "ray", "--ray-address", ray_cluster),
        env=RAY_ENV, cwd=tmp_path,
    )  # fmt: skip
    killed: list[int] = []
    deadline = time.monotonic() + 120
    while not killed and run.poll() is None and time.monotonic() < deadline:
        for pid in _processes_titled("ray::run_extract_stage"):
            os.kill(pid, signal.SIGKILL)  # the worker dies in the middle of a shard
            killed.append(pid)
            break
        time.sleep(0.005)
    assert run.wait(timeout=300) == 0
    assert killed, "no extract task was caught running"
    assert _corpus(tmp_path / corpus) == expected


def test_a_killed_driver_resumes_from_the_markers(tmp_path: Path, ray_cluster: str) -> None:
    inputs = _inputs(tmp_path / "in", 90)[:1]
    expected = _local_reference(inputs, tmp_path / "local")
    corpus = tmp_path / "ray"
    command = _command(inputs, corpus, "--executor", "ray", "--ray-address", ray_cluster)
    run = subprocess.Popen(command, env=RAY_ENV, start_new_session=True)
    done = corpus / ".state" / "extracted"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(done.glob("*.json"))) < 2:
        time.sleep(0.01)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert not (corpus / "manifest.json").exists(), "the run was not interrupted"
    subprocess.run(command, check=True, env=RAY_ENV, timeout=300)
    assert _corpus(corpus) == expected


def test_a_cluster_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "in", [("http://news.test/1", _article(1), HTML)])
    port = free_port()  # closed
    result = subprocess.run(
        _command([warc], tmp_path / "c", "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"),
        capture_output=True, text=True, env=RAY_ENV, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"Error: cannot reach the Ray cluster at 127.0.0.1:{port} (Connection refused); "
        "start it with `ray start --head`, or give the address it printed"
    )
    result = subprocess.run(
        _command([warc], tmp_path / "c", "--ray-address", "auto"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stderr.strip() == "Error: a Ray address needs the Ray executor (--executor ray)"


def test_executor_choice_builds_the_named_executor() -> None:
    from newscorpus.executors.ray import RayExecutor

    assert isinstance(ExecutorChoice("ray", 2).make(), RayExecutor)
    assert isinstance(ExecutorChoice("local", 2).make(), LocalExecutor)
