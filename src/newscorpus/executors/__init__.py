"""Executors decide where shards run; steps never know which one runs them."""

from __future__ import annotations

from dataclasses import dataclass

from newscorpus.errors import UserError
from newscorpus.executors.base import Executor, WorkerLost
from newscorpus.executors.local import LocalExecutor

EXECUTORS = ("local", "ray")


@dataclass(slots=True)
class ExecutorChoice:
    """Which executor a command runs on: checked once, built when the work starts."""

    kind: str = "local"
    workers: int | None = None
    address: str | None = None  # of a Ray cluster

    def check(self) -> None:
        if self.kind not in EXECUTORS:
            raise UserError(f"unknown executor {self.kind!r} (known: {', '.join(EXECUTORS)})")
        if self.address and self.kind != "ray":
            raise UserError("a Ray address needs the Ray executor (--executor ray)")

    def make(self) -> Executor:
        self.check()
        if self.kind == "ray":
            from newscorpus.executors.ray import RayExecutor

            return RayExecutor(self.address, self.workers)
        return LocalExecutor(self.workers)


__all__ = ["EXECUTORS", "Executor", "ExecutorChoice", "LocalExecutor", "WorkerLost"]
