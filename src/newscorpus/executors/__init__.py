"""Executors decide where shards run; steps never know which one runs them."""

from newscorpus.executors.base import Executor, WorkerLost
from newscorpus.executors.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "WorkerLost"]
