"""Read HTML responses out of WARC files (``.warc``, ``.warc.gz``) with FastWARC.

Damage is never fatal: a truncated or corrupt file yields every record before the damage,
and the damage is reported through ``ReadStats.error``.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import brotli
import zstandard
from fastwarc import ArchiveIterator, WarcRecordType

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024  # after content decoding: a bigger page is no article
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b"
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)


class WarcFormatError(Exception):
    """The file is not a WARC file at all."""


@dataclass(slots=True)
class WarcResponse:
    """One archived HTTP response: what extraction needs, plus provenance."""

    url: str
    body: bytes  # content-decoded (gzip, deflate, brotli, zstd undone)
    charset: str | None  # from the Content-Type header
    status: int
    fetched_at: str | None  # WARC-Date, ISO 8601 UTC
    warc_file: str
    warc_offset: int


@dataclass(slots=True)
class ReadStats:
    """What reading one WARC (or one byte range of it) saw and skipped."""

    records: int = 0
    responses: int = 0
    html: int = 0
    skipped_not_html: int = 0
    skipped_status: int = 0
    skipped_too_large: int = 0
    skipped_bad_encoding: int = 0
    skipped_bad_http: int = 0
    skipped_no_url: int = 0
    skipped_other_site: int = 0  # streamed sources: a host not selected, seen from headers
    downloaded_bytes: int = 0  # streamed sources
    retries: int = 0  # streamed sources: reconnections after a network error
    error: str | None = None

    def as_counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "responses": self.responses,
            "html": self.html,
            "skipped_not_html": self.skipped_not_html,
            "skipped_status": self.skipped_status,
            "skipped_too_large": self.skipped_too_large,
            "skipped_bad_encoding": self.skipped_bad_encoding,
            "skipped_bad_http": self.skipped_bad_http,
            "skipped_no_url": self.skipped_no_url,
            "skipped_other_site": self.skipped_other_site,
            "downloaded_bytes": self.downloaded_bytes,
            "retries": self.retries,
            "damaged_files": int(self.error is not None),
        }


def is_warc_path(path: Path) -> bool:
    return path.name.endswith(WARC_SUFFIXES)


def iterate_records(stream: BinaryIO) -> ArchiveIterator:
    # quirks_mode accepts old WARCs (ClueWeb09: WARC/0.18, LF-only HTTP headers);
    # transfer decoding undoes chunking, content decoding is ours (bombs, lying headers).
    return ArchiveIterator(
        stream, parse_http=True, quirks_mode=True, auto_decode="transfer", strict_mode=False
    )


def response_offsets(path: Path) -> list[int]:
    """Offsets where response records start, to cut ``path`` into byte ranges.

    Empty when the file cannot be cut: a ``.warc.gz`` compressed as one gzip stream
    instead of one member per record has no offsets a reader could start from.
    """
    offsets: list[int] = []
    with path.open("rb") as stream:
        try:
            for record in iterate_records(stream):
                if record.record_type == WarcRecordType.response:
                    offsets.append(record.stream_pos)
        except (OSError, ValueError):  # damage: the shard that reaches it will report it
            pass
        if path.name.endswith(".gz"):
            for offset in offsets:
                stream.seek(offset)
                if stream.read(2) != _GZIP_MAGIC:
                    return []
    return offsets


def read_responses(
    path: Path,
    stats: ReadStats,
    start: int = 0,
    end: int | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Iterator[WarcResponse]:
    """HTML responses of ``path`` whose record starts in ``[start, end)``."""
    name = path.name
    last_offset: int | None = None
    with path.open("rb") as stream:
        stream.seek(start)
        try:
            for record in iterate_records(stream):
                last_offset = record.stream_pos
                if end is not None and record.stream_pos >= end:
                    return
                stats.records += 1
                if record.record_type != WarcRecordType.response:
                    continue
                stats.responses += 1
                response = html_response(record, name, stats, max_body_bytes)
                if response is not None:
                    stats.html += 1
                    yield response
        except (OSError, ValueError) as exc:
            stats.error = f"{name}: damaged WARC after offset {last_offset or start}: {exc}"
            logger.warning(stats.error)
            return
    # FastWARC stops quietly at damage; check that the last record really ended the file.
    if stats.error is None:
        stats.error = _check_tail(path, last_offset if last_offset is not None else start)
        if stats.error:
            logger.warning(stats.error)


def check_warc(path: Path) -> str | None:
    """None if ``path`` starts like a WARC file, else why it is not one."""
    with path.open("rb") as stream:
        head = stream.read(64 * 1024)
    if not head:
        return f"{path.name}: empty file, not a WARC file"
    if head.startswith(_GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return f"{path.name}: not a WARC file (broken gzip data)"
    if not head.startswith(b"WARC/"):
        return f"{path.name}: not a WARC file (it does not start with a WARC record)"
    return None


class _Damage(Exception):
    pass


def _plain_chunks(stream: BinaryIO, compressed: bool) -> Iterator[bytes]:
    """The WARC bytes of ``stream`` in bounded chunks, undoing gzip members one by one."""
    if not compressed:
        while block := stream.read(1 << 16):
            yield block
        return
    member = None
    data = stream.read(1 << 16)
    while data or member is not None:
        if member is None:
            while len(data) < 2 and (more := stream.read(1 << 16)):
                data += more
            if not data.startswith(_GZIP_MAGIC):
                raise _Damage("data that is not gzip")
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if not data:
            data = stream.read(1 << 16)
            if not data:
                raise _Damage("the file ends inside a gzip member")
        try:
            chunk = member.decompress(data, 1 << 20)  # bounded: bombs do not fill memory
        except zlib.error as exc:
            raise _Damage(f"broken gzip data ({exc})") from exc
        if chunk:
            yield chunk
        if member.eof:
            data, member = member.unused_data, None
        else:
            data = member.unconsumed_tail


class _RecordWalker:
    """Follows WARC record boundaries through a byte stream without keeping the bodies."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.skip = 0

    def feed(self, chunk: bytes) -> None:
        if self.skip:
            used = min(self.skip, len(chunk))
            self.skip -= used
            chunk = chunk[used:]
        self.buffer += chunk
        while True:
            while self.buffer[:1] in (bytearray(b"\r"), bytearray(b"\n")):
                del self.buffer[:1]
            if not self.buffer:
                return
            if not b"WARC/".startswith(bytes(self.buffer[:5])):
                raise _Damage("data that is not a WARC record")
            header_end = self.buffer.find(b"\r\n\r\n")
            if header_end < 0:
                if len(self.buffer) > 1 << 20:
                    raise _Damage("a record header that never ends")
                return
            length = _CONTENT_LENGTH.search(self.buffer, 0, header_end)
            if length is None:
                raise _Damage("a record header without Content-Length")
            body = len(self.buffer) - (header_end + 4)
            needed = int(length.group(1))
            if body >= needed:
                del self.buffer[: header_end + 4 + needed]
                continue
            self.skip = needed - body
            self.buffer.clear()
            return

    def finish(self) -> None:
        if self.skip:
            raise _Damage("the file ends inside a record")
        if self.buffer.strip(b"\r\n"):
            raise _Damage("the file ends inside a record header")


def _check_tail(path: Path, offset: int) -> str | None:
    """Why the records from ``offset`` to the end of the file are damaged, or None.

    FastWARC ends iteration quietly at damage, so the last record it yielded and
    whatever follows it are checked by hand, streaming: complete gzip members, complete
    records. A gzip file that is one stream (not a member per record) is checked whole.
    """
    with path.open("rb") as stream:
        stream.seek(offset)
        compressed = path.name.endswith(".gz")
        if compressed and stream.read(2) != _GZIP_MAGIC:
            offset = 0
        stream.seek(offset)
        damage = tail_damage(stream, compressed)
    return f"{path.name}: truncated or corrupt after offset {offset}: {damage}" if damage else None


def tail_damage(stream: BinaryIO, compressed: bool) -> str | None:
    """What is wrong with the records from the stream's position to its end, or None."""
    walker = _RecordWalker()
    try:
        for chunk in _plain_chunks(stream, compressed):
            walker.feed(chunk)
        walker.finish()
    except _Damage as damage:
        return str(damage)
    return None


def html_response(
    record: object, warc_file: str, stats: ReadStats, max_body_bytes: int, base_offset: int = 0
) -> WarcResponse | None:
    """The record as a WarcResponse if it is an HTML 200 response, else None (counted).

    ``base_offset``: where the stream the record came from starts in its file.
    """
    http = record.http_headers  # type: ignore[attr-defined]
    if http is None:  # a record cut short before its HTTP headers ended
        stats.skipped_bad_http += 1
        return None
    status = http.status_code or 0
    if status != 200:
        stats.skipped_status += 1
        return None
    content_type = (record.http_content_type or "").lower()  # type: ignore[attr-defined]
    if content_type and content_type not in _HTML_TYPES:
        stats.skipped_not_html += 1
        return None
    raw = record.reader.read(max_body_bytes + 1)  # type: ignore[attr-defined]
    if len(raw) > max_body_bytes:
        stats.skipped_too_large += 1
        return None
    body = decode_content(raw, http.get("Content-Encoding"), max_body_bytes)
    if body is None:
        stats.skipped_bad_encoding += 1
        return None
    if len(body) > max_body_bytes:
        stats.skipped_too_large += 1
        return None
    if not content_type and not _looks_like_html(body):
        stats.skipped_not_html += 1
        return None
    headers = record.headers  # type: ignore[attr-defined]
    url = (headers.get("WARC-Target-URI") or "").strip().strip("<>")  # WARC/1.0 wrote <uri>
    if not url.startswith(("http://", "https://")):
        stats.skipped_no_url += 1
        return None
    return WarcResponse(
        url=url,
        body=body,
        charset=record.http_charset,  # type: ignore[attr-defined]
        status=status,
        fetched_at=_iso_utc(headers.get("WARC-Date")),
        warc_file=warc_file,
        warc_offset=base_offset + record.stream_pos,  # type: ignore[attr-defined]
    )


def decode_content(raw: bytes, encoding: str | None, limit: int) -> bytes | None:
    """Undo Content-Encoding, inflating at most ``limit + 1`` bytes (bombs stop there).

    Returns None when the body cannot be decoded. Archives are known to keep a
    ``Content-Encoding: gzip`` header on bodies stored already decoded, so the
    body's magic bytes decide, not the header alone.
    """
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip", "deflate"):
            if coding != "deflate" and not raw.startswith(_GZIP_MAGIC):
                continue
            try:
                raw = _inflate(raw, gzip=coding != "deflate", limit=limit)
            except zlib.error:
                return None
        elif coding == "br":
            try:
                decompressor = brotli.Decompressor()
                raw = decompressor.process(raw, output_buffer_limit=limit + 1)
            except (brotli.error, TypeError):
                return None
        elif coding == "zstd":
            try:
                with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)) as reader:
                    raw = reader.read(limit + 1)
            except zstandard.ZstdError:
                return None
        elif coding not in ("identity",):
            return None
    return raw


def _inflate(raw: bytes, gzip: bool, limit: int) -> bytes:
    if gzip:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return inflater.decompress(raw, limit + 1)
    try:
        return zlib.decompressobj(zlib.MAX_WBITS).decompress(raw, limit + 1)
    except zlib.error:  # "deflate" is often sent raw, without the zlib wrapper
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, limit + 1)


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) or b"<body" in head


def _iso_utc(value: str | None) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
