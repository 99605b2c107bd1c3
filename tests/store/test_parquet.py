from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newscorpus.document import SCHEMA, Document
from newscorpus.store.parquet import ShardWriter, corpus_files, iter_documents, remove_shard_outputs


def _doc(i: int, language: str) -> Document:
    return Document(
        id=f"{i:016x}",
        url=f"https://a.test/{i}",
        canonical_url=f"https://a.test/{i}",
        domain="a.test",
        text=f"text {i}",
        language=language,
        word_count=2,
    )


def test_shard_is_split_by_language_in_row_groups(tmp_path: Path) -> None:
    with ShardWriter(tmp_path, 7, row_group_rows=10) as writer:
        for i in range(25):
            writer.write(_doc(i, "fr" if i % 5 else "de"))
        paths = writer.commit()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == [
        "data/de/00007.parquet",
        "data/fr/00007.parquet",
    ]
    french = pq.ParquetFile(tmp_path / "data/fr/00007.parquet")
    assert french.metadata.num_rows == 20 and french.metadata.num_row_groups == 2
    assert french.schema_arrow.equals(SCHEMA, check_metadata=False)
    assert french.metadata.row_group(0).column(0).compression == "ZSTD"
    assert writer.documents == {"fr": 20, "de": 5}
    assert [shard for shard, _ in iter_documents(tmp_path)] == [7] * 25


def test_nothing_is_visible_until_commit(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ShardWriter(tmp_path, 1, row_group_rows=2) as writer:
        for i in range(5):
            writer.write(_doc(i, "en"))
        raise RuntimeError("killed mid-shard")
    assert corpus_files(tmp_path) == []
    assert not list(tmp_path.rglob("*.tmp"))


def test_leftovers_of_a_shard_are_removed(tmp_path: Path) -> None:
    for language in ("en", "fr"):
        (tmp_path / "data" / language).mkdir(parents=True)
        (tmp_path / "data" / language / "00003.parquet").write_bytes(b"old")
        (tmp_path / "data" / language / ".00003.parquet.tmp").write_bytes(b"half")
        (tmp_path / "data" / language / "00004.parquet").write_bytes(b"other shard")
    remove_shard_outputs(tmp_path, 3)
    assert sorted(p.name for p in (tmp_path / "data").rglob("*")) == [
        "00004.parquet",
        "00004.parquet",
        "en",
        "fr",
    ]
