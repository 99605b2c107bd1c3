"""Duplicate clusters: candidate pairs from equal keys, confirmed, joined into components.

Keys per document: its URL (the document id), its exact text, and one LSH key per band of
its MinHash signature; every key is scoped to the document's language, so translations
never meet. Documents sharing a URL or text key are duplicates outright; documents sharing
a band key are candidates, confirmed when their signatures agree on at least
``min_similarity`` of their values (an estimate of the Jaccard similarity of their
shingles). Pairs are found by sorting each key column (no hash table of buckets), which
keeps memory at a few bytes per document and key.

The work splits the way datatrove and text-dedup split it, so that it scales with
workers (``newscorpus.dedup.batch`` runs the parts): pairs per key column (and key
range) -> connected components of all pairs -> a decision per component. Only the
components step sees every pair, and it reads the documents of the components alone.

Which document a cluster keeps: a document already stored by an earlier run (the corpus
does not change under its users' feet), else the earliest published, then the one
fetched at its own canonical URL (not its AMP twin, not a syndicated copy pointing to the
original), then the longest, then the smallest id (so that the choice never depends on the
order of the input). A
keeper takes only the members close to itself, not everything its cluster chains to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from newscorpus.dedup.minhash import Keys, Signatures, similarity
from newscorpus.document import Changes, Update

Pairs = npt.NDArray[np.int64]  # (pairs, 2)


@dataclass(slots=True)
class Entries:
    """Documents as dedup sees them, row-aligned: stored ones (earlier runs) and new ones.

    Per document a few numbers; ids and dates stay in Arrow arrays (Python strings only
    for the members of a cluster).
    """

    ids: Sequence[str] | pa.Array
    published: Sequence[str | None] | pa.Array
    words: npt.NDArray[np.int64]
    stored: npt.NDArray[np.bool_]
    url_keys: Keys
    text_keys: Keys
    # duplicate_count of the stored documents (1 for new ones)
    counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # fetched at its own canonical URL (all, when not given)
    at_canonical: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __len__(self) -> int:
        return len(self.words)

    def id_of(self, row: int) -> str:
        value = self.ids[row]
        return str(value.as_py() if isinstance(value, pa.Scalar) else value)

    def published_of(self, row: int) -> str | None:
        value = self.published[row]
        result = value.as_py() if isinstance(value, pa.Scalar) else value
        return None if result is None else str(result)

    def take(self, rows: npt.NDArray[np.int64]) -> Entries:
        """The entries of ``rows`` only, in that order."""

        def pick(values: Sequence[Any] | pa.Array) -> Sequence[Any] | pa.Array:
            if isinstance(values, pa.Array | pa.ChunkedArray):
                return values.take(pa.array(rows, pa.int64()))
            return [values[row] for row in rows.tolist()]

        counts = self.counts[rows] if len(self.counts) else np.ones(len(rows), dtype=np.int64)
        at_canonical = (
            self.at_canonical[rows] if len(self.at_canonical) else np.ones(len(rows), np.bool_)
        )
        return Entries(
            ids=pick(self.ids),
            published=pick(self.published),
            words=self.words[rows],
            stored=self.stored[rows],
            url_keys=self.url_keys[rows],
            text_keys=self.text_keys[rows],
            counts=counts,
            at_canonical=at_canonical,
        )


@dataclass(slots=True)
class Decision:
    """What becomes of one new document."""

    keep: bool
    duplicate_count: int = 1  # of the kept document: the size of its cluster
    duplicate_of: str | None = None  # for a duplicate: the id of the kept document
    reason: str | None = None  # same_url, same_text, near_duplicate or earlier_version
    # A version of an article that changed (``dedup.versions``): its number, the first
    # fetch of version 1, what changed since the version before; written to versions/.
    version: int | None = None
    first_seen: str | None = None
    changes: Changes | None = None
    # A live blog's updates over its versions, when a later fetch no longer shows some
    updates: list[Update] | None = None


@dataclass(slots=True)
class Outcome:
    decisions: dict[int, Decision]  # new document row -> decision
    stored_counts: dict[int, int]  # stored document row -> its new duplicate_count
    candidate_pairs: int = 0
    confirmed_pairs: int = 0


def no_pairs() -> Pairs:
    return np.zeros((0, 2), dtype=np.int64)


MAX_BUCKET = 64  # members of one LSH bucket compared pairwise; larger buckets are chained


def _groups(keys: Keys) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[Any]]:
    """(rows in key order, start of each group of equal keys in that order, group sizes)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    sizes = np.diff(np.append(starts, len(keys)))
    return order, starts, sizes


def _chained(order: npt.NDArray[np.int64], starts: Any, sizes: Any) -> Pairs:
    """Each member of the groups paired with its group's first member and its
    predecessor: enough to connect a group even when one member is an outlier."""
    if not len(starts):
        return no_pairs()
    first = np.repeat(starts, sizes)
    positions = first + np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    later = positions != first
    to_previous = later & (positions - 1 != first)
    left = np.concatenate([order[first[later]], order[positions[to_previous] - 1]])
    right = np.concatenate([order[positions[later]], order[positions[to_previous]]])
    return np.stack([left, right], axis=1)


def equal_key_pairs(keys: Keys, involved: npt.NDArray[np.bool_], every_pair: bool = False) -> Pairs:
    """Pairs of rows with equal keys, at least one of them ``involved``.

    Exact keys (URL, text): members are chained (first member and predecessor), which
    connects the group. LSH band keys (``every_pair``): members of a bucket are only
    candidates, each pair confirmed on its own, so every pair of a bucket is proposed (as
    datatrove and text-dedup do); a bucket larger than ``MAX_BUCKET`` (a template
    shared by many pages) is chained instead.
    """
    if len(keys) < 2:
        return no_pairs()
    order, starts, sizes = _groups(keys)
    multi = sizes >= 2
    if not multi.any():
        return no_pairs()
    parts = []
    chained = multi & (sizes > MAX_BUCKET) if every_pair else multi
    parts.append(_chained(order, starts[chained], sizes[chained]))
    if every_pair:
        small = multi & (sizes <= MAX_BUCKET)
        for size in np.unique(sizes[small]).tolist():
            firsts = starts[small & (sizes == size)]
            upper, lower = np.triu_indices(size, 1)
            left = order[(firsts[:, None] + upper[None, :]).ravel()]
            right = order[(firsts[:, None] + lower[None, :]).ravel()]
            parts.append(np.stack([left, right], axis=1))
    pairs = np.concatenate(parts)
    return pairs[involved[pairs[:, 0]] | involved[pairs[:, 1]]]


def unique_pairs(pairs: Pairs) -> Pairs:
    """Each pair once, as (smaller row, larger row), sorted."""
    if not len(pairs):
        return no_pairs()
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    return np.unique(np.stack([low, high], axis=1), axis=0)


def agreeing(
    candidates: Pairs,
    signatures_of: Callable[[npt.NDArray[np.int64]], Signatures],
    min_similarity: float,
) -> npt.NDArray[np.bool_]:
    """Which candidate pairs have signatures agreeing on at least ``min_similarity``."""
    if not len(candidates):
        return np.zeros(0, dtype=bool)
    rows = np.unique(candidates)
    signatures = signatures_of(rows)
    position = np.searchsorted(rows, candidates)
    scores = similarity(signatures[position[:, 0]], signatures[position[:, 1]])
    return np.asarray(scores >= min_similarity, dtype=bool)


def connected_components(pairs: Pairs) -> list[npt.NDArray[np.int64]]:
    """The rows joined by ``pairs``, component by component (each sorted, two or more).

    Hook and shortcut on whole arrays: each round, every pair whose ends have different
    roots hooks the larger root under the smaller one, then every row follows its
    pointers to its root. A root survives a round only when no neighbouring root is
    smaller, so at least half of the roots go each round: about log2(rows) rounds, even
    for one long chain.
    """
    if not len(pairs):
        return []
    nodes, inverse = np.unique(pairs, return_inverse=True)
    left, right = inverse.reshape(-1, 2).T
    parent = np.arange(len(nodes))
    while True:
        first, second = parent[left], parent[right]
        across = first != second
        if not across.any():
            break
        low, high = np.minimum(first, second)[across], np.maximum(first, second)[across]
        np.minimum.at(parent, high, low)  # roots only: ``parent`` points at roots here
        while True:  # shortcut: every row to its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    order = np.argsort(parent, kind="stable")
    bounds = np.flatnonzero(np.diff(parent[order])) + 1
    return [nodes[part] for part in np.split(order, bounds)]


def decide(
    entries: Entries,
    clusters: Sequence[npt.NDArray[np.int64]],
    signatures: Signatures | None,
    min_similarity: float,
    successors: Mapping[int, int] | None = None,
) -> Outcome:
    """Keeper-centred: the best document of a cluster keeps only what is close to *it*.

    ``clusters`` are rows of ``entries``; ``signatures`` (when near duplicates are
    sought) are row-aligned with ``entries``. Components join chains (each version of a
    story updated through the day close to the previous one); the last of a chain may
    share little with the first. So, in rank order, each keeper takes the members with
    its URL, its text or a signature agreeing with its own; the others form the rest of
    the cluster, which gets its own keeper.

    ``successors`` are new documents that take the place of a stored one (its next
    version, ``dedup.versions``), with the stored one's ``duplicate_count``: kept like
    stored documents, whatever a copy says, but written by this batch.
    """
    decisions: dict[int, Decision] = {}
    stored_counts: dict[int, int] = {}
    successors = successors or {}

    def close(row: int, keeper: int) -> bool:
        if entries.url_keys[row] == entries.url_keys[keeper]:
            return True
        if entries.text_keys[row] == entries.text_keys[keeper]:
            return True
        if signatures is None:
            return False
        return bool(similarity(signatures[row], signatures[keeper]) >= min_similarity)

    def fixed(row: int) -> bool:
        return bool(entries.stored[row]) or row in successors

    for cluster in clusters:
        # stored documents (and their successors) first: they stay whatever a later copy says
        members = cluster.tolist()
        pool = sorted(members, key=lambda m: (not fixed(m), _rank(entries, m)))
        while pool and not entries.stored[pool].all():
            keeper, rest = pool[0], pool[1:]
            group = [m for m in rest if close(m, keeper)]
            taken = set(group)
            pool = [m for m in rest if m not in taken]
            copies = [m for m in group if not fixed(m)]
            if entries.stored[keeper]:
                if not copies:
                    continue
                total = int(stored_counts.get(keeper, entries.counts[keeper])) + len(copies)
                stored_counts[keeper] = total
            else:
                total = successors.get(keeper, 1) + len(copies)
                if total > 1:
                    decisions[keeper] = Decision(keep=True, duplicate_count=total)
            for copy in copies:
                decisions[copy] = Decision(
                    keep=False,
                    duplicate_count=total,
                    duplicate_of=entries.id_of(keeper),
                    reason=_reason(entries, copy, keeper),
                )
    return Outcome(decisions, stored_counts)


def decide_components(
    entries_of: Callable[[npt.NDArray[np.int64]], Entries],
    signatures_of: Callable[[npt.NDArray[np.int64]], Signatures] | None,
    exact: Pairs,
    confirmed: Pairs,
    min_similarity: float,
    successors: Mapping[int, int] | None = None,
) -> Outcome:
    """Components of the pairs, then a decision per component; only the documents of the
    components are read (``entries_of``/``signatures_of`` take sorted rows). Rows of the
    outcome (and of ``successors``) are the rows of the pairs."""
    components = connected_components(np.concatenate([exact, confirmed]))
    rows = np.unique(np.concatenate(components)) if components else np.zeros(0, np.int64)
    entries = entries_of(rows)
    clusters = [np.searchsorted(rows, c) for c in components]
    clusters = [c for c in clusters if not entries.stored[c].all()]
    signatures = signatures_of(rows) if signatures_of is not None and len(rows) else None
    present = set(rows.tolist())
    local_successors = {
        int(np.searchsorted(rows, row)): count
        for row, count in (successors or {}).items()
        if row in present
    }
    local = decide(entries, clusters, signatures, min_similarity, local_successors)
    return Outcome(
        {int(rows[r]): d for r, d in local.decisions.items()},
        {int(rows[r]): c for r, c in local.stored_counts.items()},
    )


def find_duplicates(
    entries: Entries,
    bands: Sequence[Keys],
    signatures_of: Callable[[npt.NDArray[np.int64]], Signatures],
    min_similarity: float,
) -> Outcome:
    """All steps in one process, for documents held in memory (``bands``: one key
    array per LSH band, row-aligned with ``entries``)."""
    new = ~entries.stored
    exact = unique_pairs(
        np.concatenate(
            [equal_key_pairs(entries.url_keys, new), equal_key_pairs(entries.text_keys, new)]
        )
    )
    near = [equal_key_pairs(keys, new, every_pair=True) for keys in bands]
    candidates = unique_pairs(np.concatenate(near)) if near else no_pairs()
    confirmed = candidates[agreeing(candidates, signatures_of, min_similarity)]
    outcome = decide_components(
        entries.take, signatures_of if bands else None, exact, confirmed, min_similarity
    )
    outcome.candidate_pairs, outcome.confirmed_pairs = len(candidates), len(confirmed)
    return outcome


def _rank(entries: Entries, row: int) -> tuple[bool, str, bool, str, bool, int, str]:
    """Earliest publication first: by day, then a known time before a bare date (on the
    same day, the copy that gives its time is the better witness), then by instant; then
    the page at its canonical URL before its twins."""
    day, has_time, instant = _published(entries.published_of(row))
    elsewhere = bool(len(entries.at_canonical)) and not entries.at_canonical[row]
    words = -int(entries.words[row])
    return (day is None, day or "", not has_time, instant, elsewhere, words, entries.id_of(row))


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
