"""A dedup batch: the decisions for the shards finished since the last batch, kept on disk.

Deciding is split into tasks an executor runs where it likes (worker processes, a Ray
cluster): first one task per key column (URL, exact text, each LSH band) and key range,
which finds the pairs of documents sharing a key and confirms the near-duplicate ones
(``.state/dedup/pairs/``); then one task that joins all pairs into components and decides
for each, reading only the documents of the components. No process holds the keys of the
whole corpus: a column task holds one column of one key range.

The decisions of a batch are computed once, from the keys of its new documents and the
corpus's dedup index, and saved before any shard is stored; a run killed while storing
resumes with the same decisions, so a resumed run stores exactly what an uninterrupted
one would. ``batch.json`` is written last and removed first: while it exists, the
decision files are complete.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus._files import read_json, write_json_atomic
from newscorpus._parquet import AtomicParquetWriter
from newscorpus.corpus import Corpus
from newscorpus.dedup.clusters import (
    Decision,
    agreeing,
    decide_components,
    equal_key_pairs,
    no_pairs,
    unique_pairs,
)
from newscorpus.dedup.keys import DedupOptions, KeyFile, KeySpace, band_column
from newscorpus.executors.base import Executor

logger = logging.getLogger(__name__)

DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("shard", pa.int64(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("keep", pa.bool_(), nullable=False),
        pa.field("duplicate_count", pa.int64(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("reason", pa.string()),
    ]
)
UPDATES_SCHEMA = pa.schema(
    [
        pa.field("shard", pa.int64(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("duplicate_count", pa.int64(), nullable=False),
    ]
)


EXACT_COLUMNS = ("url_key", "text_key")


def _batch_path(corpus: Corpus) -> Path:
    return corpus.dedup_dir / "batch.json"


def _decisions_path(corpus: Corpus) -> Path:
    return corpus.dedup_dir / "decisions.parquet"


def _updates_path(corpus: Corpus) -> Path:
    return corpus.dedup_dir / "updates.parquet"


@dataclass(slots=True)
class Batch:
    shards: list[int]
    stats: dict[str, int]


def open_batch(corpus: Corpus) -> Batch | None:
    """The batch an earlier run decided but did not finish storing, if any."""
    path = _batch_path(corpus)
    if not path.exists():
        return None
    data: dict[str, Any] = read_json(path)
    return Batch(shards=list(data["shards"]), stats=dict(data["stats"]))


ROWS_PER_PARTITION = 4_000_000  # keys a column task holds: ~100 MB with its sort


def _pairs_dir(corpus: Corpus) -> Path:
    return corpus.dedup_dir / "pairs"


PAIRS_SCHEMA = pa.schema(
    [
        pa.field("first", pa.int64(), nullable=False),
        pa.field("second", pa.int64(), nullable=False),
        pa.field("confirmed", pa.bool_(), nullable=False),  # exact, or near and confirmed
    ]
)


@dataclass(slots=True)
class PairTask:
    """One key column (``url_key``, ``text_key`` or a band), one key range of it."""

    corpus: str
    space: KeySpace
    column: str
    partition: int
    partitions: int
    options: DedupOptions

    @property
    def path(self) -> Path:
        name = f"{self.column}-{self.partition:04d}-of-{self.partitions:04d}.parquet"
        return _pairs_dir(Corpus(Path(self.corpus))) / name


def find_pairs(task: PairTask) -> Path:
    """Pairs of documents sharing a key of the task's column and range, at least one of
    them new; near-duplicate candidates are confirmed on their signatures here."""
    keys, rows = task.space.column(task.column, task.partition, task.partitions)
    exact = task.column in EXACT_COLUMNS
    pairs = rows[equal_key_pairs(keys, ~task.space.stored(rows), every_pair=not exact)]
    confirmed = np.ones(len(pairs), dtype=bool)
    if not exact:
        options = task.options
        width = options.bands * options.rows
        pairs = unique_pairs(pairs)
        confirmed = agreeing(
            pairs, lambda wanted: task.space.signatures(wanted, width), options.min_similarity
        )
    writer = AtomicParquetWriter(task.path, PAIRS_SCHEMA)
    writer.write_table(
        pa.table(
            {"first": pairs[:, 0], "second": pairs[:, 1], "confirmed": confirmed},
            schema=PAIRS_SCHEMA,
        )
    )
    return writer.commit()


@dataclass(slots=True)
class DecideTask:
    corpus: str
    space: KeySpace
    pair_files: list[Path]
    options: DedupOptions


def decide_batch(task: DecideTask) -> dict[str, int]:
    """Components of all pairs, a decision per component; writes the decisions of the new
    documents and the new ``duplicate_count`` of stored ones. Returns the batch's figures."""
    corpus, space, options = Corpus(Path(task.corpus)), task.space, task.options
    exact, candidates, confirmed = [no_pairs()], [no_pairs()], [no_pairs()]
    for path in task.pair_files:
        table = pq.read_table(path)
        pairs = np.stack([table["first"].to_numpy(), table["second"].to_numpy()], axis=1).astype(
            np.int64
        )
        if path.name.startswith(EXACT_COLUMNS):
            exact.append(pairs)
        else:
            candidates.append(pairs)
            confirmed.append(pairs[table["confirmed"].to_numpy(zero_copy_only=False)])
    near = unique_pairs(np.concatenate(confirmed))
    width = options.bands * options.rows
    outcome = decide_components(
        space.entries,
        (lambda rows: space.signatures(rows, width)) if options.near_duplicates else None,
        unique_pairs(np.concatenate(exact)),
        near,
        options.min_similarity,
    )
    rows = np.array(sorted(outcome.decisions), dtype=np.int64)
    chosen = [outcome.decisions[row] for row in rows.tolist()]
    numbers, file_rows = space.origin(rows)
    decisions = {
        "shard": [space.files[n].shard for n in numbers.tolist()],
        "row": file_rows.tolist(),
        "keep": [d.keep for d in chosen],
        "duplicate_count": [d.duplicate_count for d in chosen],
        "duplicate_of": [d.duplicate_of for d in chosen],
        "reason": [d.reason for d in chosen],
    }
    stored_rows = np.array(sorted(outcome.stored_counts), dtype=np.int64)
    updates = {
        "shard": [space.files[n].shard for n in space.origin(stored_rows)[0].tolist()],
        "id": [outcome.stored_ids[row] for row in stored_rows.tolist()],
        "duplicate_count": [outcome.stored_counts[row] for row in stored_rows.tolist()],
    }
    for path, schema, columns in (
        (_decisions_path(corpus), DECISIONS_SCHEMA, decisions),
        (_updates_path(corpus), UPDATES_SCHEMA, updates),
    ):
        writer = AtomicParquetWriter(path, schema)
        writer.write_table(pa.table(columns, schema=schema))
        writer.commit()
    reasons = Counter(d.reason for d in outcome.decisions.values() if not d.keep)
    return {
        "documents_compared": len(space),
        "stored_documents": int(space.stored(np.arange(len(space))).sum()),
        "candidate_pairs": len(unique_pairs(np.concatenate(candidates))),
        "confirmed_pairs": len(near),
        **{f"duplicates.{reason}": n for reason, n in sorted(reasons.items()) if reason},
        "stored_documents_with_new_copies": len(outcome.stored_counts),
    }


def plan_batch(
    corpus: Corpus,
    new_shards: list[int],
    stored_shards: list[int],
    options: DedupOptions,
    executor: Executor,
) -> Batch:
    """Decide for every document of ``new_shards``, against each other and the index.

    Each key column is cut into ranges of ``ROWS_PER_PARTITION`` keys, a task each; any
    number of ranges gives the same decisions."""
    files = [KeyFile(corpus.index_keys(n), n, stored=True) for n in stored_shards]
    files = [f for f in files if f.path.exists()]
    files += [KeyFile(corpus.new_keys(n), n, stored=False) for n in new_shards]
    space = KeySpace.of(files)
    partitions = max(1, -(-len(space) // ROWS_PER_PARTITION))
    logger.info("dedup: %d documents, %d key range(s) per column", len(space), partitions)
    columns = [*EXACT_COLUMNS]
    if options.near_duplicates:
        columns += [band_column(band) for band in range(options.bands)]
    shutil.rmtree(_pairs_dir(corpus), ignore_errors=True)  # an earlier run's, unfinished
    tasks = [
        PairTask(str(corpus.root), space, column, partition, partitions, options)
        for column in columns
        for partition in range(partitions)
    ]
    pair_files = sorted(executor.map_unordered(find_pairs, tasks))
    (stats,) = executor.map_unordered(
        decide_batch, [DecideTask(str(corpus.root), space, pair_files, options)]
    )
    batch = Batch(shards=sorted(new_shards), stats=stats)
    write_json_atomic(_batch_path(corpus), {"shards": batch.shards, "stats": batch.stats})
    shutil.rmtree(_pairs_dir(corpus), ignore_errors=True)
    return batch


def shard_decisions(corpus: Corpus, shard: int) -> dict[int, Decision]:
    """Row -> decision, for the documents of one shard that have copies."""
    table = pq.read_table(_decisions_path(corpus), filters=[("shard", "=", shard)])
    return {
        row["row"]: Decision(
            keep=row["keep"],
            duplicate_count=row["duplicate_count"],
            duplicate_of=row["duplicate_of"],
            reason=row["reason"],
        )
        for row in table.to_pylist()
    }


def count_updates(corpus: Corpus) -> dict[int, dict[str, int]]:
    """Stored shard -> {id: new duplicate_count}, for documents that gained copies."""
    table = pq.read_table(_updates_path(corpus))
    updates: dict[int, dict[str, int]] = {}
    for row in table.to_pylist():
        updates.setdefault(row["shard"], {})[row["id"]] = row["duplicate_count"]
    return updates


def close_batch(corpus: Corpus) -> None:
    _batch_path(corpus).unlink(missing_ok=True)
    _decisions_path(corpus).unlink(missing_ok=True)
    _updates_path(corpus).unlink(missing_ok=True)


def set_duplicate_counts(path: Path, counts: dict[str, int]) -> bool:
    """Rewrite a Parquet file (data or index) with new ``duplicate_count`` values for some
    ids. Idempotent: the values are totals, not increments. False when nothing changed.

    The file is rewritten one row group at a time, into the same row groups: a data
    file's text is never all in memory."""
    with pq.ParquetFile(path, pre_buffer=False) as source:
        ids = source.read(columns=["id"]).column("id").to_pylist()
        if not any(i in counts for i in ids):
            return False
        schema = source.schema_arrow
        position = schema.get_field_index("duplicate_count")
        field = schema.field(position)
        with AtomicParquetWriter(path, schema) as writer:
            for number in range(source.metadata.num_row_groups):
                table = source.read_row_group(number)
                ids = table.column("id").to_pylist()
                current = table.column("duplicate_count").to_pylist()
                values = [counts.get(i, c) for i, c in zip(ids, current, strict=True)]
                writer.write_table(table.set_column(position, field, pa.array(values, field.type)))
            writer.commit()
    return True


def add_to_index(corpus: Corpus, shard: int, decisions: dict[int, Decision]) -> None:
    """The keys of the documents ``shard`` keeps join the corpus's dedup index, with
    their copies counted."""
    table = pq.read_table(corpus.new_keys(shard))
    kept = [decisions.get(row) is None or decisions[row].keep for row in range(table.num_rows)]
    counts = [
        decisions[row].duplicate_count if row in decisions else 1 for row in range(table.num_rows)
    ]
    table = table.set_column(
        table.schema.get_field_index("duplicate_count"),
        "duplicate_count",
        pa.array(counts, pa.int64()),
    ).filter(pa.array(kept, pa.bool_()))
    writer = AtomicParquetWriter(corpus.index_keys(shard), table.schema)
    writer.write_table(table)
    writer.commit()


@dataclass(slots=True)
class CountUpdate:
    corpus: str
    shard: int
    counts: dict[str, int]


def run_count_update(task: CountUpdate) -> int:
    """New ``duplicate_count`` values for the documents a stored shard holds, in its
    files and in its part of the index (idempotent)."""
    corpus = Corpus(Path(task.corpus))
    paths = [corpus.index_keys(task.shard), *corpus.shard_files(task.shard)]
    return sum(set_duplicate_counts(path, task.counts) for path in paths if path.exists())


def update_counts(corpus: Corpus, executor: Executor) -> None:
    """Stored documents that gained copies in this batch get their new counts."""
    updates = [CountUpdate(str(corpus.root), n, c) for n, c in count_updates(corpus).items()]
    with closing(executor.map_unordered(run_count_update, updates)) as updated:
        for _ in updated:
            pass
