"""Shared fixtures: real WARC files, the real demo site, the shared data folder."""

from __future__ import annotations

import os
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


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def write_warc(
    directory: Path,
    pages: list[tuple[str, bytes, list[tuple[str, str]]]],
    prefix: str = "test",
) -> Path:
    """A real WARC file holding one response per (url, body, response headers)."""
    writer = WarcFileWriter(directory, prefix=prefix)
    with writer:
        for url, body, headers in pages:
            writer.write_exchange(url, [("User-Agent", "test")], "200 OK", headers, body)
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
