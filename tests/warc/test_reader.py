from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections import Counter
from pathlib import Path

import pytest
from fastwarc import ArchiveIterator, WarcRecordType

from newscorpus.warc.reader import (
    ReadStats,
    WarcResponse,
    check_warc,
    read_responses,
    response_offsets,
)
from tests.conftest import WARC_SAMPLES, html_page, need_shared, write_warc
from tests.test_cli import run
from tests.warc.warcs import (
    exchange,
    grow_http_header,
    gzipped,
    page,
    record,
    request,
    response,
)

PAGE = html_page("A title", ["Some article text that is long enough."] * 3)
HTML = [("Content-Type", "text/html; charset=utf-8")]


def _read(path: Path, **kwargs: int) -> tuple[list, ReadStats]:
    stats = ReadStats()
    return list(read_responses(path, stats, **kwargs)), stats


def test_common_crawl_sample_reads_every_html_response() -> None:
    path = need_shared(WARC_SAMPLES / "cc-main-2020-34-sample.warc.gz")
    responses, stats = _read(path)
    expected = sum(
        1
        for r in ArchiveIterator(str(path), record_types=WarcRecordType.response)
        if r.http_headers.status_code == 200
    )
    assert len(responses) == expected > 10
    assert stats.error is None
    assert all(r.url.startswith("http") and r.warc_file == path.name for r in responses)
    assert any(r.charset == "windows-1251" for r in responses)
    # offsets point at the records: reading there gives the same URL back
    with path.open("rb") as handle:
        handle.seek(responses[3].warc_offset)
        record = next(iter(ArchiveIterator(handle)))
        assert record.headers["WARC-Target-URI"] == responses[3].url


def test_clueweb_quirks_are_read_and_lying_gzip_header_ignored() -> None:
    path = need_shared(WARC_SAMPLES / "clueweb09-ja-quirk.warc.gz")
    responses, stats = _read(path)
    assert len(responses) == 29 and stats.error is None
    assert all(r.body.lstrip().lower().startswith(b"<html") for r in responses)
    assert responses[0].charset == "euc-jp"


def test_truncated_gzip_warc_yields_records_before_damage(tmp_path: Path) -> None:
    pages = [(f"http://site.test/{i}", PAGE, HTML) for i in range(20)]
    path = write_warc(tmp_path, pages)
    data = path.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    responses, stats = _read(cut)
    assert 5 < len(responses) < 20
    assert [r.url for r in responses] == [f"http://site.test/{i}" for i in range(len(responses))]
    assert stats.error and "truncated or corrupt" in stats.error and "cut.warc.gz" in stats.error


def test_truncated_plain_warc_is_reported(tmp_path: Path) -> None:
    pages = [(f"http://site.test/{i}", PAGE, HTML) for i in range(10)]
    plain = gzip.decompress(write_warc(tmp_path, pages).read_bytes())
    whole = tmp_path / "whole.warc"
    whole.write_bytes(plain)
    last = response_offsets(whole)[-1]
    cut = tmp_path / "cut.warc"
    cut.write_bytes(plain[: last + 300])  # inside the last response
    responses, stats = _read(cut)
    assert len(responses) == 9
    assert stats.error and "ends inside a record" in stats.error


def test_garbage_in_the_middle_is_reported_and_read_past(tmp_path: Path) -> None:
    pages = [(f"http://site.test/{i}", PAGE, HTML) for i in range(10)]
    path = write_warc(tmp_path, pages)
    offsets = response_offsets(path)
    data = path.read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: offsets[5]] + b"\x00garbage" * 100 + data[offsets[5] :])
    responses, stats = _read(broken)
    assert [r.url for r in responses] == [url for url, _, _ in pages]
    assert [r.warc_offset for r in responses[5:]] == [o + 800 for o in offsets[5:]]
    assert stats.skipped_garbage == 1 and stats.as_counts()["damaged_files"] == 1
    assert stats.error and f"offset {offsets[5]}" in stats.error


def test_not_a_warc(tmp_path: Path) -> None:
    fake = tmp_path / "notes.warc.gz"
    fake.write_bytes(gzip.compress(b"just some text, not an archive"))
    assert "not a WARC file" in (check_warc(fake) or "")
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    assert "empty file" in (check_warc(empty) or "")


def test_content_encoding_is_undone_and_bombs_are_cut(tmp_path: Path) -> None:
    bomb = zlib.compress(b" " * 50_000_000)  # 50 MB of spaces in ~50 kB
    pages = [
        ("http://site.test/gz", gzip.compress(PAGE), [*HTML, ("Content-Encoding", "gzip")]),
        ("http://site.test/deflate", zlib.compress(PAGE), [*HTML, ("Content-Encoding", "deflate")]),
        (
            "http://site.test/bomb",
            gzip.compress(b" " * 50_000_000),
            [*HTML, ("Content-Encoding", "gzip")],
        ),
        ("http://site.test/zbomb", bomb, [*HTML, ("Content-Encoding", "deflate")]),
        ("http://site.test/pdf", b"%PDF-1.4", [("Content-Type", "application/pdf")]),
        ("http://site.test/plain", PAGE, HTML),
    ]
    path = write_warc(tmp_path, pages)
    responses, stats = _read(path, max_body_bytes=1_000_000)
    assert [r.url.rsplit("/", 1)[1] for r in responses] == ["gz", "deflate", "plain"]
    assert all(r.body == PAGE for r in responses)
    assert stats.skipped_too_large == 2
    assert stats.skipped_not_html == 1


def test_byte_ranges_partition_the_file(tmp_path: Path) -> None:
    pages = [(f"http://site.test/{i}", PAGE, HTML) for i in range(12)]
    path = write_warc(tmp_path, pages)
    offsets = response_offsets(path)
    assert len(offsets) == 12
    first, _ = _read(path, start=0, end=offsets[5])
    second, stats = _read(path, start=offsets[5])
    assert [r.url for r in first + second] == [url for url, _, _ in pages]
    assert stats.error is None


@pytest.mark.parametrize("suffix", [".warc", ".warc.gz"])
def test_uncompressed_and_compressed_read_alike(tmp_path: Path, suffix: str) -> None:
    pages = [(f"http://site.test/{i}", PAGE, HTML) for i in range(3)]
    path = write_warc(tmp_path, pages)
    if suffix == ".warc":
        plain = tmp_path / "plain.warc"
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        path = plain
    responses, stats = _read(path)
    assert len(responses) == 3 and stats.error is None


def test_zstd_and_brotli_bombs_are_capped() -> None:
    import brotli
    import zstandard

    from newscorpus.content_encoding import decode_content

    zeros = b"\0" * 20_000_000
    for coding, body in (
        ("zstd", zstandard.ZstdCompressor().compress(zeros)),
        ("br", brotli.compress(zeros)),
    ):
        decoded = decode_content(body, coding, 1_000_000)
        assert decoded is not None and 1_000_000 < len(decoded) < 2_000_000  # capped, not 20 MB


def _raw_record(headers: str, payload: bytes) -> bytes:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + payload
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\n{headers}"
        f"Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    return head + block + b"\r\n\r\n"


def test_records_without_target_uri_are_skipped_and_bracketed_uris_accepted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "odd.warc"
    path.write_bytes(
        _raw_record("WARC-Record-ID: <urn:uuid:1>\r\n", PAGE)
        + _raw_record(
            "WARC-Record-ID: <urn:uuid:2>\r\nWARC-Target-URI: <http://a.test/x>\r\n", PAGE
        )
    )
    responses, stats = _read(path)
    assert [r.url for r in responses] == ["http://a.test/x"]
    assert stats.skipped_no_url == 1 and stats.error is None


# ---- damage: every good record is read, every damaged one skipped and counted ----


def _write(tmp_path: Path, name: str, records: list[bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(gzipped(records) if name.endswith(".gz") else b"".join(records))
    return path


def _pages(responses: list[WarcResponse]) -> list[str]:
    """Which page each response is, from the last word of its text (whole pages only)."""
    return [r.body.rsplit(b" ", 1)[1].split(b"<", 1)[0].decode() for r in responses]


def _damage(stats: ReadStats) -> dict[str, int]:
    return {k: v for k, v in stats.as_counts().items() if v and k.startswith("skipped_")}


@pytest.mark.parametrize("name", ["damaged.warc", "damaged.warc.gz"])
def test_a_wrong_content_length_costs_only_its_own_record(tmp_path: Path, name: str) -> None:
    """Too long (the record read whole, or skipped: a request) or too short: the record
    is skipped and counted, the record after it is read."""
    records = [r for n in range(5) for r in exchange(n)]
    longer = len(records[3]) + 500
    records[3] = response("http://site.test/1", page("page1"), length=longer - 200)
    records[4] = request("http://site.test/2", length=2_000)
    records[7] = response("http://site.test/3", page("page3"), length=1_000)
    path = _write(tmp_path, name, records)
    responses, stats = _read(path)
    assert _pages(responses) == ["page0", "page2", "page4"]
    assert _damage(stats) == {"skipped_bad_length": 3}
    assert stats.records == 7 and stats.as_counts()["damaged_files"] == 1
    assert response_offsets(path) == [r.warc_offset for r in responses]


@pytest.mark.parametrize("name", ["glued.warc", "glued.warc.gz"])
def test_bytes_between_records_cost_no_record(tmp_path: Path, name: str) -> None:
    """Garbage on lines of its own, and garbage glued to the start of the next record
    (that record used to be lost with no warning)."""
    records = [r for n in range(4) for r in exchange(n)]
    records.insert(2, b"junk junk\r\njunk\r\n")
    records[5] = b"\x00\x00 glued" + records[5]  # to page 2's request (in its gzip member)
    path = _write(tmp_path, name, records)
    responses, stats = _read(path)
    assert _pages(responses) == ["page0", "page1", "page2", "page3"]
    assert _damage(stats) == {"skipped_garbage": 2}
    assert stats.records == 8 and stats.as_counts()["damaged_files"] == 1


@pytest.mark.parametrize("name", ["odd.warc", "odd.warc.gz"])
def test_bad_http_and_oversized_headers_cost_only_their_record(tmp_path: Path, name: str) -> None:
    """No HTTP headers, a chunk size that is not one, an HTTP header or a WARC header of
    70 kB: each skips its record, counted by reason; reading goes on. These records are
    whole (the file is not damaged): no damage is reported."""
    records = [r for n in range(6) for r in exchange(n)]
    records[3] = record("response", "http://site.test/1", page("page1") * 20)  # no HTTP
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    records[5] = record("response", "http://site.test/2", chunked)
    records[7] = grow_http_header(records[7], 70_000)
    records[9] = record(
        "response", "http://site.test/4", page("page4"), extra=b"X: " + b"x" * 70_000 + b"\r\n"
    )
    path = _write(tmp_path, name, records)
    responses, stats = _read(path)
    assert _pages(responses) == ["page0", "page5"]
    assert _damage(stats) == {"skipped_bad_http": 2, "skipped_oversized_header": 2}
    assert stats.records == 12 and stats.error is None


@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
def test_a_record_cut_short_is_never_a_document(tmp_path: Path, name: str) -> None:
    """A file cut in the middle of a page: the half page is not kept (it used to be,
    400 of 800 words, as a normal document)."""
    records = [r for n in range(3) for r in exchange(n)]
    whole = _write(tmp_path, name, records).read_bytes()
    last = _write(tmp_path, name, records[-1:]).read_bytes()
    (tmp_path / name).write_bytes(whole[: len(whole) - len(last) // 2])
    responses, stats = _read(tmp_path / name)
    assert _pages(responses) == ["page0", "page1"]
    assert _damage(stats) == {"skipped_truncated": 1}
    assert stats.error and "ends inside a record" in stats.error
    assert stats.as_counts()["damaged_files"] == 1


def test_a_plain_warc_named_gz_is_not_damaged(tmp_path: Path) -> None:
    records = [r for n in range(4) for r in exchange(n)]
    path = tmp_path / "plain.warc.gz"
    path.write_bytes(b"".join(records))
    responses, stats = _read(path)
    assert _pages(responses) == ["page0", "page1", "page2", "page3"]
    assert stats.error is None and stats.as_counts()["damaged_files"] == 0
    offsets = response_offsets(path)
    assert offsets == [r.warc_offset for r in responses] and offsets[0] == len(records[0])
    second, _ = _read(path, start=offsets[2])
    assert _pages(second) == ["page2", "page3"]


def test_broken_gzip_data_costs_only_its_member(tmp_path: Path) -> None:
    records = [r for n in range(5) for r in exchange(n)]
    compressed = [gzip.compress(r) for r in records]
    broken = bytearray(compressed[3])
    broken[30:50] = b"\x00" * 20  # inside the deflate data of page 1's response
    compressed[3] = bytes(broken)
    compressed.insert(6, b"bytes that are not gzip")
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(b"".join(compressed) + b"\x00" * 100)  # padding at the end is no damage
    responses, stats = _read(path)
    assert _pages(responses) == ["page0", "page2", "page3", "page4"]
    assert _damage(stats) == {"skipped_bad_gzip": 1, "skipped_garbage": 1}
    assert stats.error and f"offset {sum(map(len, compressed[:3]))}" in stats.error


def test_a_gzip_member_cut_after_its_record_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "cut.warc.gz", [r for n in range(2) for r in exchange(n)])
    path.write_bytes(path.read_bytes()[:-6])  # the last member's gzip trailer, cut
    responses, stats = _read(path)
    assert _pages(responses) == ["page0", "page1"] and not _damage(stats)
    assert stats.error and "ends inside a gzip member" in stats.error


def test_damage_is_counted_once_when_the_file_is_read_in_byte_ranges(tmp_path: Path) -> None:
    records = [r for n in range(12) for r in exchange(n)]
    records[5] = response("http://site.test/2", page("page2"), length=99)  # too short
    records[12] = request("http://site.test/6", length=50_000)  # too long, runs past others
    records.insert(18, b"garbage\r\n")
    path = _write(tmp_path, "ranges.warc", records)
    whole, stats = _read(path)
    offsets = response_offsets(path)
    starts = [0, *offsets[3::3]]
    parts, counts = [], Counter[str]()
    for start, end in zip(starts, [*starts[1:], None], strict=True):
        part = ReadStats()
        parts += read_responses(path, part, start, end)
        counts.update(part.as_counts())
    assert [r.url for r in parts] == [r.url for r in whole] and len(whole) == 11
    assert _damage(stats) == {"skipped_bad_length": 2, "skipped_garbage": 1}
    # each damaged part is counted once, by the range that holds it; damaged_files is
    # counted by each range that holds damage (here: three ranges, one damage each)
    whole_counts = stats.as_counts()
    assert {k: v for k, v in counts.items() if k != "damaged_files"} == {
        k: v for k, v in whole_counts.items() if k != "damaged_files"
    }
    assert whole_counts["damaged_files"] == 1 and counts["damaged_files"] == 3


def test_memory_stays_bounded_by_the_body_limit(tmp_path: Path) -> None:
    """A 40 MB response (too large to be an article) and a 40 MB resource record are
    passed over without being held in memory."""
    big = page("big", 6_000_000)
    records = [*exchange(0), response("http://site.test/big", big)]
    records += [record("resource", "http://site.test/r", b"x" * 40_000_000), *exchange(1)]
    path = _write(tmp_path, "big.warc", records)
    tracemalloc.start()
    try:
        responses, stats = _read(path, max_body_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _pages(responses) == ["page0", "page1"] and stats.skipped_too_large == 1
    assert peak < 8_000_000


def test_common_crawl_and_clueweb_records_are_the_ones_fastwarc_reads() -> None:
    """The real samples: every HTML 200 response FastWARC finds, at its offset, and the
    byte ranges cut at the same response offsets; no damage."""
    for name in ("cc-main-2020-34-sample.warc.gz", "clueweb09-ja-quirk.warc.gz"):
        path = need_shared(WARC_SAMPLES / name)
        with path.open("rb") as stream:
            expected = [
                (r.stream_pos, r.headers["WARC-Target-URI"].strip("<>"))
                for r in ArchiveIterator(stream, record_types=WarcRecordType.response)
            ]
        responses, stats = _read(path)
        assert [(r.warc_offset, r.url) for r in responses] == expected, name
        assert response_offsets(path) == [offset for offset, _ in expected]
        assert stats.error is None and not _damage(stats)


def test_damage_is_warned_once(tmp_path: Path) -> None:
    """The reader says what is damaged through ReadStats.error; the command prints it,
    once (it used to be logged by the reader and printed by the command)."""
    records = [r for n in range(3) for r in exchange(n)]
    records[3] = response("http://site.test/1", page("page1"), length=5)
    path = _write(tmp_path, "once.warc.gz", records)
    result = run("process", str(path), "--out", str(tmp_path / "corpus"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).count("once.warc.gz: truncated or corrupt") == 1
