"""The news spider: from home pages to articles through robots.txt, sitemaps, feeds, links.

Kinds of request: ``home`` (a seed), ``sitemap``, ``feed``, ``hub`` (a listing, section or
tag page: walked, not an article), ``article``, and ``page``: a later page of an article
cut into several, fetched whatever the sources' ``include`` and depth say, and not counted
as a page of the site (``process`` stitches it into its article). Hubs are fetched again on
every crawl (with conditional headers); an article or page already archived is not,
except on its re-visits (kind ``revisit``, ``crawl.revisits``): due ones are asked for
first thing, with the validators of the last response. robots.txt is
scrapy's to fetch, before any other request to its host: the spider hears of it (the
``robots_parsed`` signal) for its Sitemap lines.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from twisted.python.failure import Failure

from newscorpus.content_encoding import decode_content
from newscorpus.crawl.context import CrawlContext, CrawlStore
from newscorpus.crawl.discovery import (
    COMMON_FEED_PATHS,
    canonical_request_url,
    in_sitemap_article,
    is_xml,
    looks_like_amp,
    page_links,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
    trap_reason,
)
from newscorpus.crawl.frontier import FrontierUnreachable
from newscorpus.crawl.middlewares import (
    ARCHIVED_TWIN,
    REFUSED,
    REFUSED_WHY,
    in_a_line,
    request_chain,
    validators,
)
from newscorpus.crawl.revisits import DEFAULT_SCHEDULE, Schedule
from newscorpus.crawl.sources import Source, site_key
from newscorpus.crawl.state import ARTICLE_KINDS, REVISIT
from newscorpus.urls import is_fetchable_page, looks_like_article
from newscorpus.warc.writer import WarcFileWriter
from newscorpus.webpage.pagination import pagination

logger = logging.getLogger(__name__)

# "probe": a common feed path tried on a home page that links no feed (404 is no error)
HUB_KINDS = ("home", "sitemap", "feed", "probe", "hub")
# an article's later pages before other articles: they land in the WARC beside it
PRIORITIES = {"sitemap": 10, "feed": 10, "probe": 10, "page": 6, "article": 5}  # else 0
MAX_QUERY_VARIANTS = 5  # distinct query strings per path before the rest count as a trap
MAX_SITEMAP_NESTING = 3  # sitemap index -> index -> index -> urlset
MAX_SITEMAPS_PER_HOST = 1000
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit


class NewsSpider(scrapy.Spider):
    name = "newscorpus"

    def __init__(
        self,
        sources: list[Source],
        state: CrawlStore,
        warc_writer: WarcFileWriter,
        max_depth: int,  # the runner passes CrawlOptions' (their defaults are there)
        max_pages_per_site: int,
        revisit: Schedule = DEFAULT_SCHEDULE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sources = sources
        self.by_site = {key: source for source in sources for key in source.site_keys}
        # what the downloader middlewares and the scheduler share with the spider
        self.revisit = revisit
        self.crawl_context = CrawlContext(
            state, warc_writer, self.in_scope, self.included, self.revisits_for
        )
        self.max_depth = max_depth
        self.max_pages_per_site = max_pages_per_site
        self.seen: set[str] = set()  # URLs requested in this run
        self.revisiting: set[str] = set()  # archived articles re-visited in this run
        self.sitemaps: Counter[str] = Counter()  # sitemap requests per host in this run
        self.query_variants: defaultdict[str, set[str]] = defaultdict(set)
        self.host_stats: defaultdict[str, Counter[str]] = defaultdict(Counter)
        # what became of each home page this worker requested: "ok", or why not
        self.seed_outcomes: dict[str, str] = {}

    @property
    def store(self) -> CrawlStore:
        """The crawl's store (held once, in the context the components share)."""
        return self.crawl_context.store

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        return spider

    # -- requests -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._start_requests():
            yield request

    def _start_requests(self) -> Iterator[scrapy.Request]:
        for source in self.sources:
            for url in source.start_urls:
                yield from self._request(url, "home", 0)
            for url in source.feeds:
                yield from self._request(url, "feed", 0)
            for url in source.sitemaps:
                yield from self._request(url, "sitemap", 0)
        for queued in self.store.queued():  # the frontier of an interrupted crawl
            yield from self._request(queued.url, queued.kind, queued.depth)
        for url in self.store.due_revisits(time.time()):
            yield from self._revisit(url)

    def source_of(self, url: str) -> Source | None:
        return self.by_site.get(site_key(url))

    def revisits_for(self, url: str) -> Schedule:
        """When an article of ``url``'s source is fetched again after it is archived."""
        source = self.source_of(url)
        if source is not None and source.revisit is not None:
            return source.revisit
        return self.revisit

    def in_scope(self, url: str) -> bool:
        """Whether ``url`` belongs to a crawled site and is not excluded by its source."""
        source = self.source_of(url)
        return source is not None and source.allows(url)

    def included(self, url: str) -> bool:
        """Whether ``url`` may be archived: its source has no ``include`` patterns, or
        one matches it (the other pages of such a source are fetched for their links
        only: home, sections, feeds, sitemaps)."""
        source = self.source_of(url)
        return source is not None and source.includes(url)

    def _request(self, url: str, kind: str, depth: int) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        try:
            url = canonical_request_url(url)
        except ValueError:  # an unparsable link ("http://[oops/") is skipped, not fatal
            stats.inc_value("newscorpus/skipped/bad_url")
            return
        host = urlsplit(url).hostname or ""
        source = self.source_of(url)
        if url in self.seen or source is None:
            return
        kind, refused = self._screen(url, kind, depth, source, host)
        if refused is not None:
            stats.inc_value(f"newscorpus/{refused}")
            return
        limit = source.max_pages if source.max_pages is not None else self.max_pages_per_site
        try:
            headers = self._claim(url, kind, depth, host, limit)
        except FrontierUnreachable:  # the page that links it stays in flight: parsed again
            stats.inc_value("newscorpus/skipped/frontier_unreachable")
            return
        if headers is None:
            return
        if kind == "article":
            self.host_stats[host]["articles_found"] += 1
            stats.inc_value("newscorpus/articles_found")
        elif kind == "page":
            stats.inc_value("newscorpus/article_pages_found")
        yield scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            headers=headers,
            # an AMP page after the others: its canonical page, when also queued, goes
            # first, and the twin is then never fetched
            priority=PRIORITIES.get(kind, 0) - (kind == "article" and looks_like_amp(url)),
            meta={"newscorpus_kind": kind, "newscorpus_depth": depth},
            dont_filter=True,  # deduplicated above, across runs too
        )

    def _revisit(self, url: str) -> Iterator[scrapy.Request]:
        """A re-visit of an archived article whose visit is due: asked with its
        validators, so that an unchanged page answers 304. Not counted against the site's
        page limit; robots.txt and the host's turns hold as for any request."""
        # (not `seen`: a link to it, refused as archived, may have put it there already)
        if url in self.revisiting or not self.in_scope(url) or not self.revisits_for(url):
            return  # its source left the crawl, or its schedule was turned off
        self.revisiting.add(url)
        self.crawler.stats.inc_value("newscorpus/revisits/due")
        yield scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            headers=self._conditional_headers(url),
            priority=PRIORITIES["article"],
            meta={"newscorpus_kind": REVISIT, "newscorpus_depth": 0},
            dont_filter=True,
        )

    def _screen(
        self, url: str, kind: str, depth: int, source: Source, host: str
    ) -> tuple[str, str | None]:
        """The kind ``url`` is fetched as, and why it is not fetched at all (a stats key
        under ``newscorpus/``), or None when it may be."""
        if not source.allows(url):
            return kind, "skipped/excluded"
        if kind in ("hub", "article"):
            return self._screen_page(url, kind, depth, source, host)
        if kind == "page":  # its article was taken: only traps stop it
            trap = trap_reason(url)
            return kind, f"traps_cut/{trap}" if trap else None
        if kind == "sitemap":
            if depth > MAX_SITEMAP_NESTING or self.sitemaps[host] >= MAX_SITEMAPS_PER_HOST:
                return kind, "traps_cut/sitemaps"
            self.sitemaps[host] += 1
        return kind, None

    def _screen_page(
        self, url: str, kind: str, depth: int, source: Source, host: str
    ) -> tuple[str, str | None]:
        """``_screen`` for hubs and articles: the source's ``include``, traps, depth."""
        if source.include:
            # `include` says which articles to archive: an article that does not match
            # is never fetched (whether a link, a feed or sitemap entry, or left in the
            # frontier by an earlier crawl); a page that matches is one, however shaped
            if source.includes(url):
                kind = "article"
            elif kind == "article":
                self.host_stats[host]["not_included"] += 1
                return kind, "skipped/not_included"
        trap = trap_reason(url) or self._query_trap(url)
        if trap:
            self.host_stats[host]["traps_cut"] += 1
            return kind, f"traps_cut/{trap}"
        if depth > (source.max_depth if source.max_depth is not None else self.max_depth):
            return kind, "skipped/too_deep"
        return kind, None

    def _claim(
        self, url: str, kind: str, depth: int, host: str, limit: int
    ) -> dict[str, str] | None:
        """The crawl state's word on ``url``: the request headers to fetch it with, or
        None when it is not to be fetched (page limit, archived, taken by a worker)."""
        stats = self.crawler.stats
        is_page = kind in ("home", "hub", "article")  # feeds, sitemaps: no page
        if is_page and self.store.pages(host) >= limit:
            stats.inc_value("newscorpus/skipped/site_page_limit")
            return None
        # hubs change: fetched on every crawl (unless archived as an article)
        refused = self.store.claim(url, kind, depth, refetch=kind in HUB_KINDS)
        self.seen.add(url)
        if refused is not None:
            if refused != "archived":
                stats.inc_value(f"newscorpus/skipped/{refused}")
            return None
        if is_page:
            self.store.add_page(host)
        return self._conditional_headers(url) if kind in HUB_KINDS else {}

    def _conditional_headers(self, url: str) -> dict[str, str]:
        """The headers that ask for ``url`` only if it changed since it was last fetched."""
        etag, modified = self.store.validators(url)
        headers = {"If-None-Match": etag} if etag else {}
        if modified:
            headers["If-Modified-Since"] = modified
        return headers

    def _query_trap(self, url: str) -> str | None:
        parts = urlsplit(url)
        if not parts.query:
            return None
        variants = self.query_variants[f"{parts.hostname}{parts.path}"]
        variants.add(parts.query)
        return "query_variants" if len(variants) > MAX_QUERY_VARIANTS else None

    # -- responses ------------------------------------------------------------------------

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        kind = response.meta["newscorpus_kind"]
        depth = response.meta["newscorpus_depth"]
        host = urlsplit(response.url).hostname or ""
        self.host_stats[host][f"status_{response.status}"] += 1
        if kind == "home" and response.request is not None:
            self.seed_outcomes[request_chain(response.request)[0]] = "ok"
        self.seen.add(response.url)  # where a redirect ended
        if kind == REVISIT:  # archived (or not) by the WARC middleware, links not followed
            with contextlib.suppress(FrontierUnreachable):  # in flight: taken back, redone
                self.store.done_with(request_chain(response.request) if response.request else [])
            return
        if response.status == 304:
            self.crawler.stats.inc_value("newscorpus/not_modified")
        elif not self.in_scope(response.url):
            self.crawler.stats.inc_value("newscorpus/skipped/offsite_redirect")
        elif kind in ("sitemap", "feed") or (kind != "article" and is_xml(response.body)):
            yield from self._parse_xml(response, depth)
        else:
            # counted as written: not an article redirected out of `include`, nor one
            # whose body is not HTML
            if response.meta.get("newscorpus_archived"):
                archived = "articles_archived" if kind == "article" else "article_pages_archived"
                self.host_stats[host][archived] += 1
            yield from self._parse_html(response, kind, depth)
        # Only now, with every link it holds queued, is a hub done: a crawl killed earlier
        # fetches it again.
        chain = request_chain(response.request) if response.request else []
        urls = list(dict.fromkeys([*chain, response.url]))
        try:
            if not response.meta.get("newscorpus_archived"):
                self.store.finish(urls, "done", kind, validators(response))
            self.store.done_with(urls)
        except FrontierUnreachable:  # still in flight here: taken back and parsed again
            self.crawler.stats.inc_value("newscorpus/frontier/unreachable")

    def _robots_parsed(self, robotparser: RobotParser, request: scrapy.Request) -> None:
        """A host's robots.txt is parsed (before any request waiting for it leaves): its
        Sitemap lines are followed."""
        engine = self.crawler.engine
        if engine is None:
            return
        for sitemap in sitemaps_from_robots(robotparser, urljoin(request.url, "/robots.txt")):
            for sitemap_request in self._request(sitemap, "sitemap", 0):
                engine.crawl(sitemap_request)

    def _parse_xml(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        body = response.body
        if body.startswith(b"\x1f\x8b"):  # sitemap.xml.gz, served as is
            body = decode_content(body, "gzip", MAX_SITEMAP_BYTES) or b""
            if len(body) > MAX_SITEMAP_BYTES:
                self.crawler.stats.inc_value("newscorpus/skipped/sitemap_too_large")
                return
        head = body[:2048].lower()
        if b"<urlset" in head or b"<sitemapindex" in head:
            sitemap = parse_sitemap(body)
            for entry in sitemap.entries:
                if sitemap.is_index:
                    yield from self._request(entry.url, "sitemap", depth + 1)
                else:
                    kind = "article" if in_sitemap_article(entry) else "hub"
                    yield from self._request(entry.url, kind, 1)
        else:
            for url in parse_feed(body, response.url):
                yield from self._request(url, "article", 1)

    def _parse_html(self, response: Response, kind: str, depth: int) -> Iterator[scrapy.Request]:
        links, feeds = page_links(response.body, response.url)
        for feed in feeds:
            yield from self._request(feed, "feed", depth)
        source = self.source_of(response.url)
        if kind == "home" and not feeds and source is not None and not source.feeds:
            for path in COMMON_FEED_PATHS:
                yield from self._request(urljoin(response.url, path), "probe", depth)
        if kind in ARTICLE_KINDS:
            # articles link to other articles, found through hubs anyway; but their own
            # later pages are found here only
            yield from self._article_pages(response, depth)
            return
        for url in _unique(links):
            if not is_fetchable_page(url):
                continue
            if looks_like_article(url):
                yield from self._request(url, "article", depth + 1)
            else:
                yield from self._request(url, "hub", depth + 1)

    def _article_pages(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        try:
            tree = lxml.html.fromstring(response.body)
            pages = pagination(tree, response.url)
        except (lxml.etree.LxmlError, ValueError):
            return
        if pages is None:
            return
        for number, url in sorted(pages.pages.items()):
            if number != pages.number:
                yield from self._request(url, "page", depth)

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("newscorpus_kind") == REVISIT:  # still due: tried next crawl
            self.crawler.stats.inc_value("newscorpus/revisits/failed")
            with contextlib.suppress(FrontierUnreachable):
                self.store.done_with(request_chain(request))
            return
        if request.meta.get(ARCHIVED_TWIN):  # not fetched: the story is archived already
            with contextlib.suppress(FrontierUnreachable):  # else returned, skipped again
                self.store.done_with(request_chain(request))
            return
        host = urlsplit(request.url).hostname or ""
        kind = request.meta.get("newscorpus_kind", "hub")
        refused = request.meta.get(REFUSED)
        if kind == "home":
            why = _failure_reason(refused, request.meta.get(REFUSED_WHY), failure)
            self.seed_outcomes[request_chain(request)[0]] = why
        if refused is not None:  # robots.txt or an address: refused, not failed
            self.host_stats[host][f"refused_{refused}"] += 1
            status = "refused"  # not retried; checked again whenever it is linked again
        elif kind == "probe":  # no feed there: probed again with the home page next time
            self.host_stats[host]["feed_probes_missing"] += 1
            status = "missing"
        else:
            self.host_stats[host]["errors"] += 1
            logger.info("failed %s: %s", request.url, failure.getErrorMessage())
            status = "failed"
        try:
            self.store.finish(request_chain(request), status, kind)
            self.store.done_with(request_chain(request))
        except FrontierUnreachable:  # still in flight here: tried again later
            self.crawler.stats.inc_value("newscorpus/frontier/unreachable")


def _failure_reason(refused: str | None, detail: str | None, failure: Failure) -> str:
    if refused == "robots":
        return "disallowed by its robots.txt"
    if refused == "robots_unreachable":
        return f"its robots.txt could not be fetched ({detail}): disallow all (RFC 9309)"
    if refused in ("private_address", "link_local_address"):
        return f"refused: {detail}" if detail else "not a public address (see --allow-private)"
    if refused is not None:
        return f"refused ({refused})"
    return in_a_line(failure.value) if failure.value is not None else "failed"


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
