from __future__ import annotations

import gzip
import json

import pytest

from newscorpus.steps import DropNonArticles, Extract
from newscorpus.steps.pages import non_article_reason
from newscorpus.warc.reader import WarcResponse
from tests.conftest import FUNDUS, need_shared


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


def test_real_articles_are_not_taken_for_listings() -> None:
    """80 real articles of 16 publishers: none is dropped as a non-article page."""
    folder = need_shared(FUNDUS)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    responses = [
        WarcResponse(page["url"], gzip.decompress((folder / "html" / name).read_bytes()), None,
                     200, "2024-02-28T00:00:00Z", "x.warc.gz", n)
        for n, (name, page) in enumerate(sorted(truth.items()))
    ]  # fmt: skip
    pages = DropNonArticles()
    docs = list(pages.run(Extract().run(responses)))
    assert len(docs) >= 78 and not pages.stats, pages.stats
    assert sum(d.page_type in {"article", "newsarticle", "reportagenewsarticle"} for d in docs) > 60
