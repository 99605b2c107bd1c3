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

import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscorpus.store.parquet import corpus_files


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
    wanted = domain.lower().removeprefix("www.") if domain else None
    matching: list[list[int] | None] = []  # rows of each file that qualify (None: all)
    counts: list[int] = []
    for path in files:
        if wanted is None:
            matching.append(None)
            counts.append(pq.ParquetFile(path).metadata.num_rows)
        else:
            domains = pq.read_table(path, columns=["domain"])["domain"]
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
        table = pq.read_table(files[index], columns=columns).take(rows)
        for row, values in zip(rows, table.to_pylist(), strict=True):
            rows_at[(index, row)] = values
    return [rows_at[position] for position in chosen]
