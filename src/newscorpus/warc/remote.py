"""Read WARC files as they download (HTTP(S), local paths, or any fsspec URL such as s3://).

Records of sites that are not selected are skipped from their WARC headers alone: their
HTTP headers and HTML are never parsed. A network error or a cut connection is retried
with backoff, resuming at the last record handled (an HTTP range request), so nothing is
yielded twice. Damage in the file itself is read past like in a local file: the damaged
record is skipped and counted, and reading goes on at the next record.
"""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from newscorpus.urls import bare_host
from newscorpus.warc.members import Damage, Member, NotOneMemberPerRecord, walk_members
from newscorpus.warc.reader import (
    DEFAULT_MAX_BODY_BYTES,
    HTTP_HEAD_ROOM,
    ReadStats,
    WarcResponse,
    response_from_member,
    stream_records,
)

logger = logging.getLogger(__name__)

USER_AGENT = "newscorpus (+https://github.com/newscorpus/newscorpus)"
CHUNK = 1 << 16
TIMEOUT = 60.0


class DownloadError(Exception):
    """A source that could not be read, after the retries."""


@dataclass(slots=True, frozen=True)
class RemoteWarc:
    """One WARC file to stream, and which sites to keep from it (empty: every site)."""

    url: str
    name: str
    domains: frozenset[str] = frozenset()
    source: str = "remote"
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry; doubled each time
    keep_dir: str | None = None  # keep a copy of the file here (``--keep-warc``)


def host_of(uri: str) -> str:
    """The host of a URL, lower case, without ``www.`` (fast: no full URL parsing)."""
    rest = uri.strip().strip("<>").partition("://")[2]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    if not host.startswith("["):
        host = host.split(":", 1)[0]
    return bare_host(host)


def site_selected(host: str, domains: frozenset[str]) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one (every host if none are given)."""
    if not domains:
        return True
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts)))


def open_source(url: str, offset: int = 0) -> tuple[IO[bytes], int]:
    """A binary stream of ``url`` from ``offset``, and where it really starts.

    HTTP servers that ignore the range request send the whole file: the second value is
    then 0, and the caller skips what it already has.
    """
    if url.startswith(("http://", "https://")):
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
        if offset:
            request.add_header("Range", f"bytes={offset}-")
        response = urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310
        start = offset if offset and response.status == 206 else 0
        return response, start
    if "://" in url and not url.startswith("file://"):
        try:
            import fsspec
        except ImportError:
            raise DownloadError(
                f"{url}: reading this kind of URL needs fsspec (pip install fsspec s3fs)"
            ) from None
        try:
            handle: IO[bytes] = fsspec.open(url, "rb").open()
        except ImportError as exc:  # the filesystem's own package (s3fs, gcsfs, ...)
            raise DownloadError(f"{url}: {exc}") from None
    else:
        handle = Path(url.removeprefix("file://")).open("rb")  # noqa: SIM115
    handle.seek(offset)
    return handle, offset


def retryable(exc: BaseException) -> bool:
    """Whether a failed download may succeed when tried again (a server error, a
    timeout, a dropped connection), not a refusal or a missing file."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return False
    return isinstance(exc, OSError | http.client.HTTPException | DownloadError)


@dataclass(frozen=True, slots=True)
class Retries:
    """How often a failed download is tried again, and how long to wait first
    (``backoff`` seconds, doubled at each failure)."""

    limit: int
    backoff: float
    sleep: Callable[[float], None] = time.sleep


def wait_to_retry(what: str, exc: BaseException, failures: int, retries: Retries) -> int:
    """Wait before the next attempt at ``what`` and return the failures so far; raise
    DownloadError instead when ``exc`` is not worth retrying or the retries are spent.
    The one retry rule of remote reading."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if not retryable(exc) or failures >= retries.limit:
        attempts = f" after {failures + 1} attempts" if failures else ""
        raise DownloadError(f"{what}: {reason}{attempts}") from None
    delay = retries.backoff * 2**failures
    logger.warning("%s: %s; retrying in %.1f s", what, reason, delay)
    retries.sleep(delay)
    return failures + 1


def read_remote_responses(
    source: RemoteWarc,
    stats: ReadStats,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[WarcResponse]:
    """HTML responses of the selected sites in ``source``, streamed.

    Raises DownloadError when the network fails more than ``source.retries`` times in a
    row, or the source cannot be found.
    """
    download = _Download(source, stats, max_body_bytes, sleep, _open_copy(source))
    try:
        resume_at = 0
        if source.name.endswith(".gz"):
            try:
                yield from download.members()
                resume_at = -1
            except NotOneMemberPerRecord as single:  # one gzip stream, or not gzip at all
                resume_at = single.offset
        if resume_at >= 0:
            yield from download.records(resume_at)
        if not stats.error:  # a damaged file's copy stays a .part (the caller warns, once)
            _keep_copy(source, download.copy)
    finally:
        if download.copy is not None:
            download.copy.close()


class _Interrupted(Exception):
    """The download broke; ``cause`` says how."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(slots=True)
class _Download:
    """One remote WARC being read: its source, what reading it counts, the ``--keep-warc``
    copy, and the network failures in a row so far."""

    source: RemoteWarc
    stats: ReadStats
    max_body_bytes: int
    sleep: Callable[[float], None]
    copy: BinaryIO | None
    failures: int = 0

    def members(self) -> Iterator[WarcResponse]:
        """A ``.warc.gz`` member by member: records of other sites are never inflated."""
        largest = self.max_body_bytes + (1 << 20)  # the body, and room for the HTTP headers
        domains = self.source.domains

        def wanted(record_type: str, uri: str, length: int) -> bool:
            return (
                record_type == "response"
                and length <= largest
                and site_selected(host_of(uri), domains)
            )

        resume = 0  # every record before this offset is handled and counted

        def items(read: Callable[[int], bytes], offset: int) -> Iterator[Member | Damage]:
            nonlocal resume
            for item in walk_members(read, offset, wanted):
                if item.end is not None:
                    resume = item.end
                yield item

        yield from self._reconnecting(lambda: resume, items)

    def records(self, resume_at: int) -> Iterator[WarcResponse]:
        """A plain ``.warc`` (or a single-stream ``.warc.gz``) framed record by record from
        ``resume_at``, sites selected from the WARC headers before any HTTP header is
        parsed. After a reconnection the download starts again at ``resume_at`` and what
        was handled is passed over by rank (in one gzip stream, records share offsets)."""
        domains = self.source.domains

        def wanted(record_type: str, uri: str, length: int) -> bool:
            return record_type == "response" and site_selected(host_of(uri), domains)

        keep = self.max_body_bytes + HTTP_HEAD_ROOM
        handled = 0  # records and damaged stretches handled, in the order of the file

        def items(read: Callable[[int], bytes], offset: int) -> Iterator[Member | Damage]:
            nonlocal handled
            for rank, item in enumerate(stream_records(read, offset, wanted, keep), start=1):
                if rank > handled:  # those up to it were handled before a reconnection
                    handled = rank
                    yield item

        yield from self._reconnecting(lambda: resume_at, items)

    def _reconnecting(
        self,
        start: Callable[[], int],
        items: Callable[[Callable[[int], bytes], int], Iterator[Member | Damage]],
    ) -> Iterator[WarcResponse]:
        """The responses among ``items(read, offset)`` of the download from ``start()``;
        a download that breaks is opened again from ``start()``, after a wait (counted),
        until the retries in a row are spent."""
        while True:
            offset = start()
            raw, read = self._open_at(offset)
            try:
                for item in items(read, offset):
                    self.failures = 0
                    response = _handle(item, self.source, self.stats, self.max_body_bytes)
                    if response is not None:
                        yield response
                return
            except _Interrupted as broke:
                self._failed(broke.cause)
            finally:
                raw.close()

    def _open_at(self, offset: int) -> tuple[IO[bytes], Callable[[int], bytes]]:
        """The download from ``offset`` (retrying the opening) and its ``read``; the
        ``--keep-warc`` copy is cut back to ``offset``."""
        while True:
            try:
                raw, start = open_source(self.source.url, offset)
                break
            except Exception as exc:
                self._failed(exc)
        if start != offset:  # the server ignored the range: pass over what is handled
            _discard(raw, offset - start)
        if self.copy is not None:
            self.copy.truncate(offset)
            self.copy.seek(offset)
        return raw, _network_reader(raw, self.stats, self.copy)

    def _failed(self, exc: BaseException) -> None:
        """Wait before the next attempt (counted), or give up with DownloadError."""
        retries = Retries(self.source.retries, self.source.backoff, self.sleep)
        self.failures = wait_to_retry(self.source.url, exc, self.failures, retries)
        self.stats.retries += 1


def _handle(
    item: Member | Damage, source: RemoteWarc, stats: ReadStats, max_body_bytes: int
) -> WarcResponse | None:
    """Count a record (or a damaged stretch); the response, if it is one to keep."""
    if isinstance(item, Damage):
        stats.note_damage(source.name, item)
        return None
    stats.records += 1
    if item.record_type != "response":
        return None
    stats.responses += 1
    if item.record is None:  # not inflated: another site's, or too large to be an article
        if site_selected(host_of(item.target_uri), source.domains):
            stats.skipped_too_large += 1
        else:
            stats.skipped_other_site += 1
        return None
    response = response_from_member(item, source.name, stats, max_body_bytes)
    if response is not None:
        stats.html += 1
    return response


def _network_reader(
    raw: IO[bytes], stats: ReadStats, copy: BinaryIO | None
) -> Callable[[int], bytes]:
    """``read(n)`` over the download: counts bytes, copies them, and turns any network
    failure (a cut connection included) into _Interrupted."""

    def read(size: int) -> bytes:
        try:
            data = raw.read(size)
        except (OSError, http.client.HTTPException) as exc:
            raise _Interrupted(exc) from None
        if not data:
            missing = getattr(raw, "length", None)  # http.client: bytes still due
            if missing:
                raise _Interrupted(ConnectionError(f"connection closed, {missing} bytes due"))
            return b""
        stats.downloaded_bytes += len(data)
        if copy is not None:
            copy.write(data)
        return data

    return read


def _discard(raw: IO[bytes], size: int) -> None:
    while size > 0:
        block = raw.read(min(size, CHUNK))
        if not block:
            return
        size -= len(block)


def _open_copy(source: RemoteWarc) -> BinaryIO | None:
    if source.keep_dir is None:
        return None
    folder = Path(source.keep_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return (folder / f"{source.name}.part").open("w+b")


def _keep_copy(source: RemoteWarc, copy: BinaryIO | None) -> None:
    if copy is None or source.keep_dir is None:
        return
    copy.flush()
    folder = Path(source.keep_dir)
    (folder / f"{source.name}.part").replace(folder / source.name)
