"""Extraction quality on real news pages: what ``process`` gives a user, against trafilatura.

Sets (each skipped when absent):

- ``fundus``: 80 real English news pages of 16 publishers with hand-checked bodies
  (../shared/benchmarks/extraction/fundus, MIT);
- ``fundus-multilingual``: 142 real news pages of 98 publishers in 25 languages, with
  title, authors and publication date too (../shared/benchmarks/extraction/fundus-multilingual);
- ``multilingual``: 30 pages in 10 languages written for this project
  (benchmarks/extraction/multilingual), with site boilerplate inside the bodies. It proves
  rules work; only the real sets say whether they help.

newscorpus is scored on what a user gets: the pages of a set go into one WARC file and
through the whole ``process`` (extraction, cleaning, boilerplate, language, quality filters,
dedup, storage, one worker); the prediction for a page is the row stored for it, and a page
dropped on the way (by a filter, as a duplicate, or because extraction failed) is an empty
prediction, counted as lost and listed with the reason. The baselines are trafilatura's
``bare_extraction(html, url=url, with_metadata=True)`` with default settings and with
``favor_precision=True``.

Metrics, per set, per language and over the set (averaged over pages):
- body: the Zyte benchmark's precision/recall/F1 of 4-token shingles (multisets); tokens
  are ``\\w+`` runs, lower-cased (NFC), and each CJK, kana, Hangul or Thai character is a token;
- metadata, where the truth has it: title exact (whitespace normalised), authors as a set
  (F1, case-insensitive), published on the same day;
- time per page: ``process`` of the set's WARC file (everything, Parquet included, one
  worker, default options; writing the WARC file, which a user already has, is not
  timed) against ``trafilatura.extract(html, url=url, with_metadata=True)``, alternated,
  medians of ``--repeat`` runs; the throughput ratio is trafilatura's time over ours.

    python benchmarks/extraction_quality.py [--repeat 3] [--set NAME ...] [--lost]
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
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import trafilatura

from newscorpus import LocalExecutor, ProcessOptions, process
from newscorpus.document import UNSPACED_CHARS
from newscorpus.warc import WarcFileWriter

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "benchmarks" / "extraction"
SETS = {
    "fundus": SHARED / "fundus",
    "fundus-multilingual": SHARED / "fundus-multilingual",
    "multilingual": HERE / "extraction" / "multilingual",
}
_TOKEN = re.compile(rf"[{UNSPACED_CHARS}]|[^\W{UNSPACED_CHARS}]+")
_SPACES = re.compile(r"\s+")
SYSTEMS = ("trafilatura", "trafilatura precision", "newscorpus")


@dataclass(slots=True)
class Page:
    name: str
    url: str
    html: bytes
    truth: str  # ground-truth body, paragraphs separated by blank lines
    language: str
    title: str | None = None
    authors: list[str] | None = None
    published: str | None = None


@dataclass(slots=True)
class Prediction:
    text: str = ""
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    lost: str | None = None  # why a page gave no document


@dataclass(slots=True)
class Score:
    precision: float
    recall: float
    f1: float


def tokens(text: str) -> list[str]:
    # NFC on both sides: a truth stored decomposed ("u" + combining diaeresis) is the same
    # text as a prediction stored composed
    return _TOKEN.findall(unicodedata.normalize("NFC", text).lower())


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


def _normal(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def title_exact(predicted: str | None, truth: str) -> float:
    return float(_normal(predicted or "") == _normal(truth))


def authors_f1(predicted: Iterable[str], truth: Iterable[str]) -> float:
    got = {_normal(a).casefold() for a in predicted if a.strip()}
    want = {_normal(a).casefold() for a in truth if a.strip()}
    if not got and not want:
        return 1.0
    common = len(got & want)
    return 2 * common / (len(got) + len(want)) if common else 0.0


def same_day(predicted: str | None, truth: str) -> float:
    return float(bool(predicted) and str(predicted)[:10] == truth[:10])


def load_set(folder: Path) -> list[Page]:
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    pages = []
    for name, entry in sorted(truth.items()):
        raw = (folder / "html" / name).read_bytes()
        html = gzip.decompress(raw) if name.endswith(".gz") else raw
        pages.append(
            Page(
                name,
                entry["url"],
                html,
                "\n\n".join(entry["body"]),
                entry.get("language", "en"),
                entry.get("title"),
                entry.get("authors"),
                entry.get("published"),
            )
        )
    return pages


def trafilatura_predictions(pages: list[Page], **settings: Any) -> dict[str, Prediction]:
    found = {}
    for page in pages:
        result = trafilatura.bare_extraction(
            page.html, url=page.url, with_metadata=True, **settings
        )
        if result is None:
            found[page.name] = Prediction(lost="nothing extracted")
            continue
        authors = [a.strip() for a in (result.author or "").split(";") if a.strip()]
        found[page.name] = Prediction(result.text or "", result.title, authors, result.date)
    return found


def trafilatura_texts(pages: list[Page]) -> None:
    """The timing baseline: trafilatura's one-call extraction of text and metadata."""
    for page in pages:
        trafilatura.extract(page.html, url=page.url, with_metadata=True)


def write_pages_warc(pages: list[Page], folder: Path) -> list[Path]:
    """The pages as one WARC file, as a crawl would have archived them."""
    with WarcFileWriter(folder, prefix="benchmark") as writer:
        for page in pages:
            headers = [("Content-Type", "text/html")]
            writer.write_exchange(
                page.url, [("User-Agent", "benchmark")], "200 OK", headers, page.html
            )
    return sorted(folder.glob("*.warc.gz"))


def run_process(warcs: list[Path], corpus: Path, keep_dropped: bool = False) -> Path:
    """The whole ``process`` of WARC files into ``corpus``, one worker; returns it."""
    process(warcs, corpus, ProcessOptions(), executor=LocalExecutor(1), keep_dropped=keep_dropped)
    return corpus


def process_rows(pages: list[Page]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The rows ``process`` stores for the pages, by page name, and why the others were
    dropped (with ``--keep-dropped``: the step and its reason)."""
    with tempfile.TemporaryDirectory() as scratch:
        warcs = write_pages_warc(pages, Path(scratch) / "warc")
        corpus = run_process(warcs, Path(scratch) / "corpus", keep_dropped=True)
        kept = ds.dataset(corpus / "data", format="parquet").to_table().to_pylist()
        dropped_dir = corpus / "dropped"
        dropped = (
            ds.dataset(dropped_dir, format="parquet").to_table().to_pylist()
            if dropped_dir.exists()
            else []
        )
    by_url = {page.url: page.name for page in pages}
    rows = {by_url[row["url"]]: row for row in kept if row["url"] in by_url}
    reasons = {
        by_url[row["url"]]: f"dropped: {row['drop_reason']}"
        for row in dropped
        if row["url"] in by_url and by_url[row["url"]] not in rows
    }
    return rows, reasons


def newscorpus_predictions(pages: list[Page]) -> dict[str, Prediction]:
    rows, reasons = process_rows(pages)
    found: dict[str, Prediction] = {}
    for page in pages:
        row = rows.get(page.name)
        if row is None:
            found[page.name] = Prediction(lost=reasons.get(page.name, "no document (extraction)"))
        else:
            authors = row["authors"] or []
            found[page.name] = Prediction(row["text"], row["title"], authors, row["published"])
    return found


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _row(label: str, values: list[str]) -> str:
    return f"{label:20}" + "".join(f"{v:>23}" for v in values)


def evaluate(name: str, pages: list[Page], repeat: int, show_lost: bool) -> dict[str, Any]:
    predictions = {
        "trafilatura": trafilatura_predictions(pages),
        "trafilatura precision": trafilatura_predictions(pages, favor_precision=True),
        "newscorpus": newscorpus_predictions(pages),
    }
    baseline_times, our_times = [], []
    with tempfile.TemporaryDirectory() as scratch:
        # timed as a user runs it: ``process`` of an archive that exists, default options
        warcs = write_pages_warc(pages, Path(scratch) / "warc")
        for attempt in range(repeat):  # alternated, so that machine noise hits both alike
            corpus = Path(scratch) / f"corpus-{attempt}"
            baseline_times.append(timed(lambda: trafilatura_texts(pages)))
            our_times.append(timed(lambda: run_process(warcs, corpus)))  # noqa: B023
    base_ms = statistics.median(baseline_times) / len(pages) * 1000
    our_ms = statistics.median(our_times) / len(pages) * 1000

    languages = sorted({p.language for p in pages})
    by_language: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_language[page.language].append(page)
    print(f"\n{name}: {len(pages)} pages, {len(languages)} language(s)")
    result: dict[str, Any] = {"set": name, "pages": len(pages), "systems": {}}
    for system in SYSTEMS:
        found = predictions[system]
        overall = mean_score([shingle_score(found[p.name].text, p.truth) for p in pages])
        lost = [p for p in pages if p.truth.strip() and not found[p.name].text.strip()]
        result["systems"][system] = {
            "precision": overall.precision,
            "recall": overall.recall,
            "f1": overall.f1,
            "lost": len(lost),
            "languages": {
                code: mean_score([shingle_score(found[p.name].text, p.truth) for p in members]).f1
                for code, members in by_language.items()
            },
        }
        with_meta = [p for p in pages if p.title is not None]
        if with_meta:
            result["systems"][system]["title_exact"] = statistics.fmean(
                title_exact(found[p.name].title, p.title or "") for p in with_meta
            )
            # authors null in the truth: not known (not "nobody"), left out as dates are
            credited = [p for p in with_meta if p.authors is not None]
            result["systems"][system]["authors_f1"] = statistics.fmean(
                authors_f1(found[p.name].authors, p.authors or []) for p in credited
            )
            dated = [p for p in with_meta if p.published]
            result["systems"][system]["published_same_day"] = statistics.fmean(
                same_day(found[p.name].published, p.published or "") for p in dated
            )
    systems = result["systems"]
    print(_row("", list(SYSTEMS)))
    print(_row("F1", [f"{systems[s]['f1']:.4f}" for s in SYSTEMS]))
    print(_row("precision", [f"{systems[s]['precision']:.4f}" for s in SYSTEMS]))
    print(_row("recall", [f"{systems[s]['recall']:.4f}" for s in SYSTEMS]))
    print(_row("pages lost", [str(systems[s]["lost"]) for s in SYSTEMS]))
    if "title_exact" in systems["newscorpus"]:
        for metric in ("title_exact", "authors_f1", "published_same_day"):
            print(_row(metric, [f"{systems[s][metric]:.3f}" for s in SYSTEMS]))
    if len(languages) > 1:
        print("F1 per language (pages):")
        for code in sorted(languages, key=lambda c: (-len(by_language[c]), c)):
            label = f"  {code} ({len(by_language[code])})"
            values = [systems[s]["languages"][code] for s in SYSTEMS]
            best_baseline = max(values[:2])
            mark = "" if values[2] >= best_baseline - 1e-9 else "  < baseline"
            print(_row(label, [f"{v:.4f}" for v in values]) + mark)
    print(
        f"time per page: trafilatura.extract {base_ms:.1f} ms, process {our_ms:.1f} ms "
        f"(medians of {repeat}); throughput ratio {base_ms / our_ms:.2f}x of trafilatura"
    )
    result["ms_per_page"] = {"trafilatura": base_ms, "newscorpus": our_ms}
    if show_lost:
        for page in pages:
            why = predictions["newscorpus"][page.name].lost
            if why and page.truth.strip():
                print(f"  lost {page.name}: {why}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--set", choices=sorted(SETS), action="append", dest="sets")
    parser.add_argument("--lost", action="store_true", help="list the pages newscorpus lost")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results = []
    for name in args.sets or list(SETS):
        folder = SETS[name]
        if not (folder / "ground_truth.json").exists():
            print(f"{name}: skipped, {folder} not found")
            continue
        results.append(evaluate(name, load_set(folder), args.repeat, args.lost))
    if not results:
        sys.exit("no evaluation set found")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
