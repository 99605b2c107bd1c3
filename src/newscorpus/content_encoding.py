"""HTTP content decoding (``Content-Encoding``: gzip, deflate, br, zstd), bounded so that
a compression bomb stops at a limit. Used by the crawler (what it archives and parses) and
by the WARC reader (what archives hold).
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard

GZIP_SIGNATURE = b"\x1f\x8b"  # the first bytes of any gzip data


def decode_content(raw: bytes, encoding: str | None, limit: int) -> bytes | None:
    """Undo Content-Encoding, inflating at most ``limit + 1`` bytes (bombs stop there).

    Returns None when the body cannot be decoded. Archives are known to keep a
    ``Content-Encoding: gzip`` header on bodies stored already decoded, so the
    body's magic bytes decide, not the header alone.
    """
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip", "deflate"):
            if coding != "deflate" and not raw.startswith(GZIP_SIGNATURE):
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
