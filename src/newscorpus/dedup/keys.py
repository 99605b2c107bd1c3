"""Dedup keys of documents, and the files that hold them.

Per shard, the finish stage writes the keys of the documents it passed
(``.state/dedup/keys/NNNNN.parquet``); once the shard is stored, the keys of the
documents it kept become part of the corpus's dedup index
(``.state/dedup/index/NNNNN.parquet``), read by every later run. Reading the index never
needs the corpus text: a later run compares its new documents to the stored ones from
their keys alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.dedup.clusters import Entries
from newscorpus.dedup.minhash import Keys, MinHasher, Signatures, band_keys, language_key, mix64
from newscorpus.store.parquet import AtomicParquetWriter

_SPACES = re.compile(r"\s+")


@dataclass(slots=True)
class DedupOptions:
    """Near-duplicate parameters (defaults as FineWeb's: 5-grams, 14 bands of 8 rows)."""

    near_duplicates: bool = True
    ngram: int = 5
    bands: int = 14
    rows: int = 8
    min_similarity: float = 0.7
    keep_duplicates: bool = False  # tag duplicates (duplicate_of) instead of dropping them

    def check(self) -> str | None:
        if self.ngram < 1 or self.bands < 1 or self.rows < 1 or self.bands * self.rows > 1024:
            return "dedup: ngram, bands and rows must be at least 1 (bands x rows <= 1024)"
        if not 0 < self.min_similarity <= 1:
            return "dedup: min_similarity must be within 0..1"
        return None

    def hasher(self) -> MinHasher:
        return MinHasher(num_hashes=self.bands * self.rows, ngram=self.ngram)


def band_column(band: int) -> str:
    return f"band_{band:02d}"


def keys_schema(num_hashes: int, bands: int) -> pa.Schema:
    """One row per document; LSH keys in one column per band, so that clustering reads
    one band of the whole index at a time."""
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("language", pa.string(), nullable=False),
            pa.field("published", pa.string()),
            pa.field("word_count", pa.int64(), nullable=False),
            pa.field("url_key", pa.uint64(), nullable=False),
            pa.field("text_key", pa.uint64(), nullable=False),
            pa.field("signature", pa.binary(4 * num_hashes), nullable=False),
            pa.field("duplicate_count", pa.int64(), nullable=False),
            *(pa.field(band_column(b), pa.uint64(), nullable=False) for b in range(bands)),
        ]
    )


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def scoped(values: Sequence[int], languages: Sequence[str]) -> Keys:
    """Keys made distinct per language: the same text in two languages is two keys."""
    raw = np.array(values, dtype=np.uint64)
    scopes = np.array([language_key(code) for code in languages], dtype=np.uint64)
    return mix64(raw ^ scopes)


def text_hash(text: str) -> int:
    """Exact-text key: case and spacing do not make two texts different."""
    return _hash64(_SPACES.sub(" ", text.casefold()).strip())


def id_hash(document_id: str) -> int:
    return _hash64(document_id)


@dataclass(slots=True)
class KeyRows:
    """Keys of a batch of documents, ready to be written or compared."""

    ids: list[str]
    languages: list[str]
    published: list[str | None]
    words: list[int]
    texts: list[str]

    def table(self, options: DedupOptions, hasher: MinHasher) -> pa.Table:
        if options.near_duplicates:
            signatures = hasher.signatures(self.texts)
            bands = band_keys(signatures, self.languages, options.bands, options.rows)
        else:
            signatures = np.zeros((len(self.ids), hasher.num_hashes), dtype=np.uint32)
            bands = np.zeros((len(self.ids), options.bands), dtype=np.uint64)
        width = 4 * hasher.num_hashes
        return pa.table(
            {
                "id": self.ids,
                "language": self.languages,
                "published": self.published,
                "word_count": pa.array(self.words, pa.int64()),
                # one URL is one document, whatever language it was identified as
                "url_key": scoped([id_hash(i) for i in self.ids], ["*"] * len(self.ids)),
                "text_key": scoped([text_hash(t) for t in self.texts], self.languages),
                "signature": pa.array(
                    [row.tobytes() for row in np.ascontiguousarray(signatures)], pa.binary(width)
                ),
                "duplicate_count": pa.array([1] * len(self.ids), pa.int64()),
                **{band_column(b): bands[:, b] for b in range(options.bands)},
            },
            schema=keys_schema(hasher.num_hashes, options.bands),
        )


class KeysWriter:
    """The keys of one shard's documents, written in batches, visible on ``commit``."""

    BATCH = 1000

    def __init__(self, path: Path, options: DedupOptions) -> None:
        self.options = options
        self.hasher = options.hasher()
        self._writer = AtomicParquetWriter(path, keys_schema(self.hasher.num_hashes, options.bands))
        self._pending = KeyRows([], [], [], [], [])

    def add(self, doc_id: str, language: str, published: str | None, words: int, text: str) -> None:
        pending = self._pending
        pending.ids.append(doc_id)
        pending.languages.append(language)
        pending.published.append(published)
        pending.words.append(words)
        pending.texts.append(text)
        if len(pending.ids) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending.ids:
            self._writer.write_table(self._pending.table(self.options, self.hasher))
            self._pending = KeyRows([], [], [], [], [])

    def commit(self) -> Path:
        self._flush()
        return self._writer.commit()

    def abort(self) -> None:
        self._writer.abort()

    def __enter__(self) -> KeysWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._writer.__exit__(None, None, None)  # aborts unless committed


@dataclass(slots=True)
class KeyFile:
    path: Path
    shard: int
    stored: bool


def load_entries(
    files: Sequence[KeyFile], options: DedupOptions
) -> tuple[
    Entries, Callable[[int], tuple[int, int]], Callable[[npt.NDArray[np.int64]], Signatures]
]:
    """Entries of all the files, where a row came from (file, row), a signature loader."""
    columns = ["id", "published", "word_count", "url_key", "text_key", "duplicate_count"]
    tables = [pq.read_table(key_file.path, columns=columns) for key_file in files]
    # row -> (file, row in file), from the files' first rows: no per-row Python objects
    starts = np.cumsum([0] + [t.num_rows for t in tables])

    def joined(name: str) -> pa.ChunkedArray:
        return pa.chunked_array([t[name] for t in tables], type=tables[0].schema.field(name).type)

    def numbers(name: str, dtype: type) -> npt.NDArray[Any]:
        if not tables:
            return np.zeros(0, dtype=dtype)
        return np.asarray(joined(name).to_numpy(), dtype=dtype)

    def band_of(band: int) -> Keys:
        if not files:
            return np.zeros(0, dtype=np.uint64)
        parts = [pq.read_table(f.path, columns=[band_column(band)]) for f in files]
        return np.concatenate([p.column(0).to_numpy() for p in parts]).astype(np.uint64)

    entries = Entries(
        ids=joined("id").combine_chunks() if tables else [],
        published=joined("published").combine_chunks() if tables else [],
        words=numbers("word_count", np.int64),
        stored=np.concatenate(
            [np.full(t.num_rows, f.stored) for f, t in zip(files, tables, strict=True)]
        )
        if tables
        else np.zeros(0, dtype=bool),
        url_keys=numbers("url_key", np.uint64),
        text_keys=numbers("text_key", np.uint64),
        bands=options.bands if options.near_duplicates else 0,
        band_of=band_of,
        counts=numbers("duplicate_count", np.int64),
    )

    def signatures_of(rows: npt.NDArray[np.int64]) -> Signatures:
        """Signatures of the given rows (sorted), read file by file."""
        result = np.empty((len(rows), options.bands * options.rows), dtype=np.uint32)
        by_file: dict[int, list[tuple[int, int]]] = {}
        for position, row in enumerate(rows.tolist()):
            file_number, file_row = origin(row)
            by_file.setdefault(file_number, []).append((position, file_row))
        for file_number, wanted in by_file.items():
            signatures = _read_signatures(files[file_number].path, options)
            positions, file_rows = zip(*wanted, strict=True)
            result[list(positions)] = signatures[list(file_rows)]
        return result

    def origin(row: int) -> tuple[int, int]:
        file_number = int(np.searchsorted(starts, row, side="right")) - 1
        return file_number, row - int(starts[file_number])

    return entries, origin, signatures_of


def _read_signatures(path: Path, options: DedupOptions) -> Signatures:
    column = pq.read_table(path, columns=["signature"])["signature"]
    width = options.bands * options.rows
    if len(column) == 0:
        return np.zeros((0, width), dtype=np.uint32)
    array = column.combine_chunks()
    buffer = array.buffers()[1]
    values = np.frombuffer(buffer, dtype=np.uint32, count=(array.offset + len(array)) * width)
    return values[array.offset * width :].reshape(-1, width)
