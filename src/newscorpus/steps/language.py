"""Language identification of the cleaned body text, with a model shipped in its package.

py3langid carries its naive Bayes model (97 languages) inside the wheel: nothing is
downloaded at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from newscorpus.document import UNKNOWN_LANGUAGE, Document
from newscorpus.steps.base import Step

_MAX_CHARS = 2000  # enough for a confident decision; keeps long articles cheap


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def known_languages() -> frozenset[str]:
    """The codes the model can answer."""
    return frozenset(str(label) for label in _identifier().nb_classes)


def identify(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the language of ``text``."""
    language, score = _identifier().classify(text[:_MAX_CHARS])
    return str(language), float(score)


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
            text = f"{doc.title}\n{doc.text}" if doc.title else doc.text
            language, score = identify(text)
            doc.language_score = round(score, 4)
            if score < self.min_score:
                doc.language = UNKNOWN_LANGUAGE
                self.count("undetermined")
            else:
                doc.language = language
            yield doc
