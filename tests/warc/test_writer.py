from __future__ import annotations

import hashlib
import os
from base64 import b32encode
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newscorpus.warc import WarcFileWriter


def test_writer_writes_valid_warc_1_1_with_digests(tmp_path: Path) -> None:
    body = b"<html><body>hello</body></html>"
    with WarcFileWriter(tmp_path, prefix="t") as writer:
        name, offset = writer.write_exchange(
            "http://site.test/a",
            [("User-Agent", "t")],
            "200 OK",
            [("Content-Type", "text/html")],
            body,
        )
    (path,) = writer.files
    assert path.name == name and path.name.endswith(".warc.gz")
    assert not list(tmp_path.glob("*.open"))
    with path.open("rb") as handle:
        records = [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Payload-Digest"),
                r.rec_headers.protocol,
                r.content_stream().read(),
            )
            for r in ArchiveIterator(handle)
        ]
    types = [r[0] for r in records]
    assert types == ["warcinfo", "response", "request"]
    assert all(r[2] == "WARC/1.1" for r in records)
    digest = "sha1:" + b32encode(hashlib.sha1(body).digest()).decode()
    assert records[1][1] == digest and records[1][3] == body
    with path.open("rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_type == "response"


def test_writer_rotates_by_size(tmp_path: Path) -> None:
    with WarcFileWriter(tmp_path, max_file_bytes=2000) as writer:
        for i in range(5):
            writer.write_exchange(f"http://site.test/{i}", [], "200 OK", [], os.urandom(3000))
    assert len(writer.files) == 5
    assert len({p.name for p in writer.files}) == 5
