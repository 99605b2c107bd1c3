"""The parts of distributed dedup: components of pairs, and key ranges of the shuffle."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest

from newscorpus.dedup import batch
from newscorpus.dedup.clusters import Entries, connected_components, find_duplicates
from newscorpus.executors import LocalExecutor
from newscorpus.pipeline import process
from tests.conftest import write_warc
from tests.dedup.test_process_dedup import HTML, _first_run_pages, _options, _paragraphs, _site_b


def _reference_components(pairs: np.ndarray) -> list[list[int]]:
    """Components by breadth-first search over an adjacency list."""
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs.tolist():
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    seen: set[int] = set()
    found = []
    for start in sorted(neighbours):
        if start in seen:
            continue
        component, frontier = {start}, [start]
        while frontier:
            node = frontier.pop()
            for other in neighbours[node] - component:
                component.add(other)
                frontier.append(other)
        seen |= component
        found.append(sorted(component))
    return found


def test_components_equal_a_graph_search_on_random_graphs() -> None:
    rng = np.random.default_rng(7)
    for nodes, edges in [(50, 10), (500, 400), (2000, 3000), (100_000, 20_000)]:
        pairs = rng.integers(0, nodes, size=(edges, 2)) * 3  # sparse, unordered row numbers
        found = sorted(c.tolist() for c in connected_components(pairs))
        assert found == sorted(_reference_components(pairs))


def test_a_long_chain_is_one_component_in_few_rounds() -> None:
    # a story updated through the day: one long chain, its rows in random order
    rows = np.random.default_rng(3).permutation(200_000)
    chain = np.stack([rows[:-1], rows[1:]], axis=1)
    started = time.perf_counter()
    (component,) = connected_components(chain)
    assert component.tolist() == list(range(200_000))
    assert time.perf_counter() - started < 10  # one edge per round would take hours
    assert connected_components(np.zeros((0, 2), dtype=np.int64)) == []


def _entries(stored: list[bool]) -> Entries:
    size = len(stored)
    return Entries(
        ids=[f"https://x.test/{i}" for i in range(size)],
        published=[f"2026-03-0{i + 1}T09:00:00" for i in range(size)],
        words=np.full(size, 100, dtype=np.int64),
        stored=np.array(stored),
        url_keys=np.arange(size, dtype=np.uint64) + 1000,
        text_keys=np.arange(size, dtype=np.uint64) + 5000,
        counts=np.ones(size, dtype=np.int64),
    )


def test_every_pair_of_a_bucket_is_a_candidate() -> None:
    """Four documents share one band (a common opening); the new one is close to the
    second stored one only: it must be compared with it, not only with the bucket's
    first member and its predecessor."""
    distinct = [list(range(100 * k, 100 * k + 15)) for k in range(3)]
    close = list(distinct[1])
    close[0] += 7
    close[5] += 7
    close[10] += 7  # 17 of 20 values agree: 0.85
    signatures = np.array([[0] * 5 + tail for tail in [*distinct, close]], dtype=np.uint32)
    bands = [np.array([hash(tuple(s[b * 5 : b * 5 + 5])) % (2**62) for s in signatures],
                      dtype=np.uint64) for b in range(4)]  # fmt: skip
    outcome = find_duplicates(
        _entries([True, True, True, False]), bands, lambda rows: signatures[rows], 0.7
    )
    assert {row: d.duplicate_of for row, d in outcome.decisions.items()} == {3: "https://x.test/1"}


def _rows(corpus: Path) -> list[tuple]:
    columns = ["id", "url", "duplicate_count", "duplicate_of", "text"]
    table = ds.dataset(corpus / "data", format="parquet").to_table(columns=columns)
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_key_ranges_give_the_same_decisions_as_one_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first = write_warc(tmp_path / "a", _first_run_pages())
    later = [
        ("https://third.test/2026/03/07/rail", _site_b("Rail strike", _paragraphs(1, "en"),
                                                       "2026-03-04T09:00:00+01:00"), HTML),
        ("https://third.test/2026/03/22/manuscripts", _site_b("Manuscripts", _paragraphs(2, "en"),
                                                              "2026-03-22T09:00:00+01:00"), HTML),
    ]  # fmt: skip
    second = write_warc(tmp_path / "b", later, prefix="later")
    results = []
    # one worker (in-process: no pool to start) but for the most ranges (a key each),
    # where two workers take ranges side by side
    caplog.set_level(logging.INFO, logger=batch.__name__)
    ranges = []
    for keys_per_range, workers in ((10**9, 1), (7, 1), (1, 2)):
        monkeypatch.setattr(batch, "ROWS_PER_PARTITION", keys_per_range)
        caplog.clear()
        corpus = tmp_path / f"corpus-{keys_per_range}"
        for warc in (first, second):  # the second run meets the index of the first
            summary = process(
                [warc], corpus, _options(keep_duplicates=True), LocalExecutor(workers),
                records_per_shard=2,
            )  # fmt: skip
            assert not summary.failed
        # the ranges each key column was cut into, in this corpus's two runs
        ranges.append([r.args[1] for r in caplog.records if "key range" in r.getMessage()])
        results.append(_rows(corpus))
        assert not (corpus / ".state" / "dedup" / "pairs").exists()
    assert results[0] == results[1] == results[2]
    assert ranges[0] == [1, 1] and 1 < ranges[1][0] < ranges[2][0], ranges
    tagged = [r for r in results[0] if r[3] is not None]
    assert len(tagged) >= 5  # copies within the first run and of stored documents
