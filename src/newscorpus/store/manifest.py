"""``CORPUS/manifest.json``: what the corpus holds and how it was made.

Rebuilt after every run by merging the completion markers of all shards, so it is
always the sum of what is on disk, whatever runs (or crashes) produced it.
"""

from __future__ import annotations

import platform
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import pyarrow.parquet as pq

from newscorpus._files import read_json, read_rebuilt_json, write_json_atomic
from newscorpus.corpus import VERSIONS_DIR, Corpus
from newscorpus.document import FREE, PAYWALLED, SCHEMA, SCHEMA_VERSION
from newscorpus.errors import UserError
from newscorpus.store.parquet import corpus_files
from newscorpus.store.plan import PlannedInput, ShardPlan
from newscorpus.warc.reader import merged_counts

MANIFEST = "manifest.json"
# The libraries whose versions shape what a page becomes (parsing, extraction, charsets,
# language, WARC reading and writing, the crawl): the manifest records them, and the golden
# test compares corpora only under the versions it recorded.
LIBRARIES = (
    "trafilatura", "htmldate", "justext", "lxml", "courlan", "charset-normalizer", "w3lib",
    "ftfy", "py3langid", "lingua-language-detector", "fastwarc", "warcio", "numpy",
    "pyarrow", "scrapy",
)  # fmt: skip


class ToolInfo(TypedDict):
    name: str
    version: str
    python: str
    libraries: dict[str, str]


class LanguageFigures(TypedDict):
    documents: int
    words: int


class PublishedRange(TypedDict):
    earliest: str | None
    latest: str | None


class AccessCount(TypedDict):
    """Documents by what their pages declare (the ``access`` column)."""

    paywalled: int
    free: int
    undeclared: int


class PageCount(TypedDict):
    """Documents by what their pages are (the ``page_type``, ``pages``, ``complete``
    columns)."""

    types: dict[str, int]  # page_type -> documents
    multi_page: int  # articles stitched from several pages
    incomplete: int  # articles a page of which was not found


class VersionCount(TypedDict):
    """Articles whose text changed after they were first fetched (``dedup.versions``)."""

    changed_articles: int  # documents of data/ with version > 1
    versions: int  # rows of versions/: every version of those articles


class ShardCount(TypedDict):
    planned: int
    done: int


class InputFile(TypedDict):
    name: str
    path: str | None
    source: str  # "warc" or "cc-news"
    domains: NotRequired[list[str]]  # the sites selected from it (CC-NEWS)
    bytes: int | None  # None for a streamed file
    sha256: str
    shards: list[int]


class SchemaField(TypedDict):
    name: str
    type: str
    nullable: bool


class Manifest(TypedDict):
    """``manifest.json``: the figures are the sum of the shards' completion markers."""

    format: str
    schema_version: str
    tool: ToolInfo
    updated: str
    options: dict[str, Any]  # the process options as TOML writes them (config.py)
    documents: int
    words: int
    data_bytes: int
    languages: dict[str, LanguageFigures]
    domains: dict[str, int]  # documents per site, most first
    published: PublishedRange
    access: AccessCount
    pages: PageCount
    versions: VersionCount
    steps: dict[str, int]  # "step.counter": count, summed over shards
    warnings: list[str]
    shards: ShardCount
    source: str
    inputs: list[InputFile]
    schema: list[SchemaField]


# Pipeline order of the steps, for listings of what was removed; unknown steps go last.
STEP_ORDER = (
    "read", "extract", "pages", "access", "clean", "boilerplate", "language", "filter", "dedup",
)  # fmt: skip


def read_manifest(corpus: Path) -> Manifest:
    try:
        # the file this module wrote (an older corpus's may lack newer keys: readers .get them)
        return cast("Manifest", read_rebuilt_json(corpus / MANIFEST))
    except FileNotFoundError:
        raise UserError(f"{corpus}: not a newscorpus corpus (no {MANIFEST})") from None


def stored_schema_version(corpus: Path) -> str | None:
    """The schema the corpus's documents were written with: its manifest's word, else (a
    first run stopped before its manifest) its Parquet files'; None for a new corpus. A
    damaged manifest or file says nothing here: the run rebuilds or reports it."""
    try:
        version = read_json(corpus / MANIFEST).get("schema_version")
        return str(version) if version is not None else None
    except (OSError, ValueError, AttributeError):
        pass
    for path in corpus_files(corpus):
        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, ValueError):
            continue
        version = metadata.get(b"newscorpus.schema_version")
        return version.decode() if version else None
    return None


def removed_counts(manifest: Manifest) -> list[tuple[str, str, int]]:
    """(step, reason, count) of everything a step dropped or skipped, in pipeline order."""
    rows = []
    for key, count in manifest.get("steps", {}).items():
        step, _, what = key.partition(".")
        if count and (what.startswith("dropped.") or what.startswith("skipped_")):
            rows.append((step, what.removeprefix("dropped.").removeprefix("skipped_"), count))
    rank = {step: index for index, step in enumerate(STEP_ORDER)}
    return sorted(rows, key=lambda r: (rank.get(r[0], len(rank)), -r[2], r[1]))


def flat_options(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"quality": {"min_words": 50}} -> {"quality.min_words": 50}."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flat_options(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def top_domains(manifest: Manifest, n: int | None = None) -> list[tuple[str, int]]:
    """Sites by documents, most first (the JSON file keeps its keys sorted by name)."""
    ranked = sorted(manifest.get("domains", {}).items(), key=lambda item: (-item[1], item[0]))
    return ranked if n is None else ranked[:n]


def build_manifest(corpus: Path, options: dict[str, Any], version: str) -> Manifest:
    plan = ShardPlan.read(Corpus(corpus))
    markers = Corpus(corpus).markers()
    documents: Counter[str] = Counter()
    words: Counter[str] = Counter()
    domains: Counter[str] = Counter()
    counts: list[tuple[str, dict[str, int]]] = []
    warnings: list[str] = []
    for marker in markers:
        result = read_json(marker)
        documents.update(result["documents"])
        words.update(result["words"])
        domains.update(result["domains"])
        counts.append((result["input"], result["counts"]))
        if result.get("warning"):
            warnings.append(result["warning"])
    published = _date_range(corpus)
    steps = dict(sorted(merged_counts(counts).items()))
    return {
        "format": "newscorpus",
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "newscorpus",
            "version": version,
            "python": platform.python_version(),
            "libraries": library_versions(),
        },
        "updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "options": options,
        "documents": sum(documents.values()),
        "words": sum(words.values()),
        "data_bytes": sum(path.stat().st_size for path in corpus_files(corpus)),
        "languages": {
            language: {"documents": documents[language], "words": words[language]}
            for language in sorted(documents)
        },
        "domains": dict(sorted(domains.items(), key=lambda item: (-item[1], item[0]))),
        "published": published,
        "access": _access_count(steps, sum(documents.values())),
        "pages": _page_count(steps),
        "versions": {
            "changed_articles": steps.get("write.changed_articles", 0),
            "versions": sum(
                pq.ParquetFile(path).metadata.num_rows
                for path in corpus_files(corpus, folder=VERSIONS_DIR)
            ),
        },
        "steps": steps,
        "warnings": warnings,
        "shards": {"planned": len(plan.numbers()), "done": len(markers)},
        "source": plan.source(),
        "inputs": [
            _input_file(checksum, entry)
            for checksum, entry in sorted(plan.inputs.items(), key=lambda i: i[1].name)
        ],
        "schema": [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in SCHEMA],
    }


def _access_count(steps: dict[str, int], documents: int) -> AccessCount:
    paywalled = steps.get(f"write.access_{PAYWALLED}", 0)
    free = steps.get(f"write.access_{FREE}", 0)
    return {"paywalled": paywalled, "free": free, "undeclared": documents - paywalled - free}


def _page_count(steps: dict[str, int]) -> PageCount:
    prefix = "write.page_type_"
    return {
        "types": {key[len(prefix) :]: n for key, n in steps.items() if key.startswith(prefix)},
        "multi_page": steps.get("write.pages_stitched", 0),
        "incomplete": steps.get("write.pages_incomplete", 0),
    }


def _input_file(checksum: str, entry: PlannedInput) -> InputFile:
    described: InputFile = {
        "name": entry.name,
        "path": entry.path,
        "source": entry.source,
        "bytes": entry.size,
        "sha256": checksum,
        "shards": [s.number for s in entry.shards],
    }
    if entry.domains:
        described["domains"] = entry.domains
    return described


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose behaviour shapes the documents."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_manifest(corpus: Path, options: dict[str, Any], version: str) -> Manifest:
    manifest = build_manifest(corpus, options, version)
    write_json_atomic(corpus / MANIFEST, manifest)
    return manifest


def _date_range(corpus: Path) -> PublishedRange:
    """Earliest and latest publication date stored (from the Parquet statistics)."""
    low: str | None = None
    high: str | None = None
    for path in corpus_files(corpus):
        metadata = pq.ParquetFile(path).metadata
        column = SCHEMA.get_field_index("published")
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(column).statistics
            if stats is None or not stats.has_min_max:
                continue
            low = stats.min if low is None or stats.min < low else low
            high = stats.max if high is None or stats.max > high else high
    return {"earliest": low, "latest": high}
