"""``CORPUS/README.md``: a HuggingFace dataset card written from the manifest.

Its YAML ``configs`` point ``datasets.load_dataset`` at the Parquet shards: the default
configuration holds every language, and each language is a configuration of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newscorpus._files import open_atomic
from newscorpus.document import COLUMN_DESCRIPTIONS, SCHEMA, UNKNOWN_LANGUAGE
from newscorpus.store.parquet import DATA_DIR

CARD = "README.md"


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


def render_card(manifest: dict[str, Any], name: str) -> str:
    languages = list(manifest["languages"])
    lines = ["---", "configs:"]
    lines += [
        "- config_name: default",
        "  default: true",
        "  data_files:",
        "  - split: train",
        f"    path: {DATA_DIR}/*/*.parquet",
    ]
    for language in languages:
        lines += [
            f"- config_name: {language}",
            "  data_files:",
            "  - split: train",
            f"    path: {DATA_DIR}/{language}/*.parquet",
        ]
    iso_languages = [lang for lang in languages if lang != UNKNOWN_LANGUAGE]
    if iso_languages:
        lines.append("language:")
        lines += [f"- {lang}" for lang in iso_languages]
    lines += [
        "license: other",
        "task_categories:",
        "- text-generation",
        "tags:",
        "- news",
        "- newscorpus",
        "size_categories:",
        f"- {_size_category(manifest['documents'])}",
        f"pretty_name: {name}",
        "---",
        "",
        f"# {name}",
        "",
        f"A news corpus of **{manifest['documents']:,} articles** "
        f"({manifest['words']:,} words) in **{len(languages)} language(s)** from "
        f"**{len(manifest['domains'])} site(s)**, built with newscorpus "
        f"{manifest['tool']['version']}.",
        "",
    ]
    published = manifest.get("published") or {}
    if published.get("earliest"):
        lines += [f"Publication dates: {published['earliest']} to {published['latest']}.", ""]
    lines += ["## Languages", "", "| language | documents | words |", "|---|---:|---:|"]
    for language, counts in manifest["languages"].items():
        lines.append(f"| {language} | {counts['documents']:,} | {counts['words']:,} |")
    lines += ["", "## Sources", "", "| site | documents |", "|---|---:|"]
    for domain, count in list(manifest["domains"].items())[:50]:
        lines.append(f"| {domain} | {count:,} |")
    if len(manifest["domains"]) > 50:
        lines.append(f"| … {len(manifest['domains']) - 50} more | |")
    lines += ["", "## Fields", "", "| field | type | description |", "|---|---|---|"]
    for field in SCHEMA:
        lines.append(f"| `{field.name}` | {field.type} | {COLUMN_DESCRIPTIONS[field.name]} |")
    options = ", ".join(f"`{k}={v}`" for k, v in sorted(manifest["options"].items()))
    lines += [
        "",
        "## How it was built",
        "",
        f"- Tool: newscorpus {manifest['tool']['version']} "
        f"(Python {manifest['tool']['python']}), schema version {manifest['schema_version']}.",
        f"- Inputs: {len(manifest['inputs'])} WARC file(s), listed with their SHA-256 in "
        "`manifest.json`.",
        "- Steps: WARC reading (FastWARC), extraction (trafilatura plus the page's structured "
        "data), unicode repair and normalisation (ftfy, NFC), language identification "
        "(py3langid), quality filters.",
        f"- Options: {options}.",
        "- Counts of what each step kept and dropped, and why: `steps` in `manifest.json`.",
        "",
        "## How to load it",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'corpus = load_dataset("path/to/this/folder", split="train")',
        *(
            [f'one_language = load_dataset("path/to/this/folder", "{languages[0]}", split="train")']
            if languages
            else []
        ),
        "```",
        "",
        'The shards are plain Parquet: `pandas.read_parquet("data/")`, '
        '`pyarrow.dataset.dataset("data/")` or DuckDB '
        "(`SELECT * FROM 'data/*/*.parquet'`) read them too.",
        "",
    ]
    return "\n".join(lines)


def write_card(corpus: Path, manifest: dict[str, Any]) -> Path:
    path = corpus / CARD
    with open_atomic(path, durable=False) as handle:
        handle.write(render_card(manifest, corpus.resolve().name))
    return path
