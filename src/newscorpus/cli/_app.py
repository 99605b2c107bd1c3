"""The command group, what every command prints through (Output), and the one place
that sets up logging handlers."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.logging import RichHandler

from newscorpus._version import __version__
from newscorpus.errors import UserError

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


def interrupt(signum: int, frame: Any) -> None:
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


def require_corpus(corpus: Path) -> None:
    from newscorpus.corpus import DATA_DIR

    if not (corpus / DATA_DIR).is_dir():
        raise UserError(f"{corpus}: not a newscorpus corpus (no {DATA_DIR}/ folder)")


def output_folders(*folders: Path) -> None:
    """Outputs that must be folders: a clear line before any work, never a traceback."""
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{folder} is a file, not a folder to write into; choose another --out")


def end_interrupted_run() -> NoReturn:
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
