"""The figures a report shows, gathered from a corpus in one pass over a few columns.

Per-language and per-domain sizes, publication dates, lengths and duplicate counts come
from the Parquet shards (five narrow columns, file by file, so memory does not grow with
the corpus); what the steps removed comes from the manifest, the boilerplate lines from
``boilerplate.json``, and the examples from a seeded sample.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscorpus._files import read_rebuilt_json
from newscorpus._time import utc_moment
from newscorpus.corpus import VERSIONS_DIR
from newscorpus.errors import UserError
from newscorpus.store.boilerplate import BOILERPLATE_REPORT
from newscorpus.store.manifest import Manifest, read_manifest
from newscorpus.store.parquet import corpus_files
from newscorpus.store.sample import sample_documents

# Word-count bins of the length chart: [edge, next edge).
LENGTH_EDGES = (0, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)
SAMPLES_PER_LANGUAGE = 3
SAMPLE_LANGUAGES = 30  # the largest ones
SAMPLE_SEED = 0  # the same corpus gives the same report
# The timeline leaves out this share of the earliest and of the latest dates: one page
# claiming the year 201 must not squeeze twenty years of news into one bar.
TIMELINE_TAIL = 0.005
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(slots=True)
class CorpusFigures:
    name: str
    manifest: Manifest
    documents: int = 0
    words: int = 0
    documents_by_language: Counter[str] = field(default_factory=Counter)
    words_by_language: Counter[str] = field(default_factory=Counter)
    documents_by_domain: Counter[str] = field(default_factory=Counter)
    words_by_domain: Counter[str] = field(default_factory=Counter)
    published_days: Counter[str] = field(default_factory=Counter)  # YYYY-MM-DD
    undated: int = 0
    lengths: Counter[int] = field(default_factory=Counter)  # bin index in LENGTH_EDGES
    cluster_sizes: Counter[int] = field(default_factory=Counter)  # duplicate_count
    boilerplate: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    versions: VersionFigures = field(default_factory=lambda: VersionFigures())

    def funnel(self) -> list[tuple[str, int]]:
        """How many documents were left after each stage (from the manifest's counters)."""
        steps = self.manifest.get("steps", {})
        stages = [
            ("HTML pages read", steps.get("read.html")),
            ("text extracted", steps.get("extract.extracted")),
            ("articles (non-articles dropped)", steps.get("extract.staged")),
            ("passed the filters", steps.get("filter.passed")),
            ("stored (duplicates dropped)", steps.get("write.documents")),
        ]
        return [(label, count) for label, count in stages if count is not None]

    def timeline(self) -> tuple[str, list[tuple[str, int]], int]:
        """Publication counts per day, month or year, whichever gives a readable chart, and
        how many dated documents were left out as outliers."""
        days = _clip(self.published_days)
        left_out = sum(self.published_days.values()) - sum(days.values())
        if not days:
            return "day", [], left_out
        first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
        span = (last - first).days
        if span <= 120:
            unit, width = "day", 10
        elif span <= 366 * 8:
            unit, width = "month", 7
        else:
            unit, width = "year", 4
        counts: Counter[str] = Counter()
        for day, count in days.items():
            counts[day[:width]] += count
        return unit, _filled(unit, counts, first, last), left_out


# How long after publication (after the first fetch when undated) a change was seen.
EDIT_DELAYS = (("under 1 h", 3600), ("1-6 h", 6 * 3600), ("6-24 h", 86400),
               ("1-3 days", 3 * 86400), ("3-7 days", 7 * 86400))  # fmt: skip
LATER = "a week or more"
MOST_EDITED = 10


@dataclass(slots=True)
class VersionFigures:
    """Articles that changed after they were first fetched (``versions/``)."""

    changed_articles: int = 0
    versions: int = 0
    delays: Counter[str] = field(default_factory=Counter)  # EDIT_DELAYS label -> changes
    most_edited: list[dict[str, Any]] = field(default_factory=list)


def delay_label(seconds: float) -> str:
    for label, limit in EDIT_DELAYS:
        if seconds < limit:
            return label
    return LATER


def gather_versions(corpus: Path) -> VersionFigures:
    """How many articles changed, how soon after publication each change was seen, and
    the ones changed most often (from ``versions/``: a few columns, no text)."""
    figures = VersionFigures()
    paths = corpus_files(corpus, folder=VERSIONS_DIR)
    if not paths:
        return figures
    columns = ["id", "url", "title", "domain", "version", "published", "first_seen",
               "crawled_at", "changes"]  # fmt: skip
    rows = pa.concat_tables(pq.read_table(path, columns=columns) for path in paths).to_pylist()
    articles: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        articles.setdefault(row["id"], []).append(row)
    figures.changed_articles, figures.versions = len(articles), len(rows)
    for versions in articles.values():
        versions.sort(key=lambda r: r["version"])
        first = versions[0]
        start = utc_moment(first["published"]) or utc_moment(first["first_seen"])
        for version in versions[1:]:
            seen = utc_moment(version["crawled_at"])
            if start is not None and seen is not None:
                figures.delays[delay_label(max(0.0, (seen - start).total_seconds()))] += 1
    ranked = sorted(articles.values(), key=lambda v: (-len(v), v[-1]["id"]))[:MOST_EDITED]
    figures.most_edited = [
        {
            "id": versions[-1]["id"],
            "title": versions[-1]["title"],
            "url": versions[-1]["url"],
            "domain": versions[-1]["domain"],
            "versions": len(versions),
            "title_changes": sum(
                bool(v["changes"] and v["changes"]["title_changed"]) for v in versions
            ),
            "paragraphs_added": sum(
                (v["changes"] or {}).get("paragraphs_added", 0) for v in versions
            ),
        }
        for versions in ranked
    ]
    return figures


def _clip(days: Counter[str]) -> Counter[str]:
    """The whole days between the TIMELINE_TAIL quantiles of the dates."""
    total = sum(days.values())
    cut = int(total * TIMELINE_TAIL)
    low = high = None
    seen = 0
    for day, count in sorted(days.items()):
        seen += count
        if low is None and seen > cut:
            low = day
        if high is None and seen >= total - cut:
            high = day
    if low is None or high is None:
        return Counter()
    return Counter({day: count for day, count in days.items() if low <= day <= high})


def _filled(unit: str, counts: Counter[str], first: date, last: date) -> list[tuple[str, int]]:
    """Every period between the first and the last, empty ones included (gaps show)."""
    labels: list[str] = []
    if unit == "day":
        labels = [
            date.fromordinal(o).isoformat() for o in range(first.toordinal(), last.toordinal() + 1)
        ]
    elif unit == "month":
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            labels.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        labels = [f"{year:04d}" for year in range(first.year, last.year + 1)]
    return [(label, counts.get(label, 0)) for label in labels]


def length_label(index: int) -> str:
    low = LENGTH_EDGES[index]
    if index + 1 < len(LENGTH_EDGES):
        return f"{low}-{LENGTH_EDGES[index + 1] - 1}"
    return f"{low}+"


def gather_figures(corpus: Path) -> CorpusFigures:
    manifest = read_manifest(corpus)
    figures = CorpusFigures(name=corpus.resolve().name, manifest=manifest)
    columns = ["language", "domain", "word_count", "published", "duplicate_count"]
    edges = np.array(LENGTH_EDGES[1:])
    for path in corpus_files(corpus):
        try:
            table = pq.read_table(path, columns=columns)
        except (pa.ArrowException, OSError) as exc:
            raise UserError(f"{path}: not a readable Parquet shard ({exc})") from None
        table = table.set_column(2, "word_count", pc.fill_null(table["word_count"], 0))
        figures.documents += table.num_rows
        sizes = table.group_by(["language", "domain"]).aggregate(
            [("word_count", "count"), ("word_count", "sum")]
        )
        for row in sizes.to_pylist():
            figures.documents_by_language[row["language"]] += row["word_count_count"]
            figures.words_by_language[row["language"]] += row["word_count_sum"]
            figures.documents_by_domain[row["domain"]] += row["word_count_count"]
            figures.words_by_domain[row["domain"]] += row["word_count_sum"]
        words = table["word_count"].to_numpy(zero_copy_only=False)
        figures.words += int(words.sum())
        figures.lengths.update(np.searchsorted(edges, words, side="right").tolist())
        for entry in pc.value_counts(table["duplicate_count"].drop_null()).to_pylist():
            figures.cluster_sizes[entry["values"]] += entry["counts"]
        published = table["published"]
        figures.undated += published.null_count
        days = pc.utf8_slice_codeunits(published.drop_null(), 0, 10)
        for entry in pc.value_counts(days).to_pylist():
            if _is_day(entry["values"]):
                figures.published_days[entry["values"]] += entry["counts"]
            else:
                figures.undated += entry["counts"]
    figures.versions = gather_versions(corpus)
    report = corpus / BOILERPLATE_REPORT
    boilerplate = read_rebuilt_json(report).get("domains", {}) if report.exists() else {}
    figures.boilerplate = dict(
        sorted(boilerplate.items(), key=lambda item: (-item[1].get("removed", 0), item[0]))
    )
    for language, _ in figures.documents_by_language.most_common(SAMPLE_LANGUAGES):
        figures.samples[language] = sample_documents(
            corpus,
            SAMPLES_PER_LANGUAGE,
            language=language,
            seed=SAMPLE_SEED,
            columns=["title", "url", "domain", "published", "authors", "word_count", "text"],
        )
    return figures


def _is_day(value: str) -> bool:
    if not _DAY.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
