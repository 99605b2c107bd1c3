"""Multi-page articles stitched: the first page gets the text of the others, in order.

Extraction marks each page of an article cut into several (``webpage.pagination``): the
article's key, the page's number, the highest number it links to. The pages of a run are
gathered corpus-wide after extraction (``store.page_index``), since a site's pages may
land in different shards; here, before boilerplate removal and the filters judge it, the
first page takes the text of every page found, and the others leave the stream (their
text is in the first page's document: counted, not dropped). A page missing from the
input is said: ``complete`` is false. A later page whose first page is not in the run
stays a document of its own, incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from newscorpus.document import Document, count_words
from newscorpus.steps.base import Step


@dataclass(frozen=True, slots=True)
class PagePart:
    """One page of a multi-page article, as its shard staged it."""

    number: int
    last: int  # the highest page number it links to
    text: str


class StitchPages(Step[Document, Document]):
    """Multi-page articles become one document, on their first page."""

    name = "multipage"

    def __init__(self, parts: Mapping[str, Sequence[PagePart]]) -> None:
        super().__init__()
        self.parts = parts  # page key -> the run's pages of that article

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            if doc.page_key is None:
                yield doc
                continue
            pages = _by_number(self.parts.get(doc.page_key, ()))
            if 1 not in pages:
                doc.complete = False
                self.count("without_first_page")
                yield doc
            elif doc.page_number != 1:
                self.count("pages_stitched")  # its text is in its first page's document
            else:
                self._stitch(doc, pages, self.parts[doc.page_key])
                yield doc

    def _stitch(self, doc: Document, pages: dict[int, PagePart], parts: Sequence[PagePart]) -> None:
        last = max(max(part.last for part in parts), max(pages))
        texts = [doc.text] + [pages[n].text for n in sorted(pages) if n != 1]
        doc.text = "\n\n".join(text for text in texts if text)
        doc.word_count = count_words(doc.text)
        doc.pages = len(pages)
        doc.complete = all(n in pages for n in range(1, last + 1))
        self.count("articles_stitched")
        if not doc.complete:
            self.count("articles_incomplete")


def _by_number(parts: Iterable[PagePart]) -> dict[int, PagePart]:
    """The first part found of each page number (a page fetched twice counts once; page
    numbers stop at webpage.pagination.MAX_PAGES)."""
    pages: dict[int, PagePart] = {}
    for part in parts:
        pages.setdefault(part.number, part)
    return pages
