from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newscorpus.executors import LocalExecutor
from newscorpus.executors.local import _start_method


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_one_worker_runs_in_process_in_order() -> None:
    results = list(LocalExecutor(1).map_unordered(_pid_and_square, [1, 2, 3]))
    assert results == [(os.getpid(), 1), (os.getpid(), 4), (os.getpid(), 9)]


def test_two_workers_use_other_processes_and_return_everything() -> None:
    results = list(LocalExecutor(2).map_unordered(_pid_and_square, list(range(20))))
    assert sorted(square for _, square in results) == [n * n for n in range(20)]
    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_workers_default_to_all_cores() -> None:
    assert LocalExecutor().workers == (os.cpu_count() or 1)


def test_fork_only_while_single_threaded() -> None:
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("no fork on this platform")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert _start_method() == "spawn"
        results = list(LocalExecutor(2).map_unordered(_pid_and_square, [3, 4]))
        assert sorted(s for _, s in results) == [9, 16]
    finally:
        stop.set()
        thread.join()


def _die_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), 9)
    return n


def test_a_dead_worker_is_reported_not_waited_for() -> None:
    from newscorpus.executors import WorkerLost

    with pytest.raises(WorkerLost):
        list(LocalExecutor(2).map_unordered(_die_on_three, [1, 2, 3, 4, 5]))


# A parent like the CLI (SIGTERM raises KeyboardInterrupt there), whose workers are busy
# with long tasks when the parent stops the pool after the first result; a few rounds,
# as the races it guards against are lost one time in a few.
_STOPPED_EARLY = """
import json, multiprocessing, os, signal, sys, threading, time
from contextlib import closing
from newscorpus.executors.local import LocalExecutor, _start_method

def slow(n):
    if n:
        time.sleep(30)
    return os.getpid()

def interrupt(signum, frame):
    raise KeyboardInterrupt

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, interrupt)
    if sys.argv[1] == "spawn":  # a running thread makes the executor spawn its workers
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    rounds = []
    for _ in range(3):
        with closing(LocalExecutor(2).map_unordered(slow, list(range(8)))) as results:
            next(results)
            time.sleep(0.5)  # both workers are in a 30 s task now
            start = time.monotonic()
        stopped_in = time.monotonic() - start
        alive = [child.pid for child in multiprocessing.active_children()]
        rounds.append({"stopped_in": stopped_in, "alive": alive})
    print(json.dumps({"method": _start_method(), "rounds": rounds}))
    sys.stdout.flush()
    os._exit(0)
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_stopped_early_are_dead_when_the_stop_returns(tmp_path: Path, method: str) -> None:
    """Stopping the pool SIGTERMs its workers: they must die, not take SIGTERM as the
    parent's handler does (an error of the task, then the next task); and they are
    known dead when the stop returns, though the pool's own thread may reap them."""
    if method not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"no {method} on this platform")
    script = tmp_path / "stop_early.py"
    script.write_text(_STOPPED_EARLY, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), method],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["method"] == method
    for stop in report["rounds"]:
        assert stop["alive"] == [] and stop["stopped_in"] < 4.0, report
