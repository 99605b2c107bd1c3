"""Real WARC files with damage put in on purpose: records written byte by byte."""

from __future__ import annotations

import gzip
import re
import zlib

PAGE_WORDS = 800


def page(name: str, words: int = PAGE_WORDS) -> bytes:
    """An HTML article of ``words`` words; the last one says which page it is."""
    text = " ".join(f"word{i}" for i in range(words - 1))
    return f"<!DOCTYPE html><html><body><p>{text} {name}</p></body></html>".encode()


def record(
    warc_type: str,
    uri: str,
    block: bytes,
    length: int | None = None,
    extra: bytes = b"",
) -> bytes:
    """A WARC/1.0 record; ``length``: a Content-Length other than the block's own."""
    identifier = zlib.crc32(f"{warc_type} {uri}".encode())
    header = (
        f"WARC/1.0\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:crc:{identifier}>\r\n"
        f"Content-Type: application/http; msgtype={warc_type}\r\n"
    ).encode()
    size = len(block) if length is None else length
    return header + extra + f"Content-Length: {size}\r\n\r\n".encode() + block + b"\r\n\r\n"


def response(uri: str, body: bytes, http_extra: bytes = b"", length: int | None = None) -> bytes:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + http_extra
    return record("response", uri, block + b"\r\n" + body, length)


def request(uri: str, length: int | None = None) -> bytes:
    return record("request", uri, b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\n", length)


def exchange(number: int) -> list[bytes]:
    """The request and response records of page ``number``."""
    uri = f"http://site.test/{number}"
    return [request(uri), response(uri, page(f"page{number}"))]


def gzipped(records: list[bytes]) -> bytes:
    """A .warc.gz: one gzip member per record (what crawlers write)."""
    return b"".join(gzip.compress(r) for r in records)


def members(data: bytes) -> list[bytes]:
    """The records of a one-member-per-record .warc.gz."""
    found = []
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        found.append(inflater.decompress(data))
        data = inflater.unused_data
    return found


def grow_http_header(warc_record: bytes, size: int) -> bytes:
    """The response record with an HTTP header line of ``size`` bytes added."""
    head, _, block = warc_record[:-4].partition(b"\r\n\r\n")
    status, _, rest = block.partition(b"\r\n")
    block = status + b"\r\nX-Padding: " + b"p" * size + b"\r\n" + rest
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(block), head)
    return head + b"\r\n\r\n" + block + b"\r\n\r\n"


def grow_warc_header(warc_record: bytes, size: int) -> bytes:
    """The record with a WARC header line of ``size`` bytes added."""
    version, _, rest = warc_record.partition(b"\r\n")
    return version + b"\r\nX-Padding: " + b"p" * size + b"\r\n" + rest
