"""Walking a .warc.gz member by member, skipping records without inflating them."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from fastwarc import ArchiveIterator

from newscorpus.warc.members import NotOneMemberPerRecord, WarcDamage, walk_members
from tests.conftest import WARC_SAMPLES, html_page, need_shared, news_paragraphs, write_warc


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
    with pytest.raises(WarcDamage):
        _walk(data[: len(data) - 100])  # the last member cut short
    with pytest.raises(WarcDamage):
        _walk(data[:-30] + b"garbage that is not gzip")
    with pytest.raises(NotOneMemberPerRecord):
        _walk(gzip.compress(gzip.decompress(data)))
