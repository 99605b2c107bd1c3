"""Local executor: worker processes on this machine (or the calling process for one)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from newscorpus.executors.base import Executor, Item, Result, WorkerLost

PARENT_CHECK_SECONDS = 0.5  # a worker whose parent died exits within this long
STOP_SECONDS = 5.0  # a stopped worker gets this long to die of SIGTERM, then SIGKILL


def _start_method() -> str:
    # fork starts workers with everything already imported (~1 s saved per worker), but
    # it is only safe while this process runs no other thread: a thread holding a lock at
    # fork time leaves that lock held forever in the child.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _start_worker(parent: int) -> None:
    """Set up a worker process: it dies with its parent, and leaves Ctrl-C to it.

    A parent killed outright (SIGKILL, the out-of-memory killer) cannot stop its workers;
    they would wait for work forever, holding memory and the corpus lock they inherited.
    Each worker watches its parent and exits when it is gone.
    """
    # Ctrl-C reaches every process of the terminal's group: the parent alone handles it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the parent's SIGTERM handler (the CLI turns SIGTERM into
    # KeyboardInterrupt): the pool would catch that as the task's error and go on with
    # the next task, and an interrupt landing while a worker holds the result queue's
    # lock leaves it held, every worker and the parent's exit waiting on it forever
    # (seen in a loaded test run). SIGTERM must end a worker.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.getppid() != parent:  # died before this worker started
        os._exit(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


class LocalExecutor(Executor):
    """``workers`` processes; with one worker, or one item, everything runs in-process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)

    def map_unordered(
        self, function: Callable[[Item], Result], items: Sequence[Item]
    ) -> Generator[Result, None, None]:
        if self.workers == 1 or len(items) <= 1:
            for item in items:
                yield function(item)
            return
        context = multiprocessing.get_context(_start_method())
        # concurrent.futures, not multiprocessing.Pool: a worker killed by the system (out
        # of memory) fails its futures instead of hanging the run forever.
        pool = ProcessPoolExecutor(
            min(self.workers, len(items)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        finished = False
        try:
            futures: list[Future[Result]] = [pool.submit(function, item) for item in items]
            for future in as_completed(futures):
                yield future.result()
            finished = True
        except BrokenProcessPool as exc:
            raise WorkerLost("a worker process died (killed, or out of memory?)") from exc
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted (Ctrl-C, SIGTERM), failed or abandoned: stop the workers
                _stop(pool)  # (their shards have no completion marker: the next run redoes them)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's workers now, without waiting for the work in their hands.

    The pool's own manager thread reaps the workers it sees die, and a worker reaped
    there reads as alive here until that thread, which may be waiting for the GIL, has
    noted its exit (``waitpid`` finds no such child): so wait for that thread first.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    if manager is not None:
        manager.join(timeout=STOP_SECONDS)
    for process in processes:
        if process.is_alive():  # not dead after SIGTERM: no more asking
            process.kill()
    if manager is not None:
        manager.join(timeout=STOP_SECONDS)
    for process in processes:  # those the manager thread did not reap (it can hang)
        process.join(timeout=STOP_SECONDS)
