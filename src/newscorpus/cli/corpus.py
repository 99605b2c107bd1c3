"""Commands that read a corpus: stats, export, report, query, sample, publish."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from newscorpus.cli._app import Output, cli, console, out, require_corpus
from newscorpus.errors import UserError


def print_stats(corpus: Path, output: Output) -> None:
    """The corpus's figures as tables on stdout, or as JSON with --json."""
    from newscorpus.store.stats import corpus_stats

    require_corpus(corpus)
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

    require_corpus(corpus)
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

    require_corpus(corpus)
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

    require_corpus(corpus)
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

    require_corpus(corpus)
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


_PIECE_STYLES = {"=": "", "-": "red strike", "+": "green"}
_PIECE_MARKS = {"=": ("", ""), "-": ("[-", "-]"), "+": ("{+", "+}")}


def _render(pieces: list[tuple[str, str]], plain: bool) -> str:
    """Word pieces as one line: coloured on a terminal, else marked as ``wdiff`` and
    ``git diff --word-diff=plain`` mark them ([-removed-] {+added+})."""
    from rich.markup import escape

    parts = []
    for tag, words in pieces:
        if plain:
            start, end = _PIECE_MARKS[tag]
            parts.append(f"{start}{words}{end}")
        else:
            style = _PIECE_STYLES[tag]
            parts.append(f"[{style}]{escape(words)}[/]" if style else escape(words))
    return "".join(parts)


def _describe_changes(changes: dict[str, Any] | None) -> str:
    if not changes:
        return "first version"
    said = ["title changed"] if changes["title_changed"] else []
    for key, word in (
        ("paragraphs_added", "added"),
        ("paragraphs_changed", "changed"),
        ("paragraphs_removed", "removed"),
    ):
        if changes[key]:
            said.append(f"{changes[key]} paragraph{'s' if changes[key] > 1 else ''} {word}")
    return ", ".join(said) or "no change in paragraphs"


@cli.command("history")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.argument("article")
@click.option("--full", is_flag=True, help="Show every paragraph, not only those that changed.")
@click.pass_context
def history_command(ctx: click.Context, corpus: Path, article: str, full: bool) -> None:
    """The versions of one ARTICLE (its id or URL), each with a word-level diff against
    the version before it."""
    from newscorpus.store.history import article_versions, text_diff, word_diff

    require_corpus(corpus)
    output: Output = ctx.obj
    versions = article_versions(corpus, article.strip())
    if not versions:
        raise UserError(f"{corpus} holds no article {article}")
    if output.as_json:
        diffs = [
            {
                "title": word_diff(before["title"] or "", after["title"] or ""),
                "paragraphs": [p.pieces for p in text_diff(before["text"], after["text"])],
            }
            for before, after in pairwise(versions)
        ]
        output.result({"versions": versions, "diffs": [None, *diffs]})
        return
    plain = not out.is_terminal

    def say(line: str = "", marked: bool = False) -> None:
        """One line as it is (page text holds brackets), or with the diff's colours."""
        out.print(line, markup=marked and not plain, highlight=False, soft_wrap=True)

    first = versions[0]
    say(f"{first['canonical_url']} (id {first['id']}): {len(versions)} version(s)")
    previous: dict[str, Any] | None = None
    for version in versions:
        when, changes = version["crawled_at"] or "?", _describe_changes(version["changes"])
        say()
        say(f"version {version['version']}, fetched {when}: {changes}")
        if previous is None:
            say(f"  title: {version['title']}")
            for paragraph in version["text"].split("\n\n") if full else []:
                say(f"  {paragraph}")
            previous = version
            continue
        title = word_diff(previous["title"] or "", version["title"] or "")
        say(f"  title: {_render(title, plain)}", marked=True)
        skipped = 0
        for paragraph in [*text_diff(previous["text"], version["text"]), None]:
            if paragraph is not None and not paragraph.changed and not full:
                skipped += 1
                continue
            if skipped:
                say(f"  [… {skipped} unchanged paragraph(s)]")
                skipped = 0
            if paragraph is not None:
                say(f"  {_render(paragraph.pieces, plain)}", marked=True)
        previous = version
