"""The parts of distributed dedup: components of pairs, and key ranges of the shuffle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.dataset as ds

from newscorpus.dedup.clusters import connected_components
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


def test_a_long_chain_is_one_component() -> None:
    chain = np.stack([np.arange(5000), np.arange(1, 5001)], axis=1)[::-1].copy()
    (component,) = connected_components(chain)
    assert component.tolist() == list(range(5001))
    assert connected_components(np.zeros((0, 2), dtype=np.int64)) == []


def _rows(corpus: Path) -> list[tuple]:
    columns = ["id", "url", "duplicate_count", "duplicate_of", "text"]
    table = ds.dataset(corpus / "data", format="parquet").to_table(columns=columns)
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_key_ranges_give_the_same_decisions_as_one_range(tmp_path: Path) -> None:
    first = write_warc(tmp_path / "a", _first_run_pages())
    later = [
        ("https://third.test/2026/03/07/rail", _site_b("Rail strike", _paragraphs(1, "en"),
                                                       "2026-03-04T09:00:00+01:00"), HTML),
        ("https://third.test/2026/03/22/manuscripts", _site_b("Manuscripts", _paragraphs(2, "en"),
                                                              "2026-03-22T09:00:00+01:00"), HTML),
    ]  # fmt: skip
    second = write_warc(tmp_path / "b", later, prefix="later")
    results = []
    for partitions in (1, 3, 16):
        corpus = tmp_path / f"corpus-{partitions}"
        for warc in (first, second):  # the second run meets the index of the first
            summary = process(
                [warc], corpus, _options(keep_duplicates=True), LocalExecutor(2),
                records_per_shard=2, dedup_partitions=partitions,
            )  # fmt: skip
            assert not summary.failed
        results.append(_rows(corpus))
        assert not (corpus / ".state" / "dedup" / "pairs").exists()
    assert results[0] == results[1] == results[2]
    tagged = [r for r in results[0] if r[3] is not None]
    assert len(tagged) >= 5  # copies within the first run and of stored documents
