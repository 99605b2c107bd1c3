"""Read HTML responses out of WARC files (``.warc``, ``.warc.gz``) with FastWARC.

Damage is never fatal: a truncated or corrupt file yields every record before the damage,
and the damage is reported through ``ReadStats.error``.
"""

from __future__ import annotations

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
_TAIL_LIMIT = 256 * 1024 * 1024
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
            "damaged_files": int(self.error is not None),
        }


def is_warc_path(path: Path) -> bool:
    return path.name.endswith(WARC_SUFFIXES)


def _iterate(stream: BinaryIO) -> ArchiveIterator:
    # quirks_mode accepts old WARCs (ClueWeb09: WARC/0.18, LF-only HTTP headers);
    # transfer decoding undoes chunking, content decoding is ours (bombs, lying headers).
    return ArchiveIterator(
        stream, parse_http=True, quirks_mode=True, auto_decode="transfer", strict_mode=False
    )


def response_offsets(path: Path) -> list[int]:
    """Offsets of the response records of ``path`` (headers only, used to cut shards)."""
    offsets: list[int] = []
    with path.open("rb") as stream:
        for record in _iterate(stream):
            if record.record_type == WarcRecordType.response:
                offsets.append(record.stream_pos)
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
            for record in _iterate(stream):
                last_offset = record.stream_pos
                if end is not None and record.stream_pos >= end:
                    return
                stats.records += 1
                if record.record_type != WarcRecordType.response:
                    continue
                stats.responses += 1
                response = _html_response(record, name, stats, max_body_bytes)
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


def _check_tail(path: Path, offset: int) -> str | None:
    """Why the records from ``offset`` to the end of the file are damaged, or None.

    FastWARC ends iteration quietly at damage, so the last record it yielded and
    whatever follows it are checked by hand: complete gzip members, complete records.
    """
    with path.open("rb") as stream:
        stream.seek(offset)
        raw = stream.read(_TAIL_LIMIT + 1)
    where = f"{path.name}: truncated or corrupt after offset {offset}"
    if len(raw) > _TAIL_LIMIT:
        return f"{where}: unreadable data"
    if raw.startswith(_GZIP_MAGIC):
        plain = bytearray()
        rest = raw
        while rest:
            if not rest.startswith(_GZIP_MAGIC):
                return f"{where}: data that is not gzip"
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                plain += member.decompress(rest)
            except zlib.error as exc:
                return f"{where}: broken gzip data ({exc})"
            if not member.eof:
                return f"{where}: the file ends inside a gzip member"
            rest = member.unused_data
        raw = bytes(plain)
    position = 0
    while raw[position:].strip(b"\r\n"):
        if not raw.startswith(b"WARC/", position):
            return f"{where}: data that is not a WARC record"
        header_end = raw.find(b"\r\n\r\n", position)
        length = _CONTENT_LENGTH.search(raw, position, header_end if header_end > 0 else len(raw))
        if header_end < 0 or length is None:
            return f"{where}: the file ends inside a record header"
        position = header_end + 4 + int(length.group(1))
        if position > len(raw):
            return f"{where}: the file ends inside a record"
        while raw.startswith(b"\r\n", position):
            position += 2
    return None


def _html_response(
    record: object, warc_file: str, stats: ReadStats, max_body_bytes: int
) -> WarcResponse | None:
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
    return WarcResponse(
        url=headers.get("WARC-Target-URI") or "",
        body=body,
        charset=record.http_charset,  # type: ignore[attr-defined]
        status=status,
        fetched_at=_iso_utc(headers.get("WARC-Date")),
        warc_file=warc_file,
        warc_offset=record.stream_pos,  # type: ignore[attr-defined]
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
                raw = zstandard.ZstdDecompressor().decompressobj().decompress(raw)[: limit + 1]
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
