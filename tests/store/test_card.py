"""The dataset card: filled in from the manifest, valid for the Hub, loadable by datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newscorpus.store.card import render_card


def test_card_is_filled_in_from_the_manifest(demo_corpus: Path) -> None:
    card = (demo_corpus / "README.md").read_text()
    manifest = json.loads((demo_corpus / "manifest.json").read_text())
    for language, counts in manifest["languages"].items():
        assert f"| {language} | {counts['documents']:,} |" in card
    assert f"{manifest['published']['earliest']} to {manifest['published']['latest']}" in card
    for domain in manifest["domains"]:
        assert f"| {domain} |" in card
    for field in manifest["schema"]:
        assert f"| `{field['name']}` |" in card
    for library, version in manifest["tool"]["libraries"].items():
        assert f"{library} {version}" in card
    assert "trafilatura" in manifest["tool"]["libraries"]
    assert (
        "| `quality.min_words` | `50` |" in card and "| `dedup.near_duplicates` | `true` |" in card
    )
    assert f"| pages | home page | {manifest['steps']['pages.dropped.home_page']} |" in card
    assert 'load_dataset("path/to/this/folder", split="train")' in card


def test_card_metadata_is_valid_for_the_hub(demo_corpus: Path) -> None:
    hub = pytest.importorskip("huggingface_hub")
    card = hub.DatasetCard((demo_corpus / "README.md").read_text())
    data = card.data.to_dict()
    manifest = json.loads((demo_corpus / "manifest.json").read_text())
    assert sorted(data["language"]) == sorted(manifest["languages"])
    configs = {c["config_name"]: c["data_files"][0]["path"] for c in data["configs"]}
    assert configs["default"] == "data/*/*.parquet" and configs["fr"] == "data/fr/*.parquet"
    assert data["size_categories"] == ["n<1K"]


def test_published_card_loads_from_the_repository() -> None:
    manifest = {
        "languages": {"und": {"documents": 1, "words": 60}, "fr": {"documents": 2, "words": 90}},
        "documents": 3,
        "words": 150,
        "domains": {"a.example": 3},
        "published": {"earliest": None, "latest": None},
        "inputs": [],
        "options": {"quality": {"min_words": 50}},
        "steps": {},
        "tool": {"version": "0", "python": "3.11"},
        "schema_version": "2",
        "updated": "2026-01-01T00:00:00Z",
    }
    card = render_card(manifest, "Le Corpus", repo_id="lab/le-corpus")
    assert 'load_dataset("lab/le-corpus", split="train")' in card
    assert 'language:\n- "fr"\n' in card  # und is not a language the Hub knows
    assert 'pretty_name: "Le Corpus"' in card and "Nothing was dropped." in card


def test_norwegian_stays_a_language_code_in_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = {
        "languages": {"no": {"documents": 1, "words": 60}, "en": {"documents": 1, "words": 60}},
        "documents": 2,
        "words": 120,
        "domains": {"b.example": 1, "a.example": 1},
        "published": {},
        "inputs": [],
        "options": {},
        "steps": {},
        "tool": {"version": "0", "python": "3.11"},
        "schema_version": "2",
        "updated": "2026-01-01T00:00:00Z",
    }
    front = render_card(manifest, "x").split("---\n")[1]
    data = yaml.safe_load(front)
    assert data["language"] == ["no", "en"]  # a bare `no` would be read as false
    assert [c["config_name"] for c in data["configs"]] == ["default", "no", "en"]


def test_sites_are_listed_by_size_whatever_the_file_order(tmp_path: Path) -> None:
    manifest = {
        "languages": {"en": {"documents": 60, "words": 6000}},
        "documents": 60,
        "words": 6000,
        # as manifest.json stores it: keys sorted by name
        "domains": {f"a{n:02d}.example": 1 for n in range(55)} | {"zz.example": 5},
        "published": {},
        "inputs": [],
        "options": {},
        "steps": {},
        "tool": {"version": "0", "python": "3.11"},
        "schema_version": "2",
        "updated": "2026-01-01T00:00:00Z",
    }
    card = render_card(manifest, "x")
    sites = card.split("## Sources")[1].split("## Fields")[0]
    assert sites.index("zz.example") < sites.index("a00.example")
    assert "… 6 more" in sites
