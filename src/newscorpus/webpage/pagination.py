"""The pages of an article a site cuts into several: which page this is, and the others.

A link leads to another page of the same article when its URL is this page's URL with
another page number, in a form sites use (``?page=2``, ``/2/``, ``/page/2/``,
``-2.html``), and the link says it is one: ``rel="next"``/``"prev"``, a pager's number
(the link's text is the page's number), or a next/previous control. Both are needed: a
WordPress page's ``<link rel="next">`` may lead to the next *post*, and a link to
``/world/8`` from ``/world/7`` may be another story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from newscorpus.urls import normalize_url

MAX_PAGES = 100  # a page number above this is an id, not a page
# Query parameters that number an article's pages (?p= is WordPress's post id: not one).
PAGE_PARAMETERS = frozenset(
    {"page", "pg", "pagina", "seite", "strona", "sayfa", "pagenum", "pageno", "pagenumber"}
)
# the shortest stem: "/story/page/3" is page 3 of "/story", not of "/story/page"
_PATH_PAGE = re.compile(r"^(?P<stem>.*?[^\W\d_][^/]*?)(?:/page)?/(?P<number>\d{1,3})/?$")
_FILE_PAGE = re.compile(r"^(?P<stem>.*?[^\W\d_][^/]*?)[-_](?P<number>\d{1,3})(?P<ext>\.s?html?)$")
_NEXT_OR_PREVIOUS = re.compile(r"\b(?:next|prev|previous|weiter|zur[uü]ck)\b", re.IGNORECASE)
_ARROWS = frozenset("›»‹«→←")
PAGER_TEXT_CHARS = 120  # a pager's whole text is short: "‹ 1 2 3 ›", "Page 2 of 3"


@dataclass(slots=True)
class Pagination:
    """Where a page stands among the pages of its article."""

    key: str  # the article's URL without a page number: the same on all its pages
    number: int  # this page's number, 1 for the first
    pages: dict[int, str] = field(default_factory=dict)  # number -> URL, this page's too
    pagers: list[lxml.html.HtmlElement] = field(default_factory=list)  # to leave out

    @property
    def last(self) -> int:
        """The highest page number this page knows of."""
        return max(self.pages)


def page_number_of(url: str) -> tuple[str, int] | None:
    """(the URL without its page number, the number) when ``url`` carries one."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for index, (name, value) in enumerate(query):
        if name.lower() in PAGE_PARAMETERS and value.isdigit() and 1 <= int(value) <= MAX_PAGES:
            rest = urlencode(query[:index] + query[index + 1 :])
            return urlunsplit(parts._replace(query=rest, fragment="")), int(value)
    for pattern in (_PATH_PAGE, _FILE_PAGE):
        match = pattern.match(parts.path)
        if match and 1 <= int(match["number"]) <= MAX_PAGES:
            path = match["stem"] + (match.groupdict().get("ext") or "")
            return urlunsplit(parts._replace(path=path, fragment="")), int(match["number"])
    return None


def _key(url: str) -> str:
    """``url`` as a page key: normalised, no trailing slash (``/story/`` = ``/story``)."""
    parts = urlsplit(normalize_url(url))
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") or "/"))


def _readings(url: str) -> dict[str, int]:
    """The articles ``url`` may be a page of, with its number in each: page 1 of its own
    URL, or page n of the URL without its number (a URL ending in a number may be
    either: "covid-19.html" is no page 19)."""
    readings = {_key(url): 1}
    numbered = page_number_of(url)
    if numbered is not None:
        readings[_key(numbered[0])] = numbered[1]
    return readings


def _page_of(link: str, readings: dict[str, int]) -> tuple[str, int] | None:
    """(article key, page number) when ``link`` is a page of one of ``readings``'s
    articles, itself included."""
    key = _key(link)
    if key in readings:  # the page itself: page 1 of its key
        return key, 1
    numbered = page_number_of(link)
    if numbered is not None and (key := _key(numbered[0])) in readings:
        return key, numbered[1]
    return None


def pagination(tree: lxml.html.HtmlElement, url: str) -> Pagination | None:
    """The pages of the article ``url`` shows, when it links to others of them."""
    readings = _readings(url)
    found: dict[str, Pagination] = {}
    for element in tree.iter("a", "link"):
        claim = _claim(element)  # most links: cheap to rule out, before their URLs
        if claim is None:
            continue
        href = (element.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        try:
            link = urljoin(url, href).split("#", 1)[0]
        except ValueError:
            continue
        page_of = _page_of(link, readings)
        if page_of is None:
            continue
        key, number = page_of
        if claim is not ANY_PAGE and claim != number:
            continue  # a pager's "3" must lead to page 3
        own = readings[key]
        page = found.setdefault(key, Pagination(key, own, {own: url}))
        if number != own:
            page.pages.setdefault(number, link)
        if element.tag == "a":
            page.pagers.append(element)
    # the reading with the most pages (a URL ending in a number may name one of two)
    best = max(found.values(), key=lambda page: len(page.pages), default=None)
    if best is None or len(best.pages) < 2:
        return None
    best.pagers = _pager_containers(best.pagers)
    return best


ANY_PAGE = -1  # a link that says it leads to another page, without saying which


def _claim(element: lxml.html.HtmlElement) -> int | None:
    """What a link says of where it leads, judged without its URL (cheap: it runs on
    every link of every page): to page n (a pager's number), to some other page of the
    article (``ANY_PAGE``: rel next/prev, a next/previous control), or nothing (None)."""
    rel = element.get("rel")
    if rel and _NEXT_OR_PREVIOUS.search(rel):
        return ANY_PAGE
    if element.tag != "a":
        return None
    text = ((element.text or "") if len(element) == 0 else element.text_content()).strip()
    short = len(text) <= 3
    if short and not text.isdigit() and text not in _ARROWS:
        return None  # an icon or a letter: not taken, whatever its class
    marks = f"{element.get('class') or ''} {element.get('aria-label') or ''}"
    if marks != " " and _NEXT_OR_PREVIOUS.search(marks):
        return ANY_PAGE
    if short:
        return int(text) if text.isdigit() else ANY_PAGE  # a number, or an arrow
    return ANY_PAGE if len(text) <= 40 and _NEXT_OR_PREVIOUS.search(text) else None


def _pager_containers(links: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    """The pager around each page link: its biggest ancestor whose text is still short
    (so that "Page 2 of 3" goes with the numbers), each once."""
    containers: list[lxml.html.HtmlElement] = []
    for link in links:
        container = link
        parent = link.getparent()
        while (
            parent is not None
            and parent.tag not in ("body", "html", "article", "main")
            and len(parent.text_content().strip()) <= PAGER_TEXT_CHARS
        ):
            container, parent = parent, parent.getparent()
        if not any(container is seen or _contains(seen, container) for seen in containers):
            containers = [seen for seen in containers if not _contains(container, seen)]
            containers.append(container)
    return containers


def _contains(outer: lxml.html.HtmlElement, inner: lxml.html.HtmlElement) -> bool:
    return any(ancestor is outer for ancestor in inner.iterancestors())


def is_other_page(url: str, of: str) -> bool:
    """Whether ``url`` is another page of the article at ``of`` (by their URLs alone)."""
    return _key(url) != _key(of) and _page_of(url, _readings(of)) is not None
