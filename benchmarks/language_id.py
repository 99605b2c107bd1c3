"""Language identification: accuracy and speed of newscorpus against plain py3langid.

Data: benchmarks/language/paragraphs.jsonl, 310 news paragraphs in 31 languages written
for this project; "articles" are 5 paragraphs of one language joined (62 of them).

- baseline: ``py3langid.classify(text)`` on the whole text, what most pipelines call;
- newscorpus: ``identify_document`` (the title-less form of what ``process`` runs): the
  first 1,000 characters, plus a tail sample on long documents to flag mixed ones.

Prints accuracy (per language when not perfect) and documents/s, medians of ``--repeat``.

    python benchmarks/language_id.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import py3langid

from newscorpus.steps.language import identify_document

DATA = Path(__file__).resolve().parent / "language" / "paragraphs.jsonl"


def load() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    paragraphs = [(r["language"], r["text"]) for r in rows]
    by_language: dict[str, list[str]] = defaultdict(list)
    for language, text in paragraphs:
        by_language[language].append(text)
    articles = [
        (language, "\n\n".join(texts[start : start + 5]))
        for language, texts in sorted(by_language.items())
        for start in range(0, len(texts), 5)
    ]
    return paragraphs, articles


def measure(
    classify: Callable[[str], str], items: list[tuple[str, str]], repeat: int
) -> tuple[float, float, dict[str, int]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answers = [classify(text) for _, text in items]
        times.append(time.perf_counter() - start)
    errors: dict[str, int] = defaultdict(int)
    for (language, _), answer in zip(items, answers, strict=True):
        if answer != language:
            errors[language] += 1
    accuracy = 1 - sum(errors.values()) / len(items)
    return accuracy, len(items) / statistics.median(times), dict(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    paragraphs, articles = load()
    languages = len({language for language, _ in paragraphs})
    contenders: dict[str, Callable[[str], str]] = {
        "py3langid.classify (whole text)": lambda text: str(py3langid.classify(text)[0]),
        "newscorpus identify_document": lambda text: identify_document(None, text)[0],
    }
    for contender in contenders.values():  # load the model before timing
        contender("warm up")
    for label, items in (("paragraphs", paragraphs), ("articles", articles)):
        mean_chars = statistics.fmean(len(text) for _, text in items)
        print(f"\n{label}: {len(items)} texts, {languages} languages, {mean_chars:.0f} chars avg")
        rates = []
        for name, classify in contenders.items():
            accuracy, rate, errors = measure(classify, items, args.repeat)
            rates.append(rate)
            wrong = f"  errors: {errors}" if errors else ""
            print(f"  {name:34} accuracy {accuracy:7.2%}  {rate:8.0f} docs/s{wrong}")
        print(f"  speed ratio newscorpus / baseline: {rates[1] / rates[0]:.2f}x")


if __name__ == "__main__":
    main()
