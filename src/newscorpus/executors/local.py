"""Local executor: worker processes on this machine (or the calling process for one)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence

from newscorpus.executors.base import Executor, Item, Result


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
        # spawn, not fork: the parent may run threads (progress display) that fork would copy
        # mid-lock.
        context = multiprocessing.get_context("spawn")
        with context.Pool(min(self.workers, len(items))) as pool:
            yield from pool.imap_unordered(function, items, chunksize=1)
