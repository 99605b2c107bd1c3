"""Finding articles: robots.txt, sitemaps, feeds, links, and telling articles from hubs.

Pure functions over bytes and URLs; the spider decides what to fetch with them. XML is
parsed with entity expansion and network access off (no billion laughs, no XXE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from newscorpus.urls import is_fetchable_page, is_hub_path, looks_like_article, normalize_url

COMMON_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")

_XML_PARSER = lxml.etree.XMLParser(
    resolve_entities=False, no_network=True, recover=True, huge_tree=False, remove_comments=True
)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_SESSION_PATH_PARAM = re.compile(r";(jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.IGNORECASE)

_CALENDAR = re.compile(r"(/calendar/|[?&](date|day|month|year|cal|from|to|start|end)=)", re.I)


@dataclass(slots=True)
class SitemapEntry:
    url: str
    published: str | None = None
    language: str | None = None


@dataclass(slots=True)
class Sitemap:
    is_index: bool
    entries: list[SitemapEntry]


def canonical_request_url(url: str) -> str:
    """The URL to fetch and to remember: normalised, session ids and tracking removed."""
    return normalize_url(_SESSION_PATH_PARAM.sub("", url))


def sitemaps_from_robots(robotparser: object, robots_url: str) -> list[str]:
    """The Sitemap lines of a robots.txt that scrapy parsed (its Protego parser), as URLs."""
    rules = getattr(robotparser, "rp", None)
    return [urljoin(robots_url, found) for found in getattr(rules, "sitemaps", ())]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _parse_xml(body: bytes) -> lxml.etree._Element | None:
    try:
        return lxml.etree.fromstring(body, parser=_XML_PARSER)
    except lxml.etree.XMLSyntaxError:  # empty or hopeless: nothing to follow
        return None


def parse_sitemap(body: bytes) -> Sitemap:
    """A sitemap or sitemap index, Google News extensions included."""
    root = _parse_xml(body)
    if root is None:
        return Sitemap(False, [])
    is_index = _local(root.tag) == "sitemapindex"
    entries = []
    for item in root:
        if _local(item.tag) not in ("url", "sitemap"):
            continue
        entry = SitemapEntry(url="")
        for child in item.iter():
            name = _local(child.tag)
            text = (child.text or "").strip()
            if name == "loc" and not entry.url:
                entry.url = text
            elif name == "publication_date":
                entry.published = text
            elif name == "language":
                entry.language = text
        if entry.url:
            entries.append(entry)
    return Sitemap(is_index, entries)


def parse_feed(body: bytes, base: str) -> list[str]:
    """Article URLs of an RSS or Atom feed."""
    root = _parse_xml(body)
    if root is None:
        return []
    urls = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":  # RSS
            for child in element:
                if _local(child.tag) == "link" and (child.text or "").strip():
                    urls.append(urljoin(base, child.text.strip()))
                    break
        elif name == "entry":  # Atom
            links = [c for c in element if _local(c.tag) == "link" and c.get("href")]
            preferred = [c for c in links if c.get("rel", "alternate") == "alternate"] or links
            if preferred:
                urls.append(urljoin(base, preferred[0].get("href", "")))
    return urls


def is_xml(body: bytes) -> bool:
    """Whether ``body`` is a feed or a sitemap (not XHTML, which also starts ``<?xml``)."""
    head = body[:2048].lower()
    if b"<html" in head:
        return False
    return any(
        tag in head for tag in (b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf:rdf")
    )


def page_links(html: bytes | str, base: str) -> tuple[list[str], list[str]]:
    """(links, feed links) of an HTML page, absolute, without fragments."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.LxmlError, ValueError):
        return [], []
    links, feeds = [], []
    for element in tree.iter("a", "link"):
        href = (element.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#", "data:")):
            continue
        try:
            url = urljoin(base, href).split("#", 1)[0]
        except ValueError:
            continue
        if element.tag == "link":
            rel = (element.get("rel") or "").lower().split()
            if "alternate" in rel and (element.get("type") or "").lower() in _FEED_TYPES:
                feeds.append(url)
        elif (element.get("rel") or "").lower() != "nofollow":
            links.append(url)
    return links, feeds


_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
TWIN_HEAD_BYTES = 256 * 1024  # <link> tags live in the head


def twin_links(html: bytes, base: str) -> list[str]:
    """The other pages of the same article a page names in its head: its AMP version
    (``rel="amphtml"``) and its canonical page, absolute. Read from the tags alone (the
    crawler calls it on every archived article, as it is archived)."""
    twins = []
    for tag in _LINK_TAG.findall(html[:TWIN_HEAD_BYTES]):
        attributes = {name.lower(): (a or b or c) for name, a, b, c in _ATTRIBUTE.findall(tag)}
        rel = attributes.get(b"rel", b"").decode("latin-1").lower().split()
        href = attributes.get(b"href", b"").decode("utf-8", "replace").strip()
        if href and ("amphtml" in rel or "canonical" in rel):
            try:
                url = urljoin(base, href).split("#", 1)[0]
            except ValueError:
                continue
            if url != base:
                twins.append(url)
    return twins


_AMP_PATH = re.compile(r"(?:^|/)amp(?:/|$)|[./]amp(?:\.html?)?$", re.IGNORECASE)
_AMP_QUERY = re.compile(
    r"(?:^|&)(?:amp(?:=[^&]*)?|outputtype=amp|output=amp)(?:&|$)", re.IGNORECASE
)


def looks_like_amp(url: str) -> bool:
    """Whether ``url`` is shaped as sites shape their AMP pages: ``/amp/…``, ``…/amp``,
    ``….amp.html``, ``?amp=1``, ``?outputType=amp``."""
    parts = urlsplit(url)
    return bool(_AMP_PATH.search(parts.path) or _AMP_QUERY.search(parts.query))


def in_sitemap_article(entry: SitemapEntry) -> bool:
    """Sitemaps list articles, plus a few section pages (paths ending in a slash)."""
    if entry.published or looks_like_article(entry.url):
        return True
    path = urlsplit(entry.url).path
    return not path.endswith("/") and not is_hub_path(path) and is_fetchable_page(entry.url)


def trap_reason(url: str, max_depth: int = 12, max_length: int = 1000) -> str | None:
    """Why ``url`` looks like a spider trap, or None."""
    if len(url) > max_length:
        return "long_url"
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if len(segments) > max_depth:
        return "deep_path"
    if segments and max(segments.count(s) for s in segments) >= 3:
        return "repeated_path_segment"
    if _CALENDAR.search(url):
        return "calendar"
    return None
