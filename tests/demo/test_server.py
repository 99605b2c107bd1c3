"""The demo sites over real HTTP on loopback."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from html import escape

import pytest

from newscorpus.demo import DemoSite

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_sites_listen_on_loopback_only(demo_site: DemoSite) -> None:
    for base in demo_site.base_urls:
        assert base.startswith(("http://127.0.0.1:", "http://127.0.0.2:"))


def test_discovery_files(demo_site: DemoSite) -> None:
    base = demo_site.meridian.base
    status, _, robots = get(f"{base}/robots.txt")
    assert status == 200 and f"Sitemap: {base}/sitemap.xml" in robots.decode()
    _, _, news = get(f"{base}/news-sitemap.xml")
    assert b"<news:publication_date>" in news and b"<news:language>zh</news:language>" in news
    status, headers, feed = get(f"{base}/fr/feed.xml")
    assert status == 200 and "rss" in headers["Content-Type"] and b"<item>" in feed
    _, _, sitemap = get(f"{base}/sitemap-articles.xml")
    # articles, live blog, app-rendered article, AMP twin, sections, about
    assert sitemap.count(b"<loc>") == 24 + 3 + 6 + 1
    assert get(f"{base}/no/such/page")[0] == 404


def test_articles_in_six_languages_and_scripts(demo_site: DemoSite) -> None:
    paths = demo_site.meridian.article_paths()
    languages = {path.split("/")[1] for path in paths}
    assert languages == {"en", "fr", "de", "ru", "ar", "zh"}
    ar = next(p for p in paths if p.startswith("/ar/"))
    _, _, body = get(demo_site.meridian.base + ar)
    assert b'dir="rtl"' in body and "ال".encode() in body


def test_russian_pages_declare_windows_1251_only_in_meta(demo_site: DemoSite) -> None:
    ru = next(p for p in demo_site.meridian.article_paths() if p.startswith("/ru/"))
    _, headers, body = get(demo_site.meridian.base + ru)
    assert headers["Content-Type"] == "text/html"
    assert b'<meta charset="windows-1251">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Порт" in body.decode("cp1251")


def test_gzip_and_conditional_requests(demo_site: DemoSite) -> None:
    url = demo_site.meridian.base + demo_site.meridian.article_paths()[0]
    _, plain_headers, plain = get(url)
    _, headers, compressed = get(url, **{"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(compressed) == plain
    status, _, _ = get(url, **{"If-Modified-Since": plain_headers["Last-Modified"]})
    assert status == 304
    status, _, _ = get(url, **{"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert status == 200


def test_article_pages_carry_clutter_inside_the_body(demo_site: DemoSite) -> None:
    url = demo_site.meridian.base + next(
        p for p in demo_site.meridian.article_paths() if p.startswith("/fr/")
    )
    html = get(url)[2].decode()
    assert "Voir aussi" in html and "abonner" in html
    assert "<p>\u00a0\u00a0\u00a0</p>" in html and "<p>-----" in html
    assert 'hreflang="zh"' in html and "application/ld+json" in html


def test_wire_republishes_stories_under_its_own_urls(demo_site: DemoSite) -> None:
    paths = demo_site.wire.article_paths()
    assert len(paths) == 4
    _, _, body = get(demo_site.wire.base + paths[0])
    origin = demo_site.meridian.data["stories"][0]["versions"]["en"]["paragraphs"][0]
    assert origin.encode() in body


def test_the_outlet_has_a_page_of_each_kind(demo_site: DemoSite) -> None:
    """A story cut into three pages, a live blog, an article only in its page data, an AMP
    twin (and a paywalled story: see the pipeline's demo test)."""
    site = demo_site.meridian
    story = next(s for s in site.data["stories"] if s.get("pages") == 3)
    path = site.article_path(story, "en")
    pages = [
        get(f"{site.base}{path}{'' if n == 1 else f'?page={n}'}")[2].decode() for n in (1, 2, 3)
    ]
    paragraphs = [escape(p) for p in story["versions"]["en"]["paragraphs"]]
    for number, page in enumerate(pages):
        assert [p in page for p in paragraphs] == [n // 2 == number for n in range(6)]
    assert 'rel="next"' in pages[0] and 'rel="prev"' not in pages[0]
    assert 'rel="prev"' in pages[2] and 'rel="next"' not in pages[2]
    assert get(f"{site.base}{path}?page=4")[0] == 404
    live = get(site.base + site.special_path("live_blog"))[2].decode()
    assert '"LiveBlogPosting"' in live and live.count('class="liveblog-post"') == 5
    app = get(site.base + site.special_path("app_article"))[2].decode()
    first = site.data["app_article"]["paragraphs"][0]
    assert "__NEXT_DATA__" in app and f"<p>{first[:40]}" not in app and first[:40] in app
    ((amp_path, amp_story, language),) = site.amp_paths()
    amp = get(site.base + amp_path)[2].decode()
    canonical = site.base + site.article_path(amp_story, language)
    assert f'<link rel="canonical" href="{canonical}">' in amp
    assert f'rel="amphtml" href="{site.base}{amp_path}"' in get(canonical)[2].decode()
