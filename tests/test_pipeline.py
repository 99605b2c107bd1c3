"""process() end to end on real WARC files: shards, resume, damage, parallel workers."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from newscorpus import ProcessOptions, _parquet, process
from newscorpus.dedup import minhash
from newscorpus.dedup.keys import KeysWriter
from newscorpus.dedup.minhash import MinHasher
from newscorpus.demo.site import WIRE_LANGUAGES, WIRE_STORIES
from newscorpus.errors import UserError
from newscorpus.executors import LocalExecutor
from newscorpus.steps import QualityThresholds
from newscorpus.store import parquet
from newscorpus.store.manifest import read_manifest
from newscorpus.store.parquet import corpus_files
from newscorpus.warc.reader import response_offsets
from tests.conftest import (
    FUNDUS,
    WARC_SAMPLES,
    html_page,
    need_shared,
    news_paragraphs,
    write_warc,
)


def _options(min_words: int) -> ProcessOptions:
    return ProcessOptions(quality=QualityThresholds(min_words=min_words))


def _rows(corpus: Path) -> list[dict]:
    table = ds.dataset(corpus / "data", format="parquet").to_table()
    return sorted(table.to_pylist(), key=lambda r: (r["warc_file"], r["warc_offset"]))


def _article(i: int) -> bytes:
    """A distinct English article (its number is its seed)."""
    return html_page(f"Council story number {i}", news_paragraphs(i))


def _article_warc(directory: Path, count: int, prefix: str = "articles") -> Path:
    pages = [
        (
            f"http://news.test/2026/03/{i:04d}.html",
            _article(i),
            [("Content-Type", "text/html; charset=utf-8")],
        )
        for i in range(count)
    ]
    return write_warc(directory, pages, prefix=prefix)


def test_demo_warc_becomes_a_corpus(demo_warc: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    summary = process([demo_warc], corpus, executor=LocalExecutor(1))
    assert not summary.failed
    rows = _rows(corpus)
    languages = {r["language"] for r in rows}
    assert {"en", "fr", "de", "ru", "ar", "zh"} <= languages
    by_url = {r["url"]: r for r in rows}
    fr = next(r for r in rows if r["language"] == "fr" and "/fr/2026/" in r["url"])
    assert fr["text"] and "\n\n" in fr["text"] and fr["title"] not in fr["text"].split("\n\n")[0]
    assert "----" not in fr["text"] and "\u00a0" not in fr["text"]
    assert fr["published"].startswith("2026-03") and "T" in fr["published"]
    assert fr["authors"] and fr["sitename"] == "Le Courrier Méridien"
    assert "utm_source" not in fr["canonical_url"]
    assert {t["language"] for t in fr["translations"]} == {"en", "de", "ru", "ar", "zh"}
    assert all(t["url"] in by_url for t in fr["translations"])
    # only articles: the home, section and about pages the crawl archived are dropped
    assert all("/2026/" in r["url"] or "/wire/" in r["url"] for r in rows)
    # no boilerplate line left: neither the site's prompts nor any line repeated on a site
    demo = json.loads(files("newscorpus.demo").joinpath("site/articles.json").read_text("utf-8"))
    prompts = [
        words[key] for words in demo["boilerplate"].values()
        for key in ("see_also", "subscribe", "newsletter", "share", "copyright")
    ]  # fmt: skip
    lines = Counter((r["domain"], line) for r in rows for line in set(r["text"].split("\n\n")))
    assert not [line for line in lines.elements() if any(p in line[1] for p in prompts)]
    assert not [line for line, n in lines.items() if n > 1 and len(line[1]) < 200]
    report = json.loads((corpus / "boilerplate.json").read_text(encoding="utf-8"))
    assert report["domains"]["127.0.0.1"]["removed"] >= 24  # a prompt in each of 24 articles
    # each story once per language; the wire's copies (en, fr) are counted, not stored
    # (and in English a live blog and an article rendered from its page data)
    stories = len(demo["stories"])
    for language in ("en", "fr", "de", "ru", "ar", "zh"):
        mine = [r for r in rows if r["language"] == language]
        specials = 2 if language == "en" else 0
        assert len(mine) == stories + specials, (language, [r["url"] for r in mine])
        copied = sorted(r["duplicate_count"] for r in mine)
        wired = WIRE_STORIES if language in WIRE_LANGUAGES else 0
        assert copied == [1] * (stories + specials - wired) + [2] * wired, language
    ru = next(r for r in rows if r["language"] == "ru" and "/ru/2026/" in r["url"])
    letters = [ch for ch in ru["text"] if ch.isalpha()]
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in letters)
    assert "\ufffd" not in ru["text"] and cyrillic > 0.9 * len(letters)  # windows-1251 read right
    assert len({r["id"] for r in rows}) == len(rows)
    # the story the demo puts behind a paywall, in each language: flagged, kept
    paywalled = [s for s in demo["stories"] if s.get("access") == "paywalled"]
    flagged = sorted(r["language"] for r in rows if r["access"] == "paywalled")
    assert paywalled and flagged == sorted(paywalled[0]["versions"])
    _assert_the_demos_page_types(demo, rows)
    # layout, manifest, card
    for row in rows:
        assert (corpus / "data" / row["language"]).is_dir()
    manifest = read_manifest(corpus)
    assert manifest["documents"] == len(rows)
    assert sum(v["documents"] for v in manifest["languages"].values()) == len(rows)
    assert manifest["inputs"][0]["sha256"] and manifest["shards"] == {"planned": 1, "done": 1}
    assert manifest["steps"]["extract.seen"] >= len(rows)
    card = (corpus / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and 'config_name: "zh"' in card


def _assert_the_demos_page_types(demo: dict, rows: list[dict]) -> None:
    """Each of the demo's page types is one row, as it should read."""
    # the story in three pages: stitched in order on its first page, in every language
    cut = next(s for s in demo["stories"] if s.get("pages") == 3)
    stitched = [r for r in rows if r["pages"] > 1]
    assert sorted(r["language"] for r in stitched) == sorted(cut["versions"])
    for row in stitched:
        assert row["pages"] == 3 and row["complete"] and "?page=" not in row["url"]
        paragraphs = cut["versions"][row["language"]]["paragraphs"]
        assert row["text"].split("\n\n")[-len(paragraphs) :] == paragraphs, row["language"]
    assert all(r["complete"] for r in rows)
    # the live blog: one row, its five updates oldest first with their times
    blog = demo["live_blog"]
    (live,) = [r for r in rows if r["page_type"] == "live_blog"]
    assert [u["time"] for u in live["updates"]] == [u["time"] for u in blog["updates"]]
    assert [u["text"].split("\n\n") for u in live["updates"]] == [
        [u["headline"], u["text"]] for u in blog["updates"]
    ]
    assert all(u["text"] in live["text"] for u in blog["updates"])
    assert {r["page_type"] for r in rows if r is not live} == {"article"}
    # the article only in its page data: its text, whole
    app = demo["app_article"]
    (rendered,) = [r for r in rows if r["url"].endswith(f"/{app['slug']}.html")]
    assert rendered["text"].split("\n\n")[-len(app["paragraphs"]) :] == app["paragraphs"]
    # the story with an AMP twin: one row, the canonical page's
    twin = next(s for s in demo["stories"] if s.get("amp"))
    slug = twin["versions"]["en"]["slug"]
    assert [r["url"] for r in rows if slug in r["url"]] == [
        r["canonical_url"] for r in rows if slug in r["url"]
    ]


def test_corpus_loads_with_datasets(demo_warc: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    corpus = tmp_path / "corpus"
    process([demo_warc], corpus, executor=LocalExecutor(1))
    cache = str(tmp_path / "hf-cache")  # the shared cache may hold an older corpus's rows
    everything = datasets.load_dataset(str(corpus), split="train", cache_dir=cache)
    french = datasets.load_dataset(str(corpus), "fr", split="train", cache_dir=cache)
    rows = _rows(corpus)
    assert everything.num_rows == len(rows)
    assert french.num_rows == sum(r["language"] == "fr" for r in rows) > 0
    assert set(french["language"]) == {"fr"}


def test_common_crawl_sample_is_valid_input(tmp_path: Path) -> None:
    warcs = need_shared(WARC_SAMPLES)
    corpus = tmp_path / "cc"
    summary = process([warcs], corpus, _options(min_words=10), LocalExecutor(1), keep_dropped=True)
    assert not summary.failed and not [r.warning for r in summary.results if r.warning]
    totals = summary.totals()
    assert totals["read.html"] > 40
    # General web pages, not news: most are dropped, but every one is stored or kept aside.
    rows = _rows(corpus)
    dropped = ds.dataset(corpus / "dropped", format="parquet").to_table().to_pylist()
    assert len(rows) + len(dropped) == totals["extract.extracted"]
    assert all(r["drop_reason"] and r["drop_step"] for r in dropped)
    everything = rows + dropped
    assert "zh" in {r["language"] for r in everything}
    japanese = [r for r in everything if r["domain"] == "uraharajuku.st"]
    assert japanese and all("\ufffd" not in r["text"] for r in japanese)  # EUC-JP decoded
    assert all(re.search("[\u3040-\u30ff]", r["text"]) for r in japanese)  # kana, read right


def test_corrupt_warc_keeps_records_before_damage(tmp_path: Path) -> None:
    whole = _article_warc(tmp_path / "w", 30)
    data = whole.read_bytes()
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[: len(data) // 2])
    corpus = tmp_path / "corpus"
    summary = process([damaged], corpus, _options(min_words=10), LocalExecutor(1))
    rows = _rows(corpus)
    assert 5 < len(rows) < 30
    warnings = [r.warning for r in summary.results if r.warning]
    assert len(warnings) == 1 and "damaged.warc.gz" in warnings[0]
    manifest = read_manifest(corpus)
    assert manifest["steps"]["read.damaged_files"] == 1 and manifest["warnings"]


def test_a_damaged_file_read_in_several_shards_is_one_damaged_file(tmp_path: Path) -> None:
    """Damage in three shards of one file, none in another file: one damaged file, in
    the run's totals and in the manifest; every damaged record counted."""
    whole = _article_warc(tmp_path / "w", 30)
    data = bytearray(whole.read_bytes())
    offsets = response_offsets(whole)
    damaged = tmp_path / "damaged.warc.gz"
    for offset in (offsets[4], offsets[14], offsets[24]):  # a byte of gzip data broken
        data[offset + 40] ^= 0xFF
    damaged.write_bytes(bytes(data))
    clean = _article_warc(tmp_path / "c", 6, prefix="clean")
    corpus = tmp_path / "corpus"
    summary = process(
        [damaged, clean], corpus, _options(min_words=10), LocalExecutor(1), records_per_shard=8
    )
    totals = summary.totals()
    damaged_shards = [r for r in summary.results if r.counts.get("read.damaged_files")]
    assert len(damaged_shards) == 3
    assert totals["read.damaged_files"] == 1
    assert totals["read.skipped_bad_gzip"] == 3
    manifest = read_manifest(corpus)
    assert manifest["steps"]["read.damaged_files"] == 1
    assert len(manifest["warnings"]) == 3  # one per shard, each naming the file
    assert all("damaged.warc.gz" in warning for warning in manifest["warnings"])


def test_two_workers_give_the_same_corpus_as_one(tmp_path: Path) -> None:
    warc = _article_warc(tmp_path / "w", 40)
    one, two = tmp_path / "one", tmp_path / "two"
    process([warc], one, _options(min_words=10), LocalExecutor(1), records_per_shard=7)
    process([warc], two, _options(min_words=10), LocalExecutor(2), records_per_shard=7)
    assert _rows(one) == _rows(two)
    assert len(_rows(one)) == 40
    assert len(list((one / "data" / "en").glob("*.parquet"))) == 6


def test_rerun_with_same_inputs_adds_nothing(tmp_path: Path) -> None:
    warc = _article_warc(tmp_path / "w", 10)
    corpus = tmp_path / "corpus"
    process([warc], corpus, _options(min_words=10), LocalExecutor(1), records_per_shard=3)
    first = _rows(corpus)
    summary = process(
        [warc], corpus, _options(min_words=10), LocalExecutor(1), records_per_shard=5
    )  # the saved plan wins over the new option
    assert all(r.resumed for r in summary.results) and len(summary.results) == 4
    assert _rows(corpus) == first


def test_new_inputs_are_appended_with_new_shard_numbers(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    first = _article_warc(tmp_path / "a", 4, prefix="a")
    process([first], corpus, _options(min_words=10), LocalExecutor(1))
    pages = [
        (f"http://other.test/{i}.html", _article(100 + i), [("Content-Type", "text/html")])
        for i in range(3)
    ]
    second = write_warc(tmp_path / "b", pages, prefix="b")
    process([first, second], corpus, _options(min_words=10), LocalExecutor(1))
    assert sorted(p.name for p in (corpus / "data" / "en").glob("*.parquet")) == [
        "00000.parquet",
        "00001.parquet",
    ]
    assert len(_rows(corpus)) == 7
    assert read_manifest(corpus)["domains"] == {"news.test": 4, "other.test": 3}


SITE_LINE = "Thank you for reading the Valley Courier, the voice of the valley since 1921."


def _site_warc(directory: Path, numbers: range) -> Path:
    """Articles of one site, each carrying the same line, which no rule knows."""
    pages = []
    for i in numbers:
        first, second = news_paragraphs(i, paragraphs=2)
        body = [f"In report {i}, " + first, SITE_LINE, second]
        url = f"http://valley.test/2026/03/story-{i:04d}.html"
        pages.append((url, html_page(f"Story {i}", body), [("Content-Type", "text/html")]))
    return write_warc(directory, pages, prefix=f"site{numbers.start}")


def test_site_boilerplate_is_learned_across_runs(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    process([_site_warc(tmp_path / "a", range(2))], corpus, _options(10), LocalExecutor(1))
    # two pages: too few to call the line boilerplate, and no rule knows it
    assert all(SITE_LINE in r["text"] for r in _rows(corpus))
    later = _site_warc(tmp_path / "b", range(2, 4))
    process([later], corpus, _options(10), LocalExecutor(1))
    new = [r for r in _rows(corpus) if r["warc_file"] == later.name]
    # the counts of the first run are kept with the corpus: 4 pages now have the line
    assert len(new) == 2 and all(SITE_LINE not in r["text"] for r in new)
    assert all(r["text"].startswith("In report") for r in new)
    report = json.loads((corpus / "boilerplate.json").read_text(encoding="utf-8"))
    (entry,) = report["domains"]["valley.test"]["lines"]
    assert entry == {"line": SITE_LINE, "rule": "learned_line", "removed": 2}


def test_a_page_fetched_again_and_again_is_not_its_own_boilerplate(tmp_path: Path) -> None:
    """The same URL in three WARC files (re-crawls, CC-NEWS re-captures): its lines are
    seen three times, but in one document; nothing may be learned from that."""
    page = [("http://news.test/2026/03/0001.html", _article(1), [("Content-Type", "text/html")])]
    warcs = [write_warc(tmp_path / f"w{n}", page, prefix=f"fetch{n}") for n in range(3)]
    corpus = tmp_path / "corpus"
    for warc in warcs:  # three runs, as a weekly re-crawl would make
        process([warc], corpus, _options(min_words=10), LocalExecutor(1))
    (row,) = _rows(corpus)
    assert row["text"] == "\n\n".join(news_paragraphs(1))
    assert row["duplicate_count"] == 3


def test_other_options_on_an_existing_corpus_are_refused(tmp_path: Path) -> None:
    warc = _article_warc(tmp_path / "w", 2)
    corpus = tmp_path / "corpus"
    process([warc], corpus, _options(min_words=10), LocalExecutor(1))
    with pytest.raises(UserError, match=r"quality\.min_words 10 -> 20"):
        process([warc], corpus, _options(min_words=20), LocalExecutor(1))


def _process_command(inputs: list[Path], corpus: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "newscorpus",
        "-q",
        "process",
        *map(str, inputs),
        "--out",
        str(corpus),
        "--min-words",
        "10",
        *extra,
    ]


def test_killed_run_resumes_to_exactly_the_uninterrupted_result(tmp_path: Path) -> None:
    if FUNDUS.exists():
        # real pages make shards slow enough to kill the run mid-way
        import gzip

        pages = [
            (
                f"https://{p.name.split('_')[0].lower()}.test/{p.name}",
                gzip.decompress(p.read_bytes()),
                [("Content-Type", "text/html")],
            )
            for p in sorted((FUNDUS / "html").glob("*.html.gz"))
        ]
        warc = write_warc(tmp_path / "w", pages)
    else:
        warc = _article_warc(tmp_path / "w", 400)
    reference = tmp_path / "reference"
    subprocess.run(
        _process_command([warc], reference, "--records-per-shard", "8", "-w", "1"), check=True
    )
    expected = _rows(reference)

    corpus = tmp_path / "killed"
    command = _process_command([warc], corpus, "--records-per-shard", "8", "-w", "2")
    child = subprocess.Popen(command, start_new_session=True)
    done = corpus / ".state" / "done"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(done.glob("*.json"))) < 2:
        time.sleep(0.02)
    os.killpg(child.pid, signal.SIGKILL)  # the run and its worker processes
    child.wait()
    finished = len(list(done.glob("*.json")))
    planned = sum(
        len(e["shards"])
        for e in json.loads((corpus / ".state" / "shards.json").read_text())["inputs"].values()
    )
    assert 0 < finished < planned, "the run was not interrupted mid-way"
    assert not (corpus / "manifest.json").exists()

    subprocess.run(command, check=True)
    rows = _rows(corpus)
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    assert [(r["text"], r["title"]) for r in rows] == [(r["text"], r["title"]) for r in expected]
    assert not list((corpus / "data").rglob(".*.tmp"))
    assert read_manifest(corpus)["documents"] == len(expected)


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaping is left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_workers_die_with_their_run_and_the_rerun_finishes(tmp_path: Path, how: int) -> None:
    warc = _article_warc(tmp_path / "w", 400)
    reference = tmp_path / "reference"
    subprocess.run(
        _process_command([warc], reference, "--records-per-shard", "8", "-w", "1"), check=True
    )
    corpus = tmp_path / "corpus"
    command = _process_command([warc], corpus, "--records-per-shard", "8", "-w", "2")
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    extracted = corpus / ".state" / "extracted"  # the first stage's pool is at work
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(extracted.glob("*.json")):
        time.sleep(0.01)
    workers = _children(run.pid)
    assert len(workers) >= 2, "the run has no worker processes"
    os.kill(run.pid, how)  # the run only: its workers must not outlive it
    _, errors = run.communicate(timeout=60)
    if how == signal.SIGTERM:  # stopped cleanly: one line, the shell's status for Ctrl-C
        assert run.returncode == 130, errors
        assert "interrupted" in errors and "Traceback" not in errors, errors
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(map(_alive, workers)):
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived their run"
    assert not (corpus / "manifest.json").exists(), "the run was not interrupted mid-way"

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr  # the lock died with the run
    assert [(r["id"], r["text"]) for r in _rows(corpus)] == [
        (r["id"], r["text"]) for r in _rows(reference)
    ]
    assert not list(corpus.rglob(".*.tmp"))  # half-written files of the killed run removed


def test_single_stream_gzip_warc_is_read_whole(tmp_path: Path) -> None:
    import gzip

    member_per_record = _article_warc(tmp_path / "w", 12)
    single = tmp_path / "single.warc.gz"  # what `gzip file.warc` makes
    single.write_bytes(gzip.compress(gzip.decompress(member_per_record.read_bytes())))
    corpus = tmp_path / "corpus"
    summary = process(
        [single], corpus, _options(min_words=10), LocalExecutor(1), records_per_shard=3
    )
    assert len(_rows(corpus)) == 12
    assert len(summary.results) == 1 and summary.results[0].warning is None


def test_same_content_twice_is_processed_once(tmp_path: Path) -> None:
    import shutil

    warc = _article_warc(tmp_path / "w", 5)
    copy = tmp_path / "copy.warc.gz"
    shutil.copy(warc, copy)
    corpus = tmp_path / "corpus"
    process([warc, copy], corpus, _options(min_words=10), LocalExecutor(2), records_per_shard=2)
    assert len(_rows(corpus)) == 5


def test_an_input_changed_in_place_is_refused(tmp_path: Path) -> None:
    warc = _article_warc(tmp_path / "w", 3)
    corpus = tmp_path / "corpus"
    process([warc], corpus, _options(min_words=10), LocalExecutor(1))
    warc.write_bytes(_article_warc(tmp_path / "other", 4).read_bytes())
    with pytest.raises(UserError, match="changed since it was processed"):
        process([warc], corpus, _options(min_words=10), LocalExecutor(1))


def test_two_runs_on_one_corpus_are_refused(tmp_path: Path) -> None:
    import fcntl

    warc = _article_warc(tmp_path / "w", 2)
    corpus = tmp_path / "corpus"
    (corpus / ".state").mkdir(parents=True)
    with (corpus / ".state" / "lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(UserError, match="another process"):
            process([warc], corpus, _options(min_words=10), LocalExecutor(1))


def test_repeated_urls_are_kept_once_and_counted(tmp_path: Path) -> None:
    page = _article(1)
    pages = [
        (f"http://news.test/a?utm_source={i}", page, [("Content-Type", "text/html")])
        for i in range(3)
    ]
    corpus = tmp_path / "corpus"
    process([write_warc(tmp_path / "w", pages)], corpus, _options(min_words=10), LocalExecutor(1))
    assert len(_rows(corpus)) == 1
    assert read_manifest(corpus)["steps"]["dedup.dropped.same_url"] == 2


def test_unknown_language_codes_are_refused(tmp_path: Path) -> None:
    warc = _article_warc(tmp_path / "w", 1)
    with pytest.raises(UserError, match="unknown language code"):
        process([warc], tmp_path / "c", ProcessOptions(languages=("english",)), LocalExecutor(1))
    ProcessOptions(languages=("no", "nb-NO", "pt-BR", "nso")).check()  # tags as sites write them


def test_progress_is_reported_stage_by_stage(tmp_path: Path) -> None:
    pages = [
        (
            f"https://news.example/2024/05/{n:02d}/story.html",
            html_page(f"Story {n}", news_paragraphs(n)),
            [],
        )
        for n in range(1, 7)
    ]
    warc = write_warc(tmp_path, pages)
    events: list[tuple[str, int, int]] = []
    process(
        [warc],
        tmp_path / "corpus",
        executor=LocalExecutor(1),
        records_per_shard=2,
        on_progress=lambda stage, result, done, total: events.append((stage, done, total)),
    )
    assert [stage for stage, _, _ in events] == ["extract"] * 3 + ["filter"] * 3 + ["store"] * 3
    assert [done for _, done, _ in events] == list(range(1, 10))
    assert {total for _, _, total in events} == {9}


def test_a_list_article_that_says_it_is_one_is_kept_through_process(tmp_path: Path) -> None:
    """The page's own type reaches the quality filter across the stages of ``process``: a
    list of nominees in a NewsArticle is kept, the same list in an undeclared page is not."""
    groups = ["Best album", "Best song", "Best new artist", "Group of the year", "Best video"]
    artists = ["Calvin Harris", "Little Simz", "Young Fathers", "Olivia Dean", "Central Cee"]
    items = "".join(
        f"<h2>{group}</h2><ul>"
        + "".join(f"<li>{a}, {group.lower()}</li>" for a in artists)
        + "</ul>"
        for group in groups
    )
    declared = '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
    pages = [
        (
            f"http://news.test/2026/03/nominees-{n}.html",
            f"<html><head>{head}</head><body><article><h1>The nominees, list {n}</h1>{items}"
            "</article></body></html>".encode(),
            [("Content-Type", "text/html; charset=utf-8")],
        )
        for n, head in enumerate([declared, ""])
    ]
    warc = write_warc(tmp_path / "warc", pages)
    corpus = tmp_path / "corpus"
    options = ProcessOptions(quality=QualityThresholds(min_words=30))
    process([warc], corpus, options, executor=LocalExecutor(1), keep_dropped=True)
    assert [row["url"] for row in _rows(corpus)] == [pages[0][0]]
    dropped = ds.dataset(corpus / "dropped", format="parquet").to_table().to_pylist()
    assert [(row["url"], row["drop_reason"]) for row in dropped] == [
        (pages[1][0], "few_sentence_lines")
    ]


_VOCABULARY_TEXT = (
    "the of and to in that for with was said on council city report market minister police "
    "court region water school health budget workers union energy river bridge station "
    "hospital doctors students parents village border talks agreement vote law judge trial "
    "evidence officials season match team players coach league stadium film music festival "
    "museum research scientists study data survey experts university software network bank "
    "prices farmers harvest supply storm flooding residents homes roads traffic trains "
    "announced reported confirmed warned added explained argued claimed denied expected "
    "planned decided agreed refused promised continued opened closed increased reduced raised "
    "local national regional foreign federal northern southern early recent former major "
    "small large higher lower strong important difficult possible likely clear serious"
)
_VOCABULARY = _VOCABULARY_TEXT.split()


def _long_article(seed: int, chars: int) -> list[str]:
    """Paragraphs of about ``chars`` characters: sentences of words drawn at random, so
    that no two articles (nor two parts of one) share their 5-word shingles."""
    rng = random.Random(seed)
    paragraphs, size = [], 0
    while size < chars:
        sentences = []
        for _ in range(rng.randint(2, 6)):
            words = " ".join(rng.choices(_VOCABULARY, k=rng.randint(8, 20)))
            sentences.append(f"{words[0].upper()}{words[1:]} {rng.randint(2, 999)}.")
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    return paragraphs


def _long_article_warc(directory: Path, count: int, chars: int) -> Path:
    pages = [
        (
            f"http://long.test/2026/03/{i:04d}.html",
            html_page(f"Long report number {i}", _long_article(i, chars)),
            [("Content-Type", "text/html; charset=utf-8")],
        )
        for i in range(count)
    ]
    return write_warc(directory, pages, prefix="long")


def _key_rows(corpus: Path) -> list[dict]:
    table = ds.dataset(corpus / ".state" / "dedup" / "index", format="parquet").to_table()
    return sorted(table.to_pylist(), key=lambda r: r["id"])


def test_long_articles_are_buffered_by_bytes_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stage holds a budget of bytes, not of rows: with a budget of ~2 articles, the
    stored file is cut into row groups of 1 or 2 articles, and the corpus is the same."""
    warc = _long_article_warc(tmp_path / "warc", 12, 40_000)
    options = ProcessOptions()
    whole = process([warc], tmp_path / "whole", options, LocalExecutor(1))
    assert whole.totals()["write.documents"] == 12

    budget = 75_000  # bytes: two articles of 40,000 characters pass it
    monkeypatch.setattr(_parquet, "ROW_GROUP_BYTES", budget)
    monkeypatch.setattr(parquet, "READ_BATCH_BYTES", budget)
    monkeypatch.setattr(KeysWriter, "BATCH_BYTES", budget)
    batches: list[int] = []
    signatures = MinHasher.signatures
    monkeypatch.setattr(
        MinHasher,
        "signatures",
        lambda self, texts: batches.append(len(texts)) or signatures(self, texts),
    )
    cut = process([warc], tmp_path / "cut", options, LocalExecutor(1))
    assert cut.totals()["write.documents"] == 12

    (stored,) = corpus_files(tmp_path / "cut")
    metadata = pq.ParquetFile(stored).metadata
    rows = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert len(rows) >= 6 and max(rows) <= 2 and sum(rows) == 12
    assert len(batches) >= 6 and max(batches) <= 2  # dedup keys hashed a few texts at a time
    (whole_file,) = corpus_files(tmp_path / "whole")
    assert pq.ParquetFile(whole_file).metadata.num_row_groups == 1
    assert _rows(tmp_path / "cut") == _rows(tmp_path / "whole")
    assert _key_rows(tmp_path / "cut") == _key_rows(tmp_path / "whole")


def test_dedup_keys_do_not_depend_on_how_texts_are_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MinHash hashes a batch's bytes and shingles in bounded pieces: any cut gives the
    same signatures, in every script."""
    texts = ["\n\n".join(_long_article(i, 30_000)) for i in range(4)] + [
        "東京都は月曜日、新しい自転車道の計画を承認した。\u3000市民は歓迎した。" * 200,
        "สภาเมืองอนุมัติแผนสร้างทางจักรยานใหม่ เมื่อวันจันทร์ " * 100,
        "Straße\xa0und Brücke\x00 wurden am Montag eröffnet, sagte der Rat " * 300,
        "",
        "two words",
        "x" * 5_000 + " one very long token",
    ]
    whole = MinHasher().signatures(texts)
    for piece_bytes, piece_shingles, chunk_chars in ((7, 3, 10), (4096, 100, 50_000), (1, 1, 1)):
        monkeypatch.setattr(minhash, "PIECE_BYTES", piece_bytes)
        monkeypatch.setattr(minhash, "PIECE_SHINGLES", piece_shingles)
        monkeypatch.setattr(minhash, "CHUNK_CHARS", chunk_chars)
        assert (MinHasher().signatures(texts) == whole).all()
    assert (MinHasher().signatures(texts[4:5]) == whole[4:5]).all()


def test_a_servers_content_language_decides_what_the_text_leaves_open(tmp_path: Path) -> None:
    """Malay and Indonesian read alike: a page without `<html lang>` is labelled by its
    Content-Language header, when the text leaves the two open (and only then)."""
    texts = {  # the declaration's clauses end in `;`, a news paragraph in a full stop
        language: [paragraph.rstrip(";,: ") + "." for paragraph in paragraphs]
        for language, paragraphs in json.loads(
            (Path(__file__).parent / "steps" / "data" / "udhr_confusable.json").read_text("utf-8")
        )["paragraphs"].items()
    }
    pages = [
        (
            f"https://news.example/2024/05/0{n}/story-{language}.html",
            html_page(f"Berita {language} {n}", texts["id"], lang=""),
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Language", language)],
        )
        for n, language in enumerate(["ms", "id"])
    ] + [
        (
            "https://news.example/2024/05/09/story-de.html",
            html_page("Bericht", texts["da"], lang=""),  # Danish, whatever the server says
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Language", "de")],
        )
    ]
    corpus = tmp_path / "c"
    # (translations are never duplicates: dedup keeps one text per language)
    process([write_warc(tmp_path / "w", pages)], corpus, _options(min_words=10), LocalExecutor(1))
    found = {row["url"].rsplit("-", 1)[1]: row["language"] for row in _rows(corpus)}
    assert found == {"ms.html": "ms", "id.html": "id", "de.html": "da"}


def test_an_interrupt_between_two_results_stops_the_workers_at_once(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM lands wherever the main process is: here while it reports a
    finished shard. The workers must stop then, not go on through the queued shards
    until the interpreter exits (a killed run took minutes to end under load)."""
    warc = _article_warc(tmp_path / "w", 160)
    corpus = tmp_path / "corpus"

    def interrupt(stage: str, result: object, done: int, total: int) -> None:
        raise KeyboardInterrupt

    before = set(multiprocessing.active_children())  # other tests' may still be there
    with pytest.raises(KeyboardInterrupt):
        process(
            [warc], corpus, executor=LocalExecutor(2), records_per_shard=4, on_progress=interrupt
        )
    # the run's workers are stopped, while the exception (and its frames) still lives
    assert set(multiprocessing.active_children()) <= before
    extracted = corpus / ".state" / "extracted"
    done = sorted(extracted.glob("*.json"))
    time.sleep(1.0)
    assert sorted(extracted.glob("*.json")) == done and len(done) < 40


def _access_warc(directory: Path) -> Path:
    """Three articles: one declares itself paywalled, one free, one says nothing."""
    ld = '<script type="application/ld+json">{{"@type": "NewsArticle", "isAccessibleForFree": {}}}</script>'  # noqa: E501
    heads = [ld.format("false"), ld.format('"True"'), ""]
    pages = [
        (
            f"http://news.test/2026/03/{i:04d}.html",
            html_page(f"Council story number {i}", news_paragraphs(i), head=head),
            [("Content-Type", "text/html; charset=utf-8")],
        )
        for i, head in enumerate(heads)
    ]
    return write_warc(directory, pages, prefix="access")


def test_paywalled_pages_are_flagged_kept_or_dropped(tmp_path: Path) -> None:
    warc = _access_warc(tmp_path / "warc")
    kept = tmp_path / "kept"
    process([warc], kept, _options(20), LocalExecutor(1), keep_dropped=True)
    assert [row["access"] for row in _rows(kept)] == ["paywalled", "free", None]
    manifest = read_manifest(kept)
    assert manifest["access"] == {"paywalled": 1, "free": 1, "undeclared": 1}
    assert (
        "| access (as pages declare it) | 1 free, 1 paywalled" in (kept / "README.md").read_text()
    )

    dropped = tmp_path / "dropped"
    options = _options(20)
    options.drop_paywalled = True
    process([warc], dropped, options, LocalExecutor(1), keep_dropped=True)
    assert [row["access"] for row in _rows(dropped)] == ["free", None]
    assert read_manifest(dropped)["steps"]["access.dropped.paywalled"] == 1
    aside = ds.dataset(dropped / "dropped" / "access", format="parquet").to_table()
    assert aside.column("drop_reason").to_pylist() == ["paywalled"]
    command = [sys.executable, "-m", "newscorpus", "-q", "process", str(warc), "--out"]
    flags = ["--min-words", "20", "--drop-paywalled"]
    subprocess.run([*command, str(tmp_path / "cli"), *flags], check=True, timeout=120)
    assert [row["access"] for row in _rows(tmp_path / "cli")] == ["free", None]


def test_a_corpus_of_another_schema_is_not_extended(tmp_path: Path) -> None:
    warc = _article_warc(tmp_path / "warc", 2)
    corpus = tmp_path / "corpus"
    process([warc], corpus, _options(20), LocalExecutor(1))
    manifest = json.loads((corpus / "manifest.json").read_text())
    (corpus / "manifest.json").write_text("{damaged")  # a damaged one is only rebuilt
    process([warc], corpus, _options(20), LocalExecutor(1))
    assert read_manifest(corpus)["documents"] == manifest["documents"]
    manifest["schema_version"] = "4"  # as newscorpus before the version columns wrote it
    (corpus / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        UserError, match="holds documents of schema 4; this newscorpus writes schema 5"
    ):
        process([_article_warc(tmp_path / "more", 3, prefix="more")], corpus, _options(20))
