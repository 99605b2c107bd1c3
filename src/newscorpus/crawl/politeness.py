"""Per-host politeness: turns at a host, for one crawl process or for many workers.

With a delay (``--delay``, or the host's robots.txt Crawl-delay when larger), requests to
a host are taken one at a time, and the next one starts no sooner than ``delay`` seconds
after the previous one *ended* (its whole response received, or its failure). Counting
from the end, not from the moment a request was scheduled, is what makes the gap hold
on the host's side whatever this machine is doing: a request held up by a busy event
loop or a slow connection cannot bunch up with the next one (the rule of Heritrix and
Nutch). Without a delay, nothing is held here and ``--concurrency-per-host`` alone
bounds a host's load.

The turns live where the crawl's memory lives: in this process for a lone crawl
(:class:`LocalTurns`), in Redis for a crawl shared by workers (``RedisFrontier``), behind
the same three calls.
"""

from __future__ import annotations

import time
from typing import Protocol

MIN_POLL_SECONDS = 0.02  # a waiting request looks again at least this long after


class HostTurns(Protocol):
    """Who may send the next request to a host, and when."""

    def take_turn(self, host: str, token: str, delay: float, lease: float) -> float:
        """Take ``host``'s turn for ``token``: 0 when taken (held until :meth:`end_turn`
        or for ``lease`` seconds at most), else the seconds to wait before asking again.
        ``delay`` is the crawl's; a larger Crawl-delay of the host wins. With no delay
        at all, 0 and nothing is held."""
        ...

    def end_turn(self, host: str, token: str, delay: float) -> None:
        """The request of ``token`` ended: the host is free ``delay`` seconds from now
        (or its Crawl-delay, when larger)."""
        ...

    def set_crawl_delay(self, host: str, delay: float) -> None:
        """The host's robots.txt Crawl-delay (already capped)."""
        ...


class LocalTurns:
    """The turns of one crawl process (monotonic clock)."""

    def __init__(self) -> None:
        self._free_at: dict[str, float] = {}  # the host may be sent a request from then
        self._holder: dict[str, str] = {}
        self._crawl_delays: dict[str, float] = {}

    def take_turn(self, host: str, token: str, delay: float, lease: float) -> float:
        delay = max(delay, self._crawl_delays.get(host, 0.0))
        if delay <= 0:
            return 0.0
        now = time.monotonic()
        free_at = self._free_at.get(host, 0.0)
        if now >= free_at:
            self._free_at[host] = now + lease
            self._holder[host] = token
            return 0.0
        return poll_wait(free_at - now, delay)

    def end_turn(self, host: str, token: str, delay: float) -> None:
        if self._holder.get(host) != token:
            return  # no turn was held (no delay then), or the lease ran out
        del self._holder[host]
        delay = max(delay, self._crawl_delays.get(host, 0.0))
        self._free_at[host] = time.monotonic() + delay

    def set_crawl_delay(self, host: str, delay: float) -> None:
        self._crawl_delays[host] = delay


def poll_wait(until_free: float, delay: float) -> float:
    """How long a request waits before asking for the turn again: while the host is
    held, no longer than ``delay``, so that it sees the moment the holder sets on ending
    (that moment is ``delay`` after the end) and waits exactly until then."""
    return max(min(until_free, max(delay, MIN_POLL_SECONDS)), MIN_POLL_SECONDS / 10)
