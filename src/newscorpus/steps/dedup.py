"""Deduplication steps: the per-shard halves of dedup (the clustering between them is
corpus-wide, in ``newscorpus.dedup``).

``ComputeDedupKeys`` (finish stage) records each document's keys: URL, exact text, MinHash
signature. ``ApplyDedup`` (store stage) carries out the decisions taken from all keys:
a kept document gets its ``duplicate_count``, a duplicate is dropped (or, with
``keep_duplicates``, kept and tagged with ``duplicate_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from newscorpus.dedup.clusters import Decision
from newscorpus.dedup.keys import KeysWriter
from newscorpus.document import Document
from newscorpus.steps.base import DropSink, Step


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
            self.writer.add(doc)
            yield doc


class ApplyDedup(Step[Document, Document]):
    """Applies the decisions for one shard; rows are numbered as ``ComputeDedupKeys`` saw them.

    A version of an article that changed (``dedup.versions``) gets its number, first fetch
    and changes, and goes to ``on_version`` (the shard's ``versions/`` files); an earlier
    version goes there only, the latest one on through dedup as any document."""

    name = "dedup"

    def __init__(
        self,
        decisions: Mapping[int, Decision],
        keep_duplicates: bool = False,
        *,
        on_drop: DropSink | None = None,
        on_version: Callable[[Document], None] | None = None,
    ) -> None:
        super().__init__(on_drop=on_drop)
        self.decisions = decisions
        self.keep_duplicates = keep_duplicates
        self.on_version = on_version

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for row, doc in enumerate(docs):
            decision = self.decisions.get(row)
            if decision is None:
                yield doc  # no copy anywhere
                continue
            doc.duplicate_count = decision.duplicate_count
            if decision.version is not None:
                doc.version, doc.first_seen = decision.version, decision.first_seen
                doc.changes = decision.changes
                if decision.updates is not None:
                    doc.updates = decision.updates
                self.count("versions")
                if self.on_version is not None:
                    self.on_version(doc)
            if decision.reason == "earlier_version":
                continue  # kept in versions/ only: not a drop
            if decision.keep:
                if decision.duplicate_count > 1:
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
