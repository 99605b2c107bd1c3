"""The executor seam: where shards run is the executor's only decision."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class WorkerLost(RuntimeError):
    """A worker died without reporting; finished shards are kept, the rest can be rerun."""


class Executor(ABC):
    """Runs a picklable function over items and yields results as they complete."""

    workers: int = 1

    @abstractmethod
    def map_unordered(
        self, function: Callable[[Item], Result], items: Sequence[Item]
    ) -> Generator[Result, None, None]:
        """Yield ``function(item)`` for every item, in completion order. Closing the
        generator before the end (``contextlib.closing``) stops the work in hand now."""

    def close(self) -> None:  # noqa: B027 - most executors have nothing to release
        """Release what the executor started (worker pools, a local cluster)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
