"""Extraction quality of newscorpus against trafilatura's defaults, on pages with ground truth.

Sets (each skipped when absent):

- ``fundus``: 80 real English news pages of 16 publishers with their article bodies
  (../shared/benchmarks/extraction/fundus, MIT);
- ``multilingual``: pages in 10 languages and 5 scripts written for this project
  (benchmarks/extraction/multilingual), with site boilerplate inside the bodies.

Metric: the Zyte article-extraction benchmark's, precision/recall/F1 of 4-token shingles
(multisets) between the extracted body and the ground-truth body, averaged over pages.
Tokens are ``\\w+`` runs, lower-cased; in scripts written without spaces (Chinese, Japanese,
Thai) each character is a token, so that CJK pages are scored by more than one "word".

newscorpus runs what ``process`` runs on each page: stage 1 (extract, clean, line
counts), the counts merged into a boilerplate index, stage 2's boilerplate removal and
language identification (quality filters and dedup, which drop whole documents, are left
out: this scores text). Its time
includes both stages. The baseline is ``trafilatura.extract(html_bytes, url=url)`` with
default settings. Both are timed side by side, alternating, medians of ``--repeat`` runs.

    python benchmarks/extraction_quality.py [--repeat 3] [--set fundus|multilingual]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from newscorpus.document import UNSPACED_CHARS, Document
from newscorpus.steps import CleanText, CountLines, Extract, IdentifyLanguage, RemoveBoilerplate
from newscorpus.steps.boilerplate import BoilerplateIndex, learned_lines
from newscorpus.warc.reader import WarcResponse

HERE = Path(__file__).resolve().parent
SETS = {
    "fundus": HERE.parents[1] / "shared" / "benchmarks" / "extraction" / "fundus",
    "multilingual": HERE / "extraction" / "multilingual",
}
BOILERPLATE_MIN_DOCUMENTS = 3  # the ``process`` default
_TOKEN = re.compile(rf"[{UNSPACED_CHARS}]|[^\W{UNSPACED_CHARS}]+")


@dataclass(slots=True)
class Page:
    name: str
    url: str
    html: bytes
    truth: str  # ground-truth body, paragraphs separated by blank lines


@dataclass(slots=True)
class Score:
    precision: float
    recall: float
    f1: float


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def shingle_score(extracted: str, truth: str, size: int = 4) -> Score:
    """Precision, recall and F1 of ``size``-token shingles (as multisets)."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        words = tokens(text)
        return Counter(tuple(words[i : i + size]) for i in range(max(len(words) - size + 1, 0)))

    got, want = shingles(extracted), shingles(truth)
    if not got and not want:
        return Score(1.0, 1.0, 1.0)
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return Score(precision, recall, f1)


def mean_score(scores: list[Score]) -> Score:
    return Score(
        statistics.fmean(s.precision for s in scores),
        statistics.fmean(s.recall for s in scores),
        statistics.fmean(s.f1 for s in scores),
    )


def load_set(folder: Path) -> list[Page]:
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    pages = []
    for name, entry in sorted(truth.items()):
        raw = (folder / "html" / name).read_bytes()
        html = gzip.decompress(raw) if name.endswith(".gz") else raw
        pages.append(Page(name, entry["url"], html, "\n\n".join(entry["body"])))
    return pages


def trafilatura_texts(pages: list[Page]) -> dict[str, str]:
    return {page.name: trafilatura.extract(page.html, url=page.url) or "" for page in pages}


def newscorpus_documents(pages: list[Page]) -> dict[str, Document]:
    """What ``process`` does to the pages, minus storage: stage 1, learning, stage 2."""
    responses = [
        WarcResponse(page.url, page.html, None, 200, "2024-01-01T00:00:00Z", page.name, n)
        for n, page in enumerate(pages)
    ]
    counter = CountLines()
    steps = [Extract(), CleanText(), counter]
    stream = responses
    for step in steps:
        stream = step.run(stream)  # type: ignore[assignment]
    staged: list[Document] = list(stream)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as scratch:
        counts, index_path = Path(scratch) / "lines.parquet", Path(scratch) / "index.sqlite"
        counter.write(counts)
        index = BoilerplateIndex(index_path)
        index.merge(0, counts)
        index.close()
        remover = RemoveBoilerplate(learned_lines(index_path, BOILERPLATE_MIN_DOCUMENTS))
        finished = list(IdentifyLanguage().run(remover.run(staged)))
    return {doc.warc_file: doc for doc in finished}


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def evaluate(name: str, pages: list[Page], repeat: int) -> dict[str, object]:
    # Warm up both (model and stop-list loading happen once per process, not per page).
    trafilatura_texts(pages[:10])
    newscorpus_documents(pages[:10])
    baseline_times, our_times = [], []
    for _ in range(repeat):  # alternate, so that machine noise hits both alike
        baseline_times.append(timed(lambda: trafilatura_texts(pages)))
        our_times.append(timed(lambda: newscorpus_documents(pages)))
    baseline = trafilatura_texts(pages)
    ours = newscorpus_documents(pages)
    base_score = mean_score([shingle_score(baseline[p.name], p.truth) for p in pages])
    our_score = mean_score(
        [shingle_score(ours[p.name].text if p.name in ours else "", p.truth) for p in pages]
    )
    base_ms = statistics.median(baseline_times) / len(pages) * 1000
    our_ms = statistics.median(our_times) / len(pages) * 1000
    print(f"\n{name}: {len(pages)} pages, medians of {repeat} runs")
    print(f"{'':24} {'precision':>9} {'recall':>7} {'F1':>7} {'ms/page':>8} {'docs/s':>7}")
    for label, score, ms in (
        ("trafilatura defaults", base_score, base_ms),
        ("newscorpus", our_score, our_ms),
    ):
        print(
            f"{label:24} {score.precision:9.4f} {score.recall:7.4f} {score.f1:7.4f} "
            f"{ms:8.2f} {1000 / ms:7.1f}"
        )
    print(
        f"F1 newscorpus - trafilatura: {our_score.f1 - base_score.f1:+.4f}; "
        f"time per page ratio: {our_ms / base_ms:.2f}x (target <= 1.3x)"
    )
    return {
        "set": name,
        "pages": len(pages),
        "trafilatura": {"f1": base_score.f1, "ms_per_page": base_ms},
        "newscorpus": {"f1": our_score.f1, "ms_per_page": our_ms},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--set", choices=sorted(SETS), action="append", dest="sets")
    args = parser.parse_args()
    done = 0
    for name in args.sets or list(SETS):
        folder = SETS[name]
        if not (folder / "ground_truth.json").exists():
            print(f"{name}: skipped, {folder} not found")
            continue
        evaluate(name, load_set(folder), args.repeat)
        done += 1
    if not done:
        sys.exit("no evaluation set found")


if __name__ == "__main__":
    main()
