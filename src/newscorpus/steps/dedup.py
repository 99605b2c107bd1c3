"""Deduplication. For now within one shard: one document per id (canonical URL)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from newscorpus.document import Document
from newscorpus.steps.base import Step


class DropRepeatedIds(Step):
    """Keeps the first document of each id (the same canonical URL fetched again)."""

    name = "dedup"

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        seen: set[str] = set()
        for doc in docs:
            if doc.id in seen:
                self.drop("same_url")
                continue
            seen.add(doc.id)
            yield doc
