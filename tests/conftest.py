"""Shared fixtures: real WARC files, the real demo site, the shared data folder."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscorpus.demo import DemoSite
from newscorpus.warc import WarcFileWriter

SHARED = Path(os.environ.get("NEWSCORPUS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
WARC_SAMPLES = SHARED / "fixtures" / "warc"
FUNDUS = SHARED / "benchmarks" / "extraction" / "fundus"

# No test may reach the internet; the datasets library must not try either.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1 (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ctrl_c_reaches_it() -> None:
    """`preexec_fn` for a child that a test stops with SIGINT, as Ctrl-C in a terminal would.

    A shell without job control starts background jobs with SIGINT ignored (`pytest &` in a
    script), the child inherits that and Python keeps it: Ctrl-C would then be tested against a
    process told by its parent to ignore it, and fail while the code is right."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def write_warc(
    directory: Path,
    pages: list[tuple[str, bytes, list[tuple[str, str]]]],
    prefix: str = "test",
    dates: list[str] | None = None,
) -> Path:
    """A real WARC file holding one response per (url, body, response headers), fetched
    at ``dates`` (WARC-Date) when given, else now."""
    writer = WarcFileWriter(directory, prefix=prefix)
    with writer:
        for n, (url, body, headers) in enumerate(pages):
            date = dates[n] if dates else None
            writer.write_exchange(url, [("User-Agent", "test")], "200 OK", headers, body, date=date)
    (path,) = writer.files
    return path


def html_page(title: str, paragraphs: list[str], lang: str = "en", head: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}"
        "</article><footer>Footer</footer></body></html>"
    ).encode()


@pytest.fixture(scope="session")
def demo_site() -> Iterator[DemoSite]:
    with DemoSite() as site:
        yield site


def crawl(
    seeds: list[str], run_dir: Path, *options: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``newscorpus crawl`` in its own process (Twisted's reactor runs once per process)."""
    command = [
        sys.executable,
        "-m",
        "newscorpus",
        "crawl",
        *seeds,
        "--out",
        str(run_dir),
        "--allow-private",
        "--delay",
        "0",
        *options,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def demo_warc(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real crawl of the demo sites, archived in one WARC file."""
    run_dir = tmp_path_factory.mktemp("demo-crawl")
    result = crawl([f"{base}/" for base in demo_site.base_urls], run_dir)
    assert result.returncode == 0, result.stderr
    (warc,) = (run_dir / "warc").glob("*.warc.gz")
    return warc


_SUBJECTS = [
    "The city council", "The regional court", "A local bakery", "The football club",
    "The hospital board", "A group of farmers", "The fire brigade", "The university",
    "The harbour authority", "A charity", "The school district", "The bus company",
    "The museum", "A software start-up", "The police", "The chamber of commerce",
]  # fmt: skip
_VERBS = [
    "approved", "rejected", "announced", "postponed", "criticised", "welcomed",
    "investigated", "celebrated", "funded", "questioned", "delayed", "presented",
]  # fmt: skip
_OBJECTS = [
    "a plan for new cycle lanes", "the budget for the coming year", "a report on air quality",
    "the closure of the old bridge", "a festival in the market square", "higher parking fees",
    "a study of river pollution", "the renovation of the library", "a new night bus line",
    "plans for a wind farm", "the merger of two schools", "a ban on fireworks",
    "the sale of the town hall", "a programme for young workers", "the opening of a clinic",
]  # fmt: skip
_WHEN = [
    "on Monday", "on Tuesday evening", "last week", "after a long debate", "in a short statement",
    "on Friday morning", "at a public meeting", "during a press conference", "late on Sunday",
]  # fmt: skip
_TAILS = [
    "", " with {} votes in favour", ", a cost of {} euros", " after {} complaints",
    ", affecting {} households", " in district {}", ", its {}th decision this year",
    " following a petition signed by {} people", "",
]  # fmt: skip
_COMMENTS = [
    "Residents said they had waited years for a decision.",
    "Critics argued that the cost had been underestimated.",
    "Officials promised to publish the details within a month.",
    "Several shop owners expressed concern about the timing.",
    "The opposition called for an independent review.",
    "Supporters gathered outside the building to watch the vote.",
]


def news_paragraphs(seed: int, paragraphs: int = 3, sentences: int = 4) -> list[str]:
    """English news paragraphs, different for every seed (so that articles are not
    near-duplicates of each other) and shaped like real ones (they pass the filters)."""
    rng = random.Random(seed)
    # no subject or object twice in one article: its sentences must not repeat each other
    subjects, objects = rng.sample(_SUBJECTS, len(_SUBJECTS)), rng.sample(_OBJECTS, len(_OBJECTS))
    whens, tails = rng.sample(_WHEN, len(_WHEN)), rng.sample(_TAILS, len(_TAILS))
    result = []
    for p in range(paragraphs):
        parts = []
        for k in range(sentences):
            n = (p * sentences + k) % len(objects)
            parts.append(
                f"{subjects[n % len(subjects)]} {rng.choice(_VERBS)} {objects[n]} "
                f"{whens[n % len(whens)]}{tails[n % len(tails)].format(rng.randint(2, 4000))}."
            )
            if k == 1 and p < len(_COMMENTS):
                parts.append(_COMMENTS[(seed + p) % len(_COMMENTS)])
        result.append(" ".join(parts))
    return result


@pytest.fixture(scope="session")
def demo_corpus(demo_warc: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo crawl processed into a corpus, dropped documents kept. Read it, never change
    it: tests that write into a corpus copy it first."""
    from newscorpus import LocalExecutor, process

    corpus = tmp_path_factory.mktemp("demo-corpus") / "corpus"
    process([demo_warc], corpus, executor=LocalExecutor(1), keep_dropped=True)
    return corpus
