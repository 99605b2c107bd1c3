"""Local executor: worker processes on this machine (or the calling process for one)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from newscorpus.executors.base import Executor, Item, Result, WorkerLost


def _start_method() -> str:
    # fork starts workers with everything already imported (~1 s saved per worker), but
    # it is only safe while this process runs no other thread: a thread holding a lock at
    # fork time leaves that lock held forever in the child.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


class LocalExecutor(Executor):
    """``workers`` processes; with one worker, or one item, everything runs in-process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)

    def map_unordered(
        self, function: Callable[[Item], Result], items: Sequence[Item]
    ) -> Iterator[Result]:
        if self.workers == 1 or len(items) <= 1:
            for item in items:
                yield function(item)
            return
        context = multiprocessing.get_context(_start_method())
        # concurrent.futures, not multiprocessing.Pool: a worker killed by the system (out
        # of memory) fails its futures instead of hanging the run forever.
        with ProcessPoolExecutor(min(self.workers, len(items)), mp_context=context) as pool:
            try:
                for future in as_completed([pool.submit(function, item) for item in items]):
                    yield future.result()
            except BrokenProcessPool as exc:
                raise WorkerLost("a worker process died (killed, or out of memory?)") from exc
