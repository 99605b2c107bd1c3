"""Site boilerplate: lines a site repeats across its article bodies, learned from the corpus.

The way CCNet and trafilatura's cache do it, by line frequency, but per site and kept with
the corpus. ``CountLines`` (first per-shard stage) records in how many documents of each
domain every normalised line occurs, and every short "Label: headline" line's label. The
driver merges those counts into ``BoilerplateIndex`` (SQLite in ``CORPUS/.state``), so
they accumulate across runs. ``RemoveBoilerplate`` (second stage) removes the lines seen
in at least ``min_docs`` documents of their site, plus lines matched by the multilingual
fallback rules, and records what it removed so a user can audit it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.document import Document, count_words
from newscorpus.steps.base import Step
from newscorpus.steps.boilerplate_rules import (
    BIO_LINES,
    fallback_rule,
    heads_related_links,
    is_author_bio,
    is_list_item,
)
from newscorpus.store.parquet import AtomicParquetWriter
from newscorpus.urls import host_name

# One row per document: its domain, its id, the keys of its distinct lines and labels.
# Per document, not summed per shard, so that the index counts each document once
# however many shards or runs fetch it again.
DOCUMENT_LINES_SCHEMA = pa.schema(
    [
        pa.field("domain", pa.string(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("keys", pa.list_(pa.int64()), nullable=False),
    ]
)

# Learned removal is for lines of boilerplate length: a long paragraph repeated on a site
# is a story's background, kept (near-duplicate detection deals with whole copies).
MAX_LEARNED_WORDS = 60
# "Voir aussi : <headline>": the label is short, the headline too.
MAX_LABEL_WORDS = 5
MAX_LABELLED_TAIL_WORDS = 15
MAX_LABELLED_CHARS = 300
# A label used more often than this within one article is structure (an interview's
# "Q:" lines), not a site prompt.
MAX_LABEL_USES_PER_DOCUMENT = 2
AUDIT_LINE_CHARS = 200

_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_LABELLED = re.compile(r"^[\W_]*([^:：|»›]{1,60}?)\s*[:：|»›]\s*(\S.*)$", re.DOTALL)


def _key(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits SQLite's INTEGER


def _normalise(line: str) -> str:
    """Case, digits ("© 2024" and "© 2025"), punctuation and spacing do not tell lines apart."""
    return _NOT_WORD.sub(" ", _DIGIT.sub("0", line.casefold())).strip()


def line_key(line: str) -> int:
    """The key a line is counted under."""
    return _key(_normalise(line))


def label_key(line: str) -> int | None:
    """The key of the label of a short "Label: headline" line, or None for other lines."""
    if len(line) > MAX_LABELLED_CHARS:
        return None
    match = _LABELLED.match(line)
    if match is None:
        return None
    raw_label, tail = match.group(1).strip(), match.group(2)
    label = _normalise(raw_label)
    if not label or count_words(label) > MAX_LABEL_WORDS:
        return None
    if " " not in raw_label and raw_label.isupper():  # a dateline: "ISLAMABAD: ..."
        return None
    if count_words(tail) > MAX_LABELLED_TAIL_WORDS:
        return None
    return _key("\x00label " + label)


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p]


class CountLines(Step):
    """Passes documents through, counting their distinct lines and labels per domain."""

    name = "lines"

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, tuple[str, list[int]]] = {}  # id -> (domain, keys)

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            if doc.id not in self.documents:  # a page fetched twice counts once
                self.documents[doc.id] = (doc.domain, sorted(_document_keys(doc.text)))
            yield doc

    def write(self, path: Path) -> None:
        writer = AtomicParquetWriter(path, DOCUMENT_LINES_SCHEMA, row_group_rows=10_000)
        for doc_id, (domain, keys) in sorted(self.documents.items()):
            writer.write({"domain": domain, "id": doc_id, "keys": keys})
        writer.commit()


def _document_keys(text: str) -> set[int]:
    lines = paragraphs(text)
    keys = {line_key(line) for line in lines}
    # The first paragraph is the lead, whose "PLACE: ..." or "Label: ..." is the story's.
    labels = Counter(k for k in map(label_key, lines[1:]) if k is not None)
    keys.update(k for k, uses in labels.items() if uses <= MAX_LABEL_USES_PER_DOCUMENT)
    return keys


class BoilerplateIndex:
    """Per-domain document counts of lines, in SQLite: on disk, merged shard by shard."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            self._db = sqlite3.connect(path)
            self._db.executescript(
                """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS lines (
                    domain TEXT NOT NULL, key INTEGER NOT NULL, documents INTEGER NOT NULL,
                    PRIMARY KEY (domain, key)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS merged (shard INTEGER PRIMARY KEY);
                CREATE TABLE IF NOT EXISTS counted (id TEXT PRIMARY KEY) WITHOUT ROWID;
                """
            )

    def merge(self, shard: int, lines_path: Path) -> bool:
        """Add one shard's documents, once each: a document id already counted (fetched
        again, in another shard or run) adds nothing; the shard is recorded in the same
        transaction, so a merge interrupted half-way is redone whole."""
        with self._db:
            if self._db.execute("SELECT 1 FROM merged WHERE shard = ?", (shard,)).fetchone():
                return False
            for batch in pq.ParquetFile(lines_path).iter_batches(batch_size=5_000):
                counts: Counter[tuple[str, int]] = Counter()
                columns = batch.to_pydict()
                for domain, doc_id, keys in zip(
                    columns["domain"], columns["id"], columns["keys"], strict=True
                ):
                    added = self._db.execute(
                        "INSERT OR IGNORE INTO counted VALUES (?)", (doc_id,)
                    ).rowcount
                    if added:
                        counts.update((domain, key) for key in keys)
                self._db.executemany(
                    "INSERT INTO lines VALUES (?, ?, ?) ON CONFLICT (domain, key) "
                    "DO UPDATE SET documents = documents + excluded.documents",
                    ((domain, key, n) for (domain, key), n in counts.items()),
                )
            self._db.execute("INSERT INTO merged VALUES (?)", (shard,))
        return True

    def learned(self, domain: str, min_docs: int) -> frozenset[int]:
        """Keys of the lines and labels seen in at least ``min_docs`` documents of ``domain``."""
        rows = self._db.execute(
            "SELECT key FROM lines WHERE domain = ? AND documents >= ?", (domain, min_docs)
        )
        return frozenset(row[0] for row in rows)

    def close(self) -> None:
        self._db.close()


def learned_lines(index_path: Path, min_docs: int) -> Callable[[str], frozenset[int]]:
    """Domain -> learned keys, read from the index on first use of each domain."""
    if not index_path.exists():
        return lambda domain: frozenset()
    index = BoilerplateIndex(index_path, read_only=True)
    return cache(lambda domain: index.learned(domain, min_docs))


class RemoveBoilerplate(Step):
    """Removes learned and rule-matched boilerplate lines; records each removal for audit."""

    name = "boilerplate"

    def __init__(
        self, learned: Callable[[str], frozenset[int]], fallback_rules: bool = True
    ) -> None:
        super().__init__()
        self.learned = learned
        self.fallback_rules = fallback_rules
        # (domain, rule, line) -> times removed
        self.removed: Counter[tuple[str, str, str]] = Counter()

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            learned = self.learned(doc.domain)
            lines, kept = paragraphs(doc.text), []
            related = False  # inside the list of links under a "Related stories" heading
            for number, line in enumerate(lines):
                related = related and is_list_item(line)
                rule = "related_links" if related else self._rule(line, learned, number == 0)
                near_end = number >= len(lines) - BIO_LINES and number > 0
                if rule is None and near_end and self.fallback_rules:
                    outlets = [doc.sitename or "", host_name(doc.url) or ""]
                    rule = "author_bio" if is_author_bio(line, doc.authors, outlets) else None
                if rule is None:
                    kept.append(line)
                    continue
                if rule == "see_also" and self.fallback_rules:
                    related = heads_related_links(line)
                self.count(f"removed_lines.{rule}")
                self.removed[(doc.domain, rule, line[:AUDIT_LINE_CHARS])] += 1
            if not kept:
                self.drop("only_boilerplate", doc)
                continue
            if len(kept) < len(lines):
                doc.text = "\n\n".join(kept)
                doc.word_count = count_words(doc.text)
            yield doc

    def _rule(self, line: str, learned: frozenset[int], lead: bool = False) -> str | None:
        if learned and count_words(line) <= MAX_LEARNED_WORDS:
            if line_key(line) in learned:
                return "learned_line"
            label = None if lead else label_key(line)
            if label is not None and label in learned:
                return "learned_label"
        if self.fallback_rules:
            return fallback_rule(line)
        return None
