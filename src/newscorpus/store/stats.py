"""Figures about a stored corpus, read from its Parquet shards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscorpus.store.parquet import corpus_files


@dataclass(slots=True)
class CorpusStats:
    documents: int = 0
    words: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    words_by_language: Counter[str] = field(default_factory=Counter)
    domains: Counter[str] = field(default_factory=Counter)
    earliest: str | None = None
    latest: str | None = None
    files: int = 0
    bytes: int = 0

    def as_json(self) -> dict[str, Any]:
        """The figures as ``stats --json`` prints them."""
        return {
            "documents": self.documents,
            "words": self.words,
            "languages": {
                language: {"documents": count, "words": self.words_by_language[language]}
                for language, count in self.languages.most_common()
            },
            "domains": dict(self.domains.most_common()),
            "published": {"earliest": self.earliest, "latest": self.latest},
            "files": self.files,
            "bytes": self.bytes,
        }


def corpus_stats(corpus: Path) -> CorpusStats:
    stats = CorpusStats()
    for path in corpus_files(corpus):
        table = pq.read_table(path, columns=["language", "domain", "word_count", "published"])
        stats.files += 1
        stats.bytes += path.stat().st_size
        stats.documents += table.num_rows
        for language, words in zip(
            table["language"].to_pylist(), table["word_count"].to_pylist(), strict=True
        ):
            stats.languages[language] += 1
            stats.words_by_language[language] += words
            stats.words += words
        stats.domains.update(table["domain"].to_pylist())
        published = table["published"].drop_null()
        if len(published):
            low, high = pc.min(published).as_py(), pc.max(published).as_py()
            stats.earliest = low if stats.earliest is None else min(stats.earliest, low)
            stats.latest = high if stats.latest is None else max(stats.latest, high)
    return stats
