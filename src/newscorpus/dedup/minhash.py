"""MinHash signatures and LSH band keys, vectorised with numpy.

Shingles are n-grams of tokens, where a token is a word, or a single character in scripts
written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan): word
n-grams for most languages and character n-grams for those, from one tokeniser
(``newscorpus.document.words_of``).

Hashing is done on whole batches of documents at once:

- tokens are hashed with a polynomial hash over their UTF-8 bytes, computed for all
  tokens of the batch from one prefix sum (mod 2**64, uint64 arithmetic wraps);
- shingle hashes combine ``ngram`` consecutive token hashes, then a 64-bit mixer;
- signatures use one-permutation hashing (Li, Owen & Zhang 2012) with optimal
  densification (Shrivastava 2017): each shingle hash picks one of ``num_hashes`` bins
  and the signature keeps each bin's minimum, so a document costs one hash per shingle
  instead of ``num_hashes``; an empty bin borrows from a donor bin chosen by hashing.
  The probability that two signatures agree at a position is the Jaccard similarity of
  the shingle sets, as with ``num_hashes`` independent permutations.

Everything is deterministic: the same text gives the same signature in any process, run
or machine, so signatures can be stored and compared across runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from newscorpus.document import UNSPACED

U64 = np.uint64
Signatures = npt.NDArray[np.uint32]  # (documents, num_hashes)
Keys = npt.NDArray[np.uint64]

_BASE = 0x100000001B3  # odd: invertible modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 2**64)
_SEPARATOR = 0  # byte between tokens; never inside a UTF-8 encoded token
_EMPTY = np.uint32(0xFFFFFFFF)


def mix64(values: Keys) -> Keys:
    """splitmix64's finaliser: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> U64(30))
        values = values * U64(0xBF58476D1CE4E5B9)
        values = values ^ (values >> U64(27))
        values = values * U64(0x94D049BB133111EB)
        return values ^ (values >> U64(31))


_SPACE = re.compile("[\\s\u1361]")  # and the Ethiopic word space, as in ``words_of``
CHUNK_CHARS = 2_000_000
# Memory of hashing is bounded by these, not by the length of a text: the bytes of a
# batch are hashed ``PIECE_BYTES`` at a time (the powers table never grows past that, bar
# one longer token), its shingles ``PIECE_SHINGLES`` at a time.
PIECE_BYTES = 1 << 20
PIECE_SHINGLES = 1 << 18


def _spaced(text: str) -> str:
    """The text with its tokens between spaces, as ``words_of`` cuts them: words, or
    single characters of the scripts written without spaces. Other spaces do not matter:
    hashing cuts tokens at any run of ASCII spaces. (A regex substitution: a list of
    ``words_of`` would take ~80 bytes per character of such a script.)"""
    if not UNSPACED.search(text) and "\u1361" not in text:
        return text
    return UNSPACED.sub(r" \g<0> ", _SPACE.sub(" ", text))


class _Powers:
    """BASE**k and BASE**-k modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.forward = np.ones(1, dtype=U64)
        self.inverse = np.ones(1, dtype=U64)

    def upto(self, length: int) -> tuple[Keys, Keys]:
        if len(self.forward) < length:
            size = max(length, 2 * len(self.forward), 1 << 16)
            with np.errstate(over="ignore"):
                self.forward = np.cumprod(np.full(size, _BASE, dtype=U64), dtype=U64)
                self.forward = np.concatenate([np.ones(1, dtype=U64), self.forward[:-1]])
                self.inverse = np.cumprod(np.full(size, _BASE_INVERSE, dtype=U64), dtype=U64)
                self.inverse = np.concatenate([np.ones(1, dtype=U64), self.inverse[:-1]])
        return self.forward, self.inverse


_POWERS = _Powers()


class MinHasher:
    """Signatures of ``num_hashes`` values over ``ngram``-token shingles."""

    __slots__ = ("_gram_weights", "_seed_key", "ngram", "num_hashes", "seed")

    def __init__(self, num_hashes: int = 112, ngram: int = 5, seed: int = 1) -> None:
        self.num_hashes, self.ngram, self.seed = num_hashes, ngram, seed
        if not 1 <= self.num_hashes <= 4096 or self.ngram < 1:
            raise ValueError("num_hashes must be within 1..4096 and ngram at least 1")
        rng = np.random.default_rng(self.seed)
        self._gram_weights = rng.integers(1, 2**63, size=self.ngram, dtype=U64) | U64(1)
        self._seed_key = U64(rng.integers(1, 2**63, dtype=U64))

    def signatures(self, texts: Sequence[str]) -> Signatures:
        """One signature row per text (a text without any token gets an all-empty row)."""
        parts, chunk, size = [], [], 0
        for text in texts:  # chunks of ~CHUNK_CHARS keep the hashing tables small
            chunk.append(text)
            size += len(text)
            if size >= CHUNK_CHARS:
                parts.append(self._chunk_signatures(chunk))
                chunk, size = [], 0
        if chunk or not parts:
            parts.append(self._chunk_signatures(chunk))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _chunk_signatures(self, texts: list[str]) -> Signatures:
        token_hashes, counts = self._token_hashes([text.casefold() for text in texts])
        flat = np.full(len(texts) * self.num_hashes, _EMPTY, dtype=np.uint32)
        for shingles, owners in self._shingles(token_hashes, counts):
            self._one_permutation(shingles, owners, flat)
        return _densify(flat.reshape(len(texts), self.num_hashes))

    def _token_hashes(self, texts: list[str]) -> tuple[Keys, npt.NDArray[np.int64]]:
        """Polynomial hash of each token's UTF-8 bytes, for all texts at once; and the
        number of tokens of each text. Tokens are separated by whitespace, and each
        character of a script written without spaces is a token of its own."""
        joined = "\x00".join(texts).encode("utf-8", "surrogatepass")
        data = np.frombuffer(joined, dtype=np.uint8)
        # UTF-8 lead bytes of U+0800-1FFF (Thai to Khmer, and Ethiopic) and U+3000 on (kana,
        # Han): maybe a script written without spaces
        if ((data >= 0xE3) | ((data & 0xFE) == 0xE0)).any():
            texts = [_spaced(text) for text in texts]
            joined = "\x00".join(texts).encode("utf-8", "surrogatepass")
            data = np.frombuffer(joined, dtype=np.uint8)
        separators = np.flatnonzero(data == 0)
        if len(separators) != len(texts) - 1:  # a text holds NUL bytes: measure each one
            sizes = [len(t.encode("utf-8", "surrogatepass")) for t in texts]
            separators = np.cumsum(sizes)[:-1] + np.arange(len(texts) - 1)
        text_starts = np.concatenate([[0], separators + 1])
        # Bytes up to 32 (spaces, controls, the NUL between texts) separate tokens; token i
        # spans bytes [starts[i], ends[i]).
        word = data > 32
        boundary = np.empty(len(data) + 1, dtype=bool)
        boundary[0], boundary[-1] = word[0] if len(word) else False, False
        np.not_equal(word[1:], word[:-1], out=boundary[1:-1])
        if len(word) and word[-1]:
            boundary[-1] = True
        edges = np.flatnonzero(boundary)  # alternately a start and an end
        starts, ends = edges[0::2], edges[1::2]
        owners = np.searchsorted(text_starts, starts, side="right") - 1
        counts = np.bincount(owners, minlength=len(texts)).astype(np.int64)
        if not len(starts):
            return np.zeros(0, dtype=U64), counts
        sums = np.empty(len(starts), dtype=U64)
        first = 0
        while first < len(starts):  # a piece of whole tokens, ~PIECE_BYTES bytes
            base = int(starts[first])
            last = max(int(np.searchsorted(ends, base + PIECE_BYTES, side="right")), first + 1)
            part = data[base : int(ends[last - 1])]
            forward, inverse = _POWERS.upto(len(part) + 1)
            piece_starts, piece_ends = starts[first:last] - base, ends[first:last] - base
            with np.errstate(over="ignore"):
                prefix = np.empty(len(part) + 1, dtype=U64)
                prefix[0] = 0
                np.cumsum(
                    np.multiply(part, inverse[: len(part)], dtype=U64), dtype=U64, out=prefix[1:]
                )
                # sum over the token of byte * BASE**-position, shifted to start at BASE**0:
                # the same wherever the piece starts
                sums[first:last] = (prefix[piece_ends] - prefix[piece_starts]) * forward[
                    piece_ends - 1
                ]
            first = last
        lengths = (ends - starts).astype(U64)
        with np.errstate(over="ignore"):
            return mix64(sums ^ (lengths << U64(56)) ^ self._seed_key), counts

    def _shingles(
        self, token_hashes: Keys, counts: npt.NDArray[np.int64]
    ) -> Iterator[tuple[Keys, npt.NDArray[np.int64]]]:
        """Hashes of every ``ngram`` window inside each document, and each one's document,
        ``PIECE_SHINGLES`` windows at a time."""
        n = self.ngram
        docs = np.arange(len(counts))
        total = len(token_hashes)
        if total == 0:
            return
        owner_of_token = np.repeat(docs, counts)
        windows = max(total - n + 1, 0)
        for first in range(0, windows, PIECE_SHINGLES):
            size = min(PIECE_SHINGLES, windows - first)
            with np.errstate(over="ignore"):
                combined = np.zeros(size, dtype=U64)
                for k in range(n):
                    combined += token_hashes[first + k : first + k + size] * self._gram_weights[k]
            owners = owner_of_token[first : first + size]
            # a window is valid when its last token belongs to the same document as its first
            valid = owner_of_token[first + n - 1 : first + n - 1 + size] == owners
            yield mix64(combined[valid]), owners[valid]
        # documents shorter than one window: a single shingle of all their tokens
        short = docs[(counts > 0) & (counts < n)]
        if len(short):
            offsets = np.concatenate([[0], np.cumsum(counts)])
            extra = np.empty(len(short), dtype=U64)
            with np.errstate(over="ignore"):
                for i, doc in enumerate(short):
                    part = token_hashes[offsets[doc] : offsets[doc + 1]]
                    extra[i] = np.sum(part * self._gram_weights[: len(part)], dtype=U64)
            yield mix64(extra), short

    def _one_permutation(
        self, hashes: Keys, owners: npt.NDArray[np.int64], flat: npt.NDArray[np.uint32]
    ) -> None:
        """Each shingle's bin keeps its least value, in ``flat`` (documents x bins)."""
        k = self.num_hashes
        bins = ((hashes >> U64(32)) * U64(k)) >> U64(32)  # high bits pick the bin
        values = (hashes & U64(0xFFFFFFFF)).astype(np.uint32)  # low bits are the value
        np.minimum.at(flat, owners * k + bins.astype(np.int64), values)


_DONOR_ATTEMPTS = 64


def _densify(signatures: Signatures) -> Signatures:
    """Optimal densification (Shrivastava 2017): an empty bin takes the value of a donor
    bin picked by a hash of (bin, attempt), the same choice for every document, until a
    non-empty donor is found. Agreement at every position still estimates the Jaccard
    similarity, without the correlated neighbours of the older rotation scheme."""
    empty = signatures == _EMPTY
    rows = np.flatnonzero(empty.any(axis=1) & ~empty.all(axis=1))
    if not len(rows):
        return signatures
    k = signatures.shape[1]
    part, holes = signatures[rows], empty[rows]
    result, remaining = part.copy(), holes.copy()
    bins = np.arange(k, dtype=U64)
    for attempt in range(1, _DONOR_ATTEMPTS + 1):
        with np.errstate(over="ignore"):
            seed = bins * U64(0x9E3779B97F4A7C15) + U64(attempt)
        donors = (mix64(seed) % U64(k)).astype(np.int64)
        take = remaining & ~holes[:, donors]
        result[take] = part[:, donors][take]
        remaining &= ~take
        if not remaining.any():
            break
    if remaining.any():  # nearly empty signatures: the next filled bin to the right
        for row, column in zip(*np.nonzero(remaining), strict=True):
            filled = np.flatnonzero(~holes[row])
            result[row, column] = part[row, filled[np.searchsorted(filled, column) % len(filled)]]
    signatures[rows] = result
    return signatures


def band_keys(signatures: Signatures, languages: Sequence[str], bands: int, rows: int) -> Keys:
    """(documents, bands) keys: equal keys = equal signature rows in that band, same language.

    Documents in different languages never share a key: translations are not duplicates.
    """
    documents = signatures.shape[0]
    if signatures.shape[1] < bands * rows:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} hash values")
    language_keys = np.array([language_key(code) for code in languages], dtype=U64)
    grid = signatures[:, : bands * rows].reshape(documents, bands, rows).astype(U64)
    rng = np.random.default_rng(7)
    weights = rng.integers(1, 2**63, size=rows, dtype=U64) | U64(1)
    with np.errstate(over="ignore"):
        combined = (grid * weights).sum(axis=2, dtype=U64)
        combined += np.arange(bands, dtype=U64) * U64(0x632BE59BD9B4E019)
        combined += language_keys[:, None]
    return mix64(combined)


def language_key(code: str) -> int:
    """A 64-bit key for a language code (stable across processes)."""
    value = 0
    for byte in code.encode("ascii", "replace")[:8]:
        value = (value << 8) | byte
    return int(mix64(np.array([value + 0x51ED], dtype=U64))[0])


def similarity(first: Signatures, second: Signatures) -> npt.NDArray[np.float64]:
    """Estimated Jaccard similarity of row pairs: the share of equal signature values."""
    return np.asarray((first == second).mean(axis=-1), dtype=np.float64)
