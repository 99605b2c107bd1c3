"""Parquet files of the corpus, written atomically: rows stream to a hidden temporary file in
row groups (memory stays flat) that is renamed into place only on ``commit``.

``data/<language>/<shard>.parquet`` holds the corpus; ``dropped/<step>/<shard>.parquet`` the
documents a step dropped, when the user keeps them aside; ``.state/staged/<shard>.parquet``
a shard between the per-shard stages.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.document import DROPPED_SCHEMA, SCHEMA, Document
from newscorpus.errors import UserError

DATA_DIR = "data"
LANGUAGE_FOLDER = re.compile(r"[a-z]{2,3}")  # data/<language>/: ISO 639-1, und, mul
DROPPED_DIR = "dropped"
ROW_GROUP_ROWS = 2000
_TMP_SUFFIX = ".tmp"


def shard_file_name(shard: int) -> str:
    return f"{shard:05d}.parquet"


def shard_number(path: Path) -> int:
    """The shard number a Parquet file of the corpus was written for."""
    return int(path.name.split(".", 1)[0])


def corpus_files(corpus: Path, language: str | None = None) -> list[Path]:
    """The Parquet files of a corpus (of one language), in a stable order."""
    if language is not None and not LANGUAGE_FOLDER.fullmatch(language):
        raise UserError(f"{language!r} is not a language code (like en, fr, und)")
    pattern = f"{language or '*'}/*.parquet"
    return sorted((corpus / DATA_DIR).glob(pattern), key=lambda p: (shard_number(p), p.parent.name))


def corpus_shard_files(corpus: Path, shard: int) -> list[Path]:
    """The Parquet files (one per language) that ``shard`` stored."""
    return sorted((corpus / DATA_DIR).glob(f"*/{shard_file_name(shard)}"))


def remove_shard_outputs(
    corpus: Path, shard: int, data: bool = True, dropped_steps: Collection[str] | None = None
) -> None:
    """Delete what an earlier, unfinished attempt at ``shard`` left behind.

    ``data``: its corpus files; ``dropped_steps``: the dropped-document files of these steps
    (None: of every step).
    """
    name = shard_file_name(shard)
    patterns = (name, f".{name}{_TMP_SUFFIX}")
    folders = [path for path in (corpus / DATA_DIR).glob("*") if data]
    folders += [
        path
        for path in (corpus / DROPPED_DIR).glob("*")
        if dropped_steps is None or path.name in dropped_steps
    ]
    for folder in folders:
        for pattern in patterns:
            (folder / pattern).unlink(missing_ok=True)


class _AbortUnlessCommitted:
    """Used with ``with``: leaving the block without ``commit`` aborts."""

    _committed: bool

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.abort()


class AtomicParquetWriter(_AbortUnlessCommitted):
    """One Parquet file, invisible under its final name until ``commit``."""

    def __init__(self, path: Path, schema: pa.Schema, row_group_rows: int = ROW_GROUP_ROWS):
        self.path = path
        self.schema = schema
        self.row_group_rows = row_group_rows
        self.rows = 0
        self._tmp = path.with_name(f".{path.name}{_TMP_SUFFIX}")
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._committed = False

    def write(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        self.rows += 1
        if len(self._buffer) >= self.row_group_rows:
            self._flush()

    def write_table(self, table: pa.Table) -> None:
        """Rows already in Arrow form (a batch): written as they are, in one row group."""
        self._flush()
        if self._writer is None:
            self._open()
        assert self._writer is not None
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def commit(self) -> Path:
        self._flush()
        if self._writer is None:  # no rows: still a valid (empty) file
            self._open()
        assert self._writer is not None
        self._writer.close()
        self._writer = None
        with self._tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        self._tmp.replace(self.path)
        self._committed = True
        return self.path

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._tmp.unlink(missing_ok=True)
        self._buffer.clear()

    def _open(self) -> None:
        self._tmp.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(
            self._tmp, self.schema, compression="zstd", compression_level=6
        )

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self._open()
        assert self._writer is not None
        self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self.schema))
        self._buffer.clear()


class _WriterGroup(_AbortUnlessCommitted):
    """Atomic writers opened on demand, one per key, committed or aborted together."""

    def __init__(self) -> None:
        self._writers: dict[str, AtomicParquetWriter] = {}
        self._committed = False

    def _writer(self, key: str) -> AtomicParquetWriter:
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = self._new_writer(key)
        return writer

    def _new_writer(self, key: str) -> AtomicParquetWriter:
        raise NotImplementedError

    def commit(self) -> list[Path]:
        """Finish every file and rename it into place; returns the final paths."""
        paths = [writer.commit() for writer in self._writers.values()]
        self._committed = True
        return paths

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.abort()


class ShardWriter(_WriterGroup):
    """Writes the documents of one shard, split by language; ``commit`` makes them visible."""

    def __init__(self, corpus: Path, shard: int, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        super().__init__()
        self.corpus = corpus
        self.shard = shard
        self.row_group_rows = row_group_rows
        self.documents: Counter[str] = Counter()
        self.words: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()

    def _new_writer(self, key: str) -> AtomicParquetWriter:
        path = self.corpus / DATA_DIR / key / shard_file_name(self.shard)
        return AtomicParquetWriter(path, SCHEMA, self.row_group_rows)

    def write(self, doc: Document) -> None:
        self._writer(doc.language).write(doc.to_row())
        self.documents[doc.language] += 1
        self.words[doc.language] += doc.word_count
        self.domains[doc.domain] += 1


class DroppedWriter(_WriterGroup):
    """Keeps dropped documents aside, one file per step, with the reason of the drop."""

    def __init__(self, corpus: Path, shard: int) -> None:
        super().__init__()
        self.corpus = corpus
        self.shard = shard

    def _new_writer(self, key: str) -> AtomicParquetWriter:
        path = self.corpus / DROPPED_DIR / key / shard_file_name(self.shard)
        return AtomicParquetWriter(path, DROPPED_SCHEMA)

    def write(self, step: str, reason: str, doc: Document) -> None:
        row = doc.to_row()
        row["drop_step"], row["drop_reason"] = step, reason
        self._writer(step).write(row)


def iter_documents(
    corpus: Path, language: str | None = None, columns: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(shard number, row) for every stored document, batch by batch."""
    for path in corpus_files(corpus, language):
        shard = shard_number(path)
        yield from ((shard, row) for row in iter_rows(path, columns))


def iter_rows(path: Path, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of one Parquet file, a batch at a time."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(columns=columns, batch_size=1000):
        yield from batch.to_pylist()
