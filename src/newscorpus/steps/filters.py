"""Quality filters: each drop is counted with its reason."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from newscorpus.document import Document
from newscorpus.steps.base import Step


class QualityFilter(Step):
    """Drops documents too short to be articles, and languages not asked for."""

    name = "filter"

    def __init__(self, min_words: int = 50, languages: Sequence[str] = ()) -> None:
        super().__init__()
        self.min_words = min_words
        self.languages = frozenset(languages)

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            if doc.word_count < self.min_words:
                self.drop("too_short")
            elif self.languages and doc.language not in self.languages:
                self.drop("language_not_selected")
            else:
                yield doc
