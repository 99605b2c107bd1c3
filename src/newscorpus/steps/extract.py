"""Extraction: an archived HTML response becomes a Document (text and metadata).

trafilatura finds the article body and its basic metadata; the page's structured data
(canonical link, hreflang alternates, OpenGraph/article meta, JSON-LD) fills in what
trafilatura leaves out, with full timestamps where the page gives them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.metadata import extract_metadata

from newscorpus.document import (
    ARTICLE,
    FREE,
    LIVE_BLOG,
    OTHER_PAGE,
    PAYWALLED,
    UNSPACED,
    Document,
    Translation,
    Update,
    count_words,
    document_id,
    first_iso_date,
    iso_date,
)
from newscorpus.encoding import decode_html
from newscorpus.steps.base import DropSink, Step
from newscorpus.steps.pages import (
    ARTICLE_TYPES,
    LINK_LIST_TYPE,
    LISTING_TYPES,
    WEAK_TYPES,
    non_article_reason,
)
from newscorpus.urls import host_name, normalize_url, url_domain
from newscorpus.warc.reader import WarcResponse
from newscorpus.webpage.boilerplate_rules import fallback_rule
from newscorpus.webpage.embedded_text import data_scripts, embedded_article_html
from newscorpus.webpage.live_blog import declared_updates, shown_updates
from newscorpus.webpage.pagination import pagination
from newscorpus.webpage.visible_metadata import (
    author_names,
    squeezed,
    title_date,
    visible_metadata,
)

logger = logging.getLogger(__name__)

_SPACE_RUN = re.compile(r"[^\S\u3000]+")
_TITLE_SEPARATOR = re.compile(r"^[|\-–—:·•»]\s*")
# What joins a headline to the site's name or section in a <title> or og:title:
# "Headline - Golem.de", "Headline | Sport | BILD.de", "見出し | 毎日新聞", "제목ㅣ한국일보".
_DECORATION = re.compile(r"\s+[|\-–—·•»/*]\s+|\s*[|｜ㅣ]\s*")
MAX_HEADINGS = 5
# Text mostly made of the page's own link texts: a listing (see _link_share).
LISTING_LINK_SHARE = 0.3
LINK_START_CHARS = 12
# A paragraph that is a whole link of this many words (or characters, in scripts written
# without spaces) is a teaser of another story.
MIN_TEASER_WORDS = 5
MIN_TEASER_CHARS = 12
# The class names of an article's text container ("article-body", "articleBody",
# "story-body", "entry-content"...): a site that cuts the text into several of them, with
# ads and "read also" boxes between, has them joined.
_BODY_CLASS = re.compile(
    r"(?:[a-z0-9]+[-_])?(?:(?:article|story|post|entry)[-_]?(?:body|content|text)"
    r"|body[-_]text|text[-_]body)(?:--[\w-]+)?",
    re.IGNORECASE,
)
_BLOCKS = ("p", "h2", "h3", "ul", "ol", "blockquote")
MIN_STORY_CHARS = 1500
SHELL_TEXT_CHARS = 1000  # DOM text this short may be a shell around data...
DATA_TEXT_FACTOR = 3  # ...when the page's data holds at least this many times more
# The summary under a headline ("standfirst", "dek", "lead", "teaser text"): a class that
# says so, or the text of the page's description, in the elements that follow the <h1>.
_STANDFIRST_CLASS = re.compile(
    r"standfirst|\bdek\b|[-_]dek\b|(?:\b|[-_])lead(?![-_]?(?:art|image|img|media|photo|video|pic))"
    r"|intro|excerpt|summary|subtitle|sub-title"
    r"|teaser[-_]?text|leadtext|epigraph|article[-_]?desc|description|speakable",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"caption|credit|figure|image|photo|media", re.IGNORECASE)
STANDFIRST_CHARS = (40, 1000)
STANDFIRST_SEARCH = 60  # elements after the headline
MATCH_CHARS = 60  # an <article> this long with its own headline is a story, not a teaser
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HTML_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
_T = TypeVar("_T")


class Extract(Step[WarcResponse, Document]):
    """WarcResponse -> Document, or a counted drop when no article text is found."""

    name = "extract"

    def __init__(self, include_tables: bool = True, *, on_drop: DropSink | None = None) -> None:
        super().__init__(on_drop=on_drop)
        self.include_tables = include_tables

    def run(
        self, docs: Iterable[WarcResponse], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for response in docs:
            self.count("seen")
            try:
                document = self.extract(response)
            except (ValueError, lxml.etree.LxmlError) as exc:
                logger.debug("cannot parse %s: %s", response.url, exc)
                self.drop("unparsable_html")
                continue
            except Exception as exc:  # one strange page must not fail its whole shard
                logger.warning("extraction failed on %s: %r", response.url, exc)
                self.drop("extraction_error")
                continue
            if document is None:
                continue
            self.count("extracted")
            yield document

    def extract(self, response: WarcResponse) -> Document | None:
        html = decode_html(response.body, response.charset)
        html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses a str that has one
        if not html.strip():
            self.drop("empty_page")
            return None
        failure: Exception | None = None
        try:
            document = self._extract_html(html, response)
        except ValueError as exc:
            document, failure = None, exc
        if document is None and _CONTROL_CHARS.search(html):
            # C0 control characters make lxml or trafilatura give up. They are rare, and
            # searching every page for them costs ~1 ms: cleaned only when extraction failed.
            try:
                document = self._extract_html(_CONTROL_CHARS.sub("", html), response)
                failure = None
            except ValueError as exc:
                failure = exc
        if failure is not None:  # the parser or the extractor gave up: not a property of the page
            logger.debug("cannot parse %s: %s", response.url, failure)
            self.drop("unparsable_html")
        elif document is None:  # parsed, and no article text in it
            self.drop("no_text")
        return document

    def _helper(self, url: str, helper: Callable[..., _T], *args: Any) -> _T | None:
        """A metadata helper's answer, or None when it fails: a bug in a helper costs that
        piece of metadata, never the article, and is counted by what failed."""
        try:
            return helper(*args)
        except Exception as exc:
            name = helper.__name__.strip("_")
            self.count(f"helper_error.{name}")
            logger.debug("%s failed on %s: %r", name, url, exc)
            return None

    def _body(self, tree: lxml.html.HtmlElement, url: str) -> str:
        """trafilatura's text of the article in ``tree`` (which it prunes), or ""."""
        result = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=False,
            include_comments=False,
            include_tables=self.include_tables,
            deduplicate=False,
        )
        if not isinstance(result, trafilatura.settings.Document):
            return ""
        return (result.text or "").strip()

    def _text_from_data(self, url: str, dom_text: str, scripts: list[str]) -> str:
        """The article as HTML in a script's JSON, when that gives much more text than the
        DOM. (trafilatura itself falls back to JSON-LD ``articleBody``.)"""
        embedded = self._helper(url, embedded_article_html, scripts) if scripts else None
        if embedded:
            text = self._body(_shell(embedded), url)
            if len(text) >= DATA_TEXT_FACTOR * len(dom_text):
                self.count("text_from_page_data")
                return text
        return dom_text

    def _extract_html(self, html: str, response: WarcResponse) -> Document | None:
        # parsed as trafilatura parses: comments and processing instructions left out, so
        # that no helper meets them and no text after them (their tail) is lost
        tree = lxml.html.fromstring(html, parser=_HTML_PARSER)
        url = response.url
        page = self._page_metadata(tree, url)
        # The page's link texts, read before the tree is cut down: a page that does not say
        # it is an article may be a listing of them, and an article may hold teasers.
        links = self._helper(url, _LinkTexts, tree)
        headings = self._helper(url, _headings, tree) or []
        page.title = (
            self._helper(url, _headline, page.title, headings, page.outlets, page.social_title)
            or page.title
        )
        if not page.updates:  # a live blog that does not list its updates shows them
            page.updates = self._helper(url, shown_updates, tree) or []
        paging = self._helper(url, pagination, tree, url)
        if paging is not None:
            for pager in paging.pagers:  # "‹ 1 2 3 ›" is no part of the text
                pager.drop_tree()
            self.count("paginated_pages")
        self._remove_other_content(tree, url)
        standfirst = self._helper(url, _standfirst, tree, page.description)
        scripts = self._helper(url, data_scripts, tree) or []
        body_text = self._body(tree, url)
        if len(body_text) < SHELL_TEXT_CHARS:  # the DOM may be an empty shell: page data
            body_text = self._text_from_data(url, body_text, scripts)
        if not body_text:
            return None
        page.sitename = page.sitename or self._helper(url, _sitename_from_title, tree, page.title)
        canonical = normalize_url(page.canonical or response.url)
        text = _body_text(body_text, [page.title, *headings])
        if links:
            text = self._link_lines_removed(text, page, links, url)
        if standfirst and squeezed(standfirst)[:MATCH_CHARS] not in squeezed(text[:5000]):
            text = f"{_clean_space(standfirst)}\n\n{text}"  # trafilatura left it out
            self.count("standfirst_added")
        return Document(
            id=document_id(canonical),
            url=response.url,
            canonical_url=canonical,
            domain=url_domain(response.url),
            title=page.title,
            text=text,
            authors=page.authors,
            published=page.published,
            modified=page.modified,
            sitename=page.sitename,
            description=page.description,
            tags=page.tags,
            translations=page.translations,
            crawled_at=response.fetched_at,
            first_seen=response.fetched_at,
            warc_file=response.warc_file,
            warc_offset=response.warc_offset,
            # the page's word on its language, else the server's when it names one
            declared_language=page.language or _one_language(response.content_language),
            declared_type=page.page_type,
            page_type=(
                LIVE_BLOG
                if page.live_blog or page.updates
                else OTHER_PAGE
                if non_article_reason(url, page.page_type)
                else ARTICLE
            ),
            updates=page.updates,
            access=page.access,
            page_key=paging.key if paging else None,
            page_number=paging.number if paging else 1,
            page_last=paging.last if paging else 1,
        )

    def _page_metadata(self, tree: lxml.html.HtmlElement, url: str) -> PageMetadata:
        """What the page says of itself: structured data first, then what it shows
        readers, then trafilatura's guesses for what is still missing."""
        page = self._helper(url, page_metadata, tree, url) or PageMetadata()
        if page.published is None or not page.authors or page.byline_is_outlet:
            # Dates and bylines written for readers ("12 mars 2024", "Автор: …"): fast.
            visible = self._helper(url, visible_metadata, tree, page.language)
            if visible is not None:
                page.published = page.published or visible.published
                page.modified = page.modified or visible.modified
                people, only_outlet = author_names(visible.authors, page.outlets)
                if people and not only_outlet and (not page.authors or page.byline_is_outlet):
                    page.authors, page.byline_is_outlet = people, False
        if page.published is None:
            page.published = self._helper(url, title_date, tree, page.language)
        if page.title is None or page.published is None:
            # No structured data for these: trafilatura's heuristics (title element, bylines,
            # htmldate) fill the gaps. Run before bare_extraction, which prunes the tree.
            self.count("metadata_fallback")
            self._helper(url, _fill_from_trafilatura, page, tree, url)
        return page

    def _remove_other_content(self, tree: lxml.html.HtmlElement, url: str) -> None:
        """Other articles, social embeds and teaser cards out of the tree; the parts of
        a body split in sibling containers joined."""
        if self._helper(url, _remove_other_articles, tree):
            self.count("other_articles_removed")
        self.count("social_embeds_removed", self._helper(url, _remove_social_embeds, tree) or 0)
        self.count("teaser_cards_removed", self._helper(url, _remove_teaser_cards, tree) or 0)
        if self._helper(url, _join_body_parts, tree):
            self.count("body_parts_joined")

    def _link_lines_removed(
        self, text: str, page: PageMetadata, links: _LinkTexts, url: str
    ) -> str:
        """``text`` without the lines that are links to other pages; a page that does
        not say it is an article and is mostly such lines becomes a list of links."""
        paragraphs = text.split("\n\n")
        keys = [squeezed(paragraph) for paragraph in paragraphs]
        declared = page.page_type in ARTICLE_TYPES
        share = None if declared else self._helper(url, _link_share, keys, links)
        if share is not None and share >= LISTING_LINK_SHARE:
            page.page_type = LINK_LIST_TYPE  # teasers of other pages, not an article
            self.count("link_lists_found")
            return text
        kept = self._helper(url, _without_link_lines, paragraphs, keys, links)
        if kept is None or len(kept) >= len(paragraphs):
            return text
        self.count("link_lines_removed", len(paragraphs) - len(kept))
        return "\n\n".join(kept)


def _one_language(header: str | None) -> str | None:
    """The language a Content-Language header names, if it names exactly one."""
    tags = [tag.strip() for tag in (header or "").split(",") if tag.strip()]
    return tags[0] if len(tags) == 1 else None


@dataclass(slots=True)
class PageMetadata:
    """What a page says about itself in its markup."""

    canonical: str | None = None
    translations: list[Translation] = field(default_factory=list)
    language: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    sitename: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    page_type: str | None = None  # schema.org or OpenGraph type, lower case
    outlets: list[str] = field(default_factory=list)  # names the site gives itself
    byline_is_outlet: bool = False  # the only author named is the outlet itself
    social_title: str | None = None  # og:title or twitter:title
    access: str | None = None  # "free" or "paywalled" as the page declares it, else None
    live_blog: bool = False  # declared a LiveBlogPosting
    updates: list[Update] = field(default_factory=list)  # a live blog's


class _LinkTexts:
    """The texts of a page's links (squeezed), to find them at the start of paragraphs."""

    __slots__ = ("by_start", "whole")

    def __init__(self, tree: lxml.html.HtmlElement) -> None:
        self.whole = {squeezed(link.text_content()) for link in tree.iter("a")}
        self.whole.discard("")
        self.by_start: dict[str, list[str]] = {}
        for text in self.whole:
            if len(text) >= LINK_START_CHARS:
                self.by_start.setdefault(text[:LINK_START_CHARS], []).append(text)

    def linked_chars(self, paragraph: str) -> int:
        """How much of ``paragraph`` (squeezed) is a link text it is or starts with: a
        teaser's headline, with or without its summary after it."""
        if paragraph in self.whole:
            return len(paragraph)
        starts = self.by_start.get(paragraph[:LINK_START_CHARS], ())
        return max((len(text) for text in starts if paragraph.startswith(text)), default=0)


def _link_share(keys: list[str], links: _LinkTexts) -> float:
    """The share of a text (its paragraphs ``squeezed``) that is the text of the page's
    own links, paragraph by paragraph: a listing's teaser headlines. Real articles stay
    under 0.16 (a "Read more" line or two, a linked name); listings are over 0.4."""
    total = sum(map(len, keys))
    return sum(map(links.linked_chars, keys)) / total if total else 0.0


def _is_headline_long(paragraph: str) -> bool:
    unspaced = UNSPACED.search(paragraph) is not None
    return count_words(paragraph) >= (MIN_TEASER_CHARS if unspaced else MIN_TEASER_WORDS)


def _without_link_lines(paragraphs: list[str], keys: list[str], links: _LinkTexts) -> list[str]:
    """The ``paragraphs`` (``keys``: the same, ``squeezed``) but those that are, whole, the
    text of one of the page's links and long enough to be a headline: teasers of other
    stories ("Trump wins Michigan caucuses"), not a linked name or section heading ("Dua
    Lipa", "Dance"). All of them when none would be left."""
    kept = [
        paragraph
        for paragraph, key in zip(paragraphs, keys, strict=True)
        if not (key in links.whole and _is_headline_long(paragraph))
    ]
    return kept or paragraphs


def _body_text(text: str, headlines: list[str | None]) -> str:
    """trafilatura's lines as paragraphs separated by one blank line; a first line that
    repeats the title or the visible headline left out."""
    paragraphs = [_clean_space(line) for line in text.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and squeezed(paragraphs[0]) in {squeezed(h) for h in headlines if h}:
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs)


def _headings(tree: lxml.html.HtmlElement) -> list[str]:
    """The texts of the page's first ``<h1>`` elements."""
    found = []
    for index, element in enumerate(tree.iter("h1")):
        if index >= MAX_HEADINGS:
            break
        found.append(element.text_content())
    return found


def _shell(article_html: str) -> lxml.html.HtmlElement:
    """A page around article HTML found in the page's data."""
    return lxml.html.fromstring(
        f"<html><body><article>{article_html}</article></body></html>", parser=_HTML_PARSER
    )


def _join_body_parts(tree: lxml.html.HtmlElement) -> bool:
    """Joins an article's text cut into several containers of the same kind.

    trafilatura takes the first container that looks like an article's body; when a
    site splits the text into sibling containers of one class (or ``itemprop=
    "articleBody"``) with inserts between them, the parts after the first are moved into
    it, in order, and the inserts stay outside. Parts must share a section of the page
    (not only ``<body>``). True when parts were joined.
    """
    groups: dict[tuple[str, str], list[lxml.html.HtmlElement]] = {}
    for element in tree.iter("div", "section"):
        if (element.get("itemprop") or "").lower() == "articlebody":
            groups.setdefault(("itemprop", ""), []).append(element)
            continue
        # whole class names: "article-body__paragraph" is one paragraph, not a body part;
        # parts share that name, not always the rest ("body articleBody -bottom-space")
        for mark in (element.get("class") or "").split():
            if _BODY_CLASS.fullmatch(mark):
                groups.setdefault((element.tag, mark.lower()), []).append(element)
                break
    joined = False
    for members in groups.values():
        chosen = set(members)
        parts = [m for m in members if not any(a in chosen for a in m.iterancestors())]
        if len(parts) < 2 or _common_ancestor(parts).tag in ("body", "html"):
            continue
        if not all(next(part.iter(*_BLOCKS), None) is not None for part in parts):
            continue  # parts of paragraphs, not of the text
        first = parts[0]
        for part in parts[1:]:
            if part.text and part.text.strip():
                lead = lxml.html.Element("p")
                lead.text = part.text
                first.append(lead)
            for child in list(part):
                first.append(child)  # moved, with its tail
            part.drop_tree()
        joined = True
    return joined


def _common_ancestor(elements: list[lxml.html.HtmlElement]) -> lxml.html.HtmlElement:
    shared = set(elements[0].iterancestors())
    for element in elements[1:]:
        shared &= set(element.iterancestors())
    return next(a for a in elements[0].iterancestors() if a in shared)


def _standfirst(tree: lxml.html.HtmlElement, description: str | None) -> str | None:
    """The summary printed under the headline, which trafilatura often leaves out."""
    heading = next(tree.iter("h1"), None)
    if heading is None:
        return None
    wanted = squeezed(description or "")[:MATCH_CHARS]
    for index, element in enumerate(heading.itersiblings()):
        found = _standfirst_in(element, wanted)
        if found or index >= STANDFIRST_SEARCH:
            return found
    parent = heading.getparent()  # a headline alone in its <header>: look after that
    if parent is not None and parent.tag in ("header", "hgroup", "div"):
        for index, element in enumerate(parent.itersiblings()):
            found = _standfirst_in(element, wanted)
            if found or index >= STANDFIRST_SEARCH:
                return found
    return None


def _standfirst_in(element: lxml.html.HtmlElement, wanted: str) -> str | None:
    for candidate in element.iter("p", "div", "h2", "h3", "span"):
        marks = " ".join([candidate.get("class") or "", candidate.get("itemprop") or ""])
        text = " ".join(candidate.text_content().split())
        if not STANDFIRST_CHARS[0] <= len(text) <= STANDFIRST_CHARS[1]:
            continue
        if _CAPTION.search(marks) or any(a.tag == "figure" for a in candidate.iterancestors()):
            continue  # a picture's caption, not the article's summary
        if fallback_rule(text):
            continue  # a credit, an affiliate notice
        if _STANDFIRST_CLASS.search(marks) or (wanted and squeezed(text)[:MATCH_CHARS] == wanted):
            links = sum(len(a.text_content()) for a in candidate.iter("a"))
            return text if links < len(text) / 2 else None
    return None


def _remove_other_articles(tree: lxml.html.HtmlElement) -> bool:
    """Removes the next stories a page appends under its own (endless scrolling).

    Among the ``<article>`` elements that have a headline and sit inside no other, the one
    with the page's first ``<h1>`` is the page's article; every other one long enough to
    be a story (teasers are not) goes. True when one was removed.
    """
    stories = [
        element
        for element in tree.iter("article")
        if next(element.iter("h1", "h2"), None) is not None
        and not any(parent.tag == "article" for parent in element.iterancestors())
    ]
    if len(stories) < 2:
        return False
    first_heading = next(tree.iter("h1"), None)
    kept = next(
        (story for story in stories if any(h is first_heading for h in story.iter("h1"))),
        None,
    )
    if kept is None:  # the headline is outside them all: they are not the page's story
        return False
    others = [
        story
        for story in stories
        if story is not kept and len(story.text_content()) >= MIN_STORY_CHARS
    ]
    for story in others:
        story.drop_tree()
    return bool(others)


# Posts of social networks embedded in an article, as their embed codes mark them: quoted
# from elsewhere, with the network's own chrome ("— Name (@handle) February 28, 2024").
_SOCIAL_EMBED = re.compile(
    r"\b(?:twitter-tweet|twitter-video|instagram-media|tiktok-embed|fb-post|threads-post"
    r"|bluesky-embed|reddit-embed|mastodon-embed|telegram-post)\b",
    re.IGNORECASE,
)


def _remove_social_embeds(tree: lxml.html.HtmlElement) -> int:
    """Removes embedded social-network posts (their text is not the article's; their
    tail, the article's text after them, stays). How many were removed."""
    embeds = [
        element
        for element in tree.iter("blockquote", "div")
        if _SOCIAL_EMBED.search(element.get("class") or "")
    ]
    embeds = [e for e in embeds if not any(a in embeds for a in e.iterancestors())]
    for element in embeds:
        element.drop_tree()
    return len(embeds)


_TEASER_CARD = lxml.etree.XPath(
    "//a[(.//h1 or .//h2 or .//h3 or .//h4 or .//h5 or .//h6) and .//p]"
)


def _remove_teaser_cards(tree: lxml.html.HtmlElement) -> int:
    """Removes teaser cards: a link that holds a headline and a paragraph is another
    story's teaser ("You might also like"), never the article's own text. How many."""
    cards = _TEASER_CARD(tree)
    for card in cards:
        card.drop_tree()  # nested cards: dropping the outer one detaches the inner too
    return len(cards)


def page_metadata(tree: lxml.html.HtmlElement, url: str) -> PageMetadata:
    """Links, meta tags (OpenGraph, article:*) and JSON-LD of a parsed page."""
    page = PageMetadata()
    page.canonical, alternates = _linked_pages(tree, url)
    own = normalize_url(page.canonical or url)
    page.translations = [t for t in alternates if normalize_url(t.url) != own]
    meta = _meta_tags(tree)
    items = _json_ld(tree)
    ld, ld_type = _json_ld_main(items)
    page.page_type = _page_type(ld_type, (_first(meta, "og:type") or "").lower())
    page.language = tree.get("lang") or tree.get("xml:lang") or _first(meta, "og:locale")
    headline = ld.get("headline")
    page.social_title = _first(meta, "og:title", "twitter:title")
    page.title = (
        _clean_space(headline) if isinstance(headline, str) else None
    ) or page.social_title
    page.published = _first_iso(
        meta.get("article:published_time"), [ld.get("datePublished")], meta.get("datepublished")
    )
    page.modified = _first_iso(
        meta.get("article:modified_time"),
        [ld.get("dateModified")],
        meta.get("og:updated_time"),
        meta.get("datemodified"),
    )
    authors = _json_ld_authors(ld.get("author")) or [
        a for a in meta.get("author", []) + meta.get("article:author", []) if "://" not in a
    ]
    publisher = ld.get("publisher")
    publisher_name = (
        _clean_space(publisher["name"])
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str)
        else None
    )
    page.sitename = _first(meta, "og:site_name", "application-name") or publisher_name
    page.outlets = [
        name for name in (page.sitename, publisher_name, host_name(url)) if name is not None
    ]
    page.authors, page.byline_is_outlet = author_names(_unique(authors), page.outlets)
    page.description = _first(meta, "description", "og:description", "twitter:description")
    page.tags = _tags(meta, ld)
    page.access = declared_access(ld, items, meta)
    live_blog = next((item for item in items if "liveblogposting" in _types(item)), None)
    if live_blog is not None:  # beside a NewsArticle object, as some sites declare both
        page.live_blog = True
        page.updates = declared_updates(live_blog)
    return page


def _linked_pages(tree: lxml.html.HtmlElement, url: str) -> tuple[str | None, list[Translation]]:
    """The page's canonical URL (its first), and its translations (hreflang links)."""
    canonical = None
    alternates: list[Translation] = []
    for link in tree.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        wanted = "canonical" in rel or ("alternate" in rel and link.get("hreflang"))
        if not href or not wanted:  # stylesheets, icons, feeds: not worth resolving
            continue
        target = _absolute(url, href)
        if target is None:
            continue
        if "canonical" in rel and canonical is None:
            canonical = target
        elif "alternate" in rel and link.get("hreflang"):
            language = link.get("hreflang", "").strip()
            if language.lower() != "x-default":
                alternates.append(Translation(language=language, url=target))
    return canonical, alternates


def _meta_tags(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """Every meta tag's contents, by its lower-cased property, name or itemprop."""
    meta: dict[str, list[str]] = {}
    for element in tree.iterfind(".//meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop") or ""
        content = (element.get("content") or "").strip()
        if key and content:
            meta.setdefault(key.strip().lower(), []).append(content)
    return meta


def _first(meta: dict[str, list[str]], *keys: str) -> str | None:
    """The first content of the first of ``keys`` the page has."""
    for key in keys:
        values = meta.get(key)
        if values:
            return _clean_space(values[0]) or None
    return None


def _page_type(ld_type: str | None, og_type: str) -> str | None:
    if ld_type not in ARTICLE_TYPES and (og_type == "article" or not ld_type):
        # og:type=article wins over a JSON-LD ItemList (a listicle is an article)
        return og_type or ld_type
    if ld_type in WEAK_TYPES and og_type:
        return og_type
    return ld_type


def _tags(meta: dict[str, list[str]], ld: dict[str, Any]) -> list[str]:
    """Tags and sections, from meta tags and JSON-LD."""
    tags = meta.get("article:tag", []) + meta.get("article:section", [])
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        tags += keywords.split(",")
    elif isinstance(keywords, list):
        tags += [str(k) for k in keywords]
    section = ld.get("articleSection")
    if isinstance(section, str):
        tags.append(section)
    return _unique(tags)


def _absolute(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``, if it is a valid http(s) URL."""
    try:
        url = urljoin(base, href)
        normalize_url(url)
    except ValueError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _fill_from_trafilatura(page: PageMetadata, tree: lxml.html.HtmlElement, url: str) -> None:
    found = extract_metadata(tree, url)
    page.title = page.title or _clean_space(found.title or "") or None
    page.published = page.published or iso_date(found.date)
    if not page.authors:
        page.authors, page.byline_is_outlet = author_names(
            _split_authors(found.author), page.outlets
        )
    page.sitename = page.sitename or _clean_space(found.sitename or "") or None
    page.description = page.description or _clean_space(found.description or "") or None
    page.tags = _unique([*page.tags, *(found.categories or []), *(found.tags or [])])


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page (top level and ``@graph``), in page order."""
    items: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        items.extend(_json_ld_items(data))
    return items


def _json_ld_main(items: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """The page's JSON-LD article and its type; else no article and the page's own type."""
    page_type: str | None = None
    for item in items:
        for name in _types(item):
            if name in ARTICLE_TYPES:
                return item, name
            if name in LISTING_TYPES or (name in WEAK_TYPES and page_type is None):
                page_type = name if page_type not in LISTING_TYPES else page_type
    return {}, page_type


def _types(item: dict[str, Any]) -> list[str]:
    """The ``@type`` names of a JSON-LD object, lower case."""
    types = item.get("@type")
    return [
        n.lower() for n in (types if isinstance(types, list) else [types]) if isinstance(n, str)
    ]


# OpenGraph's article:content_tier ("metered": free up to a count, unknown here)
_CONTENT_TIERS = {"free": FREE, "locked": PAYWALLED}


def declared_access(
    article: dict[str, Any], items: list[dict[str, Any]], meta: dict[str, list[str]]
) -> str | None:
    """The page's access as it declares it to search engines, "paywalled" or "free", else
    None: the article's JSON-LD ``isAccessibleForFree`` (a part of it declared not free,
    as Google asks for paywalled sections, makes it paywalled), else another JSON-LD
    object's (the WebPage), else OpenGraph's ``article:content_tier``. What is visible is
    what the page's HTML holds: a paywalled page's text is its teaser or what the wall
    covers."""
    for item in ([article] if article else []) + [i for i in items if i is not article]:
        free = _declared_free(item.get("isAccessibleForFree"))
        parts = item.get("hasPart")
        parts = parts if isinstance(parts, list) else [parts]
        if any(
            isinstance(part, dict) and _declared_free(part.get("isAccessibleForFree")) is False
            for part in parts
        ):
            return PAYWALLED
        if free is not None:
            return FREE if free else PAYWALLED
    tier = (_first(meta, "article:content_tier") or "").lower()
    return _CONTENT_TIERS.get(tier)


def _declared_free(value: Any) -> bool | None:
    """schema.org's Boolean, as pages write it: true, "True", "false", "False"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _json_ld_items(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:  # articles sit at the top or in @graph; deeper nesting is noise
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_items(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _json_ld_items(data["@graph"], depth + 1)


def _json_ld_authors(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, dict):
        name = value.get("name")
        return [name.strip()] if isinstance(name, str) and name.strip() else []
    if isinstance(value, list):
        return _unique([name for item in value for name in _json_ld_authors(item)])
    return []


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    return _unique([_clean_space(a) for a in value.split(";") if _clean_space(a)])


def _first_iso(*candidates: list[str] | list[Any] | None) -> str | None:
    """The first date of the first list that holds one."""
    return first_iso_date(value for values in candidates for value in values or [])


def _headline(
    title: str | None,
    headings: list[str],
    outlets: list[str],
    social_title: str | None = None,
) -> str | None:
    """The visible headline, without what the site adds to it in its titles.

    The page's ``<h1>`` (one of ``headings``) is the headline when the page's social
    title (og:title) says the same where the title (JSON-LD's headline, often written
    for search engines) differs, or when the title is that ``<h1>`` with decoration after
    it ("| Sport | BILD.de", "| DW | 28.04.2023", "- 毎日新聞"). Otherwise a trailing part
    that names the site itself ("- Golem.de") is cut. A kicker is kept, marked as one or
    not: it is part of the headline the site chose.
    """
    if not title:
        return title
    flat = " ".join(title.split())
    social = " ".join((social_title or "").split())
    for text in headings:
        heading = " ".join(text.split())
        if not heading:
            continue
        if heading == social and heading != flat:  # the headline readers and shares see
            return _clean_space(text)
        decorated = len(heading) < len(flat) and flat.startswith(heading)
        if decorated and _DECORATION.match(flat[len(heading) :]):
            return _clean_space(text)
    own = {squeezed(name) for name in outlets}
    joins = list(_DECORATION.finditer(title))
    for index, join in enumerate(joins):
        after = joins[index + 1].start() if index + 1 < len(joins) else len(title)
        if join.start() > 0 and squeezed(title[join.end() : after]) in own:
            return title[: join.start()].strip()
    return title


def _sitename_from_title(tree: lxml.html.HtmlElement, headline: str | None) -> str | None:
    """ "Headline | Site Name" in <title>: the site's name, when the headline is known."""
    element = tree.find(".//title")
    if element is None or not headline:
        return None
    title = _clean_space(element.text_content())
    if not title.startswith(headline):
        return None
    rest = title[len(headline) :].strip()
    match = _TITLE_SEPARATOR.match(rest)
    name = rest[match.end() :].strip() if match else ""
    return name if 0 < len(name) <= 80 else None


def _clean_space(value: str) -> str:
    """Runs of spaces as one; an ideographic space (U+3000) in CJK text is kept."""
    return _SPACE_RUN.sub(" ", value).strip()


def _unique(values: Iterable[str]) -> list[str]:
    kept: dict[str, str] = {}
    for value in values:
        value = _clean_space(value)
        if value and value.lower() not in kept:
            kept[value.lower()] = value
    return list(kept.values())
