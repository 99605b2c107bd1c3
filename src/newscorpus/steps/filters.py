"""Quality filters: Gopher and FineWeb heuristics that hold for every script.

Words are counted the way ``count_words`` does: in scripts written without spaces
(Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan) each character is a word, so length
thresholds hold in every language, and repetition is judged on n-grams of as many
characters as a word has there. Each drop is counted under its reason; with
``--keep-dropped`` the document is kept aside with that reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from newscorpus.document import (
    KANA_CHARS,
    SYLLABIC_UNSPACED_CHARS,
    UNSPACED,
    Document,
    count_words,
    words_of,
)
from newscorpus.steps.base import DropSink, Filter
from newscorpus.steps.language import language_code
from newscorpus.steps.pages import ARTICLE_TYPES
from newscorpus.webpage.boilerplate_rules import is_list_item

# Sentence ends in Latin, Cyrillic, Greek, Arabic, Devanagari, CJK, Armenian, Ethiopic
# scripts, possibly followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…。！？．؟۔।॥։።།༎။។»”’\"')\]）」』》]\s*$")
# Not dashes: a dash opens each reply of an interview or a dialogue in many languages.
_BULLET = re.compile(r"^\s*[•·▪▫◦‣►▶■□●○◆◇★☆✓✔*+>]\s")
_ELLIPSIS = re.compile(r"(\.\.\.|…)\s*$")
# Korean words (eojeol) are short syllable blocks: Gopher's word-length bounds do not apply.
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# A line repeated this often inside one document leaked into it (removed, not judged).
LEAKED_LINE_TIMES = 3
# Characters a word is made of, about, where each character is counted as a word: under
# two in Chinese, near three in Japanese (kana endings and particles), about four in the
# syllabic scripts (a consonant with its vowel and tone marks is two or three characters,
# a word one or two syllables).
CHARACTERS_PER_WORD = {"chinese": 2, "japanese": 3, "syllabic": 4}
_SYLLABIC = re.compile(f"[{SYLLABIC_UNSPACED_CHARS}]")
_KANA = re.compile(f"[{KANA_CHARS}]")
# Thai, Lao, Khmer, Burmese end sentences with a space, not a mark.
NO_SENTENCE_MARKS = frozenset({"th", "lo", "km", "my"})


@dataclass(slots=True)
class QualityThresholds:
    """Defaults follow Gopher (Rae et al. 2021) and FineWeb, loosened where news differs."""

    min_words: int = 50
    max_words: int = 100_000
    min_mean_word_length: float = 3.0  # spaced scripts only
    max_mean_word_length: float = 10.0
    min_alphabetic_words: float = 0.7  # Gopher 0.8: news has scores and figures
    max_symbol_ratio: float = 0.1  # "#" and ellipses per word
    max_bullet_lines: float = 0.9
    max_ellipsis_lines: float = 0.3
    max_repeated_lines: float = 0.3
    max_repeated_line_chars: float = 0.2
    max_top_ngram_chars: tuple[float, float, float] = (0.2, 0.18, 0.16)  # 2, 3, 4-grams
    max_repeated_5gram_chars: float = 0.15
    min_sentence_lines: float = 0.12  # FineWeb: lines ending with a sentence mark
    max_short_lines: float = 0.67  # FineWeb: lines under ``short_line_words``
    short_line_words: int = 6


class QualityFilter(Filter):
    """Drops documents that are not running text, and languages not asked for."""

    name = "filter"

    def __init__(
        self,
        thresholds: QualityThresholds | None = None,
        languages: Sequence[str] = (),
        *,
        on_drop: DropSink | None = None,
    ) -> None:
        super().__init__(on_drop=on_drop)
        self.thresholds = thresholds or QualityThresholds()
        self.languages = frozenset(map(language_code, languages))  # `no` is `nb`

    def filter(self, doc: Document) -> str | None:
        if self.languages and doc.language not in self.languages:
            return "language_not_selected"
        self._remove_leaked_lines(doc)
        declared = doc.declared_type in ARTICLE_TYPES
        return quality_problem(doc.text, doc.language, self.thresholds, declared)

    def _remove_leaked_lines(self, doc: Document) -> None:
        """A line said three times or more in one article is not the article's: a
        placeholder of a blocked embed ("Externer Inhalt nicht verfügbar"), an ad slot, a
        photo credit. Its copies go, before the document is judged; the article stays.
        List items are content that may recur (a nominee in several categories)."""
        lines = doc.text.split("\n\n")
        counts = Counter(line for line in lines if line.strip() and not is_list_item(line))
        leaked = {line for line, times in counts.items() if times >= LEAKED_LINE_TIMES}
        if not leaked:
            return
        kept = [line for line in lines if line not in leaked]
        self.count("leaked_lines_removed", len(lines) - len(kept))
        doc.text = "\n\n".join(kept)
        doc.word_count = count_words(doc.text)


def quality_problem(
    text: str, language: str, limits: QualityThresholds, declared_article: bool = False
) -> str | None:
    """The first quality rule ``text`` breaks, or None.

    ``declared_article``: the page's structured data says it is an article. Then the
    shape of its lines (short, without sentence marks) does not drop it: a list of award
    nominees or a results table is an article's text, while the same shape in a page that
    says nothing is a listing's.
    """
    words = words_of(text)
    if len(words) < limits.min_words:
        return "too_short"
    if len(words) > limits.max_words:
        return "too_long"
    spaced = [w for w in words if not UNSPACED.match(w)]
    problem = _word_problem(text, words, spaced, limits)
    if problem:
        return problem
    lines = [line for line in text.split("\n\n") if line.strip()]
    problem = _line_problem(lines, language, limits, declared_article)
    if problem:
        return problem
    return _repetition_problem(lines, words, limits, _characters_per_word(words, spaced))


def _word_problem(
    text: str, words: list[str], spaced: list[str], limits: QualityThresholds
) -> str | None:
    korean = sum(1 for w in spaced[:200] if _HANGUL.search(w)) > min(len(spaced), 200) * 0.3
    if len(spaced) > len(words) / 2 and not korean:
        mean = sum(map(len, spaced)) / len(spaced)
        if not limits.min_mean_word_length <= mean <= limits.max_mean_word_length:
            return "mean_word_length"
    # a table's "|" and a dash are no words: "| Name | Company |" is all alphabetic
    counted = [w for w in words if any(map(str.isalnum, w))]
    alphabetic = sum(1 for w in counted if any(map(str.isalpha, w)))
    if alphabetic < limits.min_alphabetic_words * len(counted):
        return "few_alphabetic_words"
    symbols = text.count("#") + text.count("...") + text.count("…")
    if symbols > limits.max_symbol_ratio * len(words):
        return "symbols"
    return None


def _characters_per_word(words: list[str], spaced: list[str]) -> int:
    """Gopher's n-grams are of words. Where each character counts as a word, a word is
    about two of them in Chinese, three in Japanese, four in Thai: n-grams of that many
    characters per word, or a name written in every paragraph (習近平, イオン) is a
    "repeated 5-gram" (two real articles of ../shared were dropped so: 21% and 24% of
    their characters in repeated 5-grams, 10% and 14% in repeated 10-grams)."""
    if len(spaced) >= len(words) / 2:
        return 1
    head = words[:2000]
    unspaced = sum(1 for w in head if UNSPACED.match(w))
    if sum(1 for w in head if _SYLLABIC.match(w)) > unspaced / 2:
        return CHARACTERS_PER_WORD["syllabic"]
    if sum(1 for w in head if _KANA.match(w)) > unspaced / 10:
        return CHARACTERS_PER_WORD["japanese"]
    return CHARACTERS_PER_WORD["chinese"]


def _line_problem(
    lines: list[str], language: str, limits: QualityThresholds, declared_article: bool
) -> str | None:
    count = len(lines)
    if sum(1 for line in lines if _BULLET.match(line)) > limits.max_bullet_lines * count:
        return "bullet_lines"
    if sum(1 for line in lines if _ELLIPSIS.search(line)) > limits.max_ellipsis_lines * count:
        return "ellipsis_lines"
    if declared_article:
        return None
    if language not in NO_SENTENCE_MARKS:
        ended = sum(1 for line in lines if _SENTENCE_END.search(line))
        if ended < limits.min_sentence_lines * count:
            return "few_sentence_lines"
    short = sum(1 for line in lines if len(words_of(line)) < limits.short_line_words)
    if short > limits.max_short_lines * count:
        return "short_lines"
    return None


def _repetition_problem(
    lines: list[str], words: list[str], limits: QualityThresholds, scale: int
) -> str | None:
    """Gopher's repetition rules; n-grams of ``scale`` x n tokens."""
    line_counts = Counter(lines)
    repeated = [line for line, n in line_counts.items() for _ in range(n - 1)]
    if len(repeated) > limits.max_repeated_lines * len(lines):
        return "repeated_lines"
    total_chars = sum(map(len, lines))
    if sum(map(len, repeated)) > limits.max_repeated_line_chars * total_chars:
        return "repeated_line_chars"
    word_chars = sum(map(len, words)) or 1
    for n, limit in zip((2, 3, 4), limits.max_top_ngram_chars, strict=True):
        grams = Counter(zip(*(words[i:] for i in range(n * scale)), strict=False))
        if not grams:
            break
        gram, uses = grams.most_common(1)[0]
        if uses > 1 and uses * sum(map(len, gram)) > limit * word_chars:
            return "repeated_ngrams"
    return _repeated_5grams(words, word_chars, limits, 5 * scale)


def _repeated_5grams(
    words: list[str], word_chars: int, limits: QualityThresholds, size: int = 5
) -> str | None:
    """Gopher: characters covered by 5-grams (of ``size`` tokens) that occur more than once."""
    seen: set[tuple[str, ...]] = set()
    covered = [False] * len(words)
    for i in range(len(words) - size + 1):
        gram = tuple(words[i : i + size])
        if gram in seen:
            for j in range(i, i + size):
                covered[j] = True
        else:
            seen.add(gram)
    repeated_chars = sum(len(w) for w, flag in zip(words, covered, strict=True) if flag)
    if repeated_chars > limits.max_repeated_5gram_chars * word_chars:
        return "repeated_ngrams"
    return None
