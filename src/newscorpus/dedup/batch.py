"""A dedup batch: the decisions for the shards finished since the last batch, kept on disk.

Deciding is split into tasks an executor runs where it likes (worker processes, a Ray
cluster): first one task per key column (URL, exact text, each LSH band) and key range,
which finds the pairs of documents sharing a key and confirms the near-duplicate ones
(``.state/dedup/pairs/``); then one task that joins all pairs into components and decides
for each, reading only the keys of the documents of the components (and the texts of
the versions of articles that changed, to say what changed). No process holds the keys
of the whole corpus: a column task holds one column of one key range.

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
from collections.abc import Collection
from contextlib import closing
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus._files import read_json, write_json_atomic
from newscorpus._parquet import AtomicParquetWriter
from newscorpus.corpus import Corpus
from newscorpus.dedup.clusters import (
    Decision,
    Pairs,
    agreeing,
    connected_components,
    decide_components,
    equal_key_pairs,
    no_pairs,
    unique_pairs,
)
from newscorpus.dedup.keys import DedupOptions, KeyFile, KeySpace, band_column
from newscorpus.dedup.versions import Capture, VersionChain, changes_between, version_chain
from newscorpus.document import LIVE_BLOG, SCHEMA, Changes, Update
from newscorpus.executors.base import Executor
from newscorpus.store.parquet import ShardFigures, rows_at, rows_with_ids
from newscorpus.webpage.live_blog import merge_updates

logger = logging.getLogger(__name__)

DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("shard", pa.int64(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("keep", pa.bool_(), nullable=False),
        pa.field("duplicate_count", pa.int64(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("version", pa.int16()),
        pa.field("first_seen", pa.string()),
        SCHEMA.field("changes"),
        SCHEMA.field("updates"),
    ]
)
# What becomes of stored documents: a new duplicate_count, or superseded by a new version
# (out of data/ and the index; into versions/ when it was its article's first version).
UPDATES_SCHEMA = pa.schema(
    [
        pa.field("shard", pa.int64(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("duplicate_count", pa.int64(), nullable=False),
        pa.field("superseded", pa.bool_(), nullable=False),
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
    documents and what becomes of stored ones. Returns the batch's figures."""
    corpus, space, options = Corpus(Path(task.corpus)), task.space, task.options
    exact, candidates, confirmed, same_id = [no_pairs()], [no_pairs()], [no_pairs()], [no_pairs()]
    for path in task.pair_files:
        table = pq.read_table(path)
        pairs = np.stack([table["first"].to_numpy(), table["second"].to_numpy()], axis=1).astype(
            np.int64
        )
        if path.name.startswith(EXACT_COLUMNS):
            exact.append(pairs)
            if path.name.startswith("url_key"):
                same_id.append(pairs)
        else:
            candidates.append(pairs)
            confirmed.append(pairs[table["confirmed"].to_numpy(zero_copy_only=False)])
    versions = plan_versions(space, np.concatenate(same_id))
    near = unique_pairs(np.concatenate(confirmed))
    width = options.bands * options.rows
    outcome = decide_components(
        space.entries,
        (lambda rows: space.signatures(rows, width)) if options.near_duplicates else None,
        versions.without_retired(unique_pairs(np.concatenate(exact))),
        versions.without_retired(near),
        options.min_similarity,
        versions.successors,
    )
    decided = dict(outcome.decisions)
    decided.update(version_decisions(corpus, space, versions, decided))
    rows = np.array(sorted(decided), dtype=np.int64)
    chosen = [decided[row] for row in rows.tolist()]
    numbers, file_rows = space.origin(rows)
    decisions = {
        "shard": [space.files[n].shard for n in numbers.tolist()],
        "row": file_rows.tolist(),
        "keep": [d.keep for d in chosen],
        "duplicate_count": [d.duplicate_count for d in chosen],
        "duplicate_of": [d.duplicate_of for d in chosen],
        "reason": [d.reason for d in chosen],
        "version": [d.version for d in chosen],
        "first_seen": [d.first_seen for d in chosen],
        "changes": [None if d.changes is None else asdict(d.changes) for d in chosen],
        "updates": [None if d.updates is None else [asdict(u) for u in d.updates] for d in chosen],
    }
    counts = {row: (count, False) for row, count in outcome.stored_counts.items()}
    counts.update({row: (count, True) for row, count in versions.superseded.items()})
    stored_rows = np.array(sorted(counts), dtype=np.int64)
    ids = space.read(stored_rows, ["id"]).column("id").to_pylist()
    updates = {
        "shard": [space.files[n].shard for n in space.origin(stored_rows)[0].tolist()],
        "id": ids,
        "duplicate_count": [counts[row][0] for row in stored_rows.tolist()],
        "superseded": [counts[row][1] for row in stored_rows.tolist()],
    }
    for path, schema, columns in (
        (_decisions_path(corpus), DECISIONS_SCHEMA, decisions),
        (_updates_path(corpus), UPDATES_SCHEMA, updates),
    ):
        writer = AtomicParquetWriter(path, schema)
        writer.write_table(pa.table(columns, schema=schema))
        writer.commit()
    reasons = Counter(d.reason for d in decided.values() if not d.keep)
    return {
        "documents_compared": len(space),
        "stored_documents": int(space.stored(np.arange(len(space))).sum()),
        "candidate_pairs": len(unique_pairs(np.concatenate(candidates))),
        "confirmed_pairs": len(near),
        **{f"duplicates.{reason}": n for reason, n in sorted(reasons.items()) if reason},
        "stored_documents_with_new_copies": len(outcome.stored_counts),
        "articles_with_new_versions": len(versions.chains),
        "stored_versions_superseded": len(versions.superseded),
    }


@dataclass(slots=True)
class VersionPlan:
    """The articles of a batch whose text changed, and what that means for clustering:
    their earlier versions (and repeated fetches) are taken out of it, and a new latest
    version takes the place of the stored one it supersedes."""

    chains: list[VersionChain]
    retired: npt.NDArray[np.int64]  # rows left out of clustering, sorted
    successors: dict[int, int]  # row of a new latest version -> the stored one's count
    superseded: dict[int, int]  # row of a superseded stored version -> its count

    def without_retired(self, pairs: Pairs) -> Pairs:
        if not len(self.retired):
            return pairs
        return pairs[~np.isin(pairs, self.retired).any(axis=1)]


def plan_versions(space: KeySpace, same_id: Pairs) -> VersionPlan:
    """Version chains among documents sharing an id (``same_id``: pairs of rows)."""
    groups = connected_components(unique_pairs(same_id))
    rows = np.unique(np.concatenate(groups)) if groups else np.zeros(0, np.int64)
    captures = dict(zip(rows.tolist(), space.captures(rows), strict=True))
    chains, retired = [], []
    successors, superseded = {}, {}
    for group in groups:
        chain = version_chain([captures[row] for row in group.tolist()])
        if chain is None:
            continue
        chains.append(chain)
        retired += [c.row for c in chain.versions[:-1] + chain.duplicates]
        first = chain.versions[0]
        if first.stored:
            successors[chain.latest.row] = first.duplicate_count
            superseded[first.row] = first.duplicate_count
    return VersionPlan(chains, np.array(sorted(retired), np.int64), successors, superseded)


def version_decisions(
    corpus: Corpus, space: KeySpace, plan: VersionPlan, decided: dict[int, Decision]
) -> dict[int, Decision]:
    """The decisions for the new fetches of articles that changed: each new version gets
    its number, first fetch and changes (from the texts of the versions, read here);
    the latest keeps the clustering's decision, the earlier ones are versions only, and
    the article's other fetches (a version again, a twin) are same-URL duplicates of the
    latest."""
    texts = _version_rows(corpus, space, [c for chain in plan.chains for c in chain.versions])
    result: dict[int, Decision] = {}
    for chain in plan.chains:
        latest = chain.latest.row
        numbered = chain.numbered()
        for (_, before), (number, capture) in pairwise(numbered):
            if capture.row == latest:
                default = Decision(keep=True, duplicate_count=plan.successors.get(latest, 1))
                decision = decided.get(latest, default)
            else:
                decision = Decision(keep=False, reason="earlier_version")
            decision.version, decision.first_seen = number, chain.first_seen
            old, new = texts.get(before.row), texts[capture.row]
            if old is None:  # the stored version's file is gone: nothing to compare with
                logger.warning("versions: the stored version of %s is missing", capture.id)
            else:
                decision.changes = changes_between(old.title, old.text, new.title, new.text)
                if new.page_type == LIVE_BLOG:  # re-visits add the updates a page let go
                    new.updates = merge_updates(new.updates, old.updates)  # for the next too
                    decision.updates = new.updates
            result[capture.row] = decision
        first = chain.versions[0]
        if not first.stored:  # version 1, new in this batch
            result[first.row] = Decision(
                keep=False, reason="earlier_version", version=1, first_seen=chain.first_seen
            )
        kept = result[latest]
        for duplicate in chain.duplicates:  # not counted as copies: the same article
            result[duplicate.row] = Decision(
                keep=False,
                duplicate_count=kept.duplicate_count,
                duplicate_of=kept.duplicate_of or chain.latest.id,
                reason="same_url",
            )
    return result


@dataclass(slots=True)
class _VersionRow:
    title: str | None = None
    text: str = ""
    page_type: str | None = None
    updates: list[Update] = field(default_factory=list)

    @classmethod
    def of(cls, row: dict[str, Any]) -> _VersionRow:
        updates = [Update(**u) for u in row["updates"] or []]
        return cls(row["title"], row["text"], row["page_type"], updates)


def _version_rows(
    corpus: Corpus, space: KeySpace, captures: list[Capture]
) -> dict[int, _VersionRow]:
    """What versions compare of each capture, by row: a new document's from its shard's
    filtered documents, a stored one's from the corpus (its kept row, found by id in its
    shard's files). Only the row groups holding them are read. A stored row whose file
    is gone is missing from the result."""
    columns = ["title", "text", "page_type", "updates"]
    found: dict[int, _VersionRow] = {}
    rows = np.array([c.row for c in captures], np.int64)
    by_file: dict[int, list[tuple[Capture, int]]] = {}
    for capture, number, file_row in zip(captures, *space.origin(rows), strict=True):
        by_file.setdefault(int(number), []).append((capture, int(file_row)))
    for number, items in by_file.items():
        key_file = space.files[number]
        if key_file.stored:
            by_id: dict[str, _VersionRow] = {}
            for path in corpus.shard_files(key_file.shard):
                table = rows_with_ids(
                    path, {c.id for c, _ in items}, ["id", "duplicate_of", *columns]
                )
                for record in table.to_pylist():
                    if record["duplicate_of"] is None:  # not a copy kept by --keep-duplicates
                        by_id[record["id"]] = _VersionRow.of(record)
            found.update({c.row: by_id[c.id] for c, _ in items if c.id in by_id})
        else:
            picked = rows_at(corpus.filtered(key_file.shard), [r for _, r in items], columns)
            for (capture, _), record in zip(items, picked.to_pylist(), strict=True):
                found[capture.row] = _VersionRow.of(record)
    return found


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
    """Row -> decision, for the documents of one shard that have copies or versions."""
    table = pq.read_table(_decisions_path(corpus), filters=[("shard", "=", shard)])
    return {
        row["row"]: Decision(
            keep=row["keep"],
            duplicate_count=row["duplicate_count"],
            duplicate_of=row["duplicate_of"],
            reason=row["reason"],
            version=row["version"],
            first_seen=row["first_seen"],
            changes=Changes(**row["changes"]) if row["changes"] else None,
            updates=None if row["updates"] is None else [Update(**u) for u in row["updates"]],
        )
        for row in table.to_pylist()
    }


@dataclass(slots=True)
class StoredUpdate:
    """What becomes of the documents of one stored shard: new ``duplicate_count``
    values, and the ids whose stored version a newer one superseded."""

    corpus: str
    shard: int
    counts: dict[str, int]
    superseded: list[str]


def stored_updates(corpus: Corpus) -> list[StoredUpdate]:
    """The updates of the stored shards this batch touches."""
    table = pq.read_table(_updates_path(corpus))
    updates: dict[int, StoredUpdate] = {}
    for row in table.to_pylist():
        update = updates.setdefault(
            row["shard"], StoredUpdate(str(corpus.root), row["shard"], {}, [])
        )
        if row["superseded"]:
            update.superseded.append(row["id"])
        else:
            update.counts[row["id"]] = row["duplicate_count"]
    return list(updates.values())


def close_batch(corpus: Corpus) -> None:
    _batch_path(corpus).unlink(missing_ok=True)
    _decisions_path(corpus).unlink(missing_ok=True)
    _updates_path(corpus).unlink(missing_ok=True)


def rewrite_stored(path: Path, counts: dict[str, int], removed: Collection[str] = ()) -> int | None:
    """Rewrite a Parquet file (data, versions or index) with new ``duplicate_count``
    values for some ids and without the rows of the ``removed`` ids. Idempotent: the
    values are totals, not increments. Returns the rows left, None when nothing changed.

    The file is rewritten one row group at a time, into the same row groups: a data
    file's text is never all in memory."""
    with pq.ParquetFile(path, pre_buffer=False) as source:
        ids = source.read(columns=["id"]).column("id").to_pylist()
        if not any(i in counts or i in removed for i in ids):
            return None
        schema = source.schema_arrow
        position = schema.get_field_index("duplicate_count")
        field = schema.field(position)
        with AtomicParquetWriter(path, schema) as writer:
            for number in range(source.metadata.num_row_groups):
                table = source.read_row_group(number)
                ids = table.column("id").to_pylist()
                current = table.column("duplicate_count").to_pylist()
                values = [counts.get(i, c) for i, c in zip(ids, current, strict=True)]
                table = table.set_column(position, field, pa.array(values, field.type))
                # a copy kept by --keep-duplicates is not the version: it stays
                copies = (
                    table.column("duplicate_of").to_pylist()
                    if "duplicate_of" in table.column_names
                    else [None] * len(ids)
                )
                leaving = [i in removed and c is None for i, c in zip(ids, copies, strict=True)]
                writer.write_table(table.filter(pa.array([not x for x in leaving])))
            writer.commit()
            return writer.rows


def add_to_index(corpus: Corpus, shard: int, decisions: dict[int, Decision]) -> None:
    """The keys of the documents ``shard`` keeps join the corpus's dedup index, with
    their copies counted and their version."""
    table = pq.read_table(corpus.new_keys(shard))
    rows = range(table.num_rows)
    kept = [decisions.get(row) is None or decisions[row].keep for row in rows]
    counts = [decisions[row].duplicate_count if row in decisions else 1 for row in rows]
    versions = [decisions[row].version if row in decisions else None for row in rows]
    first_seen = [decisions[row].first_seen if row in decisions else None for row in rows]
    for name, values in (
        ("duplicate_count", counts),
        ("version", [v or c for v, c in zip(versions, table["version"].to_pylist(), strict=True)]),
        (
            "first_seen",
            [f or s for f, s in zip(first_seen, table["first_seen"].to_pylist(), strict=True)],
        ),
    ):
        position = table.schema.get_field_index(name)
        field = table.schema.field(position)
        table = table.set_column(position, field, pa.array(values, field.type))
    table = table.filter(pa.array(kept, pa.bool_()))
    writer = AtomicParquetWriter(corpus.index_keys(shard), table.schema)
    writer.write_table(table)
    writer.commit()


def run_stored_update(task: StoredUpdate) -> int:
    """New ``duplicate_count`` values for the documents a stored shard holds, in its
    files and in its part of the index; superseded versions out of both, into versions/
    first when they were their article's first version (a later one is there already).
    Idempotent: a run killed half-way does it again."""
    corpus = Corpus(Path(task.corpus))
    superseded = set(task.superseded)
    if superseded:
        for path in corpus.shard_files(task.shard):
            leaving = rows_with_ids(path, superseded)
            kept = [
                version == 1 and copy_of is None
                for version, copy_of in zip(
                    leaving["version"].to_pylist(), leaving["duplicate_of"].to_pylist(), strict=True
                )
            ]
            archive_versions(
                corpus.versions_file(path.parent.name, task.shard), leaving.filter(pa.array(kept))
            )
    index = corpus.index_keys(task.shard)
    changed = int(index.exists() and rewrite_stored(index, task.counts, superseded) is not None)
    for path in corpus.shard_files(task.shard):
        left = rewrite_stored(path, task.counts, superseded)
        changed += left is not None
        if left == 0:  # its documents all superseded: no empty file in data/
            path.unlink()
    # the earlier versions of a story count its copies too
    for path in corpus.version_files(task.shard):
        changed += rewrite_stored(path, task.counts) is not None
    if superseded:
        recount_marker(corpus, task.shard)
    return changed


def recount_marker(corpus: Corpus, shard: int) -> None:
    """The figures of a stored shard's marker, counted again from its files (some of its
    documents left for versions/): the manifest sums markers."""
    figures = ShardFigures.of_files(corpus.shard_files(shard))
    marker = read_json(corpus.marker(shard))
    marker["documents"] = dict(figures.documents)
    marker["words"] = dict(figures.words)
    marker["domains"] = dict(figures.domains)
    counts = {k: n for k, n in marker["counts"].items() if not k.startswith("write.")}
    marker["counts"] = counts | figures.counts()
    write_json_atomic(corpus.marker(shard), marker)


def archive_versions(path: Path, rows: pa.Table) -> None:
    """Add ``rows`` to the versions file at ``path``, each (id, version) once: those
    there already (a run that died after archiving them) are not added again."""
    if not rows.num_rows:
        return
    existing = pq.read_table(path) if path.exists() else rows.schema.empty_table()
    present = set(zip(existing["id"].to_pylist(), existing["version"].to_pylist(), strict=True))
    new = []
    for key in zip(rows["id"].to_pylist(), rows["version"].to_pylist(), strict=True):
        new.append(key not in present)
        present.add(key)
    if not any(new):
        return
    writer = AtomicParquetWriter(path, SCHEMA)
    writer.write_table(
        pa.concat_tables([existing.cast(SCHEMA), rows.filter(pa.array(new)).cast(SCHEMA)])
    )
    writer.commit()


def update_stored(corpus: Corpus, executor: Executor) -> None:
    """Stored documents that gained copies in this batch get their new counts; stored
    versions that a new one superseded leave ``data/``."""
    updates = stored_updates(corpus)
    with closing(executor.map_unordered(run_stored_update, updates)) as updated:
        for _ in updated:
            pass
