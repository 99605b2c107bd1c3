"""``demo``: the bundled multilingual sites served on loopback, crawled and processed."""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click

from newscorpus.cli._app import Output, cli, console, output_folders
from newscorpus.cli.corpus import print_stats
from newscorpus.cli.crawl import run_crawl_command
from newscorpus.cli.process import run_process, workers_option
from newscorpus.crawl.revisits import parse_schedule
from newscorpus.errors import UserError

DEMO_PREFIX = "newscorpus-demo"  # names of the WARC files the demo writes
# The demo crawls twice: the second pass re-visits every article once, after the site
# edited two of them (as newsrooms do within hours; here within seconds).
DEMO_REVISIT = "2s"


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
@workers_option
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
    output_folders(corpus, run_dir)
    _clear_previous_demo(corpus, run_dir)
    with DemoSite() as site:
        for base in site.base_urls:
            output.say(f"demo site up at {base}")
        seeds = [f"{base}/" for base in site.base_urls]
        crawl_options: dict[str, Any] = {
            "warc_prefix": DEMO_PREFIX,
            # the demo's own addresses and ports only: its pages cannot send the crawler
            # elsewhere
            "allow_private": allowed_networks([urlsplit(b).netloc for b in site.base_urls]),
            "contact": "https://github.com/newscorpus/newscorpus#demo",
            "delay": 0.0,
            "max_depth": 3,
            "max_pages_per_site": 500,
            "max_page_mb": 5.0,
            "timeout": 10.0,
            "revisit": parse_schedule(DEMO_REVISIT),
        }
        run_crawl_command(seeds, run_dir, output.inner(), **crawl_options)
        site.meridian.publish_edits()
        output.say("the demo site edited two articles; crawling again to re-visit its articles")
        time.sleep(crawl_options["revisit"][0])  # every article archived is due by then
        # Twisted's reactor runs once per process: the second crawl runs in a new one
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
            warcs = child.submit(
                run_crawl_command, seeds, run_dir, output.inner(), **crawl_options
            ).result()
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
