"""Near-duplicate detection: newscorpus against datasketch and rensa, same data, same parameters.

Synthetic news-length documents (300-500 words drawn from a Zipf vocabulary of 50,000
words, in sentences) with planted near-duplicates: 10% of the documents are edited copies
of earlier ones (words replaced, a sentence dropped or added), their true Jaccard
similarity on 5-word shingles spread over 0.5-1.0. Every contender runs end to end on the
same texts, shingling included, with 112 hash values in 14 bands of 8 rows:

- datasketch: ``MinHash(num_perm=112).update_batch`` of the 5-gram shingles, then
  ``MinHashLSH(params=(14, 8))`` insert and query;
- rensa (objects): ``RMinHash.from_token_sets`` + ``RMinHashLSH`` insert and ``query_all``;
- rensa (matrix): ``RMinHash.digest_matrix_from_token_sets`` +
  ``insert_matrix_and_query_duplicate_flags``, rensa's fastest path (it gives flags, not
  pairs, so only its speed is compared);
- newscorpus: ``MinHasher.signatures`` in batches, ``band_keys`` and ``find_duplicates``
  (LSH by sorting, candidates confirmed at a signature agreement of 0.7, union-find).

Each contender runs in its own process (peak memory = its VmHWM; the texts are generated
batch by batch and the generation is not timed). Recall: planted pairs with true Jaccard
>= 0.8 that end in one cluster; precision: found pairs whose true Jaccard is >= 0.7 (on a
sample of 20,000 found pairs).

    python benchmarks/dedup_throughput.py [--sizes 100000 1000000] [--datasketch-max 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

NUM_PERM, BANDS, ROWS, NGRAM = 112, 14, 8, 5
BATCH = 5_000
PLANTED_SHARE = 0.10
VOCABULARY = 50_000
CONFIRM = 0.7


# --- data -------------------------------------------------------------------------------


def _vocabulary() -> np.ndarray:
    rng = np.random.default_rng(42)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = np.clip(rng.poisson(5, VOCABULARY) + 1, 1, 14)
    return np.array(["".join(rng.choice(letters, n)) for n in lengths])


_WORDS = _vocabulary()
_ZIPF = 1.0 / np.arange(1, VOCABULARY + 1) ** 1.05
_CDF = np.cumsum(_ZIPF / _ZIPF.sum())


def _draw(rng: np.random.Generator, count: int) -> np.ndarray:
    return _WORDS[np.minimum(np.searchsorted(_CDF, rng.random(count)), VOCABULARY - 1)]


def _words(seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(300, 500))
    words = list(_draw(rng, count))
    for position in range(int(rng.integers(8, 16)), count, int(rng.integers(12, 22))):
        words[position] += "."
    return words


def source_of(doc: int, total: int) -> int | None:
    """The earlier document that ``doc`` copies, or None (planted with a fixed rule)."""
    rng = np.random.default_rng(doc * 7 + 1)
    if doc < 10 or rng.random() >= PLANTED_SHARE:
        return None
    return int(rng.integers(0, doc))


def words_of(doc: int, total: int) -> list[str]:
    source = source_of(doc, total)
    if source is None:
        return _words(doc)
    words = list(_words(source))
    rng = np.random.default_rng(doc)
    rate = float(rng.uniform(0.0, 0.06))  # share of words replaced
    for position in np.flatnonzero(rng.random(len(words)) < rate):
        words[position] = str(_WORDS[rng.integers(VOCABULARY)])
    if rng.random() < 0.3:  # a sentence added at the end
        words += list(_draw(rng, 15))
    return words


def text_of(doc: int, total: int) -> str:
    return " ".join(words_of(doc, total))


def shingles(words: list[str]) -> set[str]:
    lowered = [w.casefold() for w in words]
    return {" ".join(lowered[i : i + NGRAM]) for i in range(max(len(lowered) - NGRAM + 1, 1))}


def jaccard(a: int, b: int, total: int) -> float:
    first, second = shingles(words_of(a, total)), shingles(words_of(b, total))
    return len(first & second) / len(first | second)


def batches(total: int) -> Iterator[tuple[int, list[str]]]:
    for start in range(0, total, BATCH):
        yield start, [text_of(i, total) for i in range(start, min(start + BATCH, total))]


# --- contenders (each runs in its own process) -------------------------------------------


def _shingle_lists(texts: list[str]) -> list[list[str]]:
    result = []
    for text in texts:
        words = text.casefold().split()
        result.append([" ".join(words[i : i + NGRAM]) for i in range(max(len(words) - 4, 1))])
    return result


def run_newscorpus(total: int) -> tuple[float, list[tuple[int, int]]]:
    from newscorpus.dedup.clusters import Entries, find_duplicates
    from newscorpus.dedup.minhash import MinHasher, band_keys

    hasher = MinHasher(num_hashes=NUM_PERM, ngram=NGRAM)
    parts, elapsed = [], 0.0
    for _, texts in batches(total):
        start = time.perf_counter()
        parts.append(hasher.signatures(texts))
        elapsed += time.perf_counter() - start
    start = time.perf_counter()
    signatures = np.concatenate(parts)
    del parts
    ids = [f"{i:016x}" for i in range(total)]
    keys = band_keys(signatures, ["en"] * total, BANDS, ROWS)
    entries = Entries(
        ids=ids,
        published=[None] * total,
        words=np.zeros(total, dtype=np.int64),
        stored=np.zeros(total, dtype=bool),
        url_keys=np.arange(total, dtype=np.uint64),  # all distinct: URL and text keys
        text_keys=np.arange(total, dtype=np.uint64) + np.uint64(total),  # play no part here
    )
    bands = [keys[:, band] for band in range(BANDS)]
    outcome = find_duplicates(entries, bands, lambda rows: signatures[rows], CONFIRM)
    elapsed += time.perf_counter() - start
    index = {doc_id: n for n, doc_id in enumerate(ids)}
    pairs = [
        (row, index[d.duplicate_of])
        for row, d in outcome.decisions.items()
        if not d.keep and d.duplicate_of
    ]
    return elapsed, pairs


def run_datasketch(total: int) -> tuple[float, list[tuple[int, int]]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    pairs, elapsed = [], 0.0
    for first, texts in batches(total):
        start = time.perf_counter()
        for offset, tokens in enumerate(_shingle_lists(texts)):
            minhash = MinHash(num_perm=NUM_PERM, seed=1)
            minhash.update_batch([t.encode("utf-8") for t in tokens])
            key = first + offset
            pairs += [(key, other) for other in lsh.query(minhash)]
            lsh.insert(key, minhash)
        elapsed += time.perf_counter() - start
    return elapsed, pairs


def run_rensa_objects(total: int) -> tuple[float, list[tuple[int, int]]]:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=CONFIRM, num_perm=NUM_PERM, num_bands=BANDS)
    pairs, elapsed = [], 0.0
    for first, texts in batches(total):
        start = time.perf_counter()
        minhashes = RMinHash.from_token_sets(_shingle_lists(texts), NUM_PERM, 1)
        for offset, minhash in enumerate(minhashes):
            lsh.insert(first + offset, minhash)
        for offset, candidates in enumerate(lsh.query_all(minhashes)):
            key = first + offset
            pairs += [(key, other) for other in candidates if other < key]
        elapsed += time.perf_counter() - start
    return elapsed, pairs


def run_rensa_matrix(total: int) -> tuple[float, list[tuple[int, int]]]:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=CONFIRM, num_perm=NUM_PERM, num_bands=BANDS)
    elapsed, flagged = 0.0, 0
    for first, texts in batches(total):
        start = time.perf_counter()
        matrix = RMinHash.digest_matrix_from_token_sets(_shingle_lists(texts), NUM_PERM, 1)
        flags = lsh.insert_matrix_and_query_duplicate_flags(matrix, start_key=first)
        flagged += int(sum(flags))
        elapsed += time.perf_counter() - start
    return elapsed, []


CONTENDERS = {
    "datasketch": run_datasketch,
    "rensa (objects)": run_rensa_objects,
    "rensa (matrix)": run_rensa_matrix,
    "newscorpus": run_newscorpus,
}


def _peak_mb() -> float:
    for line in open("/proc/self/status", encoding="ascii"):  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(name: str, total: int) -> None:
    elapsed, pairs = CONTENDERS[name](total)
    json.dump({"seconds": elapsed, "pairs": pairs, "peak_mb": _peak_mb()}, sys.stdout)


# --- scoring ----------------------------------------------------------------------------


@dataclass(slots=True)
class Score:
    recall: float
    precision: float
    planted: int


_STRONG: dict[int, list[tuple[int, int]]] = {}


def strong_pairs(total: int) -> list[tuple[int, int]]:
    """Planted pairs with a true Jaccard of at least 0.8 (computed once per size)."""
    if total not in _STRONG:
        planted = [(d, s) for d in range(total) if (s := source_of(d, total)) is not None]
        _STRONG[total] = [(d, s) for d, s in planted if jaccard(d, s, total) >= 0.8]
    return _STRONG[total]


def score(pairs: list[tuple[int, int]], total: int) -> Score:
    parent = list(range(total))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    strong = strong_pairs(total)
    found = sum(1 for d, s in strong if find(d) == find(s))
    rng = np.random.default_rng(0)
    sample = [pairs[i] for i in rng.permutation(len(pairs))[:20_000]] if pairs else []
    good = sum(1 for a, b in sample if jaccard(a, b, total) >= CONFIRM)
    return Score(
        recall=found / len(strong) if strong else float("nan"),
        precision=good / len(sample) if sample else float("nan"),
        planted=len(strong),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--datasketch-max",
        type=int,
        default=100_000,
        help="run datasketch on at most this many documents (it needs ~1 ms each)",
    )
    parser.add_argument(
        "--only", nargs="+", choices=sorted(CONTENDERS), help="run only these contenders"
    )
    parser.add_argument("--child", nargs=2, metavar=("NAME", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    for total in args.sizes:
        print(f"\n{total:,} documents, {NUM_PERM} hash values, {BANDS} bands x {ROWS} rows")
        print(f"{'':18} {'docs':>9} {'docs/s':>9} {'peak MB':>8} {'recall':>7} {'precision':>9}")
        rates = {}
        for name in args.only or list(CONTENDERS):
            size = min(total, args.datasketch_max) if name == "datasketch" else total
            command = [sys.executable, __file__, "--child", name, str(size)]
            result = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
            rate = size / result["seconds"]
            rates[name] = rate
            if result["pairs"] or name != "rensa (matrix)":
                quality = score([tuple(p) for p in result["pairs"]], size)
                recall, precision = f"{quality.recall:7.3f}", f"{quality.precision:9.3f}"
            else:
                recall, precision = f"{'-':>7}", f"{'-':>9}"
            print(
                f"{name:18} {size:9,} {rate:9,.0f} {result['peak_mb']:8,.0f} {recall} {precision}",
                flush=True,
            )
        if set(rates) != set(CONTENDERS):
            continue
        ours = rates["newscorpus"]
        print(
            f"newscorpus / datasketch: {ours / rates['datasketch']:.1f}x (target >= 10x); "
            f"/ rensa objects: {ours / rates['rensa (objects)']:.2f}x; "
            f"/ rensa matrix: {ours / rates['rensa (matrix)']:.2f}x (target >= 1x)"
        )


if __name__ == "__main__":
    main()
