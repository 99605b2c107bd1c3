"""Non-article pages (home and section pages, tag and author listings, about pages) dropped.

A crawl archives the hubs it discovers articles from, and CC-NEWS holds some too. The
page's own structured data decides first (JSON-LD/OpenGraph type); then what its text is
made of (extraction marks a page whose text is mostly its own link texts as a link list);
the URL decides when the page says nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newscorpus.document import PAYWALLED, Document
from newscorpus.steps.base import Filter
from newscorpus.urls import has_article_shape, is_hub_path

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
    }
)
# Not a schema.org type: what extraction says of a page that declares no article type and
# whose text is mostly the texts of its own links (teaser headlines).
LINK_LIST_TYPE = "linklist"
LISTING_TYPES = frozenset(
    {
        "collectionpage",
        "itemlist",
        "searchresultspage",
        "profilepage",
        "aboutpage",
        "contactpage",
        LINK_LIST_TYPE,
    }
)
# Types a site puts on any page, articles included: only a hint.
WEAK_TYPES = frozenset({"website", "webpage", "webpage.website"})

# "/", "/index.html", and language or edition roots: "/fr/", "/en-gb/", "/edition/uk/".
_HOME = re.compile(
    r"^/(?:(?:[a-z]{2}(?:[-_][a-z]{2,4})?|edition/[a-z-]+)/?)?(?:index\.\w+)?$", re.I
)
_ABOUT = re.compile(
    r"/(about|about-us|contact|contact-us|impressum|imprint|privacy|privacy-policy|terms"
    r"|legal|mentions-legales|datenschutz|cookies?|faq|help|advertise|careers|jobs)(/|$|\.)",
    re.IGNORECASE,
)


def non_article_reason(url: str, page_type: str | None) -> str | None:
    """Why the page at ``url`` is not an article, or None when it may be one."""
    if page_type in ARTICLE_TYPES:
        return None
    parts = urlsplit(url)
    path = parts.path or "/"
    if _HOME.match(path) and not parts.query:  # "/?p=48213" is a WordPress article
        return "home_page"
    if page_type in LISTING_TYPES:
        return "listing_page"
    return _path_reason(url, path, page_type)


def _path_reason(url: str, path: str, page_type: str | None) -> str | None:
    """``non_article_reason`` for a page whose type says nothing sure: its URL's."""
    if has_article_shape(url):  # /legal/court-rules-on-…-2024-03-12/, /archive/2024/03/…
        return None
    if is_hub_path(path):
        return "hub_page"
    if _ABOUT.search(path):
        return "about_page"
    return "listing_page" if page_type in WEAK_TYPES else None


class DropNonArticles(Filter):
    """Drops pages that are not articles, counting each reason."""

    name = "pages"

    def filter(self, doc: Document) -> str | None:
        return non_article_reason(doc.url, doc.declared_type)


class DropPaywalled(Filter):
    """Drops the pages that declare themselves paywalled (``--drop-paywalled``): their
    text is a teaser, or what the wall covers."""

    name = "access"

    def filter(self, doc: Document) -> str | None:
        return "paywalled" if doc.access == PAYWALLED else None
