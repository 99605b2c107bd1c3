"""Deduplication steps: the per-shard halves of dedup (the clustering between them is
corpus-wide, in ``newscorpus.dedup``).

``ComputeDedupKeys`` (finish stage) records each document's keys: URL, exact text, MinHash
signature. ``ApplyDedup`` (store stage) carries out the decisions taken from all keys:
a kept document gets its ``duplicate_count``, a duplicate is dropped (or, with
``keep_duplicates``, kept and tagged with ``duplicate_of``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from newscorpus.dedup.clusters import Decision
from newscorpus.dedup.keys import KeysWriter
from newscorpus.document import Document
from newscorpus.steps.base import DropSink, Step
from newscorpus.urls import normalize_url


class ComputeDedupKeys(Step[Document, Document]):
    """Passes documents through, writing their dedup keys, one row per document in order."""

    name = "dedup_keys"

    def __init__(self, writer: KeysWriter) -> None:
        super().__init__()
        self.writer = writer

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            self.writer.add(
                doc.id, doc.language, doc.published, doc.word_count, doc.text, _at_canonical(doc)
            )
            yield doc


def _at_canonical(doc: Document) -> bool:
    """Fetched at its own canonical URL (tracking parameters aside), not at a twin."""
    try:
        return normalize_url(doc.url) == doc.canonical_url
    except ValueError:
        return False


class ApplyDedup(Step[Document, Document]):
    """Applies the decisions for one shard; rows are numbered as ``ComputeDedupKeys`` saw them."""

    name = "dedup"

    def __init__(
        self,
        decisions: Mapping[int, Decision],
        keep_duplicates: bool = False,
        *,
        on_drop: DropSink | None = None,
    ) -> None:
        super().__init__(on_drop=on_drop)
        self.decisions = decisions
        self.keep_duplicates = keep_duplicates

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for row, doc in enumerate(docs):
            decision = self.decisions.get(row)
            if decision is None:
                yield doc  # no copy anywhere
                continue
            doc.duplicate_count = decision.duplicate_count
            if decision.keep:
                self.count("kept_with_copies")
                yield doc
                continue
            doc.duplicate_of = decision.duplicate_of
            reason = decision.reason or "duplicate"
            if self.keep_duplicates:
                self.count(f"tagged.{reason}")
                yield doc
            else:
                self.drop(reason, doc)
