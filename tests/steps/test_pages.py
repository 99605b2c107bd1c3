from __future__ import annotations

import gzip
import json

import pytest

from newscorpus.steps import DropNonArticles, Extract
from newscorpus.steps.pages import ARTICLE_TYPES, LINK_LIST_TYPE, non_article_reason
from newscorpus.warc import ReadStats, read_responses
from newscorpus.warc.reader import WarcResponse
from tests.conftest import SHARED, need_shared


@pytest.mark.parametrize(
    ("url", "page_type", "reason"),
    [
        ("https://news.test/", None, "home_page"),
        ("https://news.test/fr/", "website", "home_page"),
        ("https://news.test/en-gb/index.html", None, "home_page"),
        ("https://news.test/tag/elections/", None, "hub_page"),
        ("https://news.test/author/ana-ruiz", None, "hub_page"),
        ("https://news.test/politics/all", "collectionpage", "listing_page"),
        ("https://news.test/politics/", "website", "listing_page"),
        ("https://news.test/about-us", None, "about_page"),
        ("https://news.test/impressum.html", None, "about_page"),
        # the page's own word that it is an article wins over its URL
        ("https://news.test/", "newsarticle", None),
        ("https://news.test/tag/elections/", "article", None),
        ("https://news.test/2026/03/19/night-trains-return.html", None, None),
        ("https://news.test/2026/03/19/night-trains-return.html", "website", None),
        ("https://news.test/politics/night-trains-return-to-the-valleys", None, None),
        # found by review: articles that earlier versions took for listings
        ("https://news.test/?p=48213", None, None),
        ("https://news.test/index.php?newsid=123456", None, None),
        ("https://news.test/legal/us-court-rules-on-water-rights-2024-03-12/", None, None),
        ("https://news.test/politics/archive/2024/03/senate-vote/677685/", None, None),
        ("https://news.test/business/jobs/unemployment-falls-to-record-low-in-march", None, None),
    ],
)
def test_non_article_reason(url: str, page_type: str | None, reason: str | None) -> None:
    assert non_article_reason(url, page_type) == reason


@pytest.mark.parametrize("name", ["fundus", "fundus-multilingual"])
def test_real_articles_are_not_taken_for_listings(name: str) -> None:
    """222 real articles of 114 publishers in 25 languages, many without structured data
    that says "article": none is dropped as a non-article page."""
    folder = need_shared(SHARED / "benchmarks" / "extraction" / name)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    responses = [
        WarcResponse(page["url"], gzip.decompress((folder / "html" / file).read_bytes()), None,
                     200, "2024-02-28T00:00:00Z", "x.warc.gz", n)
        for n, (file, page) in enumerate(sorted(truth.items()))
    ]  # fmt: skip
    pages = DropNonArticles()
    extract = Extract()
    docs = list(pages.run(extract.run(responses)))
    assert len(docs) >= len(responses) - 2 and not pages.stats, pages.stats
    assert "link_lists_found" not in extract.stats
    assert sum(d.declared_type in ARTICLE_TYPES for d in docs) > len(responses) * 0.7


def test_real_listing_pages_are_told_from_real_prose_pages() -> None:
    """Pages of a real Common Crawl sample: the link lists (a listing of dated teasers, a
    job list, pages of navigation) are listings; pages of prose, declared articles (a
    company's page) or not (two stories), are not, whatever else they are."""
    warc = need_shared(SHARED / "fixtures" / "warc" / "cc-main-2020-34-sample.warc.gz")
    step = Extract()
    docs = {doc.url: doc for doc in step.run(read_responses(warc, ReadStats()))}
    link_lists = {url for url, doc in docs.items() if doc.declared_type == LINK_LIST_TYPE}
    assert {
        "http://077678u.info/erxiaoshujinguang/list_6_2.html",
        "http://0760.jxtdw.com/area/sanxiang/",
        "http://035.psb556.com/24/i/u_1090813/article.html",
    } <= link_lists
    prose = {
        "http://01spb.ru/company/",
        "http://0900-hovenier.nl/gelderland/oosterbeek/",
        "http://044545.com/topic/20200207/015849.html",
        "http://0513mt.com/index.php/art/detail/id/8884.html",
    }
    assert prose <= docs.keys() and not prose & link_lists
    assert docs["http://044545.com/topic/20200207/015849.html"].declared_type is None  # undeclared
    assert step.stats["link_lists_found"] == len(link_lists)
    dropped = DropNonArticles()
    list(dropped.run(docs[url] for url in link_lists))
    assert dropped.stats == {"dropped.listing_page": len(link_lists)}
