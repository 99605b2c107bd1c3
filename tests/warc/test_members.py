"""Walking a .warc.gz member by member, skipping records without inflating them."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from fastwarc import ArchiveIterator

from newscorpus.warc.members import Damage, Member, NotOneMemberPerRecord, walk_members
from tests.conftest import WARC_SAMPLES, html_page, need_shared, news_paragraphs, write_warc
from tests.warc.warcs import exchange, record, request


def _fastwarc_records(path: Path) -> list[tuple[int, str]]:
    with path.open("rb") as stream:
        return [
            (r.stream_pos, r.headers.get("WARC-Target-URI") or "")
            for r in ArchiveIterator(stream, parse_http=False)
        ]


def _walk(data: bytes, wanted: object = lambda *_: False) -> list:  # type: ignore[type-arg]
    return list(walk_members(io.BytesIO(data).read, 0, wanted))  # type: ignore[arg-type]


def _sample(tmp_path: Path) -> Path:
    html = [("Content-Type", "text/html")]
    pages = [
        (f"https://a.example/2024/01/{n}.html", html_page(f"t{n}", news_paragraphs(n)), html)
        for n in range(12)
    ]
    return write_warc(tmp_path, pages)


@pytest.mark.parametrize("source", ["ours", "common-crawl"])
def test_skipping_finds_every_boundary(tmp_path: Path, source: str) -> None:
    path = (
        _sample(tmp_path)
        if source == "ours"
        else need_shared(WARC_SAMPLES / "cc-main-2020-34-sample.warc.gz")
    )
    expected = _fastwarc_records(path)
    skipped = _walk(path.read_bytes())
    assert [(m.offset, m.target_uri) for m in skipped] == expected
    assert all(m.record is None for m in skipped)
    inflated = _walk(path.read_bytes(), lambda kind, uri, length: True)
    assert [m.end for m in inflated] == [m.end for m in skipped]
    assert [m.offset for m in inflated[1:]] == [m.end for m in inflated[:-1]]
    assert all(m.record and m.record.startswith(b"WARC/") for m in inflated)
    assert inflated[-1].end == path.stat().st_size


def test_damage_and_single_streams_are_told_apart(tmp_path: Path) -> None:
    data = _sample(tmp_path).read_bytes()
    whole = _walk(data)
    cut = _walk(data[: len(data) - 100])  # the last member cut short
    assert [m.offset for m in cut[:-1]] == [m.offset for m in whole[:-1]]
    assert isinstance(cut[-1], Damage) and cut[-1].kind == "truncated"
    assert cut[-1].offset == whole[-1].offset and cut[-1].end is None
    tail = _walk(data[:-30] + b"garbage that is not gzip")
    assert isinstance(tail[-1], Damage) and tail[-1].offset == whole[-1].offset
    with pytest.raises(NotOneMemberPerRecord):
        _walk(gzip.compress(gzip.decompress(data)))


def test_the_walk_goes_on_after_a_damaged_member(tmp_path: Path) -> None:
    """A member that does not inflate, bytes that are not gzip, a record longer or shorter
    than its member, a header too long to be one: each is one Damage, and every good
    member after it is walked."""
    records = [r for n in range(6) for r in exchange(n)]
    compressed = [gzip.compress(r) for r in records]
    broken = bytearray(compressed[3])
    broken[30:50] = b"\x00" * 20  # the deflate data of page 1's response
    compressed[3] = bytes(broken)
    compressed[5] = gzip.compress(records[5][:-40])  # page 2's response, cut short
    compressed[6] = gzip.compress(request("http://site.test/3", length=10_000))
    compressed[8] = gzip.compress(record("metadata", "x", b"", extra=b"X: " + b"x" * 1_100_000))
    compressed.insert(2, b"not gzip at all")  # between page 0 and page 1
    data = b"".join(compressed)
    items = _walk(data, lambda kind, uri, length: kind == "response")
    damage = [(i.offset, i.kind) for i in items if isinstance(i, Damage)]
    starts = [sum(map(len, compressed[:k])) for k in (2, 4, 6, 7, 9)]
    kinds = ["garbage", "bad_gzip", "bad_length", "bad_length", "oversized_header"]
    assert damage == list(zip(starts, kinds, strict=True))
    good = [i for i in items if isinstance(i, Member)]
    assert len(good) == len(records) - 4
    responses = [m.target_uri for m in good if m.record_type == "response"]
    assert responses == [f"http://site.test/{n}" for n in (0, 3, 4, 5)]
    assert all(m.record and m.record.endswith(b"</html>") for m in good if m.record)
