"""Language identification of the cleaned body text, with a model shipped in its package.

py3langid carries its naive Bayes model (97 languages) inside the wheel: nothing is
downloaded at run time. Its cost grows with the length of the text, and its decision
does not improve past a paragraph or two, so it reads the title and the first
``SAMPLE_CHARS`` of the body. A long document is also sampled at its end: when the two
samples are confidently in different languages the document is ``mul`` (ISO 639-2,
multiple languages); below ``min_score`` it is ``und`` (undetermined).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from newscorpus.document import UNKNOWN_LANGUAGE, Document
from newscorpus.steps.base import Step

MULTIPLE_LANGUAGES = "mul"
SAMPLE_CHARS = 1000
TAIL_CHARS = 600
# Only documents this long get a second sample: a short one is not two articles.
MIXED_MIN_CHARS = 4000
MIXED_MIN_SCORE = 0.95


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def known_languages() -> frozenset[str]:
    """The codes the model can answer."""
    return frozenset(str(label) for label in _identifier().nb_classes)


def identify(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the language of ``text`` (its first characters)."""
    language, score = _identifier().classify(text[:SAMPLE_CHARS])
    return str(language), float(score)


def identify_document(title: str | None, text: str) -> tuple[str, float]:
    """(code, score) of a document: ``mul`` when its start and end differ confidently."""
    head = f"{title}\n{text}" if title else text
    language, score = identify(head)
    if len(text) >= MIXED_MIN_CHARS and score >= MIXED_MIN_SCORE:
        tail_language, tail_score = identify(text[-TAIL_CHARS:])
        if tail_language != language and tail_score >= MIXED_MIN_SCORE:
            return MULTIPLE_LANGUAGES, min(score, tail_score)
    return language, score


class IdentifyLanguage(Step):
    """Sets ``language`` and ``language_score``; below ``min_score`` the language is ``und``."""

    name = "language"

    def __init__(self, min_score: float = 0.5) -> None:
        super().__init__()
        self.min_score = min_score

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            language, score = identify_document(doc.title, doc.text)
            doc.language_score = round(score, 4)
            if score < self.min_score:
                doc.language = UNKNOWN_LANGUAGE
                self.count("undetermined")
            else:
                doc.language = language
                if language == MULTIPLE_LANGUAGES:
                    self.count("multiple_languages")
            yield doc
