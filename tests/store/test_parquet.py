from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from newscorpus import _parquet
from newscorpus._parquet import AtomicParquetWriter
from newscorpus.dedup.batch import rewrite_stored
from newscorpus.document import SCHEMA, Document, Translation
from newscorpus.store import parquet
from newscorpus.store.parquet import (
    ShardWriter,
    corpus_files,
    iter_documents,
    iter_rows,
    read_batch_rows,
    remove_shard_outputs,
)


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
    assert writer.figures.documents == {"fr": 20, "de": 5}
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


def _long_doc(i: int, chars: int, language: str = "en") -> Document:
    words = [f"w{(i * 7919 + k * 104729) % 100_003:05d}" for k in range(chars // 7)]
    return Document(
        id=f"{i:016x}",
        url=f"https://a.test/{i}",
        canonical_url=f"https://a.test/{i}",
        domain="a.test",
        text=" ".join(words),
        title=f"Story {i}",
        authors=["A. Writer"],
        translations=[Translation("fr", f"https://a.test/fr/{i}")],
        language=language,
        word_count=len(words),
    )


def _groups(path: Path) -> list[tuple[int, int]]:
    """(rows, uncompressed bytes) of each row group of a Parquet file."""
    metadata = pq.ParquetFile(path).metadata
    return [
        (metadata.row_group(i).num_rows, metadata.row_group(i).total_byte_size)
        for i in range(metadata.num_row_groups)
    ]


def test_row_groups_are_cut_by_bytes_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "long.parquet"
    docs = [_long_doc(i, 60_000 + 10_000 * (i % 5)) for i in range(40)]
    with AtomicParquetWriter(path, SCHEMA, row_group_rows=2000, row_group_bytes=250_000) as writer:
        for doc in docs:
            writer.write(doc.to_row())
            assert writer.buffered_bytes < 250_000  # a full row group is written at once
        writer.commit()
    groups = _groups(path)
    # 2,000 rows would be one row group: by bytes, 40 rows of 60-100 KB are 3 or 4 a group
    assert len(groups) >= 10 and sum(rows for rows, _ in groups) == 40
    assert all(rows <= 4 and size < 500_000 for rows, size in groups)
    assert list(iter_rows(path)) == [doc.to_row() for doc in docs]
    # the same file for any reader: pyarrow's own, in one piece
    assert pq.read_table(path).to_pylist() == [doc.to_row() for doc in docs]


def test_the_default_byte_budget_applies_and_short_rows_still_group_by_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parquet, "ROW_GROUP_BYTES", 100_000)
    long_path, short_path = tmp_path / "long.parquet", tmp_path / "short.parquet"
    with AtomicParquetWriter(long_path, SCHEMA) as writer:
        for i in range(6):
            writer.write(_long_doc(i, 150_000).to_row())  # each row over the budget
        writer.commit()
    assert [rows for rows, _ in _groups(long_path)] == [1] * 6
    with AtomicParquetWriter(short_path, SCHEMA, row_group_rows=50) as writer:
        for i in range(120):
            writer.write(_doc(i, "en").to_row())
        writer.commit()
    assert [rows for rows, _ in _groups(short_path)] == [50, 50, 20]


def test_the_languages_of_a_shard_share_one_byte_budget(tmp_path: Path) -> None:
    languages = ["en", "fr", "de", "es", "it"]
    budget = 400_000
    docs = [_long_doc(i, 40_000, languages[i % 5]) for i in range(60)]
    with ShardWriter(tmp_path, 3, row_group_bytes=budget) as writer:
        for doc in docs:
            writer.write(doc)
            buffered = sum(w.buffered_bytes for w in writer._writers.values())
            assert buffered < budget  # alone, each language would hold up to the budget
        paths = writer.commit()
    assert len(paths) == 5
    for path in paths:
        assert len(_groups(path)) >= 3
    stored = {row["id"]: row for _, row in iter_documents(tmp_path)}
    assert stored == {doc.id: doc.to_row() for doc in docs}


def test_reads_are_batched_by_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "one-group.parquet"
    docs = [_long_doc(i, 50_000) for i in range(30)]
    with AtomicParquetWriter(path, SCHEMA, row_group_bytes=1 << 40) as writer:
        for doc in docs:
            writer.write(doc.to_row())
        writer.commit()
    assert len(_groups(path)) == 1
    monkeypatch.setattr(parquet, "READ_BATCH_BYTES", 200_000)
    metadata = pq.ParquetFile(path).metadata
    assert 2 <= read_batch_rows(metadata) <= 4  # 1,000 rows would be the whole file
    assert read_batch_rows(metadata, ["id", "url"]) == parquet.READ_BATCH_ROWS  # narrow
    sizes: list[int] = []
    iter_batches = pq.ParquetFile.iter_batches

    def spy(self: pq.ParquetFile, *args: Any, **kwargs: Any) -> Any:
        for batch in iter_batches(self, *args, **kwargs):
            sizes.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    assert list(iter_rows(path)) == [doc.to_row() for doc in docs]
    assert max(sizes) <= 4 and sum(sizes) == 30


def test_duplicate_counts_are_rewritten_row_group_by_row_group(tmp_path: Path) -> None:
    path = tmp_path / "data" / "en" / "00001.parquet"
    docs = [_long_doc(i, 30_000) for i in range(20)]
    with AtomicParquetWriter(path, SCHEMA, row_group_bytes=100_000) as writer:
        for doc in docs:
            writer.write(doc.to_row())
        writer.commit()
    groups = _groups(path)
    assert len(groups) >= 5
    assert rewrite_stored(path, {docs[3].id: 4, docs[17].id: 2}) == 20  # rows left
    assert [rows for rows, _ in _groups(path)] == [rows for rows, _ in groups]
    expected = [doc.to_row() for doc in docs]
    expected[3]["duplicate_count"], expected[17]["duplicate_count"] = 4, 2
    assert pq.read_table(path).to_pylist() == expected
    schema = pq.ParquetFile(path).schema_arrow
    assert schema.equals(SCHEMA) and schema.metadata == SCHEMA.metadata
    assert rewrite_stored(path, {"unknown": 3}) is None  # nothing to change: not rewritten
    assert not list(path.parent.glob(".*.tmp"))
    # a superseded version leaves the file, the rest stays as it was
    assert rewrite_stored(path, {}, {docs[5].id}) == 19
    assert pq.read_table(path).to_pylist() == expected[:5] + expected[6:]
