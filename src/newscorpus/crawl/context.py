"""What the crawl's scrapy components share beyond settings: the crawl store, the WARC
writer, and the spider's scope rules, as one typed ``CrawlContext``.

Settings are copied by scrapy and cannot carry open files or connections, so the runner
hands these to the spider, and every component reaches them through ``crawl_context``
(in ``from_crawler`` or once the spider is open), never by guessing attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from scrapy.crawler import Crawler

from newscorpus.crawl.revisits import NO_REVISITS, Schedule
from newscorpus.crawl.state import NO_VALIDATORS, Validators
from newscorpus.warc.writer import WarcFileWriter


class CrawlStore(Protocol):
    """Where a crawl keeps what it has seen and done, to resume and re-crawl: a SQLite
    file for one worker (``state.CrawlState``), Redis for many (``frontier.RedisFrontier``)."""

    def status(self, url: str) -> str | None: ...
    def validators(self, url: str) -> Validators: ...
    def claim(self, url: str, kind: str, depth: int, refetch: bool) -> str | None: ...
    def pages(self, host: str) -> int: ...
    def add_page(self, host: str) -> None: ...
    def done_with(self, urls: Sequence[str]) -> None: ...
    def queued(self, max_attempts: int = 3) -> Iterator[Any]: ...
    def finish(
        self,
        urls: Sequence[str],
        status: str,
        kind: str,
        validators: Validators = NO_VALIDATORS,
        warc: tuple[str, int] | None = None,
        revisits: Schedule = NO_REVISITS,
        digest: str | None = None,
    ) -> None: ...
    def due_revisits(self, now: float, limit: int = 100_000) -> list[str]: ...
    def revisited(
        self,
        url: str,
        revisits: Schedule,
        validators: Validators = NO_VALIDATORS,
        warc: tuple[str, int] | None = None,
        changed: bool = False,
        digest: str | None = None,
    ) -> None: ...
    def archived_at(self, url: str) -> str | None: ...
    def payload_digest(self, url: str) -> str | None: ...
    def commit_warc(self, name: str, committed_bytes: int) -> None: ...
    def committed_bytes(self, name: str) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


if TYPE_CHECKING:  # mypy checks that both stores keep the contract
    from newscorpus.crawl.frontier import RedisFrontier
    from newscorpus.crawl.state import CrawlState

    def _both_are_stores(one: CrawlState, many: RedisFrontier) -> tuple[CrawlStore, CrawlStore]:
        return one, many


@dataclass(slots=True)
class CrawlContext:
    store: CrawlStore
    writer: WarcFileWriter
    in_scope: Callable[[str], bool]  # a URL of one of the crawl's sites
    included: Callable[[str], bool]  # and kept by its source's `include` patterns
    revisits: Callable[[str], Schedule]  # when an article of its source is fetched again


def crawl_context(crawler: Crawler) -> CrawlContext | None:
    """The context of a newscorpus crawl (None under another spider)."""
    context = getattr(crawler.spider, "crawl_context", None)
    return context if isinstance(context, CrawlContext) else None
