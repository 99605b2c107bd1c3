"""Duplicate clusters: candidate pairs from equal keys, confirmed, joined by union-find.

Keys per document: its URL (the document id), its exact text, and one LSH key per band of
its MinHash signature; every key is scoped to the document's language, so translations
never meet. Documents sharing a URL or text key are duplicates outright; documents sharing
a band key are candidates, confirmed when their signatures agree on at least
``min_similarity`` of their values (an estimate of the Jaccard similarity of their
shingles). Pairs are found by sorting each key column (no hash table of buckets), which
keeps memory at a few bytes per document and key.

Which document a cluster keeps: a document already stored by an earlier run (the corpus
does not change under its users' feet), else the earliest published, then the longest,
then the smallest id (so that the choice never depends on the order of the input). A
keeper takes only the members close to itself, not everything its cluster chains to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from newscorpus.dedup.minhash import Keys, Signatures, similarity

Pairs = npt.NDArray[np.int64]  # (pairs, 2)


@dataclass(slots=True)
class Entries:
    """The documents dedup sees: stored ones (earlier runs) and new ones, row-aligned.

    Per document a few numbers in memory; ids and dates stay in Arrow arrays (Python
    strings only for the members of a cluster); LSH keys are read one band at a time.
    """

    ids: Sequence[str] | pa.Array
    published: Sequence[str | None] | pa.Array
    words: npt.NDArray[np.int64]
    stored: npt.NDArray[np.bool_]
    url_keys: Keys
    text_keys: Keys
    bands: int
    band_of: Callable[[int], Keys]  # band number -> that band's key of every document
    # duplicate_count of the stored documents (1 for new ones)
    counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.words)

    def id_of(self, row: int) -> str:
        value = self.ids[row]
        return str(value.as_py() if isinstance(value, pa.Scalar) else value)

    def published_of(self, row: int) -> str | None:
        value = self.published[row]
        result = value.as_py() if isinstance(value, pa.Scalar) else value
        return None if result is None else str(result)


@dataclass(slots=True)
class Decision:
    """What becomes of one new document."""

    keep: bool
    duplicate_count: int = 1  # of the kept document: the size of its cluster
    duplicate_of: str | None = None  # for a duplicate: the id of the kept document
    reason: str | None = None  # same_url, same_text or near_duplicate


@dataclass(slots=True)
class Outcome:
    decisions: dict[int, Decision]  # new document row -> decision
    stored_counts: dict[int, int]  # stored document row -> its new duplicate_count
    candidate_pairs: int = 0
    confirmed_pairs: int = 0


def equal_key_pairs(keys: Keys, involved: npt.NDArray[np.bool_]) -> Pairs:
    """Pairs of rows with equal keys, at least one of them ``involved``.

    Each member of a group is paired with the group's first member and with its
    predecessor: enough to connect the group even when one member is an outlier.
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return np.zeros((0, 2), dtype=np.int64)
    starts = np.concatenate([[True], ~same])
    group = np.cumsum(starts) - 1
    first_position = np.flatnonzero(starts)[group]
    firsts = order[first_position]
    previous = np.concatenate([[-1], order[:-1]])
    member = np.arange(len(order))
    to_first = member != first_position
    to_previous = np.concatenate([[False], same]) & (first_position != member - 1)
    left = np.concatenate([firsts[to_first], previous[to_previous]])
    right = np.concatenate([order[to_first], order[to_previous]])
    wanted = involved[left] | involved[right]
    return np.stack([left[wanted], right[wanted]], axis=1)


def _unique_pairs(pairs: Pairs) -> Pairs:
    if not len(pairs):
        return pairs
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    return np.unique(np.stack([low, high], axis=1), axis=0)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = np.arange(size)

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:  # path compression
            parent[item], item = root, parent[item]
        return int(root)

    def union(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def find_duplicates(
    entries: Entries,
    signatures_of: Callable[[npt.NDArray[np.int64]], Signatures],
    min_similarity: float,
) -> Outcome:
    """Cluster the new documents with each other and with the stored ones, and decide."""
    size = len(entries)
    new = ~entries.stored
    exact_pairs = [equal_key_pairs(entries.url_keys, new), equal_key_pairs(entries.text_keys, new)]
    near = [equal_key_pairs(entries.band_of(band), new) for band in range(entries.bands)]
    exact = _unique_pairs(np.concatenate(exact_pairs))
    candidates = _unique_pairs(np.concatenate(near)) if near else np.zeros((0, 2), dtype=np.int64)
    # Every row a cluster can hold is in a pair: their signatures are read once, for the
    # confirmation of candidates and for the keepers' decisions.
    rows = np.unique(np.concatenate([exact, candidates]))
    signatures = signatures_of(rows) if entries.bands and len(rows) else None
    confirmed = candidates
    if len(candidates) and signatures is not None:
        position = np.searchsorted(rows, candidates)
        scores = similarity(signatures[position[:, 0]], signatures[position[:, 1]])
        confirmed = candidates[scores >= min_similarity]
    links = UnionFindResult.build(size, [exact, confirmed])
    clusters = [c for c in links.clusters.values() if not entries.stored[c].all()]
    outcome = _decide(entries, clusters, rows, signatures, min_similarity)
    outcome.candidate_pairs, outcome.confirmed_pairs = len(candidates), len(confirmed)
    return outcome


@dataclass(slots=True)
class UnionFindResult:
    clusters: dict[int, list[int]]  # root -> members (only clusters of two or more)

    @classmethod
    def build(cls, size: int, pair_sets: Sequence[Pairs]) -> UnionFindResult:
        """Connected components of the pairs (path-compressed union-find)."""
        union = _UnionFind(size)
        touched: set[int] = set()
        for pairs in pair_sets:
            for first, second in pairs.tolist():
                union.union(first, second)
                touched.update((first, second))
        clusters: dict[int, list[int]] = {}
        for row in sorted(touched):
            clusters.setdefault(union.find(row), []).append(row)
        return cls({root: rows for root, rows in clusters.items() if len(rows) > 1})


def _decide(
    entries: Entries,
    clusters: list[list[int]],
    rows: npt.NDArray[np.int64],  # sorted; ``signatures`` are theirs
    signatures: Signatures | None,
    min_similarity: float,
) -> Outcome:
    """Keeper-centred: the best document of a cluster keeps only what is close to *it*.

    Union-find joins chains (each version of a story updated through the day close to the
    previous one); the last of a chain may share little with the first. So, in rank order,
    each keeper takes the members with its URL, its text or a signature agreeing with its
    own; the others form the rest of the cluster, which gets its own keeper.
    """
    decisions: dict[int, Decision] = {}
    stored_counts: dict[int, int] = {}

    def close(row: int, keeper: int) -> bool:
        if entries.url_keys[row] == entries.url_keys[keeper]:
            return True
        if entries.text_keys[row] == entries.text_keys[keeper]:
            return True
        if signatures is None:
            return False
        first, second = np.searchsorted(rows, [row, keeper])
        return bool(similarity(signatures[first], signatures[second]) >= min_similarity)

    for cluster in clusters:
        # stored documents first: they stay whatever a later copy says
        pool = sorted(cluster, key=lambda m: (not entries.stored[m], _rank(entries, m)))
        while pool and not entries.stored[pool].all():
            keeper, rest = pool[0], pool[1:]
            group = [m for m in rest if close(m, keeper)]
            taken = set(group)
            pool = [m for m in rest if m not in taken]
            copies = [m for m in group if not entries.stored[m]]
            if entries.stored[keeper]:
                if not copies:
                    continue
                total = int(stored_counts.get(keeper, entries.counts[keeper])) + len(copies)
                stored_counts[keeper] = total
            else:
                total = 1 + len(copies)
                if copies:
                    decisions[keeper] = Decision(keep=True, duplicate_count=total)
            for copy in copies:
                decisions[copy] = Decision(
                    keep=False,
                    duplicate_count=total,
                    duplicate_of=entries.id_of(keeper),
                    reason=_reason(entries, copy, keeper),
                )
    return Outcome(decisions, stored_counts)


def _rank(entries: Entries, row: int) -> tuple[bool, str, bool, str, int, str]:
    """Earliest publication first: by day, then a known time before a bare date (on the
    same day, the copy that gives its time is the better witness), then by instant."""
    day, has_time, instant = _published(entries.published_of(row))
    words = -int(entries.words[row])
    return (day is None, day or "", not has_time, instant, words, entries.id_of(row))


def _published(value: str | None) -> tuple[str | None, bool, str]:
    if not value:
        return None, False, ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:10], False, value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.date().isoformat(), "T" in value, moment.isoformat()


def _reason(entries: Entries, row: int, keeper: int) -> str:
    if entries.url_keys[row] == entries.url_keys[keeper]:
        return "same_url"
    if entries.text_keys[row] == entries.text_keys[keeper]:
        return "same_text"
    return "near_duplicate"
