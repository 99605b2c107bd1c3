"""The record that flows through every stage, and the Arrow schema of the stored corpus.

This module is the one place where the corpus columns are written down. Bump
``SCHEMA_VERSION`` whenever a stored column is added, removed or changes meaning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = "5"

UNKNOWN_LANGUAGE = "und"  # ISO 639-2 code for "undetermined"
# The values of ``access`` (None: the page does not say).
FREE = "free"
PAYWALLED = "paywalled"
# The values of ``page_type``.
ARTICLE = "article"
LIVE_BLOG = "live_blog"
OTHER_PAGE = "other"  # not an article (kept only when non-articles are not dropped)


@dataclass(slots=True)
class Update:
    """One update of a live blog: when it was posted, and its text."""

    time: str | None
    text: str


@dataclass(slots=True)
class Changes:
    """What changed from an article's previous version to this one (``dedup.versions``)."""

    title_changed: bool = False
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_changed: int = 0


@dataclass(slots=True)
class Translation:
    """One hreflang alternate of a page: the same article in another language."""

    language: str
    url: str


@dataclass(slots=True)
class Document:
    """One news article. Stored fields match ``SCHEMA``; the rest is working state."""

    id: str
    url: str
    canonical_url: str
    domain: str
    text: str = ""
    title: str | None = None
    language: str = UNKNOWN_LANGUAGE
    language_score: float = 0.0
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    sitename: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    translations: list[Translation] = field(default_factory=list)
    access: str | None = None  # "free", "paywalled", or None when the page does not say
    page_type: str = ARTICLE
    pages: int = 1  # pages of a multi-page article stitched into this document
    complete: bool = True  # False when a page of the article was not found
    updates: list[Update] = field(default_factory=list)
    crawled_at: str | None = None
    # Versions (``dedup.versions``): 1 for the text first seen at this URL, 2 when it had
    # changed at a later fetch, ...; when version 1 was fetched; what changed since the
    # version before (None for version 1).
    version: int = 1
    first_seen: str | None = None
    changes: Changes | None = None
    warc_file: str = ""
    warc_offset: int = 0
    word_count: int = 0
    duplicate_count: int = 1
    duplicate_of: str | None = None
    # Working state, not stored: the page's declared language (<html lang>, og:locale),
    # a hint for language identification.
    declared_language: str | None = None
    # The page's schema.org or OpenGraph type ("newsarticle", "collectionpage", "website").
    declared_type: str | None = None
    # A page of an article cut into several (webpage.pagination): the article's URL
    # without page number, this page's number, the highest number it links to.
    page_key: str | None = None
    page_number: int = 1
    page_last: int = 1

    def to_row(self, schema: pa.Schema | None = None) -> dict[str, Any]:
        """The document as a row of ``schema`` (``SCHEMA`` by default)."""
        names = (schema or SCHEMA).names
        row = {name: getattr(self, name) for name in names if name in _FIELDS}
        row["translations"] = [{"language": t.language, "url": t.url} for t in self.translations]
        row["updates"] = [{"time": u.time, "text": u.text} for u in self.updates]
        row["changes"] = None if self.changes is None else asdict(self.changes)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Document:
        """Inverse of ``to_row`` (for reading a stored corpus back)."""
        values = {name: value for name, value in row.items() if name in _FIELDS}
        values["translations"] = [Translation(**t) for t in row.get("translations") or []]
        values["updates"] = [Update(**u) for u in row.get("updates") or []]
        values["changes"] = Changes(**row["changes"]) if row.get("changes") else None
        for list_field in ("authors", "tags"):
            values[list_field] = list(values.get(list_field) or [])
        return cls(**values)


SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("canonical_url", pa.string(), nullable=False),
        pa.field("domain", pa.string(), nullable=False),
        pa.field("language", pa.string(), nullable=False),
        pa.field("language_score", pa.float32()),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("authors", pa.list_(pa.string())),
        pa.field("published", pa.string()),
        pa.field("modified", pa.string()),
        pa.field("sitename", pa.string()),
        pa.field("description", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field(
            "translations",
            pa.list_(pa.struct([pa.field("language", pa.string()), pa.field("url", pa.string())])),
        ),
        pa.field("access", pa.string()),
        pa.field("page_type", pa.string(), nullable=False),
        pa.field("pages", pa.int16(), nullable=False),
        pa.field("complete", pa.bool_(), nullable=False),
        pa.field(
            "updates",
            pa.list_(pa.struct([pa.field("time", pa.string()), pa.field("text", pa.string())])),
        ),
        pa.field("crawled_at", pa.string()),
        pa.field("version", pa.int16(), nullable=False),
        pa.field("first_seen", pa.string()),
        pa.field(
            "changes",
            pa.struct(
                [
                    pa.field("title_changed", pa.bool_()),
                    pa.field("paragraphs_added", pa.int32()),
                    pa.field("paragraphs_removed", pa.int32()),
                    pa.field("paragraphs_changed", pa.int32()),
                ]
            ),
        ),
        pa.field("warc_file", pa.string()),
        pa.field("warc_offset", pa.int64()),
        pa.field("word_count", pa.int32()),
        pa.field("duplicate_count", pa.int32(), nullable=False),
        pa.field("duplicate_of", pa.string()),
    ],
    metadata={"newscorpus.schema_version": SCHEMA_VERSION},
)

_FIELDS = frozenset(Document.__slots__) - {"translations", "updates", "changes"}

# Between the per-shard stages of ``process``: the stored columns plus working state.
STAGED_SCHEMA = pa.schema(
    [
        *SCHEMA,
        pa.field("declared_language", pa.string()),
        pa.field("declared_type", pa.string()),
        pa.field("page_key", pa.string()),
        pa.field("page_number", pa.int16()),
        pa.field("page_last", pa.int16()),
    ],
    metadata=SCHEMA.metadata,
)

# Documents kept aside by ``--keep-dropped``: which step dropped them and why.
DROPPED_SCHEMA = SCHEMA.append(pa.field("drop_step", pa.string())).append(
    pa.field("drop_reason", pa.string())
)

COLUMN_DESCRIPTIONS: dict[str, str] = {
    "id": "16 lowercase hex digits, a hash of the canonical URL: stable across runs",
    "url": "URL the page was fetched from",
    "canonical_url": "rel=canonical URL when given, normalised, tracking parameters removed",
    "domain": "host of `url`, lower case, without a leading www.",
    "language": "ISO 639-1 code of the body text (`und` undetermined, `mul` mixed)",
    "language_score": "confidence of the language identification, 0 to 1",
    "title": "article title",
    "text": "article body: paragraphs separated by one blank line, title not included",
    "authors": "list of author names",
    "published": "publication date, ISO 8601, or null",
    "modified": "last modification date, ISO 8601, or null",
    "sitename": "name of the publication",
    "description": "summary given by the page (meta description)",
    "tags": "keywords, sections and categories given by the page",
    "translations": "hreflang alternates: the same article in other languages",
    "access": "`paywalled` or `free` as the page declares it (schema.org isAccessibleForFree, "
    "article:content_tier), null when it does not; a paywalled page's text is what its HTML "
    "shows",
    "page_type": "`article`, `live_blog` (schema.org LiveBlogPosting: its updates in "
    "`updates`), or `other` when pages that are not articles are kept",
    "pages": "pages of a multi-page article stitched, in order, into `text` (1 for most)",
    "complete": "false when a page of a multi-page article was not found: `text` lacks it",
    "updates": "a live blog's updates, oldest first: {time (ISO 8601 or null), text}",
    "crawled_at": "time of the fetch, ISO 8601 UTC (from the WARC record): for a version, "
    "when it was first seen",
    "version": "1 for the text first fetched at this URL, then 2, 3, ... each time a later "
    "fetch found it changed (title or paragraphs; not a timestamp or counter line): `data/` "
    "holds each article's latest version, the `versions` config every version of the "
    "articles that changed",
    "first_seen": "time of the first fetch of version 1, ISO 8601 UTC",
    "changes": "null for version 1; else what changed since the version before: "
    "{title_changed, paragraphs_added, paragraphs_removed, paragraphs_changed}",
    "warc_file": "name of the WARC file that holds the raw response",
    "warc_offset": "byte offset of the response record in `warc_file`",
    "word_count": "words in `text` (each CJK character counts as one word)",
    "duplicate_count": "copies of this story found (same URL, same text or near-duplicate "
    "in the same language), this one included: 1 when unique",
    "duplicate_of": "null, or with --keep-duplicates the id of the document this one copies",
}

# Scripts written without spaces between words: Thai, Lao, Tibetan, Myanmar, Khmer (whose
# characters are parts of syllables), Hiragana, Katakana and Han.
SYLLABIC_UNSPACED_CHARS = "\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff"
KANA_CHARS = "\u3040-\u30ff"  # Hiragana and Katakana
HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff"  # CJK ideographs (extension A and unified)
UNSPACED_CHARS = SYLLABIC_UNSPACED_CHARS + KANA_CHARS + HAN_CHARS + "\uf900-\ufaff"
UNSPACED = re.compile(f"[{UNSPACED_CHARS}]")  # one character of such a script
# Ethiopic separates words with its own word space (U+1361) where others put a space.
_WORD = re.compile(f"[{UNSPACED_CHARS}]|[^\\s\u1361{UNSPACED_CHARS}]+")


def words_of(text: str) -> list[str]:
    """The words of ``text``; in scripts written without spaces each character is one."""
    return _WORD.findall(text)


def count_words(text: str) -> int:
    """Words in ``text`` (see ``words_of``)."""
    return sum(1 for _ in _WORD.finditer(text))


def document_id(canonical_url: str) -> str:
    """The stable id of a document: 16 hex digits of a hash of its canonical URL."""
    return hashlib.blake2b(canonical_url.encode("utf-8"), digest_size=8).hexdigest()


def iso_date(value: str | None) -> str | None:
    """A date or timestamp as ``published`` and ``modified`` hold it (ISO 8601: a date
    stays a date, a timestamp keeps its time and offset), or None if it is not one."""
    if not value:
        return None
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None
    return moment.date().isoformat() if len(value) <= 10 else moment.isoformat()


def first_iso_date(values: Iterable[Any]) -> str | None:
    """The first of ``values`` that is a date or timestamp (``iso_date``), or None."""
    for value in values:
        if isinstance(value, str) and (found := iso_date(value)):
            return found
    return None
