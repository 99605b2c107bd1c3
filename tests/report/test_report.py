"""report.html: rendered in a real headless Chromium, and checked without one."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from newscorpus import LocalExecutor, process
from newscorpus.report import write_report
from newscorpus.report.figures import CorpusFigures, gather_figures
from newscorpus.store.manifest import removed_counts
from tests.conftest import html_page, news_paragraphs, write_warc

CHARTS = (
    "languages-documents",
    "languages-words",
    "domains-documents",
    "domains-words",
    "published",
    "lengths",
    "funnel",
    "removed",
    "duplicates",
    "boilerplate",
)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    """Debian's Chromium (installed by .ci/run); CI fails without it, a dev box skips."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium and playwright: .ci/run installs them")
        pytest.skip("needs Debian's chromium package and playwright")
    return path


def _render(report: Path) -> dict[str, Any]:
    """Open the page in headless Chromium; what it drew, logged and requested."""
    from playwright.sync_api import sync_playwright

    events: dict[str, list[str]] = {"console": [], "errors": [], "requests": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: events["console"].append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: events["errors"].append(str(e)))
            page.on("request", lambda r: events["requests"].append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            drawn = page.evaluate(
                """() => {
                const charts = {};
                for (const svg of document.querySelectorAll('svg.chart-svg')) {
                    const bars = [...svg.querySelectorAll('rect.bar')].filter(r => {
                        const box = r.getBoundingClientRect();
                        return box.width > 0 && box.height > 0;
                    });
                    const box = svg.getBoundingClientRect();
                    charts[svg.dataset.chart] = {bars: bars.length, width: box.width,
                                                 height: box.height};
                }
                const samples = {};
                for (const s of document.querySelectorAll('section.sample'))
                    samples[s.dataset.language] = s.querySelectorAll('article.doc').length;
                return {charts, samples, scripts: document.scripts.length,
                        cards: [...document.querySelectorAll('.card b')].map(b => b.textContent),
                        pageWidth: document.documentElement.scrollWidth};
            }"""
            )
        finally:
            browser.close()
    return {**events, **drawn}


def test_demo_report_renders_every_chart_in_chromium(demo_corpus: Path, tmp_path: Path) -> None:
    report = write_report(demo_corpus, tmp_path / "report.html")
    seen = _render(report)
    manifest = json.loads((demo_corpus / "manifest.json").read_text())
    assert seen["errors"] == [] and seen["console"] == []
    assert seen["requests"] == [report.as_uri()]  # self-contained: nothing else fetched
    assert set(CHARTS) <= set(seen["charts"])
    for name in CHARTS:
        chart = seen["charts"][name]
        assert chart["bars"] >= 1 and chart["width"] > 300 and chart["height"] > 20, (name, chart)
    assert seen["charts"]["languages-documents"]["bars"] == len(manifest["languages"]) == 6
    removed = [k for k, v in manifest["steps"].items() if ".dropped." in k and v]
    assert seen["charts"]["removed"]["bars"] == len(removed) >= 2  # non-articles, copies
    assert seen["pageWidth"] <= 1100  # nothing wider than the window
    assert seen["scripts"] == 0
    assert seen["cards"][0] == f"{manifest['documents']:,}"
    assert seen["cards"][-1] == f"{manifest['access']['paywalled']:,}" != "0"  # the demo's
    assert seen["samples"] == dict.fromkeys(manifest["languages"], 3)


def test_report_shows_what_the_corpus_holds(demo_corpus: Path) -> None:
    figures = gather_figures(demo_corpus)
    manifest = json.loads((demo_corpus / "manifest.json").read_text())
    assert figures.documents == manifest["documents"]
    assert figures.words == manifest["words"]
    assert {k: v["documents"] for k, v in manifest["languages"].items()} == dict(
        figures.documents_by_language
    )
    unit, periods, left_out = figures.timeline()
    assert left_out == 0
    assert unit == "day" and sum(c for _, c in periods) + figures.undated == figures.documents
    assert periods[0][1] > 0 and periods[-1][1] > 0  # from the first to the last date
    assert sum(figures.lengths.values()) == figures.documents
    # every stored wire story is there with its copy counted
    assert figures.cluster_sizes[2] == manifest["steps"]["dedup.kept_with_copies"]
    funnel = dict(figures.funnel())
    assert funnel["stored (duplicates dropped)"] == manifest["documents"]
    home_pages = manifest["steps"]["pages.dropped.home_page"]
    assert ("pages", "home_page", home_pages) in removed_counts(manifest)
    lines = [line["line"] for entry in figures.boilerplate.values() for line in entry["lines"]]
    assert any("abonner" in line for line in lines)


def _corpus(tmp_path: Path, pages: list[tuple[str, bytes]]) -> Path:
    html = [("Content-Type", "text/html; charset=utf-8")]
    warc = write_warc(tmp_path / "warc", [(url, body, html) for url, body in pages])
    corpus = tmp_path / "corpus"
    process([warc], corpus, executor=LocalExecutor(1))
    return corpus


def test_crawled_markup_is_shown_as_text_never_run(tmp_path: Path) -> None:
    # entities in the page: the extracted title and text hold real markup characters
    hostile = '&lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'
    page = html_page(f"Council vote {hostile}", [*news_paragraphs(3), f"Quoted: {hostile}"])
    corpus = _corpus(tmp_path, [("https://news.example/2024/05/01/vote.html", page)])
    (title,) = gather_figures(corpus).samples["en"][0]["title"].split(" ", 2)[2:]
    assert title.startswith("<script>")  # the corpus holds the markup as text
    html = write_report(corpus).read_text()
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_an_empty_corpus_still_gets_a_report(tmp_path: Path) -> None:
    page = html_page("Home", ["Too short."])
    corpus = _corpus(tmp_path, [("https://news.example/", page)])
    html = write_report(corpus).read_text()
    assert "nothing to show" in html and "<h2>Languages</h2>" in html


def test_long_spans_are_charted_by_month(tmp_path: Path) -> None:
    pages = []
    for day, month in enumerate((1, 3, 9), start=1):
        published = f"2024-{month:02d}-0{day}T10:00:00Z"
        head = f'<meta property="article:published_time" content="{published}">'
        pages.append(
            (
                f"https://news.example/2024/{month:02d}/story-{day}.html",
                html_page(f"Story {day}", news_paragraphs(10 + day), head=head),
            )
        )
    figures = gather_figures(_corpus(tmp_path, pages))
    unit, periods, _ = figures.timeline()
    assert unit == "month"
    assert [label for label, _ in periods] == [f"2024-{m:02d}" for m in range(1, 10)]
    assert [count for _, count in periods] == [1, 0, 1, 0, 0, 0, 0, 0, 1]


def test_report_command_writes_the_page(demo_corpus: Path, tmp_path: Path) -> None:
    from tests.test_cli import run

    corpus = tmp_path / "corpus"
    shutil.copytree(demo_corpus, corpus)
    result = run("--json", "report", str(corpus))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["report"] == str(corpus / "report.html")
    assert (corpus / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_timeline_leaves_out_outlying_and_malformed_dates() -> None:
    figures = CorpusFigures(name="x", manifest={})
    figures.published_days.update({"2026-03-05": 300, "2026-03-07": 100, "0201-03-05": 1})
    unit, periods, left_out = figures.timeline()
    assert unit == "day" and left_out == 1  # one page claiming the year 201 is not the chart
    assert [label for label, _ in periods] == ["2026-03-05", "2026-03-06", "2026-03-07"]
    assert [count for _, count in periods] == [300, 0, 100]


def test_a_damaged_shard_or_manifest_is_one_line(demo_corpus: Path, tmp_path: Path) -> None:
    from tests.test_cli import _one_line_error, run

    corpus = tmp_path / "corpus"
    shutil.copytree(demo_corpus, corpus)
    (corpus / "data" / "en" / "00099.parquet").write_bytes(b"junk")
    for command in (["report"], ["sample"], ["query", "SELECT 1 FROM docs"]):
        _one_line_error(run(command[0], str(corpus), *command[1:]), "00099.parquet")
    (corpus / "data" / "en" / "00099.parquet").unlink()
    (corpus / "manifest.json").write_text("{damaged")
    _one_line_error(run("report", str(corpus)), "manifest.json", "damaged")
