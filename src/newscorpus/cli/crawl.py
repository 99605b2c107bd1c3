"""``crawl`` and ``build`` (crawl, then process): the crawl's options (their defaults are
CrawlOptions') and its live status line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newscorpus.cli._app import Output, cli, console, output_folders
from newscorpus.cli.corpus import print_stats
from newscorpus.cli.process import executor_options, process_options, run_process
from newscorpus.errors import UserError

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from newscorpus.config import ProcessOptions
    from newscorpus.crawl import CrawlOptions
    from newscorpus.crawl.addresses import Allowed, Network
    from newscorpus.crawl.revisits import Schedule
    from newscorpus.crawl.runner import Team
    from newscorpus.crawl.sources import Source
    from newscorpus.executors import ExecutorChoice


def crawl_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of ``crawl`` (shared by ``build``); their defaults are CrawlOptions'."""
    from newscorpus.crawl.runner import CrawlOptions

    defaults = CrawlOptions()
    options = [
        click.option(
            "--sources",
            "sources_file",
            type=click.Path(path_type=Path),
            default=None,
            help="TOML file of sources (start URLs, feeds, sitemaps, patterns, limits).",
        ),
        click.option(
            "--archive-non-html",
            is_flag=True,
            help="Archive feeds, sitemaps and other non-HTML responses too.",
        ),
        click.option(
            "--allow-private",
            multiple=True,
            is_flag=False,
            flag_value="private",  # bare: loopback and private ranges, as it always meant
            metavar="[ADDRESS|NETWORK[:PORT],...]",
            callback=_allow_private,
            help="Allow these non-public addresses or networks, on one port when named "
            "(127.0.0.1, 127.0.0.1:8080, [::1]:8080, 10.0.0.0/8; repeatable, "
            "comma-separated); bare: loopback and private ranges. Link-local "
            "and cloud metadata addresses only when named.",
        ),
        click.option(
            "--contact",
            default=defaults.contact,
            show_default=True,
            metavar="URL",
            help="Contact URL sent in the User-Agent.",
        ),
        click.option(
            "--delay",
            type=click.FloatRange(min=0),
            default=defaults.delay,
            show_default=True,
            help="Seconds from the end of one request to a host to the next (one at a "
            "time; a larger robots.txt Crawl-delay wins; auto-throttle may add more).",
        ),
        click.option(
            "--concurrency-per-host",
            type=click.IntRange(min=1),
            default=defaults.concurrency_per_host,
            show_default=True,
            help="Requests in flight to one host at most (with --delay 0; with a delay, one).",
        ),
        click.option(
            "--max-depth",
            type=click.IntRange(min=0),
            default=defaults.max_depth,
            show_default=True,
            help="Link hops from a home page, feed or sitemap.",
        ),
        click.option(
            "--max-pages-per-site",
            type=click.IntRange(min=1),
            default=defaults.max_pages_per_site,
            show_default=True,
            help="Requests per site in one crawl.",
        ),
        click.option(
            "--max-page-mb",
            type=click.FloatRange(min=0.01),
            default=defaults.max_page_bytes / 2**20,
            show_default=True,
            help="Largest page, received or decompressed.",
        ),
        click.option(
            "--revisit",
            default="1h,6h,24h,72h",
            show_default=True,
            metavar="DELAYS|off",
            callback=_revisit_schedule,
            help="When an archived article is fetched again after its first archive "
            "(conditional: an unchanged page costs a 304), in the crawls run then; "
            "'off': never. A source's `revisit` wins.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=defaults.timeout,
            show_default=True,
            help="Seconds before a request is given up.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _allow_private(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[Allowed | Network, ...]:
    """--allow-private's values as networks and ports: a bad one is one line, before any
    work."""
    from newscorpus.crawl.addresses import allowed_networks

    return allowed_networks(values)


def _revisit_schedule(ctx: click.Context, param: click.Parameter, value: str) -> Schedule:
    from newscorpus.crawl.revisits import parse_schedule

    return parse_schedule(value)


def _crawl_sources(seeds: list[str], sources_file: Path | None) -> list[Source]:
    from newscorpus.crawl.sources import load_sources, source_from_url

    try:
        sources = [source_from_url(seed) for seed in seeds]
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return sources + (load_sources(sources_file) if sources_file else [])


def _crawl_options_from(options: dict[str, Any], warc_prefix: str | None) -> CrawlOptions:
    """The crawl's options from the command line's (defaults: ``CrawlOptions``'s)."""
    from newscorpus.crawl import CrawlOptions

    defaults = CrawlOptions()
    return CrawlOptions(
        archive_non_html=options.get("archive_non_html", defaults.archive_non_html),
        allow_private=options["allow_private"],
        contact=options["contact"],
        delay=options["delay"],
        concurrency_per_host=options.get("concurrency_per_host", defaults.concurrency_per_host),
        max_depth=options["max_depth"],
        max_pages_per_site=options["max_pages_per_site"],
        max_page_bytes=int(options["max_page_mb"] * 2**20),
        timeout=options["timeout"],
        warc_prefix=warc_prefix or defaults.warc_prefix,
        revisit=options.get("revisit", defaults.revisit),
    )


@contextmanager
def _crawl_status(live: bool) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A status line the crawl's progress updates (when the terminal shows one)."""
    status = console.status("crawling") if live else None

    def progress(stats: dict[str, Any]) -> None:
        if status is None:
            return
        errors = sum(h.get("errors", 0) for h in stats.get("hosts", {}).values())
        status.update(
            f"crawling: {stats.get('downloader/response_count', 0)} pages, "
            f"{stats.get('newscorpus/articles_found', 0)} articles found, "
            f"{stats.get('newscorpus/warc/records', 0)} archived, {errors} errors"
        )

    if status is not None:
        status.start()
    try:
        yield progress
    finally:
        if status is not None:
            status.stop()


def run_crawl_command(
    seeds: list[str],
    run_dir: Path,
    output: Output,
    warc_prefix: str | None = None,
    team: Team | None = None,
    **options: Any,
) -> list[Path]:
    """Crawl with a live status line; returns every WARC file of the run folder."""
    from newscorpus.crawl import run_crawl
    from newscorpus.crawl.runner import WARC_DIR

    sources = _crawl_sources(seeds, options.get("sources_file"))
    crawl_options = _crawl_options_from(options, warc_prefix)
    with _crawl_status(output.live) as progress:
        summary = run_crawl(sources, run_dir, crawl_options, on_progress=progress, team=team)
    stats = summary.stats
    if output.chatty:
        console.print(
            f"crawl: {stats['requests']} requests, {stats['warc_records']} pages archived "
            f"({stats['articles_found']} articles found), {stats['robots_refusals']} refused by "
            f"robots.txt, {stats['traps_cut']} traps cut, {stats['errors']} errors; "
            f"stats in {run_dir / (team.stats_file() if team else 'crawl-stats.json')}"
        )
        revisits = stats.get("revisits") or {}
        if revisits.get("due"):
            console.print(
                f"re-visits: {revisits['due']} due, {revisits.get('archived', 0)} changed "
                f"(archived), {revisits.get('not_modified', 0) + revisits.get('identical', 0)} "
                f"unchanged, {revisits.get('failed', 0)} failed"
            )
        for host, counts in stats["per_host"].items():
            console.print(f"  {host}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    warcs = sorted((run_dir / WARC_DIR).glob("*.warc.gz"))
    output.result({"run": str(run_dir), "warc_files": [str(w) for w in warcs], **stats})
    return warcs


@cli.command("crawl")
@click.argument("seeds", nargs=-1)
@click.option(
    "-o",
    "--out",
    "run_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Run folder: WARC files in RUN/warc, state to resume or re-crawl.",
)
@crawl_options
@click.option(
    "--frontier",
    default=None,
    metavar="redis://HOST:PORT/DB",
    help="Share the crawl with other workers (on any machine) through this Redis: one "
    "queue, one seen-URL set, one politeness per host.",
)
@click.option(
    "--worker-id",
    default=None,
    metavar="NAME",
    help="This worker's name in the frontier and in its WARC file names "
    "[host name and process id].",
)
@click.option(
    "--worker-ttl",
    default=None,
    type=click.FloatRange(min=10.0),
    metavar="SECONDS",
    help="With --frontier: a worker silent this long is taken for dead (its requests go "
    "back to the queue), and a worker that cannot reach Redis this long stops [30].",
)
@click.pass_context
def crawl_command(
    ctx: click.Context,
    /,
    seeds: tuple[str, ...],
    run_dir: Path,
    frontier: str | None,
    worker_id: str | None,
    worker_ttl: float | None,
    **options: Any,
) -> None:
    """Crawl news sites from their home pages into WARC files.

    Discovers articles through robots.txt sitemaps, news sitemaps, RSS/Atom feeds and
    links; obeys robots.txt. Run it again with the same --out to resume a crawl that was
    killed, or later to fetch only what is new.

    With --frontier, start as many workers as you like (same seeds, same --out folder
    name; each writes its own WARC files there): every URL is fetched by one of them.
    """
    from newscorpus.crawl.runner import Team

    if worker_id is not None and frontier is None:
        raise UserError("--worker-id names a worker of a shared crawl: give --frontier too")
    team = None
    if frontier is not None:
        team = Team(frontier, worker_id) if worker_id else Team(frontier)
        team.worker_ttl = worker_ttl or team.worker_ttl
    run_crawl_command(list(seeds), run_dir, ctx.obj, team=team, **options)


@cli.command("build")
@click.argument("seeds", nargs=-1)
@click.option(
    "-o",
    "--out",
    "corpus",
    required=True,
    type=click.Path(path_type=Path),
    help="Corpus folder to create or extend.",
)
@click.option(
    "--run",
    "run_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Crawl folder (default: CORPUS-crawl beside the corpus).",
)
@crawl_options
@executor_options
@process_options
@click.pass_context
def build_command(
    ctx: click.Context,
    /,
    seeds: tuple[str, ...],
    corpus: Path,
    run_dir: Path | None,
    executor: ExecutorChoice,
    process_settings: ProcessOptions,
    keep_dropped: bool,
    **options: Any,
) -> None:
    """Crawl news sites and build a corpus from what was archived (crawl + process)."""
    from newscorpus.corpus import Corpus
    from newscorpus.pipeline import check_schema

    output: Output = ctx.obj
    run_dir = run_dir or corpus.parent / f"{corpus.name}-crawl"
    output_folders(corpus, run_dir)
    # a corpus that cannot be written, or not extended, is said before the crawl
    Corpus(corpus).prepare()
    check_schema(Corpus(corpus))
    warcs = run_crawl_command(list(seeds), run_dir, output.inner(), **options)
    if not warcs:
        raise UserError("the crawl archived no page; nothing to process")
    summary = run_process(
        warcs, corpus, executor, process_settings, output, keep_dropped=keep_dropped
    )
    output.result({**summary, "run": str(run_dir), "warc_files": [str(w) for w in warcs]})
    if output.chatty:
        print_stats(corpus, output)
