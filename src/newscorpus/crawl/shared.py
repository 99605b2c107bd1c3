"""The scrapy parts of a crawl shared through a Redis frontier (``--frontier``): the
scheduler and robots.txt fetched once (the per-host politeness, the download handler of
every crawl, keeps its turns in the frontier).

Scrapy's own machinery does the rest as in a lone crawl; the spider and the WARC
middleware see the frontier as their crawl state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet import task

from newscorpus.crawl.context import crawl_context
from newscorpus.crawl.frontier import (
    HEARTBEAT_SECONDS,
    ROBOTS_WAIT_SECONDS,
    FrontierUnreachable,
    RedisFrontier,
)
from newscorpus.crawl.middlewares import StrictRobotsTxtMiddleware, crawl_frontier, sleep
from newscorpus.crawl.state import ARTICLE_KINDS

logger = logging.getLogger(__name__)

# Request meta that never travels: set by the downloader for one attempt.
_LOCAL_META = ("download_slot", "download_latency", "download_timeout", "depth")


def encode_request(request: Request) -> dict[str, Any]:
    """A request as JSON: URL, headers, priority, the callbacks' names and the meta that
    can travel (never pickle: a shared Redis must not be able to run code here)."""
    meta = {}
    for key, value in request.meta.items():
        if key.startswith("_") or key in _LOCAL_META:
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        meta[key] = value
    return {
        "url": request.url,
        "headers": {
            key.decode("latin-1"): [v.decode("latin-1") for v in values]
            for key, values in request.headers.items()
        },
        "priority": request.priority,
        "meta": meta,
        "callback": getattr(request.callback, "__name__", None),
        "errback": getattr(request.errback, "__name__", None),
    }


def decode_request(data: dict[str, Any], spider: Spider) -> Request:
    return Request(
        data["url"],
        callback=getattr(spider, data["callback"]) if data.get("callback") else None,
        errback=getattr(spider, data["errback"]) if data.get("errback") else None,
        headers=data.get("headers") or {},
        priority=int(data.get("priority", 0)),
        meta=dict(data.get("meta") or {}),
        dont_filter=True,
    )


class SharedScheduler(BaseScheduler):
    """Requests go to the shared queue and come back from it, to any worker.

    Every few seconds the worker announces itself and returns to the queue what dead
    workers had in flight. The spider stays open while any worker may still queue
    something (requests in flight anywhere).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.frontier: RedisFrontier | None = None
        self.spider: Spider | None = None
        self._ticker: task.LoopingCall | None = None
        self._lost_since: float | None = None
        self.lost = False  # Redis unreachable for longer than a worker may stay silent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        scheduler = cls(crawler)
        crawler.signals.connect(scheduler._idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler._spider_error, signal=signals.spider_error)
        return scheduler

    def open(self, spider: Spider) -> None:
        frontier = crawl_frontier(self.crawler)
        if frontier is None:
            raise RuntimeError("SharedScheduler needs a spider whose state is a RedisFrontier")
        self.frontier, self.spider = frontier, spider
        self._ticker = task.LoopingCall(self._tick)
        self._ticker.start(HEARTBEAT_SECONDS, now=True)

    def _tick(self) -> None:
        frontier = self.frontier
        assert frontier is not None
        try:
            frontier.heartbeat()
            returned = frontier.return_lost()
            waiting = frontier.queue_length()
        except Exception as exc:  # Redis away: the next tick retries, for a while
            self._lost_since = self._lost_since or time.monotonic()
            logger.warning("frontier unreachable: %s", exc)
            if time.monotonic() - self._lost_since > frontier.worker_ttl:
                # the others have taken this worker for dead: stop (what it archived is
                # committed; its requests in flight are back in the queue)
                self.lost = True
                engine = self.crawler.engine
                if engine is not None:
                    deferred_from_coro(engine.close_spider_async(reason="frontier_unreachable"))
            return
        self._lost_since = None
        if returned:
            logger.info("%d request(s) of a stopped worker returned to the queue", returned)
            self.crawler.stats.inc_value("newscorpus/frontier/returned", returned)
        if waiting:
            self._wake_engine()

    def _wake_engine(self) -> None:
        """Have the engine ask for requests now: other workers queue links while this
        one waits, and scrapy would look again only at its next 5-second heartbeat (it
        has no public call for this)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def close(self, reason: str) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        if self.frontier is not None:
            try:
                self.frontier.leave()  # what is still in flight here goes back to the queue
            except Exception as exc:  # the others return it once this worker is silent
                logger.warning("could not leave the frontier: %s", exc)

    def has_pending_requests(self) -> bool:
        try:
            return self.frontier is not None and self.frontier.queue_length() > 0
        except FrontierUnreachable:
            return False  # the heartbeat decides when to give up

    def enqueue_request(self, request: Request) -> bool:
        assert self.frontier is not None
        try:
            self.frontier.push(encode_request(request), request.priority)
        except FrontierUnreachable:
            # the page that linked it stays in flight here: taken back and parsed again
            self.crawler.stats.inc_value("newscorpus/frontier/not_queued")
            return False
        # A redirect is the same request in a new form: the old one is finished (after the
        # new one is queued: a worker killed in between fetches it twice, never zero times).
        # A retry has the old one's URL: it takes its place in flight when taken.
        with contextlib.suppress(FrontierUnreachable):  # then it stays in flight: returned
            self.frontier.done_with(request.meta.get("redirect_urls", []))
        self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        try:
            return self._next_request()
        except FrontierUnreachable:
            # what was taken is in flight here: returned to the queue once this worker is
            # idle or taken for dead; the heartbeat decides when to give up
            return None

    def _next_request(self) -> Request | None:
        assert self.frontier is not None and self.spider is not None
        while True:
            data = self.frontier.pop()
            if data is None:
                return None
            kind = data.get("meta", {}).get("newscorpus_kind")
            if kind in ARTICLE_KINDS and self.frontier.status(data["url"]) == "done":
                # archived by a worker killed before it said so: nothing left to do
                self.frontier.done_with([data["url"]])
                continue
            context = crawl_context(self.crawler)
            if kind == "article" and context is not None and not context.included(data["url"]):
                # queued before the sources' `include` said otherwise: not fetched
                self.crawler.stats.inc_value("newscorpus/skipped/not_included")
                self.frontier.done_with([data["url"]])
                continue
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
            return decode_request(data, self.spider)

    def _spider_error(self, failure: Any, response: Response, spider: Spider) -> None:
        # a callback that raised is finished too: fetching it again would raise again
        if self.frontier is not None and response.request is not None:
            chain = [*response.request.meta.get("redirect_urls", []), response.request.url]
            with contextlib.suppress(FrontierUnreachable):  # then taken back, tried again
                self.frontier.done_with(chain)

    def _idle(self, spider: Spider) -> None:
        frontier = self.frontier
        if frontier is None:
            return
        self._tick()
        if self.lost:
            return
        try:
            # Idle: nothing of this worker is in progress, so nothing of it is in flight.
            returned = frontier.release_own()
            busy = frontier.queue_length() or frontier.in_flight()
        except Exception as exc:
            logger.warning("frontier unreachable: %s", exc)
            raise DontCloseSpider from None  # the tick decides when to give up
        if returned:
            logger.warning("%d request(s) lost in flight here; queued again", returned)
            self.crawler.stats.inc_value("newscorpus/frontier/requeued_lost", returned)
        if busy:
            raise DontCloseSpider  # other workers may still queue links


class SharedRobotsTxtMiddleware(StrictRobotsTxtMiddleware):
    """robots.txt fetched by one worker for all: the others wait for it in Redis."""

    async def robot_parser(self, request: Request) -> Any:
        frontier = crawl_frontier(self.crawler)
        netloc = urlparse_cached(request).netloc
        deadline = time.monotonic() + ROBOTS_WAIT_SECONDS
        try:
            while frontier is not None and netloc not in self._parsers:
                shared = frontier.shared_robots(netloc)
                if shared is not None:
                    self._stats.inc_value("newscorpus/robots_shared")
                    parser = build_from_crawler(self._parserimpl, self.crawler, shared[1])
                    self._parsers[netloc] = parser
                    return parser
                if frontier.claim_robots(netloc) or time.monotonic() > deadline:
                    break  # this worker fetches it (and shares it)
                await sleep(0.1)
        except FrontierUnreachable:  # Redis away: this worker fetches robots.txt itself
            self._stats.inc_value("newscorpus/frontier/unreachable")
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        body = self.DISALLOW_ALL if response.status >= 500 else response.body
        self._share(netloc, response.status, body)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        super()._robots_error(exc, netloc)
        self._share(netloc, None, self.DISALLOW_ALL)

    def _share(self, netloc: str, status: int | None, body: bytes) -> None:
        frontier = crawl_frontier(self.crawler)
        if frontier is None:
            return
        try:
            frontier.share_robots(netloc, status, body)
        except FrontierUnreachable:  # the others fetch it themselves once they give up waiting
            self._stats.inc_value("newscorpus/frontier/unreachable")
