"""Run one crawl: scrapy in this process, WARC files and crawl state in the run folder.

Twisted's reactor cannot be restarted, so a process runs at most one crawl; callers that
need several (tests, a scheduler) start a process per crawl.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from newscorpus._files import write_json_atomic
from newscorpus._version import __version__
from newscorpus.crawl.addresses import Allowed, Network, allowed_networks
from newscorpus.crawl.frontier import WORKER_TTL_SECONDS
from newscorpus.crawl.revisits import DEFAULT_SCHEDULE, Schedule, describe
from newscorpus.crawl.sources import Source
from newscorpus.errors import UserError
from newscorpus.warc.writer import WarcFileWriter, recover_open_files

if TYPE_CHECKING:
    from newscorpus.crawl.context import CrawlStore

logger = logging.getLogger(__name__)

CRAWL_STATS = "crawl-stats.json"
WARC_DIR = "warc"
DEFAULT_CONTACT = "https://github.com/newscorpus/newscorpus"


@dataclass(slots=True)
class CrawlOptions:
    """How politely and how far to crawl. Validated once, by ``check``."""

    # Non-public networks the crawl may reach, each on every port or one (``crawl.addresses``:
    # a local site's address and port, 10.0.0.0/8 ...); True stands for LOCAL_NETWORKS
    # (loopback and private ranges). Link-local and cloud metadata addresses only when named.
    allow_private: tuple[Allowed | Network, ...] | bool = ()
    contact: str = DEFAULT_CONTACT
    delay: float = 1.0  # seconds from the end of one request to a host to the next one
    concurrency_per_host: int = 2
    timeout: float = 30.0
    max_page_bytes: int = 5 * 1024 * 1024  # received, and again after decompression
    max_depth: int = 3  # link hops from a home page, feed or sitemap
    max_pages_per_site: int = 10_000
    max_redirects: int = 5
    retries: int = 2
    warc_max_bytes: int = 1024 * 1024 * 1024
    warc_prefix: str = "newscorpus-crawl"
    archive_non_html: bool = False  # feeds, sitemaps, PDFs ... are fetched but not archived
    # delays after an article's first archive at which it is fetched again (crawl.revisits)
    revisit: Schedule = DEFAULT_SCHEDULE

    def check(self) -> None:
        self.allow_private = allowed_networks(self.allow_private)
        if self.delay < 0 or self.timeout <= 0 or self.max_page_bytes <= 0:
            raise UserError("delay must be >= 0, timeout and page size > 0")
        if self.concurrency_per_host < 1 or self.max_pages_per_site < 1 or self.max_depth < 0:
            raise UserError("concurrency and pages per site must be >= 1, depth >= 0")

    @property
    def user_agent(self) -> str:
        return f"newscorpus/{__version__} (+{self.contact})"


@dataclass(slots=True)
class CrawlSummary:
    run_dir: Path
    warc_files: list[Path] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def _resolver_setting() -> str:
    from scrapy.settings import default_settings

    # renamed in scrapy 2.19 (the old name still works there, with a warning)
    renamed = hasattr(default_settings, "TWISTED_DNS_RESOLVER")
    return "TWISTED_DNS_RESOLVER" if renamed else "DNS_RESOLVER"


def _settings(options: CrawlOptions, shared: bool = False) -> dict[str, Any]:
    handler = "newscorpus.crawl.middlewares.PoliteDownloadHandler"
    settings: dict[str, Any] = {
        "BOT_NAME": "newscorpus",
        "USER_AGENT": options.user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": "newscorpus",
        # The delay between requests to a host is the download handler's (counted from
        # the end of the previous one, across workers when shared). scrapy's own is kept
        # at its least but never 0: with none, scrapy 2.19's downloader starts every
        # queued request of a slot at once and CONCURRENT_REQUESTS_PER_DOMAIN is not held
        # (seen in our tests). AutoThrottle may still slow a slow host down further.
        "DOWNLOAD_DELAY": 0.001,
        "NEWSCORPUS_DELAY": options.delay,
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "AUTOTHROTTLE_ENABLED": options.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(options.delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(options.concurrency_per_host),
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency_per_host,
        "DOWNLOAD_TIMEOUT": options.timeout,
        "DOWNLOAD_MAXSIZE": options.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": options.max_redirects,
        "RETRY_TIMES": options.retries,
        "DEPTH_LIMIT": 0,  # the spider counts hops itself (feeds and sitemaps reset them)
        # resolves IPv6 too (scrapy's default resolver knows IPv4 only: http://[::1]/
        # was a failed DNS lookup)
        _resolver_setting(): "scrapy.resolver.CachingHostnameResolver",
        "COOKIES_ENABLED": False,  # no sessions: no session-id traps, no tracking
        "HTTPPROXY_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # an HTTP server that runs code: never on
        "HTTPERROR_ALLOWED_CODES": [304],
        # as the caller set logging up (the CLI: -q, -v); scrapy applies it to its loggers
        "LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        "LOG_INSTALL_ROOT_HANDLER": False,  # the CLI owns logging
        "LOGSTATS_INTERVAL": 60.0,
        "DOWNLOADER_MIDDLEWARES": {
            "newscorpus.crawl.middlewares.SafetyMiddleware": 40,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "newscorpus.crawl.middlewares.StrictRobotsTxtMiddleware": 100,
            # nearest the downloader: sees bodies as received, before decompression
            "newscorpus.crawl.middlewares.WarcMiddleware": 950,
        },
        # as text: scrapy settings are plain values (the middlewares parse them again)
        "NEWSCORPUS_ALLOW_PRIVATE": [str(n) for n in allowed_networks(options.allow_private)],
        "NEWSCORPUS_ARCHIVE_NON_HTML": options.archive_non_html,
    }
    if shared:  # the queue and robots.txt are the team's (Redis)
        settings["SCHEDULER"] = "newscorpus.crawl.shared.SharedScheduler"
        middlewares = settings["DOWNLOADER_MIDDLEWARES"]
        middlewares.pop("newscorpus.crawl.middlewares.StrictRobotsTxtMiddleware")
        middlewares["newscorpus.crawl.shared.SharedRobotsTxtMiddleware"] = 100
    return settings


@dataclass(slots=True)
class Team:
    """A crawl shared with other workers through a Redis frontier (``--frontier``)."""

    frontier: str  # redis://HOST:PORT/DB
    worker: str = field(default_factory=lambda: default_worker_id())
    worker_ttl: float = WORKER_TTL_SECONDS  # silent this long: taken for dead

    def stats_file(self) -> str:
        return f"crawl-stats-{self.worker}.json"


def default_worker_id() -> str:
    """This machine and process: unique among live workers, readable in file names."""
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()).strip("-.")[:40]
    return f"{host or 'worker'}-{os.getpid()}"


def run_crawl(
    sources: list[Source],
    run_dir: Path,
    options: CrawlOptions | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    team: Team | None = None,
) -> CrawlSummary:
    """Crawl ``sources`` into ``run_dir``/warc; resumes or extends an earlier crawl there.

    With ``team``, this process is one worker of a crawl shared through Redis: its WARC
    files carry its worker id, and the crawl's queue and memory are the frontier's."""
    from scrapy.crawler import CrawlerProcess

    from newscorpus.crawl.spider import NewsSpider

    options = options or CrawlOptions()
    options.check()
    if not sources:
        raise UserError("nothing to crawl: give seed URLs or a sources file")
    lock = _lock_run_folder(run_dir, team)
    store = _open_store(run_dir, team)
    warc_dir = run_dir / WARC_DIR
    warc_dir.mkdir(parents=True, exist_ok=True)
    recover_open_files(warc_dir, store.committed_bytes)
    before = set(warc_dir.glob("*.warc.gz"))
    writer = _warc_writer(warc_dir, options, sources, team)
    settings = _settings(options, shared=team is not None)
    process = CrawlerProcess(settings)
    # scrapy sets its own loggers to DEBUG; they follow the caller's logging instead
    logging.getLogger("scrapy").setLevel(settings["LOG_LEVEL"])
    crawler = process.create_crawler(NewsSpider)
    process.crawl(
        crawler,
        sources=sources,
        state=store,
        warc_writer=writer,
        max_depth=options.max_depth,
        max_pages_per_site=options.max_pages_per_site,
        revisit=options.revisit,
    )
    if on_progress is not None:
        _report_every_second(crawler, on_progress)
    _run_restoring_signal_handlers(process)
    writer.close()
    stats = _stats_json(crawler, _counts(store, team))
    stats["revisit_schedule"] = describe(options.revisit)  # a source's own may differ
    lost = stats["scrapy"].get("finish_reason") == "frontier_unreachable"
    if team is not None and not lost:  # the files of workers that died while this one ran
        recover_open_files(warc_dir, store.committed_bytes)
    store.close()
    write_json_atomic(run_dir / (team.stats_file() if team else CRAWL_STATS), stats)
    lock.close()
    _raise_unless_finished(stats, getattr(crawler.spider, "seed_outcomes", {}), team, warc_dir)
    return CrawlSummary(run_dir, sorted(set(warc_dir.glob("*.warc.gz")) - before), stats)


def _lock_run_folder(run_dir: Path, team: Team | None) -> TextIO:
    """One crawl per run folder, or one per worker id: a second would take over the
    first one's WARC file. The lock holds while the returned file is open."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        lock = (run_dir / (f".lock-{team.worker}" if team else ".lock")).open("w")
    except OSError as exc:
        raise UserError(f"{run_dir}: cannot write here ({exc})") from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        lock.close()
        raise UserError(f"{run_dir} is being crawled by another process") from exc
    return lock


def _open_store(run_dir: Path, team: Team | None) -> CrawlStore:
    """The run folder's own state, or the team's shared frontier."""
    from newscorpus.crawl.frontier import FrontierAddress, RedisFrontier
    from newscorpus.crawl.state import CrawlState

    if team is None:
        try:
            return CrawlState(run_dir)
        except OSError as exc:
            raise UserError(f"{run_dir}: cannot write here ({exc})") from exc
    frontier = RedisFrontier(
        FrontierAddress.parse(team.frontier), run_dir.name, team.worker, team.worker_ttl
    )
    if frontier.join():
        logger.info("a new crawl starts in frontier %s", frontier.address.shown())
    return frontier


def _warc_writer(
    warc_dir: Path, options: CrawlOptions, sources: list[Source], team: Team | None
) -> WarcFileWriter:
    return WarcFileWriter(
        warc_dir,
        prefix=f"{options.warc_prefix}-{team.worker}" if team else options.warc_prefix,
        max_file_bytes=options.warc_max_bytes,
        rotate_automatically=False,  # the WARC middleware rotates after committing state
        info={
            "robots": "obey",
            "http-header-user-agent": options.user_agent,
            "description": "newscorpus crawl of " + ", ".join(s.name for s in sources),
        },
    )


def _report_every_second(crawler: Any, on_progress: Callable[[dict[str, Any]], None]) -> None:
    from twisted.internet import task

    def report() -> None:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        hosts = dict(getattr(crawler.spider, "host_stats", {}))
        on_progress({**stats, "hosts": hosts})

    task.LoopingCall(report).start(1.0, now=False)


def _run_restoring_signal_handlers(process: Any) -> None:
    """Run the crawl; scrapy leaves its own Ctrl-C and SIGTERM handlers installed after
    it, so the caller's come back (a demo that keeps serving must still stop on Ctrl-C)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        process.start()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _raise_unless_finished(
    stats: dict[str, Any], seed_outcomes: dict[str, str], team: Team | None, warc_dir: Path
) -> None:
    """A crawl stopped before its end, or one that fetched nothing, is not a success."""
    finish_reason = stats["scrapy"].get("finish_reason")
    if finish_reason == "shutdown":  # Ctrl-C or SIGTERM, handled by scrapy: stopped
        raise KeyboardInterrupt  # cleanly, resumable, but not finished
    if seed_outcomes and all(outcome != "ok" for outcome in seed_outcomes.values()):
        reasons = "; ".join(f"{url}: {why}" for url, why in list(seed_outcomes.items())[:3])
        more = f" (and {len(seed_outcomes) - 3} more)" if len(seed_outcomes) > 3 else ""
        raise UserError(f"nothing crawled, no home page could be fetched: {reasons}{more}")
    if finish_reason == "frontier_unreachable" and team is not None:
        from newscorpus.crawl.frontier import FrontierAddress

        raise UserError(
            f"lost the frontier at {FrontierAddress.parse(team.frontier).shown()}: this worker "
            f"stopped (what it archived is kept in {warc_dir}); start it again once Redis is back"
        )


def _counts(state: Any, team: Team | None) -> dict[str, int]:
    """URLs per status; a frontier that went away has none to give."""
    try:
        return dict(state.counts())
    except Exception as exc:
        if team is None:
            raise
        logger.warning("frontier unreachable: %s", exc)
        return {}


def _stats_json(crawler: Any, urls: dict[str, int]) -> dict[str, Any]:
    raw = crawler.stats.get_stats() if crawler.stats else {}
    scrapy_stats = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in sorted(raw.items())
    }
    responses = {
        key.rsplit("/", 1)[1]: value
        for key, value in raw.items()
        if key.startswith("downloader/response_status_count/")
    }
    spider = crawler.spider
    hosts = spider.host_stats if spider else {}
    return {
        "requests": raw.get("downloader/request_count", 0),
        "responses_by_status": responses,
        "bytes": raw.get("downloader/response_bytes", 0),
        "robots_refusals": raw.get("robotstxt/forbidden", 0),
        "traps_cut": sum(v for k, v in raw.items() if k.startswith("newscorpus/traps_cut/")),
        "articles_found": raw.get("newscorpus/articles_found", 0),
        # re-visits of archived articles: due, archived anew, unchanged (304), failed
        "revisits": {
            key.rsplit("/", 1)[1]: value
            for key, value in sorted(raw.items())
            if key.startswith("newscorpus/revisits/")
        },
        "warc_records": raw.get("newscorpus/warc/records", 0),
        # one count everywhere (status line, summary, per host): requests that failed;
        # a refusal (robots.txt, an address) is not an error
        "errors": sum(counts["errors"] for counts in hosts.values()),
        "per_host": {host: dict(counts) for host, counts in sorted(hosts.items())},
        "urls": urls,
        "scrapy": scrapy_stats,
    }
