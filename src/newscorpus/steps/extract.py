"""Extraction: an archived HTML response becomes a Document (text and metadata).

trafilatura finds the article body and its basic metadata; the page's structured data
(canonical link, hreflang alternates, OpenGraph/article meta, JSON-LD) fills in what
trafilatura leaves out, with full timestamps where the page gives them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura

from newscorpus.document import Document, Translation, document_id
from newscorpus.encoding import decode_html
from newscorpus.steps.base import Step
from newscorpus.urls import normalize_url, url_domain
from newscorpus.warc.reader import WarcResponse

logger = logging.getLogger(__name__)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
    "report",
}


class Extract(Step):
    """WarcResponse -> Document, or a counted drop when no article text is found."""

    name = "extract"

    def __init__(self, include_tables: bool = True) -> None:
        super().__init__()
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
            if document is None:
                continue
            self.count("extracted")
            yield document

    def extract(self, response: WarcResponse) -> Document | None:
        html = _XML_DECLARATION.sub("", decode_html(response.body, response.charset), count=1)
        if not html.strip():
            self.drop("empty_page")
            return None
        tree = lxml.html.fromstring(html)
        page = _page_metadata(tree, response.url)
        result = trafilatura.bare_extraction(
            tree,
            url=response.url,
            with_metadata=True,
            include_comments=False,
            include_tables=self.include_tables,
            deduplicate=False,
        )
        if not isinstance(result, trafilatura.settings.Document) or not (result.text or "").strip():
            self.drop("no_text")
            return None

        title = _clean_space(result.title or page.get("headline") or "") or None
        canonical = normalize_url(page.get("canonical") or response.url)
        authors = _split_authors(result.author) or page.get("authors", [])
        published = page.get("published") or _iso_date(result.date)
        return Document(
            id=document_id(canonical),
            url=response.url,
            canonical_url=canonical,
            domain=url_domain(response.url),
            title=title,
            text=_body_text(result.text or "", title),
            authors=authors,
            published=published,
            modified=page.get("modified"),
            sitename=_clean_space(result.sitename or "") or page.get("sitename"),
            description=_clean_space(result.description or "") or None,
            tags=_unique([*page.get("tags", []), *(result.categories or []), *(result.tags or [])]),
            translations=page.get("translations", []),
            crawled_at=response.fetched_at,
            warc_file=response.warc_file,
            warc_offset=response.warc_offset,
            declared_language=page.get("language"),
        )


def _body_text(text: str, title: str | None) -> str:
    """trafilatura's lines as paragraphs separated by one blank line, title left out."""
    paragraphs = [_clean_space(line) for line in text.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and title and _clean_space(paragraphs[0]) == title:
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs)


def _page_metadata(tree: lxml.html.HtmlElement, url: str) -> dict[str, Any]:
    """What the page declares about itself, before trafilatura prunes the tree."""
    found: dict[str, Any] = {}
    for link in tree.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if "canonical" in rel and "canonical" not in found:
            found["canonical"] = urljoin(url, href)
        elif "alternate" in rel and link.get("hreflang"):
            language = link.get("hreflang", "").strip()
            if language.lower() != "x-default":
                found.setdefault("translations", []).append(
                    Translation(language=language, url=urljoin(url, href))
                )
    own = normalize_url(found.get("canonical") or url)
    found["translations"] = [
        t for t in found.get("translations", []) if normalize_url(t.url) != own
    ]

    meta: dict[str, list[str]] = {}
    for element in tree.iterfind(".//meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop") or ""
        content = element.get("content")
        if key and content:
            meta.setdefault(key.strip().lower(), []).append(content.strip())

    ld = _json_ld_article(tree)
    html_lang = tree.get("lang") or tree.get("xml:lang")
    locale = meta.get("og:locale", [None])[0]
    found["language"] = html_lang or locale
    found["published"] = _first_iso(
        meta.get("article:published_time"), [ld.get("datePublished")], meta.get("datepublished")
    )
    found["modified"] = _first_iso(
        meta.get("article:modified_time"),
        [ld.get("dateModified")],
        meta.get("og:updated_time"),
        meta.get("datemodified"),
    )
    tags = meta.get("article:tag", []) + meta.get("article:section", [])
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        tags += [k.strip() for k in keywords.split(",")]
    elif isinstance(keywords, list):
        tags += [str(k) for k in keywords]
    found["tags"] = [t for t in tags if t]
    found["authors"] = _json_ld_authors(ld.get("author"))
    if isinstance(ld.get("headline"), str):
        found["headline"] = ld["headline"]
    site = meta.get("og:site_name", [None])[0]
    if site:
        found["sitename"] = site
    return found


def _json_ld_article(tree: lxml.html.HtmlElement) -> dict[str, Any]:
    for script in tree.iterfind(".//script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for item in _json_ld_items(data):
            types = item.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(isinstance(n, str) and n.lower() in _ARTICLE_TYPES for n in names):
                return item
    return {}


def _json_ld_items(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_items(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _json_ld_items(data["@graph"])


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
    for values in candidates:
        for value in values or []:
            if isinstance(value, str):
                iso = _iso_date(value)
                if iso:
                    return iso
    return None


def _iso_date(value: str | None) -> str | None:
    """ISO 8601 spelling of a date or timestamp, or None if it is not one."""
    if not value:
        return None
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(value) <= 10:
        return moment.date().isoformat()
    return moment.isoformat()


def _clean_space(value: str) -> str:
    return " ".join(value.split())


def _unique(values: Iterable[str]) -> list[str]:
    kept: dict[str, str] = {}
    for value in values:
        value = _clean_space(value)
        if value and value.lower() not in kept:
            kept[value.lower()] = value
    return list(kept.values())
