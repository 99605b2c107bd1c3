"""A dedup batch: the decisions for the shards finished since the last batch, kept on disk.

The decisions of a batch are computed once, from the keys of its new documents and the
corpus's dedup index, and saved before any shard is stored; a run killed while storing
resumes with the same decisions, so a resumed run stores exactly what an uninterrupted
one would. ``batch.json`` is written last and removed first: while it exists, the
decision files are complete.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus._files import write_json_atomic
from newscorpus.dedup.clusters import Decision, find_duplicates
from newscorpus.dedup.keys import DedupOptions, KeyFile, load_entries
from newscorpus.store.parquet import AtomicParquetWriter
from newscorpus.store.state import dedup_dir, index_keys_path, new_keys_path, read_json

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


def _batch_path(corpus: Path) -> Path:
    return dedup_dir(corpus) / "batch.json"


def _decisions_path(corpus: Path) -> Path:
    return dedup_dir(corpus) / "decisions.parquet"


def _updates_path(corpus: Path) -> Path:
    return dedup_dir(corpus) / "updates.parquet"


@dataclass(slots=True)
class Batch:
    shards: list[int]
    stats: dict[str, int]


def open_batch(corpus: Path) -> Batch | None:
    """The batch an earlier run decided but did not finish storing, if any."""
    path = _batch_path(corpus)
    if not path.exists():
        return None
    data: dict[str, Any] = read_json(path)
    return Batch(shards=list(data["shards"]), stats=dict(data["stats"]))


def plan_batch(
    corpus: Path, new_shards: list[int], stored_shards: list[int], options: DedupOptions
) -> Batch:
    """Decide for every document of ``new_shards``, against each other and the index."""
    files = [KeyFile(index_keys_path(corpus, n), n, stored=True) for n in stored_shards]
    files = [f for f in files if f.path.exists()]
    files += [KeyFile(new_keys_path(corpus, n), n, stored=False) for n in new_shards]
    entries, origin, signatures_of = load_entries(files, options)
    outcome = find_duplicates(entries, signatures_of, options.min_similarity)
    decisions: dict[str, list[Any]] = {name: [] for name in DECISIONS_SCHEMA.names}
    for row, decision in sorted(outcome.decisions.items()):
        file_number, file_row = origin(row)
        values = (files[file_number].shard, file_row, decision.keep, decision.duplicate_count,
                  decision.duplicate_of, decision.reason)  # fmt: skip
        for name, value in zip(DECISIONS_SCHEMA.names, values, strict=True):
            decisions[name].append(value)
    updates: dict[str, list[Any]] = {name: [] for name in UPDATES_SCHEMA.names}
    for row, count in sorted(outcome.stored_counts.items()):
        file_number, _ = origin(row)
        updates["shard"].append(files[file_number].shard)
        updates["id"].append(entries.id_of(row))
        updates["duplicate_count"].append(count)
    reasons = Counter(d.reason for d in outcome.decisions.values() if not d.keep)
    stats = {
        "documents_compared": len(entries),
        "stored_documents": int(entries.stored.sum()),
        "candidate_pairs": outcome.candidate_pairs,
        "confirmed_pairs": outcome.confirmed_pairs,
        **{f"duplicates.{reason}": n for reason, n in sorted(reasons.items()) if reason},
        "stored_documents_with_new_copies": len(outcome.stored_counts),
    }
    for path, schema, columns in (
        (_decisions_path(corpus), DECISIONS_SCHEMA, decisions),
        (_updates_path(corpus), UPDATES_SCHEMA, updates),
    ):
        writer = AtomicParquetWriter(path, schema)
        writer.write_table(pa.table(columns, schema=schema))
        writer.commit()
    batch = Batch(shards=sorted(new_shards), stats=stats)
    write_json_atomic(_batch_path(corpus), {"shards": batch.shards, "stats": batch.stats})
    return batch


def shard_decisions(corpus: Path, shard: int) -> dict[int, Decision]:
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


def count_updates(corpus: Path) -> dict[int, dict[str, int]]:
    """Stored shard -> {id: new duplicate_count}, for documents that gained copies."""
    table = pq.read_table(_updates_path(corpus))
    updates: dict[int, dict[str, int]] = {}
    for row in table.to_pylist():
        updates.setdefault(row["shard"], {})[row["id"]] = row["duplicate_count"]
    return updates


def close_batch(corpus: Path) -> None:
    _batch_path(corpus).unlink(missing_ok=True)
    _decisions_path(corpus).unlink(missing_ok=True)
    _updates_path(corpus).unlink(missing_ok=True)


def set_duplicate_counts(path: Path, counts: dict[str, int]) -> bool:
    """Rewrite a Parquet file (data or index) with new ``duplicate_count`` values for some
    ids. Idempotent: the values are totals, not increments. False when nothing changed."""
    table = pq.read_table(path)
    ids = table.column("id").to_pylist()
    if not any(i in counts for i in ids):
        return False
    current = table.column("duplicate_count").to_pylist()
    values = [counts.get(i, c) for i, c in zip(ids, current, strict=True)]
    position = table.schema.get_field_index("duplicate_count")
    field = table.schema.field(position)
    table = table.set_column(position, field, pa.array(values, field.type))
    writer = AtomicParquetWriter(path, table.schema)
    writer.write_table(table)
    writer.commit()
    return True
