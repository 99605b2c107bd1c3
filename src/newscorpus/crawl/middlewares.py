"""The downloader's parts: address safety, robots.txt, per-host politeness (a download
handler), and WARC archiving.

Addresses are checked twice: before a request leaves (its host resolved, so that a
refused address is never connected to), and on the connection itself, against the peer
it reached (a name may resolve elsewhere by then: DNS rebinding), before a byte is sent.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import secrets
import socket
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import Factory

from newscorpus.content_encoding import decode_content
from newscorpus.crawl.addresses import AddressPolicy, Refusal, allowed_networks
from newscorpus.crawl.context import CrawlContext, crawl_context
from newscorpus.crawl.discovery import canonical_request_url, twin_links
from newscorpus.crawl.frontier import FrontierUnreachable, RedisFrontier
from newscorpus.crawl.politeness import HostTurns, LocalTurns
from newscorpus.crawl.revisits import NO_REVISITS
from newscorpus.crawl.state import ARTICLE_KINDS, REVISIT, Validators
from newscorpus.urls import looks_like_article
from newscorpus.warc.writer import payload_digest
from newscorpus.webpage.pagination import is_other_page

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
MAX_CRAWL_DELAY = 60.0  # seconds; beyond this a site is better crawled another day
REFUSED = "newscorpus_refused"  # request meta: why the crawler itself refused a request
REFUSED_WHY = "newscorpus_refused_why"  # and in a few words, where there is more to say
ARCHIVED_TWIN = "newscorpus_archived_twin"  # meta: skipped, its twin is archived


def crawl_frontier(crawler: Crawler) -> RedisFrontier | None:
    """The Redis frontier of a shared crawl (the crawl's store), else None."""
    context = crawl_context(crawler)
    return context.store if context and isinstance(context.store, RedisFrontier) else None


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


def host_refusal(host: str, policy: AddressPolicy, port: int | None = None) -> Refusal | None:
    """Why ``host`` must not be connected to on ``port``: the first address it resolves
    to that ``policy`` refuses. (A look-up that fails is no refusal: the download fails.)"""
    for address in _addresses(host):
        refusal = policy.refusal(address, port)
        if refusal is not None:
            return refusal
    return None


def refused_address(host: str, policy: AddressPolicy | None = None) -> str | None:
    """The first address ``host`` resolves to that ``policy`` (by default: public
    addresses only) refuses."""
    policy = policy or AddressPolicy()
    return next((a for a in _addresses(host) if policy.refusal(a) is not None), None)


def address_policy(settings: BaseSettings) -> AddressPolicy:
    """The addresses a crawl may reach: NEWSCORPUS_ALLOW_PRIVATE is a list of networks
    (or True: loopback and private ranges)."""
    value = settings.get("NEWSCORPUS_ALLOW_PRIVATE")
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", ""):
        value = settings.getbool("NEWSCORPUS_ALLOW_PRIVATE")  # from the command line (-s)
    return AddressPolicy(allowed_networks(value or False))


class AddressRefused(IgnoreRequest):
    """A request the crawler refused for the address its host has, or connected to."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


def refuse(request: Request, refusal: Refusal, stats: Any) -> AddressRefused:
    """Record on ``request`` and in the crawl's counts why it is refused; the exception
    to raise (a refusal, not an error: the spider counts it as one)."""
    request.meta[REFUSED] = refusal.why
    request.meta[REFUSED_WHY] = refusal.detail
    stats.inc_value(f"newscorpus/refused/{refusal.why}")
    logger.warning("refused %s: %s", request.url, refusal.detail)
    return AddressRefused(refusal)


class SafetyMiddleware:
    """Refuses non-HTTP schemes, and hosts on addresses the crawl may not reach
    (non-public ones unless ``--allow-private`` allows them; link-local and metadata
    ones unless named).

    Runs first on every request, redirects and robots.txt included, after DNS
    resolution: a refused address is never connected to. The download handler checks
    the address each connection actually reached, too.
    """

    def __init__(self, policy: AddressPolicy, stats: Any) -> None:
        self.policy = policy
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyMiddleware:
        return cls(address_policy(crawler.settings), crawler.stats)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self.stats.inc_value("newscorpus/refused/scheme")
            request.meta[REFUSED] = "scheme"
            raise IgnoreRequest(f"not an HTTP URL: {request.url}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # not a port number: the download fails on its own
            port = None
        refusal = host_refusal(parts.hostname or "", self.policy, port)
        if refusal is not None:
            raise refuse(request, refusal, self.stats)


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """scrapy's robots.txt middleware, with RFC 9309's rule for an unreachable robots.txt
    (a server error or a failed fetch means "disallow everything", where scrapy would
    crawl the whole site; a 4xx still means no rules), and every request that waited
    for a host's robots.txt judged by it.

    scrapy 2.19 hands the parsed rules to the first request waiting for them only (it
    awaits one Deferred from several requests, and the first ``asFuture`` consumes its
    result), so the others went out unchecked: every request waiting for the rules reads
    them back from the table they are kept in.
    """

    DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._unreachable: dict[str, str] = {}  # hosts whose robots.txt failed: why
        # hosts whose robots.txt was refused for the address it reached
        self._refused: dict[str, Refusal] = {}
        # scrapy logs an unreachable robots.txt, and a request that failed after its
        # retries, as errors (the first with a traceback): they are facts about a site,
        # counted in the crawl's figures, said in one line below, and the crawl's result
        # says what they cost
        for name in _SCRAPY_DOWNLOAD_LOGGERS:
            logging.getLogger(name).addFilter(_drop_download_errors)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc)
        return parser if isinstance(stored, Deferred) else stored

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            netloc = urlparse_cached(request).netloc
            if netloc in self._refused:  # the host, not its robots.txt, is the reason
                request.meta[REFUSED] = self._refused[netloc].why
                request.meta[REFUSED_WHY] = self._refused[netloc].detail
            elif netloc in self._unreachable:
                request.meta[REFUSED] = "robots_unreachable"
                request.meta[REFUSED_WHY] = self._unreachable[netloc]
            else:
                request.meta[REFUSED] = "robots"
            raise

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value("newscorpus/robots_unreachable")
            self._unreachable[netloc] = f"HTTP {response.status}"
            logger.info(
                "robots.txt of %s answers %d: nothing there is fetched (RFC 9309)",
                netloc,
                response.status,
            )
            response = response.replace(body=self.DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, AddressRefused):
            self._refused[netloc] = exc.refusal
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._stats.inc_value("newscorpus/robots_unreachable")
        self._unreachable[netloc] = in_a_line(exc)
        logger.info("robots.txt of %s unreachable (%s): nothing there is fetched", netloc, exc)
        waiting = self._parsers[netloc]
        # the rules stored before the waiting requests are woken: they read them there
        parser = build_from_crawler(self._parserimpl, self.crawler, self.DISALLOW_ALL)
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)


def in_a_line(exc: BaseException) -> str:
    """What went wrong, in one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_SCRAPY_DOWNLOAD_LOGGERS = (
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.downloadermiddlewares.retry",
)


def _drop_download_errors(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(("Error downloading", "Gave up retrying"))


class PoliteDownloadHandler(HTTP11DownloadHandler):
    """scrapy's HTTP handler, once the request has its host's turn (``politeness.py``):
    with a delay, one request at a time per host, the next ``delay`` seconds (or the
    host's robots.txt Crawl-delay) after the previous one ended. Here, where the request
    leaves and its end is seen, not in a middleware: scrapy may hold a request in its
    slot queue after the middlewares, which would bunch requests up again.

    A lone crawl keeps the turns in this process; a shared one in the Redis frontier, so
    that they hold across workers.

    Every new connection is checked against the address policy on the peer it reached,
    before a byte is sent on it (TLS included): the address checked before the request
    left came from a look-up that a short-lived DNS answer may have changed since.
    """

    lazy = False  # made at start: it hears of every robots.txt parsed

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._politeness_crawler = crawler
        self.policy = address_policy(crawler.settings)
        self.stats = crawler.stats
        # twisted's pool makes one protocol factory per connection: each is wrapped
        make_factory: Any = self._pool._factory  # twisted's (untyped) HTTP client factory
        policy = self.policy

        def checked_factory(quiescent_callback: Any, metadata: Any) -> Factory:
            return PeerCheckingFactory(make_factory(quiescent_callback, metadata), policy)

        self._pool._factory = checked_factory  # type: ignore[assignment]
        self.delay = crawler.settings.getfloat("NEWSCORPUS_DELAY")
        # a turn is held this long at most: a live holder's request ends before, at its
        # download timeout (a shared frontier frees a dead worker's turn sooner)
        self.lease = crawler.settings.getfloat("DOWNLOAD_TIMEOUT") + 2.0
        self.robots_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or "*"
        self._local = LocalTurns()
        self._tokens = (f"{secrets.token_hex(4)}-{n}" for n in itertools.count())
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    def _turns(self) -> HostTurns:
        return crawl_frontier(self._politeness_crawler) or self._local

    async def download_request(self, request: Request) -> Response:
        host = urlsplit(request.url).hostname or ""
        turns, token = self._turns(), next(self._tokens)
        try:
            while (wait := turns.take_turn(host, token, self.delay, self.lease)) > 0:
                await sleep(wait)
        except FrontierUnreachable as exc:  # no turn, no request: politeness first
            raise IgnoreRequest(f"crawl state unreachable: {exc}") from None
        try:
            self._unless_archived(request)
            response: Response = await super().download_request(request)
        except AddressRefused as exc:  # the connection reached a refused address
            raise refuse(request, exc.refusal, self.stats) from None
        finally:
            try:
                turns.end_turn(host, token, self.delay)
            except FrontierUnreachable:
                logger.warning("could not end the turn at %s: its lease runs out", host)
        return response

    def _unless_archived(self, request: Request) -> None:
        """An article archived while its request waited for its turn (its twin, an AMP or
        canonical page, was) does not leave: checked here, as it would leave."""
        context = crawl_context(self._politeness_crawler)
        if context is None or request.meta.get("newscorpus_kind") not in ARTICLE_KINDS:
            return
        try:
            archived = context.store.status(request.url) == "done"
        except FrontierUnreachable:
            return  # the response is checked again before it is archived
        if archived:
            self.stats.inc_value("newscorpus/skipped/twin_queued")
            request.meta[ARCHIVED_TWIN] = True
            raise IgnoreRequest(f"already archived: {request.url}")

    def _robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """A host's Crawl-delay, known before any request waiting for its rules leaves
        (scrapy sends this signal before it wakes them)."""
        delay = robotparser.crawl_delay(self.robots_agent)
        if not delay:
            return
        host = urlsplit(request.url).hostname or ""
        if delay > MAX_CRAWL_DELAY:
            logger.warning(
                "%s asks for a Crawl-delay of %s s; using %s s", host, delay, MAX_CRAWL_DELAY
            )
        self._turns().set_crawl_delay(host, min(delay, MAX_CRAWL_DELAY))


class PeerCheckingFactory(Factory):
    """The HTTP client factory of one connection, which refuses to build its protocol
    when the connection reached a refused address: the connection is then closed before
    anything is sent, and the connection attempt fails with AddressRefused."""

    noisy = False

    def __init__(self, wrapped: Any, policy: AddressPolicy) -> None:
        self.wrapped = wrapped  # twisted's HTTP client factory (untyped)
        self.policy = policy

    def buildProtocol(self, addr: IAddress | None) -> Any:
        host = getattr(addr, "host", None)  # the peer: the address the socket connected to
        port = getattr(addr, "port", None)
        port = port if isinstance(port, int) else None
        refusal = self.policy.refusal(host, port) if isinstance(host, str) else None
        if refusal is not None:
            raise AddressRefused(refusal)
        return self.wrapped.buildProtocol(addr)

    def doStart(self) -> None:
        self.wrapped.doStart()

    def doStop(self) -> None:
        self.wrapped.doStop()


async def sleep(seconds: float) -> None:
    # imported here: importing the reactor installs one, and scrapy installs its own first
    from twisted.internet import reactor, task

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


class WarcMiddleware:
    """Archives every HTML response as received (before decompression) into RUN/warc/:
    of a source with ``include`` patterns, only the pages whose URL matches one.

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

    def _archivable(
        self, request: Request, response: Response, context: CrawlContext, kind: str
    ) -> bool:
        """Whether the WARC takes this response (counting why not, where it tells)."""
        if response.status != 200:
            return False
        if not context.in_scope(request.url):
            self.stats.inc_value("newscorpus/warc/skipped_offsite_redirect")
            return False
        if kind in ARTICLE_KINDS and context.store.status(request.url) == "done":
            self.stats.inc_value("newscorpus/warc/skipped_already_archived")
            return False
        content_type = (response.headers.get(b"Content-Type") or b"").lower()
        if not content_type.startswith(HTML_TYPES) and not self.archive_non_html:
            return False
        if kind not in ("page", REVISIT) and not context.included(request.url):
            # a page fetched for its links (home, section) under a source's `include`, or
            # an article redirected out of it: the WARC holds included pages only (and an
            # included article's later pages, whatever their URLs)
            self.stats.inc_value("newscorpus/warc/skipped_not_included")
            return False
        return True

    def _archive(self, request: Request, response: Response) -> Response:
        context = crawl_context(self.crawler)
        if context is None:  # not our spider: nothing to archive into
            return response
        writer, state = context.writer, context.store
        kind = request.meta.get("newscorpus_kind")
        if kind == REVISIT:
            return self._archive_revisit(request, response, context)
        if kind is None or not self._archivable(request, response, context, kind):
            return response
        decoded = self._decoded(response)
        if decoded is None:
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
        if kind in ARTICLE_KINDS:
            state.finish(
                request_chain(request),
                "done",
                kind,
                validators(response),
                warc=(name, writer.last_end),
                # an article's later pages are not re-visited: its first page is
                revisits=context.revisits(request.url) if kind == "article" else NO_REVISITS,
                digest=payload_digest(response.body),
            )
            request.meta["newscorpus_archived"] = True
            self._twins_archived(context, decoded, response.url)
        else:  # a hub is done once its links are queued: the spider says so after parsing
            state.commit_warc(name, writer.last_end)
        writer.rotate_if_full()
        self.stats.inc_value("newscorpus/warc/records")
        self.stats.inc_value("newscorpus/warc/bytes", len(response.body))
        return response

    def _decoded(self, response: Response) -> bytes | None:
        """The body without its Content-Encoding, or None (counted) when it would inflate
        past the size cap (a compression bomb) or does not decode."""
        encoding = (response.headers.get(b"Content-Encoding") or b"").decode("latin-1")
        decoded = decode_content(response.body, encoding, self.max_bytes)
        if decoded is None or len(decoded) > self.max_bytes:
            self.stats.inc_value("newscorpus/warc/skipped_too_large_or_undecodable")
            return None
        return decoded

    def _archive_revisit(
        self, request: Request, response: Response, context: CrawlContext
    ) -> Response:
        """A re-visit's answer: "not modified", or the very bytes archived last time from
        a server that ignores validators, becomes a revisit record (no body), a page
        a new response record (``process`` decides whether it is a new version); the
        visit and the next one due are recorded with the record, in one transaction. Any
        other answer (gone, an error) is a visit made, nothing archived."""
        url, writer, store = request.url, context.writer, context.store
        schedule = context.revisits(url)
        headers = (_header_pairs(request.headers), _header_pairs(response.headers))
        status_line = f"{response.status} {_reason(response.status)}"
        protocol = response.protocol or "HTTP/1.1"
        if response.status == 304:
            name, _ = writer.write_revisit(
                url, headers[0], status_line, headers[1], store.archived_at(url), protocol,
            )  # fmt: skip
            store.revisited(url, schedule, validators(response), warc=(name, writer.last_end))
            self.stats.inc_value("newscorpus/revisits/not_modified")
        elif response.status == 200 and (
            digest := payload_digest(response.body)
        ) == store.payload_digest(url):
            # the server ignored the validators and sent the same bytes: nothing new
            name, _ = writer.write_revisit(
                url, headers[0], status_line, headers[1], store.archived_at(url), protocol,
                payload_digest=digest,
            )  # fmt: skip
            store.revisited(url, schedule, validators(response), warc=(name, writer.last_end))
            self.stats.inc_value("newscorpus/revisits/identical")
        elif (
            response.status == 200
            and self._archivable(request, response, context, REVISIT)
            and self._decoded(response) is not None
        ):
            name, _ = writer.write_exchange(
                url, headers[0], status_line, headers[1], response.body,
                method=request.method, protocol=protocol,
            )  # fmt: skip
            store.revisited(
                url,
                schedule,
                validators(response),
                warc=(name, writer.last_end),
                changed=True,
                digest=digest,
            )
            request.meta["newscorpus_archived"] = True
            self.stats.inc_value("newscorpus/revisits/archived")
            self.stats.inc_value("newscorpus/warc/records")
            self.stats.inc_value("newscorpus/warc/bytes", len(response.body))
        else:
            store.revisited(url, schedule)
            self.stats.inc_value(f"newscorpus/revisits/status_{response.status}")
            return response
        writer.rotate_if_full()
        return response

    def _twins_archived(self, context: CrawlContext, html: bytes, url: str) -> None:
        """The article is archived: the pages it names as the same story (its AMP page,
        its canonical page) are recorded as done, never fetched (one waiting for its
        turn is dropped as it would leave). Done here, as the record is written, before
        the host's next turn. Only article-shaped pages of this crawl: a canonical link to
        a home or section page is a site's mistake, not a twin."""
        for twin in twin_links(html, url):
            try:
                twin = canonical_request_url(twin)
            except ValueError:
                continue
            if twin == url or not context.in_scope(twin) or not looks_like_article(twin):
                continue
            if is_other_page(twin, url):  # page 2 naming page 1 its canonical: no twin
                continue
            if context.store.status(twin) != "done":  # unknown, or queued
                context.store.finish([twin], "done", "article")
                self.stats.inc_value("newscorpus/skipped/twin")


def request_chain(request: Request) -> list[str]:
    """The URL of ``request`` and those that redirected to it."""
    return [*request.meta.get("redirect_urls", []), request.url]


def validators(response: Response) -> Validators:
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
