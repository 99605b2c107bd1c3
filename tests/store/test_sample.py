"""Random documents: reproducible, filtered by language or site, printed readably."""

from __future__ import annotations

import json
from pathlib import Path

from newscorpus.store.sample import sample_documents
from tests.test_cli import _one_line_error, run


def test_same_seed_same_documents(demo_corpus: Path) -> None:
    first = sample_documents(demo_corpus, 5, seed=7)
    assert [d["id"] for d in first] == [d["id"] for d in sample_documents(demo_corpus, 5, seed=7)]
    assert len({d["id"] for d in first}) == 5
    seeds = {tuple(d["id"] for d in sample_documents(demo_corpus, 5, seed=s)) for s in range(5)}
    assert len(seeds) > 1  # the seed matters


def test_filters_and_asking_for_more_than_there_is(demo_corpus: Path) -> None:
    french = sample_documents(demo_corpus, 100, language="fr", seed=1)
    total_fr = json.loads((demo_corpus / "manifest.json").read_text())["languages"]["fr"]
    assert len(french) == total_fr["documents"] and {d["language"] for d in french} == {"fr"}
    domain = french[0]["domain"]
    on_site = sample_documents(demo_corpus, 3, domain=f"WWW.{domain.upper()}", seed=1)
    assert len(on_site) == 3 and {d["domain"] for d in on_site} == {domain}
    assert sample_documents(demo_corpus, 3, domain="elsewhere.example") == []
    assert sample_documents(demo_corpus, 0) == []


def test_sample_command_prints_documents(demo_corpus: Path) -> None:
    result = run("sample", str(demo_corpus), "--language", "fr", "-n", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    (first, second) = sample_documents(demo_corpus, 2, language="fr", seed=3)
    for document in (first, second):
        assert document["title"] in result.stdout and document["url"] in result.stdout
    assert "1/2 · fr" in result.stdout and "2/2 · fr" in result.stdout
    as_json = json.loads(run("--json", "sample", str(demo_corpus), "-n", "3", "--seed", "3").stdout)
    assert len(as_json) == 3 and {"text", "translations", "duplicate_count"} <= set(as_json[0])
    _one_line_error(run("sample", str(demo_corpus), "--language", "xx"), "no document matches")
    _one_line_error(run("sample", str(demo_corpus), "--language", "e*"), "not a language code")
