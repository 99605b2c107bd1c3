"""``CORPUS/README.md``: a HuggingFace dataset card written from the manifest.

Its YAML ``configs`` point ``datasets.load_dataset`` at the Parquet shards: the default
configuration holds every language, and each language is a configuration of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from newscorpus._files import open_atomic
from newscorpus.corpus import DATA_DIR, VERSIONS_DIR
from newscorpus.document import COLUMN_DESCRIPTIONS, SCHEMA, UNKNOWN_LANGUAGE
from newscorpus.store.manifest import Manifest, flat_options, removed_counts, top_domains

CARD = "README.md"
TOP_SITES = 50
NOT_LANGUAGES = {UNKNOWN_LANGUAGE, "mul"}  # codes the Hub's language list does not take


def _size_category(documents: int) -> str:
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if documents < limit:
            return label
    return "n>10M"


def _yaml(manifest: Manifest, name: str) -> list[str]:
    languages = list(manifest["languages"])
    lines = ["---", "configs:"]
    lines += [
        "- config_name: default",
        "  default: true",
        "  data_files:",
        "  - split: train",
        f"    path: {DATA_DIR}/*/*.parquet",
    ]
    if _versions(manifest):
        lines += [
            "- config_name: versions",
            "  data_files:",
            "  - split: train",
            f"    path: {VERSIONS_DIR}/*/*.parquet",
        ]
    # Quoted: YAML reads a bare `no` (Norwegian) as false.
    for language in languages:
        lines += [
            f'- config_name: "{language}"',
            "  data_files:",
            "  - split: train",
            f"    path: {DATA_DIR}/{language}/*.parquet",
        ]
    iso_languages = [lang for lang in languages if lang not in NOT_LANGUAGES]
    if iso_languages:
        lines.append("language:")
        lines += [f'- "{lang}"' for lang in iso_languages]
    if len(iso_languages) > 1:
        lines += ["multilinguality:", "- multilingual"]
    lines += [
        "license: other",
        "task_categories:",
        "- text-generation",
        "tags:",
        "- news",
        "- newscorpus",
        "size_categories:",
        f"- {_size_category(manifest['documents'])}",
        f"pretty_name: {json.dumps(name, ensure_ascii=False)}",
        "---",
    ]
    return lines


def _summary(manifest: Manifest) -> list[str]:
    published = manifest.get("published") or {}
    dates = (
        f"{published['earliest']} to {published['latest']}" if published.get("earliest") else "-"
    )
    rows = [
        ("documents", f"{manifest['documents']:,}"),
        ("words", f"{manifest['words']:,} (a CJK character counts as one)"),
        ("languages", str(len(manifest["languages"]))),
        ("sites", f"{len(manifest['domains']):,}"),
        ("publication dates", dates),
        ("access (as pages declare it)", _access_line(manifest)),
        ("page types", _pages_line(manifest)),
        ("versions", _versions_line(manifest)),
        ("Parquet size", f"{manifest.get('data_bytes', 0) / 1e6:,.1f} MB"),
        ("source", _source_line(manifest)),
    ]
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _access_line(manifest: Manifest) -> str:
    access = manifest.get("access")
    if not access:
        return "-"
    return (
        f"{access['free']:,} free, {access['paywalled']:,} paywalled (their text is what the "
        f"page shows), {access['undeclared']:,} undeclared"
    )


def _pages_line(manifest: Manifest) -> str:
    pages = manifest.get("pages")
    if not pages:
        return "-"
    types = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in pages["types"].items())
    return (
        f"{types or 'none'}; {pages['multi_page']:,} stitched from several pages, "
        f"{pages['incomplete']:,} with a page missing (`complete` false)"
    )


def _versions(manifest: Manifest) -> int:
    """Rows of versions/ (0 when no article changed, or an older manifest)."""
    return int((manifest.get("versions") or {}).get("versions", 0))


def _versions_line(manifest: Manifest) -> str:
    versions = manifest.get("versions")
    if not versions or not versions["versions"]:
        return "no article changed after it was first fetched"
    return (
        f"{versions['changed_articles']:,} article(s) changed after they were first fetched: "
        f"`data/` holds their latest version, the `versions` configuration all "
        f"{versions['versions']:,} versions"
    )


def _source_line(manifest: Manifest) -> str:
    files = f"{len(manifest['inputs']):,} WARC file(s)"
    if manifest.get("source") == "cc-news":
        domains = sorted({d for i in manifest["inputs"] for d in i.get("domains", [])})
        sites = f", sites {', '.join(domains[:10])}{' …' if len(domains) > 10 else ''}"
        return f"Common Crawl News (CC-NEWS): {files}" + (sites if domains else "")
    return files


def _languages(manifest: Manifest) -> list[str]:
    total = manifest["documents"] or 1
    lines = ["| language | documents | share | words |", "|---|---:|---:|---:|"]
    ranked = sorted(manifest["languages"].items(), key=lambda item: -item[1]["documents"])
    for language, counts in ranked:
        share = 100 * counts["documents"] / total
        lines.append(
            f"| {language} | {counts['documents']:,} | {share:.1f}% | {counts['words']:,} |"
        )
    return lines


def _sources(manifest: Manifest) -> list[str]:
    lines = ["| site | documents |", "|---|---:|"]
    lines += [f"| {domain} | {count:,} |" for domain, count in top_domains(manifest, TOP_SITES)]
    more = len(manifest["domains"]) - TOP_SITES
    if more > 0:
        lines.append(f"| … {more:,} more (in `manifest.json`) | |")
    return lines


def _removed(manifest: Manifest) -> list[str]:
    rows = removed_counts(manifest)
    if not rows:
        return ["Nothing was dropped."]
    lines = ["| step | reason | removed |", "|---|---|---:|"]
    lines += [f"| {step} | {reason.replace('_', ' ')} | {n:,} |" for step, reason, n in rows]
    return lines


def _how_built(manifest: Manifest) -> list[str]:
    tool = manifest["tool"]
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(tool.get("libraries", {}).items()))
    options = flat_options(manifest["options"])
    lines = [
        f"Built with newscorpus {tool['version']} (Python {tool['python']}"
        + (f"; {libraries}" if libraries else "")
        + f"), schema version {manifest['schema_version']}, last updated {manifest['updated']}.",
        "",
        "1. **Read**: HTTP 200 HTML responses from the WARC files (FastWARC); "
        "Content-Encoding undone with a size cap; charset from BOM, header, meta, detection.",
        "2. **Extract**: trafilatura for the body; title, authors, dates, site name, "
        "canonical URL and hreflang translations from the page's structured data first.",
        "3. **Clean**: mojibake repaired (ftfy), NFC, spaces collapsed, empty and "
        "decoration paragraphs removed; home, section, tag and author pages dropped.",
        "4. **Boilerplate**: lines a site repeats across its articles removed "
        "(see `boilerplate.json`), plus multilingual rules for see-also, subscribe, share "
        "and copyright lines.",
        "5. **Language** identified on the cleaned text (py3langid; `und` when unsure, `mul` "
        "when mixed).",
        "6. **Quality filters** (Gopher/FineWeb-style heuristics, CJK-aware).",
        "7. **Deduplication** within each language: same URL, same text, and near-duplicates "
        "(MinHash LSH); each story is kept once, `duplicate_count` says how many copies "
        "were found.",
        "8. **Versions**: an article fetched again (crawl re-visits, several captures) whose "
        "title or paragraphs changed is a new `version` (a changed stamp or counter line is "
        "not); `data/` holds the latest, `versions/` every version of the articles that "
        "changed, with `changes` saying what changed.",
        "",
        "Options (fixed for the life of the corpus):",
        "",
        "| option | value |",
        "|---|---|",
        *(f"| `{k}` | `{json.dumps(v)}` |" for k, v in sorted(options.items())),
        "",
        "What each step removed:",
        "",
        *_removed(manifest),
        "",
        "The inputs (with their SHA-256) and every counter are in `manifest.json`; "
        "`report.html` (`newscorpus report`) charts them with examples.",
    ]
    return lines


def _loading(manifest: Manifest, repo_id: str | None) -> list[str]:
    languages = list(manifest["languages"])
    where = repo_id or "path/to/this/folder"
    lines = [
        "```python",
        "from datasets import load_dataset",
        "",
        f'corpus = load_dataset("{where}", split="train")',
    ]
    if languages:
        lines.append(f'one_language = load_dataset("{where}", "{languages[0]}", split="train")')
    if _versions(manifest):
        lines.append(f'every_version = load_dataset("{where}", "versions", split="train")')
    lines += [
        "```",
        "",
        "Each language is a configuration. The shards are plain Parquet: "
        '`pandas.read_parquet("data/")`, `pyarrow.dataset.dataset("data/")` or DuckDB '
        "(`SELECT * FROM 'data/*/*.parquet'`) read them too.",
    ]
    return lines


def render_card(manifest: Manifest, name: str, repo_id: str | None = None) -> str:
    languages = list(manifest["languages"])
    lines = [
        *_yaml(manifest, name),
        "",
        f"# {name}",
        "",
        f"A news corpus of **{manifest['documents']:,} articles** "
        f"({manifest['words']:,} words) in **{len(languages)} language(s)** from "
        f"**{len(manifest['domains']):,} site(s)**, extracted from web archives (WARC"
        + (", Common Crawl News" if manifest.get("source") == "cc-news" else "")
        + "), "
        "cleaned, filtered and deduplicated with "
        f"[newscorpus](https://github.com/newscorpus/newscorpus) {manifest['tool']['version']}.",
        "",
        "## Summary",
        "",
        *_summary(manifest),
        "",
        "## Languages",
        "",
        *_languages(manifest),
        "",
        "## Sources",
        "",
        *_sources(manifest),
        "",
        "## Fields",
        "",
        "| field | type | description |",
        "|---|---|---|",
        *(f"| `{f.name}` | {f.type} | {COLUMN_DESCRIPTIONS[f.name]} |" for f in SCHEMA),
        "",
        "## How it was built",
        "",
        *_how_built(manifest),
        "",
        "## How to load it",
        "",
        *_loading(manifest, repo_id),
        "",
        "## Considerations",
        "",
        "- The articles remain the work of their publishers: check the sites' terms and the "
        "law that applies to you before redistributing or training on them. `url`, "
        "`warc_file` and `warc_offset` trace every document to its source.",
        "- Languages are identified automatically; short or mixed texts can be wrong "
        "(`language_score` says how sure). Dates and authors are what the pages declared.",
        "",
    ]
    return "\n".join(lines)


def write_card(corpus: Path, manifest: Manifest) -> Path:
    path = corpus / CARD
    with open_atomic(path, durable=False) as handle:
        handle.write(render_card(manifest, corpus.resolve().name))
    return path
