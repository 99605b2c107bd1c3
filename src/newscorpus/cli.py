"""The ``newscorpus`` command. The only place that sets up logging handlers and progress."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newscorpus._version import __version__
from newscorpus.errors import UserError

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from newscorpus.config import ProcessOptions
    from newscorpus.crawl import CrawlOptions
    from newscorpus.crawl.addresses import Allowed, Network
    from newscorpus.crawl.runner import Team
    from newscorpus.crawl.sources import Source
    from newscorpus.executors import ExecutorChoice
    from newscorpus.pipeline import ProgressCallback, ShardResult
    from newscorpus.warc.remote import RemoteWarc

console = Console(stderr=True)
out = Console()


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(
        level=level,
        format="%(message)s",
        # the level on the handler too: libraries that reset their own loggers' levels
        # (scrapy sets its loggers to DEBUG when a crawl starts) still print nothing below it
        handlers=[RichHandler(level=level, console=console, show_path=False, show_time=False)],
    )
    # trafilatura and htmldate are chatty about every page they cannot parse.
    for noisy in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(level, logging.ERROR))


INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C


class _Group(click.Group):
    """Turns UserError into one red line and exit status 2, never a traceback; an
    interrupted run (Ctrl-C, SIGTERM) into one line and exit status 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            console.print(
                "interrupted: what was finished is kept; run the same command again to go on",
                style="yellow",
                highlight=False,
            )
            ctx.exit(INTERRUPTED)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscorpus")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="For scripts: the result as JSON on stdout, no progress bars or tables.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, as_json: bool) -> None:
    """Build clean, deduplicated, multilingual news corpora from WARC archives."""
    _setup_logging(verbose, quiet)
    ctx.obj = Output(quiet=quiet, as_json=as_json)


@dataclass(slots=True)
class Output:
    """What the user asked to see: progress and messages, only errors, or JSON."""

    quiet: bool = False
    as_json: bool = False

    @property
    def chatty(self) -> bool:
        """Messages and summaries for people (on stderr)."""
        return not self.quiet and not self.as_json

    @property
    def live(self) -> bool:
        """Progress bars and status lines: for people, on a terminal."""
        return self.chatty and console.is_terminal

    def inner(self) -> Output:
        """For a step inside a command (a crawl inside ``build``): with --json, the step
        stays silent and only the command prints its result."""
        return replace(self, as_json=False, quiet=self.quiet or self.as_json)

    def say(self, message: str) -> None:
        if self.chatty:
            console.print(message)

    def result(self, data: Any) -> None:
        """The command's result as one JSON document on stdout (with --json)."""
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))


_STAGE_LABELS = {"extract": "extracting", "filter": "filtering", "store": "storing"}


@contextmanager
def _shard_progress(enabled: bool) -> Iterator[ProgressCallback]:
    """A progress bar over the stages of every shard, fed by the pipeline's callback.

    The bar (and its refresh thread) starts at the first finished shard, after the worker
    processes exist: the local executor forks workers only from a single-threaded process.
    """
    if not enabled:
        yield lambda stage, result, done, total: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    progress = Progress(*columns, console=console, transient=True)
    task = progress.add_task("extracting", total=None, status="")
    kept = 0
    read: Counter[str] = Counter()

    def update(stage: str, result: ShardResult, done: int, total: int) -> None:
        nonlocal kept
        if not progress.live.is_started:
            progress.start()
        if stage == "store":
            kept += result.kept
        if stage == "extract":
            read.update(result.counts)
        status = f"{kept:,} documents"
        if read["read.downloaded_bytes"]:  # streamed sources: what came down the wire
            status += (
                f" · {read['read.downloaded_bytes'] / 1e6:,.1f} MB · "
                f"{read['read.html']:,} of {read['read.responses']:,} responses kept"
            )
        description = f"{_STAGE_LABELS.get(stage, stage)} shards"
        progress.update(task, completed=done, total=total, status=status, description=description)

    try:
        yield update
    finally:
        progress.stop()


def run_process(
    inputs: Sequence[Path | RemoteWarc],
    corpus: Path,
    executor: ExecutorChoice,
    options: ProcessOptions,
    output: Output,
    records_per_shard: int = 500,
    keep_dropped: bool = False,
) -> dict[str, Any]:
    """Run ``process`` (on the ``ExecutorChoice``) with a progress bar; returns the summary
    printed by --json."""
    from newscorpus.pipeline import process
    from newscorpus.store.manifest import read_manifest

    with executor.make() as running, _shard_progress(output.live) as on_progress:
        summary = process(
            inputs,
            corpus,
            options=options,
            executor=running,
            records_per_shard=records_per_shard,
            on_progress=on_progress,
            keep_dropped=keep_dropped,
        )
    totals = summary.totals()
    for result in summary.results:
        if result.warning and not result.resumed:
            console.print(f"[yellow]warning:[/] {result.warning}")
    resumed = sum(1 for r in summary.results if r.resumed)
    manifest = read_manifest(corpus)
    output.say(
        f"{len(summary.results)} shard(s) ({resumed} already done), "
        f"{totals.get('read.html', 0):,} HTML pages read, "
        f"{totals.get('write.documents', 0):,} documents written; "
        f"{manifest['documents']:,} documents, {manifest['words']:,} words in "
        f"{len(manifest['languages'])} language(s) in {corpus}"
    )
    for result in summary.failed:
        first_line = (result.error or "").splitlines()[0]
        console.print(f"[red]error:[/] shard {result.shard} ({result.input}): {first_line}")
    data = {
        "corpus": str(corpus),
        "shards": len(summary.results),
        "shards_already_done": resumed,
        "shards_failed": [r.shard for r in summary.failed],
        "html_pages_read": totals.get("read.html", 0),
        "documents_written": totals.get("write.documents", 0),
        "corpus_documents": manifest["documents"],
        "corpus_words": manifest["words"],
        "languages": {k: v["documents"] for k, v in manifest["languages"].items()},
        "counts": dict(sorted(totals.items())),
    }
    if summary.failed:
        output.result(data)
        raise click.ClickException(
            f"{len(summary.failed)} shard(s) failed; run the same command again to retry them"
        )
    return data


_workers_option = click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)


def _executor_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--workers, --executor and --ray-address, handed to the command as one checked
    ``executor`` (ExecutorChoice)."""
    from newscorpus.executors import EXECUTORS, ExecutorChoice

    @functools.wraps(function)
    def with_executor(
        *args: Any, workers: int | None, executor: str, ray_address: str | None, **kwargs: Any
    ) -> Any:
        choice = ExecutorChoice(executor, workers, ray_address)
        choice.check()
        return function(*args, executor=choice, **kwargs)

    command: Callable[..., Any] = click.option(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="Ray cluster to run on: auto, HOST:PORT or ray://HOST:10001 "
        "(default: a local Ray with --workers CPUs).",
    )(with_executor)
    command = click.option(
        "--executor",
        type=click.Choice(EXECUTORS),
        default="local",
        show_default=True,
        help="Where shards run: worker processes here, or Ray tasks.",
    )(command)
    return _workers_option(command)


def _process_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of ``process`` (shared by ``build`` and ``ccnews``). The command gets
    them read and checked as one ``process_settings`` (ProcessOptions), plus
    ``keep_dropped``."""

    @functools.wraps(function)
    def with_settings(
        *args: Any,
        config_file: Path | None,
        min_words: int | None,
        languages: tuple[str, ...],
        keep_duplicates: bool | None,
        **kwargs: Any,
    ) -> Any:
        from newscorpus.config import load_process_options

        settings = load_process_options(config_file, min_words, languages, keep_duplicates)
        return function(*args, process_settings=settings, **kwargs)

    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="TOML file with a [process] table (thresholds, boilerplate, languages).",
        ),
        click.option(
            "--min-words",
            type=click.IntRange(min=0),
            default=None,
            help="Drop documents with fewer words (a CJK character counts as one) [50].",
        ),
        click.option(
            "--language",
            "languages",
            multiple=True,
            metavar="CODE",
            help="Keep only these languages (ISO 639-1; repeat the option for several).",
        ),
        click.option(
            "--keep-dropped",
            is_flag=True,
            help="Keep dropped documents aside in CORPUS/dropped/<step>/, with the reason.",
        ),
        click.option(
            "--keep-duplicates",
            is_flag=True,
            default=None,
            help="Keep duplicates in the corpus, tagged with duplicate_of, instead of dropping.",
        ),
    ]
    command: Callable[..., Any] = with_settings
    for option in reversed(options):
        command = option(command)
    return command


@cli.command("process")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "corpus",
    required=True,
    type=click.Path(path_type=Path),
    help="Corpus folder to create or resume.",
)
@_executor_options
@_process_options
@click.option(
    "--records-per-shard",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="HTML responses per shard (the unit of parallel work and of resume).",
)
@click.pass_context
def process_command(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    corpus: Path,
    executor: ExecutorChoice,
    process_settings: ProcessOptions,
    keep_dropped: bool,
    records_per_shard: int,
) -> None:
    """Extract articles from WARC files (or folders of them) into a corpus.

    Rerun the same command after a crash: finished shards are kept, the rest is redone.
    """
    output: Output = ctx.obj
    summary = run_process(
        list(inputs),
        corpus,
        executor,
        process_settings,
        output,
        records_per_shard=records_per_shard,
        keep_dropped=keep_dropped,
    )
    output.result(summary)


def _require_corpus(corpus: Path) -> None:
    from newscorpus.corpus import DATA_DIR

    if not (corpus / DATA_DIR).is_dir():
        raise UserError(f"{corpus}: not a newscorpus corpus (no {DATA_DIR}/ folder)")


def print_stats(corpus: Path, output: Output) -> None:
    """The corpus's figures as tables on stdout, or as JSON with --json."""
    from newscorpus.store.stats import corpus_stats

    _require_corpus(corpus)
    stats = corpus_stats(corpus)
    if output.as_json:
        output.result({"corpus": str(corpus), **stats.as_json()})
        return
    summary = Table(title=f"corpus {corpus}", show_header=False, title_justify="left")
    summary.add_row("documents", f"{stats.documents:,}")
    summary.add_row("words", f"{stats.words:,}")
    summary.add_row("languages", str(len(stats.languages)))
    summary.add_row("domains", str(len(stats.domains)))
    summary.add_row("published", f"{stats.earliest or '?'} … {stats.latest or '?'}")
    summary.add_row("parquet files", f"{stats.files} ({stats.bytes / 1e6:.1f} MB)")
    out.print(summary)
    languages = Table("language", "documents", "words", title="by language", title_justify="left")
    for language, count in stats.languages.most_common():
        languages.add_row(language, f"{count:,}", f"{stats.words_by_language[language]:,}")
    out.print(languages)
    domains = Table("domain", "documents", title="by domain (top 20)", title_justify="left")
    for domain, count in stats.domains.most_common(20):
        domains.add_row(domain, f"{count:,}")
    out.print(domains)


@cli.command("stats")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.pass_context
def stats_command(ctx: click.Context, corpus: Path) -> None:
    """Documents, words, languages, domains and date range of a corpus."""
    print_stats(corpus, ctx.obj)


@cli.command("export")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["txt", "jsonl"]),
    default="txt",
    show_default=True,
    help="txt: one NNN_<id>.txt file per document; jsonl: one file per shard.",
)
@click.option(
    "-o", "--out", required=True, type=click.Path(path_type=Path), help="Folder to write into."
)
@click.option("--language", default=None, metavar="CODE", help="Export one language only.")
@click.pass_context
def export_command(
    ctx: click.Context, corpus: Path, fmt: str, out: Path, language: str | None
) -> None:
    """Export the documents of a corpus as text files or JSON Lines."""
    from newscorpus.store.export import export

    _require_corpus(corpus)
    try:
        written = export(corpus, out, fmt, language)
    except OSError as exc:
        raise UserError(f"{out}: cannot write here ({exc.strerror or exc})") from exc
    output: Output = ctx.obj
    output.say(f"{written:,} document(s) written to {out}")
    output.result({"corpus": str(corpus), "out": str(out), "format": fmt, "documents": written})


@cli.command("report")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the page [CORPUS/report.html].",
)
@click.pass_context
def report_command(ctx: click.Context, corpus: Path, out: Path | None) -> None:
    """Write report.html: charts of languages, sites, dates, lengths, what was removed
    and why, boilerplate, duplicates, and sample documents. One self-contained page."""
    from newscorpus.report import write_report

    _require_corpus(corpus)
    output: Output = ctx.obj
    status = console.status("reading the corpus") if output.live else None
    if status is not None:
        status.start()
    try:
        path = write_report(corpus, out)
    except OSError as exc:
        raise UserError(
            f"{out or corpus}: cannot write the report ({exc.strerror or exc})"
        ) from exc
    finally:
        if status is not None:
            status.stop()
    output.say(f"report written to {path}")
    output.result({"corpus": str(corpus), "report": str(path)})


def _cell(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@cli.command("query")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.argument("sql")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl"]),
    default="table",
    show_default=True,
    help="table for reading; csv and jsonl print every row, for other tools.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Rows shown in a table (csv, jsonl and --json print all).",
)
@click.pass_context
def query_command(ctx: click.Context, corpus: Path, sql: str, fmt: str, max_rows: int) -> None:
    """Run SQL (DuckDB) over the corpus: its documents are the table ``docs``.

    \b
    newscorpus query corpus "SELECT language, count(*) FROM docs GROUP BY 1"
    newscorpus query corpus "SELECT domain, avg(word_count) FROM docs GROUP BY 1" --format csv

    With --keep-dropped, the dropped documents are the table ``dropped``.
    """
    from rich.text import Text

    from newscorpus.store.query import open_query, run_query

    _require_corpus(corpus)
    output: Output = ctx.obj
    if output.as_json or fmt != "table":
        with open_query(corpus, sql) as result:
            batches = result.batches() if result.columns else iter([])
            _print_rows(result.columns, batches, "json" if output.as_json else fmt)
        return
    shown = run_query(corpus, sql, max_rows=max_rows)
    table = Table(title_justify="left")
    for name in shown.columns:
        table.add_column(Text(name))
    width = max(12, (out.width - 4) // max(1, len(shown.columns)))
    for row in shown.rows:  # Text: the corpus's brackets are not rich markup
        table.add_row(*(Text("" if v is None else _cell(v, min(width, 80))) for v in row))
    out.print(table)
    more = " (more not shown: raise --max-rows or use --format csv)" if shown.truncated else ""
    output.say(f"{len(shown.rows):,} row(s){more}")


def _print_rows(columns: list[str], batches: Iterator[list[tuple[Any, ...]]], fmt: str) -> None:
    """Every row, streamed: csv, JSON Lines, or one JSON array (--json)."""
    import csv
    import sys

    def plain(value: Any) -> Any:  # csv cells: nested values as JSON
        if value is None or isinstance(value, str | int | float):
            return value
        return json.dumps(value, ensure_ascii=False, default=str)

    writer = csv.writer(sys.stdout)
    if fmt == "csv":
        writer.writerow(columns)
    first = True
    if fmt == "json":
        sys.stdout.write("[")
    for batch in batches:
        for row in batch:
            if fmt == "csv":
                writer.writerow([plain(v) for v in row])
                continue
            record = json.dumps(
                dict(zip(columns, row, strict=True)), ensure_ascii=False, default=str
            )
            if fmt == "json":
                sys.stdout.write(("\n" if first else ",\n") + record)
                first = False
            else:
                sys.stdout.write(record + "\n")
    if fmt == "json":
        sys.stdout.write("\n]\n")


@cli.command("sample")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option("-n", "count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--language", default=None, metavar="CODE", help="Only this language.")
@click.option("--domain", default=None, metavar="HOST", help="Only this site.")
@click.option("--seed", type=int, default=None, help="Same seed, same documents.")
@click.option(
    "--max-chars",
    type=click.IntRange(min=0),
    default=1500,
    show_default=True,
    help="Text shown per document (0: all of it).",
)
@click.pass_context
def sample_command(
    ctx: click.Context,
    corpus: Path,
    count: int,
    language: str | None,
    domain: str | None,
    seed: int | None,
    max_chars: int,
) -> None:
    """Print random documents of a corpus, readably (--json: every field)."""
    from rich.rule import Rule
    from rich.text import Text

    from newscorpus.store.sample import sample_documents

    _require_corpus(corpus)
    output: Output = ctx.obj
    rows = sample_documents(corpus, count, language=language, domain=domain, seed=seed)
    if output.as_json:
        output.result(rows)
        return
    if not rows:
        raise UserError(
            "no document matches"
            + (f" language {language!r}" if language else "")
            + (f" domain {domain!r}" if domain else "")
        )
    for number, row in enumerate(rows, 1):
        facts = [row["language"], row["domain"], (row.get("published") or "undated")[:16]]
        facts.append(f"{row['word_count']:,} words")
        out.print(Rule(Text(f"{number}/{len(rows)} · " + " · ".join(facts)), align="left"))
        out.print(Text(row.get("title") or "(no title)", style="bold"))
        out.print(Text(row["url"], style="dim"))
        if row.get("authors"):
            out.print(Text("by " + ", ".join(row["authors"]), style="italic"))
        text = row["text"]
        if max_chars and len(text) > max_chars:
            text = (
                text[:max_chars].rsplit(" ", 1)[0]
                + f" … [{len(row['text']) - max_chars:,} more characters]"
            )
        out.print()
        out.print(Text(text))
        out.print()


@cli.command("publish")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option(
    "--repo", "repo_id", required=True, metavar="ORG/NAME", help="Hub dataset repository."
)
@click.option("--token", default=None, help="HuggingFace token [HF_TOKEN or `hf auth login`].")
@click.option("--private", is_flag=True, help="Create the repository as private.")
@click.option("--include-dropped", is_flag=True, help="Upload dropped/ too.")
@click.option("--dry-run", is_flag=True, help="List what would be uploaded; no network.")
@click.pass_context
def publish_command(
    ctx: click.Context,
    corpus: Path,
    repo_id: str,
    token: str | None,
    private: bool,
    include_dropped: bool,
    dry_run: bool,
) -> None:
    """Upload the corpus to the HuggingFace Hub as a dataset (card, manifest, report, shards).

    The working state (.state/) stays home. Needs a token with write access.
    """
    from newscorpus.publish import plan_publish, publish

    output: Output = ctx.obj
    if dry_run:
        plan = plan_publish(corpus, repo_id, include_dropped)
        output.say(
            f"would upload {len(plan.files)} file(s), {plan.bytes / 1e6:,.1f} MB to {repo_id}:"
        )
        for name in plan.files:
            output.say(f"  {name}")
        output.result({"repo": repo_id, "files": plan.files, "bytes": plan.bytes, "dry_run": True})
        return
    if not output.live:
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # read when the hub is imported
    plan = publish(corpus, repo_id, token=token, private=private, include_dropped=include_dropped)
    output.say(f"published {len(plan.files)} file(s), {plan.bytes / 1e6:,.1f} MB: {plan.url}")
    output.result(
        {
            "repo": repo_id,
            "url": plan.url,
            "commit": plan.commit,
            "files": plan.files,
            "bytes": plan.bytes,
        }
    )


def _crawl_options(function: Callable[..., Any]) -> Callable[..., Any]:
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
@_crawl_options
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
@_crawl_options
@_executor_options
@_process_options
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

    output: Output = ctx.obj
    run_dir = run_dir or corpus.parent / f"{corpus.name}-crawl"
    _output_folders(corpus, run_dir)
    Corpus(corpus).prepare()  # a corpus that cannot be written is said before the crawl
    warcs = run_crawl_command(list(seeds), run_dir, output.inner(), **options)
    if not warcs:
        raise UserError("the crawl archived no page; nothing to process")
    summary = run_process(
        warcs, corpus, executor, process_settings, output, keep_dropped=keep_dropped
    )
    output.result({**summary, "run": str(run_dir), "warc_files": [str(w) for w in warcs]})
    if output.chatty:
        print_stats(corpus, output)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r}: expected a date like 2024-01-31") from None


@cli.command("ccnews")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day (included).")
@click.option(
    "-o",
    "--out",
    "corpus",
    required=True,
    type=click.Path(path_type=Path),
    help="Corpus folder to create, resume or extend.",
)
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File of domains to keep, one per line (subdomains included).",
)
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN", help="A domain to keep.")
@click.option("--max-files", type=click.IntRange(min=1), default=None, help="At most N files.")
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Where crawl-data/CC-NEWS/ lives: a mirror, a local folder or s3://… "
    "[https://data.commoncrawl.org/].",
)
@click.option(
    "--keep-warc",
    "keep_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also keep a copy of each WARC file read, in this folder.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="Retries of a failed download, resuming where it broke.",
)
@click.option(
    "--backoff",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds before the first retry; doubled at each retry.",
)
@_executor_options
@_process_options
@click.pass_context
def ccnews_command(  # noqa: PLR0913 (click passes each of its options as an argument)
    ctx: click.Context,
    start: str,
    end: str,
    corpus: Path,
    sites_file: Path | None,
    domains: tuple[str, ...],
    max_files: int | None,
    base_url: str | None,
    keep_dir: Path | None,
    retries: int,
    backoff: float,
    executor: ExecutorChoice,
    process_settings: ProcessOptions,
    keep_dropped: bool,
) -> None:
    """Build a corpus from Common Crawl News: the month listings' WARC files whose crawl
    started between --from and --to, streamed, with only the chosen sites parsed.

    \b
    newscorpus ccnews --from 2024-01-01 --to 2024-01-31 --language fr \\
        --sites french-sites.txt --out cc-fr-2024-01

    Each WARC file is a shard: run the same command again after a crash to finish.
    """
    from newscorpus.ccnews import (
        DEFAULT_BASE_URL,
        CCNewsSelection,
        parse_domains,
        read_sites_file,
        select_files,
    )

    output: Output = ctx.obj
    selected = parse_domains(domains)
    if sites_file is not None:
        selected |= read_sites_file(sites_file)
    selection = CCNewsSelection(
        start=_date(start, "--from"),
        end=_date(end, "--to"),
        domains=selected,
        base_url=base_url or DEFAULT_BASE_URL,
        max_files=max_files,
        retries=retries,
        backoff=backoff,
        keep_dir=str(keep_dir) if keep_dir else None,
    )
    files = select_files(selection)
    if not files:
        raise UserError(f"no CC-NEWS WARC file between {selection.start} and {selection.end}")
    sites = f"{len(selected)} site(s)" if selected else "every site"
    output.say(f"{len(files)} CC-NEWS file(s) from {selection.start} to {selection.end}, {sites}")
    summary = run_process(
        files, corpus, executor, process_settings, output, keep_dropped=keep_dropped
    )
    _say_what_came_down(output, corpus, summary["counts"])
    output.result({**summary, "files": [f.url for f in files]})


def _say_what_came_down(output: Output, corpus: Path, counts: dict[str, int]) -> None:
    output.say(
        f"read {counts.get('read.downloaded_bytes', 0) / 1e6:,.1f} MB, "
        f"{counts.get('read.responses', 0):,} responses, "
        f"{counts.get('read.skipped_other_site', 0):,} of other sites skipped from their headers, "
        f"{counts.get('read.retries', 0)} retries"
    )
    if output.chatty:
        from newscorpus.store.manifest import read_manifest, top_domains

        for domain, count in top_domains(read_manifest(corpus), 20):
            console.print(f"  {domain}: {count:,} documents")


DEMO_PREFIX = "newscorpus-demo"  # names of the WARC files the demo writes


def _output_folders(*folders: Path) -> None:
    """Outputs that must be folders: a clear line before any work, never a traceback."""
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{folder} is a file, not a folder to write into; choose another --out")


def _clear_previous_demo(corpus: Path, run_dir: Path) -> None:
    """A rerun of the demo starts afresh; anything that is not a demo output is kept."""
    import shutil

    from newscorpus.corpus import Corpus
    from newscorpus.store.plan import ShardPlan

    if corpus.exists() and any(corpus.iterdir()):
        names = ShardPlan.read(Corpus(corpus)).names()
        if not names or not all(n.startswith(DEMO_PREFIX) for n in names):
            raise UserError(f"{corpus} exists and is not a demo corpus; choose another --out")
        shutil.rmtree(corpus)
    if run_dir.exists():
        warcs = list((run_dir / "warc").glob("*.warc*"))
        if not all(w.name.startswith(DEMO_PREFIX) for w in warcs):
            raise UserError(f"{run_dir} exists and is not a demo crawl; choose another --out")
        shutil.rmtree(run_dir)


@cli.command("demo")
@click.option(
    "-o",
    "--out",
    "corpus",
    default=Path("corpus"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="Corpus folder to write (the crawl goes to CORPUS-crawl beside it).",
)
@click.option("--keep-serving", is_flag=True, help="Keep the demo site up until Ctrl-C.")
@_workers_option
@click.pass_context
def demo_command(ctx: click.Context, corpus: Path, keep_serving: bool, workers: int | None) -> None:
    """Serve the bundled multilingual demo news sites on loopback, crawl them, build a corpus."""
    from urllib.parse import urlsplit

    from newscorpus.crawl.addresses import allowed_networks
    from newscorpus.demo import DemoSite
    from newscorpus.executors import ExecutorChoice
    from newscorpus.report import write_report

    output: Output = ctx.obj
    run_dir = corpus.parent / f"{corpus.name}-crawl"
    _output_folders(corpus, run_dir)
    _clear_previous_demo(corpus, run_dir)
    with DemoSite() as site:
        for base in site.base_urls:
            output.say(f"demo site up at {base}")
        warcs = run_crawl_command(
            [f"{base}/" for base in site.base_urls],
            run_dir,
            output.inner(),
            warc_prefix=DEMO_PREFIX,
            # the demo's own addresses and ports only: its pages cannot send the crawler
            # elsewhere
            allow_private=allowed_networks([urlsplit(base).netloc for base in site.base_urls]),
            contact="https://github.com/newscorpus/newscorpus#demo",
            delay=0.0,
            max_depth=3,
            max_pages_per_site=500,
            max_page_mb=5.0,
            timeout=10.0,
        )
        from newscorpus.config import ProcessOptions

        summary = run_process(
            warcs, corpus, ExecutorChoice(workers=workers), ProcessOptions(), output
        )
        report = write_report(corpus)
        output.result({**summary, "report": str(report)})
        if output.chatty:
            print_stats(corpus, output)
            console.print(f"report: {report} (open it in a browser)")
        if keep_serving:
            # Ctrl-C is how serving ends: a normal end, even as the line below is printed
            with contextlib.suppress(KeyboardInterrupt):
                console.print("serving; press Ctrl-C to stop")
                site.wait()


def main() -> None:
    # Worker processes inherit this: library deprecation chatter is not for users.
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    signal.signal(signal.SIGTERM, _interrupt)  # stops a run as Ctrl-C does: cleanly
    try:
        cli(prog_name="newscorpus")
    except SystemExit as stop:
        if stop.code == INTERRUPTED:
            _end_interrupted_run()
        raise


def _end_interrupted_run() -> NoReturn:
    """End an interrupted run now. Its own clean-up has run (workers stopped, half-written
    files removed, the note printed); what is left are the interpreter's exit handlers,
    and those of concurrent.futures and multiprocessing wait for worker processes: a
    worker that does not stop (once, one that took SIGTERM for its task's error and then
    waited on a lock forever) must not keep an interrupted run alive. Nothing of ours
    needs them: they are skipped."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED)


if __name__ == "__main__":
    main()
