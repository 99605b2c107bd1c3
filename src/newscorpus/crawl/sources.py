"""The sources file: which news sites to crawl, and how (TOML, validated once).

    [[source]]
    name = "Le Courrier"
    start_urls = ["https://courrier.example/"]
    feeds = ["https://courrier.example/rss.xml"]          # optional
    sitemaps = ["https://courrier.example/news.xml"]      # optional
    language = "fr"                                       # optional hint
    include = ["/20\\d\\d/"]     # optional: only pages matching one of these are archived
    exclude = ["/live/"]         # optional: URLs matching one of these are never fetched
    max_pages = 5000             # optional, overrides --max-pages-per-site
    max_depth = 3                # optional, overrides --max-depth
    revisit = "1h,6h,24h,72h"    # optional, overrides --revisit ("off" or false: none)

``include`` limits what is archived: with it, an article is fetched and written to the
WARC only if its URL matches one of the patterns (``re.search``); an article URL that
matches none is never requested. The pages articles are found through (home pages,
sections, feeds, sitemaps) are still fetched for their links, but not archived unless
they match too. ``exclude`` wins over ``include``.

A mistake is reported with the file, the line and the field.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscorpus.crawl.revisits import Schedule, parse_schedule
from newscorpus.errors import UserError
from newscorpus.urls import bare_host

_FIELDS = {
    "name",
    "start_urls",
    "feeds",
    "sitemaps",
    "language",
    "include",
    "exclude",
    "max_pages",
    "max_depth",
    "revisit",
}


@dataclass(slots=True)
class Source:
    name: str
    start_urls: list[str]
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    language: str | None = None
    include: list[re.Pattern[str]] = field(default_factory=list)
    exclude: list[re.Pattern[str]] = field(default_factory=list)
    max_pages: int | None = None
    max_depth: int | None = None
    revisit: Schedule | None = None  # None: the crawl's

    @property
    def site_keys(self) -> set[str]:
        return {site_key(url) for url in self.start_urls}

    def allows(self, url: str) -> bool:
        """Whether ``url`` may be fetched at all (no ``exclude`` pattern matches it)."""
        return not any(p.search(url) for p in self.exclude)

    def includes(self, url: str) -> bool:
        """Whether ``url`` may be archived (and fetched, when it is an article): there
        are no ``include`` patterns, or one matches it."""
        return not self.include or any(p.search(url) for p in self.include)

    wants_article = includes  # the older name


def site_key(url: str) -> str:
    """Which site a URL belongs to: IDNA host without ``www.``, and port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        port = 0
    return f"{bare_host(host)}:{port}"


def source_from_url(url: str) -> Source:
    """A source given only by a seed URL on the command line."""
    _check_url(url, "seed")
    return Source(name=urlsplit(url).hostname or url, start_urls=[url])


def _check_url(url: object, what: str) -> str:
    if not isinstance(url, str):
        raise ValueError(f"{what} must be a URL string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} {url!r} is not an http(s) URL with a host")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError as exc:
        raise ValueError(f"{what} {url!r}: {exc}") from None
    return url


def load_sources(path: Path) -> list[Source]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from exc
    unknown = set(data) - {"source"}
    if unknown or not isinstance(data.get("source"), list) or not data["source"]:
        raise UserError(f"{path}: expected one or more [[source]] tables")
    sources = []
    for index, table in enumerate(data["source"]):
        try:
            if not isinstance(table, dict):
                raise _FieldError("source", "each source must be a [[source]] table")
            sources.append(_source(table))
        except _FieldError as exc:
            line = _line_of(text, index, exc.field)
            raise UserError(
                f"{path}, line {line}: source {index + 1}, field '{exc.field}': {exc}"
            ) from None
    return sources


class _FieldError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def _source(table: dict[str, Any]) -> Source:
    for key in table:
        if key not in _FIELDS:
            raise _FieldError(key, f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    start_urls = _urls(table, "start_urls", required=True)
    name = table.get("name", urlsplit(start_urls[0]).hostname)
    if not isinstance(name, str) or not name.strip():
        raise _FieldError("name", "must be a non-empty string")
    language = table.get("language")
    if language is not None and (not isinstance(language, str) or not language.isalpha()):
        raise _FieldError("language", "must be a language code such as 'fr'")
    return Source(
        name=name.strip(),
        start_urls=start_urls,
        feeds=_urls(table, "feeds"),
        sitemaps=_urls(table, "sitemaps"),
        language=language.lower() if language else None,
        include=_patterns(table, "include"),
        exclude=_patterns(table, "exclude"),
        max_pages=_whole_number(table, "max_pages"),
        max_depth=_whole_number(table, "max_depth"),
        revisit=_schedule(table),
    )


def _schedule(table: dict[str, Any]) -> Schedule | None:
    value = table.get("revisit")
    if value is None:
        return None
    if not isinstance(value, str | bool | list):
        raise _FieldError("revisit", 'must be a schedule such as "1h,6h,24h", or false')
    try:
        return parse_schedule(value)
    except UserError as exc:
        raise _FieldError("revisit", str(exc)) from None


def _urls(table: dict[str, Any], key: str, required: bool = False) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or (required and not value):
        raise _FieldError(
            key, "must be a non-empty list of URLs" if required else "must be a list of URLs"
        )
    try:
        return [_check_url(url, "entry") for url in value]
    except ValueError as exc:
        raise _FieldError(key, str(exc)) from None


def _patterns(table: dict[str, Any], key: str) -> list[re.Pattern[str]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _FieldError(key, "must be a list of regular expressions")
    try:
        return [re.compile(v) for v in value]
    except re.error as exc:
        raise _FieldError(key, f"bad regular expression: {exc}") from None


def _whole_number(table: dict[str, Any], key: str) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _FieldError(key, "must be a whole number >= 0")
    return value


def _line_of(text: str, index: int, field_name: str) -> int:
    """The line of ``field_name`` in the ``index``-th [[source]] table (or of the table)."""
    tables = -1
    table_line = 1
    key = re.compile(rf"^\s*{re.escape(field_name)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^\s*\[\[\s*source\s*\]\]", line):
            tables += 1
            if tables == index:
                table_line = number
            elif tables > index:
                break
        elif tables == index and key.match(line):
            return number
    return table_line
