"""The multilingual evaluation set (benchmarks/extraction/multilingual): 30 pages of 10 sites
in 10 languages and 5 scripts, with site boilerplate in every body. Run through what
``process`` runs (every stage, filters and dedup included, boilerplate learned across the
set's pages): what a user gets."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from benchmarks.extraction_quality import (
    SETS,
    load_set,
    process_rows,
    shingle_score,
    trafilatura_predictions,
)

from newscorpus.steps import CleanText, Extract, RemoveBoilerplate
from newscorpus.urls import normalize_url
from newscorpus.warc.reader import WarcResponse
from newscorpus.webpage.boilerplate_rules import fallback_rule
from tests.conftest import FUNDUS

FOLDER = SETS["multilingual"]
TRUTH: dict[str, dict[str, Any]] = json.loads(
    (FOLDER / "ground_truth.json").read_text(encoding="utf-8")
)


@cache
def _documents() -> dict[str, dict[str, Any]]:
    """The stored row of every page (a page dropped on the way fails the tests below)."""
    rows, _ = process_rows(load_set(FOLDER))
    return rows


def test_the_set_covers_eight_languages_and_four_scripts() -> None:
    languages = {page["language"] for page in TRUTH.values()}
    assert len(languages) >= 8 and {"ru", "ar", "zh", "ja", "fr"} <= languages
    assert {page["encoding"] for page in TRUTH.values()} >= {"utf-8", "windows-1251", "shift_jis"}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_metadata(name: str) -> None:
    truth, doc = TRUTH[name], _documents()[name]
    assert doc["title"] == truth["title"]
    assert doc["authors"] == truth["authors"]
    assert (doc["published"] or "")[:10] == truth["published"]
    if truth["modified"]:
        assert (doc["modified"] or "")[:10] == truth["modified"]
    assert doc["language"] == truth["language"]
    assert doc["canonical_url"] == normalize_url(truth["canonical_url"])
    assert doc["sitename"] == truth["sitename"]
    found = sorted((t["language"], normalize_url(t["url"])) for t in doc["translations"])
    wanted = sorted((t["language"], normalize_url(t["url"])) for t in truth["translations"])
    assert found == wanted


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_body_is_whole_and_clean(name: str) -> None:
    truth, doc = TRUTH[name], _documents()[name]
    paragraphs = doc["text"].split("\n\n")
    assert [p for p in truth["body"] if p not in paragraphs] == []  # no real paragraph lost
    assert [b for b in truth["boilerplate"] if any(b in p for p in paragraphs)] == []
    assert all(re.search(r"\w", p) for p in paragraphs)  # no decoration line
    assert shingle_score(doc["text"], "\n\n".join(truth["body"])).f1 > 0.97


def test_a_sites_first_page_is_cleaned_by_the_rules_alone() -> None:
    """Nothing learned yet (one page per site): the multilingual rules do the work."""
    firsts = sorted(name for name in TRUTH if name.endswith("_0.html"))
    pages = {p.name: p for p in load_set(FOLDER)}
    remover = RemoveBoilerplate(lambda domain: frozenset())
    for name in firsts:
        page = pages[name]
        response = WarcResponse(page.url, page.html, None, 200, "2024-01-01T00:00:00Z", name, 0)
        (doc,) = list(remover.run(CleanText().run(Extract().run([response]))))
        paragraphs = doc.text.split("\n\n")
        truth = TRUTH[name]
        assert [b for b in truth["boilerplate"] if any(b in p for p in paragraphs)] == [], name
        assert [p for p in truth["body"] if p not in paragraphs] == [], name


def test_better_than_trafilatura_alone() -> None:
    pages = load_set(FOLDER)
    baseline = trafilatura_predictions(pages)
    ours = _documents()
    truth = {p.name: p.truth for p in pages}
    base = sum(shingle_score(baseline[n].text, t).f1 for n, t in truth.items()) / len(truth)
    mine = sum(shingle_score(ours[n]["text"], t).f1 for n, t in truth.items()) / len(truth)
    assert mine > base + 0.05


def test_rules_do_not_touch_real_news_paragraphs() -> None:
    paragraphs = [p for page in TRUTH.values() for p in page["body"]]
    fundus = Path(FUNDUS) / "ground_truth.json"
    if fundus.exists():
        truth = json.loads(fundus.read_text(encoding="utf-8"))
        paragraphs += [p for page in truth.values() for p in page["body"]]
    assert len(paragraphs) > 150
    assert [p for p in paragraphs if fallback_rule(p)] == []
