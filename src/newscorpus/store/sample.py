"""A random sample of stored documents, for ``newscorpus sample`` and the report.

Only the chosen rows are materialised: the sample is drawn from row positions (from the
Parquet footers, or from the ``domain`` column when a domain is asked for), then each file
holding a chosen row is read once.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict
from itertools import accumulate
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscorpus.errors import UserError
from newscorpus.store.parquet import corpus_files
from newscorpus.urls import bare_host


def sample_documents(
    corpus: Path,
    n: int,
    language: str | None = None,
    domain: str | None = None,
    seed: int | None = None,
    columns: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Up to ``n`` documents drawn uniformly without replacement, in a random order.

    The same ``seed`` on the same corpus gives the same documents.
    """
    if n <= 0:
        return []
    files = corpus_files(corpus, language)
    wanted = bare_host(domain) if domain else None
    matching: list[list[int] | None] = []  # rows of each file that qualify (None: all)
    counts: list[int] = []
    for path in files:
        if wanted is None:
            matching.append(None)
            counts.append(_open(path).metadata.num_rows)
        else:
            domains = _open(path).read(columns=["domain"])["domain"]
            rows = pc.indices_nonzero(pc.equal(domains, wanted)).to_pylist()
            matching.append(rows)
            counts.append(len(rows))
    ends = list(accumulate(counts))
    total = ends[-1] if ends else 0
    chosen: list[tuple[int, int]] = []  # (file index, row index)
    for position in random.Random(seed).sample(range(total), min(n, total)):
        index = bisect_right(ends, position)
        local = position - (ends[index - 1] if index else 0)
        rows_of_file = matching[index]
        chosen.append((index, local if rows_of_file is None else rows_of_file[local]))
    by_file: dict[int, list[int]] = defaultdict(list)
    for index, row in chosen:
        by_file[index].append(row)
    rows_at: dict[tuple[int, int], dict[str, Any]] = {}
    for index, rows in by_file.items():
        for row, values in zip(rows, _read_rows(files[index], rows, columns), strict=True):
            rows_at[(index, row)] = values
    return [rows_at[position] for position in chosen]


def _read_rows(path: Path, rows: list[int], columns: list[str] | None) -> list[dict[str, Any]]:
    """The given rows of one file, reading only the row groups that hold them."""
    parquet = _open(path)
    sizes = [parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups)]
    starts = list(accumulate(sizes, initial=0))
    group_of = {row: bisect_right(starts, row) - 1 for row in rows}
    groups = sorted(set(group_of.values()))
    offset, read_at = 0, {}
    for group in groups:  # where each group starts in the table read below
        read_at[group] = offset
        offset += sizes[group]
    table = parquet.read_row_groups(groups, columns=columns)
    positions = [read_at[group_of[row]] + row - starts[group_of[row]] for row in rows]
    rows_read: list[dict[str, Any]] = table.take(positions).to_pylist()
    return rows_read


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise UserError(f"{path}: not a readable Parquet shard ({exc})") from None
