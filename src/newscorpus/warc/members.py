"""Walk a ``.warc.gz`` gzip member by member, inflating only the records asked for.

A ``.warc.gz`` holds one gzip member per record. Finding where a member ends normally
means inflating all of it; here, a record that is not wanted is skipped *without*
inflating its body: only its WARC header (the first few hundred bytes) is inflated, then
the next member is found where the 4-byte ISIZE trailer (the length the header announces)
is followed by gzip magic bytes, and confirmed by a WARC header at its start.
Whenever that shortcut cannot be sure (an unusual writer, a huge record, the file's end),
the member is inflated in bounded pieces instead, so the walk is never wrong about a
boundary it could check. Selecting 2% of a CC-NEWS file this way inflates ~2% of it.

Damage does not end the walk: the damaged member is reported (``Damage``) and the walk
goes on from the next gzip member that holds a WARC header.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, NoReturn

# what a damaged stretch was, as counted in ReadStats (``skipped_<kind>``)
DamageKind = Literal["truncated", "bad_length", "oversized_header", "garbage", "bad_gzip"]

GZIP_MAGIC = b"\x1f\x8b\x08"
HEADER_CHUNK = 2048
INFLATE_CHUNK = 1 << 16
MAX_HEADER = 1 << 20  # a WARC header that does not end within this is damage
MAX_SKIP_WINDOW = 32 << 20  # compressed bytes buffered while looking for the next member
MIN_MEMBER = 20  # gzip header + empty deflate + trailer
CALIBRATION = 8  # skipped members also inflated at the start of a walk, to check the shortcut
PEEK = 64  # bytes inflated past a record's end, to tell what else its member holds


class WarcDamage(Exception):
    """The data at ``offset`` is not what a per-record ``.warc.gz`` holds.

    ``kind`` names the ``ReadStats`` count of what was skipped (``skipped_<kind>``)."""

    def __init__(self, offset: int, message: str, kind: DamageKind = "garbage") -> None:
        super().__init__(f"after offset {offset}: {message}")
        self.offset = offset
        self.message = message
        self.kind = kind


class NotOneMemberPerRecord(Exception):
    """The member at ``offset`` holds more than one record (a single-stream gzip)."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"records share a gzip member at offset {offset}")
        self.offset = offset


@dataclass(slots=True)
class Member:
    offset: int  # of its gzip member in the file (of the record itself, in a plain WARC)
    record_type: str
    target_uri: str
    content_length: int
    end: int  # where the next record starts; -1 when not known (a .warc.gz read as a stream)
    record: bytes | memoryview | None  # the record (header and block) when it was wanted
    complete: bool = True  # False: ``record`` holds only the beginning of a huge record
    header_size: int = 0  # bytes of the WARC header (with its blank line) in ``record``


@dataclass(slots=True)
class Damage:
    """A damaged stretch that was skipped: a record or data between records."""

    offset: int  # where the damage starts (its gzip member, in a .warc.gz)
    kind: DamageKind | None  # what was skipped; None: nothing, but the file is damaged
    reason: str
    end: int | None  # where reading went on, when known (None: at the end of the file)


class _Window:
    """The compressed bytes from the current member on, read from ``read`` as needed."""

    def __init__(self, read: Callable[[int], bytes], start: int) -> None:
        self.read = read
        self.data = bytearray()
        self.base = start  # file offset of data[0]
        self.eof = False

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def ensure(self, offset: int) -> None:
        while self.end < offset and not self.eof:
            block = self.read(max(INFLATE_CHUNK, offset - self.end))
            if block:
                self.data += block
            else:
                self.eof = True

    def slice(self, start: int, stop: int) -> bytes:
        self.ensure(stop)
        return bytes(self.data[start - self.base : stop - self.base])

    def some(self, start: int, most: int) -> bytes:
        """Up to ``most`` bytes from ``start``: what is there, reading only if nothing is."""
        self.ensure(start + 1)
        return bytes(self.data[start - self.base : start - self.base + most])

    def find(self, pattern: bytes, start: int) -> int:
        found = self.data.find(pattern, max(0, start - self.base))
        return -1 if found < 0 else self.base + found

    def drop_before(self, offset: int) -> None:
        if offset > self.base:
            del self.data[: offset - self.base]
            self.base = offset


def walk_members(
    read: Callable[[int], bytes],
    start: int,
    wanted: Callable[[str, str, int], bool],
) -> Iterator[Member | Damage]:
    """Every record from ``start`` (a member boundary) to the end of the stream.

    ``wanted(record_type, target_uri, content_length)`` decides which records are inflated
    whole (``Member.record``); the others are skipped. A damaged member gives a Damage and
    the walk goes on at the next member holding a WARC header. Raises
    NotOneMemberPerRecord when the file is not one gzip member per record (or, at
    ``start``, not gzip at all).
    """
    window = _Window(read, start)
    offset = start
    skipper = _Skipper()
    while True:
        window.drop_before(offset)
        window.ensure(offset + 3)
        if window.end <= offset:
            return  # the end of the file, at a member boundary
        try:
            member = _read_member(window, offset, offset == start, wanted, skipper)
        except WarcDamage as damage:
            following = _next_good_member(window, offset)
            yield Damage(offset, damage.kind, damage.message, following)
            if following is None:
                return
            offset = following
            continue
        if member is None:  # only padding to the end of the file
            return
        yield member
        offset = member.end


def _read_member(
    window: _Window,
    offset: int,
    first: bool,
    wanted: Callable[[str, str, int], bool],
    skipper: _Skipper,
) -> Member | None:
    """The member at ``offset``, its record inflated if ``wanted``; None when only
    padding follows. Raises WarcDamage for what is not a good member."""
    if window.slice(offset, offset + 3) != GZIP_MAGIC:
        if first and window.slice(offset, offset + 5) == b"WARC/":
            raise NotOneMemberPerRecord(offset)  # a plain WARC under a .gz name
        if _only_padding(window, offset):
            return None
        raise WarcDamage(offset, "data that is not a gzip member")
    head = _inflate_head(window, offset)
    record_type, uri, length, header_size = _parse_header(head, offset)
    size = header_size + length + 4  # the record and its closing CRLF CRLF
    if wanted(record_type, uri, length):
        record, end = _inflate_member(window, offset, size)
        return Member(offset, record_type, uri, length, end, record, True, header_size)
    return Member(offset, record_type, uri, length, skipper.end(window, offset, size), None)


class _Skipper:
    """Finds where a member whose record is not wanted ends: by the ISIZE shortcut
    (``_next_member``) once the first members of the file showed that their writer's
    members fit it, else by inflating them."""

    def __init__(self) -> None:
        self.checked = 0  # members whose skip was checked against a full inflation
        self.trusted = True  # the ISIZE shortcut holds for this file's writer

    def end(self, window: _Window, offset: int, size: int) -> int:
        if self.checked < CALIBRATION:
            end = _skip_by_inflating(window, offset, size, exact=False)
            if window.base == offset:  # still there: would the shortcut have found it?
                self.checked += 1
                self.trusted = self.trusted and _next_member(window, offset, size) == end
            return end
        if self.trusted:
            return _next_member(window, offset, size)
        return _skip_by_inflating(window, offset, size, exact=False)


def _only_padding(window: _Window, offset: int) -> bool:
    """Whether the stream from ``offset`` to its end is only CR, LF or NUL bytes."""
    position = offset
    while True:
        window.ensure(position + INFLATE_CHUNK)
        if window.slice(position, window.end).strip(b"\r\n\x00"):
            return False
        if window.eof:
            return True
        position = window.end
        window.drop_before(position)


def _next_good_member(window: _Window, damaged: int) -> int | None:
    """Where the first gzip member after ``damaged`` that holds a WARC header starts."""
    search = damaged + 1
    while True:
        found = window.find(GZIP_MAGIC, search)
        if found < 0:
            if window.eof:
                return None
            search = max(search, window.end - len(GZIP_MAGIC) + 1)
            window.drop_before(min(search, window.end))  # bounded: old bytes are not kept
            window.ensure(window.end + INFLATE_CHUNK)
            continue
        try:
            _parse_header(_inflate_head(window, found), found)
        except WarcDamage:
            search = found + 1
            continue
        return found


def _inflate_head(window: _Window, offset: int) -> bytes:
    inflater = zlib.decompressobj(31)
    out = bytearray()
    position = offset
    while b"\r\n\r\n" not in out and not inflater.eof:
        chunk = window.some(position, HEADER_CHUNK)
        if not chunk:
            raise WarcDamage(offset, "the file ends inside a record header", "truncated")
        try:
            out += inflater.decompress(chunk, MAX_HEADER)
        except zlib.error as exc:
            raise WarcDamage(offset, f"broken gzip data ({exc})", "bad_gzip") from None
        position += len(chunk) - len(inflater.unconsumed_tail)
        if len(out) >= MAX_HEADER and b"\r\n\r\n" not in out:
            raise WarcDamage(offset, "a record header that never ends", "oversized_header")
        if len(out) >= MAX_HEADER:
            break
    return bytes(out)


@dataclass(slots=True)
class WarcHeader:
    record_type: str  # lower case
    target_uri: str
    content_length: int  # -1: missing or not a number
    size: int  # of the header, its closing blank line included


def parse_warc_header(head: bytes) -> WarcHeader:
    """``head``: a WARC header without its closing blank line."""
    lower = head.lower()
    length = header_field(head, lower, b"\r\ncontent-length:")
    record_type = header_field(head, lower, b"\r\nwarc-type:")
    uri = header_field(head, lower, b"\r\nwarc-target-uri:")
    return WarcHeader(
        record_type=(record_type or b"").decode("latin-1").lower(),
        target_uri=(uri or b"").decode("utf-8", "replace"),
        content_length=int(length) if length and length.isdigit() else -1,
        size=len(head) + 4,
    )


def starts_with_warc_header(compressed: bytes | memoryview) -> bool:
    """Whether gzip data starts a member whose text starts a WARC record."""
    try:
        return zlib.decompressobj(31).decompress(compressed, 8).startswith(b"WARC/")
    except zlib.error:
        return False


def _parse_header(head: bytes, offset: int) -> tuple[str, str, int, int]:
    end = head.find(b"\r\n\r\n")
    if not head.startswith(b"WARC/") or end < 0:
        raise WarcDamage(offset, "data that is not a WARC record")
    header = parse_warc_header(head[:end])
    if header.content_length < 0:
        raise WarcDamage(offset, "a record header without a valid Content-Length", "bad_length")
    return header.record_type, header.target_uri, header.content_length, header.size


def header_field(head: bytes, lower: bytes, name: bytes) -> bytes | None:
    """The value of a WARC header line, or None. ``name``: lower case, with the CRLF
    before it and its colon (``b"\\r\\ncontent-length:"``); ``lower``: ``head.lower()``."""
    at = lower.find(name)
    if at < 0:
        return None
    start = at + len(name)
    stop = head.find(b"\r\n", start)
    return head[start : stop if stop >= 0 else len(head)].strip()


def _inflate_member(window: _Window, offset: int, size: int) -> tuple[bytes, int]:
    """The member's record (without its closing CRLF CRLF), and where the next member
    starts."""
    inflater = zlib.decompressobj(31)
    out = bytearray()
    position = offset
    while not inflater.eof:
        chunk = window.some(position, INFLATE_CHUNK)
        if not chunk:
            raise WarcDamage(offset, "the file ends inside a gzip member", "truncated")
        try:
            out += inflater.decompress(chunk, size + PEEK - len(out))  # bombs stop here
        except zlib.error as exc:
            raise WarcDamage(offset, f"broken gzip data ({exc})", "bad_gzip") from None
        position += len(chunk) - len(inflater.unconsumed_tail)
        if len(out) >= size + PEEK:
            _more_than_the_record(offset, bytes(out[size:]))
    _check_length(offset, len(out), size)
    if len(out) > size and bytes(out[size:]).strip(b"\r\n"):
        _more_than_the_record(offset, bytes(out[size:]))
    if out[size - 4 : size] != b"\r\n\r\n":
        raise WarcDamage(offset, "no CRLF CRLF where its Content-Length ends it", "bad_length")
    return bytes(out[: size - 4]), position - len(inflater.unused_data)


def _more_than_the_record(offset: int, extra: bytes) -> NoReturn:
    """The member goes on after its record: another record (one gzip member for several
    records), or a Content-Length too short for the record."""
    if extra.lstrip(b"\r\n").startswith(b"WARC/"):
        raise NotOneMemberPerRecord(offset)
    raise WarcDamage(offset, "a gzip member that holds more than its record", "bad_length")


def _check_length(offset: int, produced: int, size: int) -> None:
    # a whole member holding less than its header announces: never a whole document
    if produced < size:
        raise WarcDamage(offset, "a record shorter than its Content-Length", "bad_length")


def _next_member(window: _Window, offset: int, size: int) -> int:
    """Where the member after the one at ``offset`` starts, inflating nothing if it can.

    The next member starts right after this one's trailer, whose last 4 bytes are the
    record's length: those 4 bytes followed by the gzip magic are looked for together.
    """
    boundary = (size & 0xFFFFFFFF).to_bytes(4, "little") + GZIP_MAGIC
    search = offset + MIN_MEMBER - 4
    while True:
        found = window.find(boundary, search)
        if found < 0:
            if window.eof:
                break
            if window.end - offset > MAX_SKIP_WINDOW:
                return _skip_by_inflating(window, offset, size)
            search = max(search, window.end - len(boundary) + 1)
            window.ensure(window.end + INFLATE_CHUNK)
            continue
        if starts_with_warc_header(window.slice(found + 4, found + 4 + 256)):
            return found + 4
        search = found + 1
    return _skip_by_inflating(window, offset, size)  # the last member: checked whole


def _skip_by_inflating(window: _Window, offset: int, size: int, exact: bool = True) -> int:
    """The member's end, found by inflating it in bounded pieces (output dropped).

    ``exact``: the member must hold no more than the record (else: not one member per
    record); off, a member may hold a little more (up to 64 KiB). The member's bytes stay
    in the window (unless it is huge), for another look and for finding the next good
    member after damage."""
    inflater = zlib.decompressobj(31)
    produced = 0
    position = offset
    limit = size + PEEK if exact else size + (1 << 16)
    extra = bytearray()  # what the member holds past the record
    while not inflater.eof:
        chunk = window.some(position, INFLATE_CHUNK)
        if not chunk:
            raise WarcDamage(offset, "the file ends inside a gzip member", "truncated")
        try:
            piece = inflater.decompress(chunk, limit + 1 - produced)
        except zlib.error as exc:
            raise WarcDamage(offset, f"broken gzip data ({exc})", "bad_gzip") from None
        if produced + len(piece) > size:
            extra += piece[max(0, size - produced) :]
        produced += len(piece)
        position += len(chunk) - len(inflater.unconsumed_tail)
        if produced > limit or b"WARC/" in extra:
            if exact:
                _more_than_the_record(offset, bytes(extra))
            raise NotOneMemberPerRecord(offset)
        if position - offset > MAX_SKIP_WINDOW:
            window.drop_before(min(position, window.end))
    _check_length(offset, produced, size)
    if exact and extra.strip(b"\r\n"):
        _more_than_the_record(offset, bytes(extra))
    return position - len(inflater.unused_data)
