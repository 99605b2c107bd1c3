"""Ray executor: each item is a Ray task, on a running cluster or on a local Ray.

Ray decides where tasks run and retries a task whose worker died (killed, out of
memory, node lost) up to ``max_retries`` times; the stages are idempotent (a stage redoes
its shard from scratch), so a retried task gives the same result. A task that fails
past its retries ends the run like a lost local worker: finished shards keep their
markers and the same command resumes.

Every node must see the corpus folder at the same path (one machine, or a shared file
system) and have the same newscorpus installed.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from newscorpus.errors import UserError
from newscorpus.executors.base import Executor, Item, Result, WorkerLost

logger = logging.getLogger(__name__)

REACH_TIMEOUT = 10.0  # seconds to open a connection to a cluster's head
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024  # results are small: markers and file names


def _ray(address: str | None) -> Any:
    """Ray, imported with the environment it reads at import time."""
    # Ray reports usage to its makers unless told not to; nothing leaves the machine.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address is None:
        # A Ray of our own serves this machine alone: every part of it on loopback.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        # Ray runs its workers at nice 15: beside any busy process they get a few percent
        # of a core (seen: 4% beside one `yes` per core) and the run crawls. These
        # workers do the work the user asked for, at the priority of the command.
        os.environ.setdefault("RAY_worker_niceness", "0")
    elif "RAY_AUTH_MODE" not in os.environ and _auth_token_available():
        # `ray start` protects a cluster with a token (Ray >= 2.59) that a driver sends
        # only when told to: without this, connecting retries forever.
        os.environ["RAY_AUTH_MODE"] = "token"
    try:
        import ray
    except ImportError as exc:
        raise UserError("the Ray executor needs Ray: pip install 'newscorpus[ray]'") from exc
    return ray


def _check_reachable(address: str) -> None:
    """A cluster's head that does not answer is one clear line, not a connection that
    Ray retries for minutes."""
    if address == "auto":
        return  # Ray finds the cluster started on this machine, or says it found none
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"Ray address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_TIMEOUT).close()
    except OSError as exc:
        raise UserError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); "
            "start it with `ray start --head`, or give the address it printed"
        ) from None


def _auth_token_available() -> bool:
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return True
    return (Path.home() / ".ray" / "auth_token").is_file()


class RayExecutor(Executor):
    """Items as Ray tasks of one CPU each.

    ``address``: ``auto`` (the cluster started on this machine by ``ray start --head``),
    ``HOST:PORT`` of a cluster's head, or ``ray://HOST:10001`` (Ray Client). Without an
    address, a Ray with ``workers`` CPUs is started for this executor and stopped by
    ``close``. When Ray is already initialised in this process, that Ray is used.
    """

    def __init__(
        self, address: str | None = None, workers: int | None = None, max_retries: int = 3
    ) -> None:
        self.address = address
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.max_retries = max_retries
        self._started_here = False
        self._ray: Any = None

    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        ray = _ray(self.address)
        if not ray.is_initialized():
            if self.address:
                _check_reachable(self.address)
            options: dict[str, Any] = {
                "include_dashboard": False,
                "logging_level": logging.WARNING,
                "configure_logging": False,  # the CLI owns logging
            }
            if self.address:
                options["address"] = self.address
            else:  # "local": a new Ray, even when one started by `ray start` is running
                options.update(
                    address="local",
                    num_cpus=self.workers,
                    object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                )
            try:
                ray.init(**options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise UserError(f"cannot start or reach {where}: {message}") from exc
            self._started_here = True
        if self.address:  # the cluster's size, for the progress figures
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._ray = ray
        return ray

    def map_unordered(
        self, function: Callable[[Item], Result], items: Sequence[Item]
    ) -> Generator[Result, None, None]:
        if not items:
            return
        ray = self._connect()
        task = ray.remote(function).options(num_cpus=1, max_retries=self.max_retries)
        pending = [task.remote(item) for item in items]
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                try:
                    yield ray.get(done[0])
                except ray.exceptions.RayTaskError as exc:  # the function raised
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, BaseException):
                        raise cause from None  # as the local executor would raise it
                    raise
                except ray.exceptions.RayError as exc:
                    raise WorkerLost(
                        f"a Ray task failed {self.max_retries + 1} times "
                        f"({type(exc).__name__}: worker or node lost)"
                    ) from exc
        finally:
            for reference in pending:  # stopped early: do not leave work running
                ray.cancel(reference, force=True)

    def __enter__(self) -> RayExecutor:
        self._connect()  # a cluster that is not there is said before any work starts
        return self

    def close(self) -> None:
        if self._started_here and self._ray is not None:
            self._ray.shutdown()
        self._ray, self._started_here = None, False
