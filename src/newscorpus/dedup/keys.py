"""Dedup keys of documents, and the files that hold them.

Per shard, the finish stage writes the keys of the documents it passed
(``.state/dedup/keys/NNNNN.parquet``); once the shard is stored, the keys of the
documents it kept become part of the corpus's dedup index
(``.state/dedup/index/NNNNN.parquet``), read by every later run. Duplicates are found
from the keys alone, without the corpus text; only an article that changed has its
stored version's text read (``dedup.versions``: what changed).
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus._parquet import AtomicParquetWriter
from newscorpus.dedup.clusters import Entries
from newscorpus.dedup.minhash import Keys, MinHasher, Signatures, band_keys, language_key, mix64
from newscorpus.dedup.versions import Capture, version_text
from newscorpus.document import Document
from newscorpus.urls import normalize_url

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
            # fetched at its own canonical URL (not its AMP twin, not a syndicated copy)
            pa.field("at_canonical", pa.bool_(), nullable=False),
            # versions (``dedup.versions``): the address fetched, when, the text a version
            # is made of; the version number and first fetch of a stored document
            pa.field("fetch_key", pa.uint64(), nullable=False),
            pa.field("crawled_at", pa.string()),
            pa.field("version_key", pa.uint64(), nullable=False),
            pa.field("version", pa.int16(), nullable=False),
            pa.field("first_seen", pa.string()),
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


def _at_canonical(doc: Document) -> bool:
    """Fetched at its own canonical URL (tracking parameters aside), not at a twin."""
    try:
        return normalize_url(doc.url) == doc.canonical_url
    except ValueError:
        return False


def _fetched(doc: Document) -> str:
    try:
        return normalize_url(doc.url)
    except ValueError:
        return doc.url


@dataclass(slots=True)
class KeyRows:
    """Keys of a batch of documents, ready to be written or compared."""

    ids: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    published: list[str | None] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    at_canonical: list[bool] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    crawled_at: list[str | None] = field(default_factory=list)
    version_texts: list[str] = field(default_factory=list)

    def add(self, doc: Document) -> None:
        self.ids.append(doc.id)
        self.languages.append(doc.language)
        self.published.append(doc.published)
        self.words.append(doc.word_count)
        self.texts.append(doc.text)
        self.at_canonical.append(_at_canonical(doc))
        self.fetched.append(_fetched(doc))
        self.crawled_at.append(doc.crawled_at)
        self.version_texts.append(version_text(doc.title, doc.text))

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
                "at_canonical": pa.array(self.at_canonical, pa.bool_()),
                "fetch_key": pa.array([_hash64(url) for url in self.fetched], pa.uint64()),
                "crawled_at": pa.array(self.crawled_at, pa.string()),
                "version_key": pa.array([_hash64(t) for t in self.version_texts], pa.uint64()),
                "version": pa.array([1] * len(self.ids), pa.int16()),
                "first_seen": pa.array(self.crawled_at, pa.string()),
                **{band_column(b): bands[:, b] for b in range(options.bands)},
            },
            schema=keys_schema(hasher.num_hashes, options.bands),
        )


class KeysWriter:
    """The keys of one shard's documents, written in batches, visible on ``commit``.

    A batch is ``BATCH`` documents, or fewer when their texts (held until the batch is
    hashed) reach ``BATCH_BYTES``."""

    BATCH = 1000
    BATCH_BYTES = 16 * 1024 * 1024

    def __init__(self, path: Path, options: DedupOptions) -> None:
        self.options = options
        self.hasher = options.hasher()
        self._writer = AtomicParquetWriter(path, keys_schema(self.hasher.num_hashes, options.bands))
        self._pending = KeyRows()
        self._pending_bytes = 0

    def add(self, doc: Document) -> None:
        self._pending.add(doc)
        self._pending_bytes += sys.getsizeof(doc.text)
        if len(self._pending.ids) >= self.BATCH or self._pending_bytes >= self.BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending.ids:
            self._writer.write_table(self._pending.table(self.options, self.hasher))
            self._pending = KeyRows()
            self._pending_bytes = 0

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


@dataclass(slots=True)
class KeySpace:
    """The key files of one dedup batch seen as one table: a document's row is the
    first row of its file plus its row in the file. Small (a path and a number per
    file), so it travels with every task of the batch; each task reads what it needs."""

    files: list[KeyFile]
    starts: npt.NDArray[np.int64]  # first row of each file, then the total

    @classmethod
    def of(cls, files: Sequence[KeyFile]) -> KeySpace:
        sizes = [pq.ParquetFile(f.path).metadata.num_rows for f in files]
        return cls(list(files), np.cumsum([0, *sizes], dtype=np.int64))

    def __len__(self) -> int:
        return int(self.starts[-1])

    def origin(self, rows: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
        """(file number, row in file) of each row."""
        numbers = np.searchsorted(self.starts, rows, side="right") - 1
        return numbers, rows - self.starts[numbers]

    def stored(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        flags = np.array([f.stored for f in self.files], dtype=bool)
        return flags[self.origin(rows)[0]] if len(flags) else np.zeros(0, dtype=bool)

    def column(
        self, name: str, partition: int = 0, partitions: int = 1
    ) -> tuple[Keys, npt.NDArray[np.int64]]:
        """The keys of column ``name`` falling in ``partition`` (key modulo ``partitions``),
        and their rows: one partition of the shuffle, read file by file."""
        keys, rows = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)]
        for key_file, start in zip(self.files, self.starts.tolist(), strict=False):
            values = pq.read_table(key_file.path, columns=[name]).column(0).to_numpy()
            values = np.asarray(values, dtype=np.uint64)
            if partitions > 1:
                (mine,) = np.nonzero(values % np.uint64(partitions) == np.uint64(partition))
                values = values[mine]
            else:
                mine = np.arange(len(values))
            keys.append(values)
            rows.append(mine.astype(np.int64) + start)
        return np.concatenate(keys), np.concatenate(rows)

    def _by_file(self, rows: npt.NDArray[np.int64]) -> Iterator[tuple[int, Any, Any]]:
        """(file number, positions in ``rows``, rows in the file), for files holding rows."""
        numbers, file_rows = self.origin(rows)
        for number in np.unique(numbers).tolist():
            (positions,) = np.nonzero(numbers == number)
            yield number, positions, file_rows[positions]

    def signatures(self, rows: npt.NDArray[np.int64], width: int) -> Signatures:
        """Signatures of ``rows``, reading only the files that hold them."""
        result = np.empty((len(rows), width), dtype=np.uint32)
        for number, positions, file_rows in self._by_file(rows):
            result[positions] = _read_signatures(self.files[number].path, width)[file_rows]
        return result

    def read(self, rows: npt.NDArray[np.int64], columns: Sequence[str]) -> pa.Table:
        """The ``columns`` of ``rows``, in that order, reading only the files holding them."""
        schema = pa.schema([keys_schema(1, 0).field(name) for name in columns])
        parts, positions = [schema.empty_table()], [np.zeros(0, dtype=np.int64)]
        for number, where, file_rows in self._by_file(rows):
            table = pq.read_table(self.files[number].path, columns=list(columns))
            # index files may mark fields nullable where new key files do not
            parts.append(table.take(pa.array(file_rows, pa.int64())).cast(schema))
            positions.append(where)
        order = np.argsort(np.concatenate(positions))
        return pa.concat_tables(parts).take(pa.array(order, pa.int64()))

    def entries(self, rows: npt.NDArray[np.int64]) -> Entries:
        """Entries of ``rows``, in that order."""
        columns = [
            "id", "published", "word_count", "url_key", "text_key", "duplicate_count",
            "at_canonical",
        ]  # fmt: skip
        table = self.read(rows, columns)
        return Entries(
            ids=table.column("id").combine_chunks(),
            published=table.column("published").combine_chunks(),
            words=np.asarray(table.column("word_count").to_numpy(), dtype=np.int64),
            stored=self.stored(rows),
            url_keys=np.asarray(table.column("url_key").to_numpy(), dtype=np.uint64),
            text_keys=np.asarray(table.column("text_key").to_numpy(), dtype=np.uint64),
            counts=np.asarray(table.column("duplicate_count").to_numpy(), dtype=np.int64),
            at_canonical=np.asarray(table.column("at_canonical").to_numpy(), dtype=np.bool_),
        )

    def captures(self, rows: npt.NDArray[np.int64]) -> list[Capture]:
        """``rows`` as the versions see them, in that order."""
        columns = [
            "id", "fetch_key", "version_key", "crawled_at", "version", "first_seen",
            "at_canonical", "duplicate_count",
        ]  # fmt: skip
        table = self.read(rows, columns).to_pydict()
        stored = self.stored(rows).tolist()
        return [
            Capture(
                row=row,
                id=table["id"][n],
                stored=stored[n],
                fetch_key=table["fetch_key"][n],
                version_key=table["version_key"][n],
                crawled_at=table["crawled_at"][n] or "",
                version=table["version"][n],
                first_seen=table["first_seen"][n],
                at_canonical=table["at_canonical"][n],
                duplicate_count=table["duplicate_count"][n],
            )
            for n, row in enumerate(rows.tolist())
        ]


def _read_signatures(path: Path, width: int) -> Signatures:
    column = pq.read_table(path, columns=["signature"])["signature"]
    if len(column) == 0:
        return np.zeros((0, width), dtype=np.uint32)
    array = column.combine_chunks()
    buffer = array.buffers()[1]
    values = np.frombuffer(buffer, dtype=np.uint32, count=(array.offset + len(array)) * width)
    return values[array.offset * width :].reshape(-1, width)
