"""``newscorpus ccnews`` against a CC-NEWS-shaped tree served on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from newscorpus import LocalExecutor, process
from newscorpus.ccnews import (
    CCNewsSelection,
    file_time,
    parse_domains,
    read_listing,
    select_files,
)
from newscorpus.errors import UserError
from newscorpus.warc.reader import ReadStats, read_responses
from newscorpus.warc.remote import host_of, site_selected
from tests.ccnews.server import TreeServer, build_tree
from tests.conftest import WARC_SAMPLES, html_page, need_shared, news_paragraphs
from tests.test_cli import _one_line_error, run
from tests.warc.warcs import (
    exchange,
    grow_http_header,
    grow_warc_header,
    gzipped,
    members,
    page,
    response,
)

JAN_01 = "CC-NEWS-20240101080000-00001.warc.gz"
JAN_15 = "CC-NEWS-20240115080000-00002.warc.gz"
JAN_31 = "CC-NEWS-20240131230000-00003.warc.gz"
FEB_01 = "CC-NEWS-20240201010000-00004.warc.gz"
SITES = ["lecourrier.example", "news.other.example", "daily.example"]


def _pages(n: int, tag: str) -> list[tuple[str, str]]:
    """n articles spread over the sites, a subdomain among them."""
    hosts = [*SITES, "www.lecourrier.example", "sport.lecourrier.example"]
    return [(hosts[i % len(hosts)], f"{tag}-story-{i}") for i in range(n)]


@pytest.fixture()
def tree(tmp_path: Path) -> dict[str, Path]:
    files = {JAN_01: _pages(6, "a"), JAN_15: _pages(10, "b"), JAN_31: _pages(10, "c")}
    files[FEB_01] = _pages(4, "d")
    return build_tree(tmp_path / "mirror", files)


def _documents(corpus: Path) -> list[dict[str, object]]:
    columns = ["id", "url", "domain", "text", "warc_file", "warc_offset"]
    rows = ds.dataset(corpus / "data").to_table(columns=columns).to_pylist()
    return sorted(rows, key=lambda r: str(r["id"]))


def _ccnews(server: TreeServer, corpus: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(
        "ccnews",
        "--base-url",
        server.url,
        "--out",
        str(corpus),
        "--workers",
        "1",
        "--backoff",
        "0.05",
        *args,
    )


def test_dates_and_sites_select_files_and_records(tree: dict[str, Path], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    with TreeServer(tmp_path / "mirror").running() as server:
        result = _ccnews(
            server, corpus, "--from", "2024-01-10", "--to", "2024-01-31",
            "--domain", "lecourrier.example",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    documents = _documents(corpus)
    # lecourrier.example with www. and a subdomain, in the two files of the range only
    assert {d["domain"] for d in documents} == {"lecourrier.example", "sport.lecourrier.example"}
    assert {d["warc_file"] for d in documents} == {JAN_15, JAN_31}
    assert len(documents) == 2 * 6  # 3 of each 5 pages are lecourrier's, in two files of 10
    fetched = {path.rsplit("/", 1)[-1] for path, _ in server.log}
    assert JAN_01 not in fetched and FEB_01 not in fetched and "warc.paths.gz" in fetched
    # every document points at its record in the original file
    for name in (JAN_15, JAN_31):
        by_offset = {r.warc_offset: r.url for r in read_responses(tree[name], ReadStats())}
        for document in (d for d in documents if d["warc_file"] == name):
            assert by_offset[document["warc_offset"]] == document["url"]
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["source"] == "cc-news"
    assert manifest["steps"]["read.skipped_other_site"] == 2 * 4  # decided from the headers
    assert all(i["domains"] == ["lecourrier.example"] for i in manifest["inputs"])
    assert "Common Crawl News" in (corpus / "README.md").read_text()


def test_the_same_documents_as_process(tree: dict[str, Path], tmp_path: Path) -> None:
    streamed, local = tmp_path / "streamed", tmp_path / "local"
    with TreeServer(tmp_path / "mirror").running() as server:
        result = _ccnews(server, streamed, "--from", "2024-01-01", "--to", "2024-01-15")
    assert result.returncode == 0, result.stderr
    process([tree[JAN_01], tree[JAN_15]], local, executor=LocalExecutor(1))
    assert _documents(streamed) == _documents(local)
    assert len(_documents(local)) == 16


def test_captures_of_one_url_in_several_files_are_its_versions(tmp_path: Path) -> None:
    """CC-NEWS holds an article once per crawl that found it: the captures whose text
    changed are its versions, in capture order, whatever order the files stream in."""
    host, body = SITES[0], news_paragraphs(5)
    added = "The council confirmed on Monday evening that the works will start in March."
    bodies = {
        (JAN_01, "works"): html_page("Works on the bridge", body),
        (JAN_31, "works"): html_page("Works on the bridge to start in March", [*body, added]),
    }
    files = {JAN_01: [(host, "works")], JAN_15: _pages(3, "b"), JAN_31: [(host, "works")]}
    build_tree(tmp_path / "mirror", files, bodies)
    url = f"https://{host}/2024/01/works.html"
    corpus = tmp_path / "corpus"
    with TreeServer(tmp_path / "mirror").running() as server:
        result = _ccnews(server, corpus, "--from", "2024-01-01", "--to", "2024-01-31")
    assert result.returncode == 0, result.stderr
    rows = ds.dataset(corpus / "data").to_table().to_pylist()
    (article,) = [r for r in rows if r["url"] == url]
    assert (article["version"], article["first_seen"]) == (2, "2024-01-01T08:00:00Z")
    assert article["changes"]["title_changed"] and article["changes"]["paragraphs_added"] == 1
    versions = ds.dataset(corpus / "versions").to_table().to_pylist()
    assert sorted((v["version"], v["warc_file"]) for v in versions) == [(1, JAN_01), (2, JAN_31)]


def test_server_errors_and_cut_connections_are_retried(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    path_15 = f"/crawl-data/CC-NEWS/2024/01/{JAN_15}"
    path_31 = f"/crawl-data/CC-NEWS/2024/01/{JAN_31}"
    with TreeServer(tmp_path / "mirror").running() as server:
        server.faults = {path_15: ["500", "500"], path_31: ["cut"]}
        result = _ccnews(server, corpus, "--from", "2024-01-10", "--to", "2024-01-31")
    assert result.returncode == 0, result.stderr
    documents = _documents(corpus)
    assert len(documents) == 20 and len({d["url"] for d in documents}) == 20
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["steps"]["read.retries"] == 3
    ranges = [r for p, r in server.log if p == path_31 and r]
    assert ranges and int(ranges[0][6:].rstrip("-")) > 0  # resumed inside the file


def test_a_file_truncated_at_the_source_keeps_what_precedes(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    data = tree[JAN_15].read_bytes()
    tree[JAN_15].write_bytes(data[: len(data) * 2 // 3])
    corpus = tmp_path / "corpus"
    with TreeServer(tmp_path / "mirror").running() as server:
        result = _ccnews(server, corpus, "--from", "2024-01-15", "--to", "2024-01-15")
    assert result.returncode == 0, result.stderr
    assert "truncated or corrupt" in result.stderr
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["steps"]["read.damaged_files"] == 1
    assert 3 <= manifest["documents"] < 10 and manifest["warnings"]


def test_a_file_that_keeps_failing_is_reported_then_finished(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    path_15 = f"/crawl-data/CC-NEWS/2024/01/{JAN_15}"
    arguments = ("--from", "2024-01-10", "--to", "2024-01-31", "--retries", "2")
    with TreeServer(tmp_path / "mirror").running() as server:
        server.faults = {path_15: ["500"] * 3}
        failed = _ccnews(server, corpus, *arguments)
        assert failed.returncode != 0 and "Traceback" not in failed.stderr
        assert "1 shard(s) failed" in failed.stderr and "500" in failed.stderr
        assert {d["warc_file"] for d in _documents(corpus)} == {JAN_31}  # the rest is there
        again = _ccnews(server, corpus, *arguments)
    assert again.returncode == 0, again.stderr
    documents = _documents(corpus)
    assert len(documents) == 20 and len({d["id"] for d in documents}) == 20


def test_killed_run_resumes_exactly(tree: dict[str, Path], tmp_path: Path) -> None:
    arguments = ["--from", "2024-01-01", "--to", "2024-01-31"]
    with TreeServer(tmp_path / "mirror").running() as server:
        reference = _ccnews(server, tmp_path / "reference", *arguments)
        assert reference.returncode == 0, reference.stderr
        corpus = tmp_path / "corpus"
        server.faults = {f"/crawl-data/CC-NEWS/2024/01/{JAN_15}": ["slow"]}
        command = [sys.executable, "-m", "newscorpus", "ccnews", "--base-url", server.url]
        command += ["--out", str(corpus), "--workers", "1", *arguments]
        victim = subprocess.Popen(command, start_new_session=True)
        staged = corpus / ".state" / "staged"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(staged.glob("*.parquet")):
            time.sleep(0.05)  # the first file is done, the slow one is downloading
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        assert any(staged.glob("*.parquet")) and not (corpus / "manifest.json").exists()
        resumed = _ccnews(server, corpus, *arguments)
    assert resumed.returncode == 0, resumed.stderr
    assert _documents(corpus) == _documents(tmp_path / "reference")


def test_mistakes_are_one_line(tree: dict[str, Path], tmp_path: Path) -> None:
    with TreeServer(tmp_path / "mirror").running() as server:
        _one_line_error(
            _ccnews(server, tmp_path / "c", "--from", "2024-13-01", "--to", "2024-01-31"),
            "--from",
        )
        _one_line_error(
            _ccnews(server, tmp_path / "c", "--from", "2023-05-01", "--to", "2023-05-31"),
            "no CC-NEWS listing",
        )
        _one_line_error(
            _ccnews(server, tmp_path / "c", "--from", "2024-01-01", "--to", "2024-01-31",
                    "--domain", "not a domain"),
            "not a domain name",
        )  # fmt: skip
    (tmp_path / "sites.txt").write_text("# my sites\n\n")
    _one_line_error(
        run("ccnews", "--from", "2024-01-01", "--to", "2024-01-02", "--out", "c",
            "--sites", str(tmp_path / "sites.txt")),
        "no domain",
    )  # fmt: skip


def test_selection_helpers(tree: dict[str, Path], tmp_path: Path) -> None:
    assert file_time(f"crawl-data/CC-NEWS/2024/01/{JAN_31}").day == 31  # type: ignore[union-attr]
    assert file_time("crawl-data/CC-NEWS/2024/01/other.warc.gz") is None
    assert host_of("https://user@WWW.Example.org:8443/a?b") == "example.org"
    domains = parse_domains(["https://www.LeCourrier.example/politique", "daily.example"])
    assert domains == {"lecourrier.example", "daily.example"}
    assert site_selected("sport.lecourrier.example", domains)
    assert not site_selected("notlecourrier.example", domains)
    local = CCNewsSelection(
        start=date(2024, 1, 1),
        end=date(2024, 2, 29),
        base_url=str(tmp_path / "mirror"),
        max_files=3,
    )
    assert [f.name for f in select_files(local)] == [JAN_01, JAN_15, JAN_31]  # a local mirror


def test_a_listing_is_retried_like_a_warc_a_refusal_is_said(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    """The monthly listing follows the rule of remote WARC reading: a server error is
    retried with backoff, a missing month is no listing, a refusal is an error (not a
    month without files)."""
    listing = "/crawl-data/CC-NEWS/2024/01/warc.paths.gz"
    waits: list[float] = []
    with TreeServer(tmp_path / "mirror").running() as server:
        selection = CCNewsSelection(
            start=date(2024, 1, 1), end=date(2024, 1, 31), base_url=server.url,
            retries=2, backoff=0.5,
        )  # fmt: skip
        server.faults = {listing: ["500", "500"]}
        paths = read_listing(selection, 2024, 1, sleep=waits.append)
        assert paths and len(paths) == 3 and waits == [0.5, 1.0]
        assert read_listing(selection, 2024, 3, sleep=waits.append) is None  # no such month
        server.faults = {listing: ["500"] * 3}
        with pytest.raises(UserError, match=r"500.*after 3 attempts"):
            read_listing(selection, 2024, 1, sleep=waits.append)
        server.faults = {listing: ["403"]}
        with pytest.raises(UserError, match="403"):
            read_listing(selection, 2024, 1, sleep=waits.append)
    assert len(waits) == 4  # the refusal was not retried


def test_a_real_common_crawl_file_streams_like_it_reads() -> None:
    sample = need_shared(WARC_SAMPLES / "cc-main-2020-34-sample.warc.gz")
    from newscorpus.warc.remote import RemoteWarc, read_remote_responses

    local = [(r.url, r.warc_offset, r.body) for r in read_responses(sample, ReadStats())]
    stats = ReadStats()
    remote = RemoteWarc(str(sample), sample.name)
    streamed = [(r.url, r.warc_offset, r.body) for r in read_remote_responses(remote, stats)]
    assert streamed == local and len(local) > 10
    picked = {host_of(local[0][0])}
    stats = ReadStats()
    only = list(read_remote_responses(RemoteWarc(str(sample), sample.name, picked), stats))
    assert {host_of(r.url) for r in only} == picked
    assert stats.skipped_other_site == len(local) - len(only)


def test_single_stream_gzip_and_plain_warc_are_read_too(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    import gzip

    from newscorpus.warc.remote import RemoteWarc, read_remote_responses

    original = tree[JAN_15]
    expected = [(r.url, r.body) for r in read_responses(original, ReadStats())]
    plain = gzip.decompress(original.read_bytes())  # every member, inflated
    one_stream = tmp_path / "one-stream.warc.gz"
    one_stream.write_bytes(gzip.compress(plain))
    (tmp_path / "plain.warc").write_bytes(plain)
    for path in (one_stream, tmp_path / "plain.warc"):
        stats = ReadStats()
        streamed = read_remote_responses(RemoteWarc(str(path), path.name), stats)
        assert [(r.url, r.body) for r in streamed] == expected, path.name
        assert stats.error is None and stats.responses == 10
    # over HTTP, with a cut connection: started again, nothing doubled or lost
    for path in (one_stream, tmp_path / "plain.warc"):
        (tmp_path / "mirror" / path.name).write_bytes(path.read_bytes())
        with TreeServer(tmp_path / "mirror").running() as server:
            server.faults = {f"/{path.name}": ["cut"]}
            stats = ReadStats()
            source = RemoteWarc(server.url + path.name, path.name, backoff=0.01)
            streamed = list(read_remote_responses(source, stats))
        assert [(r.url, r.body) for r in streamed] == expected, path.name
        assert stats.responses == 10 and stats.records == 21
        # the single stream is recognised in the part received before the cut, then read anew
        assert stats.retries == (path.suffix == ".warc")


def test_keep_warc_keeps_an_exact_copy(tree: dict[str, Path], tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    path_31 = f"/crawl-data/CC-NEWS/2024/01/{JAN_31}"
    with TreeServer(tmp_path / "mirror").running() as server:
        server.faults = {path_31: ["cut"]}  # the copy survives a reconnection too
        result = _ccnews(
            server, tmp_path / "corpus", "--from", "2024-01-31", "--to", "2024-01-31",
            "--domain", "daily.example", "--keep-warc", str(kept),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (kept / JAN_31).read_bytes() == tree[JAN_31].read_bytes()
    assert not list(kept.glob("*.part"))


def _response_indexes(records: list[bytes]) -> list[int]:
    return [i for i, r in enumerate(records) if b"WARC-Type: response" in r[:300]]


def test_an_oversized_header_skips_its_record_not_the_file(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    """A 70 kB HTTP header used to fail the whole file (OSError: Maximum header length
    exceeded), on every run; a 70 kB WARC header too. Each now skips its record."""
    records = members(tree[JAN_15].read_bytes())
    first, second = _response_indexes(records)[2:4]
    records[first] = grow_http_header(records[first], 70_000)
    records[second] = grow_warc_header(records[second], 70_000)
    tree[JAN_15].write_bytes(gzipped(records))
    corpus = tmp_path / "corpus"
    with TreeServer(tmp_path / "mirror").running() as server:
        result = _ccnews(server, corpus, "--from", "2024-01-15", "--to", "2024-01-15")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["steps"]["read.skipped_oversized_header"] == 2
    assert manifest["steps"]["read.damaged_files"] == 0
    assert manifest["documents"] == 10 - 2


def test_damage_in_a_streamed_file_is_read_past_and_warned_once(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    """Bytes that are not gzip, a record shorter than its Content-Length, a file cut in
    its last response: each damaged part is skipped and counted, every good record read,
    and the damage is told once."""
    records = members(tree[JAN_31].read_bytes())
    responses = _response_indexes(records)
    short = records[responses[1]]
    records[responses[1]] = short[: len(short) // 2] + b"\r\n\r\n"  # a member cut short
    compressed = [gzip.compress(r) for r in records]
    compressed.insert(responses[4], b"not gzip at all")
    data = b"".join(compressed)
    cut = len(compressed[-1]) + len(compressed[-2]) // 2  # in the last response
    tree[JAN_31].write_bytes(data[: len(data) - cut])
    corpus = tmp_path / "corpus"
    with TreeServer(tmp_path / "mirror").running() as server:
        result = _ccnews(server, corpus, "--from", "2024-01-31", "--to", "2024-01-31")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((corpus / "manifest.json").read_text())
    steps = manifest["steps"]
    assert steps["read.skipped_bad_length"] == 1 and steps["read.skipped_garbage"] == 1
    assert steps["read.skipped_truncated"] == 1 and steps["read.damaged_files"] == 1
    assert manifest["documents"] == 10 - 2
    assert result.stderr.count(f"{JAN_31}: truncated or corrupt WARC") == 1, result.stderr


def test_a_plain_warc_download_is_read_past_its_damage(tmp_path: Path) -> None:
    """Framed the same way as a local file; what a download cannot read again (the
    records inside a record skipped for its wrong length) is said to be lost."""
    from newscorpus.warc.remote import RemoteWarc, read_remote_responses

    records = [r for n in range(6) for r in exchange(n)]
    records[3] = response("http://site.test/1", page("page1"), length=len(records[3]) + 9)
    records.insert(6, b"garbage\r\n")
    (tmp_path / "site").mkdir()
    path = tmp_path / "site" / "damaged.warc"
    path.write_bytes(b"".join(records))
    with TreeServer(tmp_path / "site").running() as server:
        stats = ReadStats()
        source = RemoteWarc(server.url + path.name, path.name)
        got = [r.url for r in read_remote_responses(source, stats)]
    local = ReadStats()
    assert got == [r.url for r in read_responses(path, local)]
    assert got == [f"http://site.test/{n}" for n in (0, 2, 3, 4, 5)]
    counts = {k: v for k, v in stats.as_counts().items() if k != "downloaded_bytes"}
    assert counts == {k: v for k, v in local.as_counts().items() if k != "downloaded_bytes"}
    assert stats.skipped_bad_length == 1 and stats.skipped_garbage == 1
