"""A source's ``include`` patterns: only matching articles are fetched as articles and
written to the WARC; the pages they are found through are fetched for their links only.
Real crawls (scrapy in a subprocess) of real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastwarc import ArchiveIterator, WarcRecordType

from newscorpus.crawl.state import CrawlState
from newscorpus.demo import DemoSite
from tests.conftest import crawl
from tests.crawl.site import LocalNewsSite, article_html

FRENCH = re.compile(r"/fr/20\d\d/")
SOURCE = 'include = ["/fr/20\\\\d\\\\d/"]\n'  # as written in a TOML file: "/fr/20\\d\\d/"


def archived(run_dir: Path) -> list[str]:
    urls = []
    for path in sorted((run_dir / "warc").glob("*.warc.gz")):
        for record in ArchiveIterator(str(path), record_types=WarcRecordType.response):
            urls.append(record.headers["WARC-Target-URI"])
    return urls


def sources_file(tmp_path: Path, start_url: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nname = "local"\nstart_urls = ["{start_url}"]\n{SOURCE}')
    return path


def stats(run_dir: Path) -> dict:
    return json.loads((run_dir / "crawl-stats.json").read_text())


def test_include_limits_what_is_fetched_and_archived(site: LocalNewsSite, tmp_path: Path) -> None:
    base = site.base
    wanted = {
        "/fr/2026/03/01/un-article-en-francais.html": "linked from the home page",
        "/fr/2026/03/02/un-article-du-plan-du-site.html": "in the sitemap",
        "/fr/2026/03/03/un-article-lie-depuis-de.html": "linked from a section not included",
        "/fr/2026/03/04/un-autre-article-francais.html": "linked from a section",
        "/fr/2026/03/05/un-article-du-flux.html": "in the feed",
        "/fr/2026/03/06/un-article-reste-en-file.html": "left in an earlier crawl's frontier",
    }
    unwanted = {
        "/en/2026/03/01/an-english-story-here.html": "linked from the home page",
        "/de/2026/03/02/ein-artikel-aus-der-sitemap.html": "in the sitemap",
        "/de/2026/03/01/eine-deutsche-geschichte.html": "linked from a section",
        "/ar/2026/03/05/an-arabic-story-in-the-feed.html": "in the feed",
        "/zh/2026/03/06/a-story-left-in-the-frontier.html": "left in an earlier crawl's frontier",
    }
    moved = "/fr/2026/03/07/un-article-deplace.html"  # included, redirected out of it
    site.routes["/robots.txt"] = lambda r: (
        200,
        {"Content-Type": "text/plain"},
        f"User-agent: *\nSitemap: {base}/sitemap.xml\n".encode(),
    )
    site.routes["/sitemap.xml"] = lambda r: (
        200,
        {"Content-Type": "application/xml"},
        (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            + "".join(
                f"<url><loc>{base}{path}</loc><news:news><news:publication_date>2026-03-02"
                "</news:publication_date></news:news></url>"
                for path in (*wanted, *unwanted)
                if "sitemap" in (wanted.get(path) or unwanted[path])
            )
            + "</urlset>"
        ).encode(),
    )
    site.routes["/feed.xml"] = lambda r: (
        200,
        {"Content-Type": "application/rss+xml"},
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            + "".join(
                f"<item><link>{base}{path}</link></item>"
                for path in (*wanted, *unwanted)
                if "feed" in (wanted.get(path) or unwanted[path])
            )
            + "</channel></rss>"
        ).encode(),
    )

    def links(*paths: str) -> str:
        return "".join(f'<a href="{path}">x</a>' for path in paths)

    site.page(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        "</head><body>"
        + links(
            "/fr/",
            "/de/",
            "/fr/2026/03/01/un-article-en-francais.html",
            "/en/2026/03/01/an-english-story-here.html",
            moved,
        )
        + "</body></html>",
    )
    site.page(
        "/de/",
        links(
            "/de/2026/03/01/eine-deutsche-geschichte.html",
            "/fr/2026/03/03/un-article-lie-depuis-de.html",
        ),
    )
    site.page("/fr/", links("/fr/2026/03/04/un-autre-article-francais.html"))
    for path in (*wanted, *unwanted, "/moved/un-article-deplace.html"):
        site.page(path, article_html(path))
    site.routes[moved] = lambda r: (301, {"Location": "/moved/un-article-deplace.html"}, b"")

    run_dir = tmp_path / "run"
    earlier = CrawlState(run_dir)  # an earlier crawl, without `include`, left these queued
    for path in wanted | unwanted:
        if "frontier" in (wanted.get(path) or unwanted[path]):
            earlier.enqueue(f"{base}{path}", "article", 1)
    earlier.close()

    result = crawl(["--sources", str(sources_file(tmp_path, f"{base}/"))], run_dir)
    assert result.returncode == 0, result.stderr[-3000:]

    urls = archived(run_dir)
    assert sorted(urls) == sorted(f"{base}{path}" for path in wanted)  # once each, no other
    requested = [r.path for r in site.log]
    assert [path for path in unwanted if path in requested] == []  # never requested
    # the pages they were found through were fetched for their links, not archived
    assert {"/", "/fr/", "/de/", "/feed.xml", "/sitemap.xml"} <= set(requested)
    # an included article that redirects out of `include` is followed, not archived
    assert "/moved/un-article-deplace.html" in requested
    scrapy_stats = stats(run_dir)["scrapy"]
    assert scrapy_stats["newscorpus/skipped/not_included"] == len(unwanted)
    assert scrapy_stats["newscorpus/warc/skipped_not_included"] == 4  # /, /fr/, /de/, moved
    assert stats(run_dir)["per_host"]["127.0.0.1"]["articles_archived"] == len(wanted)


def test_include_keeps_one_language_of_the_demo_site(demo_site: DemoSite, tmp_path: Path) -> None:
    """The report that started it: all six languages were archived."""
    base = demo_site.meridian.base
    run_dir = tmp_path / "run"
    result = crawl(["--sources", str(sources_file(tmp_path, f"{base}/"))], run_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    urls = archived(run_dir)
    french = [path for path in demo_site.meridian.article_paths() if FRENCH.search(path)]
    # and the later pages of the French story cut into pages, whatever `include` says
    cut = next(s for s in demo_site.meridian.data["stories"] if s.get("pages") == 3)
    later = [f"{demo_site.meridian.article_path(cut, 'fr')}?page={n}" for n in (2, 3)]
    assert sorted(urls) == sorted(f"{base}{path}" for path in french + later)
