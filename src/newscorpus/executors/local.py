"""Local executor: worker processes on this machine (or the calling process for one)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence

from newscorpus.executors.base import Executor, Item, Result


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
        with context.Pool(min(self.workers, len(items))) as pool:
            yield from pool.imap_unordered(function, items, chunksize=1)
