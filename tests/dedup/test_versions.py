"""Versions: fetches of one URL whose text changed are versions, not duplicates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from newscorpus import ProcessOptions, pipeline, process
from newscorpus.dedup.versions import changes_between, version_text
from newscorpus.document import Changes
from newscorpus.executors import LocalExecutor
from newscorpus.report import write_report
from newscorpus.report.figures import gather_versions
from newscorpus.steps import QualityThresholds
from newscorpus.store.history import article_versions
from newscorpus.store.manifest import read_manifest
from newscorpus.store.query import run_query
from tests.conftest import html_page, news_paragraphs, write_warc

URL = "https://news.test/2026/05/bridge-closed.html"
HEADERS = [("Content-Type", "text/html; charset=utf-8")]
BODY = news_paragraphs(7, paragraphs=4)
ADDED = (
    "Late on Tuesday the harbour authority said that the bridge would stay closed until "
    "engineers had finished a second inspection of its northern pillars."
)
PUBLISHED = '<meta property="article:published_time" content="2026-05-02T09:00:00Z">'
FIRST = html_page("Bridge closed after storm", [*BODY, "Updated 09:12"], head=PUBLISHED)
# the headline rewritten and a paragraph added
SECOND = html_page(
    "Bridge closed for a week after storm", [*BODY, ADDED, "Updated 13:40"], head=PUBLISHED
)
THIRD = html_page(
    "Bridge closed for a week after storm", [*BODY, ADDED, "Updated 17:05"], head=PUBLISHED
)
OTHER = html_page("Ferry line opens", news_paragraphs(8))


def _options() -> ProcessOptions:
    return ProcessOptions(quality=QualityThresholds(min_words=20))


def _rows(folder: Path) -> list[dict]:
    if not folder.exists():
        return []
    rows = ds.dataset(folder, format="parquet").to_table().to_pylist()
    return sorted(rows, key=lambda r: (r["url"], r["version"]))


def _warc(directory: Path, pages: list[tuple[str, bytes, str]]) -> Path:
    return write_warc(
        directory,
        [(url, body, HEADERS) for url, body, _ in pages],
        dates=[date for _, _, date in pages],
    )


def test_stamps_and_counters_are_not_what_a_version_is_made_of() -> None:
    text = "First paragraph of the story, long enough to matter here.\n\nUpdated 14:05"
    later = "First  paragraph of the story, long enough to matter here.\n\n1,204 comments"
    assert version_text("Title", text) == version_text("title", later)
    # a number inside a paragraph of the story is the story
    assert version_text("T", "Three people were hurt in the crash on the bypass road.") != (
        version_text("T", "Five people were hurt in the crash on the bypass road.")
    )
    assert version_text("A headline", text) != version_text("Another headline", text)


def test_changes_count_paragraphs_added_removed_and_changed() -> None:
    kept = "The storm closed the bridge on Sunday night."
    said = "The mayor said the bridge would reopen on Monday."
    rewritten = "The mayor said on Tuesday that the bridge would reopen on Friday."
    last = "Ferries will run every hour until then."
    old = "\n\n".join([kept, said, last])
    new = "\n\n".join([kept, "Police closed the road.", rewritten, last, "Four.", "Five."])
    assert changes_between("T", old, "T", new) == Changes(
        title_changed=False, paragraphs_added=3, paragraphs_removed=0, paragraphs_changed=1
    )
    assert changes_between("T", new, "New T", old) == Changes(
        title_changed=True, paragraphs_added=0, paragraphs_removed=3, paragraphs_changed=1
    )
    # a paragraph replaced by one with little in common is one removed and one added
    other = "\n\n".join([kept, "Schools stay closed on Monday.", last])
    assert changes_between("T", old, "T", other) == Changes(
        paragraphs_added=1, paragraphs_removed=1, paragraphs_changed=0
    )


def test_fetches_of_a_changed_article_are_its_versions(tmp_path: Path) -> None:
    """Three fetches of one article (headline and a paragraph changed, then only its
    stamp): two versions; data/ holds the latest, versions/ both; a rerun adds nothing;
    the order of the inputs does not matter (versions go by fetch time)."""
    pages = [
        (URL, THIRD, "2026-05-02T17:05:00Z"),  # the inputs out of order
        (URL, FIRST, "2026-05-02T09:12:00Z"),
        ("https://news.test/2026/05/ferry.html", OTHER, "2026-05-02T10:00:00Z"),
        (URL, SECOND, "2026-05-02T13:40:00Z"),
    ]
    warc = _warc(tmp_path / "w", pages)
    corpus = tmp_path / "corpus"
    summary = process([warc], corpus, _options(), LocalExecutor(1))
    assert not summary.failed
    data = _rows(corpus / "data")
    assert [(r["url"], r["version"]) for r in data] == [
        (URL, 2),
        ("https://news.test/2026/05/ferry.html", 1),
    ]
    latest = data[0]
    assert latest["title"] == "Bridge closed for a week after storm"
    assert ADDED in latest["text"] and latest["crawled_at"] == "2026-05-02T13:40:00Z"
    assert latest["first_seen"] == "2026-05-02T09:12:00Z"
    assert latest["changes"] == {
        "title_changed": True,
        "paragraphs_added": 1,
        "paragraphs_removed": 0,
        "paragraphs_changed": 0,
    }
    assert data[1]["first_seen"] == data[1]["crawled_at"] and data[1]["changes"] is None
    versions = _rows(corpus / "versions")
    assert [(r["version"], r["title"]) for r in versions] == [
        (1, "Bridge closed after storm"),
        (2, "Bridge closed for a week after storm"),
    ]
    assert versions[0]["changes"] is None and ADDED not in versions[0]["text"]
    assert {r["id"] for r in versions} == {latest["id"]}
    manifest = read_manifest(corpus)
    # the stamp-only fetch is a same-URL duplicate of version 2; version 1 is no drop
    assert manifest["steps"]["dedup.dropped.same_url"] == 1
    assert "dedup.dropped.earlier_version" not in manifest["steps"]
    assert manifest["versions"] == {"changed_articles": 1, "versions": 2}
    assert manifest["documents"] == 2

    process([warc], corpus, _options(), LocalExecutor(1))  # a rerun adds nothing
    assert _rows(corpus / "data") == data and _rows(corpus / "versions") == versions

    # the versions as a user reads them: DuckDB, and the card's `versions` configuration
    queried = run_query(corpus, "SELECT version, changes.title_changed FROM versions ORDER BY 1")
    assert queried.rows == [(1, None), (2, True)]
    datasets = pytest.importorskip("datasets")
    cache = str(tmp_path / "hf-cache")
    every = datasets.load_dataset(str(corpus), "versions", split="train", cache_dir=cache)
    assert sorted(every["version"]) == [1, 2]
    assert datasets.load_dataset(str(corpus), split="train", cache_dir=cache).num_rows == 2


def test_a_later_run_supersedes_the_stored_version(tmp_path: Path) -> None:
    """Version 1 stored by one run; a later run with the changed fetch stores version 2:
    version 1 leaves data/ for versions/, the count of its copies goes with the article."""
    # the first version, copied by another site that does not date it
    copy = html_page("Bridge closed after storm", [*BODY, "Updated 09:12"])
    corpus = tmp_path / "corpus"
    first = _warc(
        tmp_path / "w1",
        [
            (URL, FIRST, "2026-05-02T09:12:00Z"),
            ("https://mirror.test/b", copy, "2026-05-02T09:30:00Z"),
        ],
    )
    process([first], corpus, _options(), LocalExecutor(1))
    (stored,) = _rows(corpus / "data")
    assert stored["version"] == 1 and stored["duplicate_count"] == 2
    assert _rows(corpus / "versions") == []

    later = _warc(
        tmp_path / "w2",
        [(URL, SECOND, "2026-05-02T13:40:00Z"), (URL, THIRD, "2026-05-02T17:05:00Z")],
    )
    process([first, later], corpus, _options(), LocalExecutor(1))
    (latest,) = _rows(corpus / "data")
    assert (latest["version"], latest["first_seen"]) == (2, "2026-05-02T09:12:00Z")
    assert latest["changes"]["title_changed"] and latest["changes"]["paragraphs_added"] == 1
    assert latest["duplicate_count"] == 2  # the syndicated copy of the story still counts
    versions = _rows(corpus / "versions")
    assert [(r["version"], r["crawled_at"]) for r in versions] == [
        (1, "2026-05-02T09:12:00Z"),
        (2, "2026-05-02T13:40:00Z"),
    ]
    assert versions[0] | {"duplicate_count": 0} == stored | {"duplicate_count": 0}
    # the first run's shard held version 1 alone: its data file is gone, not left empty
    assert [p.name for p in (corpus / "data").glob("*/*.parquet")] == ["00001.parquet"]
    manifest = read_manifest(corpus)  # the stored shard's figures no longer count version 1
    assert manifest["documents"] == 1 and manifest["domains"] == {"news.test": 1}
    assert manifest["versions"] == {"changed_articles": 1, "versions": 2}

    # a fetch of the stored latest text again, then a third text: version 3
    third_text = html_page(
        "Bridge reopens",
        [*BODY, ADDED, "The bridge reopened to traffic on Friday morning."],
        head=PUBLISHED,
    )
    last = _warc(
        tmp_path / "w3",
        [(URL, THIRD, "2026-05-03T08:00:00Z"), (URL, third_text, "2026-05-04T08:00:00Z")],
    )
    process([first, later, last], corpus, _options(), LocalExecutor(1))
    (latest,) = _rows(corpus / "data")
    assert (latest["version"], latest["title"]) == (3, "Bridge reopens")
    assert [r["version"] for r in _rows(corpus / "versions")] == [1, 2, 3]
    index = ds.dataset(corpus / ".state" / "dedup" / "index", format="parquet").to_table()
    assert index.column("version").to_pylist() == [3]  # only the latest stays in the index

    figures = gather_versions(corpus)  # what the report shows
    assert (figures.changed_articles, figures.versions) == (1, 3)
    # published 09:00; version 2 seen at 13:40 the same day, version 3 two days later
    assert figures.delays == {"1-6 h": 1, "1-3 days": 1}
    (edited,) = figures.most_edited
    assert (edited["versions"], edited["title_changes"], edited["paragraphs_added"]) == (3, 2, 2)
    page = (write_report(corpus)).read_text()
    assert "<h2>Versions</h2>" in page and f"newscorpus history CORPUS {latest['id']}" in page


def test_a_fetch_older_than_the_stored_version_is_a_duplicate(tmp_path: Path) -> None:
    """A later run brings a fetch older than the stored version (an older capture) beside
    two newer changed ones: the old one is a duplicate, never a second row of the id."""
    corpus = tmp_path / "corpus"
    first = _warc(tmp_path / "w1", [(URL, FIRST, "2026-05-02T09:12:00Z")])
    process([first], corpus, _options(), LocalExecutor(1))
    older = html_page("Bridge closed", [*BODY, "Updated 08:00"], head=PUBLISHED)
    third = html_page("Bridge reopens", [*BODY, ADDED, "It reopened on Friday."], head=PUBLISHED)
    later = _warc(
        tmp_path / "w2",
        [
            (URL, older, "2026-05-02T08:00:00Z"),
            (URL, SECOND, "2026-05-02T13:40:00Z"),
            (URL, third, "2026-05-03T08:00:00Z"),
        ],
    )
    process([first, later], corpus, _options(), LocalExecutor(1))
    (row,) = _rows(corpus / "data")
    assert (row["version"], row["title"]) == (3, "Bridge reopens")
    assert [r["version"] for r in _rows(corpus / "versions")] == [1, 2, 3]
    assert read_manifest(corpus)["steps"]["dedup.dropped.same_url"] == 1  # the older fetch


def test_copies_kept_by_keep_duplicates_stay_copies(tmp_path: Path) -> None:
    """With --keep-duplicates a refetch of version 1 is kept, tagged as a copy: when
    version 2 supersedes version 1, the copy stays a copy in data/ and is no version."""
    options = _options()
    options.dedup.keep_duplicates = True
    corpus = tmp_path / "corpus"
    again = FIRST.replace(b"Updated 09:12", b"Updated 09:30")
    first = _warc(
        tmp_path / "w1",
        [(URL, FIRST, "2026-05-02T09:12:00Z"), (URL, again, "2026-05-02T09:30:00Z")],
    )
    process([first], corpus, options, LocalExecutor(1))
    assert [r["duplicate_of"] is None for r in _rows(corpus / "data")].count(True) == 1
    later = _warc(tmp_path / "w2", [(URL, SECOND, "2026-05-02T13:40:00Z")])
    process([first, later], corpus, options, LocalExecutor(1))
    data = _rows(corpus / "data")
    assert sorted((r["version"], r["duplicate_of"] is None) for r in data) == [
        (1, False),
        (2, True),
    ]
    versions = _rows(corpus / "versions")
    assert [(r["version"], r["crawled_at"]) for r in versions] == [
        (1, "2026-05-02T09:12:00Z"),
        (2, "2026-05-02T13:40:00Z"),
    ]
    shown = [v["crawled_at"] for v in article_versions(corpus, URL)]
    assert shown == ["2026-05-02T09:12:00Z", "2026-05-02T13:40:00Z"]


@pytest.mark.parametrize("amp_first", [True, False])
def test_a_twin_with_other_markup_is_no_version(tmp_path: Path, amp_first: bool) -> None:
    """An AMP twin shares the article's id (its canonical URL) but differs in markup:
    it stays a duplicate, whichever was fetched first."""
    canonical = f'<link rel="canonical" href="{URL}">{PUBLISHED}'
    amp = html_page("Bridge closed after storm", [*BODY[:3], "Share this"], head=canonical)
    pages = [
        (URL.replace(".html", ".amp.html"), amp, "2026-05-02T09:00:00Z"),
        (URL, FIRST, "2026-05-02T09:12:00Z"),
    ]
    corpus = tmp_path / "corpus"
    process([_warc(tmp_path / "w", pages if amp_first else pages[::-1])], corpus, _options())
    (row,) = _rows(corpus / "data")
    assert (row["url"], row["version"]) == (URL, 1)
    assert _rows(corpus / "versions") == []


def test_the_twin_of_a_changed_article_is_a_duplicate_of_its_latest_version(
    tmp_path: Path,
) -> None:
    canonical = f'<link rel="canonical" href="{URL}">{PUBLISHED}'
    amp = html_page("Bridge closed after storm", [*BODY[:3], "Share this"], head=canonical)
    amp_url = URL.replace(".html", ".amp.html")
    pages = [
        (URL, FIRST, "2026-05-02T09:12:00Z"),
        (amp_url, amp, "2026-05-02T10:00:00Z"),
        (amp_url, amp.replace(b"Share this", b"Share this story"), "2026-05-02T12:00:00Z"),
        (URL, SECOND, "2026-05-02T13:40:00Z"),
    ]
    corpus = tmp_path / "corpus"
    process([_warc(tmp_path / "w", pages)], corpus, _options(), LocalExecutor(1))
    (row,) = _rows(corpus / "data")
    assert (row["url"], row["version"]) == (URL, 2)
    assert [r["url"] for r in _rows(corpus / "versions")] == [URL, URL]
    assert read_manifest(corpus)["steps"]["dedup.dropped.same_url"] == 2  # both AMP fetches


def _live_blog(updates: list[tuple[str, str]]) -> bytes:
    posts = "".join(
        f'<div class="liveblog-post"><time datetime="{time}">{time[11:16]}</time>'
        f"<p>{text}</p></div>"
        for time, text in reversed(updates)  # newest first, as live blogs show them
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Storm live</title>"
        f"{PUBLISHED}</head><body><article><h1>Storm live</h1><p>{BODY[0]}</p>{posts}"
        "</article></body></html>"
    ).encode()


def test_re_visits_add_the_updates_a_live_blog_no_longer_shows(tmp_path: Path) -> None:
    """A live blog shows its latest three updates: fetched again after a fourth, its new
    version holds all four (the page's text stays what it showed)."""
    updates = [
        (f"2026-05-02T{9 + n:02d}:00:00+00:00", paragraph)
        for n, paragraph in enumerate(news_paragraphs(11, paragraphs=4))
    ]
    url = "https://news.test/2026/05/storm-live.html"
    pages = [
        (url, _live_blog(updates[:3]), "2026-05-02T11:30:00Z"),
        (url, _live_blog(updates[1:4]), "2026-05-02T12:30:00Z"),
    ]
    corpus = tmp_path / "corpus"
    process([_warc(tmp_path / "w", pages)], corpus, _options(), LocalExecutor(1))
    (row,) = _rows(corpus / "data")
    assert (row["page_type"], row["version"]) == ("live_blog", 2)
    assert [u["text"] for u in row["updates"]] == [text for _, text in updates]
    assert updates[0][1] not in row["text"] and updates[3][1] in row["text"]
    first, second = _rows(corpus / "versions")
    assert len(first["updates"]) == 3 and second["updates"] == row["updates"]


class _Killed(BaseException):
    """Stands for the run dying at a chosen point (nothing after it runs)."""


@pytest.mark.parametrize("dies_in", ["update_stored", "close_batch"])
def test_a_run_dying_around_the_stored_update_resumes_to_the_same_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies_in: str
) -> None:
    """A run that stored the new version but died before (or while) moving the stored
    one out of data/: the rerun finishes the move, once."""
    first = _warc(tmp_path / "w1", [(URL, FIRST, "2026-05-02T09:12:00Z")])
    later = _warc(tmp_path / "w2", [(URL, SECOND, "2026-05-02T13:40:00Z")])
    expected = tmp_path / "expected"
    for inputs in ([first], [first, later]):
        process(inputs, expected, _options(), LocalExecutor(1))

    corpus = tmp_path / "corpus"
    process([first], corpus, _options(), LocalExecutor(1))

    def dying(*args: object) -> None:
        raise _Killed  # before update_stored: new version stored, old one still in data/;
        # before close_batch: the updates done, the batch still open (done again)

    monkeypatch.setattr(pipeline, dies_in, dying)
    with pytest.raises(_Killed):
        process([first, later], corpus, _options(), LocalExecutor(1))
    monkeypatch.undo()
    process([first, later], corpus, _options(), LocalExecutor(1))
    for folder in ("data", "versions"):
        assert _rows(corpus / folder) == _rows(expected / folder)
    assert [r["version"] for r in _rows(corpus / "versions")] == [1, 2]


def test_history_shows_each_version_with_a_word_diff(tmp_path: Path) -> None:
    pages = [(URL, FIRST, "2026-05-02T09:12:00Z"), (URL, SECOND, "2026-05-02T13:40:00Z")]
    corpus = tmp_path / "corpus"
    process([_warc(tmp_path / "w", pages)], corpus, _options(), LocalExecutor(1))

    def history(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "newscorpus", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    shown = history("history", str(corpus), URL)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "2 version(s)" in lines[0]
    assert "version 1, fetched 2026-05-02T09:12:00Z: first version" in lines
    assert "version 2, fetched 2026-05-02T13:40:00Z: title changed, 1 paragraph added" in lines
    assert "  title: Bridge closed {+for a week+} after storm" in lines
    assert f"  {{+{ADDED}+}}" in lines
    # the stamp changed too ("Updated 09:12" -> "13:40"): shown, though it made no version
    assert "  Updated [-09:12-] {+13:40+}" in lines
    assert "  [… 4 unchanged paragraph(s)]" in lines  # the story's paragraphs, left out

    (latest,) = _rows(corpus / "data")
    as_json = history("--json", "history", str(corpus), latest["id"])
    data = json.loads(as_json.stdout)
    assert [v["version"] for v in data["versions"]] == [1, 2] and data["diffs"][0] is None
    assert ["+", "for a week"] in data["diffs"][1]["title"]

    missing = history("history", str(corpus), "https://news.test/nothing-here")
    assert missing.returncode != 0 and "holds no article" in missing.stderr
    assert "Traceback" not in missing.stderr
