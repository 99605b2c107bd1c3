"""The bundled demo news sites, rendered from ``site/articles.json``.

Two sites: *The Meridian Courier*, a multilingual outlet (six languages, hreflang
translations, feeds, sitemaps, a Google News sitemap, one story cut into three pages, one
behind a paywall), and *Global Wire*, a syndication
partner that republishes some of its stories in another template. Article pages carry the
clutter real sites have: navigation, "see also" lines, subscribe calls, blank and
decoration paragraphs inside the body, share buttons, footers. Russian pages are served
in windows-1251 declared only in a meta tag; everything else in UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

RTL_LANGUAGES = {"ar"}
META_ONLY_CHARSET = {"ru": "windows-1251"}
WIRE_LANGUAGES = ("en", "fr")  # the wire republishes these versions
WIRE_STORIES = 2  # ... of the first stories
LIVE_BLOG_SHOWN = 5  # the live blog shows its latest updates only


@dataclass(slots=True)
class Page:
    status: int
    content_type: str
    body: bytes
    last_modified: str | None = None  # ISO 8601


def _load() -> dict[str, Any]:
    text = resources.files("newscorpus.demo").joinpath("site/articles.json").read_text("utf-8")
    return dict(json.loads(text))


def _date(iso: str) -> str:
    return iso[:10]


def _pages(story: dict[str, Any]) -> int:
    """The pages the story is cut into (most have one)."""
    return int(story.get("pages", 1))


class MeridianSite:
    """The multilingual outlet. ``render(path)`` returns the page or None (404)."""

    name = "meridian"

    def __init__(self, base_url: str, wire_base_url: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.data = _load()
        self.wire_base = wire_base_url
        self.edited = False  # the stories' edits published (``publish_edits``)

    def publish_edits(self) -> None:
        """Edit the stories that have an edit, as a newsroom does after publication: one
        gets a new headline and a paragraph, another only a new "Updated" stamp."""
        self.edited = True

    def _edit(self, story: dict[str, Any], language: str) -> dict[str, Any] | None:
        """The published edit of ``story`` in ``language``, if any."""
        edit = story.get("edit")
        if not self.edited or not edit or language not in edit["versions"]:
            return None
        return dict(edit["versions"][language])

    def version(self, story: dict[str, Any], language: str) -> dict[str, Any]:
        """The story in ``language`` as the site shows it now (edited once published)."""
        version = dict(story["versions"][language])
        edit = self._edit(story, language)
        if edit:
            version["title"] = edit.get("title", version["title"])
            version["paragraphs"] = [*version["paragraphs"], *edit.get("added", [])]
        return version

    def modified(self, story: dict[str, Any], language: str) -> str:
        edit = self._edit(story, language)
        return str(story["edit"]["modified"] if edit is not None else story["modified"])

    def _stamp(self, story: dict[str, Any], language: str) -> str:
        """The "Updated" line of the stories that get edited (their edit changes it)."""
        if language not in story.get("edit", {}).get("versions", {}):
            return ""
        return f'<p class="updated">Updated {self.modified(story, language)[11:16]}</p>'

    @cached_property
    def languages(self) -> list[str]:
        return list(self.data["stories"][0]["versions"])

    def article_path(self, story: dict[str, Any], language: str) -> str:
        y, m, d = _date(story["published"]).split("-")
        return f"/{language}/{y}/{m}/{d}/{story['versions'][language]['slug']}.html"

    def article_paths(self) -> list[str]:
        return [
            self.article_path(story, language)
            for story in self.data["stories"]
            for language in story["versions"]
        ]

    def special_path(self, name: str) -> str:
        """Where one of the single-language specials is: ``live_blog``, ``app_article``."""
        entry = self.data[name]
        y, m, d = _date(entry["published"]).split("-")
        return f"/{entry['language']}/{y}/{m}/{d}/{entry['slug']}.html"

    def amp_paths(self) -> list[tuple[str, dict[str, Any], str]]:
        """(path, story, language) of the AMP twins of the stories that have one."""
        return [
            (f"/amp{self.article_path(story, language)}", story, language)
            for story in self.data["stories"]
            for language in story.get("amp", [])
        ]

    def _specials(self) -> dict[str, Callable[[], Page]]:
        """The pages that are not one story in six languages: a live blog, an article
        rendered by JavaScript from its data, AMP twins."""
        pages: dict[str, Callable[[], Page]] = {
            self.special_path("live_blog"): self._live_blog_page,
            self.special_path("app_article"): self._app_article_page,
        }
        for path, story, language in self.amp_paths():
            pages[path] = partial(self._amp_page, story, language)
        return pages

    def render(self, path: str) -> Page | None:
        path, _, query = path.partition("?")
        fixed: dict[str, Callable[[], Page]] = {
            "/": lambda: self._html(self._home()),
            "/index.html": lambda: self._html(self._home()),
            "/robots.txt": self._robots,
            "/sitemap.xml": lambda: self._xml(self._sitemap_index()),
            "/sitemap-articles.xml": lambda: self._xml(self._sitemap()),
            "/news-sitemap.xml": lambda: self._xml(self._news_sitemap()),
            "/about.html": lambda: self._html(self._about()),
        }
        if path in fixed:
            return fixed[path]()
        specials = self._specials()
        if path in specials:
            return specials[path]()
        parts = path.strip("/").split("/")
        if parts[0] in self.languages:
            number = dict(parse_qsl(query)).get("page", "1")
            page = int(number) if number.isdigit() else 0
            return self._language_page(parts[0], parts[1:], path, page)
        return None

    def _language_page(
        self, language: str, rest: list[str], path: str, page: int = 1
    ) -> Page | None:
        """/fr/ (the section), /fr/feed.xml, and the French articles (?page=2: the second
        page of an article cut into pages)."""
        if not rest:
            return self._html(self._section(language), language)
        if rest == ["feed.xml"]:
            return Page(200, "application/rss+xml; charset=utf-8", self._rss(language).encode())
        for story in self.data["stories"]:
            if self.article_path(story, language) == path and 1 <= page <= _pages(story):
                html = self._article(story, language, page)
                return self._html(html, language, self.modified(story, language))
        return None

    def _robots(self) -> Page:
        text = f"User-agent: *\nDisallow: /private/\n\nSitemap: {self.base}/sitemap.xml\n"
        return Page(200, "text/plain; charset=utf-8", text.encode())

    # -- pages -------------------------------------------------------------------------

    def _html(self, html: str, language: str = "en", modified: str | None = None) -> Page:
        charset = META_ONLY_CHARSET.get(language)
        if charset:
            return Page(
                200, "text/html", html.encode(charset, errors="xmlcharrefreplace"), modified
            )
        return Page(200, "text/html; charset=utf-8", html.encode("utf-8"), modified)

    def _xml(self, xml: str) -> Page:
        return Page(200, "application/xml; charset=utf-8", xml.encode("utf-8"))

    def _chrome(self, language: str, title: str, head: str, main: str) -> str:
        words = self.data["boilerplate"][language]
        charset = META_ONLY_CHARSET.get(language, "utf-8")
        direction = ' dir="rtl"' if language in RTL_LANGUAGES else ""
        site_name = self.data["site"]["name"][language]
        nav = "".join(
            f'<li><a href="/{language}/">{escape(item)}</a></li>' for item in words["nav"]
        )
        return f"""<!DOCTYPE html>
<html lang="{language}"{direction}>
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {escape(site_name)}</title>
<link rel="alternate" type="application/rss+xml" href="/{language}/feed.xml">
{head}
</head>
<body>
<header class="masthead"><a class="logo" href="/{language}/">{escape(site_name)}</a>
<nav><ul>{nav}</ul></nav>
<form class="search" action="/search"><input name="q"></form></header>
<main>
{main}
</main>
<footer>
<p class="newsletter">{escape(words["newsletter"])} <a href="/newsletter">→</a></p>
<ul class="footer-links"><li><a href="/about.html">About</a></li>
<li><a href="/{language}/feed.xml">RSS</a></li></ul>
<p class="copyright">{escape(words["copyright"])}</p>
</footer>
</body>
</html>
"""

    def _article(self, story: dict[str, Any], language: str, page: int = 1) -> str:
        head = self._article_head(story, language, page)
        main = self._article_main(story, language, page)
        return self._chrome(language, self.version(story, language)["title"], head, main)

    def _page_url(self, story: dict[str, Any], language: str, page: int) -> str:
        """The address of one page of an article (the first has no number)."""
        path = self.article_path(story, language)
        return path if page == 1 else f"{path}?page={page}"

    def _article_head(self, story: dict[str, Any], language: str, page: int = 1) -> str:
        """What an article page says of itself: canonical, hreflang, meta, JSON-LD; the
        pages of an article cut into several name their neighbours (and, as many sites
        do, their first page as canonical)."""
        version = self.version(story, language)
        url = self.base + self.article_path(story, language)
        neighbours = "".join(
            f'<link rel="{rel}" href="{self.base}{self._page_url(story, language, number)}">'
            for rel, number in (("prev", page - 1), ("next", page + 1))
            if 1 <= number <= _pages(story)
        )
        alternates = "\n".join(
            f'<link rel="alternate" hreflang="{lang}" href="{self.base}'
            f'{self.article_path(story, lang)}">'
            for lang in story["versions"]
            if lang != language
        )
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": version["title"],
            "datePublished": story["published"],
            "dateModified": self.modified(story, language),
            "author": [{"@type": "Person", "name": version["author"]}],
            "keywords": version["tags"],
            "articleSection": story["section"][language],
            "inLanguage": language,
            "publisher": {"@type": "Organization", "name": self.data["site"]["name"][language]},
        }
        if story.get("access") == "paywalled":  # as a site with a paywall tells search engines
            ld["isAccessibleForFree"] = False
        if language in story.get("amp", []):
            neighbours += (
                f'<link rel="amphtml" href="{self.base}/amp{self.article_path(story, language)}">'
            )
        head = f"""<link rel="canonical" href="{url}?utm_source=demo">{neighbours}
{alternates}
<meta name="description" content="{escape(version["description"])}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(version["title"])}">
<meta property="og:site_name" content="{escape(self.data["site"]["name"][language])}">
<meta property="og:locale" content="{language}">
<meta property="article:published_time" content="{story["published"]}">
<meta property="article:modified_time" content="{self.modified(story, language)}">
<meta property="article:section" content="{escape(story["section"][language])}">
{"".join(f'<meta property="article:tag" content="{escape(t)}">' for t in version["tags"])}
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>"""
        return head

    def _article_main(self, story: dict[str, Any], language: str, page: int = 1) -> str:
        """The article as readers see it, with the clutter real sites put in its body;
        one page of it, with a pager, when it is cut into several."""
        version = self.version(story, language)
        words = self.data["boilerplate"][language]
        stories = self.data["stories"]
        other = stories[(stories.index(story) + 1) % len(stories)]
        other_url = self.article_path(other, language)
        pages = _pages(story)
        per_page = -(-len(version["paragraphs"]) // pages)
        shown = version["paragraphs"][(page - 1) * per_page : page * per_page]
        paragraphs = [f"<p>{escape(p)}</p>" for p in shown]
        see_also = (
            f'<p class="related">{escape(words["see_also"])} '
            f'<a href="{other_url}">{escape(other["versions"][language]["title"])}</a></p>'
        )
        body = [*paragraphs[:2], see_also, *paragraphs[2:]]
        if page == pages:
            body += [
                self._stamp(story, language),
                "<p>\u00a0\u00a0\u00a0</p>",
                f'<p class="cta">{escape(words["subscribe"])}</p>',
                "<p>----------------------------------------</p>",
            ]
        if pages > 1:
            body.append(self._pager(story, language, page))
        latest = "".join(
            f'<li><a href="{self.article_path(s, language)}">'
            f"{escape(s['versions'][language]['title'])}</a></li>"
            for s in stories
            if s is not story
        )
        main = f"""<div class="breadcrumbs"><a href="/{language}/">{escape(words["nav"][0])}</a> ›
<a href="/{language}/">{escape(story["section"][language])}</a></div>
<article class="story">
<h1>{escape(version["title"])}</h1>
<p class="byline"><a rel="author" href="/{language}/">{escape(version["author"])}</a> ·
<time datetime="{story["published"]}">{_date(story["published"])}</time></p>
<div class="story-body">
{chr(10).join(body)}
</div>
<div class="share">{escape(words["share"])}: <a href="#">Facebook</a> <a href="#">X</a>
<a href="#">Telegram</a> <a href="#">E-mail</a></div>
</article>
<aside class="latest"><h2>{escape(words["latest"])}</h2><ul>{latest}</ul></aside>"""
        return main

    # -- the specials -------------------------------------------------------------------

    def _special_head(self, entry: dict[str, Any], ld: dict[str, Any]) -> str:
        url = self.base + self.special_path(entry["key_name"])
        ld = {
            "@context": "https://schema.org",
            "headline": entry["title"],
            "datePublished": entry["published"],
            "dateModified": entry["modified"],
            "author": [{"@type": "Person", "name": entry["author"]}],
            "articleSection": entry["section"],
            "inLanguage": entry["language"],
            "publisher": {"@type": "Organization", "name": self.data["site"]["name"]["en"]},
            **ld,
        }
        return f"""<link rel="canonical" href="{url}">
<meta name="description" content="{escape(entry["description"])}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(entry["title"])}">
<meta property="og:site_name" content="{escape(self.data["site"]["name"]["en"])}">
<meta property="article:published_time" content="{entry["published"]}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>"""

    def _live_blog_page(self) -> Page:
        """A live blog: its latest updates listed in JSON-LD (LiveBlogPosting) and shown
        newest first, each with its time. Its edit adds an update: the oldest one is no
        longer shown."""
        blog = {**self.data["live_blog"], "key_name": "live_blog"}
        updates = blog["updates"]
        if self.edited:
            updates = [*updates, *blog["edit"]["updates"]]
            blog["modified"] = blog["edit"]["modified"]
        updates = updates[-LIVE_BLOG_SHOWN:]
        ld = {
            "@type": "LiveBlogPosting",
            "coverageStartTime": blog["updates"][0]["time"],
            "coverageEndTime": updates[-1]["time"],
            "liveBlogUpdate": [
                {
                    "@type": "BlogPosting",
                    "headline": update["headline"],
                    "articleBody": update["text"],
                    "datePublished": update["time"],
                }
                for update in reversed(updates)
            ],
        }
        shown = "".join(
            f'<div class="liveblog-post"><time datetime="{u["time"]}">{u["time"][11:16]}</time>'
            f"<h2>{escape(u['headline'])}</h2><p>{escape(u['text'])}</p></div>"
            for u in reversed(updates)
        )
        main = f"""<article class="story live">
<h1>{escape(blog["title"])}</h1>
<p class="byline">{escape(blog["author"])}</p>
<div class="story-body"><p>{escape(blog["intro"])}</p>
<div class="liveblog-stream">{shown}</div></div>
</article>"""
        html = self._chrome("en", blog["title"], self._special_head(blog, ld), main)
        return self._html(html, "en", blog["modified"])

    def _app_article_page(self) -> Page:
        """An article rendered in the browser: the HTML is an empty shell, the text is in
        the page's data (``__NEXT_DATA__``, content blocks), as JavaScript apps send it."""
        article = {**self.data["app_article"], "key_name": "app_article"}
        blocks: list[dict[str, Any]] = [
            {"type": "paragraph", "text": paragraph} for paragraph in article["paragraphs"]
        ]
        blocks.insert(2, {"type": "image", "url": "/img/bus.jpg", "caption": "A night bus."})
        state = {
            "props": {
                "pageProps": {
                    "article": {
                        "headline": article["title"],
                        "byline": article["author"],
                        "content": {"blocks": blocks},
                    }
                }
            },
            "page": "/[section]/[slug]",
        }
        main = (
            '<div id="__next"><div class="app-shell"><div class="skeleton">Loading…</div>'
            "</div></div>"
            f'<script id="__NEXT_DATA__" type="application/json">'
            f"{json.dumps(state, ensure_ascii=False)}</script>"
        )
        head = self._special_head(article, {"@type": "NewsArticle"})
        html = self._chrome("en", article["title"], head, main)
        return self._html(html, "en", article["modified"])

    def _amp_page(self, story: dict[str, Any], language: str) -> Page:
        """The AMP twin of an article: the same story, a plainer page, naming the article
        as its canonical page."""
        version = story["versions"][language]
        canonical = self.base + self.article_path(story, language)
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in version["paragraphs"])
        html = f"""<!DOCTYPE html>
<html amp lang="{language}"><head><meta charset="utf-8">
<title>{escape(version["title"])}</title>
<link rel="canonical" href="{canonical}">
<meta property="article:published_time" content="{story["published"]}">
<meta name="author" content="{escape(version["author"])}">
</head><body><header>{escape(self.data["site"]["name"][language])}</header>
<article><h1>{escape(version["title"])}</h1>{paragraphs}</article></body></html>
"""
        return self._html(html, language, story["modified"])

    def _specials_in(self, language: str) -> list[tuple[str, dict[str, Any]]]:
        """(path, entry) of the specials written in ``language``."""
        return [
            (self.special_path(name), self.data[name])
            for name in ("live_blog", "app_article")
            if self.data[name]["language"] == language
        ]

    def _pager(self, story: dict[str, Any], language: str, page: int) -> str:
        """Numbered links to the pages of the article, and a "next" link."""
        links = " ".join(
            str(number)
            if number == page
            else f'<a href="{self._page_url(story, language, number)}">{number}</a>'
            for number in range(1, _pages(story) + 1)
        )
        following = (
            f' <a class="next" href="{self._page_url(story, language, page + 1)}">›</a>'
            if page < _pages(story)
            else ""
        )
        return f'<nav class="pagination">{page}/{_pages(story)} · {links}{following}</nav>'

    def _section(self, language: str) -> str:
        words = self.data["boilerplate"][language]
        items = "".join(
            f'<li><a href="{self.article_path(s, language)}">'
            f"{escape(s['versions'][language]['title'])}</a> "
            f'<a class="more" href="{self.article_path(s, language)}">'
            f"{escape(words['read_more'])}</a></li>"
            for s in self.data["stories"]
        ) + "".join(
            f'<li><a href="{path}">{escape(entry["title"])}</a></li>'
            for path, entry in self._specials_in(language)
        )
        main = f'<h1>{escape(words["latest"])}</h1><ul class="teasers">{items}</ul>'
        return self._chrome(language, words["latest"], "", main)

    def _home(self) -> str:
        items = "".join(
            f'<li><a hreflang="{lang}" href="/{lang}/">{escape(self.data["site"]["name"][lang])}'
            "</a></li>"
            for lang in self.languages
        )
        main = f'<h1>The Meridian Courier</h1><ul class="editions">{items}</ul>'
        return self._chrome("en", "Editions", "", main)

    def _about(self) -> str:
        main = (
            "<h1>About us</h1><p>The Meridian Courier is a fictional newspaper published "
            "in six languages for the newscorpus demo.</p>"
        )
        return self._chrome("en", "About", "", main)

    def _rss(self, language: str) -> str:
        items = "".join(
            f"<item><title>{escape(s['versions'][language]['title'])}</title>"
            f"<link>{self.base}{self.article_path(s, language)}</link>"
            f"<pubDate>{s['published']}</pubDate>"
            f"<description>{escape(s['versions'][language]['description'])}</description></item>"
            for s in self.data["stories"]
        ) + "".join(
            f"<item><title>{escape(entry['title'])}</title><link>{self.base}{path}</link>"
            f"<pubDate>{entry['published']}</pubDate></item>"
            for path, entry in self._specials_in(language)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(self.data['site']['name'][language])}</title>"
            f"<link>{self.base}/{language}/</link><language>{language}</language>"
            f"{items}</channel></rss>"
        )

    def _sitemap_index(self) -> str:
        maps = "".join(
            f"<sitemap><loc>{self.base}/{name}</loc></sitemap>"
            for name in ("sitemap-articles.xml", "news-sitemap.xml")
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}'
            "</sitemapindex>"
        )

    def _sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{self.base}{self.article_path(s, lang)}</loc>"
            f"<lastmod>{s['modified']}</lastmod></url>"
            for s in self.data["stories"]
            for lang in s["versions"]
        )
        # specials; and AMP twins after their articles, as sites list both
        urls += "".join(
            f"<url><loc>{self.base}{path}</loc></url>"
            for path in [
                *(path for lang in self.languages for path, _ in self._specials_in(lang)),
                *(path for path, _, _ in self.amp_paths()),
            ]
        )
        extra = "".join(f"<url><loc>{self.base}/{lang}/</loc></url>" for lang in self.languages)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}{extra}'
            f"<url><loc>{self.base}/about.html</loc></url></urlset>"
        )

    def _news_sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{self.base}{self.article_path(s, lang)}</loc><news:news>"
            "<news:publication><news:name>"
            f"{escape(self.data['site']['name'][lang])}</news:name>"
            f"<news:language>{lang}</news:language></news:publication>"
            f"<news:publication_date>{s['published']}</news:publication_date>"
            f"<news:title>{escape(s['versions'][lang]['title'])}</news:title>"
            "</news:news></url>"
            for s in self.data["stories"]
            for lang in s["versions"]
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        )


class WireSite:
    """The syndication partner: the same stories, another template, its own URLs."""

    name = "wire"

    def __init__(self, base_url: str, origin: MeridianSite) -> None:
        self.base = base_url.rstrip("/")
        self.origin = origin

    def stories(self) -> list[tuple[dict[str, Any], str]]:
        return [
            (story, language)
            for story in self.origin.data["stories"][:WIRE_STORIES]
            for language in WIRE_LANGUAGES
        ]

    def article_path(self, story: dict[str, Any], language: str) -> str:
        return f"/wire/{language}/{story['key']}.html"

    def article_paths(self) -> list[str]:
        return [self.article_path(story, language) for story, language in self.stories()]

    def render(self, path: str) -> Page | None:
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            text = f"User-agent: *\nAllow: /\nSitemap: {self.base}/sitemap.xml\n"
            return Page(200, "text/plain; charset=utf-8", text.encode())
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in self.article_paths())
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            )
            return Page(200, "application/xml; charset=utf-8", xml.encode())
        if path in ("/", "/index.html"):
            links = "".join(
                f'<li><a href="{self.article_path(s, lang)}">'
                f"{escape(s['versions'][lang]['title'])}</a></li>"
                for s, lang in self.stories()
            )
            return Page(
                200,
                "text/html; charset=utf-8",
                self._page("en", "Global Wire", "", f"<ul>{links}</ul>").encode(),
            )
        for story, language in self.stories():
            if self.article_path(story, language) == path:
                html = self._article(story, language)
                return Page(200, "text/html; charset=utf-8", html.encode(), story["modified"])
        return None

    def _page(self, language: str, title: str, head: str, main: str) -> str:
        return f"""<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8"><title>{escape(title)} - Global Wire</title>
{head}</head>
<body><div id="top-bar">Global Wire · syndicated news · <a href="/">Home</a></div>
<div id="content">{main}</div>
<div id="bottom">Syndicated content. Global Wire is a demo site of newscorpus.</div>
</body></html>
"""

    def _article(self, story: dict[str, Any], language: str) -> str:
        version = story["versions"][language]
        url = self.base + self.article_path(story, language)
        head = (
            f'<link rel="canonical" href="{url}">'
            f'<meta name="author" content="{escape(version["author"])}">'
            f'<meta name="description" content="{escape(version["description"])}">'
            '<meta property="og:site_name" content="Global Wire">'
        )
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in version["paragraphs"])
        origin = self.origin.data["site"]["name"][language]
        main = (
            f'<div class="wire-story"><h1 class="headline">{escape(version["title"])}</h1>'
            f'<div class="meta">{escape(version["author"])} / {escape(origin)} — '
            f"{_date(story['published'])}</div>"
            f'<section class="text">{paragraphs}</section>'
            '<div class="wire-footer">Distributed by Global Wire.</div></div>'
        )
        return self._page(language, version["title"], head, main)
