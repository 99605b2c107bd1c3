"""Text normalisation: unicode repair, NFC, and removal of lines that carry no text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import ftfy

from newscorpus.document import Document, count_words
from newscorpus.steps.base import Step

# A line made only of punctuation, symbols, bullets and spaces (nbsp too): "-----", "• • •".
_DECORATION = re.compile(r"^[\W_]*$")
_SPACES = re.compile(r"[^\S\n\u3000]+")  # an ideographic space is the author's
# Full-width punctuation is correct in CJK text: ftfy must not narrow it.
# Typographic quotes are the author's: ftfy must not straighten them either.
_FTFY = ftfy.TextFixerConfig(
    fix_character_width=False, uncurl_quotes=False, normalization="NFC", explain=False
)
# ftfy costs ~2.5 ms per article even when there is nothing to fix. It runs only where one
# of these shows: UTF-8 read as windows-1252/latin-1 ("Ã©", "â€™") or as windows-1251
# ("Рё", "РџС"), HTML entities, ligatures, surrogates, C1 controls.
_PUNCTUATION_1252 = "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_CP1252_CONTINUATION = (
    "\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc" + _PUNCTUATION_1252
)
_CP1251_CONTINUATION = (
    "\u0402-\u040f\u0451-\u045f\u0490\u0491\u00a0-\u00bb\u2116" + _PUNCTUATION_1252
)
_FTFY_TARGETS = re.compile(
    rf"[\u00c2-\u00f4][{_CP1252_CONTINUATION}]|[\u0420\u0421][{_CP1251_CONTINUATION}]"
    r"|&#?\w+;|[\ufb00-\ufb06\ud800-\udfff\x80-\x9f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def normalize_text(text: str) -> str:
    """Mojibake repaired, NFC, runs of spaces (nbsp included) collapsed within lines."""
    if _FTFY_TARGETS.search(text):
        text = ftfy.fix_text(text, config=_FTFY)
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


class CleanText(Step[Document, Document]):
    """Repairs text, drops decoration and whitespace-only paragraphs, counts words."""

    name = "clean"

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            original = doc.text
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
                doc.text = original  # kept aside as it came (--keep-dropped)
                self.drop("empty_after_cleaning", doc)
                continue
            doc.word_count = count_words(doc.text)
            yield doc
