from __future__ import annotations

import time

from scrapy.robotstxt import ProtegoRobotParser

from newscorpus.crawl.discovery import (
    canonical_request_url,
    page_links,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
    trap_reason,
    twin_links,
)
from newscorpus.urls import looks_like_article

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://a.example/2026/03/01/a-story-about-ferries&lol9;</loc></url>
<url><loc>https://a.example/x&xxe;</loc></url>
<url><loc>https://a.example/2026/03/02/plain-story-about-trains</loc></url>
</urlset>"""


def test_xml_entities_are_never_expanded() -> None:
    started = time.monotonic()
    sitemap = parse_sitemap(BILLION_LAUGHS)
    assert time.monotonic() - started < 10  # expanded, it would run for hours
    urls = [entry.url for entry in sitemap.entries]
    assert urls  # parsed up to the hostile entity, which is never expanded
    assert all("lollol" not in url and "root:" not in url for url in urls)


def test_news_sitemap_and_index() -> None:
    news = parse_sitemap(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
        b"<loc>https://a.example/n/1</loc><news:news><news:publication><news:name>A</news:name>"
        b"<news:language>fr</news:language></news:publication>"
        b"<news:publication_date>2026-03-01T10:00:00Z</news:publication_date></news:news>"
        b"</url></urlset>"
    )
    assert not news.is_index
    (entry,) = news.entries
    assert (entry.url, entry.language, entry.published) == (
        "https://a.example/n/1",
        "fr",
        "2026-03-01T10:00:00Z",
    )
    index = parse_sitemap(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>"
    )
    assert index.is_index and [e.url for e in index.entries] == ["https://a.example/s1.xml"]


def test_feeds_robots_and_links() -> None:
    rss = b"<rss><channel><item><link>/2026/a</link></item></channel></rss>"
    assert parse_feed(rss, "https://a.example/feed") == ["https://a.example/2026/a"]
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="self" href="/s"/>'
        b'<link rel="alternate" href="/2026/b"/></entry></feed>'
    )
    assert parse_feed(atom, "https://a.example/") == ["https://a.example/2026/b"]
    robots = b"User-agent: *\nsitemap: /news.xml\nSitemap: https://cdn.example/s.xml\n"
    parsed = ProtegoRobotParser(robots, None)  # as scrapy's robots.txt middleware parses it
    assert sitemaps_from_robots(parsed, "https://a.example/robots.txt") == [
        "https://a.example/news.xml",
        "https://cdn.example/s.xml",
    ]
    links, feeds = page_links(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>'
        '<body><a href="/a#top">a</a><a href="mailto:x@y">m</a><a href="/b" rel="nofollow">b'
        "</a></body></html>",
        "https://a.example/",
    )
    assert links == ["https://a.example/a"] and feeds == ["https://a.example/rss"]
    head = (
        b'<html><head><LINK REL="amphtml" HREF="/amp/a"><link href=\'/a?x=1\' rel=canonical>'
        b'<link rel="canonical" href="https://a.example/a"><link rel="stylesheet" href="/s.css">'
        b"</head><body><link rel=amphtml href=/late></body></html>"
    )
    assert twin_links(head, "https://a.example/a") == [
        "https://a.example/amp/a", "https://a.example/a?x=1", "https://a.example/late",
    ]  # fmt: skip
    assert twin_links(b"<html><body>no head</body></html>", "https://a.example/a") == []


def test_articles_and_hubs() -> None:
    for url in (
        "https://a.example/2026/03/14/floating-solar-farm-opens.html",
        "https://a.example/world/europe/ferry-strike-ends-after-long-talks",
        "https://a.example/news/story-1234567.html",
    ):
        assert looks_like_article(url), url
    for url in (
        "https://a.example/",
        "https://a.example/world/",
        "https://a.example/tag/ferries",
        "https://a.example/author/ana-ruiz-garcia-lopez",
        "https://a.example/2026/03/",
        "https://a.example/page/2",
        "https://a.example/img/a-b-c-d.jpg",
    ):
        assert not looks_like_article(url), url


def test_traps_and_canonical_urls() -> None:
    assert trap_reason("https://a.example/events?month=2026-04") == "calendar"
    assert trap_reason("https://a.example/a/b/a/b/a/b/c") == "repeated_path_segment"
    assert trap_reason("https://a.example/" + "x/" * 20) in ("deep_path", "repeated_path_segment")
    assert trap_reason("https://a.example/2026/03/01/fine-story") is None
    assert (
        canonical_request_url("https://A.example/news;jsessionid=ABC123/story?utm_source=x&id=5#c")
        == "https://a.example/news/story?id=5"
    )
