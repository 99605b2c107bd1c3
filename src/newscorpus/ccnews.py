"""Common Crawl News (CC-NEWS) as a source: which WARC files, which sites.

CC-NEWS lists its WARC files per month in ``crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz``;
each file name carries the time its crawl started (``CC-NEWS-20240101001257-01522``).
Files are picked by that time, then streamed through ``process`` with the chosen sites
selected from the WARC headers (``warc.remote``).
"""

from __future__ import annotations

import gzip
import logging
import re
import time
import urllib.error
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from newscorpus.errors import UserError
from newscorpus.urls import bare_host
from newscorpus.warc.remote import (
    DownloadError,
    RemoteWarc,
    Retries,
    open_source,
    wait_to_retry,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
LISTING = "crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"
SOURCE = "cc-news"
_FILE_NAME = re.compile(r"CC-NEWS-(\d{14})-\d+\.warc(?:\.gz)?$")
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


@dataclass(slots=True, frozen=True)
class CCNewsSelection:
    start: date
    end: date  # inclusive
    domains: frozenset[str] = frozenset()  # empty: every site
    base_url: str = DEFAULT_BASE_URL
    max_files: int | None = None
    retries: int = 4
    backoff: float = 1.0
    keep_dir: str | None = None


def file_time(path: str) -> datetime | None:
    """When the crawl of a CC-NEWS WARC file started, from its name."""
    match = _FILE_NAME.search(path)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def months(start: date, end: date) -> list[tuple[int, int]]:
    year, month, found = start.year, start.month, []
    while (year, month) <= (end.year, end.month):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def join(base: str, path: str) -> str:
    if "://" in base:
        return base.rstrip("/") + "/" + path
    return str(Path(base) / path)


def read_listing(
    selection: CCNewsSelection, year: int, month: int, sleep: Callable[[float], None] = time.sleep
) -> list[str] | None:
    """The WARC paths of one month, or None when the month has no listing (yet); a
    failure worth retrying is retried as remote WARC reading does (``wait_to_retry``)."""
    url = join(selection.base_url, LISTING.format(year=year, month=month))
    failures = 0
    while True:
        try:
            stream, _ = open_source(url)
            with stream:
                data = stream.read()
            break
        except (ValueError, DownloadError) as exc:
            raise UserError(f"{url}: {exc}") from None
        except Exception as exc:
            if isinstance(exc, FileNotFoundError) or (
                isinstance(exc, urllib.error.HTTPError) and exc.code in (404, 410)
            ):
                return None
            try:
                retries = Retries(selection.retries, selection.backoff, sleep)
                failures = wait_to_retry(url, exc, failures, retries)
            except DownloadError as gave_up:
                raise UserError(f"cannot read the CC-NEWS listing: {gave_up}") from None
    try:
        text = gzip.decompress(data).decode()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise UserError(f"{url}: not a gzip listing of WARC paths ({exc})") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def select_files(selection: CCNewsSelection) -> list[RemoteWarc]:
    """The WARC files whose crawl started within the dates, oldest first."""
    if selection.end < selection.start:
        raise UserError(f"--to {selection.end} is before --from {selection.start}")
    chosen: list[tuple[datetime, str]] = []
    listed, missing = 0, []
    for year, month in months(selection.start, selection.end):
        paths = read_listing(selection, year, month)
        if paths is None:
            missing.append(f"{year:04d}/{month:02d}")
            continue
        listed += 1
        for path in paths:
            started = file_time(path)
            if started is not None and selection.start <= started.date() <= selection.end:
                chosen.append((started, path))
    if not listed:
        raise UserError(
            f"no CC-NEWS listing found under {selection.base_url} for "
            f"{selection.start} to {selection.end}"
        )
    if missing:
        logger.warning("no CC-NEWS listing for %s under %s", ", ".join(missing), selection.base_url)
    chosen.sort()
    if selection.max_files is not None:
        chosen = chosen[: selection.max_files]
    return [
        RemoteWarc(
            url=join(selection.base_url, path),
            name=path.rsplit("/", 1)[-1],
            domains=selection.domains,
            source=SOURCE,
            retries=selection.retries,
            backoff=selection.backoff,
            keep_dir=selection.keep_dir,
        )
        for _, path in chosen
    ]


def parse_domains(values: Iterable[str], where: str = "--domain") -> frozenset[str]:
    """Host names as CC-NEWS URLs carry them: lower case, no scheme, no ``www.``."""
    domains = set()
    for raw in values:
        value = raw.split("#", 1)[0].strip().lower()
        if not value:
            continue
        if "://" in value:
            value = value.split("://", 1)[1]
        value = bare_host(value.split("/", 1)[0])
        if not _DOMAIN.fullmatch(value):
            raise UserError(f"{where}: {raw.strip()!r} is not a domain name")
        domains.add(value)
    return frozenset(domains)


def read_sites_file(path: Path) -> frozenset[str]:
    """A file of domains, one per line (``#`` comments allowed)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file") from None
    domains: set[str] = set()
    for number, line in enumerate(lines, 1):
        domains |= parse_domains([line], where=f"{path}, line {number}")
    if not domains:
        raise UserError(f"{path}: no domain in it")
    return frozenset(domains)
