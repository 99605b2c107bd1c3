"""Crawl workers sharing a Redis frontier: a real redis-server on loopback, a real site on
loopback that logs every request, real `newscorpus crawl` processes."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
from warcio.archiveiterator import ArchiveIterator

from newscorpus.crawl.frontier import REVISIT_LEASE, FrontierAddress, RedisFrontier
from tests.conftest import free_port
from tests.crawl.site import LocalNewsSite, article_html, html

REDIS_SERVER = shutil.which("redis-server")


def _start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A real redis-server on 127.0.0.1, answering (`.ci/run` installs Debian's)."""
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return server, port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, port = _start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _site(
    articles: int, pause: float = 0.0, hold: Callable[[], None] | None = None
) -> LocalNewsSite:
    """Home -> two sections -> articles; robots.txt forbids /private/ (linked from home).
    ``hold`` is called before a section page is served."""
    site = LocalNewsSite()

    def slow(text: str, hold: Callable[[], None] | None = None) -> object:
        def reply(request: object) -> tuple[int, dict[str, str], bytes]:
            if hold is not None:
                hold()
            time.sleep(pause)  # a real server is not instantaneous
            return html(text)

        return reply

    half = articles // 2
    for number, numbers in (("1", range(half)), ("2", range(half, articles))):
        links = "".join(f'<a href="/news/2026/03/story-{i}.html">S{i}</a> ' for i in numbers)
        site.routes[f"/section/{number}"] = slow(f"<html><body>{links}</body></html>", hold)
    for i in range(articles):
        site.routes[f"/news/2026/03/story-{i}.html"] = slow(
            article_html(f"Story number {i} about the harbour")
        )
    site.page(
        "/",
        "<html><body><a href='/section/1'>One</a> <a href='/section/2'>Two</a> "
        "<a href='/private/2026/03/secret.html'>Secret</a></body></html>",
    )
    site.page("/private/2026/03/secret.html", article_html("Secret"))
    site.routes["/robots.txt"] = lambda request: (
        200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
    )  # fmt: skip
    return site.start()


def _command(site: LocalNewsSite, run: Path, frontier: str, worker: str, delay: float) -> list[str]:
    return [
        sys.executable, "-m", "newscorpus", "-q", "crawl", f"{site.base}/", "--out", str(run),
        "--allow-private", "--delay", str(delay), "--frontier", frontier, "--worker-id", worker,
    ]  # fmt: skip


_databases = iter(range(1, 16))


def _frontier(redis_url: str) -> str:
    """Each test its own Redis database: its own frontier."""
    return f"{redis_url}/{next(_databases)}"


def _until_workers_running(frontier: str, workers: int) -> Callable[[], None]:
    """Waits (up to 120 s) until ``workers`` workers are running: each announced itself
    once more after it was first seen. A worker joins the frontier before scrapy starts
    (seconds before, on a busy machine); the heartbeat that moves its time comes from its
    running scheduler, which also looks for work each second."""
    import redis

    first_seen: dict[bytes, float] = {}

    def wait() -> None:
        client = redis.Redis.from_url(frontier)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            keys = client.keys("*workers")
            announced = cast(
                "list[tuple[bytes, float]]",
                client.zrange(keys[0], 0, -1, withscores=True) if keys else [],
            )
            for owner, until in announced:
                first_seen.setdefault(owner, until)
            if sum(until > first_seen[owner] for owner, until in announced) >= workers:
                return
            time.sleep(0.05)

    return wait


def _archived(run: Path) -> Counter[str]:
    """Response records per URL path, over every WARC file of the run."""
    found: Counter[str] = Counter()
    for path in sorted((run / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    found["/" + uri.split("/", 3)[3]] += 1
    return found


def test_two_workers_fetch_every_article_once_at_the_shared_rate(
    tmp_path: Path, redis_url: str
) -> None:
    frontier = _frontier(redis_url)
    # the articles are found only once both workers run: on a busy machine the second
    # worker's start (seconds of imports) could otherwise come after all the work is done.
    # Then the first worker can take 16 (its concurrency); the other 24 wait in the queue
    # at least 24 * (delay + pause) = 1.7 s, longer than the second worker's 1 s between
    # looks at the queue.
    site = _site(40, pause=0.02, hold=_until_workers_running(frontier, 2))
    delay = 0.05
    run = tmp_path / "run"
    try:
        commands = [_command(site, run, frontier, name, delay) for name in ("one", "two")]
        workers = [subprocess.Popen(c, stderr=subprocess.PIPE, text=True) for c in commands]
        for worker in workers:
            _, errors = worker.communicate(timeout=180)
            assert worker.returncode == 0, errors
    finally:
        site.stop()
    articles = [f"/news/2026/03/story-{i}.html" for i in range(40)]
    fetched = Counter(r.path for r in site.log)
    assert {path: fetched[path] for path in articles} == dict.fromkeys(articles, 1)
    assert fetched["/section/1"] == fetched["/section/2"] == fetched["/"] == 1
    assert "/private/2026/03/secret.html" not in fetched  # robots.txt obeyed by both
    assert fetched["/robots.txt"] == 1  # fetched by one worker for both
    # the host's turns are held across workers: each request leaves `delay` after the
    # previous one (of either worker) ended, so the site sees them at least that far apart
    times = sorted(r.time for r in site.log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= delay * 0.99, sorted(gaps)[:5]
    # each worker wrote its own WARC files, named after it; every article archived once
    archived = _archived(run)
    assert {path: archived[path] for path in articles} == dict.fromkeys(articles, 1)
    names = [p.name for p in (run / "warc").glob("*.warc.gz")]
    by_worker = {name: [n for n in names if f"-{name}-" in n] for name in ("one", "two")}
    assert all(by_worker.values()), names  # both did some of the work
    for name in ("one", "two"):
        stats = json.loads((run / f"crawl-stats-{name}.json").read_text())
        assert stats["urls"]["queued"] == stats["urls"]["in_flight"] == 0


def test_a_killed_workers_requests_are_fetched_by_the_other(tmp_path: Path, redis_url: str) -> None:
    site = _site(60, pause=0.05)
    run = tmp_path / "run"
    frontier = _frontier(redis_url)

    def command(name: str) -> list[str]:  # the least TTL: the dead worker found sooner
        return [*_command(site, run, frontier, name, 0.01), "--worker-ttl", "10"]

    try:
        doomed = subprocess.Popen(command("doomed"), start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(site.requested("/news/")) < 5:
            time.sleep(0.01)
        survivor = subprocess.Popen(command("survivor"), stderr=subprocess.PIPE, text=True)
        while time.monotonic() < deadline and len(site.requested("/news/")) < 15:
            time.sleep(0.01)
        os.killpg(doomed.pid, signal.SIGKILL)  # mid-crawl, with requests in flight
        killed_at = time.monotonic()
        doomed.wait()
        assert len(site.requested("/news/")) < 60, "the crawl ended before the kill"
        _, errors = survivor.communicate(timeout=180)
        assert survivor.returncode == 0, errors
    finally:
        site.stop()
    articles = [f"/news/2026/03/story-{i}.html" for i in range(60)]
    archived = _archived(run)
    assert all(archived[path] >= 1 for path in articles), sorted(set(articles) - set(archived))
    # at most the few in flight at the kill were fetched twice; none is archived twice
    assert all(archived[path] == 1 for path in articles)
    # the host's turn, held by the dead worker's request, is free once the worker is taken
    # for dead (10 s after its last heartbeat at most), not at the end of its 32 s lease
    after = [r.time for r in site.log if r.time > killed_at]
    assert after and after[0] - killed_at < 10 + 5, after[0] - killed_at
    assert not list((run / "warc").glob("*.open"))  # the dead worker's file recovered
    stats = json.loads((run / "crawl-stats-survivor.json").read_text())
    assert stats["scrapy"].get("newscorpus/frontier/returned", 0) >= 1
    assert stats["urls"]["queued"] == stats["urls"]["in_flight"] == 0


def test_a_bad_frontier_is_one_line(tmp_path: Path) -> None:
    def crawl(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "newscorpus", "crawl", "http://127.0.0.1:9/", "--out",
             str(tmp_path / "run"), "--allow-private", *extra],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    port = free_port()
    result = crawl("--frontier", f"redis://127.0.0.1:{port}/0")
    assert result.returncode != 0
    assert result.stderr.startswith(
        f"Error: cannot reach the frontier at redis://127.0.0.1:{port}/0"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert crawl("--frontier", "http://x/").stderr.strip() == (
        "Error: frontier 'http://x/': expected redis://HOST:PORT/DB"
    )
    assert crawl("--worker-id", "w1").stderr.strip() == (
        "Error: --worker-id names a worker of a shared crawl: give --frontier too"
    )
    too_short = crawl("--frontier", f"redis://127.0.0.1:{port}/0", "--worker-ttl", "5")
    assert too_short.returncode != 0 and "Traceback" not in too_short.stderr
    assert "--worker-ttl" in too_short.stderr and "10" in too_short.stderr


def test_a_later_crawl_on_the_frontier_fetches_only_what_is_new(
    tmp_path: Path, redis_url: str
) -> None:
    site = _site(10)
    run = tmp_path / "run"
    frontier = _frontier(redis_url)
    try:
        subprocess.run(_command(site, run, frontier, "first", 0.0), check=True, timeout=120)
        first = len(site.log)
        links = "".join(f'<a href="/news/2026/03/story-{i}.html">S{i}</a> ' for i in range(12))
        site.page("/section/1", f"<html><body>{links}</body></html>")
        for i in (10, 11):
            site.page(f"/news/2026/03/story-{i}.html", article_html(f"Late story {i} today"))
        subprocess.run(_command(site, run, frontier, "later", 0.0), check=True, timeout=120)
    finally:
        site.stop()
    again = Counter(r.path for r in site.log[first:])
    assert again["/"] == again["/section/1"] == 1  # hubs: fetched on every crawl
    news = sorted(path for path in again if path.startswith("/news/"))
    assert news == ["/news/2026/03/story-10.html", "/news/2026/03/story-11.html"]
    assert _archived(run)["/news/2026/03/story-10.html"] == 1


def test_the_page_limit_of_a_site_counts_every_worker(tmp_path: Path, redis_url: str) -> None:
    site = _site(40)
    run = tmp_path / "run"
    frontier = _frontier(redis_url)
    try:
        commands = [
            [*_command(site, run, frontier, name, 0.0), "--max-pages-per-site", "12"]
            for name in ("one", "two")
        ]
        workers = [subprocess.Popen(c) for c in commands]
        assert [w.wait(timeout=120) for w in workers] == [0, 0]
    finally:
        site.stop()
    pages = [r.path for r in site.log if r.path == "/" or r.path.startswith(("/section", "/news"))]
    assert 10 <= len(pages) <= 12


def test_a_worker_that_loses_redis_stops_with_one_line(tmp_path: Path) -> None:
    redis, port = _start_redis(tmp_path)
    site = _site(200, pause=0.1)
    run = tmp_path / "run"
    try:
        worker = subprocess.Popen(
            [*_command(site, run, f"redis://127.0.0.1:{port}/0", "alone", 0.0),
             "--worker-ttl", "10"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(site.requested("/news/")) < 5:
            time.sleep(0.02)
        redis.kill()  # Redis goes away mid-crawl
        lost = time.monotonic()
        _, errors = worker.communicate(timeout=120)
        stopped = time.monotonic() - lost
    finally:
        site.stop()
        redis.kill()
        redis.wait()
    assert worker.returncode != 0
    assert stopped >= 10  # it waited its TTL for Redis to come back
    assert errors.strip().splitlines()[-1] == (
        f"Error: lost the frontier at redis://127.0.0.1:{port}/0: this worker stopped (what "
        f"it archived is kept in {run / 'warc'}); start it again once Redis is back"
    )
    assert "Traceback" not in errors
    assert sum(_archived(run).values()) >= 1  # the pages archived before are kept
    assert not list((run / "warc").glob("*.open"))


def test_revisits_on_the_shared_frontier_go_to_one_worker_each(redis_url: str) -> None:
    """A due re-visit is taken by one worker; one whose worker died comes due again after
    the lease; each visit made schedules the next, with the record's commit."""
    address = FrontierAddress.parse(_frontier(redis_url))
    one, two = RedisFrontier(address, "news", "one"), RedisFrontier(address, "news", "two")
    url, schedule = "http://news.test/2026/04/a.html", (0.5, 1.0)
    one.finish([url], "done", "article", ('"e1"', None), warc=("x.warc.gz", 100), revisits=schedule)
    assert one.due_revisits(time.time()) == []
    time.sleep(0.6)
    now = time.time()
    assert one.due_revisits(now) == [url] and two.due_revisits(now) == []
    assert two.due_revisits(now + REVISIT_LEASE + 1) == [url]  # "one" never said it was made
    two.revisited(url, schedule, ('"e2"', None), warc=("x.warc.gz", 200), changed=True)
    assert one.validators(url) == ('"e2"', None) and one.committed_bytes("x.warc.gz") == 200
    assert one.archived_at(url) is not None
    assert one.due_revisits(time.time() + 0.5) == [url]  # the second visit, at first + 1.0
    one.revisited(url, schedule)
    assert one.due_revisits(time.time() + 1000) == []  # the schedule's last visit is made
    one.close()
    two.close()
