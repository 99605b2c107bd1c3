"""Re-visits: an archived article is fetched again on its schedule, conditionally."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.dataset as ds
import pytest
from fastwarc import ArchiveIterator, WarcRecordType

from newscorpus import ProcessOptions, process
from newscorpus.crawl.revisits import DEFAULT_SCHEDULE, describe, next_visit, parse_schedule
from newscorpus.errors import UserError
from newscorpus.executors import LocalExecutor
from newscorpus.steps import QualityThresholds
from tests.conftest import crawl, html_page, news_paragraphs
from tests.crawl.site import LocalNewsSite, LoggedRequest, Reply, article_html

ARTICLE = "/2026/04/02/ferry-line-opens.html"


def test_schedules_are_read_and_refused_in_one_line() -> None:
    assert parse_schedule("1h,6h,24h,72h") == DEFAULT_SCHEDULE
    assert parse_schedule(["90s", "15m", "2d"]) == (90.0, 900.0, 172_800.0)
    assert parse_schedule("off") == parse_schedule(False) == ()
    assert describe(DEFAULT_SCHEDULE) == "1h,6h,24h,72h" and describe(()) == "off"
    assert next_visit(1000.0, 0, (60.0, 120.0)) == 1060.0
    assert next_visit(1000.0, 2, (60.0, 120.0)) is None
    for wrong in ("6h,1h", "soon", "0s"):
        with pytest.raises(UserError, match="revisit schedule"):
            parse_schedule(wrong)


def _records(run_dir: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(WARC-Type, target URI, headers) of the response and revisit records, in order."""
    found = []
    for path in sorted((run_dir / "warc").glob("*.warc.gz")):
        kinds = WarcRecordType.response | WarcRecordType.revisit
        for record in ArchiveIterator(str(path), record_types=kinds):
            headers = dict(record.headers.items())
            found.append((headers["WARC-Type"], headers["WARC-Target-URI"], headers))
    return found


def test_an_article_is_revisited_on_its_schedule(site: LocalNewsSite, tmp_path: Path) -> None:
    """Three versions of an article (a paragraph added and the headline changed, then
    only a timestamp), then no change: four crawls on a short schedule archive three
    responses and one revisit record for the 304; a fifth, after the last visit, asks
    for nothing. Hubs are fetched again by every crawl; the article only when due.
    ``process`` makes two versions of the three responses: data/ the latest, versions/
    both, with what changed."""
    body = news_paragraphs(3)
    added = "Update: a night crossing will run on Fridays from June, the operator said."
    versions = [
        html_page("Ferry line opens", body),
        html_page("Ferry line opens, with a night crossing", [*body, added]),
        html_page("Ferry line opens, with a night crossing", [*body, added, "Updated 14:05"]),
    ]
    current = {"version": 0}

    def article(request: LoggedRequest) -> Reply:
        etag = f'"v{current["version"]}"'
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        body = versions[current["version"]]
        return 200, {"Content-Type": "text/html; charset=utf-8", "ETag": etag}, body

    site.routes[ARTICLE] = article
    site.page("/", f'<html><body><a href="{ARTICLE}">Ferry line</a></body></html>')
    run_dir = tmp_path / "run"

    printed: list[str] = []

    def crawl_now() -> dict:
        result = crawl([f"{site.base}/"], run_dir, "--revisit", "2s,4s,6s")
        assert result.returncode == 0, result.stderr[-2000:]
        printed.append(result.stderr)  # what a person reads goes to stderr
        return dict(json.loads((run_dir / "crawl-stats.json").read_text()))

    crawl_now()
    first_done = time.monotonic()  # the first archive was made before this
    for visit, version in ((1, 1), (2, 2), (3, 2)):
        current["version"] = version
        time.sleep(max(0.0, first_done + 2 * visit - time.monotonic()))
        stats = crawl_now()
        assert stats["revisits"].get("due") == 1, (visit, stats["revisits"])
    assert stats["revisits"] == {"due": 1, "not_modified": 1}
    assert stats["revisit_schedule"] == "2s,4s,6s"
    assert "re-visits: 1 due, 0 changed (archived), 1 unchanged, 0 failed" in printed[-1]
    assert "re-visits: 1 due, 1 changed (archived), 0 unchanged" in printed[1]
    assert "re-visits" not in printed[0]
    asked = [r for r in site.log if r.path == ARTICLE]
    assert len(asked) == 4
    assert [r.headers.get("If-None-Match") for r in asked] == [None, '"v0"', '"v1"', '"v2"']
    records = _records(run_dir)
    article_records = [(kind, headers) for kind, uri, headers in records if uri.endswith(ARTICLE)]
    assert [kind for kind, _ in article_records] == ["response"] * 3 + ["revisit"]
    revisit = article_records[-1][1]
    assert revisit["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert revisit["WARC-Refers-To-Date"] == article_records[-2][1]["WARC-Date"]
    # after the last visit of its schedule, a crawl does not ask for the article again
    before = len(site.log)
    stats = crawl_now()
    assert stats["revisits"] == {} and ARTICLE not in [r.path for r in site.log[before:]]

    corpus = tmp_path / "corpus"
    options = ProcessOptions(quality=QualityThresholds(min_words=20))
    process(sorted((run_dir / "warc").glob("*.warc.gz")), corpus, options, LocalExecutor(1))
    (latest,) = [r for r in _stored(corpus / "data") if r["url"].endswith(ARTICLE)]
    assert latest["version"] == 2 and latest["title"] == "Ferry line opens, with a night crossing"
    assert latest["changes"] == {
        "title_changed": True,
        "paragraphs_added": 1,
        "paragraphs_removed": 0,
        "paragraphs_changed": 0,
    }
    fetched = [h["WARC-Date"] for kind, h in article_records if kind == "response"]
    assert (latest["first_seen"], latest["crawled_at"]) == (fetched[0], fetched[1])
    assert [(r["version"], added in r["text"]) for r in _stored(corpus / "versions")] == [
        (1, False),
        (2, True),
    ]


def _stored(folder: Path) -> list[dict]:
    rows = ds.dataset(folder, format="parquet").to_table().to_pylist()
    return sorted(rows, key=lambda r: (r["url"], r["version"]))


def test_revisits_off_fetch_an_article_once(site: LocalNewsSite, tmp_path: Path) -> None:
    site.page(ARTICLE, article_html("Ferry line opens"))
    site.page("/", f'<html><body><a href="{ARTICLE}">Ferry line</a></body></html>')
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nstart_urls = ["{site.base}/"]\nrevisit = "off"\n', encoding="utf-8"
    )
    run_dir = tmp_path / "run"
    for _ in range(2):
        result = crawl(["--sources", str(sources)], run_dir, "--revisit", "1s")
        assert result.returncode == 0, result.stderr[-2000:]
        time.sleep(1.2)
    assert len(site.requested(ARTICLE)) == 1  # the source's "off" wins over --revisit


def test_the_same_bytes_again_cost_no_body(site: LocalNewsSite, tmp_path: Path) -> None:
    """A server that ignores validators sends the same page again: archived as a revisit
    record of profile identical-payload-digest, whose digest is the earlier response's."""
    body = article_html("Ferry line opens").encode()
    site.routes[ARTICLE] = lambda request: (200, {"Content-Type": "text/html"}, body)
    site.page("/", f'<html><body><a href="{ARTICLE}">Ferry line</a></body></html>')
    run_dir = tmp_path / "run"
    for wait in (0.0, 1.2):
        time.sleep(wait)
        result = crawl([f"{site.base}/"], run_dir, "--revisit", "1s")
        assert result.returncode == 0, result.stderr[-2000:]
    assert len(site.requested(ARTICLE)) == 2
    kinds = [(kind, headers) for kind, uri, headers in _records(run_dir) if uri.endswith(ARTICLE)]
    assert [kind for kind, _ in kinds] == ["response", "revisit"]
    response, revisit = kinds[0][1], kinds[1][1]
    assert revisit["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert revisit["WARC-Payload-Digest"] == response["WARC-Payload-Digest"]
    stats = json.loads((run_dir / "crawl-stats.json").read_text())
    assert stats["revisits"] == {"due": 1, "identical": 1}


def test_every_due_article_is_revisited_though_hubs_link_it(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    """The home page, fetched again, links the articles due for a visit: a link refused as
    "archived" must not keep the visit from being made (it did, for all but the first few)."""
    paths = [f"/2026/04/02/story-{i}.html" for i in range(40)]
    for path in paths:
        site.page(path, article_html(f"Story {path}"))
    site.page(
        "/", "<html><body>" + "".join(f'<a href="{p}">s</a>' for p in paths) + "</body></html>"
    )
    run_dir = tmp_path / "run"
    for wait in (0.0, 1.5):
        time.sleep(wait)
        result = crawl([f"{site.base}/"], run_dir, "--revisit", "1s")
        assert result.returncode == 0, result.stderr[-2000:]
    stats = json.loads((run_dir / "crawl-stats.json").read_text())
    assert stats["revisits"]["due"] == 40
    assert all(len(site.requested(path)) == 2 for path in paths)


def test_a_crawl_killed_during_revisits_resumes_them_without_duplicates(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    """kill -9 while the re-visits run: the next crawl makes the ones left, and every
    article ends with exactly one record per visit (its first response, its re-visit's)."""
    paths = [f"/2026/04/03/story-{i}.html" for i in range(60)]
    edited: set[str] = set()

    def article(request: LoggedRequest) -> Reply:
        version = int(request.path in edited)
        etag = f'"{version}"'
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        html = article_html(f"Story {request.path} v{version}")
        return 200, {"Content-Type": "text/html", "ETag": etag}, html.encode()

    for path in paths:
        site.routes[path] = article
    links = "".join(f'<a href="{path}">s</a>' for path in paths)
    site.page("/", f"<html><body>{links}</body></html>")
    run_dir = tmp_path / "run"
    options = ["--revisit", "1s", "--delay", "0.05"]
    result = crawl([f"{site.base}/"], run_dir, *options)
    assert result.returncode == 0, result.stderr[-2000:]
    edited.update(paths)  # every article changed: each re-visit archives a response
    time.sleep(1.5)
    before = len(site.log)
    command = [
        sys.executable, "-m", "newscorpus", "-q", "crawl", f"{site.base}/", "--out",
        str(run_dir), "--allow-private", *options,
    ]  # fmt: skip
    child = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(r.path in edited for r in site.log[before:]) < 15:
        time.sleep(0.02)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    revisited_before_kill = sum(r.path in edited for r in site.log[before:])
    assert 15 <= revisited_before_kill < 60, "the re-visits were not interrupted mid-way"
    result = crawl([f"{site.base}/"], run_dir, *options)
    assert result.returncode == 0, result.stderr[-2000:]
    responses = Counter(
        urlsplit(uri).path for kind, uri, _ in _records(run_dir) if kind == "response"
    )
    assert {path: responses[path] for path in paths} == dict.fromkeys(paths, 2)
    assert not list((run_dir / "warc").glob("*.open"))
