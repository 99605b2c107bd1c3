"""Read WARC files as they download (HTTP(S), local paths, or any fsspec URL such as s3://).

Records of sites that are not selected are skipped from their WARC headers alone: their
HTTP headers and HTML are never parsed. A network error or a cut connection is retried
with backoff, resuming at the last record handled (an HTTP range request), so nothing is
yielded twice; a file that is itself truncated or corrupt yields every record before the
damage and says where it is, like a local file.
"""

from __future__ import annotations

import http.client
import io
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from fastwarc import ArchiveIterator, WarcRecordType

from newscorpus.warc.members import Member, NotOneMemberPerRecord, WarcDamage, walk_members
from newscorpus.warc.reader import (
    DEFAULT_MAX_BODY_BYTES,
    ReadStats,
    WarcResponse,
    html_response,
    iterate_records,
    tail_damage,
)

logger = logging.getLogger(__name__)

USER_AGENT = "newscorpus (+https://github.com/newscorpus/newscorpus)"
CHUNK = 1 << 16
MAX_TAIL = 16 << 20  # bytes of the latest records kept for the end-of-file check
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
    return host.lower().rstrip(".").removeprefix("www.")


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


class _TrackingStream(io.RawIOBase):
    """Feeds FastWARC from a download's ``read`` (see _network_reader), keeping the bytes
    of the latest records for the damage check at the end. A network failure is kept,
    not raised: FastWARC sees the end of the stream and the caller retries."""

    def __init__(self, read: Callable[[int], bytes], start: int) -> None:
        self.read_download = read
        self.position = start  # in the file
        self.tail_start = start
        self.tail = bytearray()
        self.error: BaseException | None = None
        self.eof = False
        self.tail_whole = True  # False once a huge record made the tail too big to keep

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:  # FastWARC asks once, at the start
        return 0

    def readinto(self, buffer: Any) -> int:
        if self.error is not None or self.eof:
            return 0
        try:
            data = self.read_download(len(buffer))
        except _Interrupted as broke:
            self.error = broke.cause
            return 0
        if not data:
            self.eof = True
            return 0
        buffer[: len(data)] = data
        self.position += len(data)
        if self.tail_whole:
            self.tail += data
            if len(self.tail) > MAX_TAIL:
                self.tail_whole = False
                self.tail.clear()
        return len(data)

    def mark(self, position: int) -> None:
        """A record starts at ``position``: what came before it needs no more checking."""
        if position > self.tail_start:
            if self.tail_whole:
                del self.tail[: position - self.tail_start]
            self.tail_start = position


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return False
    return isinstance(exc, OSError | http.client.HTTPException | DownloadError)


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
    copy = _open_copy(source)
    try:
        resume_at = 0
        if source.name.endswith(".gz"):
            try:
                yield from _read_members(source, stats, max_body_bytes, sleep, copy)
                resume_at = -1
            except NotOneMemberPerRecord as single:  # one gzip stream: FastWARC reads on
                resume_at = single.offset
        if resume_at >= 0:
            yield from _read_records(source, stats, max_body_bytes, sleep, copy, resume_at)
        if stats.error:
            logger.warning(stats.error)  # the copy stays a .part: it may not be whole
        else:
            _keep_copy(source, copy)
    finally:
        if copy is not None:
            copy.close()


def _copy_stats(stats: ReadStats) -> dict[str, Any]:
    return {name: getattr(stats, name) for name in stats.__slots__}


def _restore_stats(stats: ReadStats, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        setattr(stats, name, value)


class _Interrupted(Exception):
    """The download broke; ``cause`` says how."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _read_members(
    source: RemoteWarc,
    stats: ReadStats,
    max_body_bytes: int,
    sleep: Callable[[float], None],
    copy: BinaryIO | None,
) -> Iterator[WarcResponse]:
    """A ``.warc.gz`` member by member: records of other sites are never inflated."""
    largest = max_body_bytes + (1 << 20)  # the body, and room for the HTTP headers

    def wanted(record_type: str, uri: str, length: int) -> bool:
        return (
            record_type == "response"
            and length <= largest
            and site_selected(host_of(uri), source.domains)
        )

    resume = 0  # every record before this offset is handled and counted
    failures = 0
    while True:
        raw, read, failures = _open_at(source, stats, resume, failures, sleep, copy)
        try:
            for member in walk_members(read, resume, wanted):
                resume = member.end
                failures = 0
                response = _member_response(member, source, stats, max_body_bytes)
                if response is not None:
                    yield response
            return
        except _Interrupted as broke:
            failures = _failed(source, stats, broke.cause, failures, resume, sleep)
        except WarcDamage as damage:
            stats.error = f"{source.name}: truncated or corrupt {damage}"
            return
        finally:
            raw.close()


def _member_response(
    member: Member, source: RemoteWarc, stats: ReadStats, max_body_bytes: int
) -> WarcResponse | None:
    stats.records += 1
    if member.record_type != "response":
        return None
    stats.responses += 1
    if member.record is None:
        if site_selected(host_of(member.target_uri), source.domains):
            stats.skipped_too_large += 1
        else:
            stats.skipped_other_site += 1
        return None
    record = next(iter(iterate_records(io.BytesIO(member.record))), None)
    if record is None:
        stats.skipped_bad_http += 1
        return None
    response = html_response(record, source.name, stats, max_body_bytes, member.offset)
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


def _open_at(
    source: RemoteWarc,
    stats: ReadStats,
    offset: int,
    failures: int,
    sleep: Callable[[float], None],
    copy: BinaryIO | None,
) -> tuple[IO[bytes], Callable[[int], bytes], int]:
    """The download from ``offset`` (retrying the opening), its ``read``, and the count of
    failures in a row; the ``--keep-warc`` copy is cut back to ``offset``."""
    while True:
        try:
            raw, start = open_source(source.url, offset)
            break
        except Exception as exc:
            failures = _failed(source, stats, exc, failures, offset, sleep)
    if start != offset:  # the server ignored the range: pass over what is handled
        _discard(raw, offset - start)
    if copy is not None:
        copy.truncate(offset)
        copy.seek(offset)
    return raw, _network_reader(raw, stats, copy), failures


def _discard(raw: IO[bytes], size: int) -> None:
    while size > 0:
        block = raw.read(min(size, CHUNK))
        if not block:
            return
        size -= len(block)


def _read_records(
    source: RemoteWarc,
    stats: ReadStats,
    max_body_bytes: int,
    sleep: Callable[[float], None],
    copy: BinaryIO | None,
    resume_at: int,
) -> Iterator[WarcResponse]:
    """A plain ``.warc`` (or a single-stream ``.warc.gz``) through FastWARC, from
    ``resume_at``, selecting sites from the WARC headers before the HTTP headers are
    parsed. Records are told apart by their rank (in one gzip stream, records share
    offsets), so after a reconnection the stream starts again at ``resume_at`` and the
    records already handled are passed over."""
    compressed = source.name.endswith(".gz")
    progress = _Ranks()
    failures = 0
    while True:
        raw, read, failures = _open_at(source, stats, resume_at, failures, sleep, copy)
        stream = _TrackingStream(read, resume_at)
        progress.seen = -1
        try:
            for record in _selected(stream, resume_at, source, stats, progress):
                before = _copy_stats(stats)
                response = html_response(record, source.name, stats, max_body_bytes, resume_at)
                if stream.error is not None:  # the body was cut: fetch it again, uncounted
                    _restore_stats(stats, before)
                    break
                progress.done = progress.seen
                failures = 0
                if response is not None:
                    stats.html += 1
                    yield response
        finally:
            raw.close()
        if stream.error is not None:
            failures = _failed(source, stats, stream.error, failures, resume_at, sleep)
            continue
        tail = bytes(stream.tail)
        if not stream.eof:  # FastWARC stopped early: damage inside the file
            stats.error = f"{source.name}: corrupt WARC after offset {stream.tail_start}"
        elif stream.tail_whole and not (compressed and not tail.startswith(b"\x1f\x8b")):
            # (in one gzip stream, record offsets are not where gzip data can be read from)
            damage = tail_damage(io.BytesIO(tail), compressed)
            if damage:
                stats.error = (
                    f"{source.name}: truncated or corrupt after offset "
                    f"{stream.tail_start}: {damage}"
                )
        return


@dataclass(slots=True)
class _Ranks:
    seen: int = -1  # rank of the record being looked at, in this attempt
    done: int = -1  # rank of the last record handed on
    counted: int = -1  # rank of the last record counted in the stats


def _selected(
    stream: _TrackingStream,
    start: int,
    source: RemoteWarc,
    stats: ReadStats,
    progress: _Ranks,
) -> Iterator[Any]:
    """The responses of selected sites, HTTP headers parsed."""

    def wanted(record: Any) -> bool:
        progress.seen += 1
        stream.mark(start + record.stream_pos)
        if progress.seen <= progress.done:  # handed on before a reconnection
            return False
        first_time = progress.seen > progress.counted
        progress.counted = max(progress.counted, progress.seen)
        stats.records += first_time
        if record.record_type != WarcRecordType.response:
            return False
        stats.responses += first_time
        if site_selected(host_of(record.headers.get("WARC-Target-URI") or ""), source.domains):
            return True
        stats.skipped_other_site += first_time
        return False

    records = ArchiveIterator(
        stream, parse_http=False, quirks_mode=True, func_filter=wanted, strict_mode=False
    )
    for record in records:
        record.parse_http(auto_decode="transfer", quirks_mode=True)
        yield record


def _failed(
    source: RemoteWarc,
    stats: ReadStats,
    exc: BaseException,
    failures: int,
    offset: int,
    sleep: Callable[[float], None],
) -> int:
    """Wait before the next attempt, or give up with DownloadError."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if not _retryable(exc) or failures >= source.retries:
        attempts = f" after {failures + 1} attempts" if failures else ""
        raise DownloadError(f"{source.url}: {reason}{attempts}") from None
    delay = source.backoff * 2**failures
    logger.warning("%s: %s; retrying from offset %d in %.1f s", source.name, reason, offset, delay)
    stats.retries += 1
    sleep(delay)
    return failures + 1


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
