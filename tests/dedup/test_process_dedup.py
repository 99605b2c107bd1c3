"""Dedup inside ``process``: real WARC in, real Parquet out."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from newscorpus import ProcessOptions, process
from newscorpus.dedup.keys import DedupOptions
from newscorpus.executors import LocalExecutor
from newscorpus.store.manifest import read_manifest
from tests.conftest import write_warc

DEMO = json.loads(files("newscorpus.demo").joinpath("site/articles.json").read_text("utf-8"))
HTML = [("Content-Type", "text/html; charset=utf-8")]


def _paragraphs(story: int, language: str) -> list[str]:
    return list(DEMO["stories"][story]["versions"][language]["paragraphs"])


def _site_a(
    title: str, paragraphs: list[str], published: str, lang: str = "en", head: str = ""
) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Courier</title>'
        f'<meta property="article:published_time" content="{published}">{head}</head><body>'
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>{title}</h1>"
        f"{body}</article><footer>The Courier</footer></body></html>"
    ).encode()


def _site_b(title: str, paragraphs: list[str], published: str, lang: str = "en") -> bytes:
    """Another publisher's template: other markup, other chrome, the wire story inside."""
    body = "<br><br>".join(paragraphs)
    ld = json.dumps({"@type": "NewsArticle", "headline": title, "datePublished": published})
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<script type="application/ld+json">{ld}</script></head><body><header><ul>'
        "<li><a href='/'>Front page</a></li><li><a href='/sport'>Sport</a></li></ul></header>"
        f"<main><div class='headline'><h1>{title}</h1></div><div class='story-text'>{body}"
        "</div></main><aside><h3>Most read</h3><a href='/x'>Something else</a></aside>"
        "</body></html>"
    ).encode()


def _rows(corpus: Path) -> list[dict[str, Any]]:
    return ds.dataset(corpus / "data", format="parquet").to_table().to_pylist()


def _options(**dedup: Any) -> ProcessOptions:
    return ProcessOptions(dedup=DedupOptions(**dedup))


def _first_run_pages() -> list[tuple[str, bytes, list[tuple[str, str]]]]:
    rail_en, rail_fr = _paragraphs(1, "en"), _paragraphs(1, "fr")
    updated = [
        *rail_en[:-1],
        "Update: the union said on Saturday that the agreement had been signed.",
    ]
    solar_zh = _paragraphs(0, "zh")
    solar_zh_copy = [*solar_zh[:-1], "本报讯：编辑部补充说明，文中数据已根据运营方最新统计更新。"]
    return [
        # the original, a syndicated copy in another template, an updated version
        ("https://courier.test/en/2026/03/05/rail-strike.html",
         _site_a("Rail strike ends", rail_en, "2026-03-05T18:45:00+01:00"), HTML),
        ("https://daily.test/news/2026/03/06/rail-strike-over",
         _site_b("Rail strike is over", rail_en, "2026-03-06T07:00:00+01:00"), HTML),
        ("https://courier.test/en/2026/03/05/rail-strike-updated.html",
         _site_a("Rail strike ends (updated)", updated, "2026-03-05T21:00:00+01:00"), HTML),
        # the same story in French: a translation, never a duplicate
        ("https://courier.test/fr/2026/03/05/greve-du-rail.html",
         _site_a("Fin de la grève", rail_fr, "2026-03-05T18:45:00+01:00", lang="fr"), HTML),
        # Chinese near-duplicates on two sites
        ("https://courier.test/zh/2026/03/14/solar.html",
         _site_a("浮动光伏电站投运", solar_zh, "2026-03-14T08:30:00+01:00", lang="zh"), HTML),
        ("https://daily.test/zh/2026/03/15/solar-copy",
         _site_b("港口浮动光伏电站投运", solar_zh_copy, "2026-03-15T09:00+08:00", lang="zh"), HTML),
        # the same URL fetched twice
        ("https://courier.test/en/2026/03/21/manuscripts.html",
         _site_a("Manuscripts return", _paragraphs(2, "en"), "2026-03-21T10:00:00+01:00"), HTML),
        ("https://courier.test/en/2026/03/21/manuscripts.html?utm_source=feed",
         _site_a("Manuscripts return", _paragraphs(2, "en"), "2026-03-21T10:00:00+01:00"), HTML),
    ]  # fmt: skip


def test_copies_are_found_and_counted(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "w", _first_run_pages())
    corpus = tmp_path / "corpus"
    summary = process([warc], corpus, _options(), LocalExecutor(1), keep_dropped=True)
    assert not summary.failed
    rows = {r["url"]: r for r in _rows(corpus)}
    assert sorted(rows) == [
        "https://courier.test/en/2026/03/05/rail-strike.html",  # earliest of three copies
        "https://courier.test/en/2026/03/21/manuscripts.html",  # first of two fetches
        "https://courier.test/fr/2026/03/05/greve-du-rail.html",  # a translation stays
        "https://courier.test/zh/2026/03/14/solar.html",
    ]
    counts = {url.split("/")[-1]: r["duplicate_count"] for url, r in rows.items()}
    assert counts == {
        "rail-strike.html": 3, "manuscripts.html": 2, "greve-du-rail.html": 1, "solar.html": 2,
    }  # fmt: skip
    assert all(r["duplicate_of"] is None for r in rows.values())
    dropped = ds.dataset(corpus / "dropped" / "dedup", format="parquet").to_table().to_pylist()
    why = {r["url"].split("/")[-1]: (r["drop_reason"], r["duplicate_of"]) for r in dropped}
    original = rows["https://courier.test/en/2026/03/05/rail-strike.html"]["id"]
    assert why["rail-strike-over"] == ("same_text", original)
    assert why["rail-strike-updated.html"] == ("near_duplicate", original)
    assert why["solar-copy"][0] == "near_duplicate"
    assert why["manuscripts.html?utm_source=feed"][0] == "same_url"
    steps = read_manifest(corpus)["steps"]
    assert steps["dedup.dropped.near_duplicate"] == 2 and steps["dedup.dropped.same_url"] == 1


def test_a_later_run_drops_copies_of_stored_documents(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    process([write_warc(tmp_path / "a", _first_run_pages())], corpus, _options(), LocalExecutor(1))
    index_before = sorted((corpus / ".state" / "dedup" / "index").glob("*.parquet"))
    later = [
        ("https://third.test/2026/03/07/rail", _site_b("Rail strike", _paragraphs(1, "en"),
                                                       "2026-03-04T09:00:00+01:00"), HTML),
        ("https://third.test/2026/03/27/wine", _site_b("Wine", _paragraphs(3, "en"),
                                                       "2026-03-27T09:00:00+01:00"), HTML),
    ]  # fmt: skip
    summary = process([write_warc(tmp_path / "b", later, prefix="later")], corpus, _options(),
                      LocalExecutor(1))  # fmt: skip
    assert not summary.failed
    rows = {r["url"]: r for r in _rows(corpus)}
    # stored documents stay (even though the new copy claims an earlier date) ...
    assert "https://third.test/2026/03/07/rail" not in rows
    assert "https://third.test/2026/03/27/wine" in rows
    # ... and the stored original now counts the new copy, rewritten in place
    assert rows["https://courier.test/en/2026/03/05/rail-strike.html"]["duplicate_count"] == 4
    assert (
        len(sorted((corpus / ".state" / "dedup" / "index").glob("*.parquet")))
        == len(index_before) + 1
    )
    assert not (corpus / ".state" / "dedup" / "batch.json").exists()


def test_keep_duplicates_tags_instead_of_dropping(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    warc = write_warc(tmp_path / "w", _first_run_pages())
    process([warc], corpus, _options(keep_duplicates=True), LocalExecutor(1))
    rows = _rows(corpus)
    assert len(rows) == 8
    originals = {r["id"] for r in rows if r["duplicate_of"] is None}
    copies = [r for r in rows if r["duplicate_of"] is not None]
    assert len(copies) == 4 and all(r["duplicate_of"] in originals for r in copies)


def test_near_duplicates_can_be_turned_off(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    warc = write_warc(tmp_path / "w", _first_run_pages())
    process([warc], corpus, _options(near_duplicates=False), LocalExecutor(1))
    urls = {r["url"].split("/")[-1] for r in _rows(corpus)}
    # exact copies and repeated URLs still go; edited copies stay
    assert "rail-strike-over" not in urls and "manuscripts.html?utm_source=feed" not in urls
    assert {"rail-strike-updated.html", "solar-copy"} <= urls


def test_a_chain_of_versions_is_not_one_story(tmp_path: Path) -> None:
    """Each version close to the previous one, the last far from the first: the keeper
    takes only what is close to itself (union-find alone would take the whole chain)."""
    words = " ".join(" ".join(_paragraphs(n, "en")) for n in range(4)).split()[:420]
    versions = []
    for version in range(8):
        edited = list(words)
        for position in range(0, 8 * (version + 1) * 5, 5):  # 8 more words every version
            edited[position] = f"v{version}w{position}"
        chunks = [" ".join(edited[i : i + 70]).rstrip(".,") + "." for i in range(0, 420, 70)]
        versions.append(chunks)
    pages = [
        (f"https://live.test/2026/03/05/blog-{n}.html",
         _site_a(f"Live {n}", versions[n], f"2026-03-05T{8 + n:02d}:00:00+01:00"), HTML)
        for n in range(8)
    ]  # fmt: skip
    corpus = tmp_path / "corpus"
    process([write_warc(tmp_path / "w", pages)], corpus, _options(), LocalExecutor(1))
    kept = sorted(r["url"].rsplit("-", 1)[-1] for r in _rows(corpus))
    assert len(kept) > 1 and kept[0] == "0.html"  # the earliest, and not alone


def test_one_url_is_one_document_whatever_its_language(tmp_path: Path) -> None:
    url = "https://courier.test/2026/03/05/strike.html"
    pages = [
        (url, _site_a("Rail strike ends", _paragraphs(1, "en"), "2026-03-05T18:45:00Z"), HTML),
        (url + "?utm_source=x", _site_a("Fin de la grève", _paragraphs(1, "fr"),
                                         "2026-03-05T18:45:00Z", lang="fr"), HTML),
    ]  # fmt: skip
    corpus = tmp_path / "corpus"
    process([write_warc(tmp_path / "w", pages)], corpus, _options(), LocalExecutor(1))
    assert len({r["id"] for r in _rows(corpus)}) == len(_rows(corpus)) == 1


def test_an_amp_twin_gives_way_to_its_canonical_page(tmp_path: Path) -> None:
    """CC-NEWS holds both pages of a story: the AMP one (rel=canonical to the other) comes
    first and is longer (a caption the AMP template repeats), yet the page at its canonical
    URL is the one kept, the twin counted as its copy. Either order of the input."""
    paragraphs = _paragraphs(0, "en")
    title = DEMO["stories"][0]["versions"]["en"]["title"]
    url = "https://courier.test/2026/03/05/ferries.html"
    head = f'<link rel="canonical" href="{url}">'
    amp = _site_a(title, [*paragraphs, "Photo: the harbour at dawn, by our photographer."],
                  "2026-03-05T08:00:00Z", head=head)  # fmt: skip
    page = _site_a(title, paragraphs, "2026-03-05T08:00:00Z", head=head)
    twins = [("https://courier.test/amp/2026/03/05/ferries.html", amp, HTML), (url, page, HTML)]
    for order, pages in (("amp first", twins), ("page first", twins[::-1])):
        corpus = tmp_path / order.replace(" ", "-")
        warc = write_warc(tmp_path / f"warc-{order.replace(' ', '-')}", pages)
        process([warc], corpus, _options(), LocalExecutor(1))
        (row,) = _rows(corpus)
        assert (row["url"], row["duplicate_count"]) == (url, 2), order
