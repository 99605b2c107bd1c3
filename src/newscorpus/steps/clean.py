"""Text normalisation: unicode repair, NFC, and removal of lines that carry no text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import ftfy
from ftfy.badness import is_bad

from newscorpus.document import Document, count_words
from newscorpus.steps.base import Step

# A line made only of punctuation, symbols, bullets and spaces (nbsp too): "-----", "• • •".
_DECORATION = re.compile(r"^[\W_]*$")
_SPACES = re.compile(r"[^\S\n]+")
# Full-width punctuation is correct in CJK text: ftfy must not narrow it.
_FTFY = ftfy.TextFixerConfig(fix_character_width=False, normalization="NFC", explain=False)
# What ftfy fixes besides mojibake: HTML entities, ligatures, surrogates, C1 controls.
_FTFY_TARGETS = re.compile(r"&#?\w+;|[\ufb00-\ufb06\ud800-\udfff\x80-\x9f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def normalize_text(text: str) -> str:
    """Mojibake repaired, NFC, runs of spaces (nbsp included) collapsed within lines."""
    # ftfy costs ~3 ms per article; most articles have nothing for it to fix.
    if is_bad(text) or _FTFY_TARGETS.search(text):
        text = ftfy.fix_text(text, config=_FTFY)
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


class CleanText(Step):
    """Repairs text, drops decoration and whitespace-only paragraphs, counts words."""

    name = "clean"

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            paragraphs = []
            for paragraph in normalize_text(doc.text).split("\n\n"):
                paragraph = paragraph.strip()
                if _DECORATION.match(paragraph):
                    self.count("removed_empty_or_decoration_paragraphs")
                    continue
                paragraphs.append(paragraph)
            doc.text = "\n\n".join(paragraphs)
            doc.title = normalize_text(doc.title).strip() or None if doc.title else None
            if doc.description:
                doc.description = normalize_text(doc.description).strip() or None
            if not doc.text:
                self.drop("empty_after_cleaning")
                continue
            doc.word_count = count_words(doc.text)
            yield doc
