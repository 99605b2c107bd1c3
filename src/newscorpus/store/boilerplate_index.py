"""The corpus's boilerplate index: in how many documents of each site every line occurs.

SQLite in ``CORPUS/.state``, merged from the line counts of each extracted shard (written
by the extract stage from ``steps.boilerplate.CountLines``), so it keeps growing across
runs; ``steps.boilerplate.RemoveBoilerplate`` reads what it learned through
``learned_lines``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import pyarrow.parquet as pq

from newscorpus.corpus import Corpus


class BoilerplateIndex:
    """Per-domain document counts of lines, in SQLite: on disk, merged shard by shard."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            self._db = sqlite3.connect(path)
            self._db.executescript(
                """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS lines (
                    domain TEXT NOT NULL, key INTEGER NOT NULL, documents INTEGER NOT NULL,
                    PRIMARY KEY (domain, key)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS merged (shard INTEGER PRIMARY KEY);
                CREATE TABLE IF NOT EXISTS counted (id TEXT PRIMARY KEY) WITHOUT ROWID;
                """
            )

    def merge(self, shard: int, lines_path: Path) -> bool:
        """Add one shard's documents, once each: a document id already counted (fetched
        again, in another shard or run) adds nothing; the shard is recorded in the same
        transaction, so a merge interrupted half-way is redone whole."""
        with self._db:
            if self._db.execute("SELECT 1 FROM merged WHERE shard = ?", (shard,)).fetchone():
                return False
            for batch in pq.ParquetFile(lines_path).iter_batches(batch_size=5_000):
                counts: Counter[tuple[str, int]] = Counter()
                columns = batch.to_pydict()
                for domain, doc_id, keys in zip(
                    columns["domain"], columns["id"], columns["keys"], strict=True
                ):
                    added = self._db.execute(
                        "INSERT OR IGNORE INTO counted VALUES (?)", (doc_id,)
                    ).rowcount
                    if added:
                        counts.update((domain, key) for key in keys)
                self._db.executemany(
                    "INSERT INTO lines VALUES (?, ?, ?) ON CONFLICT (domain, key) "
                    "DO UPDATE SET documents = documents + excluded.documents",
                    ((domain, key, n) for (domain, key), n in counts.items()),
                )
            self._db.execute("INSERT INTO merged VALUES (?)", (shard,))
        return True

    def learned(self, domain: str, min_docs: int) -> frozenset[int]:
        """Keys of the lines and labels seen in at least ``min_docs`` documents of ``domain``."""
        rows = self._db.execute(
            "SELECT key FROM lines WHERE domain = ? AND documents >= ?", (domain, min_docs)
        )
        return frozenset(row[0] for row in rows)

    def close(self) -> None:
        self._db.close()


def learned_lines(index_path: Path, min_docs: int) -> Callable[[str], frozenset[int]]:
    """Domain -> learned keys, read from the index on first use of each domain."""
    if not index_path.exists():
        return lambda domain: frozenset()
    index = BoilerplateIndex(index_path, read_only=True)
    return cache(lambda domain: index.learned(domain, min_docs))


def learn_boilerplate(corpus: Corpus, shards: Sequence[int]) -> int:
    """Merge the line counts of extracted shards into the index; returns how many merged."""
    pending = [n for n in shards if corpus.line_counts(n).exists()]
    if not pending:
        return 0
    index = BoilerplateIndex(corpus.boilerplate_index)
    merged = 0
    try:
        for number in sorted(pending):
            path = corpus.line_counts(number)
            merged += index.merge(number, path)
            path.unlink()  # merged (now or by a run that died before this unlink)
    finally:
        index.close()
    return merged
