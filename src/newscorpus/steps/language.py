"""Language identification of the cleaned body text, with models shipped in their packages.

Nothing is downloaded at run time. Two models, the second only where the first is weak,
then the text's words and the page's declaration:

1. py3langid (naive Bayes, in its wheel) reads the title and the first ``SAMPLE_CHARS``
   of the body: fast, and exact on the big news languages. A sure answer
   (``SURE``) stands.
2. lingua (the ``langid`` extra; its models are in its wheel) gives a second opinion on an
   unsure answer, restricted to the few candidates py3langid left open: its top answers,
   the group of languages it is known to confuse with its answer (Tswana with Northern
   Sotho, Tsonga with Xhosa, ...), and the languages only lingua knows (Maori, Tswana,
   Tsonga). It never answers with a language outside those, and where it is no better
   (Malay/Indonesian, Bosnian/Croatian/Serbian; measured in benchmarks/language_id.py)
   py3langid's answer stands. Without lingua installed, py3langid answers alone.
3. Words that one standard language uses and its neighbour does not (``_MARKED``,
   Cantonese particles) settle the groups no shipped model tells apart.
4. The page's own declaration (``<html lang>``, ``og:locale``, else a Content-Language
   header naming one language) is evidence, never the answer against the text: it decides
   between languages the text leaves open (the confusable group of the answer, or a
   language the text gives ``DECLARED_EVIDENCE``).

Codes are ISO 639-1 where one exists, else ISO 639-3 (``nso``, ``kik``); Norwegian is
Bokmål ``nb`` or Nynorsk ``nn``. A long document is also sampled at its end: when the two
samples are confidently in different languages the document is ``mul`` (ISO 639-2,
multiple languages); below ``min_score`` it is ``und`` (undetermined).
"""

from __future__ import annotations

import array
import itertools
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from newscorpus.document import HAN_CHARS, UNKNOWN_LANGUAGE, Document
from newscorpus.steps.base import Step

log = logging.getLogger(__name__)

MULTIPLE_LANGUAGES = "mul"
SAMPLE_CHARS = 1000
TAIL_CHARS = 600
# Only documents this long get a second sample: a short one is not two articles.
MIXED_MIN_CHARS = 4000
MIXED_MIN_SCORE = 0.95
# Texts walked through py3langid's automaton together, and the fewest worth walking
# together (a batch step costs more than a Python step for one text).
WALK_BATCH = 1024
WALK_TOGETHER = 8
# The step labels documents in batches of WALK_BATCH, fewer when their texts are this long
# (the batch is held in memory).
BATCH_CHARACTERS = 4_000_000
# py3langid's probability above which its answer stands without a second opinion.
SURE = 0.99
# How many of py3langid's best answers the second opinion chooses among (with the groups).
OPEN_CANDIDATES = 3
# The text's probability that makes a page's declared language a candidate.
DECLARED_EVIDENCE = 0.05
# Languages written so alike that one model confuses them (measured on real text).
CONFUSABLE = (
    frozenset({"ms", "id"}),
    frozenset({"bs", "hr", "sr"}),
    frozenset({"nb", "nn", "da"}),
    frozenset({"tn", "nso", "st"}),
    frozenset({"ts", "xh", "zu", "ss", "nr"}),
)
# Groups where the second model is no better than the first: py3langid's answer stands,
# unless the text's words settle it (MARKERS).
FIRST_DECIDES = (frozenset({"ms", "id"}), frozenset({"bs", "hr", "sr"}))
_GROUP = {language: group for group in CONFUSABLE for language in group}

# Words that the standard language of one or two members of a group uses and the others
# do not, as grammars and style guides describe them (spelling, everyday vocabulary,
# month names, ijekavian and ekavian forms, -irati/-ovati verbs, Croatian's infinitive
# where Bosnian and Serbian say "treba da"), not words picked from a test set (though
# the benchmark's wrong answers showed which of those differences to add). Each word
# (or two-word phrase) in the text counts for the languages it names; the one with the
# most wins when it has MARKERS_NEEDED or more and more than any other, else the models'
# answer stands.
_MARKED: dict[tuple[str, ...], str] = {
    ("ms",): "bahawa kerana antarabangsa kerajaan wang pejabat selepas sebarang sesiapa"
    " lelaki kakitangan syarikat kereta polis bas teksi universiti kualiti aktiviti komuniti"
    " percuma cukai mesyuarat jawatankuasa disember ogos maklumat perlembagaan televisyen"
    " kenderaan sempadan sahaja ugama ianya iaitu mahu baharu pelbagai kenyataan bapa cuti"
    " kahwin berkahwin perkahwinan mahkamah fikir berfikir faham jadual nombor hospital",
    ("id",): "bahwa karena internasional pemerintah uang kantor pria mobil polisi bus taksi"
    " universitas kualitas aktivitas komunitas gratis pajak rapat panitia desember agustus"
    " maret informasi konstitusi televisi kendaraan perbatasan saja bisa kabupaten provinsi"
    " kemarin silakan yaitu mau berbagai pernyataan bapak libur departemen"
    " kawin perkawinan pengadilan pikir berpikir paham jadwal nomor rumah_sakit",
    ("hr",): "tko nitko netko svatko itko tisuća tisuće kruh povijest obveza obveze obvezan"
    " obvezni obvezati suradnja suradnje suradnji suradnju"
    " povijesti sveučilište zrakoplov glazba tjedan tjedna tijekom siječnja veljače ožujka"
    " travnja svibnja lipnja srpnja kolovoza rujna listopada studenoga prosinca europa"
    " europske europski europskoj znanost kazalište nogomet vlak izvješće točno sudjelovati"
    " sudjeluje uvjet uvjeti uvjeta ponovno podrijetlo podrijetla podrijetlu pridonijeti"
    " pridonosi pridonio pridonijela pridonesu obrana obrane obrani obranu židovski židovske"
    " židovskog židovskom",
    ("bs",): "historija historije historiji historiju sedmica sedmice lahko hudovica",
    ("sr",): "gde uvek ovde vreme mesto mesta deca dece reč reči dete pre posle lepo svet"
    " cena cene sreda mleko želeo hteo takođe opština opštine istorija istorije istoriji"
    " nedelja nedelje hleb primer vesti vest reka verovatno dela delo čovek čoveka čoveku"
    " sme smeju vera vere mera mere mesec meseca ceo celi celo cela sever dve pesma beli"
    " opšti opšteg opšta opšte poreklo porekla",
    ("bs", "sr"): "ko niko neko svako iko šta hiljada hiljade porodica porodice fudbal evropa"
    " evropske evropski evropskoj tokom učestvovati učestvuje tačno januara februara marta"
    " aprila juna jula avgusta septembra oktobra novembra decembra voz uslov uslovi"
    " univerzitet obaveza obaveze obavezan saradnja saradnje saradnji saradnju ponovo"
    " vazduh vazduha vazduhu odbrana odbrane odbrani odbranu organizovati organizuje"
    " organizovan organizovao organizovala jevrejski jevrejske jevrejskog jevrejskom"
    " desilo desio desila desiti komšija komšije komšiluk putevi puteva treba_da"
    " porijeklo porijekla",
    ("bs", "hr"): "vrijeme mjesto mjesta djeca djece riječ riječi dijete prije poslije lijepo"
    " svijet svijeta cijena cijene srijeda mlijeko također općina općine gdje uvijek ovdje"
    " želio htio primjer vijesti vijest rijeka vjerovatno vjerojatno djela djelo obitelj"
    " obitelji čovjek čovjeka čovjeku smije smiju vjera vjere mjera mjere mjesec mjeseca"
    " cijeli cijelo cijela sjever dvije pjesma bijeli opći općeg općem opća opće"
    # (Bosnian writes these as Croatian does, and also as Serbian does)
    " zrak zraka zraku organizirati organizira organiziran organizirao organizirala",
}
# (a phrase is written with "_" for its space: "treba_da")
_MARKER_WORDS = {
    word.replace("_", " "): languages
    for languages, words in _MARKED.items()
    for word in words.split()
}
MARKERS_NEEDED = 2
# Written Cantonese: particles and words Standard Chinese does not use; a Cantonese text
# has several per hundred Han characters, a Standard Chinese one quoting a speaker few.
CANTONESE = frozenset("嘅咗喺佢哋啲嘢冇乜嚟咁睇諗谂俾嗰啱咩唔")
CANTONESE_SHARE = 0.02
_WORDS = re.compile(r"\w+")
_HAN = re.compile(f"[{HAN_CHARS}]")

# Tags that name a language by another code than the one newscorpus writes: deprecated
# ISO 639-1 codes, and Norwegian, which is written as Bokmål ``nb`` or Nynorsk ``nn``
# (``no`` names both; the models' and sites' ``no`` is Bokmål in practice).
_RENAMED = {"no": "nb", "nob": "nb", "nno": "nn", "iw": "he", "in": "id", "ji": "yi", "jw": "jv"}


def language_code(tag: str) -> str:
    """A language tag (``pt-BR``, ``nb_NO``, ``no``) as newscorpus writes languages:
    the lower-cased primary subtag, ISO 639-1 where one exists, else ISO 639-3."""
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return _RENAMED.get(primary, primary)


class _FirstModel:
    """py3langid's naive Bayes model, scored as py3langid scores it (the same byte n-gram
    automaton and weights, probabilities equal to its ``rank``) but several times faster
    on many texts: the automaton is walked over a batch of texts at once, one numpy step
    per byte position (texts sorted by length, so few steps are spent on padding), the
    weights are held as float32 (numpy's float16 product costs more than the rest), and
    the answers are ranked in numpy instead of sorting every label in Python."""

    def __init__(self) -> None:
        model = LanguageIdentifier.from_model_file(MODEL_FILE)
        # The automaton as two tables indexed by a transition (the row base of the state
        # it leaves plus the byte read): the row base of the state it enters, and the
        # feature that state completes (-1 for none). One look-up less a byte than
        # py3langid's three tables, and the same tables serve numpy and the Python loop.
        nextmove = np.frombuffer(model.tk_nextmove, dtype=np.uint32)
        rowbase = np.asarray(model.tk_row, dtype=np.int32) << 8
        self._features = len(model.nb_ptc)
        self._start_base = int(rowbase[0])  # the walk starts in state 0
        self._next_base = array.array("i", rowbase[nextmove].tobytes())
        self._feature_on = array.array(
            "i", np.asarray(model.tk_output, np.int32)[nextmove].tobytes()
        )
        self._weights = np.asarray(model.nb_ptc, dtype=np.float32)
        self._prior = np.asarray(model.nb_pc, dtype=np.float32)
        # a language may have two labels (Serbian in two scripts): one code, probabilities added
        codes = [language_code(str(label)) for label in model.nb_classes]
        self.codes = sorted(set(codes))
        self.index = {code: i for i, code in enumerate(self.codes)}
        self._label_codes = np.zeros((len(codes), len(self.codes)), dtype=np.float32)
        self._label_codes[np.arange(len(codes)), [self.index[code] for code in codes]] = 1.0

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each of ``codes`` for each text, one row a text (uniform for a
        text without any feature)."""
        encoded = [
            unicodedata.normalize("NFC", text.lower() if text.isupper() else text).encode(
                "utf8", errors="surrogatepass"
            )
            for text in texts
        ]
        rows = np.empty((len(encoded), len(self.codes)), dtype=np.float64)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), WALK_BATCH):
            batch = order[start : start + WALK_BATCH]
            rows[batch] = self._scores([encoded[i] for i in batch])
        return rows

    def _scores(self, encoded: list[bytes]) -> np.ndarray:
        if len(encoded) < WALK_TOGETHER:
            docs, features, counts = self.visits_one_by_one(encoded)
        else:
            docs, features, counts = self.visits_together(encoded)
        scores = np.zeros((len(encoded), len(self._prior)), dtype=np.float32)
        if len(docs):
            # each document's sum of log1p(count) * weight over its features (a document's
            # features are contiguous): one product a document, numpy's fastest here
            bounds = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1], True])
            logs = np.log1p(counts.astype(np.float32))
            for start, end in itertools.pairwise(bounds.tolist()):
                scores[docs[start]] = logs[start:end] @ self._weights[features[start:end]]
        scores += self._prior
        # py3langid's calibration across lengths, its rounding too (a float32 product)
        lengths = np.array([max(len(text), 1) for text in encoded], dtype=np.float64)
        scores *= (1.0 / np.sqrt(lengths)).astype(np.float32)[:, None]
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        probabilities = scores @ self._label_codes
        featureless = np.ones(len(encoded), dtype=bool)
        featureless[docs] = False
        probabilities[featureless] = 1.0 / len(self.codes)
        return probabilities

    def visits_one_by_one(self, encoded: list[bytes]) -> tuple[np.ndarray, ...]:
        """(document, feature, count) of each feature each text visits, by document then
        feature, the automaton walked in Python (faster for a few texts)."""
        next_base, feature_on = self._next_base, self._feature_on
        keys: list[int] = []
        for doc, text in enumerate(encoded):
            offset = doc * self._features
            base = self._start_base
            for letter in text:
                transition = base + letter
                if (feature := feature_on[transition]) >= 0:
                    keys.append(offset + feature)
                base = next_base[transition]
        return self._counted(np.array(keys, dtype=np.int64))

    def visits_together(self, encoded: list[bytes]) -> tuple[np.ndarray, ...]:
        """The same as ``visits_one_by_one``, the automaton stepped for all texts at once."""
        longest = max(len(text) for text in encoded)
        letters = np.zeros((longest, len(encoded)), dtype=np.int32)
        for doc, text in enumerate(encoded):
            letters[: len(text), doc] = np.frombuffer(text, dtype=np.uint8)
        next_base = np.frombuffer(self._next_base, dtype=np.int32)
        feature_on = np.frombuffer(self._feature_on, dtype=np.int32)
        visited = np.empty((longest, len(encoded)), dtype=np.int32)
        base = np.full(len(encoded), self._start_base, dtype=np.int32)
        transition = np.empty(len(encoded), dtype=np.int32)
        for position in range(longest):
            np.add(base, letters[position], out=transition)
            np.take(feature_on, transition, out=visited[position])
            np.take(next_base, transition, out=base)
        # past a text's end the automaton walked padding: not the text's features
        lengths = np.array([len(text) for text in encoded])
        visited[np.arange(longest)[:, None] >= lengths[None, :]] = -1
        found = visited >= 0
        docs = np.broadcast_to(np.arange(len(encoded), dtype=np.int64), visited.shape)[found]
        return self._counted(docs * self._features + visited[found])

    def _counted(self, keys: np.ndarray) -> tuple[np.ndarray, ...]:
        """(document, feature, count) from keys ``document * features + feature``."""
        unique, counts = np.unique(keys, return_counts=True)
        return unique // self._features, unique % self._features, counts


@cache
def _first_model() -> _FirstModel:
    return _FirstModel()


@cache
def _first_languages() -> frozenset[str]:
    return frozenset(_first_model().codes)


@cache
def _second_model() -> dict[str, Any] | None:
    """lingua's languages by code, or None when the ``langid`` extra is not installed."""
    try:
        import lingua
    except ImportError:
        log.info("lingua is not installed: py3langid identifies languages alone")
        return None
    return {language_code(lang.iso_code_639_1.name): lang for lang in lingua.Language.all()}


@cache
def _second_opinion(candidates: frozenset[str]) -> Any:
    """A lingua detector restricted to ``candidates`` (its models are shared between
    detectors and loaded once, on first use)."""
    import lingua

    languages = _second_model() or {}
    return (
        lingua.LanguageDetectorBuilder.from_languages(
            *(languages[code] for code in sorted(candidates))
        )
        .with_low_accuracy_mode()
        .build()
    )


def known_languages() -> frozenset[str]:
    """The codes newscorpus can answer (with lingua installed: both models' languages)."""
    return _first_languages() | frozenset(_second_model() or ())


def _ranked(probabilities: np.ndarray) -> list[tuple[str, float]]:
    """py3langid's best answers, best first: the best, and up to ``OPEN_CANDIDATES``
    with any probability."""
    codes = _first_model().codes
    order = np.argsort(-probabilities, kind="stable")[:OPEN_CANDIDATES]
    ranked = [(codes[i], float(probabilities[i])) for i in order]
    return ranked[:1] + [(code, p) for code, p in ranked[1:] if p > 0.0]


def _reconsidered(text: str, ranked: list[tuple[str, float]]) -> tuple[str, float]:
    """(code, probability) once lingua has chosen among the candidates py3langid left open."""
    best = ranked[0]
    second = _second_model()
    if second is None or any(best[0] in group for group in FIRST_DECIDES):
        return best
    only_second = frozenset(second) - _first_languages()
    open_ = {code for code, _ in ranked[:OPEN_CANDIDATES]} | _GROUP.get(best[0], set())
    candidates = frozenset((open_ | only_second) & second.keys())
    if len(candidates) < 2:
        return best
    detector = _second_opinion(candidates)
    text = unicodedata.normalize("NFC", text)
    if not text.isascii():  # lingua takes UTF-8 only: a lone surrogate becomes "?"
        text = text.encode("utf8", errors="replace").decode("utf8")
    values = detector.compute_language_confidence_values(text)
    if not values or values[0].value <= 0.0:
        return best
    answer = language_code(values[0].language.iso_code_639_1.name)
    # lingua cannot say "none of these": where py3langid answered a language lingua
    # does not know, only a language py3langid does not know overrules it
    if best[0] not in second and answer not in only_second:
        return best
    return answer, float(values[0].value)


def _by_markers(text: str, answer: str, probabilities: np.ndarray) -> str:
    """The member of ``answer``'s group that the text's own words point to, or ``answer``
    when they do not settle it (Malay/Indonesian, Bosnian/Croatian/Serbian, Cantonese)."""
    if answer in ("zh", "yue"):
        han = len(_HAN.findall(text))
        cantonese = sum(map(CANTONESE.__contains__, text))
        return "yue" if han and cantonese >= max(3, CANTONESE_SHARE * han) else "zh"
    if not any(answer in group for group in FIRST_DECIDES):
        return answer
    votes: Counter[str] = Counter()
    words = _WORDS.findall(text.lower())
    for word in words:
        votes.update(_MARKER_WORDS.get(word, ()))
    for pair in map(" ".join, itertools.pairwise(words)):
        votes.update(_MARKER_WORDS.get(pair, ()))
    most = max(votes.values(), default=0)
    if most < MARKERS_NEEDED:
        return answer
    leaders = [language for language, count in votes.items() if count == most]
    if answer in leaders:
        return answer
    if len(leaders) == 1:
        return leaders[0]
    # the words leave two open (Bosnian shares words with each neighbour): the model
    # chooses between those two
    index = _first_model().index
    return max(leaders, key=lambda language: probabilities[index[language]])


def identify(text: str, declared: str | None = None) -> tuple[str, float]:
    """(code, probability) of the language of ``text`` (its first characters);
    ``declared`` is the language the page says it is in, if any."""
    (found,) = _identify_samples([text[:SAMPLE_CHARS]], [declared])
    return found


def _identify_samples(
    samples: Sequence[str], declared: Sequence[str | None]
) -> list[tuple[str, float]]:
    """``identify`` of many texts at once (py3langid scores them in one batch)."""
    model = _first_model()
    found = []
    for sample, claimed, probabilities in zip(
        samples, declared, model.probabilities(samples), strict=True
    ):
        ranked = _ranked(probabilities)
        answer, score = ranked[0] if ranked[0][1] >= SURE else _reconsidered(sample, ranked)
        answer = _by_markers(sample, answer, probabilities)
        if claimed:
            claim = language_code(claimed)
            text_gives = float(probabilities[model.index[claim]]) if claim in model.index else 0.0
            if claim != answer and (
                claim in _GROUP.get(answer, ()) or text_gives >= DECLARED_EVIDENCE
            ):
                # the text leaves it open: the page's word decides, at the text's confidence
                answer = claim
        found.append((answer, score))
    return found


def identify_document(
    title: str | None, text: str, declared: str | None = None
) -> tuple[str, float]:
    """(code, score) of a document: ``mul`` when its start and end differ confidently."""
    (found,) = identify_documents([(title, text, declared)])
    return found


def identify_documents(
    documents: Sequence[tuple[str | None, str, str | None]],
) -> list[tuple[str, float]]:
    """``identify_document`` of many (title, text, declared) at once: faster than one by one."""
    heads = [(f"{title}\n{text}" if title else text)[:SAMPLE_CHARS] for title, text, _ in documents]
    found = _identify_samples(heads, [declared for _, _, declared in documents])
    # a long document confidently in one language is sampled at its end too
    tails = [
        i
        for i, ((_, text, _), (_, score)) in enumerate(zip(documents, found, strict=True))
        if len(text) >= MIXED_MIN_CHARS and score >= MIXED_MIN_SCORE
    ]
    tail_found = _identify_samples(
        [documents[i][1][-TAIL_CHARS:] for i in tails], [documents[i][2] for i in tails]
    )
    for i, (tail_language, tail_score) in zip(tails, tail_found, strict=True):
        language, score = found[i]
        if tail_language != language and tail_score >= MIXED_MIN_SCORE:
            found[i] = MULTIPLE_LANGUAGES, min(score, tail_score)
    return found


class IdentifyLanguage(Step[Document, Document]):
    """Sets ``language`` and ``language_score``; below ``min_score`` the language is ``und``."""

    name = "language"

    def __init__(self, min_score: float = 0.5) -> None:
        super().__init__()
        self.min_score = min_score

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        batch: list[Document] = []
        characters = 0
        for doc in docs:
            batch.append(doc)
            characters += len(doc.text)
            if len(batch) >= WALK_BATCH or characters >= BATCH_CHARACTERS:
                yield from self._labelled(batch)
                batch, characters = [], 0
        yield from self._labelled(batch)

    def _labelled(self, docs: list[Document]) -> list[Document]:
        found = identify_documents([(d.title, d.text, d.declared_language) for d in docs])
        for doc, (language, score) in zip(docs, found, strict=True):
            doc.language_score = round(score, 4)
            if score < self.min_score:
                doc.language = UNKNOWN_LANGUAGE
                self.count("undetermined")
            else:
                doc.language = language
                if language == MULTIPLE_LANGUAGES:
                    self.count("multiple_languages")
        return docs
