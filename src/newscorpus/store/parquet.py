"""Parquet files of the corpus, written atomically (``_parquet.AtomicParquetWriter``), one
per shard and language; rows are read back in batches of at most ``READ_BATCH_BYTES`` (a
batch never needs more than one row group's worth of text, however long the articles).

``data/<language>/<shard>.parquet`` holds the corpus; ``dropped/<step>/<shard>.parquet`` the
documents a step dropped, when the user keeps them aside; ``.state/staged/<shard>.parquet``
a shard between the per-shard stages.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus import _parquet
from newscorpus._parquet import (
    ROW_GROUP_ROWS,
    TMP_SUFFIX,
    AtomicParquetWriter,
    _AbortUnlessCommitted,
)
from newscorpus.corpus import DATA_DIR, VERSIONS_DIR, shard_file_name
from newscorpus.document import DROPPED_SCHEMA, SCHEMA, Document
from newscorpus.errors import UserError

LANGUAGE_FOLDER = re.compile(r"[a-z]{2,3}")  # data/<language>/: ISO 639-1, und, mul
DROPPED_DIR = "dropped"
READ_BATCH_ROWS = 1000
READ_BATCH_BYTES = 8 * 1024 * 1024
READ_BUFFER_BYTES = 1024 * 1024


def shard_number(path: Path) -> int:
    """The shard number a Parquet file of the corpus was written for."""
    return int(path.name.split(".", 1)[0])


def corpus_files(corpus: Path, language: str | None = None, folder: str = DATA_DIR) -> list[Path]:
    """The Parquet files of a corpus (of one language), in a stable order: its documents,
    or another folder of the same layout (``versions/``)."""
    if language is not None and not LANGUAGE_FOLDER.fullmatch(language):
        raise UserError(f"{language!r} is not a language code (like en, fr, und)")
    pattern = f"{language or '*'}/*.parquet"
    return sorted((corpus / folder).glob(pattern), key=lambda p: (shard_number(p), p.parent.name))


def remove_shard_outputs(
    corpus: Path, shard: int, data: bool = True, dropped_steps: Collection[str] | None = None
) -> None:
    """Delete what an earlier, unfinished attempt at ``shard`` left behind.

    ``data``: its corpus files; ``dropped_steps``: the dropped-document files of these steps
    (None: of every step).
    """
    name = shard_file_name(shard)
    patterns = (name, f".{name}{TMP_SUFFIX}")
    folders = [
        path for folder in (DATA_DIR, VERSIONS_DIR) for path in (corpus / folder).glob("*") if data
    ]
    folders += [
        path
        for path in (corpus / DROPPED_DIR).glob("*")
        if dropped_steps is None or path.name in dropped_steps
    ]
    for folder in folders:
        for pattern in patterns:
            (folder / pattern).unlink(missing_ok=True)


class _WriterGroup(_AbortUnlessCommitted):
    """Atomic writers opened on demand, one per key, committed or aborted together.

    They share one byte budget: past it, the writer holding the most rows writes them,
    so that a shard in many languages buffers no more than a shard in one."""

    def __init__(self, row_group_bytes: int | None = None) -> None:
        self._writers: dict[str, AtomicParquetWriter] = {}
        self._committed = False
        self.row_group_bytes = (
            _parquet.ROW_GROUP_BYTES if row_group_bytes is None else row_group_bytes
        )

    def _writer(self, key: str) -> AtomicParquetWriter:
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = self._new_writer(key)
        return writer

    def _written(self) -> None:
        """Called after each row: keeps the group's buffered rows within its budget."""
        if len(self._writers) < 2:
            return  # a lone writer keeps to its own budget (the same)
        writers = self._writers.values()
        if sum(w.buffered_bytes for w in writers) >= self.row_group_bytes:
            max(writers, key=lambda w: w.buffered_bytes).flush()

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


class ShardFigures:
    """What the documents of one shard are, counted as they are written (or recounted
    from its files when a later run changes them): the mergeable figures of its marker."""

    COLUMNS = ("language", "word_count", "domain", "access", "page_type", "pages", "complete",
               "version")  # fmt: skip

    def __init__(self) -> None:
        self.documents: Counter[str] = Counter()
        self.words: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self.access: Counter[str] = Counter()  # paywalled, free (undeclared not counted)
        self.page_types: Counter[str] = Counter()
        self.multi_page: Counter[str] = Counter()  # "stitched", "incomplete"
        self.changed = 0  # articles whose text changed since first seen (version > 1)

    def add(self, row: dict[str, Any]) -> None:
        """Count one stored row (a dict holding at least ``COLUMNS``)."""
        language = row["language"]
        self.documents[language] += 1
        self.words[language] += row["word_count"] or 0
        self.domains[row["domain"]] += 1
        if row["access"]:
            self.access[row["access"]] += 1
        self.page_types[row["page_type"]] += 1
        if row["pages"] > 1:
            self.multi_page["stitched"] += 1
        if not row["complete"]:
            self.multi_page["incomplete"] += 1
        if row["version"] > 1:
            self.changed += 1

    @classmethod
    def of_files(cls, paths: list[Path]) -> ShardFigures:
        figures = cls()
        for path in paths:
            for row in iter_rows(path, list(cls.COLUMNS)):
                figures.add(row)
        return figures

    def counts(self) -> dict[str, int]:
        """The figures as ``write.*`` counters for the shard's marker."""
        counts = {"documents": sum(self.documents.values())}
        counts.update({f"access_{value}": n for value, n in self.access.items()})
        counts.update({f"page_type_{value}": n for value, n in self.page_types.items()})
        counts.update({f"pages_{value}": n for value, n in self.multi_page.items()})
        if self.changed:
            counts["changed_articles"] = self.changed
        return {f"write.{key}": n for key, n in counts.items()}


class ShardWriter(_WriterGroup):
    """Writes the documents of one shard, split by language; ``commit`` makes them visible.

    Into ``data/``, or another folder of the corpus of the same layout (``versions/``)."""

    def __init__(
        self,
        corpus: Path,
        shard: int,
        row_group_rows: int = ROW_GROUP_ROWS,
        row_group_bytes: int | None = None,
        folder: str = DATA_DIR,
    ) -> None:
        super().__init__(row_group_bytes)
        self.corpus = corpus
        self.shard = shard
        self.folder = folder
        self.row_group_rows = row_group_rows
        self.figures = ShardFigures()

    def _new_writer(self, key: str) -> AtomicParquetWriter:
        path = self.corpus / self.folder / key / shard_file_name(self.shard)
        return AtomicParquetWriter(path, SCHEMA, self.row_group_rows, self.row_group_bytes)

    def write(self, doc: Document) -> None:
        row = doc.to_row()
        self._writer(doc.language).write(row)
        self._written()
        self.figures.add(row)


class DroppedWriter(_WriterGroup):
    """Keeps dropped documents aside, one file per step, with the reason of the drop."""

    def __init__(self, corpus: Path, shard: int) -> None:
        super().__init__()
        self.corpus = corpus
        self.shard = shard

    def _new_writer(self, key: str) -> AtomicParquetWriter:
        path = self.corpus / DROPPED_DIR / key / shard_file_name(self.shard)
        return AtomicParquetWriter(path, DROPPED_SCHEMA, row_group_bytes=self.row_group_bytes)

    def write(self, step: str, reason: str, doc: Document) -> None:
        row = doc.to_row()
        row["drop_step"], row["drop_reason"] = step, reason
        self._writer(step).write(row)
        self._written()


def iter_documents(
    corpus: Path, language: str | None = None, columns: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(shard number, row) for every stored document, batch by batch."""
    for path in corpus_files(corpus, language):
        shard = shard_number(path)
        yield from ((shard, row) for row in iter_rows(path, columns))


def iter_rows(path: Path, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of one Parquet file, a batch at a time: ``READ_BATCH_ROWS`` rows, fewer
    when they are long, so that a batch holds about ``READ_BATCH_BYTES`` at most."""
    # no pre-buffering: it would read every row group's compressed columns at once
    parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=READ_BUFFER_BYTES)
    for batch in parquet.iter_batches(
        columns=columns, batch_size=read_batch_rows(parquet.metadata, columns)
    ):
        yield from batch.to_pylist()


def rows_with_ids(path: Path, ids: Collection[str], columns: list[str] | None = None) -> pa.Table:
    """The rows of ``ids`` in one Parquet file of the corpus, reading the text only of
    the row groups that hold them (ids are hashes: statistics cannot skip groups)."""
    wanted = set(ids)
    parquet = pq.ParquetFile(path, pre_buffer=False)
    parts = []
    for number in range(parquet.metadata.num_row_groups):
        group_ids = parquet.read_row_group(number, columns=["id"]).column(0).to_pylist()
        mask = [i in wanted for i in group_ids]
        if any(mask):
            group = parquet.read_row_group(number, columns=columns)
            parts.append(group.filter(pa.array(mask)))
    schema = parquet.schema_arrow
    if columns is not None:
        schema = pa.schema([schema.field(name) for name in columns])
    return pa.concat_tables(parts) if parts else schema.empty_table()


def rows_at(path: Path, rows: list[int], columns: list[str] | None = None) -> pa.Table:
    """Rows of one Parquet file by number, in that order, reading only the row groups
    that hold them."""
    parquet = pq.ParquetFile(path, pre_buffer=False)
    if not rows:
        schema = parquet.schema_arrow
        return (pa.schema([schema.field(n) for n in columns]) if columns else schema).empty_table()
    sizes = [parquet.metadata.row_group(n).num_rows for n in range(parquet.metadata.num_row_groups)]
    starts = list(accumulate(sizes, initial=0))
    group_of = [bisect_right(starts, row) - 1 for row in rows]
    groups = sorted(set(group_of))
    first_read: dict[int, int] = {}  # a group's first row in the table read
    for group in groups:
        first_read[group] = sum(sizes[g] for g in first_read)
    table = parquet.read_row_groups(groups, columns=columns)
    positions = [first_read[g] + row - starts[g] for row, g in zip(rows, group_of, strict=True)]
    return table.take(pa.array(positions, pa.int64()))


def read_batch_rows(metadata: pq.FileMetaData, columns: list[str] | None = None) -> int:
    """Rows per read batch: ``READ_BATCH_ROWS``, or fewer so that a batch of the file's
    longest rows (by their row group's uncompressed size, of ``columns``) stays within
    ``READ_BATCH_BYTES``. A batch spans row groups: one batch of 1,000 long rows would be
    the whole file."""
    wanted = None if columns is None else set(columns)
    widest = 0.0
    for number in range(metadata.num_row_groups):
        group = metadata.row_group(number)
        if not group.num_rows:
            continue
        size = sum(
            group.column(i).total_uncompressed_size
            for i in range(group.num_columns)
            if wanted is None or group.column(i).path_in_schema.split(".")[0] in wanted
        )
        widest = max(widest, size / group.num_rows)
    fitting = int(READ_BATCH_BYTES // widest) if widest else READ_BATCH_ROWS
    return max(1, min(READ_BATCH_ROWS, fitting))
