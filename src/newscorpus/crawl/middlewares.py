"""Downloader middlewares: address safety, robots.txt Crawl-delay, and WARC archiving."""

from __future__ import annotations

import ipaddress
import logging
import socket
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from newscorpus.crawl.frontier import FrontierUnreachable
from newscorpus.crawl.state import CrawlState
from newscorpus.warc.reader import decode_content
from newscorpus.warc.writer import WarcFileWriter

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
MAX_CRAWL_DELAY = 60.0  # seconds; beyond this a site is better crawled another day


@lru_cache(maxsize=4096)
def _addresses(host: str) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host.strip("[]"))),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


def refused_address(host: str) -> str | None:
    """The first loopback, private, link-local or reserved address ``host`` resolves to."""
    for address in _addresses(host):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return address
    return None


class SafetyMiddleware:
    """Refuses non-HTTP schemes and, unless allowed, hosts on non-public addresses.

    Runs first on every request, redirects included, after DNS resolution.
    """

    def __init__(self, allow_private: bool, stats: Any) -> None:
        self.allow_private = allow_private
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyMiddleware:
        return cls(crawler.settings.getbool("NEWSCORPUS_ALLOW_PRIVATE"), crawler.stats)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self.stats.inc_value("newscorpus/refused/scheme")
            raise IgnoreRequest(f"not an HTTP URL: {request.url}")
        if self.allow_private:
            return
        address = refused_address(parts.hostname or "")
        if address is not None:
            self.stats.inc_value("newscorpus/refused/private_address")
            logger.warning(
                "refused %s: %s is not a public address (use --allow-private for local sites)",
                request.url,
                address,
            )
            raise IgnoreRequest(f"{parts.hostname} resolves to non-public address {address}")


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """scrapy's robots.txt middleware, with RFC 9309's rule for an unreachable robots.txt:
    a server error or a failed fetch means "disallow everything" (a 4xx still means no
    rules), where scrapy would crawl the whole site."""

    DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value("newscorpus/robots_unreachable")
            response = response.replace(body=self.DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        super()._robots_error(exc, netloc)
        self._stats.inc_value("newscorpus/robots_unreachable")
        self._parsers[netloc] = build_from_crawler(
            self._parserimpl, self.crawler, self.DISALLOW_ALL
        )


class HostDelays:
    """The robots.txt Crawl-delay of each host, as the spider reads them (capped)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.delays: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        if delay > MAX_CRAWL_DELAY:
            logger.warning(
                "%s asks for a Crawl-delay of %s s; using %s s", host, delay, MAX_CRAWL_DELAY
            )
        self.delays[host] = min(delay, MAX_CRAWL_DELAY)


class CrawlDelayMiddleware(HostDelays):
    """Holds each host's download slot to at least its robots.txt Crawl-delay."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        delay = self.delays.get(urlsplit(request.url).hostname or "")
        engine = self.crawler.engine
        if not delay or engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            # auto-throttle lowers the delay and jitter shortens it: neither may go below
            # what robots.txt asked
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0


class WarcMiddleware:
    """Archives every HTML response as received (before decompression) into RUN/warc/.

    Placed nearest the downloader, so it sees the bytes on the wire: Content-Encoding is
    kept as sent and ``process`` undoes it. A body that would inflate past the size cap (a
    compression bomb) is not archived. Each archived response is committed to the crawl
    state together with the file's new length, in one transaction.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.archive_non_html = crawler.settings.getbool("NEWSCORPUS_ARCHIVE_NON_HTML")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        try:
            return self._archive(request, response)
        except FrontierUnreachable as exc:  # not recorded as archived: fetched again later
            self.stats.inc_value("newscorpus/frontier/unreachable")
            raise IgnoreRequest(f"crawl state unreachable: {exc}") from None

    def _archive(self, request: Request, response: Response) -> Response:
        # The spider owns the writer and the state (settings are copied; these cannot be).
        owner = self.crawler.spider
        writer: WarcFileWriter | None = getattr(owner, "warc_writer", None)
        state: CrawlState | None = getattr(owner, "state", None)
        if writer is None or state is None:  # not our spider: nothing to archive into
            return response
        kind = request.meta.get("newscorpus_kind")
        if response.status != 200 or kind in (None, "robots"):
            return response
        if not owner.in_scope(request.url):  # type: ignore[union-attr]
            self.stats.inc_value("newscorpus/warc/skipped_offsite_redirect")
            return response
        if kind == "article" and state.status(request.url) == "done":
            self.stats.inc_value("newscorpus/warc/skipped_already_archived")
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").lower()
        if not content_type.startswith(HTML_TYPES) and not self.archive_non_html:
            return response
        encoding = (response.headers.get(b"Content-Encoding") or b"").decode("latin-1")
        decoded = decode_content(response.body, encoding, self.max_bytes)
        if decoded is None or len(decoded) > self.max_bytes:
            self.stats.inc_value("newscorpus/warc/skipped_too_large_or_undecodable")
            return response
        name, _ = writer.write_exchange(
            request.url,
            _header_pairs(request.headers),
            f"{response.status} {_reason(response.status)}",
            _header_pairs(response.headers),
            response.body,
            method=request.method,
            protocol=response.protocol or "HTTP/1.1",
        )
        if kind == "article":
            state.finish(
                request_chain(request),
                "done",
                kind,
                *validators(response),
                warc=(name, writer.last_end),
            )
            request.meta["newscorpus_archived"] = True
        else:  # a hub is done once its links are queued: the spider says so after parsing
            state.commit_warc(name, writer.last_end)
        writer.rotate_if_full()
        self.stats.inc_value("newscorpus/warc/records")
        self.stats.inc_value("newscorpus/warc/bytes", len(response.body))
        return response


def request_chain(request: Request) -> list[str]:
    """The URL of ``request`` and those that redirected to it."""
    return [*request.meta.get("redirect_urls", []), request.url]


def validators(response: Response) -> tuple[str | None, str | None]:
    """(ETag, Last-Modified) of ``response``, for a conditional request next time."""
    etag = response.headers.get(b"ETag")
    modified = response.headers.get(b"Last-Modified")
    return (
        etag.decode("latin-1") if etag else None,
        modified.decode("latin-1") if modified else None,
    )


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in values
    ]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
