"""The contract every pipeline step follows: a generator from records to records."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar, Generic, TypeVar

from newscorpus.document import Document

# Called with (step name, reason, document) for each dropped document, to keep it aside.
DropSink = Callable[[str, str, Document], None]

In = TypeVar("In")
Out = TypeVar("Out")


class Step(ABC, Generic[In, Out]):
    """One stage of the pipeline.

    ``run`` consumes an iterable of records and yields records; a step that drops a
    record says why with ``drop``, which counts it and hands it to ``on_drop``, the sink
    of dropped records given at construction (when they are kept). Steps never know
    which executor runs them: ``rank`` and ``world_size`` only say which shard this is,
    of how many. What a step gathers for its shard beyond documents and counts (line
    counts, removed lines) is read from its attributes by the stage that made it, never
    found by its place in the chain.
    """

    name: ClassVar[str]

    def __init__(self, *, on_drop: DropSink | None = None) -> None:
        self.stats: Counter[str] = Counter()
        self.on_drop = on_drop

    @abstractmethod
    def run(self, docs: Iterable[In], rank: int = 0, world_size: int = 1) -> Iterator[Out]:
        """Yield the records this step keeps (or makes) from ``docs``."""

    def drop(self, reason: str, record: Document | None = None) -> None:
        """Count a drop; hand the document to ``on_drop`` when dropped documents are kept
        (a record dropped before it became a document is only counted)."""
        self.stats[f"dropped.{reason}"] += 1
        if record is not None and self.on_drop is not None:
            self.on_drop(self.name, reason, record)

    def count(self, what: str, n: int = 1) -> None:
        self.stats[what] += n

    def stats_dict(self) -> dict[str, int]:
        """Counters prefixed with the step name, ready to merge with other shards'."""
        return {f"{self.name}.{key}": value for key, value in self.stats.items()}


class Filter(Step[Document, Document]):
    """A step that keeps or drops each document as it comes (datatrove's ``BaseFilter``):
    ``filter`` names the reason to drop it, or says None to keep it."""

    @abstractmethod
    def filter(self, doc: Document) -> str | None:
        """Why ``doc`` is dropped, or None when it is kept."""

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            reason = self.filter(doc)
            if reason is None:
                yield doc
            else:
                self.drop(reason, doc)
