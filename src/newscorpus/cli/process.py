"""``process`` and ``ccnews``: WARC files, local or Common Crawl News, into a corpus, with
a progress bar over the shards."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newscorpus.cli._app import Output, cli, console
from newscorpus.errors import UserError

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from newscorpus.config import ProcessOptions
    from newscorpus.executors import ExecutorChoice
    from newscorpus.pipeline import ProgressCallback, ShardResult
    from newscorpus.warc.remote import RemoteWarc


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


workers_option = click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)


def executor_options(function: Callable[..., Any]) -> Callable[..., Any]:
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
    return workers_option(command)


def process_options(function: Callable[..., Any]) -> Callable[..., Any]:
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
        drop_paywalled: bool | None,
        **kwargs: Any,
    ) -> Any:
        from newscorpus.config import load_process_options

        settings = load_process_options(
            config_file, min_words, languages, keep_duplicates, drop_paywalled
        )
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
        click.option(
            "--drop-paywalled",
            is_flag=True,
            default=None,
            help="Drop pages that declare themselves paywalled (kept by default, with "
            "access = paywalled and the text they show).",
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
@executor_options
@process_options
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
@executor_options
@process_options
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
