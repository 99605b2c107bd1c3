"""The pages of multi-page articles in a run, so that each first page can be stitched.

A site that cuts an article into pages has them fetched one by one, and they may land in
different shards. After the extract stage the driver gathers, from the staged documents
of the shards still to filter, every page of a multi-page article (its key, number and
text) into ``CORPUS/.state/pages.parquet``; the filter stage of each shard reads from it
the pages of the articles it holds (``steps.multipage.StitchPages``).

Only shards not yet stored take part: a first page stored by an earlier run is not
rewritten, so its later pages stay documents of their own, marked incomplete, and so does
the first page (the README says so). Rows of shards that a killed run filtered already
(their staged files are gone) are kept from the index it wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscorpus._parquet import AtomicParquetWriter
from newscorpus.corpus import Corpus
from newscorpus.steps.multipage import PagePart

PAGE_COLUMNS = ["page_key", "page_number", "page_last", "text"]
PAGE_INDEX_SCHEMA = pa.schema(
    [
        pa.field("shard", pa.int32(), nullable=False),
        pa.field("page_key", pa.string(), nullable=False),
        pa.field("page_number", pa.int16(), nullable=False),
        pa.field("page_last", pa.int16(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
    ]
)


def index_pages(corpus: Corpus, shards: Sequence[int]) -> int:
    """Rebuild the page index from the staged documents of ``shards`` (those still to
    filter) and the rows an earlier run left for shards not stored; returns its rows."""
    pending = [n for n in shards if corpus.staged(n).exists()]
    tables = []
    old = corpus.page_index
    if old.exists():
        kept = pq.read_table(old, schema=PAGE_INDEX_SCHEMA)
        stored = [n for n in set(kept.column("shard").to_pylist()) if corpus.marker(n).exists()]
        drop = pa.array([*pending, *stored], pa.int32())
        tables.append(kept.filter(pc.invert(pc.is_in(kept.column("shard"), drop))))
    for number in sorted(pending):
        staged = pq.read_table(
            corpus.staged(number), columns=PAGE_COLUMNS, filters=[("page_key", "!=", "")]
        )
        shard = pa.array([number] * staged.num_rows, pa.int32())
        tables.append(staged.add_column(0, "shard", shard).cast(PAGE_INDEX_SCHEMA))
    rows: int = sum(table.num_rows for table in tables)
    if rows == 0:
        old.unlink(missing_ok=True)
        return 0
    with AtomicParquetWriter(old, PAGE_INDEX_SCHEMA) as writer:
        for table in tables:
            if table.num_rows:
                writer.write_table(table)
        writer.commit()
    return rows


def page_parts(corpus: Corpus, keys: Collection[str]) -> dict[str, list[PagePart]]:
    """The indexed pages of the articles ``keys`` name, in index order."""
    path = corpus.page_index
    if not keys or not path.exists():
        return {}
    table = pq.read_table(path, columns=PAGE_COLUMNS, filters=[("page_key", "in", sorted(keys))])
    parts: defaultdict[str, list[PagePart]] = defaultdict(list)
    for row in table.to_pylist():
        parts[row["page_key"]].append(PagePart(row["page_number"], row["page_last"], row["text"]))
    return dict(parts)
