from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from fastwarc import ArchiveIterator, WarcRecordType

from newscorpus.warc.reader import ReadStats, check_warc, read_responses, response_offsets
from tests.conftest import WARC_SAMPLES, html_page, need_shared, write_warc

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


def test_garbage_in_the_middle_is_reported(tmp_path: Path) -> None:
    pages = [(f"http://site.test/{i}", PAGE, HTML) for i in range(10)]
    path = write_warc(tmp_path, pages)
    offsets = response_offsets(path)
    data = path.read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: offsets[5]] + b"\x00garbage" * 100 + data[offsets[5] :])
    responses, stats = _read(broken)
    assert len(responses) == 5
    assert stats.error is not None


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

    from newscorpus.warc.reader import decode_content

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
