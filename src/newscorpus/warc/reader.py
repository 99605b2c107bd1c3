"""Read HTML responses out of WARC files (``.warc``, ``.warc.gz``).

Records are framed here, and every record's framing is checked: its declared
Content-Length must end it with CRLF CRLF. Damage never ends the reading: a damaged
record (cut short, a wrong Content-Length, a header that never ends, bytes that are not
a record, gzip data that does not inflate) is skipped, counted in ``ReadStats`` by its
kind, and reading goes on at the next record found: the next line starting ``WARC/``
whose header parses, or the next gzip member that holds one. ``ReadStats.error`` then
describes the damage once per file. FastWARC parses the HTTP part of each response, one
record at a time.
"""

from __future__ import annotations

import io
import os
import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, BinaryIO

from fastwarc import ArchiveIterator

from newscorpus._time import utc_moment
from newscorpus.content_encoding import GZIP_SIGNATURE, decode_content
from newscorpus.warc.members import (
    GZIP_MAGIC,
    Damage,
    DamageKind,
    Member,
    NotOneMemberPerRecord,
    WarcHeader,
    parse_warc_header,
    starts_with_warc_header,
    walk_members,
)

WARC_SUFFIXES = (".warc", ".warc.gz")
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024  # after content decoding: a bigger page is no article
HEADER_LIMIT = 1 << 20  # a WARC header that does not end within this is damage
PARSE_HEADER_LIMIT = 1 << 16  # longer WARC or HTTP headers are skipped (FastWARC's limit)
HTTP_HEAD_ROOM = PARSE_HEADER_LIMIT + 1024  # block bytes kept beyond the body limit
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PIECE = 1 << 20  # bytes read, or inflated, at a time
_GZIP_INPUT = 1 << 16  # compressed bytes handed to zlib at a time
_RECORD_END = b"\r\n\r\n"
_VERSIONS = (b"WARC/1.", b"WARC/0.")  # where a resynchronisation may find a record


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
    content_language: str | None = None  # the Content-Language header, as sent


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
    skipped_bad_http: int = 0  # no HTTP status line, or a body that cannot be de-chunked
    skipped_no_url: int = 0
    skipped_other_site: int = 0  # streamed sources: a host not selected, seen from headers
    # damage: each skipped record, or stretch of data, counted once by what was wrong
    skipped_truncated: int = 0  # a record shorter than its Content-Length (a cut file)
    skipped_bad_length: int = 0  # a Content-Length that does not end its record
    skipped_oversized_header: int = 0  # a WARC or HTTP header too long to parse
    skipped_garbage: int = 0  # data between records that is not a WARC record
    skipped_bad_gzip: int = 0  # gzip data that does not inflate
    downloaded_bytes: int = 0  # streamed sources
    retries: int = 0  # streamed sources: reconnections after a network error
    damaged_parts: int = 0  # damaged stretches seen (the error names the first)
    error: str | None = None  # what is damaged in the file, once, or None

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
            "skipped_truncated": self.skipped_truncated,
            "skipped_bad_length": self.skipped_bad_length,
            "skipped_oversized_header": self.skipped_oversized_header,
            "skipped_garbage": self.skipped_garbage,
            "skipped_bad_gzip": self.skipped_bad_gzip,
            "downloaded_bytes": self.downloaded_bytes,
            "retries": self.retries,
            "damaged_files": int(self.error is not None),
        }

    def note_damage(self, warc_file: str, damage: Damage) -> None:
        """Count a damaged stretch; ``error`` describes the first one, once per file."""
        if damage.kind is not None:
            self._count_skipped(damage.kind)
        self.damaged_parts += 1
        if self.error is None:
            went_on = "" if damage.end is None else f", reading went on at offset {damage.end}"
            skipped = "" if damage.kind is None else f"; skipped{went_on}"
            self.error = (
                f"{warc_file}: truncated or corrupt WARC at offset {damage.offset}: "
                f"{damage.reason}{skipped}"
            )
        elif self.damaged_parts == 2:
            self.error += " (and more damage after it: see the read.skipped_* counts)"

    def _count_skipped(self, kind: DamageKind) -> None:
        if kind == "truncated":
            self.skipped_truncated += 1
        elif kind == "bad_length":
            self.skipped_bad_length += 1
        elif kind == "oversized_header":
            self.skipped_oversized_header += 1
        elif kind == "garbage":
            self.skipped_garbage += 1
        else:
            self.skipped_bad_gzip += 1


DAMAGED_FILES = "read.damaged_files"


def merged_counts(ranges: Iterable[tuple[str, Mapping[str, int]]]) -> Counter[str]:
    """The counts of byte ranges of input files, as (file, counts) pairs, summed; but
    ``read.damaged_files`` counts each damaged file once, however many of its ranges
    held damage."""
    merged: Counter[str] = Counter()
    damaged: set[str] = set()
    for name, counts in ranges:
        merged.update(counts)
        if counts.get(DAMAGED_FILES):
            damaged.add(name)
    if DAMAGED_FILES in merged:
        merged[DAMAGED_FILES] = len(damaged)
    return merged


def is_warc_path(path: Path) -> bool:
    return path.name.endswith(WARC_SUFFIXES)


def response_offsets(path: Path) -> list[int]:
    """Offsets where response records start, to cut ``path`` into byte ranges.

    Empty when the file cannot be cut: a ``.warc.gz`` compressed as one gzip stream
    instead of one member per record has no offsets a reader could start from.
    """
    with path.open("rb") as stream:
        gzipped = stream.read(2) == GZIP_SIGNATURE
        stream.seek(0)
        if gzipped:  # gzip members found from their sizes, bodies not inflated
            try:
                items = list(walk_members(stream.read, 0, _nothing_kept))
            except NotOneMemberPerRecord:
                return []
        else:
            items = list(file_records(stream, _nothing_kept, 0))
    # damage is left to the byte range that holds it, which reports it
    return [i.offset for i in items if isinstance(i, Member) and i.record_type == "response"]


def read_responses(
    path: Path,
    stats: ReadStats,
    start: int = 0,
    end: int | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Iterator[WarcResponse]:
    """HTML responses of ``path`` whose record starts in ``[start, end)``."""
    name = path.name
    with path.open("rb") as stream:
        stream.seek(start)
        for item in file_records(stream, _is_response, max_body_bytes + HTTP_HEAD_ROOM):
            if end is not None and item.offset >= end:
                return
            if isinstance(item, Damage):
                stats.note_damage(name, item)
                continue
            stats.records += 1
            if item.record_type != "response":
                continue
            stats.responses += 1
            response = response_from_member(item, name, stats, max_body_bytes)
            if response is not None:
                stats.html += 1
                yield response


def check_warc(path: Path) -> str | None:
    """None if ``path`` starts like a WARC file, else why it is not one."""
    with path.open("rb") as stream:
        head = stream.read(64 * 1024)
    if not head:
        return f"{path.name}: empty file, not a WARC file"
    if head.startswith(GZIP_SIGNATURE):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return f"{path.name}: not a WARC file (broken gzip data)"
    if not head.startswith(b"WARC/"):
        return f"{path.name}: not a WARC file (it does not start with a WARC record)"
    return None


def _is_response(record_type: str, target_uri: str, content_length: int) -> bool:
    return record_type == "response"


def _nothing_kept(record_type: str, target_uri: str, content_length: int) -> bool:
    return False


def file_records(
    stream: BinaryIO, wanted: Callable[[str, str, int], bool], keep: int
) -> Iterator[Member | Damage]:
    """Every record, and every damaged stretch, of a local file from the position of
    ``stream`` on (a record's start, or its gzip member's).

    The file is sniffed: gzip, or a plain WARC whatever its name. ``wanted(record_type,
    target_uri, content_length)`` decides which records come with their bytes (at most
    ``keep`` bytes of their block).
    """
    offset = stream.tell()
    gzipped = stream.read(2) == GZIP_SIGNATURE
    stream.seek(offset)
    pieces: _Pieces
    if gzipped:
        pieces = _GzipPieces(stream.read, offset, b"", stream.seek)
    else:
        pieces = _PlainPieces(stream.read, offset, b"", stream.seek)
        pieces.size = os.fstat(stream.fileno()).st_size
    return _Framer(pieces, wanted, keep).items()


def stream_records(
    read: Callable[[int], bytes], offset: int, wanted: Callable[[str, str, int], bool], keep: int
) -> Iterator[Member | Damage]:
    """Like ``file_records``, for data that cannot be read again (a download from file
    offset ``offset`` on). One difference: when a record whose Content-Length proves
    wrong was not held whole (not wanted, or huge), the records its length covered are
    lost with it (its damage says so), where a file is read again from there."""
    first = read(_PIECE)
    pieces: _Pieces
    if first.startswith(GZIP_SIGNATURE):
        pieces = _GzipPieces(read, offset, first, None)
    else:
        pieces = _PlainPieces(read, offset, first, None)
    return _Framer(pieces, wanted, keep).items()


# ---- pieces: the WARC bytes of a file, each piece knowing where it comes from ----


@dataclass(slots=True)
class _Piece:
    data: bytes
    origin: int  # file offset of data[0] (plain WARC) or of its gzip member (.warc.gz)
    within: int  # offset of data[0] inside its gzip member (0 in a plain WARC)
    linear: bool  # a plain WARC: data[i] is at origin + i in the file
    lost: Damage | None = None  # data that could not be read, just before this piece


class _Pieces:
    """The WARC bytes of a file, piece by piece (``next`` returns None at the end)."""

    size: int | None = None  # of a plain WARC file, when known: no record runs past it

    def next(self) -> _Piece | None:
        raise NotImplementedError

    def cut_short(self) -> Damage | None:
        """At the end: the damage of a file that ends inside a gzip member, if it does."""
        return None

    def rewind(self, origin: int, skip: int) -> bool:
        """Go back to the byte ``skip`` bytes after piece origin ``origin``; False if the
        file cannot be read again (a download)."""
        raise NotImplementedError


class _PlainPieces(_Pieces):
    def __init__(
        self,
        read: Callable[[int], bytes],
        offset: int,
        first: bytes,
        seek: Callable[[int], object] | None,
    ) -> None:
        self.read = read
        self.seek = seek
        self.offset = offset  # of the next byte to hand out
        self.first: bytes | None = first  # read already (to sniff the file)

    def next(self) -> _Piece | None:
        data = self.first or self.read(_PIECE)
        self.first = None
        if not data:
            return None
        piece = _Piece(data, self.offset, 0, True)
        self.offset += len(data)
        return piece

    def rewind(self, origin: int, skip: int) -> bool:
        if self.seek is None:
            return False
        self.offset = origin + skip
        self.seek(self.offset)
        self.first = None
        return True


class _GzipPieces(_Pieces):
    """The inflated bytes of a ``.warc.gz``, member by member: no piece spans two members,
    so every byte's member is known. Data that does not inflate is skipped up to the next
    gzip member that holds a WARC header; the next piece says what was lost."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        offset: int,
        first: bytes,
        seek: Callable[[int], object] | None,
        skip: int = 0,
    ) -> None:
        self.read = read
        self.seek = seek
        self.data = first  # compressed bytes read, from data[index] not yet inflated
        self.index = 0
        self.data_offset = offset  # file offset of data[0]
        self.eof = False
        self.inflater: zlib._Decompress | None = None
        self.member = offset  # file offset of the member being inflated
        self.within = 0  # bytes of the member inflated so far
        self.skip = skip  # inflated bytes still to drop (handed out already)
        self.lost: Damage | None = None
        self.cut: Damage | None = None

    @property
    def position(self) -> int:
        return self.data_offset + self.index

    def next(self) -> _Piece | None:
        while True:
            if self.inflater is None and not self._start_member():
                return self._last()
            out = self._inflate() if self._have(1) else self._finish_member()
            if out:
                piece = _Piece(out, self.member, self.within, False, self.lost)
                self.within += len(out)
                self.lost = None
                return piece
            if self.cut is not None:
                return self._last()

    def rewind(self, origin: int, skip: int) -> bool:
        if self.seek is None:
            return False
        self.seek(origin)
        self.data, self.index, self.data_offset, self.eof = b"", 0, origin, False
        self.inflater, self.skip, self.lost, self.cut = None, skip, None, None
        return True

    def cut_short(self) -> Damage | None:
        return self.cut

    def _last(self) -> _Piece | None:
        """The end: first an empty piece, if data was lost just before it."""
        if self.lost is None:
            return None
        piece = _Piece(b"", self.member, self.within, False, self.lost)
        self.lost = None
        return piece

    def _inflate(self) -> bytes:
        assert self.inflater is not None
        chunk = memoryview(self.data)[self.index : self.index + _GZIP_INPUT]
        try:
            out = self.inflater.decompress(chunk, _PIECE)
        except zlib.error as exc:
            self._skip_broken(self.member, "bad_gzip", f"broken gzip data ({exc})")
            return b""
        self.index += len(chunk) - len(self.inflater.unconsumed_tail)
        if self.inflater.eof:
            self.index -= len(self.inflater.unused_data)
            self.inflater = None
        return self._drop_skipped(out)

    def _drop_skipped(self, out: bytes) -> bytes:
        if self.skip:  # after a rewind: what lies before the byte gone back to
            dropped = min(self.skip, len(out))
            self.skip -= dropped
            self.within += dropped
            out = out[dropped:]
        return out

    def _finish_member(self) -> bytes:
        """No input is left: what zlib still holds; if the member does not end with it,
        the file ends inside it."""
        assert self.inflater is not None
        out = self.inflater.flush()
        if not self.inflater.eof:
            self.cut = Damage(self.member, None, "the file ends inside a gzip member", None)
        self.inflater = None
        return self._drop_skipped(out)

    def _have(self, count: int) -> bool:
        """At least ``count`` compressed bytes ahead (fewer only at the end of the file)."""
        while len(self.data) - self.index < count and not self.eof:
            block = self.read(max(_PIECE, count))
            if not block:
                self.eof = True
                break
            self.data = self.data[self.index :] + block
            self.data_offset += self.index
            self.index = 0
        return len(self.data) - self.index >= count

    def _start_member(self) -> bool:
        """Start inflating the member at the current position; False at the end."""
        while True:
            if not self._have(len(GZIP_MAGIC)):
                if self._only_padding():
                    return False
            elif self.data.startswith(GZIP_MAGIC, self.index):
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.member, self.within = self.position, 0
                return True
            elif self._only_padding():
                return False
            self._skip_broken(self.position, "garbage", "data that is not gzip")

    def _only_padding(self) -> bool:
        """Whether the rest of the file is only CR, LF or NUL bytes (some tools pad)."""
        while not self.data[self.index :].strip(b"\r\n\x00"):
            self.index = len(self.data)
            if not self._have(1):
                return True
        return False

    def _skip_broken(self, start: int, kind: DamageKind, reason: str) -> None:
        """Skip from ``start`` to the next gzip member that holds a WARC header."""
        self.inflater = None
        if start + 1 < self.data_offset and self.seek is not None:  # read again what zlib ate
            self.seek(start + 1)
            self.data, self.index, self.data_offset, self.eof = b"", 0, start + 1, False
        else:
            self.index = max(0, start + 1 - self.data_offset)
        following = self._next_good_member()
        if self.lost is None:
            self.lost = Damage(start, kind, reason, following)
        else:  # one damage for one stretch, however many members it spans
            self.lost.end = following

    def _next_good_member(self) -> int | None:
        while True:
            found = self.data.find(GZIP_MAGIC, self.index)
            if found < 0:
                self.index = max(self.index, len(self.data) - len(GZIP_MAGIC) + 1)
                if not self._have(len(GZIP_MAGIC)):
                    self.index = len(self.data)
                    return None
                continue
            self.index = found
            if self._holds_warc_header():
                return self.position
            self.index += 1

    def _holds_warc_header(self) -> bool:
        self._have(4096)
        return starts_with_warc_header(self.data[self.index : self.index + 4096])


# ---- framing: records out of the pieces, each checked, with resynchronisation ----


_HEADER_DAMAGE = {
    "truncated": "the file ends inside a record header",
    "oversized_header": f"a record header that does not end within {HEADER_LIMIT} bytes",
    "bad_length": "a record header without a valid Content-Length",
}


class _Framer:
    """Records out of pieces of WARC bytes, each checked against its declared length.

    The pieces are kept as they came (``chunks``, no copy), from the one holding the
    current stream ``position`` on; a position counts the bytes the pieces handed out, and
    each chunk's mark says where its bytes are in the file.
    """

    def __init__(self, pieces: _Pieces, wanted: Callable[[str, str, int], bool], keep: int) -> None:
        self.pieces = pieces
        self.wanted = wanted
        self.keep = keep
        self.chunks: list[bytes] = []
        self.starts: list[int] = []  # stream position of each chunk's first byte
        self.marks: list[tuple[int, int, bool]] = []  # its piece's (origin, within, linear)
        self.position = 0
        self.end = 0  # stream position after the last chunk
        self.pending: _Piece | None = None  # the piece after lost data, not taken in yet
        self.ended = False
        self.end_told = False  # a damage said already that the data ends inside a record

    def items(self) -> Iterator[Member | Damage]:
        while True:
            if self.pending is not None:
                yield self._take_pending()
            elif self._skip_line_ends():
                item = self._record()
                if item is not None:
                    yield item
            elif self.pending is None:
                cut = self.pieces.cut_short()
                if cut is not None and not self.end_told:
                    yield cut
                return

    # -- one record --

    def _record(self) -> Member | Damage | None:
        """The record at the current position, or the damage found there (the position
        then is at the next record); None when lost data cut it (the damage of the lost
        data, which comes next, stands for it)."""
        start = self.position
        if not self._fill(5):
            return None if self.pending is not None else self._garbage(start, self._offset(start))
        self._drop()
        whole = self._record_in_one_chunk()
        if whole is not None:
            return whole
        offset = self._offset(start)
        if not self._startswith(b"WARC/"):
            return self._garbage(start, offset)
        header = self._header()
        if not isinstance(header, WarcHeader):
            return None if self.pending is not None else self._header_damage(start, offset, header)
        retry = self._anchor(start + 1)  # where to look from if the length proves wrong
        record = self._block(start, offset, header)
        if isinstance(record, Member):
            return record
        lost = record == "short" and self.pending is not None  # cut by lost data
        return None if lost else self._length_damage(start, offset, record, retry)

    def _header_damage(self, start: int, offset: int, kind: DamageKind) -> Damage:
        if kind == "truncated":
            self.position = self.end
            self.end_told = True
            return Damage(offset, kind, _HEADER_DAMAGE[kind], None)
        return self._damaged(start, offset, kind, _HEADER_DAMAGE[kind])

    def _length_damage(
        self, start: int, offset: int, problem: str, retry: tuple[int, int]
    ) -> Damage:
        """A record whose Content-Length is wrong: ``problem`` is ``"short"`` (the data
        ends before it: the file is cut, or the length too long) or ``"bad end"``."""
        if problem != "short":
            reason = "a Content-Length that does not end the record with CRLF CRLF"
            return self._damaged(start, offset, "bad_length", reason, retry)
        reason = "a Content-Length that runs past the next record"
        damage = self._damaged(start, offset, "bad_length", reason, retry)
        if damage.end is None:
            damage.kind, damage.reason = "truncated", "the file ends inside a record"
            self.end_told = True
        return damage

    def _record_in_one_chunk(self) -> Member | None:
        """The usual case, quickly: a good record that lies in the chunk at hand (every
        record but a huge one, of a .warc.gz; most, of a WARC); None for anything else."""
        chunk, first = self.chunks[0], self.starts[0]
        local = self.position - first
        if not chunk.startswith(b"WARC/", local):
            return None
        end = chunk.find(_RECORD_END, local, local + HEADER_LIMIT)
        if end < 0:
            return None
        header = parse_warc_header(chunk[local:end])
        length = header.content_length
        block_end = end + 4 + length
        if length < 0 or not chunk.startswith(_RECORD_END, block_end):
            return None
        kept = None
        record = None
        if self.wanted(header.record_type, header.target_uri, length):
            kept = min(length, self.keep)
            record = memoryview(chunk)[local : end + 4 + kept]
        origin, _, linear = self.marks[0]
        self.position = first + block_end + 4
        return Member(
            offset=origin + local if linear else origin,
            record_type=header.record_type,
            target_uri=header.target_uri,
            content_length=length,
            end=origin + block_end + 4 if linear else -1,
            record=record,
            complete=kept is None or kept == length,
            header_size=header.size,
        )

    def _header(self) -> WarcHeader | DamageKind:
        """The header at the current position (which stays), or what is wrong with it."""
        searched = self.position
        while (end := self._find(_RECORD_END, searched)) < 0:
            if self.end - self.position > HEADER_LIMIT:
                return "oversized_header"
            searched = max(self.position, self.end - 3)
            if not self._fill(self.end - self.position + 1):
                return "truncated"
        header = parse_warc_header(bytes(self._view(self.position, end)))
        return header if header.content_length >= 0 else "bad_length"

    def _block(self, start: int, offset: int, header: WarcHeader) -> Member | str:
        """The record whose header is at the current position, read (what is wanted of
        it) or skipped to its declared end, which must be CRLF CRLF; else ``"short"``
        (the data ends before) or ``"bad end"``."""
        length, size = header.content_length, header.size
        linear = self.marks[self._index(start)][2]
        if linear and self.pieces.size is not None and offset + size + length > self.pieces.size:
            return "short"  # known without reading to the end of the file
        kept: int | None = None
        record = None
        if self.wanted(header.record_type, header.target_uri, length):
            kept = min(length, self.keep)
            if not self._fill(size + kept + (4 if kept == length else 0)):
                return "short"
            record = self._view(start, start + size + kept)
        if not self._skip_to(start + size + length) or not self._fill(4):
            return "short"
        if not self._startswith(_RECORD_END):
            return "bad end"
        self.position += 4
        return Member(
            offset=offset,
            record_type=header.record_type,
            target_uri=header.target_uri,
            content_length=length,
            end=offset + size + length + 4 if linear else -1,
            record=record,
            complete=kept is None or kept == length,
            header_size=size,
        )

    # -- damage --

    def _garbage(self, start: int, offset: int) -> Damage:
        """Data that is not a record, from ``start`` to the next record."""
        if self._search():
            reason = f"{self.position - start} bytes of data that is not a WARC record"
            return Damage(offset, "garbage", reason, self._offset(self.position))
        return Damage(offset, "garbage", "data that is not a WARC record, to the end", None)

    def _damaged(
        self,
        start: int,
        offset: int,
        kind: DamageKind,
        reason: str,
        retry: tuple[int, int] | None = None,
    ) -> Damage:
        """A record with a broken header or length: skipped, and the next record looked
        for from its second byte on (a wrong length may hide the records after it)."""
        if not self._go_back(start + 1, retry or self._anchor(start + 1)):
            reason += " (a download cannot be read again: the records inside it are lost)"
        found = self._search()
        return Damage(offset, kind, reason, self._offset(self.position) if found else None)

    def _go_back(self, position: int, anchor: tuple[int, int]) -> bool:
        """Back to stream ``position``: still held, or read again from the file."""
        if self.starts and position >= self.starts[0]:
            self.position = position
            return True
        if self.pieces.rewind(*anchor):
            self._restart()
            return True
        return False

    def _search(self) -> bool:
        """Move to the next ``WARC/1.`` or ``WARC/0.`` that starts a header that parses
        (not only at a line start: bytes glued before a good record must not cost it)."""
        while True:
            found = self._find(b"WARC/", self.position)
            if found < 0:
                self.position = max(self.position, self.end - 4)
                self._drop()
                if not self._fill(self.end - self.position + 1):
                    if self.pending is None:
                        self.position = self.end
                    return False
                continue
            self.position = found
            if self._fill(7) and self._startswith(_VERSIONS):
                header = self._header()
                if isinstance(header, WarcHeader) and header.record_type:
                    return True
            self.position += 1

    # -- the chunks --

    def _fill(self, count: int) -> bool:
        """At least ``count`` bytes held from the current position; False at the end of
        the data, or before lost data (``pending`` then holds the piece after it)."""
        while self.end - self.position < count:
            if self.pending is not None or self.ended:
                return False
            piece = self.pieces.next()
            if piece is None:
                self.ended = True
                return False
            if piece.lost is not None:
                self.pending = piece
                return False
            self._take(piece)
        return True

    def _take(self, piece: _Piece) -> None:
        self.chunks.append(piece.data)
        self.starts.append(self.end)
        self.marks.append((piece.origin, piece.within, piece.linear))
        self.end += len(piece.data)

    def _take_pending(self) -> Damage:
        """Go on after lost data: what was held before it is given up."""
        piece, self.pending = self.pending, None
        assert piece is not None and piece.lost is not None
        self.position = self.end
        self._take(piece)
        self._drop()
        return piece.lost

    def _drop(self) -> None:
        """Let go of the chunks before the one holding the current position."""
        index = self._index(self.position)
        if index > 0:
            del self.chunks[:index], self.starts[:index], self.marks[:index]

    def _restart(self) -> None:
        """Forget the chunks: the pieces start again at an earlier byte (a rewind)."""
        self.chunks.clear()
        self.starts.clear()
        self.marks.clear()
        self.position = self.end
        self.ended = False
        self.pending = None

    def _skip_to(self, position: int) -> bool:
        """Move to stream ``position``, keeping nothing of what lies before it."""
        while position > self.end:
            self.position = self.end
            self._drop()
            if not self._fill(1):
                return False
        self.position = position
        return True

    def _skip_line_ends(self) -> bool:
        """Pass over CR and LF bytes between records; False at the end of the data."""
        while self._fill(1):
            index = self._index(self.position)
            if self.chunks[index][self.position - self.starts[index]] not in (10, 13):
                return True
            self.position += 1
        return False

    def _index(self, position: int) -> int:
        """The chunk holding stream ``position`` (the last one, at the end)."""
        return bisect_right(self.starts, position) - 1

    def _view(self, start: int, stop: int) -> bytes | memoryview:
        """The bytes from ``start`` to ``stop`` (held): a view when one chunk holds them."""
        index = self._index(start)
        chunk, first = self.chunks[index], self.starts[index]
        if stop - first <= len(chunk):
            return memoryview(chunk)[start - first : stop - first]
        parts = []
        while start < stop:
            chunk, first = self.chunks[index], self.starts[index]
            parts.append(memoryview(chunk)[start - first : stop - first])
            start = first + len(chunk)
            index += 1
        return b"".join(parts)

    def _startswith(self, prefix: bytes | tuple[bytes, ...]) -> bool:
        """Whether the held bytes at the current position start with ``prefix``."""
        index = self._index(self.position)
        chunk, local = self.chunks[index], self.position - self.starts[index]
        if local + 8 <= len(chunk):
            return chunk.startswith(prefix, local)
        return bytes(self._view(self.position, min(self.end, self.position + 8))).startswith(prefix)

    def _find(self, pattern: bytes, start: int) -> int:
        """The stream position of ``pattern`` in the held bytes from ``start``, or -1."""
        index = max(0, self._index(start))
        while index < len(self.chunks):
            chunk, first = self.chunks[index], self.starts[index]
            found = chunk.find(pattern, max(0, start - first))
            if found >= 0:
                return first + found
            if index + 1 < len(self.chunks):  # a match across the seam of two chunks
                seam_start = max(start, first + len(chunk) - len(pattern) + 1)
                seam_stop = min(self.end, first + len(chunk) + len(pattern) - 1)
                found = bytes(self._view(seam_start, seam_stop)).find(pattern)
                if found >= 0:
                    return seam_start + found
            index += 1
        return -1

    # -- where a stream position is in the file --

    def _offset(self, position: int) -> int:
        """The file offset of a record starting at stream ``position``: its own in a plain
        WARC, its gzip member's in a .warc.gz."""
        index = self._index(position)
        origin, _, linear = self.marks[index]
        return origin + position - self.starts[index] if linear else origin

    def _anchor(self, position: int) -> tuple[int, int]:
        """How to find stream ``position`` in the file again: (piece origin, bytes after)."""
        index = self._index(position)
        origin, within, _ = self.marks[index]
        return origin, within + position - self.starts[index]


def response_from_member(
    member: Member, warc_file: str, stats: ReadStats, max_body_bytes: int
) -> WarcResponse | None:
    """A response record read with its bytes, as a WarcResponse if it is an HTML 200
    response, else None (counted). FastWARC parses this one record's headers: a header it
    cannot parse, or a body that cannot be de-chunked, costs this record only."""
    data = member.record or b""
    try:
        record = _parse_head(bytes(data[: member.header_size + PARSE_HEADER_LIMIT + 4]))
        if record is None or record.http_headers is None:
            stats.skipped_bad_http += 1
            return None
        raw = _html_body(record, data, member, stats, max_body_bytes)
    except (OSError, ValueError):
        if _oversized_header(data, member.header_size):
            stats.skipped_oversized_header += 1
        else:
            stats.skipped_bad_http += 1
        return None
    body = None if raw is None else _decoded_html(record, raw, stats, max_body_bytes)
    if body is None:
        return None
    headers = record.headers
    url = (headers.get("WARC-Target-URI") or "").strip().strip("<>")  # WARC/1.0 wrote <uri>
    if not url.startswith(("http://", "https://")):
        stats.skipped_no_url += 1
        return None
    return WarcResponse(
        url=url,
        body=body,
        charset=record.http_charset,
        status=record.http_headers.status_code,
        fetched_at=_iso_utc(headers.get("WARC-Date")),
        warc_file=warc_file,
        warc_offset=member.offset,
        content_language=record.http_headers.get("Content-Language"),
    )


def _decoded_html(record: Any, raw: bytes, stats: ReadStats, max_body_bytes: int) -> bytes | None:
    """The body of a response, its content encoding undone, if it is HTML within
    ``max_body_bytes``; else None (counted)."""
    body = decode_content(raw, record.http_headers.get("Content-Encoding"), max_body_bytes)
    if body is None:
        stats.skipped_bad_encoding += 1
        return None
    if len(body) > max_body_bytes:
        stats.skipped_too_large += 1
        return None
    if not record.http_content_type and not _looks_like_html(body):
        stats.skipped_not_html += 1
        return None
    return body


def _parse_head(data: bytes) -> Any:
    """The FastWARC record of a record's beginning, WARC and HTTP headers parsed."""
    records = ArchiveIterator(
        io.BytesIO(data),
        parse_http=True,
        quirks_mode=True,  # old WARCs (ClueWeb09: WARC/0.18, LF-only HTTP headers)
        auto_decode="transfer",  # content decoding is ours: bombs, lying headers
        strict_mode=False,
        max_header_len=PARSE_HEADER_LIMIT,
    )
    return next(iter(records), None)


def _html_body(
    record: Any, data: bytes | memoryview, member: Member, stats: ReadStats, max_body_bytes: int
) -> bytes | None:
    """The HTTP body of a 200 HTML response (transfer encoding undone, at most
    ``max_body_bytes + 1`` bytes), or None (counted)."""
    status = record.http_headers.status_code
    if status is None:  # no HTTP status line
        stats.skipped_bad_http += 1
        return None
    if status != 200:
        stats.skipped_status += 1
        return None
    content_type = (record.http_content_type or "").lower()
    if content_type and content_type not in _HTML_TYPES:
        stats.skipped_not_html += 1
        return None
    if not member.complete:
        stats.skipped_too_large += 1
        return None
    if record.http_headers.get("Transfer-Encoding"):  # rare: FastWARC de-chunks the body
        raw: bytes = _parse_head(bytes(data)).reader.read(max_body_bytes + 1)
    else:  # the rest of the block as it is, copied once
        block_end = member.header_size + member.content_length
        start = block_end - record.content_length
        raw = bytes(data[start : min(block_end, start + max_body_bytes + 1)])
    if len(raw) > max_body_bytes:
        stats.skipped_too_large += 1
        return None
    return raw


def _oversized_header(record: bytes | memoryview, header_size: int) -> bool:
    """Whether the record's WARC header, or its HTTP header, is too long to parse."""
    if header_size > PARSE_HEADER_LIMIT:
        return True
    block = bytes(record[header_size : header_size + PARSE_HEADER_LIMIT + 4])
    return block.startswith(b"HTTP/") and _RECORD_END not in block and b"\n\n" not in block


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) or b"<body" in head


def _iso_utc(value: str | None) -> str | None:
    moment = utc_moment(value)
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
