"""Parquet shards: ``CORPUS/data/<language>/<shard>.parquet``, written atomically.

Each shard of input becomes at most one file per language. Rows are streamed to a
temporary file in row groups (memory stays flat) and the file is renamed into place only
when the whole shard succeeded.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.document import SCHEMA, Document

DATA_DIR = "data"
ROW_GROUP_ROWS = 2000
_TMP_SUFFIX = ".parquet.tmp"


def shard_file_name(shard: int) -> str:
    return f"{shard:05d}.parquet"


def shard_number(path: Path) -> int:
    """The shard number a Parquet file of the corpus was written for."""
    return int(path.name.split(".", 1)[0])


def corpus_files(corpus: Path, language: str | None = None) -> list[Path]:
    """The Parquet files of a corpus (of one language), in a stable order."""
    pattern = f"{language or '*'}/*.parquet"
    return sorted((corpus / DATA_DIR).glob(pattern), key=lambda p: (shard_number(p), p.parent.name))


def remove_shard_outputs(corpus: Path, shard: int) -> None:
    """Delete what an earlier, unfinished attempt at ``shard`` left behind."""
    for path in (corpus / DATA_DIR).glob(f"*/{shard_file_name(shard)}*"):
        path.unlink()
    for path in (corpus / DATA_DIR).glob(f"*/.{shard_file_name(shard)}*"):
        path.unlink()


class ShardWriter:
    """Writes the documents of one shard, split by language; ``commit`` makes them visible."""

    def __init__(self, corpus: Path, shard: int, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.corpus = corpus
        self.shard = shard
        self.row_group_rows = row_group_rows
        self.documents: Counter[str] = Counter()
        self.words: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._committed = False

    def write(self, doc: Document) -> None:
        buffer = self._buffers.setdefault(doc.language, [])
        buffer.append(doc.to_row())
        self.documents[doc.language] += 1
        self.words[doc.language] += doc.word_count
        self.domains[doc.domain] += 1
        if len(buffer) >= self.row_group_rows:
            self._flush(doc.language)

    def commit(self) -> list[Path]:
        """Finish every file and rename it into place; returns the final paths."""
        for language in list(self._buffers):
            self._flush(language)
        final_paths = []
        for language, writer in self._writers.items():
            writer.close()
            tmp = self._tmp_path(language)
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            final = tmp.with_name(shard_file_name(self.shard))
            tmp.replace(final)
            final_paths.append(final)
        self._writers.clear()
        self._committed = True
        return final_paths

    def abort(self) -> None:
        for language, writer in self._writers.items():
            writer.close()
            self._tmp_path(language).unlink(missing_ok=True)
        self._writers.clear()
        self._buffers.clear()

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.abort()

    def _tmp_path(self, language: str) -> Path:
        return self.corpus / DATA_DIR / language / f".{self.shard:05d}{_TMP_SUFFIX}"

    def _flush(self, language: str) -> None:
        rows = self._buffers.get(language)
        if not rows:
            return
        writer = self._writers.get(language)
        if writer is None:
            path = self._tmp_path(language)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(path, SCHEMA, compression="zstd", compression_level=6)
            self._writers[language] = writer
        writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
        rows.clear()


def iter_documents(
    corpus: Path, language: str | None = None, columns: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(shard number, row) for every stored document, batch by batch."""
    for path in corpus_files(corpus, language):
        shard = shard_number(path)
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(columns=columns, batch_size=1000):
            for row in batch.to_pylist():
                yield shard, row
