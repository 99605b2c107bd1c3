"""Multi-page articles through ``process``: stitched in order into their first page,
whatever shard each page lands in; a missing page said, never silently skipped."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pyarrow.dataset as ds

from newscorpus import ProcessOptions, process
from newscorpus.corpus import Corpus
from newscorpus.executors import LocalExecutor
from newscorpus.pipeline import ShardTask, run_extract_stage, run_filter_stage
from newscorpus.steps import QualityThresholds
from newscorpus.store.manifest import read_manifest
from newscorpus.store.page_index import index_pages
from newscorpus.store.plan import expand_inputs, plan_shards
from tests.conftest import write_warc

ARTICLE = "http://paged.test/2026/04/harbour-budget"
HTML = [("Content-Type", "text/html; charset=utf-8")]


def _page(number: int, of: int, paragraphs: list[str]) -> tuple[str, bytes, list]:
    url = ARTICLE if number == 1 else f"{ARTICLE}?page={number}"
    pager = " ".join(
        str(n) if n == number else f'<a href="{ARTICLE}{"" if n == 1 else f"?page={n}"}">{n}</a>'
        for n in range(1, of + 1)
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        '<html lang="en"><head><title>Harbour budget</title>'
        f'<link rel="canonical" href="{ARTICLE}">'  # as many sites do: page 1 on every page
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        '"Harbour budget"}</script></head><body><nav><a href="/">Home</a></nav>'
        f'<article><h1>Harbour budget</h1>{body}<div class="pager">Page {number} of {of}: '
        f"{pager}</div></article><footer>Footer</footer></body></html>"
    )
    return url, html.encode(), HTML


def _texts() -> list[list[str]]:
    """Two paragraphs a page, of a real-shaped story (the demo's six-paragraph ones)."""
    demo = json.loads(files("newscorpus.demo").joinpath("site/articles.json").read_text("utf-8"))
    paragraphs = demo["stories"][0]["versions"]["en"]["paragraphs"]
    return [paragraphs[0:2], paragraphs[2:4], paragraphs[4:6]]


def _process(warcs: list[Path], corpus: Path) -> list[dict]:
    options = ProcessOptions(quality=QualityThresholds(min_words=20))
    summary = process(warcs, corpus, options, LocalExecutor(1), records_per_shard=1)
    assert not summary.failed
    return ds.dataset(corpus / "data", format="parquet").to_table().to_pylist()


def test_pages_in_any_order_and_shard_are_one_document(tmp_path: Path) -> None:
    texts = _texts()
    pages = [_page(n, 3, texts[n - 1]) for n in (3, 1, 2)]  # page 3 archived first
    warcs = [write_warc(tmp_path / "w1", pages[:2]), write_warc(tmp_path / "w2", pages[2:])]
    corpus = tmp_path / "corpus"
    (row,) = _process(warcs, corpus)  # one row, not three: 3 shards, one page each
    assert row["url"] == ARTICLE and row["pages"] == 3 and row["complete"] is True
    assert row["text"].split("\n\n") == texts[0] + texts[1] + texts[2]  # no pager left
    manifest = read_manifest(corpus)
    assert manifest["steps"]["multipage.articles_stitched"] == 1
    assert manifest["steps"]["multipage.pages_stitched"] == 2
    assert manifest["pages"] == {"types": {"article": 1}, "multi_page": 1, "incomplete": 0}
    assert "stitched from several pages" in (corpus / "README.md").read_text()
    assert not Corpus(corpus).page_index.exists()  # all stored: nothing left to stitch
    # a rerun with the same inputs adds nothing
    assert _process(warcs, corpus) == [row]


def test_a_missing_page_is_said(tmp_path: Path) -> None:
    texts = _texts()
    warc = write_warc(tmp_path / "w", [_page(n, 3, texts[n - 1]) for n in (1, 3)])
    corpus = tmp_path / "corpus"
    (row,) = _process([warc], corpus)
    assert row["pages"] == 2 and row["complete"] is False
    assert row["text"].split("\n\n") == texts[0] + texts[2]
    assert read_manifest(corpus)["pages"]["incomplete"] == 1
    card = (corpus / "README.md").read_text()
    assert "1 with a page missing" in card


def test_later_pages_without_their_first_stay_and_are_flagged(tmp_path: Path) -> None:
    texts = _texts()
    warc = write_warc(tmp_path / "w", [_page(n, 3, texts[n - 1]) for n in (2, 3)])
    rows = _process([warc], tmp_path / "corpus")
    # both pages name page 1 as canonical: one id; the URL dedup keeps one of them
    assert {row["complete"] for row in rows} == {False}
    assert all(row["url"] != ARTICLE for row in rows)


def test_a_run_killed_between_filter_stages_stitches_the_same_on_resume(tmp_path: Path) -> None:
    """What a kill during the filter stage leaves: every shard extracted and its pages
    indexed, page 2's shard filtered (its staged file consumed). The resumed run stitches
    page 2 into page 1 from the index all the same."""
    texts = _texts()
    warcs = [write_warc(tmp_path / f"w{n}", [_page(n, 3, texts[n - 1])]) for n in (1, 2, 3)]
    whole = _process(warcs, tmp_path / "whole")
    corpus = Corpus(tmp_path / "corpus")
    corpus.prepare()
    options = ProcessOptions(quality=QualityThresholds(min_words=20))
    shards = plan_shards(corpus, expand_inputs(warcs), 1)
    tasks = [ShardTask(str(corpus.root), shard, options, False, 3) for shard in shards]
    for task in tasks:
        assert not run_extract_stage(task).error
    index_pages(corpus, [task.shard.number for task in tasks])
    (page_two,) = [t for t in tasks if t.shard.path == str(warcs[1])]
    assert not run_filter_stage(page_two).error
    assert not corpus.staged(page_two.shard.number).exists()
    rows = _process(warcs, corpus.root)
    assert [(r["text"], r["pages"], r["complete"]) for r in rows] == [
        (r["text"], r["pages"], r["complete"]) for r in whole
    ]
    assert rows[0]["pages"] == 3
    steps = read_manifest(corpus.root)["steps"]
    assert steps["multipage.pages_stitched"] == 2 and "multipage.without_first_page" not in steps
